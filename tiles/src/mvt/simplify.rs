//! Douglas–Peucker line simplification.
//!
//! # Units
//! The tolerance is in the units of the coordinates (tile units in the encoder).

use geo::Coord;

/// Appends to `out` the Douglas–Peucker simplification of `line`: the first and
/// last points and every point farther than `tolerance` from the simplified path.
/// A `tolerance` of zero or less copies `line` unchanged.
pub(crate) fn simplify(line: &[Coord<f64>], tolerance: f64, out: &mut Vec<Coord<f64>>) {
    if line.len() <= 2 || tolerance.is_nan() || tolerance <= 0.0 {
        out.extend_from_slice(line);
        return;
    }
    let tolerance2 = tolerance * tolerance;
    let mut keep = vec![false; line.len()];
    keep[0] = true;
    keep[line.len() - 1] = true;
    let mut stack = vec![(0, line.len() - 1)];
    while let Some((start, end)) = stack.pop() {
        let (a, b) = (line[start], line[end]);
        let mut farthest = (0.0, start);
        for (i, p) in line.iter().enumerate().take(end).skip(start + 1) {
            let d2 = segment_distance2(*p, a, b);
            if d2 > farthest.0 {
                farthest = (d2, i);
            }
        }
        if farthest.0 > tolerance2 {
            keep[farthest.1] = true;
            stack.push((start, farthest.1));
            stack.push((farthest.1, end));
        }
    }
    out.extend(line.iter().zip(&keep).filter_map(|(p, k)| k.then_some(*p)));
}

/// Squared distance from `p` to the segment `a→b`.
fn segment_distance2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    };
    let (ex, ey) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    ex * ex + ey * ey
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn drops_points_within_tolerance_only() {
        let line = [c(0.0, 0.0), c(5.0, 0.4), c(10.0, 0.0), c(10.0, 10.0)];
        let mut out = Vec::new();
        simplify(&line, 1.0, &mut out);
        assert_eq!(out, vec![c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0)]);
        out.clear();
        simplify(&line, 0.0, &mut out);
        assert_eq!(out, line);
    }

    #[test]
    fn closed_ring_keeps_its_far_corners() {
        let ring = [
            c(0.0, 0.0),
            c(10.0, 0.0),
            c(10.0, 10.0),
            c(0.0, 10.0),
            c(0.0, 0.0),
        ];
        let mut out = Vec::new();
        simplify(&ring, 1.0, &mut out);
        assert_eq!(out, ring);
    }
}
