//! A ByteTrack-class multi-object tracker: detections in, stable track ids out.
//!
//! Each [`Tracker::update`] predicts every track with a constant-velocity Kalman
//! filter (`kalman.rs`), then associates in ByteTrack's order:
//!
//! 1. high-score detections (≥ `high_score`) to confirmed tracks, tracked or lost, by IoU;
//! 2. low-score detections (`low_score` ≤ score < `high_score`) to the confirmed tracks still
//!    unmatched that were tracked (not lost) in the previous update — the stage that carries a
//!    track through partial occlusion, when the detector is unsure;
//! 3. tentative (not yet confirmed) tracks to the high-score detections left over;
//! 4. a new tentative track for each remaining detection scoring ≥ `new_track_score`.
//!
//! Matching is optimal (Hungarian, see `assign.rs`) on the cost `1 − IoU`. Classes do not gate
//! matching: detectors flicker between classes on one object (a boat on a trailer is a vessel
//! one frame and a vehicle the next), so a track's class is a vote, the class with the largest
//! sum of matched detection scores, which changes only when another class strictly overtakes it.
//!
//! Birth and death: a tentative track is confirmed after `min_hits` consecutive matched updates
//! and dies at its first miss. The first frame of a stream is not special (ByteTrack confirms
//! every track born on frame 1): a pipeline may start the tracker anywhere in a stream, and a
//! false positive on the first frame should not become a track. Ids are handed out at
//! confirmation, so they run 1, 2, 3… without gaps and are never reused. A confirmed track that
//! goes unmatched is lost, keeps being predicted and may be matched again until more than
//! `max_misses` frames have passed since its last match; then it ends.
//!
//! Frame indices may skip (a motion gate that leaves frames undetected): tracks are predicted
//! once per frame elapsed and misses are counted in frames, not updates.
//!
//! Cost per update: O(T) to predict T tracks, plus O((T + D)³) for the Hungarian method on T
//! tracks and D detections in each stage; tens of tracks cost well under a millisecond.

pub(crate) mod assign;
pub(crate) mod kalman;
mod state;
#[cfg(test)]
mod tests;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::geometry::{BBox, Detection, ObjectClass};
use state::Track;

/// The tracker's thresholds. Every field has a default, so `{}` is a valid configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Detections scoring at least this take part in the first stage and may start tracks.
    pub high_score: f32,
    /// Detections scoring below this are ignored; those between it and `high_score` only
    /// extend tracked tracks (second stage).
    pub low_score: f32,
    /// Smallest IoU for a first-stage match (ByteTrack's `match_thresh` 0.8 is its cost).
    pub match_iou: f32,
    /// Smallest IoU for a second-stage match of a low-score detection.
    pub low_match_iou: f32,
    /// Smallest IoU for matching a tentative track.
    pub tentative_match_iou: f32,
    /// A leftover high-score detection starts a track only if it scores at least this.
    pub new_track_score: f32,
    /// Consecutive matched updates before a track is confirmed and given an id.
    pub min_hits: u32,
    /// Frames a confirmed track may go unmatched and still be matched again.
    pub max_misses: u32,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            high_score: 0.5,
            low_score: 0.1,
            match_iou: 0.2,
            low_match_iou: 0.5,
            tentative_match_iou: 0.3,
            new_track_score: 0.6,
            min_hits: 3,
            max_misses: 30,
        }
    }
}

/// One confirmed track matched in the current frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackOutput {
    /// Stable id, from 1, never reused.
    pub id: u64,
    /// The class by score-weighted vote.
    pub class: ObjectClass,
    /// The score of the detection matched in this frame.
    pub score: f32,
    /// The filtered box.
    pub bbox: BBox,
    /// Time of the track's first detection (before confirmation).
    pub first_seen: Timestamp,
    /// Time of this frame.
    pub last_seen: Timestamp,
    /// Frame index of the track's first detection.
    pub first_frame: u64,
    /// Matched detections so far, this one included.
    pub hits: u32,
    /// This frame has the largest `bbox.area() × score` of all the frames output for the track
    /// so far: the frame to crop as its snapshot.
    pub best: bool,
}

/// A confirmed track as the tracker holds it, live or just ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackSummary {
    /// Stable id.
    pub id: u64,
    /// The class by score-weighted vote.
    pub class: ObjectClass,
    /// The score of the last matched detection.
    pub score: f32,
    /// The filter's current box: the filtered box after a match, the prediction while lost.
    pub bbox: BBox,
    /// Time of the first detection.
    pub first_seen: Timestamp,
    /// Time of the last matched detection.
    pub last_seen: Timestamp,
    /// Frame index of the first detection.
    pub first_frame: u64,
    /// Frame index of the last matched detection.
    pub last_frame: u64,
    /// Frame index of the best frame (see [`TrackOutput::best`]).
    pub best_frame: u64,
    /// Matched detections.
    pub hits: u32,
    /// Unmatched in the latest update, still waiting to be matched again.
    pub lost: bool,
}

/// A configuration the tracker cannot work with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerConfigError {
    /// A score or IoU threshold outside 0..=1, or not a number.
    #[error("tracker `{name}` is {value}, expected a number in 0..=1")]
    OutOfRange {
        /// The field.
        name: &'static str,
        /// Its value.
        value: f32,
    },
    /// `low_score` above `high_score`.
    #[error("tracker `low_score` {low} is above `high_score` {high}")]
    LowAboveHigh {
        /// `low_score`.
        low: f32,
        /// `high_score`.
        high: f32,
    },
}

impl TrackerConfig {
    /// Checks that thresholds are in 0..=1 and `low_score ≤ high_score`.
    pub fn validate(&self) -> Result<(), TrackerConfigError> {
        let fractions = [
            ("high_score", self.high_score),
            ("low_score", self.low_score),
            ("match_iou", self.match_iou),
            ("low_match_iou", self.low_match_iou),
            ("tentative_match_iou", self.tentative_match_iou),
            ("new_track_score", self.new_track_score),
        ];
        for (name, value) in fractions {
            if !(0.0..=1.0).contains(&value) {
                return Err(TrackerConfigError::OutOfRange { name, value });
            }
        }
        if self.low_score > self.high_score {
            return Err(TrackerConfigError::LowAboveHigh {
                low: self.low_score,
                high: self.high_score,
            });
        }
        Ok(())
    }
}

/// Follows detections from frame to frame.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    tracks: Vec<Track>,
    next_id: u64,
    last_frame: Option<u64>,
    ended: Vec<TrackSummary>,
}

impl Tracker {
    /// An empty tracker; see [`TrackerConfig::validate`] for checking `config` first.
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            tracks: Vec::new(),
            next_id: 1,
            last_frame: None,
            ended: Vec::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Takes one frame's detections and returns the confirmed tracks matched in it, by id.
    /// `frame_index` should increase; a repeated or earlier index counts as the next frame.
    pub fn update(
        &mut self,
        frame_index: u64,
        t: Timestamp,
        detections: &[Detection],
    ) -> Vec<TrackOutput> {
        self.ended.clear();
        let steps = match self.last_frame {
            Some(last) if frame_index > last => frame_index - last,
            _ => 1,
        };
        self.last_frame = Some(frame_index);
        // Beyond this every track has died anyway; the cap bounds the work.
        let steps = steps.min(u64::from(self.config.max_misses) + 2);
        for track in &mut self.tracks {
            track.predict(steps);
        }

        let usable = |d: &&Detection| {
            d.score.is_finite() && d.score >= self.config.low_score && usable_box(&d.bbox)
        };
        let (high, low): (Vec<&Detection>, Vec<&Detection>) = detections
            .iter()
            .filter(usable)
            .partition(|d| d.score >= self.config.high_score);

        let mut matched = vec![false; self.tracks.len()];
        let hit = |tracks: &mut [Track], matched: &mut [bool], ti: usize, d: &Detection| {
            tracks[ti].hit(d, frame_index, t);
            matched[ti] = true;
        };

        // 1. High-score detections to confirmed tracks, tracked or lost.
        let pool: Vec<usize> = self.indices(|tr| tr.is_confirmed());
        let pairs = self.match_tracks(&pool, &high, self.config.match_iou);
        let mut high_used = vec![false; high.len()];
        for (p, d) in pairs {
            hit(&mut self.tracks, &mut matched, pool[p], high[d]);
            high_used[d] = true;
        }

        // 2. Low-score detections to the confirmed tracks left that were not lost.
        let tracked: Vec<usize> = pool
            .into_iter()
            .filter(|&i| !matched[i] && !self.tracks[i].lost)
            .collect();
        for (p, d) in self.match_tracks(&tracked, &low, self.config.low_match_iou) {
            hit(&mut self.tracks, &mut matched, tracked[p], low[d]);
        }

        // 3. Tentative tracks to the high-score detections left.
        let high_left: Vec<&Detection> = high
            .iter()
            .zip(&high_used)
            .filter(|(_, used)| !**used)
            .map(|(d, _)| *d)
            .collect();
        let tentative: Vec<usize> = self.indices(|tr| !tr.is_confirmed());
        let pairs = self.match_tracks(&tentative, &high_left, self.config.tentative_match_iou);
        let mut left_used = vec![false; high_left.len()];
        for (p, d) in pairs {
            hit(&mut self.tracks, &mut matched, tentative[p], high_left[d]);
            left_used[d] = true;
        }

        self.retire_unmatched(&matched, frame_index);

        // 4. New tentative tracks from what is left.
        for (d, _) in high_left.iter().zip(&left_used).filter(|(_, used)| !**used) {
            if d.score >= self.config.new_track_score {
                self.tracks.push(Track::new(d, frame_index, t));
            }
        }

        self.confirm_and_report(frame_index)
    }

    /// The live confirmed tracks, lost ones included, by id.
    pub fn tracks(&self) -> Vec<TrackSummary> {
        let mut live: Vec<TrackSummary> = self
            .tracks
            .iter()
            .filter(|tr| tr.is_confirmed())
            .map(Track::summary)
            .collect();
        live.sort_by_key(|s| s.id);
        live
    }

    /// The confirmed tracks that ended in the latest update (lost for more than `max_misses`
    /// frames), for the caller to close; replaced at each update.
    pub fn ended(&self) -> &[TrackSummary] {
        &self.ended
    }

    /// Ends every track (at the end of a stream) and returns the confirmed ones; ids keep
    /// counting from where they were.
    pub fn finish(&mut self) -> Vec<TrackSummary> {
        self.ended.clear();
        self.last_frame = None;
        let confirmed = self.tracks();
        self.tracks.clear();
        confirmed
    }

    fn indices(&self, keep: impl Fn(&Track) -> bool) -> Vec<usize> {
        (0..self.tracks.len())
            .filter(|&i| keep(&self.tracks[i]))
            .collect()
    }

    fn match_tracks(
        &self,
        tracks: &[usize],
        detections: &[&Detection],
        min_iou: f32,
    ) -> Vec<(usize, usize)> {
        let boxes: Vec<BBox> = tracks.iter().map(|&i| self.tracks[i].bbox()).collect();
        let dets: Vec<BBox> = detections.iter().map(|d| d.bbox).collect();
        assign::match_by_iou(&boxes, &dets, min_iou)
    }

    /// Drops unmatched tentative tracks and confirmed ones past `max_misses`; marks the other
    /// unmatched ones lost.
    fn retire_unmatched(&mut self, matched: &[bool], frame_index: u64) {
        let max_misses = u64::from(self.config.max_misses);
        let mut i = 0;
        self.tracks.retain_mut(|track| {
            let was_matched = matched[i];
            i += 1;
            if was_matched {
                return true;
            }
            if !track.is_confirmed() {
                return false;
            }
            track.lost = true;
            if frame_index.saturating_sub(track.last_frame) > max_misses {
                self.ended.push(track.summary());
                return false;
            }
            true
        });
    }

    /// Confirms tentative tracks with enough hits and lists the confirmed tracks matched now.
    fn confirm_and_report(&mut self, frame_index: u64) -> Vec<TrackOutput> {
        let mut out = Vec::new();
        for track in &mut self.tracks {
            if track.last_frame != frame_index {
                continue;
            }
            if !track.is_confirmed() && track.hits >= self.config.min_hits {
                track.id = Some(self.next_id);
                self.next_id += 1;
            }
            if track.is_confirmed() {
                out.push(track.output());
            }
        }
        out.sort_by_key(|o| o.id);
        self.ended.sort_by_key(|s| s.id);
        out
    }
}

/// A box the filter can start from: finite, with positive size.
fn usable_box(b: &BBox) -> bool {
    [b.x, b.y, b.w, b.h].iter().all(|v| v.is_finite()) && b.w > 0.0 && b.h > 0.0
}
