//! CLEAR MOT (Bernardin & Stiefelhagen 2008) and the identity measures (Ristani et al. 2016),
//! computed the way motmetrics 1.4.0's `MOTAccumulator` and `metrics` module compute them.

use super::frames::Aligned;
use crate::assign::min_cost_assignment;

/// Event counts of one sequence.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClearCounts {
    pub num_frames: usize,
    pub num_objects: usize,
    pub num_predictions: usize,
    /// Matches that kept or first set the object's hypothesis.
    pub num_matches: usize,
    /// Matches to a hypothesis other than the object's last one.
    pub num_switches: usize,
    pub num_false_positives: usize,
    pub num_misses: usize,
    pub num_fragmentations: usize,
    /// Sum of the IoU distances (1 − IoU) of matches and switches.
    pub distance_sum: f64,
    pub num_unique_objects: usize,
    pub mostly_tracked: usize,
    pub partially_tracked: usize,
    pub mostly_lost: usize,
}

/// What one ground-truth object has gone through so far.
#[derive(Clone, Copy, Default)]
struct ObjectState {
    /// The hypothesis it was last matched to.
    hypothesis: Option<usize>,
    /// Frames it appears in.
    frames: usize,
    /// Frames it was matched in.
    tracked: usize,
    /// Whether it is in a run of misses.
    missing: bool,
}

/// Walks the frames in order, matching objects to hypotheses: a pair matched before is kept
/// while its distance is within `max_distance`, the rest are paired by min-cost assignment.
pub(crate) fn clear_mot(a: &Aligned, max_distance: f64) -> ClearCounts {
    let mut c = ClearCounts {
        num_frames: a.frames.len(),
        ..ClearCounts::default()
    };
    let mut objects = vec![ObjectState::default(); a.num_gt_ids];
    for f in &a.frames {
        let distance = |i: usize, j: usize| {
            let d = 1.0 - f.iou(i, j);
            if d > max_distance { f64::NAN } else { d }
        };
        let mut matched: Vec<Option<(usize, f64)>> = vec![None; f.gt.len()];
        let mut test_taken = vec![false; f.test.len()];
        // 1. Keep last frame's pairs that are still close enough.
        for (i, &o) in f.gt.iter().enumerate() {
            let Some(h) = objects[o].hypothesis else {
                continue;
            };
            let Some(j) = (0..f.test.len()).find(|&j| !test_taken[j] && f.test[j] == h) else {
                continue;
            };
            let d = distance(i, j);
            if d.is_finite() {
                matched[i] = Some((j, d));
                test_taken[j] = true;
                c.num_matches += 1;
            }
        }
        // 2. Pair the rest at least total distance.
        let rows: Vec<usize> = (0..f.gt.len()).filter(|&i| matched[i].is_none()).collect();
        let cols: Vec<usize> = (0..f.test.len()).filter(|&j| !test_taken[j]).collect();
        let costs: Vec<f64> = rows
            .iter()
            .flat_map(|&i| cols.iter().map(move |&j| (i, j)))
            .map(|(i, j)| distance(i, j))
            .collect();
        for (r, k) in min_cost_assignment(&costs, rows.len(), cols.len()) {
            let (i, j) = (rows[r], cols[k]);
            let state = &mut objects[f.gt[i]];
            if state.hypothesis.is_some_and(|h| h != f.test[j]) {
                c.num_switches += 1;
            } else {
                c.num_matches += 1;
            }
            state.hypothesis = Some(f.test[j]);
            matched[i] = Some((j, costs[r * cols.len() + k]));
            test_taken[j] = true;
        }
        // 3. Misses, fragmentations and the distance sum.
        for (i, &o) in f.gt.iter().enumerate() {
            let state = &mut objects[o];
            state.frames += 1;
            match matched[i] {
                Some((_, d)) => {
                    c.distance_sum += d;
                    // A run of misses between two tracked frames fragments the track.
                    if state.missing && state.tracked > 0 {
                        c.num_fragmentations += 1;
                    }
                    state.missing = false;
                    state.tracked += 1;
                }
                None => {
                    c.num_misses += 1;
                    state.missing = true;
                }
            }
        }
        // 4. Unmatched hypotheses are false positives.
        c.num_false_positives += test_taken.iter().filter(|t| !**t).count();
        c.num_objects += f.gt.len();
        c.num_predictions += f.test.len();
    }
    for o in &objects {
        let ratio = o.tracked as f64 / o.frames as f64;
        if ratio >= 0.8 {
            c.mostly_tracked += 1;
        } else if ratio >= 0.2 {
            c.partially_tracked += 1;
        } else {
            c.mostly_lost += 1;
        }
    }
    c.num_unique_objects = objects.len();
    c
}

/// Identity true positives: frames where an object and the hypothesis its whole trajectory is
/// assigned to overlap within `max_distance`, under the one-to-one assignment of trajectories that
/// maximises them (equivalently, minimises IDFN + IDFP).
pub(crate) fn identity_true_positives(a: &Aligned, max_distance: f64) -> usize {
    let (n, m) = (a.num_gt_ids, a.num_test_ids);
    let mut overlaps = vec![0_usize; n * m];
    for f in &a.frames {
        for (i, &o) in f.gt.iter().enumerate() {
            for (j, &h) in f.test.iter().enumerate() {
                if 1.0 - f.iou(i, j) <= max_distance {
                    overlaps[o * m + h] += 1;
                }
            }
        }
    }
    // Every pair is allowed (at cost 0 when they never overlap), so nothing forces a poor pair
    // in just to assign more trajectories.
    let costs: Vec<f64> = overlaps.iter().map(|&k| -(k as f64)).collect();
    min_cost_assignment(&costs, n, m)
        .into_iter()
        .map(|(o, h)| overlaps[o * m + h])
        .sum()
}
