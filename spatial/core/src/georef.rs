//! Camera calibration (georeferencing): where a pixel of a fixed camera lies on the sea
//! surface, and where a place on the sea shows in the image.
//!
//! A camera is calibrated either by its [`Pose`] (position, height, heading, tilt and field of
//! view of a pinhole camera over a curved sea with refraction) or by ground control points
//! ([`Gcp`]: pixels with known lon/lat) that fit a [`Homography`]. Both compile into a
//! [`Georef`], which maps pixels to [`GroundPoint`]s with their uncertainty.
//!
//! # Units
//!
//! Pixels: x right, y down, `(0, 0)` the top-left corner of the image, which spans
//! `[0, width] × [0, height]`; the principal point is its centre. Angles in degrees (bearings
//! clockwise from north), distances and heights in metres, positions as `[lon, lat]`.

mod calibration;
mod homography;
mod linalg;

pub use calibration::{Calibration, Georef, Unplaced};
pub use homography::{Gcp, Homography};

use serde::{Deserialize, Serialize};

use crate::geodesy::{self, EARTH_RADIUS_M};

/// Curvature coefficient (1 − refraction) of the sea surface seen from a camera: the sea drops
/// `CURVATURE_COEFF · d² / 2R` below the camera's tangent plane at distance `d`. GDAL's
/// viewshed uses the same default (`1 − 1/7`), and so does coverage planning.
pub const CURVATURE_COEFF: f64 = 0.85714;

/// The error (px, one sigma) assumed of a detection's foot point, from which a
/// [`GroundPoint`]'s uncertainty follows.
pub const FOOT_SIGMA_PX: f64 = 2.0;

/// Highest point above the sea (m) that a pixel of an unrecognised object may show: a
/// motion blob's lowest pixel may be a light on a mast rather than the waterline.
pub const UNKNOWN_HEIGHT_M: f64 = 8.0;

/// The largest RMS reprojection error (px) a ground-control-point calibration may have unless
/// it sets its own `max_rms_px`.
pub const DEFAULT_MAX_RMS_PX: f64 = 5.0;

/// The smallest range uncertainty, as a fraction of the range.
const MIN_RANGE_SIGMA_FRACTION: f64 = 0.05;

/// Drop of the sea below the tangent plane per squared metre of distance (1/m).
const DROP_PER_M2: f64 = CURVATURE_COEFF / (2.0 * EARTH_RADIUS_M);

/// A camera's pose: where it is and how it looks (pinhole, no roll, no lens distortion).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pose {
    /// Longitude of the camera (deg).
    pub lon: f64,
    /// Latitude of the camera (deg).
    pub lat: f64,
    /// Height of the optical centre above the sea (m).
    pub height_m: f64,
    /// Centre of the view, degrees clockwise from north.
    pub heading_deg: f64,
    /// Tilt of the optical axis below the horizontal (deg, positive down).
    pub tilt_deg: f64,
    /// Horizontal field of view (deg), across the image width.
    pub hfov_deg: f64,
    /// Image width (px).
    pub width: u32,
    /// Image height (px).
    pub height: u32,
}

/// Where a pixel lies on the sea surface, seen from the camera.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroundPoint {
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Distance from the camera along the sea (m).
    pub range_m: f64,
    /// Bearing from the camera, degrees clockwise from north, `0..360`.
    pub bearing_deg: f64,
    /// Uncertainty of the range (m, one sigma): a foot point [`FOOT_SIGMA_PX`] off vertically,
    /// at least 5 % of the range; the whole range where that reaches the horizon.
    pub range_sigma_m: f64,
    /// Uncertainty of the bearing (deg, one sigma): [`FOOT_SIGMA_PX`] of angle at the pixel.
    pub bearing_sigma_deg: f64,
    /// How much nearer than `range_m` the object may be (m): an unrecognised object's lowest
    /// pixel may show a point above the waterline. 0 for a foot point.
    pub nearer_m: f64,
    /// How much farther than `range_m` the object may be (m): the sea [`FAR_SIGMAS`] foot
    /// sigmas higher in the image, or the sea horizon where that is above it. Near the horizon
    /// a pixel's range error is lopsided, far larger outwards than `range_sigma_m` says.
    pub farther_m: f64,
}

/// Foot sigmas above a pixel that bound how far its object may be ([`GroundPoint::farther_m`]).
pub const FAR_SIGMAS: f64 = 3.0;

/// A pixel with no ground position: at or above the horizon (never a point at infinity).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("pixel ({x:.0}, {y:.0}) is at or above the horizon: it has no ground position")]
pub struct NoGround {
    /// The pixel's x.
    pub x: f64,
    /// The pixel's y.
    pub y: f64,
}

/// Why a calibration was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// A pose value out of its range.
    #[error("invalid pose: {field} {reason}")]
    InvalidPose {
        /// The pose's field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting of a ground-control-point calibration out of its range.
    #[error("invalid calibration: {field} {reason}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A ground control point that cannot be used.
    #[error("point {index}: {reason}")]
    InvalidPoint {
        /// The point's index (from 0).
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Fewer than the 4 points a homography needs.
    #[error("a homography needs at least 4 points, got {got}")]
    TooFewPoints {
        /// How many were given.
        got: usize,
    },
    /// Two points at the same place.
    #[error(
        "points {a} and {b} are duplicates: their pixels are within 1 px or their ground \
         points within 0.5 m of each other"
    )]
    Duplicate {
        /// The first point's index.
        a: usize,
        /// The second point's index.
        b: usize,
    },
    /// Points on one line, or all but one of them, which fix no homography.
    #[error(
        "the {plane} points lie on one line (or all but one do): a homography needs 4 with no 3 \
         on one line, so spread them over the image and the sea"
    )]
    Collinear {
        /// `pixel` or `ground`.
        plane: &'static str,
    },
    /// Points that fix the homography too loosely to trust.
    #[error(
        "the points give an ill-conditioned homography: spread them over the image and the sea"
    )]
    IllConditioned,
    /// A point on the far side of the horizon line of the homography the points fit.
    #[error(
        "point {index} falls beyond the horizon line of the homography the points fit: they \
         disagree (check for a mistyped or swapped point)"
    )]
    BeyondHorizon {
        /// The point's index.
        index: usize,
    },
    /// A fit whose points disagree too much.
    #[error(
        "the points fit a homography only to {rms_px:.1} px rms, above the {max_rms_px} px \
         allowed: check for a mistyped or swapped point"
    )]
    TooInaccurate {
        /// The RMS reprojection error (px).
        rms_px: f64,
        /// The largest allowed (px).
        max_rms_px: f64,
    },
    /// A pose that sees no sea below the horizon.
    #[error("the image shows (almost) no sea below the horizon")]
    NoSea,
}

impl CalibrationError {
    fn pose(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidPose {
            field,
            reason: reason.into(),
        }
    }
}

impl Pose {
    /// Checks every value: finite, lon/lat in range, `height_m > 0`, `0 < hfov_deg < 180`,
    /// `-90 < tilt_deg < 90`, width and height at least 16 px.
    pub fn check(&self) -> Result<(), CalibrationError> {
        let finite = [
            ("lon", self.lon),
            ("lat", self.lat),
            ("height_m", self.height_m),
            ("heading_deg", self.heading_deg),
            ("tilt_deg", self.tilt_deg),
            ("hfov_deg", self.hfov_deg),
        ];
        for (field, value) in finite {
            if !value.is_finite() {
                return Err(CalibrationError::pose(
                    field,
                    format!("{value} must be a finite number"),
                ));
            }
        }
        let ranges = [
            (
                "lon",
                self.lon,
                -180.0 <= self.lon && self.lon <= 180.0,
                "-180..=180",
            ),
            (
                "lat",
                self.lat,
                -90.0 <= self.lat && self.lat <= 90.0,
                "-90..=90",
            ),
            ("height_m", self.height_m, self.height_m > 0.0, "above 0"),
            (
                "tilt_deg",
                self.tilt_deg,
                self.tilt_deg.abs() < 90.0,
                "above -90 and below 90",
            ),
            (
                "hfov_deg",
                self.hfov_deg,
                self.hfov_deg > 0.0 && self.hfov_deg < 180.0,
                "above 0 and below 180",
            ),
        ];
        for (field, value, ok, rule) in ranges {
            if !ok {
                return Err(CalibrationError::pose(
                    field,
                    format!("{value} must be {rule}"),
                ));
            }
        }
        for (field, value) in [("width", self.width), ("height", self.height)] {
            if value < 16 {
                return Err(CalibrationError::pose(
                    field,
                    format!("{value} px must be at least 16"),
                ));
            }
        }
        Ok(())
    }

    /// The camera's position (lon, lat).
    pub fn position(&self) -> [f64; 2] {
        [self.lon, self.lat]
    }

    /// Focal length (px).
    fn focal_px(&self) -> f64 {
        f64::from(self.width) / 2.0 / (self.hfov_deg.to_radians() / 2.0).tan()
    }

    /// The principal point (px): the image centre.
    fn centre(&self) -> [f64; 2] {
        [f64::from(self.width) / 2.0, f64::from(self.height) / 2.0]
    }

    /// A pixel's ray in the level frame of the camera: forward (along the heading), right,
    /// down; not normalised.
    fn ray(&self, px: [f64; 2]) -> [f64; 3] {
        let (f, c) = (self.focal_px(), self.centre());
        let (x, y) = ((px[0] - c[0]) / f, (px[1] - c[1]) / f);
        let (sin, cos) = self.tilt_deg.to_radians().sin_cos();
        [cos - y * sin, x, sin + y * cos]
    }

    /// Bearing (deg, `0..360`) of a pixel's ray, whether or not it meets the sea.
    fn ray_bearing_deg(&self, px: [f64; 2]) -> f64 {
        let [forward, right, _] = self.ray(px);
        (self.heading_deg + right.atan2(forward).to_degrees()).rem_euclid(360.0)
    }

    /// Range (m) and bearing (deg) of the sea where a pixel's ray meets it.
    fn polar(&self, px: [f64; 2]) -> Option<(f64, f64)> {
        let [forward, right, down] = self.ray(px);
        let tan_depression = down / forward.hypot(right);
        // The ray's height above the sea at distance d: height − d·tanα + DROP·d² = 0.
        let discriminant = tan_depression * tan_depression - 4.0 * DROP_PER_M2 * self.height_m;
        if !(tan_depression > 0.0 && discriminant >= 0.0) {
            return None;
        }
        let range_m = 2.0 * self.height_m / (tan_depression + discriminant.sqrt());
        range_m
            .is_finite()
            .then(|| (range_m, self.ray_bearing_deg(px)))
    }

    /// [`pixel_to_ground`](Self::pixel_to_ground) for an unrecognised object (a motion blob,
    /// lights at night): its lowest pixel may show a point up to [`UNKNOWN_HEIGHT_M`] above
    /// the sea, which lies nearer than the sea that pixel shows: `nearer_m` says how much. The
    /// position stays the waterline reading (the farthest it can be).
    pub fn pixel_to_ground_unknown(&self, px: [f64; 2]) -> Result<GroundPoint, NoGround> {
        let mut ground = self.pixel_to_ground(px)?;
        // the ray passes `UNKNOWN_HEIGHT_M` above the sea where a camera that much lower
        // would see the sea; for a camera no higher than that, anywhere before the sea
        let lower = Pose {
            height_m: self.height_m - UNKNOWN_HEIGHT_M,
            ..*self
        };
        let near_m = match lower.pixel_to_ground(px) {
            Ok(near) if lower.height_m > 0.0 => near.range_m,
            _ => 0.0,
        };
        ground.nearer_m = (ground.range_m - near_m).max(0.0);
        Ok(ground)
    }

    /// Where pixel `px` lies on the sea, with the uncertainty of a foot point there. Pixels
    /// outside the image are mapped too.
    pub fn pixel_to_ground(&self, px: [f64; 2]) -> Result<GroundPoint, NoGround> {
        let no_ground = NoGround { x: px[0], y: px[1] };
        let (range_m, bearing_deg) = self.polar(px).ok_or(no_ground)?;
        let [lon, lat] = geodesy::destination(self.position(), bearing_deg, range_m);
        let (range_sigma_m, bearing_sigma_deg) = uncertainty(
            px,
            range_m,
            bearing_deg,
            |p| self.polar(p).map(|(r, _)| r),
            |p| Some(self.ray_bearing_deg(p)),
        );
        let farthest_m = match self.polar([px[0], px[1] - FAR_SIGMAS * FOOT_SIGMA_PX]) {
            Some((far_m, _)) => far_m,
            None => self.sea_horizon_m(),
        };
        Ok(GroundPoint {
            lon,
            lat,
            range_m,
            bearing_deg,
            range_sigma_m,
            bearing_sigma_deg,
            nearer_m: 0.0,
            farther_m: (farthest_m - range_m).max(0.0),
        })
    }

    /// Distance (m) to the sea horizon, curvature and refraction included.
    pub fn sea_horizon_m(&self) -> f64 {
        (self.height_m / DROP_PER_M2).sqrt()
    }

    /// The pixel where a place `height_above_sea_m` above the sea at `lonlat` shows: `None`
    /// behind the camera or hidden below the horizon by the earth's curvature. The pixel may
    /// lie outside the image (the caller checks the bounds).
    pub fn ground_to_pixel(&self, lonlat: [f64; 2], height_above_sea_m: f64) -> Option<[f64; 2]> {
        if !(height_above_sea_m >= 0.0 && height_above_sea_m.is_finite()) {
            return None;
        }
        let distance_m = geodesy::distance_m(self.position(), lonlat);
        let horizon_m =
            (self.height_m / DROP_PER_M2).sqrt() + (height_above_sea_m / DROP_PER_M2).sqrt();
        if distance_m.is_nan() || distance_m > horizon_m {
            return None;
        }
        let off = (geodesy::bearing_deg(self.position(), lonlat) - self.heading_deg).to_radians();
        let forward = distance_m * off.cos();
        let right = distance_m * off.sin();
        let down = self.height_m + DROP_PER_M2 * distance_m * distance_m - height_above_sea_m;
        let (sin, cos) = self.tilt_deg.to_radians().sin_cos();
        let z = forward * cos + down * sin;
        let y = down * cos - forward * sin;
        if z.is_nan() || z <= 0.0 {
            return None;
        }
        let (f, c) = (self.focal_px(), self.centre());
        Some([c[0] + f * right / z, c[1] + f * y / z])
    }

    /// The image row (y, px) of the sea horizon at the image's centre column: pixels above it
    /// have no ground. May lie outside the image; ±∞ when the horizon is 90° or more off the
    /// optical axis.
    pub fn horizon_row(&self) -> f64 {
        self.row_of_depression((2.0 * (DROP_PER_M2 * self.height_m).sqrt()).atan())
    }

    /// The image row (y, px) at the centre column whose ray dips `depression` (rad) below the
    /// horizontal; ±∞ at 90° or more off the optical axis.
    fn row_of_depression(&self, depression: f64) -> f64 {
        let off = depression - self.tilt_deg.to_radians();
        if off >= std::f64::consts::FRAC_PI_2 {
            f64::INFINITY
        } else if off <= -std::f64::consts::FRAC_PI_2 {
            f64::NEG_INFINITY
        } else {
            self.centre()[1] + self.focal_px() * off.tan()
        }
    }

    /// Half the width (deg) of the bearings the image spans: the largest angle between the
    /// heading and the ray of an image corner. It is `hfov_deg / 2` for a level camera, and
    /// more for a tilted one, whose lower (tilted down) corners look wider on the ground.
    pub fn sector_half_width_deg(&self) -> f64 {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        [[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]]
            .into_iter()
            .map(|corner| {
                let [forward, right, _] = self.ray(corner);
                right.atan2(forward).to_degrees().abs()
            })
            .fold(0.0, f64::max)
    }
}

/// Signed difference `b − a` of two bearings (deg), in `-180..180`.
fn bearing_diff_deg(a: f64, b: f64) -> f64 {
    (b - a + 540.0).rem_euclid(360.0) - 180.0
}

/// The range and bearing uncertainty of a foot point at `px`: half the spread of the ranges at
/// `y ± FOOT_SIGMA_PX` (the whole range where the upper one has no ground; at least 5 % of the
/// range), and of the bearings at `x ± FOOT_SIGMA_PX`.
fn uncertainty(
    px: [f64; 2],
    range_m: f64,
    bearing_deg: f64,
    range_at: impl Fn([f64; 2]) -> Option<f64>,
    bearing_at: impl Fn([f64; 2]) -> Option<f64>,
) -> (f64, f64) {
    let [x, y] = px;
    let s = FOOT_SIGMA_PX;
    let range_sigma_m = match (range_at([x, y - s]), range_at([x, y + s])) {
        (None, _) => range_m,
        (Some(far), Some(near)) => (far - near).abs() / 2.0,
        (Some(far), None) => (far - range_m).abs(),
    };
    let bearing_sigma_deg = match (bearing_at([x - s, y]), bearing_at([x + s, y])) {
        (Some(left), Some(right)) => bearing_diff_deg(left, right).abs() / 2.0,
        (Some(one), None) | (None, Some(one)) => bearing_diff_deg(bearing_deg, one).abs(),
        (None, None) => 0.0,
    };
    (
        range_sigma_m.max(MIN_RANGE_SIGMA_FRACTION * range_m),
        bearing_sigma_deg,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 30 m above the sea off Xiangshan, looking east-south-east.
    pub(super) fn pose() -> Pose {
        Pose {
            lon: 121.6,
            lat: 29.6,
            height_m: 30.0,
            heading_deg: 120.0,
            tilt_deg: 4.0,
            hfov_deg: 60.0,
            width: 1280,
            height: 720,
        }
    }

    #[test]
    fn pixels_round_trip_through_the_sea() {
        let pose = pose();
        let horizon = pose.horizon_row();
        let mut checked = 0;
        for i in 0..=16 {
            for j in 0..=12 {
                let px = [f64::from(i) * 80.0, horizon + 1.0 + f64::from(j) * 35.0];
                let Ok(ground) = pose.pixel_to_ground(px) else {
                    continue;
                };
                let back = pose
                    .ground_to_pixel([ground.lon, ground.lat], 0.0)
                    .expect("a sea point in view");
                let error = (back[0] - px[0]).hypot(back[1] - px[1]);
                assert!(error < 0.01, "{px:?} → {ground:?} → {back:?}");
                checked += 1;
            }
        }
        assert!(checked > 150, "{checked}");
    }

    #[test]
    fn the_centre_pixel_looks_along_the_heading_at_the_tilt() {
        let pose = pose();
        let ground = pose.pixel_to_ground([640.0, 360.0]).unwrap();
        assert!((ground.bearing_deg - 120.0).abs() < 1e-9, "{ground:?}");
        // 30 m / tan 4° = 429 m on a flat sea; the curved sea drops 1.2 cm there.
        let flat_m = 30.0 / 4f64.to_radians().tan();
        assert!((ground.range_m - flat_m).abs() < 0.5, "{ground:?}");
        let measured = geodesy::distance_m(pose.position(), [ground.lon, ground.lat]);
        assert!((measured - ground.range_m).abs() < 1e-6);
    }

    #[test]
    fn pixels_above_the_horizon_have_no_ground() {
        let pose = pose();
        let error = pose.pixel_to_ground([640.0, 100.0]).unwrap_err();
        assert_eq!(error, NoGround { x: 640.0, y: 100.0 });
        assert_eq!(
            error.to_string(),
            "pixel (640, 100) is at or above the horizon: it has no ground position"
        );
        // Level or looking up: the upper half is sky.
        let up = Pose {
            tilt_deg: -10.0,
            ..pose
        };
        assert!(up.pixel_to_ground([640.0, 360.0]).is_err());
        assert!(up.pixel_to_ground([640.0, 719.0]).is_ok());
    }

    #[test]
    fn horizon_row_is_where_the_sea_ends() {
        let pose = pose();
        let row = pose.horizon_row();
        // The horizon of an earth of radius R/k dips √(2hk/R) below the horizontal.
        let dip = (2.0 * 30.0 * CURVATURE_COEFF / EARTH_RADIUS_M).sqrt();
        let expected = 360.0 + pose.focal_px() * (dip - 4f64.to_radians()).tan();
        assert!((row - expected).abs() < 0.05, "{row} vs {expected}");
        assert!(row > 280.0 && row < 290.0, "{row}");
        assert!(pose.pixel_to_ground([640.0, row - 0.02]).is_err());
        let edge = pose.pixel_to_ground([640.0, row + 0.02]).unwrap();
        // Just below the horizon the sea is as far as the horizon, √(h/DROP) = 21.1 km.
        let horizon_m = (30.0 / DROP_PER_M2).sqrt();
        assert!(
            edge.range_m > 0.8 * horizon_m && edge.range_m <= horizon_m,
            "{edge:?}"
        );
        assert_eq!(edge.range_sigma_m, edge.range_m);
    }

    #[test]
    fn an_unrecognised_object_may_lie_nearer_than_the_sea_its_lowest_pixel_shows() {
        let pose = pose();
        let px = [640.0, 600.0];
        let foot = pose.pixel_to_ground(px).unwrap();
        let unknown = pose.pixel_to_ground_unknown(px).unwrap();
        assert_eq!(
            (unknown.lon, unknown.lat),
            (foot.lon, foot.lat),
            "the waterline reading"
        );
        // a mast light 8 m up on the same ray is where a camera 22 m up sees the sea: about
        // 22/30 as far
        let near = Pose {
            height_m: 22.0,
            ..pose
        }
        .pixel_to_ground(px)
        .unwrap();
        assert!(near.range_m < 0.75 * foot.range_m, "{near:?}");
        assert!((unknown.nearer_m - (foot.range_m - near.range_m)).abs() < 1e-6);
        assert_eq!(foot.nearer_m, 0.0);
        // a camera lower than the light: anywhere before the sea it shows
        let low = Pose {
            height_m: 6.0,
            ..pose
        };
        let open = low.pixel_to_ground_unknown(px).unwrap();
        assert_eq!(open.nearer_m, open.range_m, "{open:?}");
    }

    #[test]
    fn range_and_its_uncertainty_grow_toward_the_horizon() {
        let pose = pose();
        let horizon = pose.horizon_row();
        let mut last: Option<GroundPoint> = None;
        let mut y = 719.5;
        while y > horizon + 0.5 {
            let ground = pose.pixel_to_ground([640.0, y]).unwrap();
            if let Some(last) = last {
                assert!(ground.range_m > last.range_m, "{last:?} then {ground:?}");
                assert!(
                    ground.range_sigma_m >= last.range_sigma_m,
                    "{last:?} then {ground:?}"
                );
            }
            assert!(ground.range_sigma_m >= 0.05 * ground.range_m - 1e-9);
            assert!(ground.bearing_sigma_deg > 0.0 && ground.bearing_sigma_deg < 0.2);
            last = Some(ground);
            y -= 4.0;
        }
        let near = pose.pixel_to_ground([640.0, 700.0]).unwrap();
        let far = pose.pixel_to_ground([640.0, horizon + 3.0]).unwrap();
        assert!(
            far.range_sigma_m > 100.0 * near.range_sigma_m,
            "{near:?} {far:?}"
        );
        // 2 px at the centre: atan(2 / f) = 0.103°.
        let two_px = (2.0 / pose.focal_px()).atan().to_degrees();
        assert!((near.bearing_sigma_deg - two_px).abs() < 0.01, "{near:?}");
        // outwards a near pixel is within its sigmas (here the 5 % floor); one by the horizon
        // may be anywhere up to the horizon
        assert!(
            near.farther_m > 0.0 && near.farther_m < 3.0 * near.range_sigma_m,
            "{near:?}"
        );
        assert!(
            (far.range_m + far.farther_m - pose.sea_horizon_m()).abs() < 1.0,
            "{far:?}"
        );
    }

    #[test]
    fn hidden_and_behind_places_have_no_pixel() {
        let pose = pose();
        let behind = geodesy::destination(pose.position(), 300.0, 1000.0);
        assert_eq!(pose.ground_to_pixel(behind, 0.0), None);
        // The sea 30 km out is below the 21.1 km horizon; a 20 m mast there is not (17.2 km
        // more).
        let out = geodesy::destination(pose.position(), 120.0, 30_000.0);
        assert_eq!(pose.ground_to_pixel(out, 0.0), None);
        let mast = pose.ground_to_pixel(out, 20.0).unwrap();
        assert!((mast[0] - 640.0).abs() < 1e-6, "{mast:?}");
        assert!(mast[1] < pose.horizon_row(), "{mast:?}");
        assert_eq!(pose.ground_to_pixel(out, -1.0), None);
        assert_eq!(pose.ground_to_pixel(out, f64::NAN), None);
    }

    #[test]
    fn a_tilted_image_spans_more_than_its_hfov_on_the_ground() {
        let level = Pose {
            tilt_deg: 0.0,
            ..pose()
        };
        assert!((level.sector_half_width_deg() - 30.0).abs() < 1e-9);
        let tilted = pose().sector_half_width_deg();
        assert!(tilted > 30.0 && tilted < 31.0, "{tilted}");
    }

    #[test]
    fn invalid_poses_are_refused_naming_the_field() {
        assert_eq!(pose().check(), Ok(()));
        let cases = [
            (
                Pose {
                    hfov_deg: 0.0,
                    ..pose()
                },
                "invalid pose: hfov_deg 0 must be above 0 and below 180",
            ),
            (
                Pose {
                    height_m: -1.0,
                    ..pose()
                },
                "invalid pose: height_m -1 must be above 0",
            ),
            (
                Pose {
                    lat: f64::NAN,
                    ..pose()
                },
                "invalid pose: lat NaN must be a finite number",
            ),
            (
                Pose {
                    tilt_deg: 90.0,
                    ..pose()
                },
                "invalid pose: tilt_deg 90 must be above -90 and below 90",
            ),
            (
                Pose {
                    lat: 121.6,
                    ..pose()
                },
                "invalid pose: lat 121.6 must be -90..=90",
            ),
            (
                Pose { width: 8, ..pose() },
                "invalid pose: width 8 px must be at least 16",
            ),
        ];
        for (pose, message) in cases {
            let error = pose.check().unwrap_err();
            assert!(
                matches!(error, CalibrationError::InvalidPose { .. }),
                "{error:?}"
            );
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn a_pose_reads_from_json_and_refuses_unknown_fields() {
        let json = r#"{"lon": 121.6, "lat": 29.6, "height_m": 30, "heading_deg": 120,
            "tilt_deg": 4, "hfov_deg": 60, "width": 1280, "height": 720}"#;
        assert_eq!(serde_json::from_str::<Pose>(json).unwrap(), pose());
        let typo = json.replace("tilt_deg", "tilt");
        let error = serde_json::from_str::<Pose>(&typo).unwrap_err().to_string();
        assert!(error.contains("unknown field `tilt`"), "{error}");
    }
}
