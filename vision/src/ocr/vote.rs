//! OCR on tracks: which of a track's views are read, and what the reads add up to.
//!
//! A track's box is read when it lies inside the frame (a view cut by the frame's edge may
//! hide the marking), is large enough to show one (`min_height_px` × `min_width_px`), is
//! bright enough (not a night view), the track has reads left (`reads_per_track`), and it is either larger than
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
    /// A read that finds nothing counts (toward `no_visible_name`) only on a box at least this
    /// high (px): a hull marking is some 15 % of a boat's height above the water, so below it
    /// a blank read says nothing.
    pub blank_min_height_px: u32,
    /// Views darker than this mean grey level (0–255) are not read: at night a hull shows
    /// nothing legible, and must not count as one with nothing written on it.
    pub min_mean_grey: u8,
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
            blank_min_height_px: 112,
            min_mean_grey: 40,
        }
    }
}

/// The reads of one track.
#[derive(Debug, Default)]
struct Votes {
    /// Reads made (the budget).
    attempts: u32,
    /// Reads that count: those that found a marking, and blank ones of large views.
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

    /// Whether track `track_id`, seen in `bbox` at `t` (s) in a frame of `frame_size`
    /// pixels, is worth reading now.
    pub fn wants(&self, track_id: u64, bbox: &BBox, t: f64, frame_size: (u32, u32)) -> bool {
        let c = &self.config;
        if bbox.h < c.min_height_px as f32 || bbox.w < c.min_width_px as f32 {
            return false;
        }
        let (w, h) = (frame_size.0 as f32, frame_size.1 as f32);
        if bbox.x < 1.0 || bbox.y < 1.0 || bbox.x2() > w - 1.0 || bbox.y2() > h - 1.0 {
            return false;
        }
        self.tracks.get(&track_id).is_none_or(|v| {
            v.attempts < c.reads_per_track
                && (bbox.area() >= v.last_area * c.grow || t - v.last_t >= c.interval_s)
        })
    }

    /// Whether `crop` is bright enough to read (see [`VoteConfig::min_mean_grey`]).
    pub fn legible(&self, crop: &Crop) -> bool {
        let pixels = crop.rgb.len() / 3;
        if pixels == 0 {
            return false;
        }
        let sum: u64 = crop.rgb.iter().map(|&c| u64::from(c)).sum();
        sum / (3 * pixels as u64) >= u64::from(self.config.min_mean_grey)
    }

    /// Records what a read of `crop` (its track's box `bbox` at `t`) found.
    pub fn add(&mut self, crop: &Crop, bbox: &BBox, t: f64, lines: &[TextLine]) {
        let votes = self.tracks.entry(crop.track_id).or_default();
        votes.attempts += 1;
        (votes.last_area, votes.last_t) = (bbox.area(), t);
        match marking(lines, self.config.min_name_score) {
            Some((text, score)) => {
                votes.reads += 1;
                match votes.texts.iter_mut().find(|(t, ..)| *t == text) {
                    Some((_, n, sum)) => (*n, *sum) = (*n + 1, *sum + score),
                    None => votes.texts.push((text, 1, score)),
                }
            }
            None if bbox.h >= self.config.blank_min_height_px as f32 => votes.reads += 1,
            None => {}
        }
    }

    /// What the reads of `track_id` add up to; `None` before its first read that counts.
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

    /// The frame the test boxes lie in.
    const FRAME: (u32, u32) = (1920, 1080);

    /// A box of `width × height` inside [`FRAME`].
    fn bbox(width: u32, height: u32) -> BBox {
        BBox::from_corners(10.0, 10.0, 10.0 + width as f32, 10.0 + height as f32)
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
        assert!(!readings.wants(1, &bbox(300, 40), 0.0, FRAME), "too low");
        assert!(!readings.wants(1, &bbox(60, 100), 0.0, FRAME), "too narrow");
        assert!(
            !readings.wants(1, &bbox(200, 100), 0.0, (200, 200)),
            "cut by the edge"
        );
        assert!(readings.wants(1, &bbox(200, 100), 0.0, FRAME));
        add(&mut readings, 1, (200, 100), 0.0, &[]);
        assert!(
            !readings.wants(1, &bbox(210, 100), 1.0, FRAME),
            "hardly larger, soon after"
        );
        assert!(readings.wants(1, &bbox(250, 100), 1.0, FRAME), "larger");
        assert!(readings.wants(1, &bbox(200, 100), 2.0, FRAME), "later");
        add(&mut readings, 1, (250, 100), 1.0, &[]);
        add(&mut readings, 1, (300, 100), 2.0, &[]);
        assert!(
            !readings.wants(1, &bbox(900, 300), 9.0, FRAME),
            "three reads at most"
        );
        assert!(readings.wants(2, &bbox(200, 100), 0.0, FRAME), "per track");
        readings.forget(1);
        assert!(readings.reading(1).is_none());

        let grey = |level: u8| Crop {
            rgb: vec![level; 200 * 100 * 3],
            ..crop(3, 200, 100)
        };
        assert!(readings.legible(&grey(90)));
        assert!(!readings.legible(&grey(12)), "a night view");
        assert!(!readings.legible(&crop(3, 0, 0)));
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
        // the misread of a small view found no marking: it does not count
        assert_eq!(reading.reads, 2);
        assert!((reading.confidence - 0.925).abs() < 1e-4);

        // nothing written: blank reads of large views win, and are sure
        add(&mut readings, 2, (200, 120), 0.0, &[line("~", 0.3, 0.0)]);
        add(&mut readings, 2, (250, 130), 2.0, &[]);
        let blank = readings.reading(2).unwrap();
        assert_eq!(blank.text, None);
        assert_eq!((blank.confidence, blank.reads), (1.0, 2));
        // a small view that shows nothing proves nothing
        add(&mut readings, 4, (200, 80), 0.0, &[]);
        assert!(readings.reading(4).is_none());
        add(
            &mut readings,
            4,
            (300, 90),
            2.0,
            &[line("浙岱渔03318", 0.9, 0.0)],
        );
        assert_eq!(readings.reading(4).unwrap().reads, 1);
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
