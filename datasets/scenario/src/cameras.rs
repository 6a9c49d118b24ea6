//! What the scenario's cameras film: the cameras that run (their poses), the objects in
//! their view over time (vessels with and without AIS, trucks), the clips of time worth
//! filming, and the plates on the watch list.
//!
//! The video itself is rendered from this by [`crate::video::Renderer`] wherever it is needed
//! (the evaluation, the demo, `scenario export`), so the scenario stays small.

use coastwatch_core::geodesy;
use coastwatch_core::georef::Pose;
use serde::{Deserialize, Serialize};

use crate::video::{ObjectKind, SceneObject};

/// Frame size of the scenario's cameras.
pub const FRAME_SIZE: [u32; 2] = [1280, 720];
/// Seconds filmed before the first object of a clip comes into view (the background model
/// learns the empty scene).
pub const WARM_UP_S: f64 = 20.0;
/// Seconds between two samples of a [`SceneTrack`] beyond which they belong to two passes
/// (the track is sampled only near the cameras): nothing is there in between.
pub const PASS_GAP_S: f64 = 10.0;

/// A camera of the district that films in the scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimCamera {
    /// Its `cameras` feature id.
    pub feature_id: i64,
    /// Its name.
    pub name: String,
    /// How it looks at the sea.
    pub pose: Pose,
    /// Its useful range (m).
    pub range_m: f64,
    /// The spans of time (epoch s) in which something is in its view, with a warm-up.
    pub clips: Vec<[f64; 2]>,
}

impl SimCamera {
    /// Whether `lonlat` lies within the camera's range and view (with `margin_deg`).
    pub fn sees(&self, lonlat: [f64; 2], margin_deg: f64) -> bool {
        let camera = [self.pose.lon, self.pose.lat];
        let range = geodesy::distance_m(camera, lonlat);
        let off = (geodesy::bearing_deg(camera, lonlat) - self.pose.heading_deg + 540.0)
            .rem_euclid(360.0)
            - 180.0;
        range <= self.range_m && range >= 30.0 && off.abs() <= self.pose.hfov_deg / 2.0 + margin_deg
    }
}

/// One object the cameras may film, sampled along its path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneTrack {
    /// `ais-{mmsi}`, `dark-{n}`, `blank-{n}` or `truck-{n}`.
    pub id: String,
    /// Its MMSI when it transmits AIS.
    pub mmsi: Option<u32>,
    /// Whether it is a truck on a road (else a vessel).
    #[serde(default)]
    pub truck: bool,
    /// Length overall (m).
    pub length_m: f64,
    /// Height of its highest point above the water or the road (m).
    pub height_m: f64,
    /// Whether it shows navigation lights at night.
    pub lights: bool,
    /// The name or number painted on its hull, or a truck's number (`None`: nothing is).
    #[serde(default)]
    pub marking: Option<String>,
    /// `[t, lon, lat, heading_deg]`, time-ordered, a few seconds apart.
    pub samples: Vec<[f64; 4]>,
}

impl SceneTrack {
    /// Where it is at `t`, interpolated; `None` outside its samples and between two passes.
    pub fn at(&self, t: f64) -> Option<SceneObject> {
        let i = self.samples.partition_point(|s| s[0] < t);
        let b = self.samples.get(i)?;
        let a = if i == 0 {
            if b[0] > t {
                return None;
            }
            b
        } else {
            &self.samples[i - 1]
        };
        if b[0] - a[0] > PASS_GAP_S {
            return None;
        }
        let f = if b[0] > a[0] {
            (t - a[0]) / (b[0] - a[0])
        } else {
            0.0
        };
        Some(SceneObject {
            lonlat: [a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f],
            kind: if self.truck {
                ObjectKind::Truck {
                    length_m: self.length_m,
                    height_m: self.height_m,
                }
            } else {
                ObjectKind::Vessel {
                    length_m: self.length_m,
                    beam_m: None,
                    height_m: self.height_m,
                }
            },
            heading_deg: b[3],
            lights: self.lights,
            marking: self.marking.as_deref().map(Into::into),
        })
    }

    /// Whether it moves between sample `i - 1` and sample `i` of one pass (a vessel at anchor
    /// is part of the still scene to a motion gate).
    pub fn moving(&self, i: usize) -> bool {
        let (Some(a), Some(b)) = (
            i.checked_sub(1).and_then(|j| self.samples.get(j)),
            self.samples.get(i),
        ) else {
            return false;
        };
        let dt = b[0] - a[0];
        dt <= PASS_GAP_S && geodesy::distance_m([a[1], a[2]], [b[1], b[2]]) > 0.5 * dt
    }
}

/// A plate on the watch list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchedPlate {
    /// The plate (`浙B12345`).
    pub plate: String,
    /// Why it is watched.
    pub reason: String,
}

/// The cameras of a scenario and what they film.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CameraScene {
    /// The cameras that film.
    pub cameras: Vec<SimCamera>,
    /// The objects in their view at some time.
    pub tracks: Vec<SceneTrack>,
    /// The plates to put on the watch list before replaying.
    #[serde(default)]
    pub watchlist: Vec<WatchedPlate>,
}

impl CameraScene {
    /// Whether there is nothing to film.
    pub fn is_empty(&self) -> bool {
        self.cameras.is_empty()
    }

    /// Every object at `t` (the renderer leaves out what a camera cannot see), with its
    /// track.
    pub fn objects_at(&self, t: f64) -> Vec<(&SceneTrack, SceneObject)> {
        self.tracks
            .iter()
            .filter_map(|track| Some((track, track.at(t)?)))
            .collect()
    }

    /// The spans of time in which `camera` sees an object move, each from [`WARM_UP_S`]
    /// before the first comes into view until a few seconds after the last leaves; spans
    /// closer than a minute are joined. (A vessel at anchor is part of the still scene.)
    pub fn clips_of(camera: &SimCamera, tracks: &[SceneTrack]) -> Vec<[f64; 2]> {
        let mut spans: Vec<[f64; 2]> = Vec::new();
        for track in tracks {
            let mut inside: Option<[f64; 2]> = None;
            for (i, s) in track.samples.iter().enumerate() {
                if track.moving(i) && camera.sees([s[1], s[2]], 5.0) {
                    let span = inside.get_or_insert([s[0], s[0]]);
                    span[1] = s[0];
                } else if let Some(span) = inside.take() {
                    spans.push(span);
                }
            }
            spans.extend(inside);
        }
        spans.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let mut clips: Vec<[f64; 2]> = Vec::new();
        for [from, to] in spans {
            let (from, to) = ((from - WARM_UP_S).floor(), (to + 5.0).ceil());
            match clips.last_mut() {
                Some(last) if from <= last[1] + 60.0 => last[1] = last[1].max(to),
                _ => clips.push([from, to]),
            }
        }
        clips
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> SimCamera {
        SimCamera {
            feature_id: 1,
            name: "CAM".into(),
            pose: Pose {
                lon: 121.6,
                lat: 29.6,
                height_m: 12.0,
                heading_deg: 0.0,
                tilt_deg: 1.0,
                hfov_deg: 60.0,
                width: 1280,
                height: 720,
            },
            range_m: 1500.0,
            clips: Vec::new(),
        }
    }

    fn track(samples: Vec<[f64; 4]>) -> SceneTrack {
        SceneTrack {
            id: "dark-1".into(),
            mmsi: None,
            truck: false,
            length_m: 12.0,
            height_m: 4.0,
            lights: true,
            marking: None,
            samples,
        }
    }

    #[test]
    fn tracks_interpolate_inside_their_samples_only() {
        let t = track(vec![
            [100.0, 121.6, 29.6, 90.0],
            [110.0, 121.61, 29.6, 90.0],
        ]);
        let mid = t.at(105.0).unwrap();
        assert!((mid.lonlat[0] - 121.605).abs() < 1e-9);
        assert!(t.at(99.0).is_none() && t.at(111.0).is_none());
        assert_eq!(t.at(100.0).unwrap().lonlat, [121.6, 29.6]);
        // two passes: nothing in between
        let passes = track(vec![
            [100.0, 121.6, 29.6, 90.0],
            [102.0, 121.6001, 29.6, 90.0],
            [3000.0, 121.7, 29.6, 90.0],
            [3002.0, 121.7001, 29.6, 90.0],
        ]);
        assert!(passes.at(101.0).is_some() && passes.at(3001.0).is_some());
        assert!(passes.at(1500.0).is_none());
        assert!(passes.moving(1) && !passes.moving(2) && passes.moving(3));
    }

    #[test]
    fn clips_cover_what_the_camera_sees_with_a_warm_up() {
        let cam = camera();
        let ahead = geodesy::destination([121.6, 29.6], 0.0, 800.0);
        let behind = geodesy::destination([121.6, 29.6], 180.0, 800.0);
        let step = |i: i32| geodesy::destination(ahead, 90.0, f64::from(i) * 10.0);
        let seen = track(
            (0..10)
                .map(|i| [1000.0 + f64::from(i) * 5.0, step(i)[0], step(i)[1], 90.0])
                .collect(),
        );
        let unseen = track(
            (0..10)
                .map(|i| [5000.0 + f64::from(i) * 5.0, behind[0], behind[1], 90.0])
                .collect(),
        );
        let clips = CameraScene::clips_of(&cam, &[seen.clone(), unseen]);
        assert_eq!(clips, vec![[1005.0 - WARM_UP_S, 1050.0]]);
        // one standing still is part of the scene
        let anchored = track(
            (0..10)
                .map(|i| [1000.0 + f64::from(i) * 5.0, ahead[0], ahead[1], 90.0])
                .collect(),
        );
        assert!(CameraScene::clips_of(&cam, &[anchored]).is_empty());
        // a second pass 30 s later joins the clip
        let mut again = seen.clone();
        for s in &mut again.samples {
            s[0] += 75.0;
        }
        let clips = CameraScene::clips_of(&cam, &[seen, again]);
        assert_eq!(clips.len(), 1);
    }
}
