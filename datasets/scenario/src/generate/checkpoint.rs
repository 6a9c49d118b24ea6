//! Plates a checkpoint camera reads: a camera of the district that looks along a road beside
//! it (a traffic checkpoint's) is zoomed on the stretch [`VIEW_M`] of it, just wide enough for
//! a truck there to stay whole in view. By day a truck whose plate is on the watch list drives
//! past it and away along the road, its number enlarged on its rear as Chinese trucks carry it
//! (`watchlist_vehicle`, on the camera track). The truck has no terminal: a watched plate need
//! not belong to a registered vehicle.

use coastwatch_core::geodesy;
use coastwatch_core::georef::Pose;
use coastwatch_core::model::{AlertKind, SubjectType};
use coastwatch_core::rng::Rng;
use geo::Geometry;
use serde_json::Value;

use super::Gen;
use crate::cameras::{FRAME_SIZE, SceneTrack, SimCamera, WatchedPlate};
use crate::geom::Polyline;
use crate::video::TRUCK_WIDTH_M;
use crate::{District, Incident};

/// Field of view (deg) the zoomed view leaves either side of the truck, across and up.
const MARGIN_DEG: f64 = 0.4;
/// Farthest a road may pass from a camera (m) for the camera to watch it.
const ROAD_NEAR_M: f64 = 40.0;
/// Largest angle (deg) between a camera's heading and a road it looks along.
const ROAD_ALIGN_DEG: f64 = 30.0;
/// The stretch of road the zoomed view covers (m past the camera along the road): far enough
/// for a truck to look much the same across it (the camera stands beside the road), near
/// enough for a rear number to be read.
const VIEW_M: [f64; 2] = [70.0, 90.0];
/// A truck's speed through the checkpoint (m/s, 12 km/h).
const TRUCK_MPS: f64 = 12.0 / 3.6;
/// Its length and height (m).
const TRUCK_SIZE_M: [f64; 2] = [10.0, 3.6];
/// How far (m) it drives from before the camera to past the view.
const DRIVE_M: [f64; 2] = [-20.0, 160.0];
/// Seconds between its samples.
const SAMPLE_S: f64 = 1.0;

/// A camera zoomed on a road, with the road and how to drive it away from the camera.
pub(super) struct Checkpoint {
    pub(super) camera: SimCamera,
    road: Polyline,
    /// Arc length of the road nearest the camera.
    s0: f64,
    /// +1 when driving away from the camera runs up the road's arc length, else −1.
    dir: f64,
}

impl Checkpoint {
    /// Where a truck is `along_m` past the camera, and its heading.
    fn at(&self, along_m: f64) -> ([f64; 2], f64) {
        let s = self.s0 + self.dir * along_m;
        let bearing = self.road.bearing_at(s);
        let heading = if self.dir > 0.0 {
            bearing
        } else {
            bearing + 180.0
        };
        (self.road.at(s), heading.rem_euclid(360.0))
    }
}

/// Degrees between two bearings (0–180).
fn apart_deg(a: f64, b: f64) -> f64 {
    ((a - b + 540.0).rem_euclid(360.0) - 180.0).abs()
}

impl Gen<'_> {
    /// The first fixed camera of the district (by id) that looks along a road passing within
    /// [`ROAD_NEAR_M`], zoomed on the stretch [`VIEW_M`] of it.
    pub(super) fn checkpoint(&self, district: &District) -> Option<Checkpoint> {
        let w = self.world;
        let roads: Vec<Polyline> = district
            .roads
            .iter()
            .flat_map(|f| match &f.geometry {
                Some(Geometry::LineString(l)) => vec![l.clone()],
                Some(Geometry::MultiLineString(m)) => m.0.clone(),
                _ => Vec::new(),
            })
            .filter_map(|l| Polyline::new(l.coords().map(|c| w.xy([c.x, c.y])).collect()))
            .collect();
        let mut cameras: Vec<_> = district
            .cameras
            .iter()
            .filter(|f| f.properties.get("ptz").and_then(Value::as_bool) != Some(true))
            .collect();
        cameras.sort_by_key(|f| f.id);
        for feature in cameras {
            let Some(Geometry::Point(point)) = &feature.geometry else {
                continue;
            };
            let number = |key: &str| feature.properties.get(key).and_then(Value::as_f64);
            let (Some(height_m), Some(heading), Some(id), Some(name)) = (
                number("height_m"),
                number("heading_deg"),
                feature.id,
                feature.properties.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let origin = [point.x(), point.y()];
            for road in &roads {
                let (s0, off_m) = road.project(w.xy(origin));
                let along = road.bearing_at(s0);
                let dir = if apart_deg(along, heading) <= ROAD_ALIGN_DEG {
                    1.0
                } else if apart_deg(along + 180.0, heading) <= ROAD_ALIGN_DEG {
                    -1.0
                } else {
                    continue;
                };
                let ends = DRIVE_M.map(|d| s0 + dir * d);
                if off_m > ROAD_NEAR_M || ends.iter().any(|s| !(0.0..=road.len()).contains(s)) {
                    continue;
                }
                let mut checkpoint = Checkpoint {
                    camera: SimCamera {
                        feature_id: id.get(),
                        name: name.to_owned(),
                        pose: Pose {
                            lon: origin[0],
                            lat: origin[1],
                            height_m,
                            heading_deg: 0.0,
                            tilt_deg: 0.0,
                            hfov_deg: 0.0,
                            width: FRAME_SIZE[0],
                            height: FRAME_SIZE[1],
                        },
                        range_m: 0.0,
                        clips: Vec::new(),
                    },
                    road: road.clone(),
                    s0,
                    dir,
                };
                // from the truck's near rear corner at the near end to its far front corner at
                // the far end, across; from the rear's foot near to the roof far, up
                let [length_m, truck_height_m] = TRUCK_SIZE_M;
                let corner = |along_m: f64, side: f64| {
                    let (p, heading) = checkpoint.at(along_m);
                    let p = geodesy::destination(w.lonlat(p), heading + 90.0, side);
                    (
                        geodesy::bearing_deg(origin, p),
                        geodesy::distance_m(origin, p),
                    )
                };
                let half_width = TRUCK_WIDTH_M / 2.0;
                let corners = [
                    corner(VIEW_M[0] - length_m / 2.0, -half_width),
                    corner(VIEW_M[0] - length_m / 2.0, half_width),
                    corner(VIEW_M[1] + length_m / 2.0, -half_width),
                    corner(VIEW_M[1] + length_m / 2.0, half_width),
                ];
                let off = |deg: f64| (deg - corners[0].0 + 540.0).rem_euclid(360.0) - 180.0;
                let (left, right) = corners.iter().fold((0.0f64, 0.0f64), |(l, r), (deg, _)| {
                    (l.min(off(*deg)), r.max(off(*deg)))
                });
                let near_m = corners.iter().map(|e| e.1).fold(f64::INFINITY, f64::min);
                let far_m = corners.iter().map(|e| e.1).fold(0.0, f64::max);
                let down = (height_m / near_m).atan().to_degrees();
                let up = ((height_m - truck_height_m) / far_m).atan().to_degrees();
                // as wide as the truck's path across, or as its path up needs
                let aspect = f64::from(FRAME_SIZE[0]) / f64::from(FRAME_SIZE[1]);
                let across_deg = right - left + 2.0 * MARGIN_DEG;
                let up_deg = down - up + 2.0 * MARGIN_DEG;
                let widened_deg = 2.0
                    * ((up_deg.to_radians() / 2.0).tan() * aspect)
                        .atan()
                        .to_degrees();
                let pose = &mut checkpoint.camera.pose;
                pose.hfov_deg = across_deg.max(widened_deg);
                pose.heading_deg = (corners[0].0 + (left + right) / 2.0).rem_euclid(360.0);
                pose.tilt_deg = (down + up) / 2.0;
                checkpoint.camera.range_m = far_m;
                if pose.check().is_ok() {
                    return Some(checkpoint);
                }
            }
        }
        None
    }

    /// Plants watched truck `n` driving past `checkpoint` by day; returns its scene track.
    pub(super) fn plant_watched_truck(
        &mut self,
        rng: &mut Rng,
        checkpoint: &Checkpoint,
        n: usize,
    ) -> Option<(SceneTrack, WatchedPlate)> {
        let w = self.world;
        let drive_s = (DRIVE_M[1] - DRIVE_M[0]) / TRUCK_MPS;
        // at the camera at `t`
        let t = self.daylight_time(rng, -DRIVE_M[0] / TRUCK_MPS, DRIVE_M[1] / TRUCK_MPS)?;
        let t0 = t + DRIVE_M[0] / TRUCK_MPS;
        let steps = (drive_s / SAMPLE_S).ceil() as usize;
        let samples = (0..=steps)
            .map(|i| {
                let dt = i as f64 * SAMPLE_S;
                let (p, heading) = checkpoint.at((DRIVE_M[0] + dt * TRUCK_MPS).min(DRIVE_M[1]));
                let [lon, lat] = w.lonlat(p);
                [t0 + dt, lon, lat, heading]
            })
            .collect();
        let plate = format!("浙B{:05}", rng.int(10_000, 99_999));
        let camera = &checkpoint.camera;
        let window = VIEW_M.map(|d| t + d / TRUCK_MPS);
        let middle = checkpoint.at((VIEW_M[0] + VIEW_M[1]) / 2.0).0;
        self.add_truth(Incident {
            subject_type: SubjectType::CameraTrack,
            subject_id: format!("{}/", camera.feature_id),
            camera_id: Some(camera.feature_id),
            ..self.incident(
                AlertKind::WatchlistVehicle,
                String::new(),
                (window[0], window[1]),
                middle,
                format!(
                    "truck {plate}, on the watch list, drives past camera {}",
                    camera.name
                ),
            )
        });
        let track = SceneTrack {
            id: format!("truck-{n}"),
            mmsi: None,
            truck: true,
            length_m: TRUCK_SIZE_M[0],
            height_m: TRUCK_SIZE_M[1],
            lights: true,
            marking: Some(plate.clone()),
            samples,
        };
        let watched = WatchedPlate {
            plate,
            reason: "涉嫌走私冻品（线索待核实）".into(),
        };
        Some((track, watched))
    }
}
