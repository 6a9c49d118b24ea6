//! The one ingest step. The server's ingest writer (and through it `ais replay` and the demo)
//! and the scenario evaluator all apply updates through [`Picture`], so that what a vessel's
//! identity flags are and when the monitor sees a fix is decided in one place.

use crate::alerting::monitor::Monitor;
use crate::alerting::{AlertEvent, Sample, TerminalReport};
use crate::engine::{
    Applied, CameraObservation, CameraTrackEngine, CameraTrackState, FixRefused, VehicleEngine,
    VesselEngine, VesselUpdate,
};
use crate::identity::identity_flags;
use crate::model::Mmsi;

/// The in-memory picture as one ingest step changes it: the vessel and vehicle engines and
/// the monitor, borrowed together. The server keeps them behind separate locks so that
/// readers of one need not wait for the others, and takes them in this order: vessels,
/// vehicles, camera tracks, monitor.
pub struct Picture<'a> {
    /// Latest positions and tracks of the vessels.
    pub vessels: &'a mut VesselEngine,
    /// Registered vehicles and their routes.
    pub vehicles: &'a mut VehicleEngine,
    /// What the cameras see.
    pub camera_tracks: &'a mut CameraTrackEngine,
    /// Fences and behaviour detectors.
    pub monitor: &'a mut Monitor,
}

impl Picture<'_> {
    /// Applies a vessel update, raises the vessel's identity flags, and hands a position that
    /// became the vessel's latest to the monitor, whose events go to `events`.
    pub fn vessel(&mut self, update: VesselUpdate, events: &mut Vec<AlertEvent>) -> Applied {
        let mmsi = update.mmsi();
        let position = matches!(update, VesselUpdate::Position { .. });
        let applied = self.vessels.apply(update);
        let Some(state) = self.vessels.get(mmsi) else {
            return applied;
        };
        let flags = identity_flags(state, self.monitor.config().identity_limits());
        self.vessels.flag(mmsi, flags);
        if position
            && applied == Applied::Latest
            && let Some(state) = self.vessels.get(mmsi)
        {
            self.monitor.vessel(state, events);
        }
        applied
    }

    /// Applies a fix of a registered vehicle and hands it to the monitor, whose events go to
    /// `events`; a fix the engine refuses (unknown vehicle, not newer) changes nothing.
    pub fn vehicle(
        &mut self,
        vehicle_id: &str,
        sample: Sample,
        heading_deg: Option<f64>,
        events: &mut Vec<AlertEvent>,
    ) -> Result<(), FixRefused> {
        let state = self.vehicles.apply(vehicle_id, sample, heading_deg)?;
        self.monitor.vehicle(state, events);
        Ok(())
    }

    /// Applies a report of a vehicle's terminal (alive, positioned or not, its alarms).
    pub fn terminal(
        &mut self,
        vehicle_id: &str,
        report: &TerminalReport,
        events: &mut Vec<AlertEvent>,
    ) -> Result<(), FixRefused> {
        let state = self
            .vehicles
            .get(vehicle_id)
            .ok_or_else(|| FixRefused::UnknownVehicle(vehicle_id.to_owned()))?;
        self.monitor.terminal(state, report, events);
        Ok(())
    }

    /// Applies a camera observation: matches it to the AIS vessels dead-reckoned to its time
    /// (a match sets the track's `matched_mmsi`) and hands it to the monitor. An observation
    /// not newer than its track's latest changes nothing (`false`).
    pub fn camera_track(&mut self, obs: CameraObservation, events: &mut Vec<AlertEvent>) -> bool {
        let candidates = self
            .monitor
            .config()
            .dark_gate
            .candidates(&obs, self.vessels);
        let Some(track) = self.camera_tracks.apply(obs) else {
            return false;
        };
        if let Some(matched) = candidates.iter().find(|c| c.in_gate) {
            track.matched_mmsi = Mmsi::try_from(i64::from(matched.mmsi)).ok();
        }
        self.monitor.camera_track(track, &candidates, events);
        true
    }

    /// Forgets the camera tracks not observed lately (at data time `now`), closing their
    /// episodes; returns them.
    pub fn end_camera_tracks(
        &mut self,
        now: f64,
        events: &mut Vec<AlertEvent>,
    ) -> Vec<CameraTrackState> {
        let ended = self.camera_tracks.evict(now);
        for track in &ended {
            self.monitor.camera_track_ended(track, events);
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use h3o::Resolution;

    use super::*;
    use crate::alerting::LocalClock;
    use crate::alerting::detect::DetectorConfig;
    use crate::engine::Fix;
    use crate::model::IdentityFlag;

    /// The flags a vessel has after two fixes 2 km and 60 s apart (65 kn), the second 10 min
    /// after the first position and no static report, under `config`.
    fn flags_after_a_dash(config: DetectorConfig) -> Vec<IdentityFlag> {
        let mut vessels = VesselEngine::new(3600.0, Resolution::Nine);
        let mut vehicles = VehicleEngine::new(3600.0);
        let mut camera_tracks = CameraTrackEngine::new(3600.0);
        let mut monitor = Monitor::new(config, LocalClock::utc());
        let mut picture = Picture {
            vessels: &mut vessels,
            vehicles: &mut vehicles,
            camera_tracks: &mut camera_tracks,
            monitor: &mut monitor,
        };
        let mmsi = Mmsi::from_bits(412_345_678);
        let fix = |t_epoch_s, lat| Fix {
            t_epoch_s,
            lon: 121.6,
            lat,
            sog_kn: None,
            cog_deg: None,
            heading_deg: None,
            nav_status: None,
        };
        let mut events = Vec::new();
        for fix in [fix(0.0, 29.5), fix(540.0, 29.5), fix(600.0, 29.518)] {
            picture.vessel(VesselUpdate::Position { mmsi, fix }, &mut events);
        }
        let flags = picture.vessels.get(mmsi).unwrap().flags.iter().copied();
        flags.collect()
    }

    #[test]
    fn the_identity_checks_follow_the_detector_settings() {
        assert_eq!(
            flags_after_a_dash(DetectorConfig::default()),
            vec![IdentityFlag::ImpossibleSpeed]
        );
        let other = DetectorConfig {
            identity_speed_kn: 80.0,
            identity_static_min: 5.0,
            ..DetectorConfig::default()
        };
        assert_eq!(
            flags_after_a_dash(other),
            vec![IdentityFlag::NoStaticReport]
        );
    }
}
