//! Object detection with ONNX models through ONNX Runtime (`ort`, loaded at run time).
//!
//! A [`Detector`] letterboxes a frame (or [tiles] of it, or a region) into the model
//! input, runs the model, decodes the outputs for its [`Family`], maps the model's class names
//! onto [`ObjectClass`](crate::ObjectClass) ([`classes::map_class`]; other classes are dropped)
//! and merges boxes with per-class [`nms`](nms::nms). The shipped default is NanoDet-m 416
//! (`vision/models/`, see its README). ONNX Runtime is found through `ORT_DYLIB_PATH`
//! (`scripts/install-onnxruntime.sh` prints a path for it) or the config's `onnxruntime`.
//!
//! Output layouts ([`decode`]): YOLOv5 `[1, N, 5 + C]`; YOLOv8/11 `[1, 4 + C, N]`; end-to-end
//! `[1, K, 6]` (YOLOv10, RT-DETR); YOLOX `[1, N, 5 + C]` raw or decoded; NanoDet per-stride
//! `[1, N, C]` + `[1, N, 4 × bins]`, or one `[1, N, C + 4 × bins]`.

pub mod classes;
pub mod config;
pub mod decode;
mod detector;
pub mod error;
pub mod letterbox;
pub mod nms;
pub mod runtime;
pub mod tiles;

pub use config::{DetectorConfig, Device, Family, Tile, shipped_model_path};
pub use detector::Detector;
pub use error::{DetectError, Result};
