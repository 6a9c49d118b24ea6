//! Ground control points and the image → sea homography they fit.

use serde::{Deserialize, Serialize};

use super::CalibrationError;
use super::linalg::svd;
use crate::geodesy::LocalFrame;

/// A 3×3 matrix, by rows.
type Matrix = [[f64; 3]; 3];

/// Pixels closer than this (px) are one point.
const DUPLICATE_PX: f64 = 1.0;
/// Ground points closer than this (m) are one point.
const DUPLICATE_M: f64 = 0.5;
/// Points within this of one line (px in the image, m on the ground), or 0.1 % of their
/// spread, are collinear.
const COLLINEAR_PX: f64 = 1.0;
const COLLINEAR_M: f64 = 1.0;
const COLLINEAR_FRACTION: f64 = 1e-3;
/// The smallest ratio of the second-smallest to the largest singular value of the normalised
/// DLT system: below it, the points fix no single homography.
const MIN_DLT_CONDITION: f64 = 1e-6;
/// The smallest ratio of the smallest to the largest singular value of the normalised
/// homography: below it, the map is (nearly) singular.
const MIN_MATRIX_CONDITION: f64 = 1e-9;

/// A ground control point: a pixel and the place on the sea it shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gcp {
    /// The pixel (x, y).
    pub pixel: [f64; 2],
    /// The place (lon, lat).
    pub lonlat: [f64; 2],
}

/// A fitted image → ground homography in a local metric frame (metres east/north of an
/// origin).
#[derive(Debug, Clone, PartialEq)]
pub struct Homography {
    matrix: Matrix,
    inverse: Matrix,
    frame: LocalFrame,
    rms_px: f64,
}

impl Homography {
    /// Fits the homography of at least 4 points by the normalised direct linear transform
    /// (Hartley), in a frame around their centroid. Refuses fewer than 4 points, invalid
    /// ones, duplicates (pixels within 1 px or ground points within 0.5 m of each other),
    /// collinear sets (in the image or on the ground: all points, or all but one, on one line;
    /// for 4 points, any 3: a homography needs 4 points with no 3 on one line),
    /// ill-conditioned fits and points beyond the horizon line the others fix.
    pub fn fit(points: &[Gcp]) -> Result<Self, CalibrationError> {
        check_count(points)?;
        check_values(points)?;
        let n = points.len() as f64;
        let origin = points.iter().fold([0.0, 0.0], |sum, p| {
            [sum[0] + p.lonlat[0] / n, sum[1] + p.lonlat[1] / n]
        });
        Self::fit_around(points, origin)
    }

    /// As [`Homography::fit`], with the metric frame around `origin` (lon, lat), such as the
    /// camera.
    pub fn fit_around(points: &[Gcp], origin: [f64; 2]) -> Result<Self, CalibrationError> {
        Self::fit_within(points, origin, f64::INFINITY)
    }

    /// As [`Homography::fit_around`], refusing a fit whose RMS reprojection error exceeds
    /// `max_rms_px` (checked before the points' sides of the horizon line: one bad point can
    /// push a good one across).
    pub(super) fn fit_within(
        points: &[Gcp],
        origin: [f64; 2],
        max_rms_px: f64,
    ) -> Result<Self, CalibrationError> {
        check_count(points)?;
        check_values(points)?;
        if let Err(reason) = check_lonlat(origin) {
            return Err(CalibrationError::Invalid {
                field: "origin",
                reason,
            });
        }
        let frame = LocalFrame::new(origin);
        let pixels: Vec<[f64; 2]> = points.iter().map(|p| p.pixel).collect();
        let ground: Vec<[f64; 2]> = points.iter().map(|p| frame.to_xy(p.lonlat)).collect();
        check_duplicates(&pixels, &ground)?;
        check_spread(&pixels, COLLINEAR_PX, "pixel")?;
        check_spread(&ground, COLLINEAR_M, "ground")?;

        // Fit ground → pixel, so that the least squares weigh errors in the image, where the
        // points were picked, then invert.
        let to_image = dlt(&ground, &pixels)?;
        let mut matrix = invert(&to_image).ok_or(CalibrationError::IllConditioned)?;
        orient(&mut matrix, &pixels)?;
        let inverse = invert(&matrix).ok_or(CalibrationError::IllConditioned)?;
        let mut homography = Self {
            matrix,
            inverse,
            frame,
            rms_px: 0.0,
        };
        let sum_sq: f64 = pixels
            .iter()
            .zip(&ground)
            .map(|(p, g)| {
                let back = project(&homography.inverse, *g);
                let back = [back[0] / back[2], back[1] / back[2]];
                (back[0] - p[0]).powi(2) + (back[1] - p[1]).powi(2)
            })
            .sum();
        homography.rms_px = (sum_sq / pixels.len() as f64).sqrt();
        if homography.rms_px.is_nan() || homography.rms_px > max_rms_px {
            return Err(CalibrationError::TooInaccurate {
                rms_px: homography.rms_px,
                max_rms_px,
            });
        }
        if let Some(index) = pixels.iter().position(|&p| homography.w(p) <= 0.0) {
            return Err(CalibrationError::BeyondHorizon { index });
        }
        Ok(homography)
    }

    /// The RMS reprojection error of its points, ground → pixel (px).
    pub fn rms_px(&self) -> f64 {
        self.rms_px
    }

    /// The matrix (by rows) taking pixel `(x, y, 1)` to local metres `(e, n, w)`: the point
    /// is `(e/w, n/w)` metres east and north of [`Homography::origin`]. It is scaled so that
    /// `|h33| = 1` and `w > 0` on the sea side of the horizon line, so `h33` is `-1` where the
    /// image's top-left corner lies above the horizon (as it usually does).
    pub fn matrix(&self) -> [[f64; 3]; 3] {
        self.matrix
    }

    /// The lon/lat of the metric frame's origin.
    pub fn origin(&self) -> [f64; 2] {
        self.frame.origin()
    }

    /// The place (lon, lat) pixel `px` shows: `None` at or above the horizon line (`w ≤ 0`).
    pub fn pixel_to_ground(&self, px: [f64; 2]) -> Option<[f64; 2]> {
        self.metres(px).map(|xy| self.frame.to_lonlat(xy))
    }

    /// The pixel showing the place `lonlat`: `None` for places beyond the horizon line.
    pub fn ground_to_pixel(&self, lonlat: [f64; 2]) -> Option<[f64; 2]> {
        let p = project(&self.inverse, self.frame.to_xy(lonlat));
        // H·(x, y, 1) = (e, n, 1)/p₃, so w > 0 exactly where p₃ > 0.
        (p[2] > 0.0 && p[2].is_finite()).then(|| [p[0] / p[2], p[1] / p[2]])
    }

    /// Pixel `px` in frame metres (east, north), if below the horizon line.
    pub(super) fn metres(&self, px: [f64; 2]) -> Option<[f64; 2]> {
        let [e, n, w] = project(&self.matrix, px);
        (w > 0.0 && w.is_finite()).then(|| [e / w, n / w])
    }

    /// The direction (east, north) in which column `x` of the image reaches the horizon line:
    /// where the pixels just below it go off to. `None` for a vertical horizon line.
    pub(super) fn horizon_direction(&self, x: f64) -> Option<[f64; 2]> {
        let [h31, h32, h33] = self.matrix[2];
        if h32.abs() < 1e-12 * (h31.abs() + h33.abs()) {
            return None;
        }
        let y = -(h31 * x + h33) / h32;
        let [e, n, _] = project(&self.matrix, [x, y]);
        (e.is_finite() && n.is_finite() && (e != 0.0 || n != 0.0)).then_some([e, n])
    }

    /// The third coordinate of `H·(x, y, 1)`: positive on the sea side of the horizon line.
    fn w(&self, px: [f64; 2]) -> f64 {
        project(&self.matrix, px)[2]
    }
}

fn check_count(points: &[Gcp]) -> Result<(), CalibrationError> {
    if points.len() < 4 {
        return Err(CalibrationError::TooFewPoints { got: points.len() });
    }
    Ok(())
}

/// Why `lonlat` is no place on earth, if it is not.
pub(super) fn check_lonlat(lonlat: [f64; 2]) -> Result<(), String> {
    let [lon, lat] = lonlat;
    if !(lon.is_finite() && lat.is_finite()) {
        return Err(format!("[{lon}, {lat}] must be finite numbers"));
    }
    if lat.abs() > 90.0 {
        let hint = if lon.abs() <= 90.0 {
            " (lon and lat swapped?)"
        } else {
            ""
        };
        return Err(format!(
            "latitude {lat} is outside -90..=90{hint}: give [lon, lat]"
        ));
    }
    if lon.abs() > 180.0 {
        return Err(format!("longitude {lon} is outside -180..=180"));
    }
    Ok(())
}

fn check_values(points: &[Gcp]) -> Result<(), CalibrationError> {
    for (index, point) in points.iter().enumerate() {
        let [x, y] = point.pixel;
        if !(x.is_finite() && y.is_finite()) {
            return Err(CalibrationError::InvalidPoint {
                index,
                reason: format!("pixel [{x}, {y}] must be finite numbers"),
            });
        }
        check_lonlat(point.lonlat)
            .map_err(|reason| CalibrationError::InvalidPoint { index, reason })?;
    }
    Ok(())
}

fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

fn check_duplicates(pixels: &[[f64; 2]], ground: &[[f64; 2]]) -> Result<(), CalibrationError> {
    for a in 0..pixels.len() {
        for b in a + 1..pixels.len() {
            if distance(pixels[a], pixels[b]) < DUPLICATE_PX
                || distance(ground[a], ground[b]) < DUPLICATE_M
            {
                return Err(CalibrationError::Duplicate { a, b });
            }
        }
    }
    Ok(())
}

/// The largest distance of `points` from their best line (total least squares), and their
/// largest distance from their centroid.
fn line_fit(points: &[[f64; 2]]) -> (f64, f64) {
    let n = points.len() as f64;
    let c = points
        .iter()
        .fold([0.0, 0.0], |s, p| [s[0] + p[0] / n, s[1] + p[1] / n]);
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for p in points {
        let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    // The line runs along the principal axis; measure along its normal.
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let normal = [-angle.sin(), angle.cos()];
    let off = points
        .iter()
        .map(|p| ((p[0] - c[0]) * normal[0] + (p[1] - c[1]) * normal[1]).abs())
        .fold(0.0, f64::max);
    let spread = points.iter().map(|&p| distance(p, c)).fold(0.0, f64::max);
    (off, spread)
}

/// Refuses points that lie on one line, or all but one of them: then no 4 of them have no 3
/// on one line, which a homography needs (for 4 points: any 3 collinear).
fn check_spread(
    points: &[[f64; 2]],
    tolerance: f64,
    plane: &'static str,
) -> Result<(), CalibrationError> {
    let (off, spread) = line_fit(points);
    let tolerance = tolerance.max(COLLINEAR_FRACTION * spread);
    let collinear = Err(CalibrationError::Collinear { plane });
    if off <= tolerance {
        return collinear;
    }
    let mut rest = Vec::with_capacity(points.len() - 1);
    for skip in 0..points.len() {
        rest.clear();
        rest.extend(
            points
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, p)| *p),
        );
        if line_fit(&rest).0 <= tolerance {
            return collinear;
        }
    }
    Ok(())
}

/// The similarity that moves `points` to their centroid and scales their mean distance from
/// it to √2 (Hartley's normalisation).
fn normalisation(points: &[[f64; 2]]) -> Matrix {
    let n = points.len() as f64;
    let c = points
        .iter()
        .fold([0.0, 0.0], |s, p| [s[0] + p[0] / n, s[1] + p[1] / n]);
    let mean = points.iter().map(|&p| distance(p, c)).sum::<f64>() / n;
    let s = std::f64::consts::SQRT_2 / mean;
    [[s, 0.0, -s * c[0]], [0.0, s, -s * c[1]], [0.0, 0.0, 1.0]]
}

fn project(m: &Matrix, p: [f64; 2]) -> [f64; 3] {
    let row = |r: [f64; 3]| r[0] * p[0] + r[1] * p[1] + r[2];
    [row(m[0]), row(m[1]), row(m[2])]
}

fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

fn invert(m: &Matrix) -> Option<Matrix> {
    let cofactor = |r: usize, c: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (c1, c2) = ((c + 1) % 3, (c + 2) % 3);
        m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]
    };
    let det: f64 = (0..3).map(|c| m[0][c] * cofactor(0, c)).sum();
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let mut out = [[0.0; 3]; 3];
    for (r, row) in out.iter_mut().enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            // The adjugate is the transposed cofactor matrix.
            *x = cofactor(c, r) / det;
        }
    }
    Some(out)
}

/// The normalised DLT: the matrix taking `from` to `to` (up to scale).
fn dlt(from: &[[f64; 2]], to: &[[f64; 2]]) -> Result<Matrix, CalibrationError> {
    let (t_from, t_to) = (normalisation(from), normalisation(to));
    let mut rows = Vec::with_capacity(2 * from.len());
    for (a, b) in from.iter().zip(to) {
        let [x, y, _] = project(&t_from, *a);
        let [u, v, _] = project(&t_to, *b);
        rows.push([-x, -y, -1.0, 0.0, 0.0, 0.0, u * x, u * y, u]);
        rows.push([0.0, 0.0, 0.0, -x, -y, -1.0, v * x, v * y, v]);
    }
    let values = svd(&rows);
    // The solution is the last singular vector; a second (nearly) zero singular value means
    // the points admit more than one homography.
    if values[7].0 < MIN_DLT_CONDITION * values[0].0 {
        return Err(CalibrationError::IllConditioned);
    }
    let h = values[8].1;
    let normalised = [[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], h[8]]];
    let matrix_values = svd(&normalised);
    if matrix_values[2].0.is_nan() || matrix_values[2].0 < MIN_MATRIX_CONDITION * matrix_values[0].0
    {
        return Err(CalibrationError::IllConditioned);
    }
    // Undo the normalisations: M = T_to⁻¹ · M̂ · T_from.
    let t_to_inverse = invert(&t_to).ok_or(CalibrationError::IllConditioned)?;
    Ok(multiply(&t_to_inverse, &multiply(&normalised, &t_from)))
}

/// Scales a pixel → ground matrix to `|h33| = 1` (or unit norm where `h33` is about 0) with
/// `w > 0` at most of `pixels`.
fn orient(matrix: &mut Matrix, pixels: &[[f64; 2]]) -> Result<(), CalibrationError> {
    let norm = matrix.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    let h33 = matrix[2][2].abs();
    let mut scale = if h33 > 1e-12 * norm { h33 } else { norm };
    let on_sea = pixels
        .iter()
        .filter(|&&p| project(matrix, p)[2] > 0.0)
        .count();
    if 2 * on_sea < pixels.len() {
        scale = -scale;
    }
    for x in matrix.iter_mut().flatten() {
        *x /= scale;
    }
    if matrix.iter().flatten().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(CalibrationError::IllConditioned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy;
    use crate::georef::Pose;

    fn pose() -> Pose {
        crate::georef::tests::pose()
    }

    /// The pose's own projections of sea points at `ranges_m` on `offsets_deg` off its heading.
    fn projections(pose: &Pose, ranges_m: &[f64], offsets_deg: &[f64]) -> Vec<Gcp> {
        let mut points = Vec::new();
        for &range in ranges_m {
            for &off in offsets_deg {
                let lonlat = geodesy::destination(pose.position(), pose.heading_deg + off, range);
                let pixel = pose.ground_to_pixel(lonlat, 0.0).expect("in view");
                points.push(Gcp { pixel, lonlat });
            }
        }
        points
    }

    #[test]
    fn a_homography_fits_the_near_sea_of_a_pose_within_a_pixel() {
        let pose = pose();
        let points = projections(&pose, &[300.0, 700.0, 1500.0, 3000.0], &[-20.0, 0.0, 20.0]);
        assert_eq!(points.len(), 12);
        let homography = Homography::fit(&points).unwrap();
        assert!(homography.rms_px() < 1.0, "{}", homography.rms_px());
        for point in &points {
            let back = homography.ground_to_pixel(point.lonlat).unwrap();
            let error = distance(back, point.pixel);
            assert!(error < 1.0, "{point:?} → {back:?}");
            // The sea drops 0.6 m at 3 km below the plane a homography assumes: in range that
            // is 3 km · 0.6 m / 30 m = 60 m at most, far less near the camera.
            let ground = homography.pixel_to_ground(point.pixel).unwrap();
            let range_m = geodesy::distance_m(pose.position(), point.lonlat);
            let miss_m = geodesy::distance_m(ground, point.lonlat);
            assert!(
                miss_m < 0.02 * range_m,
                "{point:?}: {miss_m} m at {range_m} m"
            );
        }
        let m = homography.matrix();
        assert_eq!(m[2][2], -1.0, "{m:?}");
        // The horizon line: the top of the image is sky, the bottom is sea.
        assert_eq!(homography.pixel_to_ground([640.0, 10.0]), None);
        assert!(homography.pixel_to_ground([640.0, 700.0]).is_some());
        let far = geodesy::destination(pose.position(), pose.heading_deg + 180.0, 50_000.0);
        assert_eq!(homography.ground_to_pixel(far), None);
    }

    #[test]
    fn four_exact_points_fit_exactly() {
        let pose = pose();
        let points = projections(&pose, &[200.0, 400.0], &[-15.0, 15.0]);
        let homography = Homography::fit_around(&points, pose.position()).unwrap();
        assert_eq!(homography.origin(), pose.position());
        assert!(homography.rms_px() < 1e-6, "{}", homography.rms_px());
    }

    #[test]
    fn all_but_one_point_on_one_line_fix_no_homography() {
        // A line of 4 points fixes the line's image and its 1-D map (2 + 3 constraints), a
        // fifth point 2 more: 7 for a homography's 8 degrees of freedom. (The curved sea
        // breaks the tie numerically, which no conditioning test should be trusted to see.)
        let pose = pose();
        let mut points = projections(&pose, &[300.0, 500.0, 900.0, 1500.0], &[0.0]);
        points.extend(projections(&pose, &[700.0], &[15.0]));
        assert_eq!(
            Homography::fit(&points),
            Err(CalibrationError::Collinear { plane: "pixel" })
        );
        // One more point off the line fixes it.
        points.extend(projections(&pose, &[400.0], &[-15.0]));
        assert!(Homography::fit(&points).unwrap().rms_px() < 0.1);
    }

    #[test]
    fn a_nearly_singular_system_is_ill_conditioned() {
        // A unit square mapped onto a square 1 µm across (1 mm apart, i.e. duplicates, would
        // be refused first): normalisation scales it up again, so spread it and squash one
        // axis by 1e-12 instead, which leaves the DLT's system one rank short.
        let pixels = [
            [0.0, 0.0],
            [100.0, 0.0],
            [100.0, 100.0],
            [0.0, 100.0],
            [50.0, 30.0],
        ];
        let squashed: Vec<[f64; 2]> = pixels.iter().map(|p| [p[0], p[1] * 1e-12]).collect();
        assert_eq!(
            dlt(&squashed, &pixels),
            Err(CalibrationError::IllConditioned)
        );
        assert!(dlt(&pixels, &pixels).is_ok());
    }

    #[test]
    fn picking_noise_shows_in_the_rms() {
        let pose = pose();
        let mut points = projections(
            &pose,
            &[150.0, 250.0, 400.0, 700.0, 1200.0],
            &[-25.0, -10.0, 0.0, 10.0, 25.0],
        );
        let exact = Homography::fit(&points).unwrap().rms_px();
        let mut rng = crate::rng::Rng::new(7);
        for point in &mut points {
            point.pixel[0] += rng.normal();
            point.pixel[1] += rng.normal();
        }
        // Normal noise of 1 px per axis: the best fit leaves √2 · √(42/50) = 1.30 px rms (it
        // absorbs 8 of the 50 degrees of freedom); the algebraic DLT leaves a little more
        // (1.14 to 1.79 px over 40 seeds).
        let noisy = Homography::fit(&points).unwrap().rms_px();
        assert!(exact < 0.1 && noisy > 1.0 && noisy < 2.0, "{exact} {noisy}");
    }

    fn refusal(points: &[Gcp]) -> CalibrationError {
        Homography::fit(points).unwrap_err()
    }

    #[test]
    fn bad_point_sets_are_refused_with_the_reason() {
        let pose = pose();
        let good = projections(&pose, &[300.0, 700.0, 1500.0], &[-20.0, 0.0, 20.0]);

        let error = refusal(&good[..3]);
        assert_eq!(error, CalibrationError::TooFewPoints { got: 3 });
        assert_eq!(
            error.to_string(),
            "a homography needs at least 4 points, got 3"
        );

        let mut twice = good.clone();
        twice.push(Gcp {
            pixel: [good[4].pixel[0] + 0.5, good[4].pixel[1]],
            lonlat: geodesy::destination(good[4].lonlat, 0.0, 50.0),
        });
        assert_eq!(refusal(&twice), CalibrationError::Duplicate { a: 4, b: 9 });
        let mut same_place = good.clone();
        same_place.push(Gcp {
            pixel: [10.0, 710.0],
            lonlat: geodesy::destination(good[2].lonlat, 90.0, 0.3),
        });
        let error = refusal(&same_place);
        assert_eq!(error, CalibrationError::Duplicate { a: 2, b: 9 });
        assert!(error.to_string().contains("points 2 and 9"), "{error}");

        // One bearing: the pixels lie near one column, the places on one ray.
        let ray = projections(&pose, &[300.0, 500.0, 900.0, 1500.0, 2500.0], &[0.0]);
        let error = refusal(&ray);
        assert_eq!(error, CalibrationError::Collinear { plane: "pixel" });
        assert!(error.to_string().contains("pixel points lie on one line"));

        // Places on one line across the view, shown (wrongly) at spread pixels.
        let mut line = good[..5].to_vec();
        for (i, point) in line.iter_mut().enumerate() {
            point.lonlat = geodesy::destination(pose.position(), 30.0, 100.0 + 200.0 * i as f64);
        }
        assert_eq!(
            refusal(&line),
            CalibrationError::Collinear { plane: "ground" }
        );

        // Four points, three of them on one ray.
        let mut three = projections(&pose, &[300.0, 700.0, 1500.0], &[0.0]);
        three.push(good[0]);
        assert_eq!(
            refusal(&three),
            CalibrationError::Collinear { plane: "pixel" }
        );

        // A swap that leaves no latitude.
        let mut swapped = good.clone();
        swapped[3].lonlat = [swapped[3].lonlat[1], swapped[3].lonlat[0]];
        let error = refusal(&swapped);
        assert!(
            matches!(error, CalibrationError::InvalidPoint { index: 3, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("swapped"), "{error}");
        let mut nan = good.clone();
        nan[1].pixel[0] = f64::NAN;
        assert!(matches!(
            refusal(&nan),
            CalibrationError::InvalidPoint { index: 1, .. }
        ));
    }
}
