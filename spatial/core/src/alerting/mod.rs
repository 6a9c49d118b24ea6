//! Alerting: what fences and behaviour detectors emit, and the vocabulary they share.
//!
//! Detectors see moving objects as a stream of [`Sample`]s per [`SubjectKey`] and emit
//! [`AlertEvent`]s. An event belongs to one episode ([`EpisodeKey`]): the first event of an
//! episode opens it, later ones update it, the last one closes it. The alert book turns
//! episodes into persisted alerts, one alert per episode.

pub mod book;
pub mod context;
pub mod detect;
pub mod fences;
pub mod monitor;

pub use context::{DetectionContext, PointIndex};
pub use detect::{DetectorConfig, Detectors, Severities, TerminalReport};
pub use fences::{FenceSet, FenceTracker};

use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use crate::model::{AlertKind, FeatureId, Severity, SubjectType};

/// Which object: its type and id (MMSI as decimal text, vehicle id, track id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectKey {
    /// The kind of object.
    pub kind: SubjectType,
    /// Its id.
    pub id: String,
}

impl SubjectKey {
    /// A vessel by MMSI.
    pub fn vessel(mmsi: u32) -> Self {
        Self {
            kind: SubjectType::Vessel,
            id: mmsi.to_string(),
        }
    }

    /// A vehicle by its tracker id.
    pub fn vehicle(id: impl Into<String>) -> Self {
        Self {
            kind: SubjectType::Vehicle,
            id: id.into(),
        }
    }

    /// A camera track by its key (`{camera_id}/{track_id}`).
    pub fn camera_track(key: impl Into<String>) -> Self {
        Self {
            kind: SubjectType::CameraTrack,
            id: key.into(),
        }
    }
}

/// One position of a moving object, as detectors see it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    /// Time (epoch s).
    pub t: f64,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Speed over ground (m/s), when reported.
    pub speed_mps: Option<f64>,
}

impl Sample {
    /// The position as `[lon, lat]`.
    pub fn lonlat(&self) -> [f64; 2] {
        [self.lon, self.lat]
    }
}

/// Identifies an episode: events with the same key belong to the same alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpisodeKey {
    /// The alert kind.
    pub kind: AlertKind,
    /// The object the alert is about.
    pub subject: SubjectKey,
    /// What else tells episodes of one kind and subject apart: the fence id of fence
    /// alerts, the other MMSI of an encounter; empty otherwise.
    pub scope: String,
}

/// Where an event stands in its episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The episode begins: raise an alert.
    Open,
    /// New evidence for an open episode.
    Update,
    /// The episode is over (the alert itself stays until a dispatcher resolves it).
    Close,
}

/// What a detector emits.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    /// The episode.
    pub key: EpisodeKey,
    /// Open, update or close.
    pub phase: Phase,
    /// Data time of the event (epoch s): for `Open`, when the episode began.
    pub t: f64,
    /// Where (lon, lat).
    pub location: [f64; 2],
    /// How urgent.
    pub severity: Severity,
    /// The fence involved, for fence alerts.
    pub fence_id: Option<FeatureId>,
    /// The town, when the detector knows it (a fence's town); otherwise the book looks
    /// it up from the location.
    pub town: Option<String>,
    /// The subject's name, when known (vessel name, plate).
    pub name: Option<String>,
    /// Kind-specific numbers; an update's evidence is merged over the earlier evidence.
    pub evidence: Map<String, Value>,
}

/// The district's local clock, for active hours and night hours.
#[derive(Debug, Clone)]
pub struct LocalClock {
    zone: TimeZone,
}

impl LocalClock {
    /// The clock of an IANA time zone such as `Asia/Shanghai`.
    pub fn new(zone: &str) -> Result<Self, crate::ModelError> {
        TimeZone::get(zone)
            .map(|zone| Self { zone })
            .map_err(|e| crate::ModelError::invalid("time zone", e.to_string()))
    }

    /// UTC.
    pub fn utc() -> Self {
        Self {
            zone: TimeZone::UTC,
        }
    }

    /// The local calendar year at epoch second `t`.
    pub fn year(&self, t: i64) -> i32 {
        jiff::Timestamp::from_second(t)
            .map(|ts| i32::from(ts.to_zoned(self.zone.clone()).year()))
            .unwrap_or(1970)
    }

    /// Minutes after local midnight at epoch second `t`.
    pub fn minute_of_day(&self, t: f64) -> u16 {
        let seconds = t.floor() as i64;
        let offset = jiff::Timestamp::from_second(seconds)
            .map(|ts| self.zone.to_offset(ts).seconds())
            .unwrap_or(0);
        (((seconds + i64::from(offset)).rem_euclid(86_400)) / 60) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_minutes_in_china_standard_time() {
        let clock = LocalClock::new("Asia/Shanghai").unwrap();
        // 2026-06-01T14:30:00Z is 22:30 in Shanghai (UTC+8, no daylight saving)
        let t = 1_780_324_200.0;
        assert_eq!(LocalClock::utc().minute_of_day(t), 14 * 60 + 30);
        assert_eq!(clock.minute_of_day(t), 22 * 60 + 30);
        assert!(LocalClock::new("Mars/Olympus").is_err());
    }
}
