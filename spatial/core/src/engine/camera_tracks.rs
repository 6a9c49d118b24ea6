//! The in-memory camera-track picture: what the cameras see, on the map.
//!
//! A camera track is one object followed by one camera. Each observation places its foot
//! point on the ground (see [`crate::georef`]): a position with a bearing from the camera,
//! which is good, and a range, which is poor far out. Tracks that stop being observed are
//! forgotten after [`CameraTrackEngine::linger_s`].

use std::collections::{HashMap, VecDeque};

use geo::{Coord, LineString};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alerting::Sample;
use crate::engine::VesselEngine;
use crate::geodesy::{self, MPS_PER_KN};
use crate::identity::markings::{self, Marking};
use crate::model::{FeatureId, Mmsi, TrackClass};
use crate::{Feature, Layer};

/// One georeferenced observation of a camera track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraObservation {
    /// The camera's `cameras` feature id.
    pub camera_id: FeatureId,
    /// The track's id, unique for the camera (the server's cameras add their session).
    pub track_id: String,
    /// What the video core saw.
    pub class: TrackClass,
    /// Time (epoch s).
    pub t: f64,
    /// Where the camera is (lon, lat).
    pub camera: [f64; 2],
    /// Estimated ground position (lon, lat).
    pub position: [f64; 2],
    /// Range from the camera (m).
    pub range_m: f64,
    /// Bearing from the camera (deg clockwise from north).
    pub bearing_deg: f64,
    /// One standard deviation of the range (m).
    pub range_sigma_m: f64,
    /// How much nearer than `range_m` the object may be (m): an unrecognised object's lowest
    /// pixel may be above the waterline (lights at night). 0 for a foot point.
    #[serde(default)]
    pub range_nearer_m: f64,
    /// How much farther than `range_m` the object may be beyond `range_sigma_m` (m): near the
    /// horizon a pixel's range error grows lopsided ([`crate::georef::GroundPoint::farther_m`]).
    #[serde(default)]
    pub range_farther_m: f64,
    /// One standard deviation of the bearing (deg).
    pub bearing_sigma_deg: f64,
    /// Detection score (0–1).
    pub score: f32,
    /// The box in the frame `[x, y, w, h]` (px), when it came from a frame.
    pub bbox: Option<[f32; 4]>,
    /// What OCR read on the track's best crops so far, when it has read any.
    #[serde(default)]
    pub reading: Option<Reading>,
}

/// What OCR read on a track's best crops (a hull number, a name, a plate), voted over its
/// reads. Only crops large enough to show a marking are read, so `reads > 0` with no `text`
/// means a legible view with nothing written on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// The marking the reads agreed on, normalised ([`crate::identity::markings::normalize`]:
    /// `浙岱渔03318`, `浙B12345`); `None` when no read found one.
    pub text: Option<String>,
    /// How sure the vote is (0–1): the share of reads that gave `text` (or found nothing)
    /// times their mean OCR confidence.
    pub confidence: f32,
    /// Crops read.
    pub reads: u32,
}

impl Reading {
    /// The plate it read, when the marking is a number plate.
    pub fn plate(&self) -> Option<&str> {
        let text = self.text.as_deref()?;
        matches!(markings::parse(text), Some(Marking::Plate { .. })).then_some(text)
    }

    /// The hull marking it read (a fishing-vessel number or a name), when it is not a plate.
    pub fn hull_text(&self) -> Option<&str> {
        let text = self.text.as_deref()?;
        (self.plate().is_none()).then_some(text)
    }
}

impl CameraObservation {
    /// The subject id of the track: `{camera_id}/{track_id}`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.camera_id, self.track_id)
    }

    /// Its estimated position as a detectors' sample (no speed: a camera measures none).
    pub fn sample(&self) -> Sample {
        Sample {
            t: self.t,
            lon: self.position[0],
            lat: self.position[1],
            speed_mps: None,
        }
    }
}

/// An AIS vessel as a camera observation sees it: its dead-reckoned position at the
/// observation's time and how far that lies from what the camera measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AisCandidate {
    /// The vessel.
    pub mmsi: u32,
    /// Its name, when known.
    pub name: Option<String>,
    /// Its call sign, when known.
    pub callsign: Option<String>,
    /// Where it should be now (lon, lat), from its last fix.
    pub predicted: [f64; 2],
    /// Seconds since its last fix.
    pub age_s: f64,
    /// Predicted bearing minus observed bearing (deg, −180..180).
    pub bearing_residual_deg: f64,
    /// Predicted range minus observed range (m).
    pub range_residual_m: f64,
    /// Whether it lies inside the gate (bearing first, then range).
    pub in_gate: bool,
    /// Residuals over their gates, combined: below 1 is inside.
    pub gate_ratio: f64,
}

/// Drift (m/s) of a vessel that reported no speed: AIS speed's resolution, 0.1 kn.
pub const STILL_DRIFT_MPS: f64 = 0.05;
/// Speed (kn) at or below which a vessel reported no speed.
const STILL_KN: f64 = 0.2;

/// How an observation is matched to AIS vessels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchGate {
    /// Gate width in standard deviations of the observation.
    pub sigmas: f64,
    /// Least bearing gate (deg): the boat's own width and the camera's aim.
    pub min_bearing_deg: f64,
    /// A vessel's last fix older than this (s) predicts nothing.
    pub max_age_s: f64,
    /// Dead-reckoning error (m) per second since the last fix of a vessel under way, on top
    /// of `base_m`. One that reported no speed stays where it reported (AIS speed resolution,
    /// `STILL_DRIFT_MPS`) until it reports again: vessels that get under way report every
    /// few seconds.
    pub drift_mps: f64,
    /// Position error (m) of an AIS fix.
    pub base_m: f64,
}

impl Default for MatchGate {
    fn default() -> Self {
        Self {
            sigmas: 3.0,
            min_bearing_deg: 1.5,
            max_age_s: 600.0,
            drift_mps: 0.5,
            base_m: 30.0,
        }
    }
}

impl MatchGate {
    /// The AIS vessels around an observation (those that could have reached it since their
    /// last fix), nearest by gate ratio first.
    pub fn candidates(&self, obs: &CameraObservation, vessels: &VesselEngine) -> Vec<AisCandidate> {
        // a vessel seen `max_age_s` ago at 30 kn may have come this far
        let reach = (self.sigmas * obs.range_sigma_m).max(obs.range_farther_m)
            + 30.0 * MPS_PER_KN * self.max_age_s;
        let around = crate::alerting::context::envelope_around(obs.position, reach);
        let bbox = geo::Rect::new(
            Coord {
                x: around.lower()[0],
                y: around.lower()[1],
            },
            Coord {
                x: around.upper()[0],
                y: around.upper()[1],
            },
        );
        let mut out: Vec<AisCandidate> = vessels
            .in_bbox(bbox)
            .filter_map(|vessel| {
                let fix = vessel.latest()?;
                let age_s = obs.t - fix.t_epoch_s;
                if !(-60.0..=self.max_age_s).contains(&age_s) {
                    return None;
                }
                // a vessel that reported no speed is where it reported, and stays there
                let still = fix.sog_kn.is_some_and(|sog| sog <= STILL_KN);
                let predicted = match (fix.sog_kn, fix.cog_deg) {
                    (Some(sog), Some(cog)) if age_s > 0.0 && sog > STILL_KN => {
                        geodesy::destination([fix.lon, fix.lat], cog, sog * MPS_PER_KN * age_s)
                    }
                    _ => [fix.lon, fix.lat],
                };
                let range = geodesy::distance_m(obs.camera, predicted);
                let bearing = geodesy::bearing_deg(obs.camera, predicted);
                let bearing_residual_deg =
                    (bearing - obs.bearing_deg + 540.0).rem_euclid(360.0) - 180.0;
                let range_residual_m = range - obs.range_m;
                let drift_mps = if still {
                    STILL_DRIFT_MPS
                } else {
                    self.drift_mps
                };
                let spread_m = self.base_m + drift_mps * age_s.max(0.0);
                // the prediction's own spread, as an angle at its range
                let spread_deg = (spread_m / range.max(1.0)).atan().to_degrees();
                let bearing_gate =
                    (self.sigmas * obs.bearing_sigma_deg).max(self.min_bearing_deg) + spread_deg;
                let range_gate = if range_residual_m < 0.0 {
                    // nearer than the waterline reading is allowed as far as the object's
                    // unknown height allows, with the range error of that nearest reading: a
                    // pixel's range error grows with the square of the range (at least 5 %)
                    let sigma_m = if obs.range_nearer_m > 0.0 {
                        let nearest_m = (obs.range_m - obs.range_nearer_m).max(0.0);
                        let share = nearest_m / obs.range_m.max(1.0);
                        (obs.range_sigma_m * share * share).max(0.05 * nearest_m)
                    } else {
                        obs.range_sigma_m
                    };
                    self.sigmas * sigma_m + spread_m + obs.range_nearer_m
                } else {
                    (self.sigmas * obs.range_sigma_m).max(obs.range_farther_m) + spread_m
                };
                let b = bearing_residual_deg.abs() / bearing_gate;
                let r = range_residual_m.abs() / range_gate;
                let gate_ratio = b.max(r);
                Some(AisCandidate {
                    mmsi: vessel.mmsi.get(),
                    name: vessel.info.name.clone(),
                    callsign: vessel.info.callsign.clone(),
                    predicted,
                    age_s,
                    bearing_residual_deg,
                    range_residual_m,
                    in_gate: gate_ratio <= 1.0,
                    gate_ratio,
                })
            })
            .collect();
        out.sort_by(|a, b| a.gate_ratio.total_cmp(&b.gate_ratio));
        out
    }
}

/// One camera track and its recent positions.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraTrackState {
    /// `{camera_id}/{track_id}`.
    pub key: String,
    /// The latest observation.
    pub latest: CameraObservation,
    /// First observation (epoch s).
    pub first_t: f64,
    /// Observations so far.
    pub observations: u64,
    /// Estimated positions within the window, oldest first.
    pub path: VecDeque<Sample>,
    /// The AIS vessel it was last matched to.
    pub matched_mmsi: Option<Mmsi>,
    /// The latest reading of its markings.
    pub reading: Option<Reading>,
}

impl CameraTrackState {
    /// Its feature id: a stable hash of the key (positive, never 0).
    pub fn feature_id(&self) -> FeatureId {
        // FNV-1a, 63 bits
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.key.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        let id = (hash >> 1).max(1) as i64;
        FeatureId::try_from(id).expect("a positive id")
    }

    /// The `camera_tracks` feature: its path (an object that stood still is drawn as a
    /// line 0.1 m long), its class and match.
    pub fn to_feature(&self) -> Option<Feature> {
        let mut coords: Vec<Coord> = self
            .path
            .iter()
            .map(|s| Coord { x: s.lon, y: s.lat })
            .collect();
        coords.dedup();
        if let [only] = coords[..] {
            coords.push(Coord {
                x: only.x + 1e-6,
                y: only.y,
            });
        }
        let properties = json!({
            "camera_id": self.latest.camera_id.get(),
            "class": self.latest.class,
            "matched_mmsi": self.matched_mmsi.map(Mmsi::get),
            "plate": self.reading.as_ref().and_then(Reading::plate),
            "hull_text": self.reading.as_ref().and_then(Reading::hull_text),
            "t_start": self.first_t.floor() as i64,
            "t_end": self.latest.t.ceil() as i64,
        });
        Layer::CameraTracks
            .validate(Feature::new(LineString::from(coords), properties).with_id(self.feature_id()))
            .ok()
    }
}

/// The camera tracks seen lately.
#[derive(Debug, Default)]
pub struct CameraTrackEngine {
    tracks: HashMap<String, CameraTrackState>,
    window_s: f64,
}

impl CameraTrackEngine {
    /// Seconds a track stays on the map after its last observation.
    pub const LINGER_S: f64 = 60.0;

    /// An empty picture keeping `window_s` seconds of path per track.
    pub fn new(window_s: f64) -> Self {
        Self {
            tracks: HashMap::new(),
            window_s,
        }
    }

    /// Seconds a track stays after its last observation.
    pub fn linger_s(&self) -> f64 {
        Self::LINGER_S
    }

    /// Takes in an observation; one not newer than its track's latest is ignored (`None`).
    pub fn apply(&mut self, obs: CameraObservation) -> Option<&mut CameraTrackState> {
        let key = obs.key();
        let sample = obs.sample();
        let window_s = self.window_s;
        let state = self
            .tracks
            .entry(key.clone())
            .or_insert_with(|| CameraTrackState {
                key,
                latest: obs.clone(),
                first_t: obs.t,
                observations: 0,
                path: VecDeque::new(),
                matched_mmsi: None,
                reading: None,
            });
        if state.observations > 0 && obs.t <= state.latest.t {
            return None;
        }
        if obs.reading.is_some() {
            state.reading.clone_from(&obs.reading);
        }
        state.latest = obs;
        state.observations += 1;
        state.path.push_back(sample);
        while state
            .path
            .front()
            .is_some_and(|s| s.t < sample.t - window_s)
        {
            state.path.pop_front();
        }
        Some(state)
    }

    /// Forgets the tracks not observed since `now - linger_s` and returns them.
    pub fn evict(&mut self, now: f64) -> Vec<CameraTrackState> {
        let gone: Vec<String> = self
            .tracks
            .iter()
            .filter(|(_, state)| state.latest.t < now - Self::LINGER_S)
            .map(|(key, _)| key.clone())
            .collect();
        gone.iter()
            .filter_map(|key| self.tracks.remove(key))
            .collect()
    }

    /// One track by its key.
    pub fn get(&self, key: &str) -> Option<&CameraTrackState> {
        self.tracks.get(key)
    }

    /// Every track.
    pub fn iter(&self) -> impl Iterator<Item = &CameraTrackState> {
        self.tracks.values()
    }

    /// How many tracks are held.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// Whether no track is held.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Fix, VesselUpdate};

    const CAMERA: [f64; 2] = [121.60, 29.60];

    fn observation(t: f64, bearing_deg: f64, range_m: f64) -> CameraObservation {
        CameraObservation {
            camera_id: FeatureId::try_from(3).unwrap(),
            track_id: "a-1".into(),
            class: TrackClass::Vessel,
            t,
            camera: CAMERA,
            position: geodesy::destination(CAMERA, bearing_deg, range_m),
            range_m,
            bearing_deg,
            range_sigma_m: range_m * 0.1,
            range_nearer_m: 0.0,
            range_farther_m: 0.0,
            bearing_sigma_deg: 0.1,
            score: 0.8,
            bbox: None,
            reading: None,
        }
    }

    fn vessels_with(mmsi: u32, at: [f64; 2], t: f64, sog_kn: f64, cog_deg: f64) -> VesselEngine {
        let mut engine = VesselEngine::new(3600.0, h3o::Resolution::Nine);
        engine.apply(VesselUpdate::Position {
            mmsi: Mmsi::try_from(i64::from(mmsi)).unwrap(),
            fix: Fix {
                t_epoch_s: t,
                lon: at[0],
                lat: at[1],
                sog_kn: Some(sog_kn),
                cog_deg: Some(cog_deg),
                heading_deg: None,
                nav_status: None,
            },
        });
        engine
    }

    #[test]
    fn a_vessel_dead_reckoned_onto_the_bearing_is_in_the_gate() {
        // fix 60 s ago, 500 m short along the course; at 10 kn it made ~309 m
        let obs = observation(1000.0, 90.0, 1500.0);
        let start = geodesy::destination(CAMERA, 90.0, 1500.0);
        let start = geodesy::destination(start, 0.0, -308.7);
        let engine = vessels_with(412_000_001, start, 940.0, 10.0, 0.0);
        let found = MatchGate::default().candidates(&obs, &engine);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].in_gate, "{found:?}");
        assert!(found[0].bearing_residual_deg.abs() < 0.2, "{found:?}");
        // the same vessel standing still would be off by ~12° of bearing
        let still = vessels_with(412_000_001, start, 940.0, 0.0, 0.0);
        let found = MatchGate::default().candidates(&obs, &still);
        assert!(found.iter().all(|c| !c.in_gate), "{found:?}");
    }

    #[test]
    fn bearing_is_tight_and_range_is_loose() {
        let obs = observation(1000.0, 90.0, 2000.0);
        // 20 % further on the same bearing: inside (σ_range = 200 m, 3σ = 600 m)
        let far = geodesy::destination(CAMERA, 90.0, 2400.0);
        let found = MatchGate::default().candidates(&obs, &vessels_with(1, far, 1000.0, 0.0, 0.0));
        assert!(found[0].in_gate, "{found:?}");
        // 3° off the bearing at the same range: outside
        let aside = geodesy::destination(CAMERA, 93.0, 2000.0);
        let found =
            MatchGate::default().candidates(&obs, &vessels_with(1, aside, 1000.0, 0.0, 0.0));
        assert!(found.iter().all(|c| !c.in_gate), "{found:?}");
        // a fix older than max_age_s predicts nothing
        let stale = vessels_with(1, obs.position, 100.0, 0.0, 0.0);
        assert!(MatchGate::default().candidates(&obs, &stale).is_empty());
    }

    #[test]
    fn lights_of_unknown_height_may_be_nearer_never_farther() {
        let mut obs = observation(1000.0, 90.0, 1500.0);
        (obs.range_sigma_m, obs.range_nearer_m) = (50.0, 500.0);
        let at = |m: f64| geodesy::destination(CAMERA, 90.0, m);
        let gate = MatchGate::default();
        let nearer = gate.candidates(&obs, &vessels_with(1, at(1100.0), 1000.0, 0.0, 0.0));
        assert!(nearer[0].in_gate, "{nearer:?}");
        let farther = gate.candidates(&obs, &vessels_with(1, at(1800.0), 1000.0, 0.0, 0.0));
        assert!(!farther[0].in_gate, "{farther:?}");
        obs.range_nearer_m = 0.0;
        let nearer = gate.candidates(&obs, &vessels_with(1, at(1100.0), 1000.0, 0.0, 0.0));
        assert!(!nearer[0].in_gate, "a foot point is not: {nearer:?}");
    }

    #[test]
    fn a_light_near_the_horizon_may_be_far_beyond_its_reading() {
        // read at 2.4 km, σ 1.2 km, but 6 px higher is beyond the horizon
        let mut obs = observation(1000.0, 206.0, 2400.0);
        (obs.range_sigma_m, obs.range_nearer_m) = (1170.0, 1940.0);
        let far = geodesy::destination(CAMERA, 206.5, 6300.0);
        let gate = MatchGate::default();
        assert!(!gate.candidates(&obs, &vessels_with(1, far, 990.0, 0.0, 0.0))[0].in_gate);
        obs.range_farther_m = 8900.0;
        let found = gate.candidates(&obs, &vessels_with(1, far, 990.0, 0.0, 0.0));
        assert!(found[0].in_gate, "{found:?}");
    }

    #[test]
    fn a_vessel_moored_under_the_camera_is_not_a_light_far_out() {
        // a light read at 730 m (σ 85 m) may be as near as 146 m, where a reading is good to
        // a few metres: a vessel moored 40 m from the camera, 27° aside, cannot be it
        let mut obs = observation(1000.0, 207.0, 730.0);
        (obs.range_sigma_m, obs.range_nearer_m) = (85.0, 584.0);
        let moored = geodesy::destination(CAMERA, 180.0, 40.0);
        let gate = MatchGate::default();
        let found = gate.candidates(&obs, &vessels_with(1, moored, 990.0, 0.0, 0.0));
        assert!(!found[0].in_gate, "{found:?}");
        // nor after the three minutes a moored vessel's reports may be apart
        let found = gate.candidates(&obs, &vessels_with(1, moored, 820.0, 0.0, 0.0));
        assert!(!found[0].in_gate, "{found:?}");
        // one on the same bearing at 300 m may be
        let out = geodesy::destination(CAMERA, 207.0, 300.0);
        let found = gate.candidates(&obs, &vessels_with(1, out, 990.0, 0.0, 0.0));
        assert!(found[0].in_gate, "{found:?}");
    }

    #[test]
    fn tracks_keep_their_path_and_linger_then_go() {
        let mut engine = CameraTrackEngine::new(600.0);
        for i in 0..5 {
            engine.apply(observation(
                100.0 + f64::from(i),
                90.0,
                1000.0 + f64::from(i) * 10.0,
            ));
        }
        assert!(
            engine.apply(observation(101.0, 90.0, 1000.0)).is_none(),
            "older"
        );
        let state = engine.get("3/a-1").unwrap();
        assert_eq!(state.observations, 5);
        let feature = state.to_feature().unwrap();
        assert_eq!(feature.properties["class"], "vessel");
        assert_eq!(feature.properties["t_start"], 100);
        assert_eq!(feature.properties["t_end"], 104);
        assert!(
            matches!(feature.geometry, Some(geo::Geometry::LineString(ref l)) if l.0.len() == 5)
        );
        assert!(engine.evict(150.0).is_empty());
        // an object standing still is still a line
        let mut still = observation(100.0, 45.0, 800.0);
        still.track_id = "still".into();
        for t in [100.0, 101.0] {
            engine.apply(CameraObservation { t, ..still.clone() });
        }
        assert!(engine.get("3/still").unwrap().to_feature().is_some());
        let mut gone: Vec<String> = engine.evict(170.0).into_iter().map(|t| t.key).collect();
        gone.sort();
        assert_eq!(gone, vec!["3/a-1".to_owned(), "3/still".to_owned()]);
        assert!(engine.is_empty());
    }

    #[test]
    fn a_reading_is_kept_until_a_newer_one_and_lands_in_its_column() {
        let mut engine = CameraTrackEngine::new(600.0);
        let reading = |text: &str| {
            Some(Reading {
                text: Some(text.into()),
                confidence: 0.9,
                reads: 1,
            })
        };
        let first = CameraObservation {
            reading: reading("浙岱渔03318"),
            ..observation(100.0, 90.0, 1000.0)
        };
        engine.apply(first);
        engine.apply(observation(101.0, 90.0, 1000.0));
        let feature = engine.get("3/a-1").unwrap().to_feature().unwrap();
        assert_eq!(feature.properties["hull_text"], "浙岱渔03318");
        assert!(feature.properties["plate"].is_null());
        engine.apply(CameraObservation {
            reading: reading("浙B12345"),
            ..observation(102.0, 90.0, 1000.0)
        });
        let feature = engine.get("3/a-1").unwrap().to_feature().unwrap();
        assert_eq!(feature.properties["plate"], "浙B12345");
        assert!(feature.properties["hull_text"].is_null());
    }
}
