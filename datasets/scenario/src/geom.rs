//! Plane geometry in a local metric frame (x east, y north, metres): points, bearings and
//! polylines that vessels and trucks follow.

/// A point in the local frame (m).
pub(crate) type Xy = [f64; 2];

pub(crate) fn dist(a: Xy, b: Xy) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

pub(crate) fn add(a: Xy, b: Xy) -> Xy {
    [a[0] + b[0], a[1] + b[1]]
}

pub(crate) fn sub(a: Xy, b: Xy) -> Xy {
    [a[0] - b[0], a[1] - b[1]]
}

pub(crate) fn scale(a: Xy, k: f64) -> Xy {
    [a[0] * k, a[1] * k]
}

pub(crate) fn lerp(a: Xy, b: Xy, f: f64) -> Xy {
    [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
}

/// The bearing (deg clockwise from north, 0..360) of `v`.
pub(crate) fn heading_of(v: Xy) -> f64 {
    v[0].atan2(v[1]).to_degrees().rem_euclid(360.0)
}

/// The bearing (deg) from `a` to `b`.
pub(crate) fn bearing(a: Xy, b: Xy) -> f64 {
    heading_of(sub(b, a))
}

/// The unit vector of bearing `deg`.
pub(crate) fn unit_of(deg: f64) -> Xy {
    let r = deg.to_radians();
    [r.sin(), r.cos()]
}

/// Points every `step` metres along the segment `a`–`b`, both ends included.
pub(crate) fn samples(a: Xy, b: Xy, step: f64) -> impl Iterator<Item = Xy> {
    let n = (dist(a, b) / step).ceil().max(1.0) as usize;
    (0..=n).map(move |i| lerp(a, b, i as f64 / n as f64))
}

/// A polyline with its cumulative lengths.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Polyline {
    pts: Vec<Xy>,
    cum: Vec<f64>,
}

impl Polyline {
    /// The polyline through `points` (repeated points dropped); `None` with fewer than two
    /// distinct points.
    pub(crate) fn new(points: Vec<Xy>) -> Option<Self> {
        let mut pts: Vec<Xy> = Vec::with_capacity(points.len());
        for p in points {
            if pts.last().is_none_or(|q| dist(*q, p) > 0.01) {
                pts.push(p);
            }
        }
        if pts.len() < 2 {
            return None;
        }
        let mut cum = Vec::with_capacity(pts.len());
        let mut total = 0.0;
        cum.push(0.0);
        for w in pts.windows(2) {
            total += dist(w[0], w[1]);
            cum.push(total);
        }
        Some(Self { pts, cum })
    }

    pub(crate) fn len(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    pub(crate) fn first(&self) -> Xy {
        self.pts[0]
    }

    pub(crate) fn last(&self) -> Xy {
        self.pts[self.pts.len() - 1]
    }

    /// The segment holding arc length `s` and the fraction along it.
    fn locate(&self, s: f64) -> (usize, f64) {
        let s = s.clamp(0.0, self.len());
        let i = self
            .cum
            .partition_point(|&c| c <= s)
            .clamp(1, self.pts.len() - 1)
            - 1;
        let seg = self.cum[i + 1] - self.cum[i];
        let f = if seg > 0.0 {
            (s - self.cum[i]) / seg
        } else {
            0.0
        };
        (i, f.clamp(0.0, 1.0))
    }

    /// The point at arc length `s` (clamped to the line).
    pub(crate) fn at(&self, s: f64) -> Xy {
        let (i, f) = self.locate(s);
        lerp(self.pts[i], self.pts[i + 1], f)
    }

    /// The direction of travel (deg) at arc length `s` going forward.
    pub(crate) fn bearing_at(&self, s: f64) -> f64 {
        let (i, _) = self.locate(s);
        bearing(self.pts[i], self.pts[i + 1])
    }

    /// The arc length of the point of the line nearest to `p`, and the distance to it.
    pub(crate) fn project(&self, p: Xy) -> (f64, f64) {
        let mut best = (0.0, f64::INFINITY);
        for i in 0..self.pts.len() - 1 {
            let (a, b) = (self.pts[i], self.pts[i + 1]);
            let d = sub(b, a);
            let len2 = d[0] * d[0] + d[1] * d[1];
            let t = if len2 > 0.0 {
                (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let q = lerp(a, b, t);
            let e = dist(p, q);
            if e < best.1 {
                best = (self.cum[i] + t * (self.cum[i + 1] - self.cum[i]), e);
            }
        }
        best
    }

    /// The points from arc length `s0` to `s1` (either direction), both ends included.
    pub(crate) fn slice(&self, s0: f64, s1: f64) -> Vec<Xy> {
        let (s0, s1) = (s0.clamp(0.0, self.len()), s1.clamp(0.0, self.len()));
        let mut out = vec![self.at(s0)];
        if s1 >= s0 {
            out.extend(
                (0..self.pts.len())
                    .filter(|&i| self.cum[i] > s0 && self.cum[i] < s1)
                    .map(|i| self.pts[i]),
            );
        } else {
            out.extend(
                (0..self.pts.len())
                    .rev()
                    .filter(|&i| self.cum[i] < s0 && self.cum[i] > s1)
                    .map(|i| self.pts[i]),
            );
        }
        out.push(self.at(s1));
        out
    }

    /// Whether the line is a closed loop (its ends within a metre).
    pub(crate) fn is_loop(&self) -> bool {
        dist(self.first(), self.last()) <= 1.0
    }

    /// Walks `distance` metres from arc length `s` in direction `dir` (+1 forward, -1
    /// back), turning round at the ends (going on round a closed loop): the points passed
    /// (from `at(s)`), the arc length reached and the direction then.
    pub(crate) fn walk(&self, mut s: f64, mut dir: f64, mut distance: f64) -> (Vec<Xy>, f64, f64) {
        let mut pts = vec![self.at(s)];
        let mut turns = 0;
        let closed = self.is_loop();
        while distance > 1e-6 && turns < 100_000 {
            let end = if dir > 0.0 { self.len() } else { 0.0 };
            let room = (end - s).abs();
            if room <= 1e-6 {
                turns += 1;
                if closed {
                    s = self.len() - end;
                } else {
                    dir = -dir;
                }
                continue;
            }
            let step = room.min(distance);
            let s1 = s + dir * step;
            pts.extend(self.slice(s, s1).into_iter().skip(1));
            s = s1;
            distance -= step;
        }
        (pts, s, dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyline_measures_slices_and_walks() {
        let line =
            Polyline::new(vec![[0.0, 0.0], [100.0, 0.0], [100.0, 0.0], [100.0, 50.0]]).unwrap();
        assert_eq!(line.len(), 150.0);
        assert_eq!(line.at(120.0), [100.0, 20.0]);
        assert_eq!(line.bearing_at(10.0), 90.0);
        assert_eq!(line.bearing_at(140.0), 0.0);
        assert_eq!(line.project([50.0, 10.0]), (50.0, 10.0));
        assert_eq!(
            line.slice(50.0, 120.0),
            vec![[50.0, 0.0], [100.0, 0.0], [100.0, 20.0]]
        );
        assert_eq!(
            line.slice(120.0, 50.0),
            vec![[100.0, 20.0], [100.0, 0.0], [50.0, 0.0]]
        );
        let (pts, s, dir) = line.walk(140.0, 1.0, 30.0);
        assert_eq!((s, dir), (130.0, -1.0));
        assert_eq!(pts.first(), Some(&[100.0, 40.0]));
        assert_eq!(pts.last(), Some(&[100.0, 30.0]));
        assert!(Polyline::new(vec![[1.0, 1.0], [1.0, 1.0]]).is_none());
        let ring = Polyline::new(vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]]).unwrap();
        assert!(ring.is_loop() && !line.is_loop());
        let (pts, s, dir) = ring.walk(15.0, 1.0, ring.len());
        assert!((s - 15.0).abs() < 1e-9 && dir == 1.0, "{s}");
        assert!(pts.contains(&[0.0, 0.0]));
        assert!((bearing([0.0, 0.0], [-1.0, 0.0]) - 270.0).abs() < 1e-9);
    }
}
