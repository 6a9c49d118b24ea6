//! One camera's frames become tracks: motion gate → detector (or motion blobs) → tracker.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::detect::{DetectError, Detector};
use crate::frame::Frame;
use crate::geometry::{BBox, Detection, ObjectClass};
use crate::motion::{MotionConfig, MotionGate, detection_regions};
use crate::track::{TrackOutput, TrackSummary, Tracker, TrackerConfig};

/// How a camera's frames are processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Run the detector only where the motion gate saw motion (and on the tracks it follows).
    pub gate: bool,
    /// Look at the whole frame at least this often (seconds), so objects that arrived or stopped
    /// without the gate noticing are found.
    pub refresh_s: f64,
    /// The motion gate.
    pub motion: MotionConfig,
    /// The tracker.
    pub tracker: TrackerConfig,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            gate: true,
            refresh_s: 5.0,
            motion: MotionConfig::default(),
            tracker: TrackerConfig::default(),
        }
    }
}

/// Score given to a motion blob when no model names it.
const MOTION_SCORE: f32 = 0.7;

/// What one frame gave.
#[derive(Debug, Clone)]
pub struct FrameReport {
    /// The pipeline's own frame number (it keeps counting across reconnects).
    pub frame: u64,
    /// When the frame was taken.
    pub t: Timestamp,
    /// The confirmed tracks seen in this frame.
    pub tracks: Vec<TrackOutput>,
    /// Tracks that ended with this frame.
    pub ended: Vec<TrackSummary>,
    /// Best-frame crops of the tracks whose best frame this is.
    pub crops: Vec<Crop>,
    /// Detections the detector (or the motion gate) gave.
    pub detections: usize,
    /// Moving blobs the gate found.
    pub blobs: usize,
    /// Whether the detector ran on this frame (on regions or the whole frame).
    pub detected: bool,
    /// Time spent per stage.
    pub timing: StageTimes,
}

/// Time per stage for one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StageTimes {
    /// The motion gate.
    pub motion: Duration,
    /// The detector, letterbox and decoding included.
    pub detect: Duration,
    /// The tracker.
    pub track: Duration,
}

/// A track's picture from its best frame: packed RGB, the box plus a margin.
#[derive(Debug, Clone, PartialEq)]
pub struct Crop {
    /// The track.
    pub track_id: u64,
    /// Where the crop lies in the frame.
    pub bbox: BBox,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// A camera's processing state: its background model, detector and tracker.
pub struct Pipeline {
    config: PipelineConfig,
    detector: Option<Detector>,
    gate: Option<MotionGate>,
    tracker: Tracker,
    next_frame: u64,
    last_full: Option<Timestamp>,
}

impl Pipeline {
    /// A pipeline; without a detector, moving blobs are tracked as `unknown` objects.
    pub fn new(config: PipelineConfig, detector: Option<Detector>) -> Self {
        let tracker = Tracker::new(config.tracker.clone());
        Self {
            config,
            detector,
            gate: None,
            tracker,
            next_frame: 0,
            last_full: None,
        }
    }

    /// Whether a model recognises objects (else motion only).
    pub fn has_detector(&self) -> bool {
        self.detector.is_some()
    }

    /// Processes one frame.
    pub fn process(&mut self, frame: &Frame) -> Result<FrameReport, DetectError> {
        let mut timing = StageTimes::default();
        let started = Instant::now();
        let gate = match &mut self.gate {
            Some(gate) if gate.frame_size() == (frame.width, frame.height) => gate,
            gate => gate.insert(MotionGate::new(
                frame.width,
                frame.height,
                self.config.motion.clone(),
            )),
        };
        let motion = gate.update(frame);
        timing.motion = started.elapsed();

        let started = Instant::now();
        let (detections, detected) = match &mut self.detector {
            None => {
                let detections = motion
                    .blobs
                    .iter()
                    .map(|&bbox| Detection {
                        bbox,
                        score: MOTION_SCORE,
                        class: ObjectClass::Unknown,
                    })
                    .collect();
                (detections, false)
            }
            Some(detector) => {
                let due = self.last_full.is_none_or(|last| {
                    frame.t.duration_since(last).as_secs_f64() >= self.config.refresh_s
                });
                if !self.config.gate || due {
                    self.last_full = Some(frame.t);
                    (detector.detect(frame)?, true)
                } else {
                    let side = detector.input_size().0.max(detector.input_size().1) as f32;
                    let regions = detection_regions(&motion.blobs, frame.width, frame.height, side);
                    let mut detections = Vec::new();
                    for region in &regions {
                        detections.extend(detector.detect_region(frame, *region)?);
                    }
                    // Outside the regions nothing moved: the tracks there stay where they are.
                    let hold = self
                        .config
                        .tracker
                        .low_score
                        .midpoint(self.config.tracker.high_score);
                    for track in self.tracker.tracks().iter().filter(|t| !t.lost) {
                        if !regions.iter().any(|r| r.intersection(&track.bbox) > 0.0) {
                            detections.push(Detection {
                                bbox: track.bbox,
                                score: hold,
                                class: track.class,
                            });
                        }
                    }
                    (detections, !regions.is_empty())
                }
            }
        };
        timing.detect = started.elapsed();

        let started = Instant::now();
        let index = self.next_frame;
        self.next_frame += 1;
        let tracks = self.tracker.update(index, frame.t, &detections);
        let ended = self.tracker.ended().to_vec();
        timing.track = started.elapsed();

        let crops = tracks
            .iter()
            .filter(|t| t.best)
            .map(|t| crop(frame, t.id, t.bbox))
            .collect();
        Ok(FrameReport {
            frame: index,
            t: frame.t,
            tracks,
            ended,
            crops,
            detections: detections.len(),
            blobs: motion.blobs.len(),
            detected,
            timing,
        })
    }

    /// Ends every track (the stream ended) and returns them.
    pub fn finish(&mut self) -> Vec<TrackSummary> {
        self.gate = None;
        self.tracker.finish()
    }
}

/// The part of `frame` around `bbox`, with a tenth of the box's size as margin.
pub fn crop(frame: &Frame, track_id: u64, bbox: BBox) -> Crop {
    let margin = BBox {
        x: bbox.x - bbox.w * 0.1,
        y: bbox.y - bbox.h * 0.1,
        w: bbox.w * 1.2,
        h: bbox.h * 1.2,
    };
    let clipped = margin.clip(frame.width as f32, frame.height as f32);
    let (x0, y0) = (clipped.x.floor() as usize, clipped.y.floor() as usize);
    let x1 = (clipped.x2().ceil() as usize).clamp(x0, frame.width as usize);
    let y1 = (clipped.y2().ceil() as usize).clamp(y0, frame.height as usize);
    let stride = frame.width as usize * 3;
    let rgb = (y0..y1)
        .flat_map(|y| &frame.rgb[y * stride + x0 * 3..y * stride + x1 * 3])
        .copied()
        .collect();
    Crop {
        track_id,
        bbox: BBox::from_corners(x0 as f32, y0 as f32, x1 as f32, y1 as f32),
        width: (x1 - x0) as u32,
        height: (y1 - y0) as u32,
        rgb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark frame with a bright square that enters at frame 2 and moves right by 8 px a frame.
    fn frame(index: u64) -> Frame {
        let (w, h) = (320u32, 240u32);
        let mut rgb = vec![30u8; (w * h * 3) as usize];
        let x0 = 20 + index.saturating_sub(2) as u32 * 8;
        for y in if index < 2 { 0..0 } else { 100..130 } {
            for x in x0..x0 + 30 {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[200, 200, 200]);
            }
        }
        let t = Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_millis(index as i64 * 200);
        Frame {
            index,
            t,
            width: w,
            height: h,
            rgb,
        }
    }

    #[test]
    fn without_a_model_a_moving_blob_is_one_unknown_track() {
        let mut pipeline = Pipeline::new(PipelineConfig::default(), None);
        let mut ids = std::collections::BTreeSet::new();
        let mut crops = 0;
        for i in 0..25 {
            let report = pipeline.process(&frame(i)).unwrap();
            assert!(!report.detected);
            for track in &report.tracks {
                assert_eq!(track.class, ObjectClass::Unknown);
                ids.insert(track.id);
                let (cx, _) = track.bbox.center();
                let truth = 20.0 + (i - 2) as f32 * 8.0 + 15.0;
                assert!((cx - truth).abs() < 20.0, "frame {i}: {cx} vs {truth}");
            }
            crops += report.crops.len();
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert!(crops >= 1);
        let ended = pipeline.finish();
        assert_eq!(ended.len(), 1);
    }

    #[test]
    fn frames_keep_counting_across_reconnects() {
        let mut pipeline = Pipeline::new(PipelineConfig::default(), None);
        pipeline.process(&frame(0)).unwrap();
        pipeline.process(&frame(1)).unwrap();
        // A new connection starts its frames from 0 again.
        assert_eq!(pipeline.process(&frame(0)).unwrap().frame, 2);
    }

    #[test]
    fn a_crop_is_the_box_with_a_margin_inside_the_frame() {
        let f = frame(2);
        let c = crop(
            &f,
            7,
            BBox {
                x: 20.0,
                y: 100.0,
                w: 30.0,
                h: 30.0,
            },
        );
        assert_eq!((c.width, c.height), (36, 36));
        assert_eq!(c.rgb.len(), 36 * 36 * 3);
        assert_eq!(
            &c.rgb[(3 * 36 + 3) * 3..(3 * 36 + 3) * 3 + 3],
            &[200, 200, 200]
        );
        let edge = crop(
            &f,
            7,
            BBox {
                x: 300.0,
                y: 220.0,
                w: 40.0,
                h: 40.0,
            },
        );
        assert_eq!((edge.width, edge.height), (24, 24));
    }
}
