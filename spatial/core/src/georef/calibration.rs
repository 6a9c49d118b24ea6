//! A camera's calibration as configured, and the checked [`Georef`] it compiles to.

use serde::{Deserialize, Serialize};

use super::homography::check_lonlat;
use super::{
    CalibrationError, DEFAULT_MAX_RMS_PX, DROP_PER_M2, FAR_SIGMAS, FOOT_SIGMA_PX, Gcp, GroundPoint,
    Homography, NoGround, Pose, uncertainty,
};
use crate::geodesy::{self, LocalFrame};

/// Border pixels sampled per image edge for a footprint.
const FOOTPRINT_STEPS: u32 = 32;
/// The pose's sea fitted by its homography reaches this fraction of the horizon distance.
const POSE_FIT_HORIZON_FRACTION: f64 = 0.25;
/// Grid of a pose's homography fit: this many columns and rows.
const POSE_FIT_GRID: u32 = 9;
/// Ground control points farther than this from the camera (m) are mistakes: beyond the
/// horizon of a camera 500 m up.
const MAX_POINT_RANGE_M: f64 = 100_000.0;

/// How a camera is calibrated, as configured (TOML or JSON): either its pose,
///
/// ```toml
/// [vision.cameras.calibration.pose]
/// lon = 121.6
/// lat = 29.6
/// height_m = 30.0
/// heading_deg = 120.0
/// tilt_deg = 4.0
/// hfov_deg = 60.0
/// width = 1280
/// height = 720
/// ```
///
/// or its position, image size and ground control points (at least 4; `max_rms_px` defaults
/// to [`DEFAULT_MAX_RMS_PX`]):
///
/// ```toml
/// [vision.cameras.calibration]
/// camera = [121.6, 29.6]
/// width = 1280
/// height = 720
/// points = [
///     { pixel = [412.0, 508.0], lonlat = [121.6049, 29.5961] },
///     # …
/// ]
/// ```
///
/// Unknown keys, and keys of both kinds together, are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CalibrationFields", into = "CalibrationFields")]
pub enum Calibration {
    /// A camera of known pose.
    Pose(Pose),
    /// A camera fitted to ground control points.
    Points {
        /// The camera's position (lon, lat), from which ranges and bearings are measured.
        camera: [f64; 2],
        /// Image width (px).
        width: u32,
        /// Image height (px).
        height: u32,
        /// The ground control points.
        points: Vec<Gcp>,
        /// The largest RMS reprojection error allowed (px); default [`DEFAULT_MAX_RMS_PX`].
        max_rms_px: Option<f64>,
    },
}

/// The keys of either kind of [`Calibration`], so that a mistake gets a precise message.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalibrationFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pose: Option<Pose>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    camera: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    points: Option<Vec<Gcp>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_rms_px: Option<f64>,
}

impl TryFrom<CalibrationFields> for Calibration {
    type Error = String;

    fn try_from(fields: CalibrationFields) -> Result<Self, String> {
        let CalibrationFields {
            pose,
            camera,
            width,
            height,
            points,
            max_rms_px,
        } = fields;
        let point_keys = [
            ("camera", camera.is_some()),
            ("width", width.is_some()),
            ("height", height.is_some()),
            ("points", points.is_some()),
            ("max_rms_px", max_rms_px.is_some()),
        ];
        if let Some(pose) = pose {
            let extra: Vec<&str> = point_keys
                .iter()
                .filter(|(_, given)| *given)
                .map(|(key, _)| *key)
                .collect();
            if !extra.is_empty() {
                return Err(format!(
                    "a calibration has either `pose` or `camera`, `width`, `height` and \
                     `points`, not both (remove {})",
                    extra.join(", ")
                ));
            }
            return Ok(Self::Pose(pose));
        }
        match (camera, width, height, points) {
            (Some(camera), Some(width), Some(height), Some(points)) => Ok(Self::Points {
                camera,
                width,
                height,
                points,
                max_rms_px,
            }),
            _ => {
                let missing: Vec<&str> = point_keys[..4]
                    .iter()
                    .filter(|(_, given)| !*given)
                    .map(|(key, _)| *key)
                    .collect();
                Err(format!(
                    "a calibration needs `pose`, or `camera`, `width`, `height` and `points` \
                     (missing {})",
                    missing.join(", ")
                ))
            }
        }
    }
}

impl From<Calibration> for CalibrationFields {
    fn from(calibration: Calibration) -> Self {
        match calibration {
            Calibration::Pose(pose) => Self {
                pose: Some(pose),
                camera: None,
                width: None,
                height: None,
                points: None,
                max_rms_px: None,
            },
            Calibration::Points {
                camera,
                width,
                height,
                points,
                max_rms_px,
            } => Self {
                pose: None,
                camera: Some(camera),
                width: Some(width),
                height: Some(height),
                points: Some(points),
                max_rms_px,
            },
        }
    }
}

impl Calibration {
    /// Checks the calibration and compiles it: a pose is checked and its near sea fitted by a
    /// homography; ground control points (inside the image, within 100 km of the camera) are
    /// fitted and refused when their RMS reprojection error exceeds `max_rms_px`.
    pub fn compile(&self) -> Result<Georef, CalibrationError> {
        match self {
            Self::Pose(pose) => {
                pose.check()?;
                Ok(Georef {
                    pose: Some(*pose),
                    homography: pose_homography(pose)?,
                    camera: pose.position(),
                    size: [pose.width, pose.height],
                })
            }
            Self::Points {
                camera,
                width,
                height,
                points,
                max_rms_px,
            } => {
                let invalid = |field, reason| CalibrationError::Invalid { field, reason };
                check_lonlat(*camera).map_err(|r| invalid("camera", r))?;
                for (field, value) in [("width", *width), ("height", *height)] {
                    if value < 16 {
                        return Err(invalid(field, format!("{value} px must be at least 16")));
                    }
                }
                let max_rms_px = max_rms_px.unwrap_or(DEFAULT_MAX_RMS_PX);
                if !(max_rms_px.is_finite() && max_rms_px > 0.0) {
                    return Err(invalid(
                        "max_rms_px",
                        format!("{max_rms_px} must be a positive number"),
                    ));
                }
                let (w, h) = (f64::from(*width), f64::from(*height));
                for (index, point) in points.iter().enumerate() {
                    let [x, y] = point.pixel;
                    if !((0.0..=w).contains(&x) && (0.0..=h).contains(&y)) {
                        return Err(CalibrationError::InvalidPoint {
                            index,
                            reason: format!(
                                "pixel [{x}, {y}] is outside the {width}×{height} image"
                            ),
                        });
                    }
                    let range_m = geodesy::distance_m(*camera, point.lonlat);
                    if range_m > MAX_POINT_RANGE_M {
                        let swapped = [point.lonlat[1], point.lonlat[0]];
                        let hint = if geodesy::distance_m(*camera, swapped) <= MAX_POINT_RANGE_M {
                            " (lon and lat swapped?)"
                        } else {
                            ""
                        };
                        return Err(CalibrationError::InvalidPoint {
                            index,
                            reason: format!(
                                "{:?} lies {:.0} km from the camera, farther than any sea it \
                                 sees{hint}",
                                point.lonlat,
                                range_m / 1000.0
                            ),
                        });
                    }
                }
                let homography = Homography::fit_within(points, *camera, max_rms_px)?;
                Ok(Georef {
                    pose: None,
                    homography,
                    camera: *camera,
                    size: [*width, *height],
                })
            }
        }
    }
}

/// The homography of a pose's near sea: fitted to its own projections of a grid of pixels
/// from the image's bottom up to the row where the sea lies a quarter of the horizon distance
/// away (where the curved sea still departs little from a plane), or up to the horizon when
/// all the sea in view is farther.
fn pose_homography(pose: &Pose) -> Result<Homography, CalibrationError> {
    let height = f64::from(pose.height);
    let far_m = POSE_FIT_HORIZON_FRACTION * (pose.height_m / DROP_PER_M2).sqrt();
    let depression = ((pose.height_m + DROP_PER_M2 * far_m * far_m) / far_m).atan();
    let mut top = pose.row_of_depression(depression).max(0.0);
    if height - top < 8.0 {
        top = (pose.horizon_row() + 1.0).max(0.0);
    }
    if height - top < 4.0 {
        return Err(CalibrationError::NoSea);
    }
    let step = POSE_FIT_GRID - 1;
    let mut points = Vec::new();
    for i in 0..=step {
        for j in 0..=step {
            let x = f64::from(pose.width) * f64::from(i) / f64::from(step);
            let y = top + (height - top) * f64::from(j) / f64::from(step);
            if let Ok(ground) = pose.pixel_to_ground([x, y]) {
                points.push(Gcp {
                    pixel: [x, y],
                    lonlat: [ground.lon, ground.lat],
                });
            }
        }
    }
    Homography::fit_around(&points, pose.position()).map_err(|_| CalibrationError::NoSea)
}

/// How near (px) a box may come to the image's edge and still show the whole object.
const EDGE_PX: f64 = 2.0;

/// Why a box has no place on the map.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum Unplaced {
    /// Its foot is at or above the horizon.
    #[error(transparent)]
    AboveHorizon(NoGround),
    /// The image's edge cuts it: part of the object is outside the view.
    #[error("the box is cut by the image's edge")]
    CutByEdge,
}

/// A checked calibration that maps pixels to the sea surface.
#[derive(Debug, Clone, PartialEq)]
pub struct Georef {
    pose: Option<Pose>,
    homography: Homography,
    camera: [f64; 2],
    size: [u32; 2],
}

impl Georef {
    /// Where pixel `px` lies on the sea, with range and bearing from the camera and their
    /// uncertainty for a foot point there (see [`GroundPoint`]). A pose maps through its
    /// curved sea, ground control points through their homography.
    pub fn pixel_to_ground(&self, px: [f64; 2]) -> Result<GroundPoint, NoGround> {
        if let Some(pose) = &self.pose {
            return pose.pixel_to_ground(px);
        }
        let (range_m, bearing_deg) = self
            .points_polar(px)
            .ok_or(NoGround { x: px[0], y: px[1] })?;
        let [lon, lat] = self
            .homography
            .pixel_to_ground(px)
            .ok_or(NoGround { x: px[0], y: px[1] })?;
        let (range_sigma_m, bearing_sigma_deg) = uncertainty(
            px,
            range_m,
            bearing_deg,
            |p| self.points_polar(p).map(|(r, _)| r),
            |p| self.points_polar(p).map(|(_, b)| b),
        );
        Ok(GroundPoint {
            lon,
            lat,
            range_m,
            bearing_deg,
            range_sigma_m,
            bearing_sigma_deg,
            nearer_m: 0.0,
            farther_m: self
                .points_polar([px[0], px[1] - FAR_SIGMAS * FOOT_SIGMA_PX])
                .map_or(range_m, |(far_m, _)| (far_m - range_m).max(0.0)),
        })
    }

    /// [`Pose::pixel_to_ground_unknown`] for a pose; ground control points know no heights,
    /// so they place an unrecognised object as a foot point.
    pub fn pixel_to_ground_unknown(&self, px: [f64; 2]) -> Result<GroundPoint, NoGround> {
        match &self.pose {
            Some(pose) => pose.pixel_to_ground_unknown(px),
            None => self.pixel_to_ground(px),
        }
    }

    /// Where the object in box `[x, y, w, h]` (px) lies on the sea: the foot point (the middle
    /// of the box's bottom) placed as a waterline when the object is `recognised`, else as a
    /// point of unknown height ([`Self::pixel_to_ground_unknown`]). A box cut by the image's
    /// left, right or bottom edge is not placed: its middle is not the object's, nor its
    /// bottom the object's foot.
    pub fn place(&self, [x, y, w, h]: [f64; 4], recognised: bool) -> Result<GroundPoint, Unplaced> {
        let [width, height] = self.size.map(f64::from);
        if x <= EDGE_PX || x + w >= width - EDGE_PX || y + h >= height - EDGE_PX {
            return Err(Unplaced::CutByEdge);
        }
        let foot = [x + w / 2.0, y + h];
        let ground = if recognised {
            self.pixel_to_ground(foot)
        } else {
            self.pixel_to_ground_unknown(foot)
        };
        ground.map_err(Unplaced::AboveHorizon)
    }

    /// The pixel showing the sea at `lonlat`: `None` behind the camera or beyond the horizon
    /// (of the pose, or the homography's horizon line). The pixel may lie outside the image.
    pub fn ground_to_pixel(&self, lonlat: [f64; 2]) -> Option<[f64; 2]> {
        match &self.pose {
            Some(pose) => pose.ground_to_pixel(lonlat, 0.0),
            None => self.homography.ground_to_pixel(lonlat),
        }
    }

    /// The camera's position (lon, lat).
    pub fn camera(&self) -> [f64; 2] {
        self.camera
    }

    /// The image size (width, height) in pixels.
    pub fn image_size(&self) -> [u32; 2] {
        self.size
    }

    /// The pose, when calibrated by one.
    pub fn pose(&self) -> Option<&Pose> {
        self.pose.as_ref()
    }

    /// The image → sea homography, in metres east and north of [`Georef::camera`] (see
    /// [`Homography::matrix`]). For ground control points it is their fit; for a pose, a fit
    /// to a grid of the pose's own projections of its near sea (out to a quarter of the
    /// horizon distance), a flat-sea approximation of the pose.
    pub fn homography(&self) -> [[f64; 3]; 3] {
        self.homography.matrix()
    }

    /// The RMS reprojection error (px) of [`Georef::homography`] over the points it was fitted
    /// to: the ground control points, or the pose's grid. A pose's own mapping is exact; its
    /// value tells how far its flat-sea homography departs from it.
    pub fn rms_px(&self) -> f64 {
        self.homography.rms_px()
    }

    /// The sea the image shows out to `max_range_m`, as a closed counter-clockwise ring of
    /// lon/lat points: the image border sampled and mapped to the sea, pixels beyond
    /// `max_range_m` or above the horizon cut at `max_range_m` along their bearing. Empty for a
    /// `max_range_m` that is not a positive number.
    pub fn footprint(&self, max_range_m: f64) -> Vec<[f64; 2]> {
        if !(max_range_m.is_finite() && max_range_m > 0.0) {
            return Vec::new();
        }
        let [w, h] = self.size.map(f64::from);
        let steps = f64::from(FOOTPRINT_STEPS);
        let mut border = Vec::new();
        for i in 0..FOOTPRINT_STEPS {
            let t = f64::from(i) / steps;
            border.push([w * t, 0.0]);
        }
        for i in 0..FOOTPRINT_STEPS {
            let t = f64::from(i) / steps;
            border.push([w, h * t]);
        }
        for i in 0..FOOTPRINT_STEPS {
            let t = f64::from(i) / steps;
            border.push([w * (1.0 - t), h]);
        }
        for i in 0..FOOTPRINT_STEPS {
            let t = f64::from(i) / steps;
            border.push([0.0, h * (1.0 - t)]);
        }
        let mut ring: Vec<[f64; 2]> = Vec::with_capacity(border.len() + 1);
        for px in border {
            let (range_m, bearing_deg) = match self.polar(px) {
                Some((range_m, bearing_deg)) => (range_m.min(max_range_m), bearing_deg),
                None => match self.sky_bearing_deg(px) {
                    Some(bearing_deg) => (max_range_m, bearing_deg),
                    None => continue,
                },
            };
            let vertex = geodesy::destination(self.camera, bearing_deg, range_m);
            if ring.last() != Some(&vertex) {
                ring.push(vertex);
            }
        }
        while ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 {
            return Vec::new();
        }
        let frame = LocalFrame::new(self.camera);
        let xy: Vec<[f64; 2]> = ring.iter().map(|&p| frame.to_xy(p)).collect();
        let twice_area: f64 = (0..xy.len())
            .map(|i| {
                let (a, b) = (xy[i], xy[(i + 1) % xy.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum();
        if twice_area < 0.0 {
            ring.reverse();
        }
        ring.push(ring[0]);
        ring
    }

    /// Range (m) and bearing (deg) of the sea at `px`.
    fn polar(&self, px: [f64; 2]) -> Option<(f64, f64)> {
        match &self.pose {
            Some(pose) => pose.polar(px),
            None => self.points_polar(px),
        }
    }

    fn points_polar(&self, px: [f64; 2]) -> Option<(f64, f64)> {
        let lonlat = self.homography.pixel_to_ground(px)?;
        Some((
            geodesy::distance_m(self.camera, lonlat),
            geodesy::bearing_deg(self.camera, lonlat),
        ))
    }

    /// The bearing (deg) a pixel with no sea looks along: its ray's for a pose; for ground
    /// control points, where its column meets the horizon line.
    fn sky_bearing_deg(&self, px: [f64; 2]) -> Option<f64> {
        match &self.pose {
            Some(pose) => Some(pose.ray_bearing_deg(px)),
            None => {
                let [e, n] = self.homography.horizon_direction(px[0])?;
                Some(e.atan2(n).to_degrees().rem_euclid(360.0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::georef::bearing_diff_deg;

    fn pose() -> Pose {
        crate::georef::tests::pose()
    }

    /// A ground-control-point calibration from the pose's own projections of `pixels`.
    fn points_of(pose: &Pose, pixels: &[[f64; 2]]) -> Calibration {
        let points = pixels
            .iter()
            .map(|&pixel| {
                let ground = pose.pixel_to_ground(pixel).unwrap();
                Gcp {
                    pixel,
                    lonlat: [ground.lon, ground.lat],
                }
            })
            .collect();
        Calibration::Points {
            camera: pose.position(),
            width: pose.width,
            height: pose.height,
            points,
            max_rms_px: None,
        }
    }

    /// Pixels spread over the lower half of the image.
    fn lower_half() -> Vec<[f64; 2]> {
        let mut pixels = Vec::new();
        for x in [20.0, 330.0, 640.0, 950.0, 1260.0] {
            for y in [380.0, 480.0, 600.0, 710.0] {
                pixels.push([x, y]);
            }
        }
        pixels
    }

    #[test]
    fn boxes_are_placed_by_their_foot_unless_the_edge_cuts_them() {
        let pose = pose();
        let georef = Calibration::Pose(pose).compile().unwrap();
        let [w, h] = [f64::from(pose.width), f64::from(pose.height)];
        let inside = [600.0, 400.0, 40.0, 20.0];
        let placed = georef.place(inside, true).unwrap();
        assert_eq!(placed, pose.pixel_to_ground([620.0, 420.0]).unwrap());
        let lights = georef.place(inside, false).unwrap();
        assert_eq!(lights.range_m, placed.range_m);
        assert!(lights.nearer_m > 0.0 && placed.nearer_m == 0.0);
        for cut in [
            [0.0, 400.0, 40.0, 20.0],
            [w - 40.0, 400.0, 40.0, 20.0],
            [600.0, h - 20.0, 40.0, 20.0],
        ] {
            assert_eq!(georef.place(cut, true), Err(Unplaced::CutByEdge), "{cut:?}");
        }
        // the top edge cuts only what is above the horizon anyway
        assert!(matches!(
            georef.place([600.0, 0.0, 40.0, 20.0], true),
            Err(Unplaced::AboveHorizon(_))
        ));
    }

    #[test]
    fn points_from_a_pose_agree_with_the_pose_in_the_lower_image() {
        let pose = pose();
        let georef = points_of(&pose, &lower_half()).compile().unwrap();
        assert!(georef.rms_px() < 0.05, "{}", georef.rms_px());
        assert_eq!(georef.camera(), pose.position());
        assert_eq!(georef.image_size(), [1280, 720]);
        assert!(georef.pose().is_none());
        // The farthest of these pixels lies 394 m out (the top corners of the lower half).
        // The sea drops DROP·d² below the camera's tangent plane, shifting the range by about
        // d·DROP·d²/height = 394³ · 6.73e-8 / 30 = 0.14 m there; the fitted plane (a secant,
        // not the tangent) errs by less. Allow 0.3 m.
        let mut worst = 0.0f64;
        for x in (0..=1280).step_by(80) {
            for y in (380..=720).step_by(20) {
                let px = [f64::from(x), f64::from(y)];
                let exact = pose.pixel_to_ground(px).unwrap();
                let fitted = georef.pixel_to_ground(px).unwrap();
                assert!(exact.range_m < 400.0, "{exact:?}");
                let miss_m = geodesy::distance_m([exact.lon, exact.lat], [fitted.lon, fitted.lat]);
                worst = worst.max(miss_m);
                assert!((fitted.range_m - exact.range_m).abs() < 0.3, "{px:?}");
                assert!(bearing_diff_deg(fitted.bearing_deg, exact.bearing_deg).abs() < 0.01);
                // Their uncertainties agree as well (the floor of 5 % of the range, here).
                assert!(
                    (fitted.range_sigma_m - exact.range_sigma_m).abs() < 0.05 * exact.range_sigma_m,
                    "{px:?}: {fitted:?} vs {exact:?}"
                );
                assert!(
                    (fitted.bearing_sigma_deg - exact.bearing_sigma_deg).abs() < 1e-3,
                    "{px:?}: {fitted:?} vs {exact:?}"
                );
            }
        }
        assert!(worst < 0.3, "{worst} m");
    }

    #[test]
    fn a_pose_compiles_with_a_flat_sea_homography_of_its_near_sea() {
        let pose = pose();
        let georef = Calibration::Pose(pose).compile().unwrap();
        assert_eq!(georef.pose(), Some(&pose));
        assert!(
            georef.rms_px() > 0.0 && georef.rms_px() < 0.5,
            "{}",
            georef.rms_px()
        );
        // The homography maps the centre pixel (429 m out) to the pose's place within half a
        // pixel's worth of range there (its grid's rms is 0.41 px).
        let m = georef.homography();
        let [e, n, w] = [0, 1, 2].map(|r| m[r][0] * 640.0 + m[r][1] * 360.0 + m[r][2]);
        let exact = pose.pixel_to_ground([640.0, 360.0]).unwrap();
        let m_per_px = pose.pixel_to_ground([640.0, 359.5]).unwrap().range_m
            - pose.pixel_to_ground([640.0, 360.5]).unwrap().range_m;
        assert!(m_per_px > 5.0 && m_per_px < 6.0, "{m_per_px}");
        let frame = LocalFrame::new(pose.position());
        let xy = frame.to_xy([exact.lon, exact.lat]);
        let miss_m = (e / w - xy[0]).hypot(n / w - xy[1]);
        assert!(miss_m < 0.5 * m_per_px, "{miss_m} m");
        // The pose itself, not the homography, answers.
        assert_eq!(georef.pixel_to_ground([640.0, 360.0]), Ok(exact));
        let back = georef.ground_to_pixel([exact.lon, exact.lat]).unwrap();
        assert!((back[0] - 640.0).abs() < 1e-6 && (back[1] - 360.0).abs() < 1e-6);

        let sky = Pose {
            tilt_deg: -30.0,
            ..pose
        };
        assert_eq!(
            Calibration::Pose(sky).compile(),
            Err(CalibrationError::NoSea)
        );
        let bad = Pose {
            hfov_deg: 0.0,
            ..pose
        };
        assert!(matches!(
            Calibration::Pose(bad).compile(),
            Err(CalibrationError::InvalidPose {
                field: "hfov_deg",
                ..
            })
        ));
    }

    #[test]
    fn ground_control_uncertainty_grows_with_range() {
        let pose = pose();
        let georef = points_of(&pose, &lower_half()).compile().unwrap();
        let near = georef.pixel_to_ground([640.0, 700.0]).unwrap();
        let mid = georef.pixel_to_ground([640.0, 330.0]).unwrap();
        let far = georef.pixel_to_ground([640.0, 300.0]).unwrap();
        assert!(near.range_m < mid.range_m && mid.range_m < far.range_m);
        assert!(near.range_sigma_m < mid.range_sigma_m && mid.range_sigma_m < far.range_sigma_m);
        assert!(far.range_sigma_m > 0.1 * far.range_m, "{far:?}");
        assert!(georef.pixel_to_ground([640.0, 100.0]).is_err());
    }

    #[test]
    fn refused_calibrations_say_why() {
        let pose = pose();
        let Calibration::Points { points, .. } = points_of(&pose, &lower_half()) else {
            unreachable!()
        };
        let with = |points: Vec<Gcp>| Calibration::Points {
            camera: pose.position(),
            width: 1280,
            height: 720,
            points,
            max_rms_px: None,
        };
        assert_eq!(
            with(points[..3].to_vec()).compile(),
            Err(CalibrationError::TooFewPoints { got: 3 })
        );
        // One lat mistyped by 0.01° (1.1 km): the others cannot agree with it.
        let mut mistyped = points.clone();
        mistyped[7].lonlat[1] += 0.01;
        let error = with(mistyped).compile().unwrap_err();
        let CalibrationError::TooInaccurate { rms_px, max_rms_px } = error else {
            panic!("{error:?}")
        };
        assert!(rms_px > 5.0 && max_rms_px == 5.0, "{error}");
        assert!(
            error.to_string().contains(&format!("{rms_px:.1} px rms")),
            "{error}"
        );
        let mut outside = points.clone();
        outside[2].pixel = [1300.0, 400.0];
        assert!(matches!(
            with(outside).compile(),
            Err(CalibrationError::InvalidPoint { index: 2, .. })
        ));
    }

    #[test]
    fn a_swapped_point_is_named() {
        // On the Adriatic both orders are places on earth; the swapped one is 3,000 km off.
        let pose = Pose {
            lon: 13.7,
            lat: 45.6,
            heading_deg: 250.0,
            ..pose()
        };
        let Calibration::Points { mut points, .. } = points_of(&pose, &lower_half()) else {
            unreachable!()
        };
        points[5].lonlat = [points[5].lonlat[1], points[5].lonlat[0]];
        let error = Calibration::Points {
            camera: pose.position(),
            width: 1280,
            height: 720,
            points,
            max_rms_px: Some(3.0),
        }
        .compile()
        .unwrap_err();
        assert!(
            matches!(error, CalibrationError::InvalidPoint { index: 5, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.starts_with("point 5: [45.5"), "{message}");
        assert!(message.contains("(lon and lat swapped?)"), "{message}");
    }

    fn check_footprint(georef: &Georef, range_m: f64, half_width_deg: f64) {
        let ring = georef.footprint(range_m);
        assert!(ring.len() > 64, "{}", ring.len());
        assert_eq!(ring.first(), ring.last());
        let heading = georef.pose().map_or(120.0, |p| p.heading_deg);
        let mut farthest = 0.0f64;
        for &vertex in &ring {
            let d = geodesy::distance_m(georef.camera(), vertex);
            farthest = farthest.max(d);
            assert!(d <= range_m + 1.0, "{vertex:?} at {d} m");
            let off = bearing_diff_deg(heading, geodesy::bearing_deg(georef.camera(), vertex));
            assert!(off.abs() <= half_width_deg + 0.5, "{vertex:?} at {off}°");
        }
        assert!(farthest > range_m - 1.0, "{farthest}");
        // Counter-clockwise (RFC 7946): a positive area in east/north metres.
        let frame = LocalFrame::new(georef.camera());
        let xy: Vec<[f64; 2]> = ring.iter().map(|&p| frame.to_xy(p)).collect();
        let twice_area: f64 = xy
            .windows(2)
            .map(|s| s[0][0] * s[1][1] - s[1][0] * s[0][1])
            .sum();
        assert!(twice_area > 0.0);
    }

    #[test]
    fn footprints_stay_inside_the_camera_sector() {
        // A level camera spans exactly its hfov.
        let level = Pose {
            tilt_deg: 0.0,
            ..pose()
        };
        check_footprint(&Calibration::Pose(level).compile().unwrap(), 3000.0, 30.0);
        // A tilted one spans its corners' bearings, a little wider at the bottom.
        let pose = pose();
        let half = pose.sector_half_width_deg();
        let georef = Calibration::Pose(pose).compile().unwrap();
        check_footprint(&georef, 3000.0, half);
        check_footprint(&georef, 40_000.0, half);
        let steep = Pose {
            tilt_deg: 35.0,
            ..pose
        };
        check_footprint(
            &Calibration::Pose(steep).compile().unwrap(),
            100.0,
            steep.sector_half_width_deg(),
        );
        // Ground control points of the same pose: the same sector.
        let points = points_of(&pose, &lower_half()).compile().unwrap();
        check_footprint(&points, 3000.0, half);
        assert!(georef.footprint(0.0).is_empty());
        assert!(georef.footprint(f64::NAN).is_empty());
    }

    #[test]
    fn both_kinds_read_from_json_and_mistakes_are_named() {
        let pose_json = r#"{"pose": {"lon": 121.6, "lat": 29.6, "height_m": 30,
            "heading_deg": 120, "tilt_deg": 4, "hfov_deg": 60, "width": 1280, "height": 720}}"#;
        let calibration: Calibration = serde_json::from_str(pose_json).unwrap();
        assert_eq!(calibration, Calibration::Pose(pose()));
        let round = serde_json::to_value(&calibration).unwrap();
        assert_eq!(round["pose"]["heading_deg"], 120.0);
        assert_eq!(
            serde_json::from_value::<Calibration>(round).unwrap(),
            calibration
        );

        let points_json = r#"{"camera": [121.6, 29.6], "width": 1280, "height": 720,
            "points": [{"pixel": [1, 2], "lonlat": [121.61, 29.59]}], "max_rms_px": 3}"#;
        let calibration: Calibration = serde_json::from_str(points_json).unwrap();
        let Calibration::Points {
            points, max_rms_px, ..
        } = &calibration
        else {
            panic!("{calibration:?}")
        };
        assert_eq!(points.len(), 1);
        assert_eq!(*max_rms_px, Some(3.0));
        let round: Calibration =
            serde_json::from_value(serde_json::to_value(&calibration).unwrap()).unwrap();
        assert_eq!(round, calibration);

        let error = |json: &str| {
            serde_json::from_str::<Calibration>(json)
                .unwrap_err()
                .to_string()
        };
        let both = pose_json.replacen('{', r#"{"camera": [1, 2], "#, 1);
        assert!(
            error(&both).contains("not both (remove camera)"),
            "{}",
            error(&both)
        );
        let missing = r#"{"camera": [121.6, 29.6], "points": []}"#;
        assert!(
            error(missing).contains("missing width, height"),
            "{}",
            error(missing)
        );
        let typo = points_json.replace("max_rms_px", "max_rms");
        assert!(
            error(&typo).contains("unknown field `max_rms`"),
            "{}",
            error(&typo)
        );
    }
}
