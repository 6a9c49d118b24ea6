//! The video core of coastwatch: a camera stream becomes tracks.
//!
//! Frames come from a [`source`] (the `ffmpeg` program as a supervised child process), pass the
//! per-camera [`motion`] gate, reach the [`detect`]or (ONNX through `ort`) only where something
//! moves, and are followed by the [`track`]er (ByteTrack-class). [`metrics`] scores tracker output
//! against ground truth as MOTChallenge and TrackEval do. [`snapshot`] makes an alert's evidence
//! pictures (the frame with the box drawn, and the crop) as JPEG. [`ocr`] reads hull numbers,
//! names and number plates (PP-OCR detection, angle classification and recognition).

pub mod assign;
pub mod camera;
pub mod detect;
pub mod frame;
pub mod geometry;
pub mod metrics;
pub mod motion;
pub mod ocr;
pub mod pipeline;
pub mod snapshot;
pub mod source;
pub mod track;

pub use frame::Frame;
pub use geometry::{BBox, Detection, ObjectClass};
pub use track::{TrackOutput, Tracker, TrackerConfig};
