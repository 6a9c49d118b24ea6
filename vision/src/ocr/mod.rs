//! Reading text — hull numbers, vessel names, number plates — with PaddleOCR's PP-OCR models
//! through ONNX Runtime: a DB text detector finds the lines ([`db`]), an angle classifier turns
//! upside-down ones, and a CTC recogniser reads each line with the dictionary stored in its
//! model (metadata key `character`: index 0 is the CTC blank, a space is appended).
//!
//! The models come from PyPI's `rapidocr` wheel (Apache-2.0), installed by
//! `scripts/install-ocr-models.sh` into a folder this module is pointed at; nothing is
//! downloaded at run time.

pub mod db;
pub mod image;
pub mod vote;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::TensorRef;
use serde::Serialize;
use thiserror::Error;

use crate::detect::DetectError;
use db::{DbParams, Quad};
pub use image::Rgb;

/// The file names of the three models in an OCR model folder.
pub const DET_MODEL: &str = "PP-OCRv6_det_small.onnx";
/// The recogniser (Chinese and Latin).
pub const REC_MODEL: &str = "PP-OCRv6_rec_small.onnx";
/// The angle classifier (0° or 180°).
pub const CLS_MODEL: &str = "ch_ppocr_mobile_v2.0_cls_mobile.onnx";
/// The environment variable naming the OCR model folder.
pub const OCR_MODELS: &str = "COASTWATCH_OCR_MODELS";

/// Recognition input height (pixels), fixed by the model.
const REC_HEIGHT: usize = 48;
/// The classifier's input: 48 × 192.
const CLS_WIDTH: usize = 192;
/// Text boxes classified and recognised together.
const REC_BATCH: usize = 8;

/// Why OCR cannot run or cannot read an image.
#[derive(Debug, Error)]
pub enum OcrError {
    /// ONNX Runtime or a model failed (missing library, not a model, a failed run).
    #[error(transparent)]
    Runtime(#[from] DetectError),
    /// A model file is missing.
    #[error("OCR model {path} is missing (scripts/install-ocr-models.sh installs them): {source}")]
    ModelRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The recogniser's dictionary does not fit its output.
    #[error("recognition model {path}: {message}")]
    Dictionary {
        /// The model.
        path: PathBuf,
        /// What does not fit.
        message: String,
    },
    /// The image has no pixels.
    #[error("the image is empty ({width} × {height})")]
    Empty {
        /// Its width.
        width: usize,
        /// Its height.
        height: usize,
    },
}

/// How OCR runs.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrConfig {
    /// The folder with the three models (default: `$COASTWATCH_OCR_MODELS`).
    pub models: PathBuf,
    /// The ONNX Runtime library when `ORT_DYLIB_PATH` is unset.
    pub onnxruntime: Option<PathBuf>,
    /// Threads per model run (default: ONNX Runtime's choice).
    pub threads: Option<usize>,
    /// The detector sees the image scaled so that its longer side is at most this…
    pub det_max_side: usize,
    /// …and its shorter side at least this (small crops are enlarged: text must be some
    /// 16 px high for the detector).
    pub det_min_side: usize,
    /// Where the detector finds nothing, it looks again with the shorter side at least this
    /// (still within `det_max_side`; PaddleOCR's own rule): in a large crop (a truck, a hull)
    /// text under some 40 px escapes it at the first size, and a blank read must not be a
    /// missed one.
    pub det_zoom_side: usize,
    /// Box finding on the detector's output.
    pub db: DbParams,
    /// Lines the classifier calls upside down with at least this confidence are turned.
    pub cls_thresh: f32,
    /// Lines read with a lower mean confidence are dropped.
    pub min_score: f32,
    /// At most this many text boxes are read per image (the most certain, then the largest):
    /// what one image can make the reader hold is bounded.
    pub max_lines: usize,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            models: std::env::var_os(OCR_MODELS)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".cache/ocr")),
            onnxruntime: None,
            threads: None,
            det_max_side: 960,
            det_min_side: 96,
            det_zoom_side: 736,
            db: DbParams::default(),
            cls_thresh: 0.9,
            min_score: 0.5,
            max_lines: 64,
        }
    }
}

/// One line of text read in an image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextLine {
    /// What it says.
    pub text: String,
    /// Mean confidence of its characters (0–1).
    pub score: f32,
    /// Its box in image pixels: top-left, top-right, bottom-right, bottom-left.
    pub corners: [[f32; 2]; 4],
    /// The height of its box (pixels): how large the text was.
    pub height_px: f32,
}

/// The three models, loaded.
pub struct Ocr {
    det: Model,
    cls: Model,
    rec: Model,
    dictionary: Vec<String>,
    config: OcrConfig,
    last: Duration,
}

struct Model {
    session: Session,
    input: String,
    path: PathBuf,
}

impl Model {
    fn load(config: &OcrConfig, file: &str) -> Result<Self, OcrError> {
        let path = config.models.join(file);
        std::fs::metadata(&path).map_err(|source| OcrError::ModelRead {
            path: path.clone(),
            source,
        })?;
        let env = crate::detect::runtime::environment(config.onnxruntime.as_deref())?;
        let mut builder = Session::builder(&env).map_err(DetectError::onnx("create a session"))?;
        if let Some(n) = config.threads {
            builder = builder
                .with_intra_threads(n)
                .map_err(DetectError::onnx("set its thread count"))?;
        }
        let session = builder
            .commit_from_file(&path)
            .map_err(|e| DetectError::NotOnnx {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let input = session
            .inputs()
            .first()
            .map(|i| i.name().to_owned())
            .ok_or_else(|| DetectError::NotOnnx {
                path: path.clone(),
                message: "the model has no input".into(),
            })?;
        Ok(Self {
            session,
            input,
            path,
        })
    }

    /// Runs the model on one `[n, 3, h, w]` tensor; its first output's shape and values.
    fn run(&mut self, shape: [usize; 4], data: &[f32]) -> Result<(Vec<usize>, Vec<f32>), OcrError> {
        let tensor = TensorRef::from_array_view((shape, data))
            .map_err(DetectError::onnx("wrap the input"))?;
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(DetectError::onnx("run the model"))?;
        let (out_shape, values) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(DetectError::onnx("read a float output"))?;
        Ok((
            out_shape.iter().map(|&d| d.max(0) as usize).collect(),
            values.to_vec(),
        ))
    }
}

impl Ocr {
    /// Loads the detector, classifier and recogniser from `config.models`, and checks that the
    /// recogniser's dictionary fits its output.
    pub fn load(config: OcrConfig) -> Result<Self, OcrError> {
        let det = Model::load(&config, DET_MODEL)?;
        let cls = Model::load(&config, CLS_MODEL)?;
        let rec = Model::load(&config, REC_MODEL)?;
        let stored = rec
            .session
            .metadata()
            .ok()
            .and_then(|m| m.custom("character"))
            .ok_or_else(|| OcrError::Dictionary {
                path: rec.path.clone(),
                message: "no dictionary in its metadata (key `character`)".into(),
            })?;
        let mut dictionary: Vec<String> = vec![String::new()]; // the CTC blank
        dictionary.extend(stored.lines().map(str::to_owned));
        dictionary.push(" ".into());
        let classes = rec
            .session
            .outputs()
            .first()
            .and_then(|o| o.dtype().tensor_shape().map(|s| s.to_vec()))
            .and_then(|s| s.last().copied())
            .unwrap_or(-1);
        check_dictionary(&rec.path, dictionary.len(), classes)?;
        Ok(Self {
            det,
            cls,
            rec,
            dictionary,
            config,
            last: Duration::ZERO,
        })
    }

    /// How long the last [`read`](Self::read) took.
    pub fn last_duration(&self) -> Duration {
        self.last
    }

    /// The lines of text in `image`, top to bottom.
    pub fn read(&mut self, image: &Rgb) -> Result<Vec<TextLine>, OcrError> {
        if image.width == 0 || image.height == 0 {
            return Err(OcrError::Empty {
                width: image.width,
                height: image.height,
            });
        }
        let start = Instant::now();
        let mut lines = self.read_at(image, self.config.det_min_side)?;
        if lines.is_empty() && image.width.min(image.height) < self.config.det_zoom_side {
            lines = self.read_at(image, self.config.det_zoom_side)?;
        }
        self.last = start.elapsed();
        Ok(lines)
    }

    /// The lines of text the detector finds in `image` scaled to a shorter side of at least
    /// `min_side`, top to bottom.
    fn read_at(&mut self, image: &Rgb, min_side: usize) -> Result<Vec<TextLine>, OcrError> {
        let mut quads = self.detect(image, min_side)?;
        quads.sort_by(|a, b| {
            let area = |q: &Quad| q.size().0 * q.size().1;
            b.score
                .total_cmp(&a.score)
                .then(area(b).total_cmp(&area(a)))
        });
        quads.truncate(self.config.max_lines);
        let mut lines = Vec::new();
        let mut reads = Vec::with_capacity(quads.len());
        // a few strips at a time: the batch's tensor grows with its widest strip
        for chunk in quads.chunks(REC_BATCH) {
            let strips: Vec<Rgb> = chunk.iter().map(|q| image.cut(q.corners)).collect();
            let strips = self.upright(strips)?;
            reads.extend(self.recognise(&strips)?);
        }
        for (quad, read) in quads.iter().zip(reads) {
            let Some((text, score)) = read else { continue };
            if score < self.config.min_score || text.trim().is_empty() {
                continue;
            }
            lines.push(TextLine {
                text,
                score,
                corners: quad.corners,
                height_px: quad.size().1.min(quad.size().0),
            });
        }
        lines.sort_by(|a, b| a.corners[0][1].total_cmp(&b.corners[0][1]));
        Ok(lines)
    }

    /// Text boxes in image pixels, found on the image scaled to a shorter side of at least
    /// `min_side`.
    fn detect(&mut self, image: &Rgb, min_side: usize) -> Result<Vec<Quad>, OcrError> {
        let (w, h) = det_size(
            image.width,
            image.height,
            min_side,
            self.config.det_max_side,
        );
        let scaled = image.resized(w, h);
        let mut input = vec![0.0; 3 * w * h];
        scaled.write_bgr(&mut input, w);
        let (shape, prob) = self.det.run([1, 3, h, w], &input)?;
        let (mh, mw) = match shape.as_slice() {
            [1, 1, mh, mw] => (*mh, *mw),
            other => {
                return Err(DetectError::Onnx {
                    action: "read the text detector's output",
                    message: format!("shape {other:?}, expected [1, 1, H, W]"),
                }
                .into());
            }
        };
        let (sx, sy) = (
            image.width as f32 / mw as f32,
            image.height as f32 / mh as f32,
        );
        Ok(db::boxes(&prob, mw, mh, &self.config.db)
            .into_iter()
            .map(|mut q| {
                for c in &mut q.corners {
                    *c = [c[0] * sx, c[1] * sy];
                }
                q
            })
            .collect())
    }

    /// The strips turned right way up where the classifier is sure they are upside down.
    fn upright(&mut self, strips: Vec<Rgb>) -> Result<Vec<Rgb>, OcrError> {
        if strips.is_empty() {
            return Ok(strips);
        }
        let n = strips.len();
        let plane = 3 * REC_HEIGHT * CLS_WIDTH;
        let mut input = vec![0.0; n * plane];
        for (i, strip) in strips.iter().enumerate() {
            let w = fit_width(strip, CLS_WIDTH);
            strip
                .resized(w, REC_HEIGHT)
                .write_bgr(&mut input[i * plane..(i + 1) * plane], CLS_WIDTH);
        }
        let (shape, probs) = self.cls.run([n, 3, REC_HEIGHT, CLS_WIDTH], &input)?;
        if shape != [n, 2] {
            return Err(DetectError::Onnx {
                action: "read the angle classifier's output",
                message: format!("shape {shape:?}, expected [{n}, 2]"),
            }
            .into());
        }
        Ok(strips
            .into_iter()
            .enumerate()
            .map(|(i, strip)| {
                if probs[i * 2 + 1] > self.config.cls_thresh {
                    strip.half_turn()
                } else {
                    strip
                }
            })
            .collect())
    }

    /// Each strip's text and mean confidence (`None` when nothing was read).
    fn recognise(&mut self, strips: &[Rgb]) -> Result<Vec<Option<(String, f32)>>, OcrError> {
        if strips.is_empty() {
            return Ok(Vec::new());
        }
        // one batch as wide as the widest strip at the model's height (at least 320)
        let width = strips
            .iter()
            .map(|s| fit_width(s, usize::MAX))
            .max()
            .unwrap_or(0)
            .clamp(320, 48 * 40);
        let n = strips.len();
        let plane = 3 * REC_HEIGHT * width;
        let mut input = vec![0.0; n * plane];
        for (i, strip) in strips.iter().enumerate() {
            let w = fit_width(strip, width);
            strip
                .resized(w, REC_HEIGHT)
                .write_bgr(&mut input[i * plane..(i + 1) * plane], width);
        }
        let (shape, probs) = self.rec.run([n, 3, REC_HEIGHT, width], &input)?;
        let [batch, steps, classes] = shape[..] else {
            return Err(DetectError::Onnx {
                action: "read the recogniser's output",
                message: format!("shape {shape:?}, expected [N, T, C]"),
            }
            .into());
        };
        check_dictionary(&self.rec.path, self.dictionary.len(), classes as i64)?;
        Ok((0..batch.min(n))
            .map(|i| {
                ctc_greedy(
                    &probs[i * steps * classes..(i + 1) * steps * classes],
                    classes,
                    &self.dictionary,
                )
            })
            .collect())
    }
}

/// A strip's width at the models' height, keeping its proportions, at most `max`.
fn fit_width(strip: &Rgb, max: usize) -> usize {
    let w = (REC_HEIGHT as f32 * strip.width as f32 / strip.height.max(1) as f32).ceil() as usize;
    w.clamp(1, max)
}

/// The detector's input size for an image: the longer side at most `max_side`, the shorter at
/// least `min_side` (when the longer allows), both multiples of 32.
pub fn det_size(width: usize, height: usize, min_side: usize, max_side: usize) -> (usize, usize) {
    let (long, short) = (width.max(height) as f32, width.min(height) as f32);
    let mut scale = (max_side as f32 / long).min(1.0);
    if short * scale < min_side as f32 {
        scale = (min_side as f32 / short).min(max_side as f32 / long);
    }
    let round = |v: f32| (((v / 32.0).round() as usize).max(1)) * 32;
    (round(width as f32 * scale), round(height as f32 * scale))
}

fn check_dictionary(path: &Path, entries: usize, classes: i64) -> Result<(), OcrError> {
    // a dynamic output width (-1) is checked at the first run
    if classes >= 0 && classes as usize != entries {
        return Err(OcrError::Dictionary {
            path: path.to_path_buf(),
            message: format!(
                "its dictionary has {} characters (+ blank and space = {entries}) but the model \
                 tells {classes} classes apart",
                entries - 2
            ),
        });
    }
    Ok(())
}

/// CTC greedy decoding of `[steps, classes]` probabilities: the best class per step, repeats
/// merged, blanks (class 0) dropped. The text and the mean probability of its characters.
pub fn ctc_greedy(probs: &[f32], classes: usize, dictionary: &[String]) -> Option<(String, f32)> {
    let mut text = String::new();
    let (mut sum, mut count) = (0.0f32, 0u32);
    let mut previous = 0usize;
    for step in probs.chunks_exact(classes) {
        let (best, p) = step
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |a, (i, p)| if p > a.1 { (i, p) } else { a });
        if best != 0 && best != previous {
            text.push_str(dictionary.get(best)?);
            sum += p;
            count += 1;
        }
        previous = best;
    }
    (count > 0).then(|| (text, sum / count as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let dictionary: Vec<String> = ["", "浙", "B", "1", " "]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // steps: 浙 浙 blank B 1 blank 1 → "浙B11"
        let best = [1, 1, 0, 2, 3, 0, 3];
        let mut probs = Vec::new();
        for b in best {
            let mut step = vec![0.05; 5];
            step[b] = 0.8;
            probs.extend(step);
        }
        let (text, score) = ctc_greedy(&probs, 5, &dictionary).unwrap();
        assert_eq!(text, "浙B11");
        assert!((score - 0.8).abs() < 1e-6);
        assert_eq!(ctc_greedy(&[0.9, 0.1, 0.9, 0.1], 2, &dictionary[..2]), None);
    }

    #[test]
    fn detector_sizes_are_bounded_multiples_of_32() {
        assert_eq!(det_size(1920, 1080, 96, 960), (960, 544));
        // a small crop is enlarged until its short side reaches the minimum
        assert_eq!(det_size(300, 60, 96, 960), (480, 96));
        // but never past the long side's maximum
        assert_eq!(det_size(2000, 20, 96, 960), (960, 32));
        assert_eq!(det_size(1, 1, 96, 960), (96, 96));
    }

    #[test]
    fn a_dictionary_that_does_not_fit_is_refused() {
        let error = check_dictionary(Path::new("rec.onnx"), 5, 7)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("3 characters") && error.contains("7 classes"),
            "{error}"
        );
        assert!(check_dictionary(Path::new("rec.onnx"), 5, 5).is_ok());
        assert!(check_dictionary(Path::new("rec.onnx"), 5, -1).is_ok());
    }
}
