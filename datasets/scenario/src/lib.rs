//! The demo scenario: simulated AIS and truck traffic in a district, with planted incidents
//! and their ground truth.
//!
//! [`generate`] turns a [`District`] and a [`ScenarioConfig`] into a [`Scenario`]: time-ordered
//! [`SimEvent`]s (AIVDM sentences with NMEA 4.0 `c:` tag-block times, vehicle GPS fixes,
//! public tips), the `vehicles` layer features to register, and the truth: every alert the
//! planted behaviour should raise ([`Incident`]). The same seed gives the same scenario.
//!
//! # What is simulated
//! - Background vessels sail the district's lanes: fishing boats on fishing lanes at 4–8 kn,
//!   cargo ships and tankers on transit and approach lanes at 8–14 kn, mooring at registered
//!   docks (status 5, a report every 3 min, AIS off for the last half hour before they sail
//!   again), small craft (class B) at 6–14 kn. Class A vessels send types 1/2/3 every
//!   10–15 s under way and type 5 every 6 min; class B types 18 and 24 (parts A and B)
//!   every 30 s and 6 min. Background traffic is kept clear of everything an alert rule
//!   looks for: it is never slow away from a registered dock, never silent away from one,
//!   never inside a fence, and its identities are valid.
//! - Trucks drive their route corridors at 30–60 km/h by day (a fix every 30–60 s), park
//!   at the corridor ends (a fix every 2–5 min) and stay parked at night.
//! - Planted incidents ([`IncidentCounts`]): encounters at sea, AIS gaps, loitering,
//!   unregistered landings (each with a public tip nearby), identity anomalies (a bad
//!   MMSI, no static report, a bad IMO number or an empty name), vessels entering (and
//!   dwelling in) restricted fences, trucks leaving their corridor and switching their
//!   tracker off, and trucks moving in a watch zone at night.
//!
//! # Truth
//! Behaviour incidents are listed as planted. Fence alerts (enter, exit, dwell) and the
//! vehicle rules (`route_deviation`, `gps_off`, `night_movement`) are derived from the
//! fixes actually emitted, by the fence rules of the district (classes, debounce, buffer,
//! dwell time, active hours) and the default thresholds of PRODUCT.md, so that every alert
//! the rules call for is listed, including one a planted truck raises by crossing another
//! corridor. Times are whole epoch seconds; the district's clock is Asia/Shanghai.
//!
//! [`score`] compares the alerts a replay raised with the truth per kind; the replay is the
//! server's (`coastwatch scenario eval`).
//!
//! [`video`] renders synthetic frames of the district's cameras (sea, land, vessels, people,
//! day or night) for the video pipeline.

pub mod cameras;
mod district;
mod error;
pub mod eval;
mod files;
mod generate;
mod geom;
mod nmea;
mod plan;
#[cfg(any(test, feature = "fixtures"))]
mod synthetic;
mod trucks;
mod truth;
pub mod video;
mod world;

use std::time::Duration;

use coastwatch_core::Feature;
use coastwatch_core::alerting::monitor::Geography;
use coastwatch_core::model::{AlertKind, SubjectType};
use serde::{Deserialize, Serialize};

pub use district::{DISTRICT_FILES, District};
pub use error::{Result, ScenarioError};
pub use eval::{AlertRecord, BandError, KindScore, Report, score};
pub use files::{CAMERAS_FILE, SCENARIO_FILES};
pub use generate::generate;

/// 2026-06-01 18:00 in Asia/Shanghai (10:00 UTC): a default run of 10 h covers the night.
pub const DEFAULT_START_EPOCH_S: i64 = 1_780_308_000;

/// How many incidents of each kind to plant. A kind that finds no valid place or time in
/// the district (no fence for vessels, a run that misses the night) is skipped; the
/// [`Scenario::notes`] say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentCounts {
    /// Pairs of vessels meeting at sea (`encounter`).
    pub encounters: usize,
    /// Vessels going silent at sea (`ais_gap`).
    pub ais_gaps: usize,
    /// Vessels loitering away from docks (`loitering`).
    pub loitering: usize,
    /// Vessels stopping at an unregistered shore (`unregistered_landing`), each with a
    /// public report nearby (`tip`).
    pub landings: usize,
    /// Vessels with a bad identity (`identity_anomaly`), cycling through a bad MMSI, no
    /// static report, and a bad IMO number or an empty name.
    pub identity: usize,
    /// Vessels entering a restricted fence (`geofence_enter`, `geofence_dwell`).
    pub fence_entries: usize,
    /// Trucks leaving their corridor, then switching their tracker off (`route_deviation`,
    /// `geofence_exit`, `gps_off`).
    pub deviations: usize,
    /// Trucks moving in a watch zone at night (`night_movement`).
    pub night_movements: usize,
    /// Boats with their AIS off crossing a camera's view (`dark_vessel`).
    pub dark_vessels: usize,
    /// Hulls a zoomed PTZ camera reads by day, in turn: a number that is not the AIS name
    /// (`identity_anomaly`: `name_mismatch`) and a boat without AIS or name
    /// (`identity_anomaly`: `no_visible_name`).
    #[serde(default)]
    pub hull_readings: usize,
    /// Trucks on the watch list driving past a checkpoint camera by day
    /// (`watchlist_vehicle`).
    #[serde(default)]
    pub watched_trucks: usize,
}

impl Default for IncidentCounts {
    fn default() -> Self {
        Self {
            encounters: 2,
            ais_gaps: 2,
            loitering: 2,
            landings: 2,
            identity: 3,
            fence_entries: 2,
            deviations: 2,
            night_movements: 2,
            dark_vessels: 3,
            hull_readings: 2,
            watched_trucks: 1,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioConfig {
    /// The seed: the same seed gives the same scenario.
    pub seed: u64,
    /// Start (epoch s, whole seconds).
    pub start_epoch_s: i64,
    /// Length (hours).
    pub hours: f64,
    /// Vessels in all, planted ones included.
    pub vessels: usize,
    /// Trucks in all, planted ones included.
    pub trucks: usize,
    /// Incidents to plant.
    pub incidents: IncidentCounts,
    /// The district's cameras that film (those looking at open water, longest range first).
    pub cameras: usize,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            start_epoch_s: DEFAULT_START_EPOCH_S,
            hours: 10.0,
            vessels: 60,
            trucks: 12,
            incidents: IncidentCounts::default(),
            cameras: 2,
        }
    }
}

/// One thing that happens in a scenario, at data time `t` (epoch s, whole seconds).
#[derive(Debug, Clone, PartialEq)]
pub enum SimEvent {
    /// One AIVDM sentence, prefixed by an NMEA 4.0 tag block with its time (`\c:t*hh\`).
    Nmea {
        /// Time (epoch s).
        t: f64,
        /// The line, as a live feed sends it.
        line: String,
    },
    /// A report of a vehicle's JT/T 808 terminal: a GPS fix, or (`positioned` false, while its
    /// positioning is switched off) a report without one. [`SimEvent::jt808_frame`] puts it
    /// on the wire as the terminal sends it.
    VehicleFix {
        /// Time (epoch s).
        t: f64,
        /// The tracker's id (`vehicle_id` of the `vehicles` layer).
        vehicle_id: String,
        /// Whether the terminal has a fix (else the position and speed are 0).
        positioned: bool,
        /// Longitude (deg).
        lon: f64,
        /// Latitude (deg).
        lat: f64,
        /// Speed (km/h).
        speed_kmh: f64,
        /// Heading (deg, 0–360).
        heading_deg: f64,
    },
    /// A public report, as `POST /api/v1/tips` takes it.
    Tip {
        /// Time (epoch s).
        t: f64,
        /// Longitude (deg).
        lon: f64,
        /// Latitude (deg).
        lat: f64,
        /// What the reporter saw.
        text: String,
    },
}

impl SimEvent {
    /// The event's data time (epoch s).
    pub fn t(&self) -> f64 {
        match self {
            Self::Nmea { t, .. } | Self::VehicleFix { t, .. } | Self::Tip { t, .. } => *t,
        }
    }

    /// A vehicle report as the frame its JT/T 808 terminal (2013 edition, phone number `phone`,
    /// message serial `serial`) sends: a location report (`0x0200`) with its time, position,
    /// speed and heading, status "positioned" or not and, when not, the GNSS antenna alarm of
    /// a cut antenna. `None` for other events (or a phone number that is not digits).
    pub fn jt808_frame(&self, phone: &str, serial: u16) -> Option<Vec<u8>> {
        let Self::VehicleFix {
            t,
            positioned,
            lon,
            lat,
            speed_kmh,
            heading_deg,
            ..
        } = self
        else {
            return None;
        };
        let header = coastwatch_jt808::Header {
            msg_id: 0x0200,
            version: coastwatch_jt808::Version::V2013,
            encryption: 0,
            phone: format!("{phone:0>12}"),
            serial,
            package: None,
        };
        let location = coastwatch_jt808::Location {
            alarm: if *positioned {
                0
            } else {
                1 << coastwatch_jt808::Alarm::GnssAntennaCut.bit()
            },
            // ACC on; positioned
            status: 1 | if *positioned { 2 } else { 0 },
            lat: *lat,
            lon: *lon,
            altitude_m: 0,
            speed_kmh: *speed_kmh,
            direction_deg: heading_deg.round() as u16 % 360,
            t_epoch_s: Some(*t as i64),
            extras: Vec::new(),
        };
        let mut body = Vec::new();
        location.encode_into(&mut body).ok()?;
        coastwatch_jt808::encode(&header, &body).ok()
    }

    /// Order of kinds at equal times (NMEA, vehicle fixes, tips), as the files are merged.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::Nmea { .. } => 0,
            Self::VehicleFix { .. } => 1,
            Self::Tip { .. } => 2,
        }
    }
}

/// The JT/T 808 terminals of a scenario's vehicles: each vehicle's phone number and the serial
/// of its next message.
#[derive(Debug, Clone)]
pub struct Terminals(std::collections::HashMap<String, (String, u16)>);

impl Terminals {
    /// The frame a vehicle report is sent as by its vehicle's terminal (the next serial);
    /// `None` for other events and for a vehicle without a terminal.
    pub fn frame(&mut self, event: &SimEvent) -> Option<Vec<u8>> {
        let SimEvent::VehicleFix { vehicle_id, .. } = event else {
            return None;
        };
        let (phone, serial) = self.0.get_mut(vehicle_id)?;
        let frame = event.jt808_frame(phone, *serial);
        *serial = serial.wrapping_add(1);
        frame
    }
}

/// One alert the scenario should raise: the truth an evaluation scores against.
///
/// In `truth.json` each is `{kind, subject: {type, id}, window: [start, end], location:
/// [lon, lat], note}`, with `other_id` (the other vessel of an encounter), `fence_id`
/// (fence alerts) and `camera_id` (what only a camera's video shows) when they apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "IncidentJson", from = "IncidentJson")]
pub struct Incident {
    /// The alert kind.
    pub kind: AlertKind,
    /// What the alert is about.
    pub subject_type: SubjectType,
    /// Its id: the MMSI (for an encounter the lower one), the vehicle id, or `tip`.
    pub subject_id: String,
    /// When the behaviour begins (epoch s).
    pub start: f64,
    /// When it ends (epoch s).
    pub end: f64,
    /// Where (lon, lat).
    pub location: [f64; 2],
    /// What was planted, in words.
    pub note: String,
    /// The other vessel of an encounter (its MMSI).
    pub other_id: Option<String>,
    /// The fence of a fence alert.
    pub fence_id: Option<i64>,
    /// For `gps_off`: what the vehicle's JT/T 808 terminal did meanwhile, as the alert's
    /// evidence must say it: `positioning_off` (reporting without a fix) or `silent`.
    pub terminal: Option<String>,
    /// The camera whose video alone shows it (`dark_vessel`, hulls read).
    pub camera_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SubjectJson {
    #[serde(rename = "type")]
    kind: SubjectType,
    id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IncidentJson {
    kind: AlertKind,
    subject: SubjectJson,
    window: [f64; 2],
    location: [f64; 2],
    note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    other_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fence_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    terminal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    camera_id: Option<i64>,
}

impl From<Incident> for IncidentJson {
    fn from(i: Incident) -> Self {
        Self {
            kind: i.kind,
            subject: SubjectJson {
                kind: i.subject_type,
                id: i.subject_id,
            },
            window: [i.start, i.end],
            location: i.location,
            note: i.note,
            other_id: i.other_id,
            fence_id: i.fence_id,
            terminal: i.terminal,
            camera_id: i.camera_id,
        }
    }
}

impl From<IncidentJson> for Incident {
    fn from(j: IncidentJson) -> Self {
        Self {
            kind: j.kind,
            subject_type: j.subject.kind,
            subject_id: j.subject.id,
            start: j.window[0],
            end: j.window[1],
            location: j.location,
            note: j.note,
            other_id: j.other_id,
            fence_id: j.fence_id,
            terminal: j.terminal,
            camera_id: j.camera_id,
        }
    }
}

/// A generated (or read back) scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The seed it was generated with.
    pub seed: u64,
    /// Start (epoch s).
    pub start: f64,
    /// End (epoch s).
    pub end: f64,
    /// Everything that happens, in time order.
    pub events: Vec<SimEvent>,
    /// The alerts it should raise, by start time.
    pub truth: Vec<Incident>,
    /// The `vehicles` layer features to register before replaying (valid for
    /// [`Layer::Vehicles`](coastwatch_core::Layer::Vehicles), with ids).
    pub vehicles: Vec<Feature>,
    /// The district layers the detectors need (fences, risk points, coastline, areas).
    pub geography: Geography,
    /// What the generator could not plant, and why.
    pub notes: Vec<String>,
    /// The cameras that film and what they see (the video is rendered from it).
    pub cameras: cameras::CameraScene,
}

impl Scenario {
    /// The events with their wall-clock offset from the start of a replay at `speed`
    /// times real time (`speed` ≤ 0 is taken as 1).
    pub fn paced(&self, speed: f64) -> impl Iterator<Item = (Duration, &SimEvent)> + '_ {
        let speed = if speed > 0.0 { speed } else { 1.0 };
        self.events.iter().map(move |e| {
            let offset = ((e.t() - self.start) / speed).max(0.0);
            (Duration::from_secs_f64(offset), e)
        })
    }

    /// The vehicles' JT/T 808 terminals, to put their reports on the wire.
    pub fn terminals(&self) -> Terminals {
        let phones = self
            .vehicles
            .iter()
            .filter_map(|v| {
                let id = v.properties.get("vehicle_id")?.as_str()?;
                let phone = v.properties.get("terminal_id")?.as_str()?;
                Some((id.to_owned(), (phone.to_owned(), 0)))
            })
            .collect();
        Terminals(phones)
    }

    /// The number of events of each kind: NMEA lines, vehicle fixes, tips.
    pub fn counts(&self) -> (usize, usize, usize) {
        self.events.iter().fold((0, 0, 0), |(n, v, t), e| match e {
            SimEvent::Nmea { .. } => (n + 1, v, t),
            SimEvent::VehicleFix { .. } => (n, v + 1, t),
            SimEvent::Tip { .. } => (n, v, t + 1),
        })
    }
}
