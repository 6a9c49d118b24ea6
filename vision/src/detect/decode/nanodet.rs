//! NanoDet outputs: class scores and box-side distance distributions.

use super::{Candidate, Params};
use crate::geometry::BBox;

/// One NanoDet level: `scores` `[N, C]` (already sigmoid), `dists` `[N, 4 × bins]` (left, top,
/// right, bottom, each `bins` logits over distances 0..bins-1 in units of `stride`), cells
/// row-major over a grid `grid_w` wide. A side's distance is the softmax expectation × stride,
/// measured from the cell point ((col + `offset`) × stride, (row + `offset`) × stride).
pub fn decode_nanodet_level(
    scores: &[f32],
    dists: &[f32],
    grid_w: usize,
    stride: f32,
    offset: f32,
    p: &Params,
) -> Vec<Candidate> {
    let classes = p.wanted.len();
    let n = scores.len() / classes.max(1);
    let bins = dists.len() / n.max(1) / 4;
    (0..n)
        .filter_map(|i| {
            let (class, score) = p.best(scores[i * classes..][..classes].iter().copied(), 1.0)?;
            let d = &dists[i * 4 * bins..][..4 * bins];
            let side = |k: usize| expectation(&d[k * bins..][..bins]) * stride;
            let cx = ((i % grid_w) as f32 + offset) * stride;
            let cy = ((i / grid_w) as f32 + offset) * stride;
            let bbox = BBox::from_corners(cx - side(0), cy - side(1), cx + side(2), cy + side(3));
            Some(Candidate { bbox, score, class })
        })
        .collect()
}

/// Upstream NanoDet's single output (NanoDet-Plus export): `[N, C + 4 × bins]`, rows over the
/// levels of `strides` in order, grids `ceil(input / stride)`, cell points at the cell corner
/// (offset 0, as NanoDet-Plus places its priors).
pub fn decode_nanodet_single(
    data: &[f32],
    rows: usize,
    strides: &[u32],
    input_w: u32,
    input_h: u32,
    p: &Params,
) -> Vec<Candidate> {
    let classes = p.wanted.len();
    let width = data.len() / rows.max(1);
    let (mut scores, mut dists) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    let mut start = 0;
    for &s in strides {
        let (gw, gh) = (input_w.div_ceil(s) as usize, input_h.div_ceil(s) as usize);
        let level = &data[start * width..((start + gw * gh).min(rows)) * width];
        start += gw * gh;
        scores.clear();
        dists.clear();
        for r in level.chunks_exact(width) {
            scores.extend_from_slice(&r[..classes]);
            dists.extend_from_slice(&r[classes..]);
        }
        out.extend(decode_nanodet_level(&scores, &dists, gw, s as f32, 0.0, p));
    }
    out
}

/// Σ i · softmax(logits)ᵢ.
fn expectation(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let (mut num, mut den) = (0.0, 0.0);
    for (i, l) in logits.iter().enumerate() {
        let e = (l - max).exp();
        num += e * i as f32;
        den += e;
    }
    num / den
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{all, assert_box};
    use super::*;

    /// Logits that put (almost) all weight on bin `k` of `bins`.
    fn peak(k: usize, bins: usize) -> Vec<f32> {
        (0..bins).map(|i| if i == k { 30.0 } else { 0.0 }).collect()
    }

    #[test]
    fn softmax_expectation_of_the_bins() {
        assert!((expectation(&[0.0, 0.0]) - 0.5).abs() < 1e-6);
        assert!((expectation(&peak(3, 11)) - 3.0).abs() < 1e-6);
    }

    #[test]
    fn a_level_decodes_around_cell_centres() {
        // 2×2 grid, stride 8, 3 classes, 11 bins; cell 3 = (col 1, row 1), centre (12, 12)
        let mut scores = vec![0.0; 4 * 3];
        scores[3 * 3 + 2] = 0.8;
        scores[3] = 0.9; // cell 1, class 0: not wanted below
        let mut dists = vec![0.0; 4 * 44];
        for (side, k) in [1, 0, 2, 1].into_iter().enumerate() {
            dists[3 * 44 + side * 11..][..11].copy_from_slice(&peak(k, 11));
        }
        let p = Params {
            score: 0.5,
            wanted: &[false, true, true],
        };
        let c = decode_nanodet_level(&scores, &dists, 2, 8.0, 0.5, &p);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].class, c[0].score), (2, 0.8));
        assert_box(c[0].bbox, 4.0, 12.0, 28.0, 20.0);
    }

    #[test]
    fn the_single_output_walks_the_levels() {
        // 16×16 input, strides 8 and 16: 4 + 1 rows of 1 class + 4 × 2 bins
        let mut d = vec![0.0; 5 * 9];
        d[4 * 9] = 0.7; // the stride-16 cell at (0, 0)
        d[4 * 9 + 1..4 * 9 + 9].copy_from_slice(&[0.0, 30.0, 0.0, 30.0, 0.0, 30.0, 0.0, 30.0]);
        let wanted = all(1);
        let p = Params {
            score: 0.5,
            wanted: &wanted,
        };
        let c = decode_nanodet_single(&d, 5, &[8, 16], 16, 16, &p);
        assert_eq!(c.len(), 1);
        assert_box(c[0].bbox, -16.0, -16.0, 16.0, 16.0);
    }
}
