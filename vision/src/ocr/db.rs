//! Text boxes from a DB (differentiable binarization) probability map: threshold, dilate,
//! connected regions, the smallest rotated rectangle around each, its mean probability, and
//! the rectangle grown by the "unclip" distance (area × ratio / perimeter), as PaddleOCR's
//! detectors are trained to be read.

/// How a probability map becomes boxes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DbParams {
    /// A pixel is text above this probability.
    pub thresh: f32,
    /// A box is kept when its mean probability is above this.
    pub box_thresh: f32,
    /// How far a box grows: its area × this / its perimeter.
    pub unclip_ratio: f32,
    /// At most this many regions are looked at (the largest).
    pub max_candidates: usize,
}

impl Default for DbParams {
    fn default() -> Self {
        Self {
            thresh: 0.3,
            box_thresh: 0.5,
            unclip_ratio: 1.6,
            max_candidates: 1000,
        }
    }
}

/// A text box: four corners (top-left, top-right, bottom-right, bottom-left) in map pixels,
/// and its mean probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad {
    /// Corners, clockwise from the top-left.
    pub corners: [[f32; 2]; 4],
    /// Mean probability inside the box before it grew.
    pub score: f32,
}

impl Quad {
    /// The lengths of its top and left sides.
    pub fn size(&self) -> (f32, f32) {
        let [tl, tr, _, bl] = self.corners;
        (dist(tl, tr), dist(tl, bl))
    }
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// The boxes of `prob` (`width` × `height`, row-major), best first.
pub fn boxes(prob: &[f32], width: usize, height: usize, params: &DbParams) -> Vec<Quad> {
    if width == 0 || height == 0 || prob.len() < width * height {
        return Vec::new();
    }
    // threshold, then dilate by a 2 × 2 square (as the detectors' post-processing does)
    let raw: Vec<bool> = prob[..width * height]
        .iter()
        .map(|&p| p > params.thresh)
        .collect();
    let mut on = vec![false; width * height];
    for y in 0..height {
        for x in 0..width {
            on[y * width + x] = raw[y * width + x]
                || (x > 0 && raw[y * width + x - 1])
                || (y > 0 && raw[(y - 1) * width + x])
                || (x > 0 && y > 0 && raw[(y - 1) * width + x - 1]);
        }
    }
    let mut regions = regions(&on, width, height);
    regions.sort_by_key(|r| std::cmp::Reverse(r.len()));
    regions.truncate(params.max_candidates);
    let mut out = Vec::new();
    for pixels in regions {
        if pixels.len() < 4 {
            continue;
        }
        let points: Vec<[f32; 2]> = pixels.iter().map(|&(x, y)| [x as f32, y as f32]).collect();
        let hull = convex_hull(points);
        let Some(rect) = min_area_rect(&hull) else {
            continue;
        };
        let (w, h) = (dist(rect[0], rect[1]), dist(rect[1], rect[2]));
        if w.min(h) < 3.0 {
            continue;
        }
        let score = mean_inside(prob, width, height, &rect);
        if score < params.box_thresh {
            continue;
        }
        let grown = grow(&rect, params.unclip_ratio);
        let (gw, gh) = (dist(grown[0], grown[1]), dist(grown[1], grown[2]));
        if gw.min(gh) < 5.0 {
            continue;
        }
        let corners = order(grown).map(|[x, y]| {
            [
                x.clamp(0.0, width as f32 - 1.0),
                y.clamp(0.0, height as f32 - 1.0),
            ]
        });
        out.push(Quad { corners, score });
    }
    out
}

/// 8-connected regions of set pixels, each as its pixels' coordinates.
fn regions(on: &[bool], width: usize, height: usize) -> Vec<Vec<(u32, u32)>> {
    let mut seen = vec![false; on.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..on.len() {
        if !on[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut pixels = Vec::new();
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            pixels.push((x as u32, y as u32));
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if (dx, dy) == (0, 0)
                        || nx < 0
                        || ny < 0
                        || nx >= width as i64
                        || ny >= height as i64
                    {
                        continue;
                    }
                    let j = ny as usize * width + nx as usize;
                    if on[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(pixels);
    }
    out
}

fn cross(o: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// The convex hull (Andrew's monotone chain), counter-clockwise in image axes.
fn convex_hull(mut points: Vec<[f32; 2]>) -> Vec<[f32; 2]> {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let mut hull: Vec<[f32; 2]> = Vec::with_capacity(points.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f32; 2]>> = if pass == 0 {
            Box::new(points.iter())
        } else {
            Box::new(points.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// The smallest-area rectangle around a convex polygon (one side on a hull edge), as four
/// corners in order around it.
fn min_area_rect(hull: &[[f32; 2]]) -> Option<[[f32; 2]; 4]> {
    if hull.len() < 3 {
        return None;
    }
    let mut best: Option<(f32, [[f32; 2]; 4])> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let len = dist(a, b);
        if len < 1e-6 {
            continue;
        }
        let u = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
        let v = [-u[1], u[0]];
        let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in hull {
            let pu = p[0] * u[0] + p[1] * u[1];
            let pv = p[0] * v[0] + p[1] * v[1];
            (u0, u1, v0, v1) = (u0.min(pu), u1.max(pu), v0.min(pv), v1.max(pv));
        }
        let area = (u1 - u0) * (v1 - v0);
        if best.is_none_or(|(a, _)| area < a) {
            let at = |s: f32, t: f32| [s * u[0] + t * v[0], s * u[1] + t * v[1]];
            best = Some((area, [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)]));
        }
    }
    best.map(|(_, rect)| rect)
}

/// The rectangle grown outward on every side by its area × `ratio` / its perimeter.
fn grow(rect: &[[f32; 2]; 4], ratio: f32) -> [[f32; 2]; 4] {
    let (w, h) = (dist(rect[0], rect[1]), dist(rect[1], rect[2]));
    let d = w * h * ratio / (2.0 * (w + h)).max(1e-6);
    let centre = [
        rect.iter().map(|p| p[0]).sum::<f32>() / 4.0,
        rect.iter().map(|p| p[1]).sum::<f32>() / 4.0,
    ];
    let u = [
        (rect[1][0] - rect[0][0]) / w.max(1e-6),
        (rect[1][1] - rect[0][1]) / w.max(1e-6),
    ];
    let v = [
        (rect[2][0] - rect[1][0]) / h.max(1e-6),
        (rect[2][1] - rect[1][1]) / h.max(1e-6),
    ];
    let (hw, hh) = (w / 2.0 + d, h / 2.0 + d);
    let at = |s: f32, t: f32| {
        [
            centre[0] + s * hw * u[0] + t * hh * v[0],
            centre[1] + s * hw * u[1] + t * hh * v[1],
        ]
    };
    [at(-1.0, -1.0), at(1.0, -1.0), at(1.0, 1.0), at(-1.0, 1.0)]
}

/// Corners as top-left, top-right, bottom-right, bottom-left (image axes: y down).
pub fn order(corners: [[f32; 2]; 4]) -> [[f32; 2]; 4] {
    let mut by_x = corners;
    by_x.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let (mut left, mut right) = ([by_x[0], by_x[1]], [by_x[2], by_x[3]]);
    left.sort_by(|a, b| a[1].total_cmp(&b[1]));
    right.sort_by(|a, b| a[1].total_cmp(&b[1]));
    [left[0], right[0], right[1], left[1]]
}

/// Whether `p` lies inside the convex quadrilateral `q` (either orientation).
fn inside(q: &[[f32; 2]; 4], p: [f32; 2]) -> bool {
    let signs: Vec<f32> = (0..4).map(|i| cross(q[i], q[(i + 1) % 4], p)).collect();
    signs.iter().all(|&s| s >= -1e-3) || signs.iter().all(|&s| s <= 1e-3)
}

/// The mean of `prob` over the pixels inside `q`.
fn mean_inside(prob: &[f32], width: usize, height: usize, q: &[[f32; 2]; 4]) -> f32 {
    let x0 = q
        .iter()
        .map(|p| p[0])
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as usize;
    let x1 = (q.iter().map(|p| p[0]).fold(f32::MIN, f32::max).ceil() as usize).min(width - 1);
    let y0 = q
        .iter()
        .map(|p| p[1])
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as usize;
    let y1 = (q.iter().map(|p| p[1]).fold(f32::MIN, f32::max).ceil() as usize).min(height - 1);
    let (mut sum, mut n) = (0.0f32, 0u32);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if inside(q, [x as f32, y as f32]) {
                sum += prob[y * width + x];
                n += 1;
            }
        }
    }
    if n == 0 { 0.0 } else { sum / n as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map with probability `p` inside the given axis-aligned blocks.
    fn map(width: usize, height: usize, blocks: &[(usize, usize, usize, usize, f32)]) -> Vec<f32> {
        let mut m = vec![0.0; width * height];
        for &(x0, y0, x1, y1, p) in blocks {
            for y in y0..y1 {
                for x in x0..x1 {
                    m[y * width + x] = p;
                }
            }
        }
        m
    }

    #[test]
    fn a_line_of_text_becomes_one_grown_box() {
        let m = map(200, 100, &[(40, 40, 160, 60, 0.9)]);
        let found = boxes(&m, 200, 100, &DbParams::default());
        assert_eq!(found.len(), 1);
        let q = found[0];
        assert!((q.score - 0.9).abs() < 0.05, "{q:?}");
        let (w, h) = q.size();
        // 121 × 21 dilated pixels grown by 121·21·1.6/284 ≈ 14 px on each side
        assert!(
            (w - 149.0).abs() < 4.0 && (h - 49.0).abs() < 4.0,
            "{w} × {h}"
        );
        let [tl, _, br, _] = q.corners;
        assert!(tl[0] < 40.0 && tl[1] < 40.0 && br[0] > 160.0 && br[1] > 60.0);
    }

    #[test]
    fn weak_tiny_and_separate_regions_are_told_apart() {
        let m = map(
            300,
            100,
            &[
                (10, 10, 100, 30, 0.9),
                (150, 10, 280, 30, 0.4), // above thresh, below box_thresh
                (10, 70, 12, 72, 0.95),  // a speck
                (150, 60, 280, 85, 0.8),
            ],
        );
        let found = boxes(&m, 300, 100, &DbParams::default());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|q| q.score >= 0.5));
    }

    #[test]
    fn a_slanted_line_gives_a_rotated_box() {
        let (w, h) = (200, 200);
        let mut m = vec![0.0; w * h];
        for x in 20..180usize {
            let yc = 50 + x / 2;
            for y in yc - 6..yc + 6 {
                m[y * w + x] = 0.9;
            }
        }
        let found = boxes(&m, w, h, &DbParams::default());
        assert_eq!(found.len(), 1);
        let [tl, tr, ..] = found[0].corners;
        let slope = (tr[1] - tl[1]) / (tr[0] - tl[0]);
        assert!((slope - 0.5).abs() < 0.05, "slope {slope}");
    }

    #[test]
    fn corners_are_ordered_clockwise_from_the_top_left() {
        let q = order([[10.0, 10.0], [0.0, 10.0], [10.0, 0.0], [0.0, 0.0]]);
        assert_eq!(q, [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]);
    }
}
