//! Ground truth and tracker output side by side, frame by frame, with their box overlaps.

use std::collections::{BTreeMap, BTreeSet};

use super::GtFilter;
use super::motfile::MotRecord;
use crate::assign::min_cost_assignment;

/// A box as its corners, the form both motmetrics and TrackEval compute IoU from.
#[derive(Clone, Copy)]
struct Corners {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Corners {
    fn of(r: &MotRecord) -> Self {
        Self {
            x0: r.left,
            y0: r.top,
            x1: r.left + r.width,
            y1: r.top + r.height,
        }
    }

    fn area(&self) -> f64 {
        (self.x1 - self.x0).max(0.0) * (self.y1 - self.y0).max(0.0)
    }

    fn iou(&self, other: &Corners) -> f64 {
        let w = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let h = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        let inter = w * h;
        if inter <= 0.0 {
            return 0.0;
        }
        inter / (self.area() + other.area() - inter)
    }
}

/// The IoU of every ground-truth box with every tracker box, row-major.
fn iou_matrix(gt: &[&MotRecord], test: &[&MotRecord]) -> Vec<f64> {
    let test: Vec<Corners> = test.iter().map(|r| Corners::of(r)).collect();
    gt.iter()
        .flat_map(|g| {
            let g = Corners::of(g);
            test.iter().map(move |t| g.iou(t))
        })
        .collect()
}

/// One frame: who is there, and how much their boxes overlap.
pub(crate) struct FrameData {
    /// Ground-truth objects as indices into the sorted ids, in file order.
    pub gt: Vec<usize>,
    /// Tracker hypotheses, likewise.
    pub test: Vec<usize>,
    /// IoU of `gt[i]` with `test[j]` at `i * test.len() + j`.
    pub iou: Vec<f64>,
}

impl FrameData {
    /// IoU of the `i`-th ground-truth box with the `j`-th tracker box of this frame.
    pub fn iou(&self, i: usize, j: usize) -> f64 {
        self.iou[i * self.test.len() + j]
    }
}

/// Every frame that has a ground-truth or a tracker box, in frame order.
pub(crate) struct Aligned {
    /// The frames.
    pub frames: Vec<FrameData>,
    /// Distinct ground-truth ids.
    pub num_gt_ids: usize,
    /// Distinct tracker ids.
    pub num_test_ids: usize,
}

impl Aligned {
    /// Lines up `gt` and `test` (already filtered) by frame.
    pub fn new(gt: &[&MotRecord], test: &[&MotRecord]) -> Self {
        let index = |records: &[&MotRecord]| -> BTreeMap<i64, usize> {
            let ids: BTreeSet<i64> = records.iter().map(|r| r.id).collect();
            ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect()
        };
        let (gt_index, test_index) = (index(gt), index(test));
        let by_frame = by_frame(gt, test);
        let frames = by_frame
            .into_values()
            .map(|(g, t)| FrameData {
                gt: g.iter().map(|r| gt_index[&r.id]).collect(),
                test: t.iter().map(|r| test_index[&r.id]).collect(),
                iou: iou_matrix(&g, &t),
            })
            .collect();
        Self {
            frames,
            num_gt_ids: gt_index.len(),
            num_test_ids: test_index.len(),
        }
    }
}

type FramePair<'a> = (Vec<&'a MotRecord>, Vec<&'a MotRecord>);

/// Ground-truth and tracker records grouped by frame, file order kept within a frame.
fn by_frame<'a>(gt: &[&'a MotRecord], test: &[&'a MotRecord]) -> BTreeMap<u64, FramePair<'a>> {
    let mut frames: BTreeMap<u64, FramePair<'a>> = BTreeMap::new();
    for r in gt {
        frames.entry(r.frame).or_default().0.push(r);
    }
    for r in test {
        frames.entry(r.frame).or_default().1.push(r);
    }
    frames
}

/// MOT16+ ground-truth classes whose tracker boxes are neither rewarded nor punished:
/// person on vehicle, static person, distractor, reflection.
const DISTRACTOR_CLASSES: [f64; 4] = [2.0, 7.0, 8.0, 12.0];

/// The records evaluation sees after `filter`.
pub(crate) fn preprocess<'a>(
    gt: &'a [MotRecord],
    test: &'a [MotRecord],
    filter: GtFilter,
) -> (Vec<&'a MotRecord>, Vec<&'a MotRecord>) {
    match filter {
        GtFilter::KeepAll => (gt.iter().collect(), test.iter().collect()),
        GtFilter::DropZeroConf => (
            gt.iter().filter(|r| r.conf != 0.0).collect(),
            test.iter().collect(),
        ),
        GtFilter::Mot16 => {
            let all_gt: Vec<&MotRecord> = gt.iter().collect();
            let all_test: Vec<&MotRecord> = test.iter().collect();
            let mut kept_test = Vec::with_capacity(test.len());
            for (g, t) in by_frame(&all_gt, &all_test).into_values() {
                // Match at IoU ≥ 0.5 against every ground-truth box, whatever its class.
                let costs: Vec<f64> = iou_matrix(&g, &t)
                    .into_iter()
                    .map(|iou| if 1.0 - iou > 0.5 { f64::NAN } else { 1.0 - iou })
                    .collect();
                let mut dropped = vec![false; t.len()];
                for (i, j) in min_cost_assignment(&costs, g.len(), t.len()) {
                    let ignored = g[i]
                        .class()
                        .is_some_and(|c| DISTRACTOR_CLASSES.contains(&c))
                        || g[i].visibility().is_some_and(|v| v < 0.0);
                    dropped[j] = ignored;
                }
                kept_test.extend(t.iter().zip(dropped).filter(|(_, d)| !d).map(|(r, _)| *r));
            }
            let kept_gt = gt
                .iter()
                .filter(|r| r.conf >= 0.99 && r.class() == Some(1.0))
                .collect();
            (kept_gt, kept_test)
        }
    }
}
