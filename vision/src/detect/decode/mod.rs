//! Turning model output tensors into boxes in model-input pixels.
//!
//! Each decoder is a pure function over flat `f32` slices; [`Layout`] picks one from the output
//! shapes of a model and checks them when the model is loaded.

mod layout;
mod nanodet;
mod yolo;
mod yolox;

pub use layout::{Layout, Level, format_shape};
pub use nanodet::{decode_nanodet_level, decode_nanodet_single};
pub use yolo::{decode_e2e, decode_yolov5, decode_yolov8};
pub use yolox::decode_yolox;

use crate::geometry::BBox;

/// One box as a decoder found it, before class mapping and NMS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Where, in model-input pixels.
    pub bbox: BBox,
    /// Confidence in 0..=1.
    pub score: f32,
    /// Index into the model's classes.
    pub class: usize,
}

/// What the decoders keep.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    /// Minimum score.
    pub score: f32,
    /// Per model class: whether it is wanted at all (unwanted classes are skipped, so that a
    /// wanted class is found even where another scores higher).
    pub wanted: &'a [bool],
}

impl Params<'_> {
    /// The best wanted class among `scores` (in class order), each times `factor`, if it reaches
    /// the threshold.
    fn best(&self, scores: impl Iterator<Item = f32>, factor: f32) -> Option<(usize, f32)> {
        let mut best: Option<(usize, f32)> = None;
        for ((class, s), _) in scores.enumerate().zip(self.wanted).filter(|(_, w)| **w) {
            let s = s * factor;
            if s >= self.score && best.is_none_or(|(_, b)| s > b) {
                best = Some((class, s));
            }
        }
        best
    }
}

/// One output tensor of a run: its shape and its values in row-major order.
#[derive(Debug, Clone, Copy)]
pub struct TensorView<'a> {
    /// Dimensions.
    pub shape: &'a [usize],
    /// `shape.iter().product()` values.
    pub data: &'a [f32],
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Every class wanted.
    pub fn all(n: usize) -> Vec<bool> {
        vec![true; n]
    }

    /// Asserts two boxes agree to 1e-3 px.
    pub fn assert_box(b: crate::geometry::BBox, x1: f32, y1: f32, x2: f32, y2: f32) {
        let got = [b.x, b.y, b.x2(), b.y2()];
        for (g, e) in got.iter().zip([x1, y1, x2, y2]) {
            assert!((g - e).abs() < 1e-3, "{got:?} vs {:?}", [x1, y1, x2, y2]);
        }
    }
}
