//! Clipping lines (Liang–Barsky per segment) and rings (Sutherland–Hodgman) to the
//! buffered tile square.
//!
//! # Units
//! Floating-point tile units, `y` down; the square is `min..=max` on both axes.

use geo::Coord;

/// The buffered tile square, `[min, max]` on both axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClipBox {
    /// Lowest coordinate kept (`-buffer`).
    pub(crate) min: f64,
    /// Highest coordinate kept (`extent + buffer`).
    pub(crate) max: f64,
}

/// How a run of coordinates relates to the clip box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Every coordinate is inside.
    Inside,
    /// The bounding box of the coordinates misses the square.
    Outside,
    /// Anything else.
    Partial,
}

impl ClipBox {
    /// Whether `c` is inside or on the edge.
    pub(crate) fn contains(&self, c: Coord<f64>) -> bool {
        c.x >= self.min && c.x <= self.max && c.y >= self.min && c.y <= self.max
    }

    /// Classifies `coords` by their bounding box.
    pub(crate) fn overlap(&self, coords: &[Coord<f64>]) -> Overlap {
        let mut lo = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut hi = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for c in coords {
            lo.x = lo.x.min(c.x);
            lo.y = lo.y.min(c.y);
            hi.x = hi.x.max(c.x);
            hi.y = hi.y.max(c.y);
        }
        if self.contains(lo) && self.contains(hi) {
            Overlap::Inside
        } else if hi.x < self.min || hi.y < self.min || lo.x > self.max || lo.y > self.max {
            Overlap::Outside
        } else {
            Overlap::Partial
        }
    }

    /// The parameter range `t0..=t1` of segment `a→b` inside the square (Liang–Barsky).
    fn clip_segment(&self, a: Coord<f64>, b: Coord<f64>) -> Option<(f64, f64)> {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let mut t0: f64 = 0.0;
        let mut t1: f64 = 1.0;
        for (p, q) in [
            (-dx, a.x - self.min),
            (dx, self.max - a.x),
            (-dy, a.y - self.min),
            (dy, self.max - a.y),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    if r > t1 {
                        return None;
                    }
                    t0 = t0.max(r);
                } else {
                    if r < t0 {
                        return None;
                    }
                    t1 = t1.min(r);
                }
            }
        }
        Some((t0, t1))
    }

    /// Clips a line into the parts that lie inside the square, appended to `out`.
    pub(crate) fn clip_line(&self, line: &[Coord<f64>], out: &mut Vec<Vec<Coord<f64>>>) {
        match self.overlap(line) {
            Overlap::Inside => {
                out.push(line.to_vec());
                return;
            }
            Overlap::Outside => return,
            Overlap::Partial => {}
        }
        let lerp = |a: Coord<f64>, b: Coord<f64>, t: f64| Coord {
            x: a.x + (b.x - a.x) * t,
            y: a.y + (b.y - a.y) * t,
        };
        let mut current: Vec<Coord<f64>> = Vec::new();
        let mut flush = |current: &mut Vec<Coord<f64>>| {
            if current.len() >= 2 {
                out.push(std::mem::take(current));
            } else {
                current.clear();
            }
        };
        for pair in line.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let Some((t0, t1)) = self.clip_segment(a, b) else {
                flush(&mut current);
                continue;
            };
            let start = if t0 == 0.0 { a } else { lerp(a, b, t0) };
            let end = if t1 == 1.0 { b } else { lerp(a, b, t1) };
            if t0 != 0.0 || current.is_empty() {
                flush(&mut current);
                current.push(start);
            }
            current.push(end);
            if t1 != 1.0 {
                flush(&mut current);
            }
        }
        flush(&mut current);
    }

    /// Clips an open ring (no closing point) to the square (Sutherland–Hodgman).
    ///
    /// The result may run along the square's edges where the ring leaves it.
    pub(crate) fn clip_ring(&self, ring: &[Coord<f64>]) -> Vec<Coord<f64>> {
        match self.overlap(ring) {
            Overlap::Inside => return ring.to_vec(),
            Overlap::Outside => return Vec::new(),
            Overlap::Partial => {}
        }
        let mut input = ring.to_vec();
        let mut output = Vec::with_capacity(ring.len() + 4);
        for edge in [Edge::Left, Edge::Right, Edge::Top, Edge::Bottom] {
            output.clear();
            let Some(&last) = input.last() else {
                break;
            };
            let mut prev = last;
            for &cur in &input {
                let (cur_in, prev_in) = (self.inside(edge, cur), self.inside(edge, prev));
                if cur_in != prev_in {
                    output.push(self.cross(edge, prev, cur));
                }
                if cur_in {
                    output.push(cur);
                }
                prev = cur;
            }
            std::mem::swap(&mut input, &mut output);
        }
        input
    }
}

/// One side of the clip square (`y` down: top is `min`).
#[derive(Debug, Clone, Copy)]
enum Edge {
    Left,
    Right,
    Top,
    Bottom,
}

impl ClipBox {
    /// Whether `c` is on the inner side of `edge`.
    fn inside(&self, edge: Edge, c: Coord<f64>) -> bool {
        match edge {
            Edge::Left => c.x >= self.min,
            Edge::Right => c.x <= self.max,
            Edge::Top => c.y >= self.min,
            Edge::Bottom => c.y <= self.max,
        }
    }

    /// Where segment `a→b`, which crosses `edge`, meets it.
    fn cross(&self, edge: Edge, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        match edge {
            Edge::Left | Edge::Right => {
                let k = if matches!(edge, Edge::Left) {
                    self.min
                } else {
                    self.max
                };
                let t = (k - a.x) / (b.x - a.x);
                Coord {
                    x: k,
                    y: a.y + (b.y - a.y) * t,
                }
            }
            Edge::Top | Edge::Bottom => {
                let k = if matches!(edge, Edge::Top) {
                    self.min
                } else {
                    self.max
                };
                let t = (k - a.y) / (b.y - a.y);
                Coord {
                    x: a.x + (b.x - a.x) * t,
                    y: k,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOX: ClipBox = ClipBox {
        min: 0.0,
        max: 10.0,
    };

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn line_leaving_and_reentering_splits_in_two() {
        let mut parts = Vec::new();
        BOX.clip_line(
            &[
                c(2.0, 5.0),
                c(15.0, 5.0),
                c(15.0, 8.0),
                c(5.0, 8.0),
                c(5.0, 9.0),
            ],
            &mut parts,
        );
        assert_eq!(
            parts,
            vec![
                vec![c(2.0, 5.0), c(10.0, 5.0)],
                vec![c(10.0, 8.0), c(5.0, 8.0), c(5.0, 9.0)]
            ]
        );
    }

    #[test]
    fn line_crossing_the_box_is_cut_at_both_edges() {
        let mut parts = Vec::new();
        BOX.clip_line(&[c(-5.0, -5.0), c(15.0, 15.0)], &mut parts);
        assert_eq!(parts, vec![vec![c(0.0, 0.0), c(10.0, 10.0)]]);
        parts.clear();
        BOX.clip_line(&[c(-5.0, 20.0), c(20.0, 20.0)], &mut parts);
        assert!(parts.is_empty());
    }

    #[test]
    fn ring_covering_the_box_becomes_the_box() {
        let clipped = BOX.clip_ring(&[c(-5.0, -5.0), c(15.0, -5.0), c(15.0, 15.0), c(-5.0, 15.0)]);
        assert_eq!(clipped.len(), 4);
        for corner in [c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0)] {
            assert!(clipped.contains(&corner), "{clipped:?}");
        }
    }

    #[test]
    fn triangle_poking_out_is_cut() {
        let clipped = BOX.clip_ring(&[c(5.0, 5.0), c(15.0, 5.0), c(5.0, 8.0)]);
        assert_eq!(
            clipped,
            vec![c(5.0, 5.0), c(10.0, 5.0), c(10.0, 6.5), c(5.0, 8.0)]
        );
    }
}
