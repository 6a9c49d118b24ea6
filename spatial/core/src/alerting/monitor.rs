//! The monitor: geofences and behaviour detectors over one district, fed fix by fix.
//!
//! It is the one place the ingest path talks to: each new fix of a vessel or vehicle goes
//! through the fence tracker and the behaviour detectors, and [`Monitor::tick`] runs the
//! checks that fire on silence. Events without a town get the town of their location.

use std::sync::Arc;

use super::context::DetectionContext;
use super::detect::{DetectorConfig, Detectors, TerminalReport};
use super::fences::{FenceSet, FenceTracker};
use super::{AlertEvent, LocalClock, Sample, SubjectKey};
use crate::engine::{AisCandidate, CameraTrackState, VehicleState, VesselState};
use crate::model::{IdentityFlag, ObjectKind, ShipCategory};

/// A motion-only track counts as at sea this far (m) from the coastline or more.
const AT_SEA_MARGIN_M: f64 = 20.0;
use crate::{Feature, ModelError};

/// The stored geography the detectors need.
#[derive(Debug, Clone, Default)]
pub struct Geography {
    /// `risk_points` (registered docks, anchorages).
    pub risk_points: Vec<Feature>,
    /// `coastline` segments.
    pub coastline: Vec<Feature>,
    /// `areas` (towns, the district boundary).
    pub areas: Vec<Feature>,
    /// `geofences`.
    pub geofences: Vec<Feature>,
}

/// Fences and behaviour detectors with their state.
pub struct Monitor {
    fences: Arc<FenceSet>,
    tracker: FenceTracker,
    detectors: Detectors,
    context: DetectionContext,
    clock: LocalClock,
    data_clock: f64,
}

impl Monitor {
    /// A monitor with no geography yet, reading local hours on `clock`.
    pub fn new(config: DetectorConfig, clock: LocalClock) -> Self {
        Self {
            fences: Arc::new(FenceSet::default()),
            tracker: FenceTracker::new(clock.clone()),
            detectors: Detectors::new(config),
            context: DetectionContext::default(),
            clock,
            data_clock: f64::MIN,
        }
    }

    /// Replaces the geography (after an edit). Fence episodes of fences that are gone are
    /// closed into `out`; everything else keeps its state.
    pub fn set_geography(
        &mut self,
        geography: Geography,
        out: &mut Vec<AlertEvent>,
    ) -> Result<(), ModelError> {
        let fences = FenceSet::compile(&geography.geofences)?;
        self.context = DetectionContext::from_features(
            &geography.risk_points,
            &geography.coastline,
            &geography.areas,
            &geography.geofences,
        );
        self.fences = Arc::new(fences);
        self.tracker.retain(&self.fences, out);
        self.fill_towns(out, 0);
        Ok(())
    }

    /// Takes in the latest fix of a vessel.
    pub fn vessel(&mut self, state: &VesselState, out: &mut Vec<AlertEvent>) {
        let Some(fix) = state.latest() else { return };
        let sample = Sample {
            t: fix.t_epoch_s,
            lon: fix.lon,
            lat: fix.lat,
            speed_mps: fix.sog_kn.map(|s| s * crate::geodesy::MPS_PER_KN),
        };
        let from = out.len();
        let mmsi = state.mmsi.get();
        let name = state.info.name.as_deref();
        let kind = ObjectKind::Vessel(ShipCategory::from_ais_type(
            state.info.ship_type.unwrap_or(0),
        ));
        self.tracker.observe(
            &self.fences,
            &SubjectKey::vessel(mmsi),
            kind,
            name,
            &sample,
            out,
        );
        let flags: Vec<IdentityFlag> = state.flags.iter().copied().collect();
        self.detectors
            .observe_vessel(&self.context, &self.clock, mmsi, name, &flags, &sample, out);
        self.advance(sample.t);
        self.fill_towns(out, from);
    }

    /// Takes in the latest fix of a vehicle.
    pub fn vehicle(&mut self, state: &VehicleState, out: &mut Vec<AlertEvent>) {
        let Some(sample) = state.latest().copied() else {
            return;
        };
        let from = out.len();
        let vehicle = &state.vehicle;
        let plate = vehicle.plate.as_deref();
        self.tracker.observe(
            &self.fences,
            &SubjectKey::vehicle(vehicle.vehicle_id.clone()),
            ObjectKind::Vehicle(vehicle.class),
            plate,
            &sample,
            out,
        );
        self.detectors.observe_vehicle(
            &self.context,
            &self.clock,
            &vehicle.vehicle_id,
            plate,
            vehicle.class,
            vehicle.corridor_id,
            &sample,
            out,
        );
        self.advance(sample.t);
        self.fill_towns(out, from);
    }

    /// Takes in a report of a vehicle's terminal besides its fixes: `vehicle_alarm`, and
    /// what `gps_off` says of the terminal.
    pub fn terminal(
        &mut self,
        state: &VehicleState,
        report: &TerminalReport,
        out: &mut Vec<AlertEvent>,
    ) {
        let from = out.len();
        let vehicle = &state.vehicle;
        self.detectors.observe_terminal(
            &self.context,
            &vehicle.vehicle_id,
            vehicle.plate.as_deref(),
            state.latest().map(|s| s.lonlat()),
            report,
            out,
        );
        self.fill_towns(out, from);
    }

    /// Takes in the latest observation of a camera track, with the AIS vessels around it:
    /// the fences of its class, and `dark_vessel`.
    pub fn camera_track(
        &mut self,
        track: &CameraTrackState,
        candidates: &[AisCandidate],
        out: &mut Vec<AlertEvent>,
    ) {
        let obs = &track.latest;
        let sample = obs.sample();
        let from = out.len();
        self.tracker.observe(
            &self.fences,
            &SubjectKey::camera_track(track.key.clone()),
            ObjectKind::CameraTrack(obs.class),
            None,
            &sample,
            out,
        );
        let at_sea = self
            .context
            .at_sea_from(obs.camera, obs.position, AT_SEA_MARGIN_M);
        self.detectors
            .observe_camera_track(&self.context, track, candidates, at_sea, out);
        self.advance(sample.t);
        self.fill_towns(out, from);
    }

    /// Camera track `key` is no longer observed: its episodes close.
    pub fn camera_track_ended(&mut self, track: &CameraTrackState, out: &mut Vec<AlertEvent>) {
        let from = out.len();
        self.tracker
            .forget(&SubjectKey::camera_track(track.key.clone()), out);
        self.detectors.end_camera_track(&self.context, track, out);
        self.fill_towns(out, from);
    }

    /// Replaces the watch list of plates (plate, reason).
    pub fn set_watchlist(&mut self, entries: impl IntoIterator<Item = (String, String)>) {
        self.detectors.set_watchlist(entries);
    }

    /// The detectors' thresholds.
    pub fn config(&self) -> &DetectorConfig {
        self.detectors.config()
    }

    /// Runs the checks that fire on silence, at data time `now`.
    pub fn tick(&mut self, now: f64, out: &mut Vec<AlertEvent>) {
        let from = out.len();
        self.detectors.tick(&self.context, now, out);
        self.fill_towns(out, from);
    }

    /// The newest fix time seen (epoch s); `f64::MIN` before the first.
    pub fn data_clock(&self) -> f64 {
        self.data_clock
    }

    /// The town whose area contains the point.
    pub fn town_at(&self, lon: f64, lat: f64) -> Option<String> {
        self.context.town_at(lon, lat).map(str::to_owned)
    }

    /// The compiled fences.
    pub fn fences(&self) -> &FenceSet {
        &self.fences
    }

    fn advance(&mut self, t: f64) {
        self.data_clock = self.data_clock.max(t);
    }

    fn fill_towns(&self, out: &mut [AlertEvent], from: usize) {
        for event in &mut out[from..] {
            if event.town.is_none() {
                event.town = self.town_at(event.location[0], event.location[1]);
            }
        }
    }
}
