//! Hulls a zoomed camera reads: one of the district's PTZ cameras, zoomed to
//! [`READ_HFOV_DEG`] on open water, films boats crossing its view by day. Planted across it, in
//! turn: a fishing vessel whose painted number is not the one its AIS name gives
//! (`identity_anomaly` with `name_mismatch`, on the vessel), and a boat without AIS with nothing
//! painted on its hull (`identity_anomaly` with `no_visible_name`, on the camera track; it is
//! also a `dark_vessel`). Every AIS vessel carries its name on its hull (a fishing vessel's
//! `ZHE XIANG YU 12345` as `浙象渔12345`), so the vessels that pass the camera otherwise raise
//! nothing.

use coastwatch_core::geodesy::{self, MPS_PER_KN};
use coastwatch_core::model::{AlertKind, ShipCategory, SubjectType};
use coastwatch_core::rng::Rng;
use serde_json::Value;

use super::{Gen, MIN, SimVessel};
use crate::cameras::{SceneTrack, SimCamera};
use crate::plan::{Builder, Mode};
use crate::{District, Incident};

/// Field of view (deg) of the zoomed camera.
pub(crate) const READ_HFOV_DEG: f64 = 5.0;
/// The range (m) the zoomed camera is aimed at.
const AIM_M: f64 = 900.0;
/// Distance (m) from the camera at which the planted boats cross its view.
const CROSS_M: f64 = 650.0;
/// Their speed (kn): slow, so that they stay a while in the narrow view.
const CROSS_KN: f64 = 3.0;
/// Length (m) of their crossing, either side of the view's axis.
const HALF_CROSSING_M: f64 = 450.0;
/// Local hours (minutes of the day) in which a hull can be read: daylight.
const DAY: std::ops::Range<u16> = 6 * 60..18 * 60 + 40;

/// What an AIS vessel's hull shows: a fishing vessel's pinyin name `ZHE XIANG YU 12345` as
/// the number painted in Chinese, `浙象渔12345`; any other name as it is; nothing for none.
pub(crate) fn painted(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    Some(match name.strip_prefix("ZHE XIANG YU ") {
        Some(serial) => format!("浙象渔{serial}"),
        None => name.to_owned(),
    })
}

impl Gen<'_> {
    /// A time `t` in daylight, the minute either side of it too, at least `before_s` after the
    /// run's start and `after_s` before its end (and 5 minutes more).
    pub(super) fn daylight_time(&self, rng: &mut Rng, before_s: f64, after_s: f64) -> Option<f64> {
        (0..200).find_map(|_| {
            let t = Self::pick_time(
                rng,
                self.start + 5.0 * MIN + before_s,
                self.end - after_s - 5.0 * MIN,
            )?;
            [t - 60.0, t + 60.0]
                .iter()
                .all(|t| DAY.contains(&self.world.minute(*t)))
                .then_some(t)
        })
    }

    /// A PTZ camera of the district zoomed on open water: the first one, turned to the first
    /// heading (every 15°) along which the sea is open from 500 to 1,300 m and across the view
    /// at [`CROSS_M`].
    pub(super) fn reading_camera(&self, district: &District) -> Option<SimCamera> {
        let w = self.world;
        let ptz = district
            .cameras
            .iter()
            .filter(|f| f.properties.get("ptz").and_then(Value::as_bool) == Some(true));
        for feature in ptz {
            for step in 0..24 {
                let heading = f64::from(step) * 15.0;
                let mut zoomed = feature.clone();
                for (key, value) in [
                    ("heading_deg", heading),
                    ("hfov_deg", READ_HFOV_DEG),
                    ("range_m", AIM_M),
                ] {
                    zoomed.properties.insert(key.into(), value.into());
                }
                zoomed.properties.insert("ptz".into(), false.into());
                let Some(camera) = self.sim_camera(&zoomed) else {
                    continue;
                };
                let origin = [camera.pose.lon, camera.pose.lat];
                let along = [500.0, CROSS_M, 1000.0, 1300.0]
                    .map(|d| w.xy(geodesy::destination(origin, heading, d)));
                let centre = geodesy::destination(origin, heading, CROSS_M);
                let across = [-1.0, 1.0].map(|side| {
                    w.xy(geodesy::destination(
                        centre,
                        heading + 90.0,
                        side * HALF_CROSSING_M,
                    ))
                });
                let open = along.iter().all(|p| w.sea_ok(*p, 100.0, 100.0, None))
                    && w.sea_path_ok(&across, 60.0, 100.0, None);
                if open {
                    return Some(camera);
                }
            }
        }
        None
    }

    /// Plants reading incident `k` (even: a name mismatch; odd: a boat without a name)
    /// across `camera`'s view; returns the scene track of a boat without AIS.
    pub(super) fn plant_reading(
        &mut self,
        rng: &mut Rng,
        camera: &SimCamera,
        k: usize,
    ) -> Option<SceneTrack> {
        let w = self.world;
        let origin = [camera.pose.lon, camera.pose.lat];
        let heading = camera.pose.heading_deg;
        let speed = CROSS_KN * MPS_PER_KN;
        let crossing_s = HALF_CROSSING_M / speed;
        // a crossing in daylight, the boat in view at `t`
        let t = self.daylight_time(rng, crossing_s, crossing_s)?;
        // the two kinds cross at different ranges, so that they never meet
        let centre = geodesy::destination(origin, heading, CROSS_M + 80.0 * (k % 2) as f64);
        let side = rng.sign();
        let from = geodesy::destination(centre, heading - 90.0 * side, HALF_CROSSING_M);
        let to = geodesy::destination(centre, heading + 90.0 * side, HALF_CROSSING_M);
        let course = geodesy::bearing_deg(from, to);
        let (t0, t1) = (t - crossing_s, t + crossing_s);
        let window = (t - 60.0, t + 60.0);
        if k.is_multiple_of(2) {
            let spec = self.spec(rng, ShipCategory::Fishing, false);
            let read = format!("浙岱渔{:05}", rng.int(10_000, 99_999));
            let note = format!(
                "vessel {} (AIS name {}) shows {read} on its hull to camera {}",
                spec.mmsi, spec.name, camera.name
            );
            let mut b = Builder::new(t0, w.xy(from), course);
            b.go(&[w.xy(to)], speed, Mode::UnderWay, t1);
            // then on to the nearest sea lane it can reach, and along it to the end of the run
            // (a vessel whose AIS stopped at sea would be an `ais_gap`)
            let onward = 8.0 * MPS_PER_KN;
            let lane = self
                .sea_lanes()
                .into_iter()
                .map(|li| {
                    let (s, d) = w.lanes[li].line.project(w.xy(to));
                    (li, s, d)
                })
                .filter(|(li, s, _)| {
                    w.sea_path_ok(&[w.xy(to), w.lanes[*li].line.at(*s)], 40.0, 100.0, None)
                })
                .min_by(|a, b| a.2.total_cmp(&b.2));
            let Some((li, s, _)) = lane else {
                self.note(format!(
                    "hull reading #{}: no sea lane to leave by from camera {}",
                    k + 1,
                    camera.name
                ));
                return None;
            };
            b.go(&[w.lanes[li].line.at(s)], onward, Mode::UnderWay, self.end);
            self.lane_on(rng, &mut b, li, s, onward);
            self.add_truth(Incident {
                camera_id: Some(camera.feature_id),
                ..self.incident(
                    AlertKind::IdentityAnomaly,
                    spec.mmsi.to_string(),
                    window,
                    w.xy(centre),
                    note.clone(),
                )
            });
            self.hulls.insert(spec.mmsi, Some(read));
            self.vessels.push(SimVessel {
                spec,
                track: b.track,
                planted: Some(note),
            });
            return None;
        }
        let note = format!(
            "a boat without AIS and without a name crosses camera {}",
            camera.name
        );
        self.add_truth(Incident {
            subject_type: SubjectType::CameraTrack,
            subject_id: format!("{}/", camera.feature_id),
            camera_id: Some(camera.feature_id),
            ..self.incident(
                AlertKind::IdentityAnomaly,
                String::new(),
                window,
                w.xy(centre),
                note,
            )
        });
        let steps = (2.0 * crossing_s / 2.0).ceil() as usize;
        let samples = (0..=steps)
            .map(|i| {
                let s = (i as f64 * 2.0 * speed).min(2.0 * HALF_CROSSING_M);
                let p = geodesy::destination(from, course, s);
                [t0 + i as f64 * 2.0, p[0], p[1], course]
            })
            .collect();
        Some(SceneTrack {
            id: format!("blank-{}", k / 2 + 1),
            mmsi: None,
            truck: false,
            length_m: 18.0,
            height_m: 6.0,
            lights: true,
            marking: None,
            samples,
        })
    }
}
