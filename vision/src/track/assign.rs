//! Optimal matching of tracks to detections by IoU cost.
//!
//! The crate's Hungarian solver ([`crate::assign`]) on a matrix padded the
//! way `lapjv`'s `cost_limit` pads it (and ByteTrack uses it): every row may instead take a
//! "no match" column and every column a "no match" row, each at half the cost limit. Leaving a
//! pair unmatched therefore costs the limit, so a pair costing more is never chosen and the
//! result is the cheapest *partial* matching, not the cheapest complete one with the bad pairs
//! dropped afterwards. Greedy matching is not enough: it takes the single best pair even where
//! that leaves a second track without any match (see the test below).
//!
//! Cost: O((r + c)³) time and O((r + c)²) memory for r tracks and c detections.

use crate::geometry::BBox;

/// Boxes are compared at least this wide and tall (px), grown about their centres: a small
/// object (a far boat, its lights at night) moves more than its own size between sampled
/// frames, and two such boxes would never overlap (a buffered IoU, as C-BIoU trackers use it).
pub(crate) const MIN_MATCH_SIDE_PX: f32 = 24.0;

/// Pairs (track, detection) whose IoU is at least `min_iou`, chosen to minimise the total
/// `1 − IoU` over matched pairs plus `1 − min_iou` for each track or detection left alone.
/// Boxes smaller than [`MIN_MATCH_SIDE_PX`] are compared grown to it.
pub(crate) fn match_by_iou(
    tracks: &[BBox],
    detections: &[BBox],
    min_iou: f32,
) -> Vec<(usize, usize)> {
    let grown = |b: &BBox| {
        let (cx, cy) = b.center();
        let (w, h) = (b.w.max(MIN_MATCH_SIDE_PX), b.h.max(MIN_MATCH_SIDE_PX));
        BBox {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w,
            h,
        }
    };
    let detections: Vec<BBox> = detections.iter().map(grown).collect();
    let cost: Vec<f32> = tracks
        .iter()
        .map(grown)
        .flat_map(|t| detections.iter().map(move |d| 1.0 - t.iou(d)))
        .collect();
    assign(&cost, tracks.len(), detections.len(), 1.0 - min_iou)
}

/// The cheapest partial assignment of `rows` to `cols` (`cost` is row-major) using only pairs
/// costing at most `max_cost`; pairs are returned sorted by row.
pub(crate) fn assign(cost: &[f32], rows: usize, cols: usize, max_cost: f32) -> Vec<(usize, usize)> {
    debug_assert_eq!(cost.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let limit = f64::from(max_cost.max(0.0));
    // Anything above the limit loses to leaving both sides unmatched; NaN counts as forbidden.
    let forbidden = limit + 1.0;
    let unmatched = limit / 2.0;
    let n = rows + cols;
    let mut padded = vec![0.0f64; n * n];
    for r in 0..n {
        for c in 0..n {
            padded[r * n + c] = match (r < rows, c < cols) {
                (true, true) => {
                    let v = f64::from(cost[r * cols + c]);
                    if v <= limit { v } else { forbidden }
                }
                (true, false) | (false, true) => unmatched,
                (false, false) => 0.0,
            };
        }
    }
    // Every padded entry is finite, so the solver gives a complete assignment of the square matrix.
    crate::assign::min_cost_assignment(&padded, n, n)
        .into_iter()
        .filter(|&(r, c)| r < rows && c < cols && f64::from(cost[r * cols + c]) <= limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_boxes_that_moved_past_their_size_still_match() {
        let b = |x: f32, w: f32| BBox {
            x,
            y: 100.0,
            w,
            h: w / 2.0,
        };
        // a 6 px light moved 12 px: no overlap, yet the same object
        assert_eq!(
            match_by_iou(&[b(100.0, 6.0)], &[b(112.0, 6.0)], 0.2),
            vec![(0, 0)]
        );
        // but not one 40 px away
        assert!(match_by_iou(&[b(100.0, 6.0)], &[b(140.0, 6.0)], 0.2).is_empty());
        // large boxes are compared as they are
        assert!(match_by_iou(&[b(100.0, 60.0)], &[b(161.0, 60.0)], 0.2).is_empty());
    }

    #[test]
    fn prefers_two_fair_matches_to_one_excellent_one() {
        // Greedy takes (0, 0) at 0.1 and then cannot match row 1 under the limit.
        let cost = [0.1, 0.2, 0.15, 0.9];
        assert_eq!(assign(&cost, 2, 2, 0.8), vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn leaves_pairs_above_the_limit_unmatched() {
        let cost = [0.9, 0.3, 0.95, 0.85];
        assert_eq!(assign(&cost, 2, 2, 0.8), vec![(0, 1)]);
        assert!(assign(&[f32::NAN], 1, 1, 0.8).is_empty());
    }

    #[test]
    fn handles_rectangular_and_empty_inputs() {
        // Three tracks, two detections.
        let cost = [0.7, 0.1, 0.2, 0.6, 0.05, 0.9];
        assert_eq!(assign(&cost, 3, 2, 0.8), vec![(0, 1), (2, 0)]);
        assert!(assign(&[], 0, 4, 0.8).is_empty());
        assert!(assign(&[], 3, 0, 0.8).is_empty());
    }

    #[test]
    fn matches_brute_force_on_small_matrices() {
        let mut seed = 0x2545_f491_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed % 1000) as f32 / 1000.0
        };
        for _ in 0..300 {
            let cost: Vec<f32> = (0..9).map(|_| next()).collect();
            let got = assign(&cost, 3, 3, 0.6);
            let chosen: Vec<Option<usize>> = (0..3)
                .map(|r| got.iter().find(|p| p.0 == r).map(|p| p.1))
                .collect();
            let best = (0..64u32)
                .map(|code| (0..3).map(|r| column(code, r)).collect::<Vec<_>>())
                .filter_map(|picks| partial_cost(&cost, &picks, 0.6))
                .fold(f32::INFINITY, f32::min);
            let total = partial_cost(&cost, &chosen, 0.6).expect("a valid matching");
            assert!((total - best).abs() < 1e-4, "{cost:?} → {got:?}");
        }
    }

    /// Row `r`'s column in an enumeration code: two bits per row, 3 meaning none.
    fn column(code: u32, r: usize) -> Option<usize> {
        let c = (code >> (2 * r)) & 3;
        (c < 3).then_some(c as usize)
    }

    /// The padded cost of a 3×3 partial matching, `None` if it reuses a column or exceeds `limit`.
    fn partial_cost(cost: &[f32], picks: &[Option<usize>], limit: f32) -> Option<f32> {
        let used: Vec<usize> = picks.iter().flatten().copied().collect();
        if (0..used.len()).any(|i| used[i + 1..].contains(&used[i])) {
            return None;
        }
        let mut total = limit / 2.0 * (6 - 2 * used.len()) as f32;
        for (r, c) in picks.iter().enumerate() {
            if let Some(c) = c {
                let v = cost[r * 3 + c];
                if v > limit {
                    return None;
                }
                total += v;
            }
        }
        Some(total)
    }
}
