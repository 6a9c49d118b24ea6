//! A constant-velocity Kalman filter on a box's centre, width and height.
//!
//! The state is (cx, cy, w, h) and their velocities, as in ByteTrack's filter with BoT-SORT's
//! choice of width over aspect ratio; noise is proportional to the box's size (width for cx and
//! w, height for cy and h). With that model every matrix of the 8×8 filter (transition,
//! measurement, process and measurement noise, and the starting covariance) is block-diagonal
//! in the four (value, velocity) pairs, so the covariance stays block-diagonal and the filter is
//! exactly four independent 2×2 filters, one per coordinate. That is what this module computes.

use crate::geometry::BBox;

/// Position noise per pixel of box size (ByteTrack's `std_weight_position`).
const POSITION_WEIGHT: f64 = 1.0 / 20.0;
/// Velocity noise per pixel of box size (ByteTrack's `std_weight_velocity`).
const VELOCITY_WEIGHT: f64 = 1.0 / 160.0;
/// Smallest size the noise is scaled by, so a degenerate box cannot zero the covariance.
const MIN_SCALE: f64 = 1.0;

/// One coordinate and its velocity, with their 2×2 covariance.
#[derive(Debug, Clone, Copy)]
struct Axis {
    value: f64,
    velocity: f64,
    cov: [[f64; 2]; 2],
}

impl Axis {
    fn new(value: f64, scale: f64) -> Self {
        let p = 2.0 * POSITION_WEIGHT * scale;
        let v = 10.0 * VELOCITY_WEIGHT * scale;
        Self {
            value,
            velocity: 0.0,
            cov: [[p * p, 0.0], [0.0, v * v]],
        }
    }

    /// x ← F x, P ← F P Fᵀ + Q with F = [[1, 1], [0, 1]].
    fn predict(&mut self, scale: f64) {
        self.value += self.velocity;
        let [[a, b], [c, d]] = self.cov;
        let q_pos = (POSITION_WEIGHT * scale).powi(2);
        let q_vel = (VELOCITY_WEIGHT * scale).powi(2);
        self.cov = [[a + b + c + d + q_pos, b + d], [c + d, d + q_vel]];
    }

    /// The Kalman update with a measurement of the value alone (H = [1, 0]).
    fn update(&mut self, measured: f64, scale: f64) {
        let [[a, b], [c, d]] = self.cov;
        let innovation_var = a + (POSITION_WEIGHT * scale).powi(2);
        let (k0, k1) = (a / innovation_var, c / innovation_var);
        let innovation = measured - self.value;
        self.value += k0 * innovation;
        self.velocity += k1 * innovation;
        self.cov = [[a - k0 * a, b - k0 * b], [c - k1 * a, d - k1 * b]];
    }
}

/// The filtered state of one tracked box.
#[derive(Debug, Clone)]
pub(crate) struct BoxFilter {
    /// cx, cy, w, h.
    axes: [Axis; 4],
}

impl BoxFilter {
    /// A filter starting at `bbox` at rest, with ByteTrack's starting uncertainty.
    pub(crate) fn new(bbox: &BBox) -> Self {
        let [cx, cy, w, h] = measurement(bbox);
        let (sw, sh) = (w.max(MIN_SCALE), h.max(MIN_SCALE));
        Self {
            axes: [
                Axis::new(cx, sw),
                Axis::new(cy, sh),
                Axis::new(w, sw),
                Axis::new(h, sh),
            ],
        }
    }

    /// Advances one frame. A lost track keeps moving but stops growing or shrinking (ByteTrack
    /// zeroes the height velocity of tracks it no longer sees).
    pub(crate) fn predict(&mut self, lost: bool) {
        if lost {
            self.axes[2].velocity = 0.0;
            self.axes[3].velocity = 0.0;
        }
        let (sw, sh) = self.scales();
        for (axis, scale) in self.axes.iter_mut().zip([sw, sh, sw, sh]) {
            axis.predict(scale);
        }
    }

    /// Corrects the state with a measured box.
    pub(crate) fn update(&mut self, bbox: &BBox) {
        let (sw, sh) = self.scales();
        let measured = measurement(bbox);
        for ((axis, z), scale) in self.axes.iter_mut().zip(measured).zip([sw, sh, sw, sh]) {
            axis.update(z, scale);
        }
    }

    /// The box the state describes.
    pub(crate) fn bbox(&self) -> BBox {
        let [cx, cy, w, h] = self.axes.map(|a| a.value as f32);
        BBox::from_center(cx, cy, w, h)
    }

    fn scales(&self) -> (f64, f64) {
        (
            self.axes[2].value.max(MIN_SCALE),
            self.axes[3].value.max(MIN_SCALE),
        )
    }
}

fn measurement(bbox: &BBox) -> [f64; 4] {
    let (cx, cy) = bbox.center();
    [cx, cy, bbox.w, bbox.h].map(f64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_constant_velocity_and_extrapolates_it() {
        let at = |i: f32| BBox::from_center(100.0 + 5.0 * i, 50.0 - 2.0 * i, 40.0, 20.0);
        let mut filter = BoxFilter::new(&at(0.0));
        for i in 1..30 {
            filter.predict(false);
            filter.update(&at(i as f32));
        }
        for i in 30..40 {
            filter.predict(true);
            let (cx, cy) = filter.bbox().center();
            let (ex, ey) = at(i as f32).center();
            assert!((cx - ex).abs() < 0.5 && (cy - ey).abs() < 0.5, "frame {i}");
        }
        let b = filter.bbox();
        assert!((b.w - 40.0).abs() < 0.1 && (b.h - 20.0).abs() < 0.1);
    }

    #[test]
    fn smooths_measurement_noise() {
        let truth = BBox::from_center(200.0, 200.0, 50.0, 50.0);
        let mut filter = BoxFilter::new(&truth);
        let mut worst = 0.0f32;
        for i in 0..100 {
            let jitter = if i % 2 == 0 { 3.0 } else { -3.0 };
            filter.predict(false);
            filter.update(&BBox {
                x: truth.x + jitter,
                ..truth
            });
            if i > 20 {
                worst = worst.max((filter.bbox().x - truth.x).abs());
            }
        }
        assert!(worst < 2.0, "filtered error {worst} px for ±3 px noise");
    }

    #[test]
    fn uncertainty_grows_while_unobserved() {
        let mut filter = BoxFilter::new(&BBox::from_center(0.0, 0.0, 10.0, 10.0));
        let before = filter.axes[0].cov[0][0];
        for _ in 0..5 {
            filter.predict(true);
        }
        assert!(filter.axes[0].cov[0][0] > before);
    }
}
