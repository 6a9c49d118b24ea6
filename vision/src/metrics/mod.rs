//! Tracking metrics: tracker output scored against ground truth, both as MOTChallenge files.
//!
//! * CLEAR MOT (MOTA, MOTP, switches, fragmentations, MT/PT/ML) and the identity measures
//!   (IDF1, IDP, IDR) as motmetrics 1.4.0 computes them, with IoU distance and threshold 0.5.
//! * HOTA, DetA, AssA and their parts as TrackEval 1.3.0 computes them.
//!
//! ```
//! use coastwatch_vision::metrics::{evaluate, overall, render_table, EvalOptions, Sequence};
//!
//! let gt = Sequence::parse("1,1,10,10,20,40,1,-1,-1,-1\n2,1,12,10,20,40,1,-1,-1,-1\n")?;
//! let test = Sequence::parse("1,7,11,10,20,40,0.9,-1,-1,-1\n2,7,12,11,20,40,0.9,-1,-1,-1\n")?;
//! let m = evaluate(&gt, &test, &EvalOptions::default()).with_name("demo");
//! assert_eq!(m.mota, 1.0);
//! let table = render_table(&[m.clone(), overall(&[m])]);
//! assert!(table.contains("OVERALL"));
//! # Ok::<(), coastwatch_vision::metrics::MotError>(())
//! ```

mod clear;
mod frames;
mod hota;
mod motfile;
mod table;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use crate::assign::min_cost_assignment;
pub use motfile::{MotError, MotProblem, MotRecord, Sequence, write_mot};
pub use table::render_table;

use frames::Aligned;
use hota::HotaCurves;

/// Which boxes take part, beyond what the files hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GtFilter {
    /// Every box (motmetrics' `loadtxt` defaults, as in its TUD test).
    #[default]
    KeepAll,
    /// Ground-truth boxes with `conf` 0 are dropped (TrackEval's rule for MOT15).
    DropZeroConf,
    /// motmetrics' MOT16 evaluation (`CLEAR_MOT_M` with `preprocessResult`): tracker boxes
    /// matched at IoU ≥ 0.5 to a distractor (classes 2, 7, 8, 12) or to a box of negative
    /// visibility are dropped, then only ground truth with `conf` ≥ 0.99 and class 1 is kept.
    Mot16,
}

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvalOptions {
    /// Least IoU for a ground-truth box and a tracker box to match in CLEAR MOT and the identity
    /// measures (motmetrics' `distth` is 1 − this). HOTA always sweeps 0.05..=0.95.
    pub iou_threshold: f64,
    /// Which boxes take part.
    pub filter: GtFilter,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            iou_threshold: 0.5,
            filter: GtFilter::KeepAll,
        }
    }
}

/// The scores of one sequence, or of several combined (see [`overall`]).
///
/// Ratios with a zero denominator are NaN (`null` in JSON), as in motmetrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceMetrics {
    /// The sequence's name (`OVERALL` for the combination).
    pub name: String,
    /// Frames with a ground-truth or tracker box.
    pub num_frames: usize,
    /// Ground-truth trajectories.
    pub num_unique_objects: usize,
    /// Ground-truth boxes.
    pub num_objects: usize,
    /// Tracker boxes.
    pub num_predictions: usize,
    /// Matched pairs that are not ID switches.
    pub num_matches: usize,
    /// Objects matched to a different hypothesis than the one they last had.
    pub num_switches: usize,
    /// Runs of misses between two tracked frames of an object.
    pub num_fragmentations: usize,
    /// Tracker boxes left unmatched (FP).
    pub num_false_positives: usize,
    /// Ground-truth boxes left unmatched (FN).
    pub num_misses: usize,
    /// Objects matched in ≥ 80 % of their frames.
    pub mostly_tracked: usize,
    /// Objects matched in 20–80 % of their frames.
    pub partially_tracked: usize,
    /// Objects matched in < 20 % of their frames.
    pub mostly_lost: usize,
    /// 1 − (FN + switches + FP) / ground-truth boxes.
    pub mota: f64,
    /// motmetrics' MOTP: the mean IoU *distance* (1 − IoU) of matched pairs, so 0 is perfect.
    /// TrackEval and the MOTChallenge site report 1 − this.
    pub motp: f64,
    /// Matched / tracker boxes.
    pub precision: f64,
    /// Matched / ground-truth boxes.
    pub recall: f64,
    /// Identity F1: 2 IDTP / (ground-truth boxes + tracker boxes).
    pub idf1: f64,
    /// Identity precision: IDTP / (IDTP + IDFP).
    pub idp: f64,
    /// Identity recall: IDTP / (IDTP + IDFN).
    pub idr: f64,
    /// Boxes matched under the best one-to-one assignment of whole trajectories.
    pub idtp: usize,
    /// Tracker boxes not covered by that assignment.
    pub idfp: usize,
    /// Ground-truth boxes not covered by that assignment.
    pub idfn: usize,
    /// HOTA, the mean over alpha of √(DetA · AssA).
    pub hota: f64,
    /// Detection accuracy.
    pub det_a: f64,
    /// Association accuracy.
    pub ass_a: f64,
    /// Localisation accuracy (mean IoU of HOTA's true positives).
    pub loc_a: f64,
    /// Detection recall.
    pub det_re: f64,
    /// Detection precision.
    pub det_pr: f64,
    /// Association recall.
    pub ass_re: f64,
    /// Association precision.
    pub ass_pr: f64,
    /// Sum of matched IoU distances, to recombine MOTP.
    #[serde(skip)]
    distance_sum: f64,
    /// HOTA per alpha, to recombine sequences.
    #[serde(skip)]
    curves: HotaCurves,
}

impl SequenceMetrics {
    /// The same scores under another name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The metrics from the event counts, ratios derived as motmetrics derives them.
    fn from_counts(c: clear::ClearCounts, idtp: usize, curves: HotaCurves) -> Self {
        let detections = (c.num_matches + c.num_switches) as f64;
        let objects = c.num_objects as f64;
        let predictions = c.num_predictions as f64;
        let errors = c.num_misses + c.num_switches + c.num_false_positives;
        let (idfp, idfn) = (c.num_predictions - idtp, c.num_objects - idtp);
        let id = idtp as f64;
        let h = curves.summary();
        Self {
            name: String::new(),
            num_frames: c.num_frames,
            num_unique_objects: c.num_unique_objects,
            num_objects: c.num_objects,
            num_predictions: c.num_predictions,
            num_matches: c.num_matches,
            num_switches: c.num_switches,
            num_fragmentations: c.num_fragmentations,
            num_false_positives: c.num_false_positives,
            num_misses: c.num_misses,
            mostly_tracked: c.mostly_tracked,
            partially_tracked: c.partially_tracked,
            mostly_lost: c.mostly_lost,
            mota: 1.0 - errors as f64 / objects,
            motp: c.distance_sum / detections,
            precision: detections / (detections + c.num_false_positives as f64),
            recall: detections / objects,
            idf1: 2.0 * id / (objects + predictions),
            idp: id / (id + idfp as f64),
            idr: id / (id + idfn as f64),
            idtp,
            idfp,
            idfn,
            hota: h.hota,
            det_a: h.det_a,
            ass_a: h.ass_a,
            loc_a: h.loc_a,
            det_re: h.det_re,
            det_pr: h.det_pr,
            ass_re: h.ass_re,
            ass_pr: h.ass_pr,
            distance_sum: c.distance_sum,
            curves,
        }
    }
}

/// Scores the tracker output `test` against the ground truth `gt` of one sequence.
/// The result is unnamed; see [`SequenceMetrics::with_name`].
pub fn evaluate(gt: &Sequence, test: &Sequence, options: &EvalOptions) -> SequenceMetrics {
    let (gt, test) = frames::preprocess(gt.records(), test.records(), options.filter);
    let aligned = Aligned::new(&gt, &test);
    let max_distance = 1.0 - options.iou_threshold;
    let counts = clear::clear_mot(&aligned, max_distance);
    let idtp = clear::identity_true_positives(&aligned, max_distance);
    SequenceMetrics::from_counts(counts, idtp, hota::hota(&aligned))
}

/// Several sequences as one, named `OVERALL`: counts summed and ratios recomputed from them
/// (motmetrics' `generate_overall`), HOTA combined as TrackEval's `COMBINED_SEQ`.
pub fn overall(sequences: &[SequenceMetrics]) -> SequenceMetrics {
    let mut c = clear::ClearCounts::default();
    let mut idtp = 0;
    for s in sequences {
        c.num_frames += s.num_frames;
        c.num_unique_objects += s.num_unique_objects;
        c.num_objects += s.num_objects;
        c.num_predictions += s.num_predictions;
        c.num_matches += s.num_matches;
        c.num_switches += s.num_switches;
        c.num_fragmentations += s.num_fragmentations;
        c.num_false_positives += s.num_false_positives;
        c.num_misses += s.num_misses;
        c.mostly_tracked += s.mostly_tracked;
        c.partially_tracked += s.partially_tracked;
        c.mostly_lost += s.mostly_lost;
        c.distance_sum += s.distance_sum;
        idtp += s.idtp;
    }
    let curves = HotaCurves::combine(sequences.iter().map(|s| &s.curves));
    SequenceMetrics::from_counts(c, idtp, curves).with_name("OVERALL")
}
