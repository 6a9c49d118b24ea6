//! The thresholds of the behaviour detectors, with the defaults of PRODUCT.md ("Alerts").

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::engine::MatchGate;
use crate::model::{ActiveHours, Severity, VehicleClass};

/// Thresholds of the behaviour detectors. Durations are in minutes, distances in metres,
/// vessel speeds in knots and vehicle speeds in km/h. Every field has the default of
/// PRODUCT.md ("Alerts"), so a configuration names only what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// `ais_gap`: a vessel silent this long (min) is in a gap. It also ends the motion
    /// history of a vessel (loitering window, stop): what happened in the dark is unknown.
    pub ais_gap_min: f64,
    /// `ais_gap`: the last fix must be at least this far (m) from every registered dock.
    pub gap_dock_m: f64,
    /// `encounter`: the two vessels are at most this far apart (m).
    pub encounter_distance_m: f64,
    /// `encounter`: for at least this long (min).
    pub encounter_min: f64,
    /// `encounter`: both slower than this (kn).
    pub encounter_max_kn: f64,
    /// `encounter`: both at least this far (m) from every registered dock.
    pub encounter_dock_m: f64,
    /// `loitering`: the mean speed over the window is below this (kn).
    pub loiter_max_kn: f64,
    /// `loitering`: the window (min); the vessel's history must span at least this long.
    pub loiter_min: f64,
    /// `loitering`: at least this far (m) from every registered dock and anchorage.
    pub loiter_dock_m: f64,
    /// `unregistered_landing`: a vessel slower than this (kn) has stopped.
    pub landing_max_kn: f64,
    /// `unregistered_landing`: stopped for at least this long (min).
    pub landing_min: f64,
    /// `unregistered_landing`: within this distance (m) of the coastline.
    pub landing_coast_m: f64,
    /// `unregistered_landing`: at least this far (m) from every registered dock.
    pub landing_dock_m: f64,
    /// `identity_anomaly`: two positions implying more than this speed (kn) are a jump
    /// (checked by the AIS core, which raises the `impossible_speed` flag).
    pub identity_speed_kn: f64,
    /// `identity_anomaly`: a static report is due within this long (min) of the first
    /// position (checked by the AIS core: `no_static_report`).
    pub identity_static_min: f64,
    /// `route_deviation`: consecutive fixes outside the corridor before it fires.
    pub route_min_fixes: u32,
    /// `route_deviation`: corridor width (m) when the corridor fence has none.
    pub corridor_width_m: f64,
    /// `gps_off`: a watched vehicle silent this long (min) has switched its tracker off.
    pub gps_off_min: f64,
    /// `gps_off`, `night_movement`: a vehicle at or above this speed (km/h) is moving.
    pub moving_kmh: f64,
    /// `night_movement`: the night, in the district's local time.
    pub night_hours: ActiveHours,
    /// `route_deviation`, `gps_off`, `night_movement`: the vehicle classes watched.
    pub watched_classes: Vec<VehicleClass>,
    /// `dark_vessel`: a camera track unmatched to AIS this long (s) is a dark vessel.
    pub dark_vessel_s: f64,
    /// `dark_vessel`: linked to the `ais_gap` of a vessel whose last fix lies this close (m).
    pub dark_link_m: f64,
    /// `dark_vessel`: how camera tracks are matched to AIS vessels.
    pub dark_gate: MatchGate,
    /// `vehicle_alarm`: the terminal alarms (JT/T 808 alarm bits by name) that raise one;
    /// by default those of tampering and emergencies, not driving behaviour.
    pub vehicle_alarms: Vec<String>,
    /// Camera readings (`identity_anomaly` from hull markings, `watchlist_vehicle`, sightings
    /// in `gps_off`) count from this vote confidence (0–1).
    pub reading_min_confidence: f32,
    /// Reads a camera's vote needs before `name_mismatch` or `no_visible_name` (readings of
    /// one look can be wrong; a plate on the watch list needs one).
    pub reading_min_reads: u32,
    /// Least data time (min) between two updates of an open episode; new facts that
    /// change the alert (an identity flag) are sent at once.
    pub update_min: f64,
    /// The severity of each kind of alert.
    pub severity: Severities,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            ais_gap_min: 30.0,
            gap_dock_m: 1000.0,
            encounter_distance_m: 500.0,
            encounter_min: 30.0,
            encounter_max_kn: 2.0,
            encounter_dock_m: 1000.0,
            loiter_max_kn: 2.0,
            loiter_min: 60.0,
            loiter_dock_m: 1000.0,
            landing_max_kn: 0.5,
            landing_min: 10.0,
            landing_coast_m: 200.0,
            landing_dock_m: 500.0,
            identity_speed_kn: crate::identity::MAX_PLAUSIBLE_SPEED_KN,
            identity_static_min: crate::identity::STATIC_REPORT_WINDOW_S / 60.0,
            route_min_fixes: 2,
            corridor_width_m: 50.0,
            gps_off_min: 10.0,
            moving_kmh: 5.0,
            night_hours: ActiveHours {
                start: 22 * 60,
                end: 5 * 60,
            },
            watched_classes: vec![VehicleClass::TankTruck, VehicleClass::ContainerTruck],
            dark_vessel_s: 20.0,
            dark_link_m: 2000.0,
            dark_gate: MatchGate::default(),
            vehicle_alarms: [
                "emergency",
                "gnss_module_fault",
                "gnss_antenna_cut",
                "gnss_antenna_short",
                "main_power_cut",
                "vehicle_stolen",
                "illegal_ignition",
                "illegal_displacement",
                "illegal_door_open",
            ]
            .map(String::from)
            .to_vec(),
            reading_min_confidence: 0.5,
            reading_min_reads: 2,
            update_min: 5.0,
            severity: Severities::default(),
        }
    }
}

impl DetectorConfig {
    /// The limits of the identity checks the AIS core makes (`impossible_speed`,
    /// `no_static_report`).
    pub fn identity_limits(&self) -> crate::identity::Limits {
        crate::identity::Limits {
            max_speed_kn: self.identity_speed_kn,
            static_report_s: self.identity_static_min * 60.0,
        }
    }

    /// Checks the numbers that serde cannot: durations, speed limits and the encounter
    /// and coast distances are positive; dock distances, `moving_kmh` and `update_min`
    /// are not negative; `route_min_fixes` is at least 1.
    pub fn check(&self) -> Result<(), ModelError> {
        let positive = [
            ("ais_gap_min", self.ais_gap_min),
            ("encounter_distance_m", self.encounter_distance_m),
            ("encounter_min", self.encounter_min),
            ("encounter_max_kn", self.encounter_max_kn),
            ("loiter_max_kn", self.loiter_max_kn),
            ("loiter_min", self.loiter_min),
            ("landing_max_kn", self.landing_max_kn),
            ("landing_min", self.landing_min),
            ("landing_coast_m", self.landing_coast_m),
            ("identity_speed_kn", self.identity_speed_kn),
            ("identity_static_min", self.identity_static_min),
            ("corridor_width_m", self.corridor_width_m),
            ("gps_off_min", self.gps_off_min),
            ("dark_vessel_s", self.dark_vessel_s),
        ];
        for (what, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ModelError::OutOfRange {
                    what,
                    value,
                    rule: "must be greater than 0",
                });
            }
        }
        let non_negative = [
            ("gap_dock_m", self.gap_dock_m),
            ("encounter_dock_m", self.encounter_dock_m),
            ("loiter_dock_m", self.loiter_dock_m),
            ("landing_dock_m", self.landing_dock_m),
            ("moving_kmh", self.moving_kmh),
            ("update_min", self.update_min),
            ("dark_link_m", self.dark_link_m),
        ];
        for (what, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ModelError::OutOfRange {
                    what,
                    value,
                    rule: "must not be negative",
                });
            }
        }
        if !(0.0..=1.0).contains(&self.reading_min_confidence) {
            return Err(ModelError::OutOfRange {
                what: "reading_min_confidence",
                value: f64::from(self.reading_min_confidence),
                rule: "must lie between 0 and 1",
            });
        }
        if self.route_min_fixes == 0 {
            return Err(ModelError::OutOfRange {
                what: "route_min_fixes",
                value: 0.0,
                rule: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// The severity of each kind of behaviour alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Severities {
    /// `ais_gap` (default warning).
    pub ais_gap: Severity,
    /// `encounter` (default critical).
    pub encounter: Severity,
    /// `loitering` (default warning).
    pub loitering: Severity,
    /// `unregistered_landing` (default critical).
    pub unregistered_landing: Severity,
    /// `identity_anomaly` (default info).
    pub identity_anomaly: Severity,
    /// `route_deviation` (default warning).
    pub route_deviation: Severity,
    /// `gps_off` (default warning).
    pub gps_off: Severity,
    /// `night_movement` (default warning).
    pub night_movement: Severity,
    /// `dark_vessel` (default critical).
    pub dark_vessel: Severity,
    /// `vehicle_alarm` (default critical).
    pub vehicle_alarm: Severity,
    /// `watchlist_vehicle` (default critical).
    pub watchlist_vehicle: Severity,
}

impl Default for Severities {
    fn default() -> Self {
        Self {
            ais_gap: Severity::Warning,
            encounter: Severity::Critical,
            loitering: Severity::Warning,
            unregistered_landing: Severity::Critical,
            identity_anomaly: Severity::Info,
            route_deviation: Severity::Warning,
            gps_off: Severity::Warning,
            night_movement: Severity::Warning,
            dark_vessel: Severity::Critical,
            vehicle_alarm: Severity::Critical,
            watchlist_vehicle: Severity::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_partial_configs() {
        let config = DetectorConfig::default();
        config.check().unwrap();
        let text = serde_json::to_string(&config).unwrap();
        assert!(
            text.contains(r#""night_hours":{"start":"22:00","end":"05:00"}"#),
            "{text}"
        );
        assert!(text.contains(r#""watched_classes":["tank_truck","container_truck"]"#));
        assert_eq!(
            serde_json::from_str::<DetectorConfig>(&text).unwrap(),
            config
        );

        let partial: DetectorConfig =
            serde_json::from_str(r#"{"encounter_min": 45, "severity": {"ais_gap": "critical"}}"#)
                .unwrap();
        assert_eq!(partial.encounter_min, 45.0);
        assert_eq!(partial.loiter_min, 60.0);
        assert_eq!(partial.severity.ais_gap, Severity::Critical);
        assert_eq!(partial.severity.encounter, Severity::Critical);
        assert_eq!(partial.severity.identity_anomaly, Severity::Info);

        assert!(serde_json::from_str::<DetectorConfig>(r#"{"encounter_minutes": 45}"#).is_err());
        let bad: DetectorConfig = serde_json::from_str(r#"{"loiter_min": 0}"#).unwrap();
        assert!(bad.check().is_err());
        let bad: DetectorConfig = serde_json::from_str(r#"{"gap_dock_m": -1}"#).unwrap();
        assert!(bad.check().is_err());
        let bad: DetectorConfig = serde_json::from_str(r#"{"route_min_fixes": 0}"#).unwrap();
        assert!(bad.check().is_err());
    }
}
