//! One track's state: its filter, class vote, counters and best frame.

use jiff::Timestamp;

use super::kalman::BoxFilter;
use super::{TrackOutput, TrackSummary};
use crate::geometry::{BBox, Detection, ObjectClass};

#[derive(Debug, Clone)]
pub(super) struct Track {
    /// Set at confirmation; `None` while tentative.
    pub(super) id: Option<u64>,
    filter: BoxFilter,
    /// Unmatched in the latest update (confirmed tracks only).
    pub(super) lost: bool,
    /// Sum of matched detection scores per class, in [`ObjectClass::ALL`] order.
    votes: [f32; ObjectClass::ALL.len()],
    class: ObjectClass,
    score: f32,
    pub(super) hits: u32,
    first_seen: Timestamp,
    last_seen: Timestamp,
    first_frame: u64,
    /// Frame of the last match.
    pub(super) last_frame: u64,
    best_value: f32,
    best_frame: u64,
}

impl Track {
    /// A tentative track from its first detection.
    pub(super) fn new(detection: &Detection, frame: u64, t: Timestamp) -> Self {
        let mut track = Self {
            id: None,
            filter: BoxFilter::new(&detection.bbox),
            lost: false,
            votes: [0.0; ObjectClass::ALL.len()],
            class: detection.class,
            score: detection.score,
            hits: 0,
            first_seen: t,
            last_seen: t,
            first_frame: frame,
            last_frame: frame,
            best_value: f32::NEG_INFINITY,
            best_frame: frame,
        };
        track.count(detection, frame, t);
        track
    }

    pub(super) fn is_confirmed(&self) -> bool {
        self.id.is_some()
    }

    pub(super) fn bbox(&self) -> BBox {
        self.filter.bbox()
    }

    pub(super) fn predict(&mut self, steps: u64) {
        for _ in 0..steps {
            self.filter.predict(self.lost);
        }
    }

    /// Takes a matched detection.
    pub(super) fn hit(&mut self, detection: &Detection, frame: u64, t: Timestamp) {
        self.filter.update(&detection.bbox);
        self.lost = false;
        self.count(detection, frame, t);
    }

    fn count(&mut self, detection: &Detection, frame: u64, t: Timestamp) {
        self.hits += 1;
        self.score = detection.score;
        self.last_seen = t;
        self.last_frame = frame;
        let slot = |c: ObjectClass| ObjectClass::ALL.iter().position(|&k| k == c).unwrap_or(0);
        self.votes[slot(detection.class)] += detection.score;
        let leader = ObjectClass::ALL
            .into_iter()
            .max_by(|a, b| self.votes[slot(*a)].total_cmp(&self.votes[slot(*b)]))
            .unwrap_or(self.class);
        if self.votes[slot(leader)] > self.votes[slot(self.class)] {
            self.class = leader;
        }
    }

    /// The output for the current frame; records it as the best frame if it is.
    pub(super) fn output(&mut self) -> TrackOutput {
        let bbox = self.bbox();
        let value = bbox.area() * self.score;
        let best = value > self.best_value;
        if best {
            self.best_value = value;
            self.best_frame = self.last_frame;
        }
        TrackOutput {
            id: self.id.unwrap_or(0),
            class: self.class,
            score: self.score,
            bbox,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            first_frame: self.first_frame,
            hits: self.hits,
            best,
        }
    }

    pub(super) fn summary(&self) -> TrackSummary {
        TrackSummary {
            id: self.id.unwrap_or(0),
            class: self.class,
            score: self.score,
            bbox: self.bbox(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            first_frame: self.first_frame,
            last_frame: self.last_frame,
            best_frame: self.best_frame,
            hits: self.hits,
            lost: self.lost,
        }
    }
}
