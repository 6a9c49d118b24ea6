//! Cameras in the scenario: which of the district's cameras film, boats that pass them with
//! their AIS off (`dark_vessel`), what every camera sees, and the truth of it.
//!
//! A `dark_vessel` is due wherever a camera sees a boat for [`DARK_MIN_S`] or more that no AIS
//! vessel explains: a planted boat without AIS, or an AIS vessel inside a silence that began
//! over [`DR_MAX_S`] before (by then its last fix predicts nothing).

use coastwatch_core::Feature;
use coastwatch_core::geodesy::{self, MPS_PER_KN};
use coastwatch_core::model::{AlertKind, SubjectType};
use coastwatch_core::rng::Rng;

use super::{Gen, SimVessel};
use crate::cameras::{CameraScene, FRAME_SIZE, SceneTrack, SimCamera};
use crate::geom::Xy;
use crate::video::camera_pose;
use crate::{District, Incident, ScenarioConfig};

/// Seconds a camera must see an unexplained boat before it is a dark vessel.
pub(crate) const DARK_MIN_S: f64 = 20.0;
/// Seconds after its last fix that an AIS vessel's dead reckoning is trusted.
pub(crate) const DR_MAX_S: f64 = 600.0;
/// Seconds between the samples of a scene track.
const SAMPLE_S: f64 = 2.0;

impl Gen<'_> {
    /// The district's fixed cameras that look at open water.
    fn sea_cameras(&self, district: &District) -> Vec<SimCamera> {
        let w = self.world;
        district
            .cameras
            .iter()
            .filter(|f| f.properties.get("ptz").and_then(|p| p.as_bool()) != Some(true))
            .filter_map(|f| self.sim_camera(f))
            .filter(|c| {
                // open water across the middle of its view
                [0.4, 0.6, 0.8].iter().all(|share| {
                    let p = geodesy::destination(
                        [c.pose.lon, c.pose.lat],
                        c.pose.heading_deg,
                        c.range_m * share,
                    );
                    !w.is_land(w.xy(p))
                })
            })
            .collect()
    }

    pub(super) fn sim_camera(&self, feature: &Feature) -> Option<SimCamera> {
        let range_m = feature.properties.get("range_m")?.as_f64()?;
        let pose = camera_pose(feature, FRAME_SIZE[0], FRAME_SIZE[1]).ok()?;
        let feature_id = feature.id?.get();
        let name = feature.properties.get("name")?.as_str()?.to_owned();
        (range_m >= 800.0).then_some(SimCamera {
            feature_id,
            name,
            pose,
            range_m,
            clips: Vec::new(),
        })
    }

    /// Plants a boat without AIS crossing camera `camera`'s view, lit at night.
    pub(super) fn plant_dark_vessel(
        &mut self,
        rng: &mut Rng,
        camera: &SimCamera,
        n: usize,
    ) -> Option<SceneTrack> {
        let w = self.world;
        let origin = [camera.pose.lon, camera.pose.lat];
        for _ in 0..200 {
            let out_m = camera.range_m * rng.range(0.3, 0.7);
            let half = (camera.pose.hfov_deg / 2.0 + 8.0).to_radians();
            let side_m = out_m * half.tan();
            let centre = geodesy::destination(origin, camera.pose.heading_deg, out_m);
            let across = camera.pose.heading_deg + 90.0 * rng.sign();
            let from = geodesy::destination(centre, across + 180.0, side_m);
            let to = geodesy::destination(centre, across, side_m);
            let path: Vec<Xy> = vec![w.xy(from), w.xy(to)];
            if !w.sea_path_ok(&path, 40.0, 100.0, None) {
                continue;
            }
            let speed = rng.range(6.0, 12.0) * MPS_PER_KN;
            let length = geodesy::distance_m(from, to);
            let t0 = Self::pick_time(
                rng,
                self.start + 20.0 * 60.0,
                self.end - length / speed - 600.0,
            )?;
            let t0 = t0.round();
            let heading = geodesy::bearing_deg(from, to);
            let steps = (length / speed / SAMPLE_S).ceil() as usize;
            let samples = (0..=steps)
                .map(|k| {
                    let s = (k as f64 * SAMPLE_S * speed).min(length);
                    let p = geodesy::destination(from, heading, s);
                    [t0 + k as f64 * SAMPLE_S, p[0], p[1], heading]
                })
                .collect();
            return Some(SceneTrack {
                id: format!("dark-{n}"),
                mmsi: None,
                truck: false,
                length_m: rng.range(8.0, 16.0).round(),
                height_m: 3.5,
                lights: true,
                // a fishing boat running dark still carries its number
                marking: Some(format!("浙象渔{:05}", rng.int(10_000, 99_999))),
                samples,
            });
        }
        None
    }

    /// What the cameras film: `config.cameras` of the district's cameras that look at open
    /// water (those with the least traffic to film, so that an evaluation stays quick) and a
    /// PTZ camera zoomed to read hulls and a checkpoint camera zoomed to read plates (when there
    /// are such incidents to plant), the incidents planted across their views (boats without
    /// AIS, hulls read, watched trucks), every AIS vessel that comes into a view, the clips
    /// worth filming, the watch list and the camera truth.
    pub(super) fn film(
        &mut self,
        district: &District,
        config: &ScenarioConfig,
        rng: &mut Rng,
    ) -> CameraScene {
        let (n, counts) = (config.cameras, &config.incidents);
        let candidates = self.sea_cameras(district);
        if candidates.is_empty() || n == 0 {
            if n > 0 {
                self.note("no camera of the district looks at open water: no camera video".into());
            }
            return CameraScene::default();
        }
        let reader = (counts.hull_readings > 0)
            .then(|| self.reading_camera(district))
            .flatten();
        let mut planted = Vec::new();
        match &reader {
            Some(camera) => {
                for k in 0..counts.hull_readings {
                    match self.plant_reading(rng, camera, k) {
                        Some(track) => planted.push(track),
                        None if k % 2 == 1 => self.note(format!(
                            "could not plant hull reading #{}: no daylight in the run",
                            k + 1
                        )),
                        None => {}
                    }
                }
            }
            None if counts.hull_readings > 0 => self
                .note("no PTZ camera of the district looks at open water: no hull readings".into()),
            None => {}
        }
        let mut watchlist = Vec::new();
        let checkpoint = (counts.watched_trucks > 0)
            .then(|| self.checkpoint(district))
            .flatten();
        match &checkpoint {
            Some(checkpoint) => {
                for n in 1..=counts.watched_trucks {
                    match self.plant_watched_truck(rng, checkpoint, n) {
                        Some((track, watched)) => {
                            planted.push(track);
                            watchlist.push(watched);
                        }
                        None => self.note(format!(
                            "could not plant watched truck #{n}: no daylight in the run"
                        )),
                    }
                }
            }
            None if counts.watched_trucks > 0 => {
                self.note("no camera of the district looks along a road: no watched trucks".into())
            }
            None => {}
        }
        let sampled: Vec<SimCamera> = candidates.iter().chain(&reader).cloned().collect();
        let mut tracks = Vec::new();
        let mut silences: Vec<Vec<(f64, f64)>> = Vec::new();
        for vessel in &self.vessels {
            if let Some(track) = self.scene_track(vessel, &sampled) {
                tracks.push(track);
                silences.push(vessel.track.silences.clone());
            }
        }
        let mut ranked: Vec<(f64, SimCamera)> = candidates
            .into_iter()
            .map(|c| {
                let filmed = CameraScene::clips_of(&c, &tracks)
                    .iter()
                    .map(|[a, b]| b - a)
                    .sum();
                (filmed, c)
            })
            .collect();
        ranked.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.feature_id.cmp(&b.1.feature_id))
        });
        let mut cameras: Vec<SimCamera> = ranked.into_iter().take(n).map(|(_, c)| c).collect();
        for k in 0..counts.dark_vessels {
            let camera = cameras[k % cameras.len()].clone();
            match self.plant_dark_vessel(rng, &camera, k + 1) {
                Some(track) => {
                    tracks.push(track);
                    silences.push(Vec::new());
                }
                None => self.note(format!(
                    "could not plant dark_vessel #{}: no valid place or time",
                    k + 1
                )),
            }
        }
        cameras.extend(reader);
        cameras.extend(checkpoint.map(|c| c.camera));
        for track in planted {
            tracks.push(track);
            silences.push(Vec::new());
        }
        let seen = |t: &SceneTrack| {
            t.samples
                .iter()
                .any(|s| cameras.iter().any(|c| c.sees([s[1], s[2]], 10.0)))
        };
        let (tracks, silences): (Vec<SceneTrack>, Vec<Vec<(f64, f64)>>) = tracks
            .into_iter()
            .zip(silences)
            .filter(|(t, _)| seen(t))
            .unzip();
        for camera in &mut cameras {
            camera.clips = CameraScene::clips_of(camera, &tracks);
        }
        for camera in &cameras {
            for (track, silences) in tracks.iter().zip(&silences) {
                self.dark_truth(camera, track, silences);
            }
        }
        CameraScene {
            cameras,
            tracks,
            watchlist,
        }
    }

    /// The samples of `vessel` near any camera (none when it never comes near).
    fn scene_track(&self, vessel: &SimVessel, cameras: &[SimCamera]) -> Option<SceneTrack> {
        let w = self.world;
        let (start, end) = (
            vessel.track.start().max(self.start),
            vessel.track.end().min(self.end),
        );
        let mut samples = Vec::new();
        let mut t = start.ceil();
        while t <= end {
            if let Some(state) = vessel.track.state_at(t) {
                let p = w.lonlat(state.at);
                if cameras.iter().any(|c| c.sees(p, 10.0)) {
                    samples.push([t, p[0], p[1], state.course]);
                }
            }
            t += SAMPLE_S;
        }
        if samples.is_empty() {
            return None;
        }
        let (length_m, height_m) = match vessel.spec.ship_type {
            70..=89 => (110.0, 25.0),
            60..=69 => (50.0, 14.0),
            30..=39 if vessel.spec.class_b => (12.0, 4.0),
            30..=39 => (28.0, 9.0),
            _ => (20.0, 7.0),
        };
        let marking = self
            .hulls
            .get(&vessel.spec.mmsi)
            .cloned()
            .unwrap_or_else(|| super::reading::painted(&vessel.spec.name));
        Some(SceneTrack {
            id: format!("ais-{}", vessel.spec.mmsi),
            mmsi: Some(vessel.spec.mmsi),
            truck: false,
            length_m,
            height_m,
            lights: true,
            marking,
            samples,
        })
    }

    /// The `dark_vessel` incidents of `track` in `camera`'s view (none of a truck): its spans in view, moving,
    /// while no AIS explains it (all of a boat without AIS; the silences of an AIS vessel once its
    /// dead reckoning has run out), of [`DARK_MIN_S`] or more.
    fn dark_truth(&mut self, camera: &SimCamera, track: &SceneTrack, silences: &[(f64, f64)]) {
        if track.truck {
            return;
        }
        let dark = |t: f64| {
            track.mmsi.is_none() || silences.iter().any(|(a, b)| t > a + DR_MAX_S && t < *b)
        };
        let mut span: Option<(f64, f64, [f64; 2])> = None;
        let mut spans = Vec::new();
        for (i, s) in track.samples.iter().enumerate() {
            let p = [s[1], s[2]];
            // a hull is in view while any of it is: its half length as an angle
            let range_m = geodesy::distance_m([camera.pose.lon, camera.pose.lat], p);
            let half_deg = (track.length_m / 2.0).atan2(range_m.max(1.0)).to_degrees();
            if track.moving(i) && camera.sees(p, half_deg) && dark(s[0]) {
                let entry = span.get_or_insert((s[0], s[0], p));
                entry.1 = s[0];
            } else if let Some(done) = span.take() {
                spans.push(done);
            }
        }
        spans.extend(span);
        for (from, to, at) in spans {
            if to - from < DARK_MIN_S {
                continue;
            }
            let what = track.mmsi.map_or_else(
                || "a boat without AIS".to_owned(),
                |m| format!("vessel {m} with its AIS silent"),
            );
            self.truth.push(Incident {
                kind: AlertKind::DarkVessel,
                subject_type: SubjectType::CameraTrack,
                subject_id: format!("{}/", camera.feature_id),
                start: from,
                end: to,
                location: at,
                note: format!("{what} passes camera {} ({})", camera.name, track.id),
                other_id: track.mmsi.map(|m| m.to_string()),
                fence_id: None,
                terminal: None,
                camera_id: Some(camera.feature_id),
            });
        }
    }
}
