//! The in-memory picture behind its locks. Only this type takes them, one at a time for
//! readers and, where several are needed, always in one order — vessels, vehicles, monitor —
//! so that no two paths can deadlock. A poisoned lock (a panic while it was held) is taken
//! over: the picture is rebuilt from the store after any failed write anyway.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use coastwatch_core::alerting::monitor::Monitor;
use coastwatch_core::engine::{VehicleEngine, VesselEngine};
use coastwatch_core::picture::Picture;

/// The engines and the detectors, shared by the writer, the API and the tiles.
#[derive(Clone)]
pub struct SharedPicture {
    vessels: Arc<RwLock<VesselEngine>>,
    vehicles: Arc<RwLock<VehicleEngine>>,
    monitor: Arc<Mutex<Monitor>>,
}

impl SharedPicture {
    /// A picture of these parts.
    pub fn new(vessels: VesselEngine, vehicles: VehicleEngine, monitor: Monitor) -> Self {
        Self {
            vessels: Arc::new(RwLock::new(vessels)),
            vehicles: Arc::new(RwLock::new(vehicles)),
            monitor: Arc::new(Mutex::new(monitor)),
        }
    }

    /// The vessels, for reading. Take no other part of the picture while holding it.
    pub fn vessels(&self) -> RwLockReadGuard<'_, VesselEngine> {
        self.vessels.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The vehicles, for reading. Take no other part of the picture while holding it.
    pub fn vehicles(&self) -> RwLockReadGuard<'_, VehicleEngine> {
        self.vehicles.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the detectors alone.
    pub fn with_monitor<R>(&self, f: impl FnOnce(&mut Monitor) -> R) -> R {
        f(&mut self.monitor())
    }

    /// Runs `f` on the vehicles alone.
    pub fn with_vehicles<R>(&self, f: impl FnOnce(&mut VehicleEngine) -> R) -> R {
        f(&mut self.vehicles_mut())
    }

    /// Runs `f` on the whole picture (the one ingest step), the locks taken in order.
    pub fn apply<R>(&self, f: impl FnOnce(&mut Picture<'_>) -> R) -> R {
        let mut vessels = self.vessels_mut();
        let mut vehicles = self.vehicles_mut();
        let mut monitor = self.monitor();
        f(&mut Picture {
            vessels: &mut vessels,
            vehicles: &mut vehicles,
            monitor: &mut monitor,
        })
    }

    /// Replaces every part, in order (a rebuild from the store).
    pub fn replace(&self, vessels: VesselEngine, vehicles: VehicleEngine, monitor: Monitor) {
        *self.vessels_mut() = vessels;
        *self.vehicles_mut() = vehicles;
        *self.monitor() = monitor;
    }

    fn vessels_mut(&self) -> RwLockWriteGuard<'_, VesselEngine> {
        self.vessels.write().unwrap_or_else(|e| e.into_inner())
    }

    fn vehicles_mut(&self) -> RwLockWriteGuard<'_, VehicleEngine> {
        self.vehicles.write().unwrap_or_else(|e| e.into_inner())
    }

    fn monitor(&self) -> MutexGuard<'_, Monitor> {
        self.monitor.lock().unwrap_or_else(|e| e.into_inner())
    }
}
