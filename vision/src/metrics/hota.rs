//! HOTA (Luiten et al., IJCV 2021) as TrackEval 1.3.0's `metrics/hota.py` computes it.
//!
//! For each localisation threshold alpha = 0.05, 0.10, …, 0.95, detections are matched frame by
//! frame by the Hungarian method on IoU × the pair's global association score (how much the two
//! trajectories overlap over the whole sequence), and a match counts when its IoU ≥ alpha. The
//! reported scores are means over the 19 alphas.

use super::frames::Aligned;
use crate::assign::min_cost_assignment;

/// Number of alpha thresholds.
pub(crate) const ALPHAS: usize = 19;

/// `numpy.finfo(float).eps`, the slack TrackEval gives its comparisons.
const EPS: f64 = f64::EPSILON;

/// The alpha thresholds, computed as `numpy.arange(0.05, 0.99, 0.05)` does.
fn alphas() -> [f64; ALPHAS] {
    std::array::from_fn(|a| 0.05 + a as f64 * 0.05)
}

/// Counts and scores at one alpha.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct AtAlpha {
    tp: f64,
    fn_: f64,
    fp: f64,
    ass_a: f64,
    ass_re: f64,
    ass_pr: f64,
    /// Sum of the true positives' IoU until finished, then their mean.
    loc_a: f64,
}

/// Per-alpha counts and scores of one sequence or a combination of sequences.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct HotaCurves([AtAlpha; ALPHAS]);

/// HOTA and its sub-metrics, each the mean over the alpha thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct HotaSummary {
    /// Higher Order Tracking Accuracy: per alpha √(DetA · AssA).
    pub hota: f64,
    /// Detection accuracy: TP / (TP + FN + FP).
    pub det_a: f64,
    /// Association accuracy: mean over true positives of their trajectories' Jaccard overlap.
    pub ass_a: f64,
    /// Localisation accuracy: mean IoU of the true positives.
    pub loc_a: f64,
    /// Detection recall.
    pub det_re: f64,
    /// Detection precision.
    pub det_pr: f64,
    /// Association recall.
    pub ass_re: f64,
    /// Association precision.
    pub ass_pr: f64,
}

/// The HOTA curves of one sequence.
pub(crate) fn hota(a: &Aligned) -> HotaCurves {
    let mut res = HotaCurves::default();
    let gt_dets: usize = a.frames.iter().map(|f| f.gt.len()).sum();
    let test_dets: usize = a.frames.iter().map(|f| f.test.len()).sum();
    if test_dets == 0 || gt_dets == 0 {
        for r in &mut res.0 {
            (r.fn_, r.fp, r.loc_a) = (gt_dets as f64, test_dets as f64, 1.0);
        }
        return res;
    }
    let (n, m) = (a.num_gt_ids, a.num_test_ids);

    // How much each pair of trajectories could match, each frame's similarity normalised by the
    // similarity both boxes have with everything else in that frame.
    let mut potential = vec![0.0; n * m];
    let mut gt_count = vec![0.0; n];
    let mut test_count = vec![0.0; m];
    for f in &a.frames {
        let row_sum: Vec<f64> = (0..f.gt.len())
            .map(|i| (0..f.test.len()).map(|j| f.iou(i, j)).sum())
            .collect();
        let col_sum: Vec<f64> = (0..f.test.len())
            .map(|j| (0..f.gt.len()).map(|i| f.iou(i, j)).sum())
            .collect();
        for (i, &o) in f.gt.iter().enumerate() {
            for (j, &h) in f.test.iter().enumerate() {
                let denom = col_sum[j] + row_sum[i] - f.iou(i, j);
                if denom > EPS {
                    potential[o * m + h] += f.iou(i, j) / denom;
                }
            }
        }
        f.gt.iter().for_each(|&o| gt_count[o] += 1.0);
        f.test.iter().for_each(|&h| test_count[h] += 1.0);
    }
    let global: Vec<f64> = (0..n * m)
        .map(|k| potential[k] / (gt_count[k / m] + test_count[k % m] - potential[k]))
        .collect();

    let mut matches = vec![vec![0.0; n * m]; ALPHAS];
    for f in &a.frames {
        let (ng, nt) = (f.gt.len(), f.test.len());
        if ng == 0 || nt == 0 {
            for r in &mut res.0 {
                r.fn_ += ng as f64;
                r.fp += nt as f64;
            }
            continue;
        }
        let costs: Vec<f64> = (0..ng * nt)
            .map(|k| {
                let (i, j) = (k / nt, k % nt);
                -(global[f.gt[i] * m + f.test[j]] * f.iou(i, j))
            })
            .collect();
        let pairs = min_cost_assignment(&costs, ng, nt);
        for ((r, alpha), matches) in res.0.iter_mut().zip(alphas()).zip(&mut matches) {
            let mut tp = 0;
            for &(i, j) in &pairs {
                let sim = f.iou(i, j);
                if sim >= alpha - EPS {
                    tp += 1;
                    r.loc_a += sim;
                    matches[f.gt[i] * m + f.test[j]] += 1.0;
                }
            }
            r.tp += tp as f64;
            r.fn_ += (ng - tp) as f64;
            r.fp += (nt - tp) as f64;
        }
    }

    for (r, matches) in res.0.iter_mut().zip(&matches) {
        let (mut ass_a, mut ass_re, mut ass_pr) = (0.0, 0.0, 0.0);
        for (k, &count) in matches.iter().enumerate() {
            if count == 0.0 {
                continue;
            }
            let (g, t) = (gt_count[k / m], test_count[k % m]);
            ass_a += count * count / (g + t - count).max(1.0);
            ass_re += count * count / g.max(1.0);
            ass_pr += count * count / t.max(1.0);
        }
        let tp = r.tp.max(1.0);
        r.ass_a = ass_a / tp;
        r.ass_re = ass_re / tp;
        r.ass_pr = ass_pr / tp;
        r.loc_a = r.loc_a.max(1e-10) / r.tp.max(1e-10);
    }
    res
}

impl HotaCurves {
    /// Several sequences as one, as TrackEval's `combine_sequences` does: counts summed,
    /// association and localisation scores averaged weighted by true positives.
    pub fn combine<'a>(parts: impl IntoIterator<Item = &'a HotaCurves>) -> Self {
        // Sums first: counts, and scores weighted by their true positives.
        let mut res = Self::default();
        for part in parts {
            for (r, p) in res.0.iter_mut().zip(&part.0) {
                r.tp += p.tp;
                r.fn_ += p.fn_;
                r.fp += p.fp;
                r.ass_a += p.ass_a * p.tp;
                r.ass_re += p.ass_re * p.tp;
                r.ass_pr += p.ass_pr * p.tp;
                r.loc_a += p.loc_a * p.tp;
            }
        }
        for r in &mut res.0 {
            let tp = r.tp.max(1.0);
            r.ass_a /= tp;
            r.ass_re /= tp;
            r.ass_pr /= tp;
            r.loc_a = r.loc_a.max(1e-10) / r.tp.max(1e-10);
        }
        res
    }

    /// The scores, averaged over alpha.
    pub fn summary(&self) -> HotaSummary {
        let mut s = HotaSummary::default();
        for r in &self.0 {
            let det_a = r.tp / (r.tp + r.fn_ + r.fp).max(1.0);
            s.det_a += det_a;
            s.hota += (det_a * r.ass_a).sqrt();
            s.det_re += r.tp / (r.tp + r.fn_).max(1.0);
            s.det_pr += r.tp / (r.tp + r.fp).max(1.0);
            s.ass_a += r.ass_a;
            s.ass_re += r.ass_re;
            s.ass_pr += r.ass_pr;
            s.loc_a += r.loc_a;
        }
        let k = ALPHAS as f64;
        HotaSummary {
            hota: s.hota / k,
            det_a: s.det_a / k,
            ass_a: s.ass_a / k,
            loc_a: s.loc_a / k,
            det_re: s.det_re / k,
            det_pr: s.det_pr / k,
            ass_re: s.ass_re / k,
            ass_pr: s.ass_pr / k,
        }
    }
}
