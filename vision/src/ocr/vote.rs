//! OCR on tracks: which of a track's views are read, and what the reads add up to.
//!
//! A track's box is read when it is large enough to show a marking (`min_height_px` ×
//! `min_width_px`), the track has reads left (`reads_per_track`), and it is either larger than
//! the last view read by `grow` (a boat coming nearer is read on its better views) or
//! `interval_s` later (a boat passing at one range is read again on another frame). Each read
//! gives the marking it found (a fishing-vessel number or a plate first, then a name) or
//! nothing; the vote is the text most reads gave, with the share of reads that gave it times
//! their mean confidence.

use std::collections::HashMap;

use coastwatch_core::engine::Reading;
use coastwatch_core::identity::markings::{self, Marking};
use serde::{Deserialize, Serialize};

use super::TextLine;
use crate::geometry::BBox;
use crate::pipeline::Crop;

/// When a track's crops are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoteConfig {
    /// Reads of one track at most.
    pub reads_per_track: u32,
    /// Crops lower than this (px) are not read: a hull number is some fifth of a boat's
    /// height and a plate some third of its crop, too small to read below.
    pub min_height_px: u32,
    /// Crops narrower than this (px) are not read.
    pub min_width_px: u32,
    /// A track is read again when its box's area is this many times the last one read…
    pub grow: f32,
    /// …or this many seconds after the last read.
    pub interval_s: f64,
    /// A line read as a name (not a number or plate) counts from this confidence.
    pub min_name_score: f32,
}

impl Default for VoteConfig {
    fn default() -> Self {
        Self {
            reads_per_track: 3,
            min_height_px: 64,
            min_width_px: 96,
            grow: 1.2,
            interval_s: 2.0,
            min_name_score: 0.8,
        }
    }
}

/// The reads of one track.
#[derive(Debug, Default)]
struct Votes {
    reads: u32,
    last_area: f32,
    last_t: f64,
    /// Text, reads that gave it, sum of their confidences.
    texts: Vec<(String, u32, f32)>,
}

/// The readings of a camera's tracks.
#[derive(Debug, Default)]
pub struct TrackReadings {
    config: VoteConfig,
    tracks: HashMap<u64, Votes>,
}

impl TrackReadings {
    /// Readings under `config`.
    pub fn new(config: VoteConfig) -> Self {
        Self {
            config,
            tracks: HashMap::new(),
        }
    }

    /// Whether track `track_id`, seen in `bbox` at `t` (s), is worth reading now.
    pub fn wants(&self, track_id: u64, bbox: &BBox, t: f64) -> bool {
        let c = &self.config;
        if bbox.h < c.min_height_px as f32 || bbox.w < c.min_width_px as f32 {
            return false;
        }
        self.tracks.get(&track_id).is_none_or(|v| {
            v.reads < c.reads_per_track
                && (bbox.area() >= v.last_area * c.grow || t - v.last_t >= c.interval_s)
        })
    }

    /// Records what a read of `crop` (its track's box `bbox` at `t`) found.
    pub fn add(&mut self, crop: &Crop, bbox: &BBox, t: f64, lines: &[TextLine]) {
        let votes = self.tracks.entry(crop.track_id).or_default();
        votes.reads += 1;
        (votes.last_area, votes.last_t) = (bbox.area(), t);
        if let Some((text, score)) = marking(lines, self.config.min_name_score) {
            match votes.texts.iter_mut().find(|(t, ..)| *t == text) {
                Some((_, n, sum)) => (*n, *sum) = (*n + 1, *sum + score),
                None => votes.texts.push((text, 1, score)),
            }
        }
    }

    /// What the reads of `track_id` add up to; `None` before its first read.
    pub fn reading(&self, track_id: u64) -> Option<Reading> {
        let votes = self.tracks.get(&track_id).filter(|v| v.reads > 0)?;
        let reads = votes.reads as f32;
        let best = votes
            .texts
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)));
        let blank = votes.reads - votes.texts.iter().map(|t| t.1).sum::<u32>();
        Some(match best {
            Some((text, n, sum)) if *n >= blank => Reading {
                text: Some(text.clone()),
                confidence: *n as f32 / reads * (sum / *n as f32),
                reads: votes.reads,
            },
            _ => Reading {
                text: None,
                confidence: blank as f32 / reads,
                reads: votes.reads,
            },
        })
    }

    /// Forgets a track that ended.
    pub fn forget(&mut self, track_id: u64) {
        self.tracks.remove(&track_id);
    }
}

/// The marking in one image's lines, normalised, with its confidence: a fishing-vessel number
/// or a plate in a line or in the lines joined top to bottom (a number painted on two lines),
/// else the surest line that reads as a name.
pub fn marking(lines: &[TextLine], min_name_score: f32) -> Option<(String, f32)> {
    let mut ordered: Vec<&TextLine> = lines.iter().collect();
    ordered.sort_by(|a, b| a.corners[0][1].total_cmp(&b.corners[0][1]));
    let joined = TextLine {
        text: ordered.iter().map(|l| l.text.as_str()).collect(),
        score: ordered.iter().map(|l| l.score).sum::<f32>() / ordered.len().max(1) as f32,
        corners: [[0.0; 2]; 4],
        height_px: 0.0,
    };
    let numbered = ordered
        .iter()
        .copied()
        .chain(std::iter::once(&joined))
        .filter_map(|line| match markings::parse(&line.text)? {
            marking @ (Marking::FishingVessel { .. } | Marking::Plate { .. }) => {
                Some((marking.text(), line.score))
            }
            Marking::Name(_) => None,
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    numbered.or_else(|| {
        lines
            .iter()
            .filter(|l| l.score >= min_name_score)
            .filter_map(|l| {
                let name = markings::normalize(&l.text);
                let letters = name.chars().filter(|c| c.is_alphanumeric()).count();
                (letters >= 3).then_some((name, l.score))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bbox(width: u32, height: u32) -> BBox {
        BBox::from_corners(0.0, 0.0, width as f32, height as f32)
    }

    fn crop(track_id: u64, width: u32, height: u32) -> Crop {
        Crop {
            track_id,
            bbox: bbox(width, height),
            width,
            height,
            rgb: Vec::new(),
        }
    }

    /// Records a read of track `id` in a `width × height` box at `t`.
    fn add(
        readings: &mut TrackReadings,
        id: u64,
        (width, height): (u32, u32),
        t: f64,
        lines: &[TextLine],
    ) {
        readings.add(&crop(id, width, height), &bbox(width, height), t, lines);
    }

    fn line(text: &str, score: f32, top: f32) -> TextLine {
        TextLine {
            text: text.into(),
            score,
            corners: [
                [0.0, top],
                [10.0, top],
                [10.0, top + 10.0],
                [0.0, top + 10.0],
            ],
            height_px: 10.0,
        }
    }

    #[test]
    fn small_views_are_not_read_and_each_track_is_read_a_few_times() {
        let mut readings = TrackReadings::new(VoteConfig::default());
        assert!(!readings.wants(1, &bbox(300, 40), 0.0), "too low");
        assert!(!readings.wants(1, &bbox(60, 100), 0.0), "too narrow");
        assert!(readings.wants(1, &bbox(200, 100), 0.0));
        add(&mut readings, 1, (200, 100), 0.0, &[]);
        assert!(
            !readings.wants(1, &bbox(210, 100), 1.0),
            "hardly larger, soon after"
        );
        assert!(readings.wants(1, &bbox(250, 100), 1.0), "larger");
        assert!(readings.wants(1, &bbox(200, 100), 2.0), "later");
        add(&mut readings, 1, (250, 100), 1.0, &[]);
        add(&mut readings, 1, (300, 100), 2.0, &[]);
        assert!(
            !readings.wants(1, &bbox(900, 300), 9.0),
            "three reads at most"
        );
        assert!(readings.wants(2, &bbox(200, 100), 0.0), "per track");
        readings.forget(1);
        assert!(readings.reading(1).is_none());
    }

    #[test]
    fn the_reads_are_voted() {
        let mut readings = TrackReadings::new(VoteConfig::default());
        assert!(readings.reading(1).is_none());
        add(
            &mut readings,
            1,
            (200, 100),
            0.0,
            &[line("浙岱渔O3318", 0.6, 0.0)],
        );
        add(
            &mut readings,
            1,
            (250, 100),
            1.0,
            &[line("浙岱漁03318", 0.9, 0.0)],
        );
        add(
            &mut readings,
            1,
            (300, 100),
            2.0,
            &[line("浙岱渔03318", 0.95, 0.0)],
        );
        let reading = readings.reading(1).unwrap();
        assert_eq!(reading.text.as_deref(), Some("浙岱渔03318"));
        assert_eq!(reading.reads, 3);
        // two reads of three, confidence 0.925 on average
        assert!((reading.confidence - 2.0 / 3.0 * 0.925).abs() < 1e-4);

        // nothing written: blank reads win, and are sure
        add(&mut readings, 2, (200, 100), 0.0, &[line("~", 0.3, 0.0)]);
        add(&mut readings, 2, (250, 100), 2.0, &[]);
        let blank = readings.reading(2).unwrap();
        assert_eq!(blank.text, None);
        assert_eq!((blank.confidence, blank.reads), (1.0, 2));
    }

    #[test]
    fn numbers_on_two_lines_plates_and_names() {
        let two = [line("03318", 0.9, 40.0), line("浙岱渔", 0.9, 0.0)];
        assert_eq!(marking(&two, 0.8).unwrap().0, "浙岱渔03318");
        let plate = [line("浙B·12345", 0.97, 0.0), line("苏州", 0.99, 30.0)];
        assert_eq!(marking(&plate, 0.8).unwrap().0, "浙B12345");
        let name = [line("hai xing 8", 0.9, 0.0), line("ab", 0.99, 30.0)];
        assert_eq!(marking(&name, 0.8).unwrap().0, "HAIXING8");
        assert_eq!(marking(&[line("hai xing", 0.5, 0.0)], 0.8), None);
        assert_eq!(marking(&[], 0.8), None);
    }
}
