//! A camera's pose from its `cameras` layer feature.

use coastwatch_core::Feature;
use coastwatch_core::geodesy::EARTH_RADIUS_M;
use coastwatch_core::georef::{CURVATURE_COEFF, Pose};
use geo::Geometry;
use serde_json::Value;

use crate::error::{Result, ScenarioError};

/// Field of view (deg) a PTZ camera is posed with: its feature's `hfov_deg` is the span it
/// pans over, not what one frame shows.
pub const PTZ_HFOV_DEG: f64 = 60.0;

/// Where the sea at a camera's `range_m` shows: this share of the image height from the top.
pub const RANGE_ROW_SHARE: f64 = 1.0 / 3.0;

/// The pose of a `cameras` layer feature for frames of `width` × `height` pixels: its point,
/// `height_m`, `heading_deg` and `hfov_deg` (a PTZ camera, or one of 180° or more, at
/// [`PTZ_HFOV_DEG`] along its heading), tilted down so that the sea at its `range_m` along
/// the heading lies [`RANGE_ROW_SHARE`] of the image from the top: a camera is aimed to see out
/// to its range, with the nearer sea below and some sky above. A range beyond the sea horizon
/// puts the horizon there.
///
/// # Errors
/// A feature without a point or one of those numbers, or whose pose [`Pose::check`] refuses.
pub fn camera_pose(camera: &Feature, width: u32, height: u32) -> Result<Pose> {
    let name = camera
        .properties
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| camera.id.map(|id| format!("id {id}")))
        .unwrap_or_else(|| "without id".to_owned());
    let fail = |reason: String| ScenarioError::Camera {
        camera: name.clone(),
        reason,
    };
    let Some(Geometry::Point(point)) = &camera.geometry else {
        return Err(fail("has no point geometry".to_owned()));
    };
    let number = |key: &str| {
        camera
            .properties
            .get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| fail(format!("has no number `{key}`")))
    };
    let (height_m, heading_deg, range_m) = (
        number("height_m")?,
        number("heading_deg")?,
        number("range_m")?,
    );
    let ptz = camera.properties.get("ptz").and_then(Value::as_bool) == Some(true);
    let hfov_deg = match number("hfov_deg")? {
        hfov if ptz || hfov >= 180.0 => PTZ_HFOV_DEG,
        hfov => hfov,
    };
    let focal_px = f64::from(width) / 2.0 / (hfov_deg.to_radians() / 2.0).tan();
    // The sea at distance d lies height + k·d²/2R below the camera (k: curvature with
    // refraction); its depression is least, the horizon, at d = √(2R·height/k).
    let drop_per_m2 = CURVATURE_COEFF / (2.0 * EARTH_RADIUS_M);
    let distance_m = range_m.min((height_m / drop_per_m2).sqrt());
    let depression = ((height_m + drop_per_m2 * distance_m * distance_m) / distance_m).atan();
    let above_centre_px = f64::from(height) * (0.5 - RANGE_ROW_SHARE);
    let tilt_deg = (depression + (above_centre_px / focal_px).atan()).to_degrees();
    let pose = Pose {
        lon: point.x(),
        lat: point.y(),
        height_m,
        heading_deg: heading_deg.rem_euclid(360.0),
        tilt_deg,
        hfov_deg,
        width,
        height,
    };
    pose.check().map_err(|e| fail(e.to_string()))?;
    Ok(pose)
}

#[cfg(test)]
mod tests {
    use coastwatch_core::geodesy;
    use serde_json::json;

    use super::*;
    use crate::District;

    #[test]
    fn the_range_shows_a_third_from_the_top() {
        let district = District::demo().unwrap();
        let mut fixed = 0;
        for camera in &district.cameras {
            let pose = camera_pose(camera, 640, 360).unwrap();
            let range_m = camera.properties["range_m"].as_f64().unwrap();
            let at = geodesy::destination(pose.position(), pose.heading_deg, range_m);
            let [x, y] = pose.ground_to_pixel(at, 0.0).unwrap();
            assert!((x - 320.0).abs() < 1e-6, "{x}");
            assert!(
                (y - 120.0).abs() < 0.5,
                "{}: row {y}",
                camera.properties["name"]
            );
            // Nearer sea lies lower, and the horizon above.
            let near = geodesy::destination(pose.position(), pose.heading_deg, range_m / 3.0);
            assert!(pose.ground_to_pixel(near, 0.0).unwrap()[1] > y + 1.0);
            assert!(pose.horizon_row() < y);
            if camera.properties["ptz"] == json!(true) {
                assert_eq!(pose.hfov_deg, PTZ_HFOV_DEG);
            } else {
                assert_eq!(
                    pose.hfov_deg,
                    camera.properties["hfov_deg"].as_f64().unwrap()
                );
                fixed += 1;
            }
        }
        assert!(fixed > 20, "{fixed}");
    }

    #[test]
    fn a_range_beyond_the_horizon_aims_at_the_horizon() {
        let camera = Feature::new(
            geo::Point::new(121.6, 29.6),
            json!({"name": "low", "height_m": 2.0, "heading_deg": 450.0, "hfov_deg": 50.0,
                   "range_m": 20000.0, "ptz": false}),
        );
        let pose = camera_pose(&camera, 640, 360).unwrap();
        assert_eq!(pose.heading_deg, 90.0);
        assert!(
            (pose.horizon_row() - 120.0).abs() < 0.5,
            "{}",
            pose.horizon_row()
        );
    }

    #[test]
    fn a_camera_without_its_numbers_has_no_pose() {
        let camera = Feature::new(
            geo::Point::new(121.6, 29.6),
            json!({"name": "CH-99", "height_m": 12.0, "heading_deg": 90.0, "range_m": 900.0}),
        );
        let error = camera_pose(&camera, 640, 360).unwrap_err().to_string();
        assert_eq!(error, "camera CH-99: has no number `hfov_deg`");
        let bad = Feature::new(
            geo::Point::new(121.6, 29.6),
            json!({"height_m": -3.0, "heading_deg": 90.0, "hfov_deg": 60.0, "range_m": 900.0}),
        );
        let error = camera_pose(&bad, 640, 360).unwrap_err().to_string();
        assert!(
            error.starts_with("camera without id: invalid pose: height_m"),
            "{error}"
        );
    }
}
