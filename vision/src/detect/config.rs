//! The detector's settings.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::classes::COCO80;

/// How a detector is set up; every field has a default (the shipped NanoDet model on the CPU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// The ONNX model file.
    pub model: PathBuf,
    /// How the model's outputs are laid out.
    pub family: Family,
    /// The model's class names, in output order (default: the 80 COCO classes).
    pub classes: Vec<String>,
    /// Side of the square model input in pixels; default: the model's own input shape, else 640.
    pub input: Option<u32>,
    /// Minimum confidence in 0..=1 for a detection to be kept.
    pub score: f32,
    /// IoU above which the weaker of two same-class boxes is dropped.
    pub nms_iou: f32,
    /// Whether to cut frames into model-sized tiles.
    pub tile: Tile,
    /// Where inference runs.
    pub device: Device,
    /// Threads ONNX Runtime may use for one inference (default: its own choice, one per core).
    pub threads: Option<usize>,
    /// The ONNX Runtime library, used only when the environment variable `ORT_DYLIB_PATH` is unset.
    pub onnxruntime: Option<PathBuf>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            model: shipped_model_path(),
            family: Family::Nanodet,
            classes: COCO80.iter().map(|c| c.to_string()).collect(),
            input: None,
            score: 0.35,
            nms_iou: 0.45,
            tile: Tile::Auto,
            device: Device::Cpu,
            threads: None,
            onnxruntime: None,
        }
    }
}

/// Where the shipped model (`vision/models/nanodet-416.onnx`) lies in this source tree.
pub fn shipped_model_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/nanodet-416.onnx"
    ))
}

/// Output layouts the detector decodes (see [`crate::detect`] for each one's tensors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// YOLOv5 and its kin: `[1, N, 5 + C]`, centre boxes with objectness.
    Yolov5,
    /// YOLOv8 and YOLO11: `[1, 4 + C, N]`, centre boxes, no objectness.
    #[serde(alias = "yolo11")]
    Yolov8,
    /// End-to-end models with built-in NMS (YOLOv10, exported RT-DETR): `[1, K, 6]`.
    E2e,
    /// YOLOX: `[1, N, 5 + C]`, raw grid outputs or already decoded.
    Yolox,
    /// NanoDet: per-stride scores and box distributions, or one concatenated output.
    Nanodet,
}

impl std::str::FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = [
            Family::Yolov5,
            Family::Yolov8,
            Family::E2e,
            Family::Yolox,
            Family::Nanodet,
        ];
        match s {
            "yolo11" => Ok(Family::Yolov8),
            _ => all.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
                format!("unknown model family `{s}` (expected yolov5, yolov8, yolo11, e2e, yolox or nanodet)")
            }),
        }
    }
}

impl Family {
    /// The name used in config.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Yolov5 => "yolov5",
            Family::Yolov8 => "yolov8",
            Family::E2e => "e2e",
            Family::Yolox => "yolox",
            Family::Nanodet => "nanodet",
        }
    }
}

/// Whether frames are cut into overlapping tiles before inference; config takes `true`, `false` or
/// `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TileSetting", into = "TileSetting")]
pub enum Tile {
    /// The whole frame is letterboxed into the input.
    Off,
    /// Frames at least twice as wide as tall (or the reverse) become square tiles of the short
    /// side; others as `Off`.
    Auto,
    /// Tiles of the input size at native resolution (smaller if the frame is), plus the whole
    /// frame for objects larger than a tile.
    On,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum TileSetting {
    Bool(bool),
    Word(String),
}

impl From<Tile> for TileSetting {
    fn from(tile: Tile) -> Self {
        match tile {
            Tile::On => TileSetting::Bool(true),
            Tile::Off => TileSetting::Bool(false),
            Tile::Auto => TileSetting::Word("auto".into()),
        }
    }
}

impl TryFrom<TileSetting> for Tile {
    type Error = String;

    fn try_from(value: TileSetting) -> Result<Self, Self::Error> {
        match value {
            TileSetting::Bool(true) => Ok(Tile::On),
            TileSetting::Bool(false) => Ok(Tile::Off),
            TileSetting::Word(w) if w == "auto" => Ok(Tile::Auto),
            TileSetting::Word(w) => Err(format!("tile must be true, false or \"auto\", not `{w}`")),
        }
    }
}

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// ONNX Runtime's CPU execution provider.
    Cpu,
    /// The CUDA execution provider when the loaded ONNX Runtime has it; else the CPU, with a warning.
    Cuda,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_from_json_with_defaults() {
        let c: DetectorConfig = serde_json::from_str(
            r#"{"model": "m.onnx", "family": "yolo11", "classes": ["boat"], "tile": "auto", "device": "cuda"}"#,
        )
        .unwrap();
        assert_eq!(c.family, Family::Yolov8);
        assert_eq!(c.classes, ["boat"]);
        assert_eq!(
            (c.tile, c.device, c.input),
            (Tile::Auto, Device::Cuda, None)
        );
        assert_eq!(c.score, DetectorConfig::default().score);
        let on: DetectorConfig = serde_json::from_str(r#"{"tile": true}"#).unwrap();
        assert_eq!(on.tile, Tile::On);
        assert_eq!(on.classes.len(), 80);
        assert!(serde_json::from_str::<DetectorConfig>(r#"{"tile": "always"}"#).is_err());
        assert!(serde_json::from_str::<DetectorConfig>(r#"{"family": "yolov3"}"#).is_err());
    }
}
