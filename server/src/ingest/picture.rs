//! The in-memory picture behind its locks. Only this type takes them, one at a time for
//! readers and, where several are needed, always in one order — vessels, vehicles, camera
//! tracks, monitor —
//! so that no two paths can deadlock. A poisoned lock (a panic while it was held) is taken
//! over: the picture is rebuilt from the store after any failed write anyway.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use coastwatch_core::alerting::monitor::Monitor;
use coastwatch_core::engine::{CameraTrackEngine, VehicleEngine, VesselEngine};
use coastwatch_core::picture::Picture;

/// The parts of a picture, in lock order.
pub struct Parts(
    pub VesselEngine,
    pub VehicleEngine,
    pub CameraTrackEngine,
    pub Monitor,
);

/// The engines and the detectors, shared by the writer, the API and the tiles.
#[derive(Clone)]
pub struct SharedPicture {
    vessels: Arc<RwLock<VesselEngine>>,
    vehicles: Arc<RwLock<VehicleEngine>>,
    camera_tracks: Arc<RwLock<CameraTrackEngine>>,
    monitor: Arc<Mutex<Monitor>>,
}

impl SharedPicture {
    /// A picture of these parts.
    pub fn new(parts: Parts) -> Self {
        let Parts(vessels, vehicles, camera_tracks, monitor) = parts;
        Self {
            vessels: Arc::new(RwLock::new(vessels)),
            vehicles: Arc::new(RwLock::new(vehicles)),
            camera_tracks: Arc::new(RwLock::new(camera_tracks)),
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

    /// The camera tracks, for reading. Take no other part of the picture while holding it.
    pub fn camera_tracks(&self) -> RwLockReadGuard<'_, CameraTrackEngine> {
        self.camera_tracks.read().unwrap_or_else(|e| e.into_inner())
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
        let mut camera_tracks = self
            .camera_tracks
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let mut monitor = self.monitor();
        f(&mut Picture {
            vessels: &mut vessels,
            vehicles: &mut vehicles,
            camera_tracks: &mut camera_tracks,
            monitor: &mut monitor,
        })
    }

    /// Replaces every part, in order (a rebuild from the store).
    pub fn replace(&self, parts: Parts) {
        let Parts(vessels, vehicles, camera_tracks, monitor) = parts;
        *self.vessels_mut() = vessels;
        *self.vehicles_mut() = vehicles;
        *self
            .camera_tracks
            .write()
            .unwrap_or_else(|e| e.into_inner()) = camera_tracks;
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
