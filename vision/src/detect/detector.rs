//! The detector: an ONNX Runtime session and everything around it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ort::ep;
use ort::session::Session;
use ort::session::builder::SessionBuilder;
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::classes::map_class;
use super::config::{DetectorConfig, Device, Family, Tile};
use super::decode::{Layout, Params, TensorView, format_shape};
use super::error::{DetectError, Result};
use super::letterbox::{Letterbox, Normalize, Rect};
use super::nms::nms;
use super::runtime;
use super::tiles;
use crate::frame::Frame;
use crate::geometry::{BBox, Detection, ObjectClass};

/// Share of a box inside a stronger same-class box above which tiled results drop it.
const TILE_CONTAINMENT: f32 = 0.8;

/// An object detector over one ONNX model. Not `Sync`: give each camera worker its own, or share
/// one behind a mutex.
pub struct Detector {
    session: Session,
    model: PathBuf,
    family: Family,
    input_name: String,
    input_w: u32,
    input_h: u32,
    layout: Layout,
    normalize: Normalize,
    wanted: Vec<bool>,
    classes: Vec<Option<ObjectClass>>,
    score: f32,
    nms_iou: f32,
    tile: Tile,
    device: Device,
    input: Vec<f32>,
    last_inference: Duration,
    last_runs: usize,
}

impl Detector {
    /// Loads and checks the model: an ONNX file with one `[1, 3, H, W]` float input whose
    /// outputs fit `config.family`.
    pub fn load(config: &DetectorConfig) -> Result<Detector> {
        check_config(config)?;
        let path = &config.model;
        std::fs::metadata(path).map_err(|source| DetectError::ModelRead {
            path: path.clone(),
            source,
        })?;
        let env = runtime::environment(config.onnxruntime.as_deref())?;
        let mut builder = Session::builder(&env).map_err(DetectError::onnx("create a session"))?;
        if let Some(n) = config.threads {
            builder = builder
                .with_intra_threads(n)
                .map_err(DetectError::onnx("set its thread count"))?;
        }
        let (mut builder, device) = with_device(builder, config.device);
        let session = builder.commit_from_file(path).map_err(|e| match e.code() {
            ort::ErrorCode::InvalidProtobuf
            | ort::ErrorCode::InvalidGraph
            | ort::ErrorCode::NoModel => DetectError::NotOnnx {
                path: path.clone(),
                message: e.message().to_string(),
            },
            _ => DetectError::Onnx {
                action: "load the model",
                message: e.to_string(),
            },
        })?;
        let (input_name, input_w, input_h) = input_of(&session, path, config.input)?;

        let shapes: Vec<Vec<i64>> = session
            .outputs()
            .iter()
            .map(|o| {
                o.dtype()
                    .tensor_shape()
                    .map(|s| s.to_vec())
                    .unwrap_or_default()
            })
            .collect();
        let layout = Layout::from_shapes(
            config.family,
            &shapes,
            config.classes.len(),
            input_w,
            input_h,
        )
        .map_err(|expected| DetectError::Outputs {
            path: path.clone(),
            family: config.family.as_str(),
            found: shapes
                .iter()
                .map(|s| format_shape(s))
                .collect::<Vec<_>>()
                .join(", "),
            expected,
        })?;
        let classes: Vec<Option<ObjectClass>> =
            config.classes.iter().map(|c| map_class(c)).collect();
        Ok(Detector {
            session,
            model: path.clone(),
            family: config.family,
            input_name,
            input_w,
            input_h,
            layout,
            normalize: match config.family {
                Family::Nanodet => Normalize::NANODET,
                Family::Yolox => Normalize::Bgr255,
                Family::Yolov5 | Family::Yolov8 | Family::E2e => Normalize::Unit,
            },
            wanted: classes.iter().map(Option::is_some).collect(),
            classes,
            score: config.score,
            nms_iou: config.nms_iou,
            tile: config.tile,
            device,
            input: Vec::new(),
            last_inference: Duration::ZERO,
            last_runs: 0,
        })
    }

    /// Detects objects in the whole frame; boxes in frame pixels, strongest first.
    pub fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>> {
        let all = BBox {
            x: 0.0,
            y: 0.0,
            w: frame.width as f32,
            h: frame.height as f32,
        };
        self.detect_region(frame, all)
    }

    /// Detects objects inside `region` of the frame (clipped to it; used as given, so pad a
    /// tight motion box first); boxes in frame pixels, strongest first.
    pub fn detect_region(&mut self, frame: &Frame, region: BBox) -> Result<Vec<Detection>> {
        let expected = frame.width as usize * frame.height as usize * 3;
        if frame.rgb.len() != expected {
            return Err(DetectError::Frame {
                index: frame.index,
                reason: format!(
                    "{} RGB bytes for {}×{} pixels, expected {expected}",
                    frame.rgb.len(),
                    frame.width,
                    frame.height
                ),
            });
        }
        self.last_inference = Duration::ZERO;
        self.last_runs = 0;
        let Some(area) = pixel_rect(region, frame.width, frame.height) else {
            return Ok(Vec::new());
        };
        let tiles = tiles::plan(area, self.input_w, self.input_h, self.tile);
        let mut found = Vec::new();
        for rect in &tiles {
            found.extend(self.run(frame, *rect)?);
        }
        let containment = (tiles.len() > 1).then_some(TILE_CONTAINMENT);
        Ok(nms(found, self.nms_iou, containment))
    }

    /// One inference over one region, before NMS.
    fn run(&mut self, frame: &Frame, rect: Rect) -> Result<Vec<Detection>> {
        let lb = Letterbox::new(rect, self.input_w, self.input_h);
        lb.fill(frame, self.normalize, &mut self.input);
        let shape = [1usize, 3, self.input_h as usize, self.input_w as usize];
        let tensor = TensorRef::from_array_view((shape, self.input.as_slice()))
            .map_err(DetectError::onnx("wrap the input"))?;
        let start = Instant::now();
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => tensor])
            .map_err(DetectError::onnx("run the model"))?;
        self.last_inference += start.elapsed();
        self.last_runs += 1;

        let mut shapes = Vec::with_capacity(outputs.len());
        let mut data = Vec::with_capacity(outputs.len());
        for i in 0..outputs.len() {
            let (shape, values) = outputs[i]
                .try_extract_tensor::<f32>()
                .map_err(DetectError::onnx("read a float output"))?;
            shapes.push(shape.iter().map(|&d| d.max(0) as usize).collect::<Vec<_>>());
            data.push(values);
        }
        let views: Vec<TensorView> = shapes
            .iter()
            .zip(&data)
            .map(|(shape, data)| TensorView { shape, data })
            .collect();
        let params = Params {
            score: self.score,
            wanted: &self.wanted,
        };
        let candidates = self
            .layout
            .decode(&views, self.input_w, self.input_h, &params)
            .map_err(|found| DetectError::Outputs {
                path: self.model.clone(),
                family: self.family.as_str(),
                found,
                expected: format!("the shapes it had when loaded ({:?})", self.layout),
            })?;
        Ok(candidates
            .into_iter()
            .filter_map(|c| {
                let class = self.classes.get(c.class).copied().flatten()?;
                let bbox = lb.to_frame(c.bbox);
                (bbox.area() > 0.0).then_some(Detection {
                    bbox,
                    score: c.score,
                    class,
                })
            })
            .collect())
    }

    /// Time spent inside ONNX Runtime by the last `detect` or `detect_region` call, all tiles
    /// together (excludes resizing and decoding).
    pub fn last_inference(&self) -> Duration {
        self.last_inference
    }

    /// How many inferences (tiles) the last call ran.
    pub fn last_runs(&self) -> usize {
        self.last_runs
    }

    /// Model input width and height in pixels.
    pub fn input_size(&self) -> (u32, u32) {
        (self.input_w, self.input_h)
    }

    /// Where inference runs (CPU when CUDA was asked for but is not available).
    pub fn device(&self) -> Device {
        self.device
    }

    /// The model file.
    pub fn model(&self) -> &Path {
        &self.model
    }
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("model", &self.model)
            .field("family", &self.family)
            .field("input", &(self.input_w, self.input_h))
            .field("device", &self.device)
            .finish()
    }
}

fn check_config(c: &DetectorConfig) -> Result<()> {
    let bad = |m: String| Err(DetectError::Config(m));
    if c.classes.is_empty() {
        return bad("`classes` is empty".into());
    }
    if !c.classes.iter().any(|n| map_class(n).is_some()) {
        return bad("no class maps to vessel, person or vehicle".into());
    }
    if !(0.0..=1.0).contains(&c.score) {
        return bad(format!("score {} is outside 0..=1", c.score));
    }
    if !(c.nms_iou > 0.0 && c.nms_iou <= 1.0) {
        return bad(format!("nms_iou {} is outside (0, 1]", c.nms_iou));
    }
    if c.input.is_some_and(|i| i < 32 || i % 32 != 0) {
        return bad(format!(
            "input {:?} is not a multiple of 32",
            c.input.unwrap_or_default()
        ));
    }
    if c.threads == Some(0) {
        return bad("threads must be at least 1".into());
    }
    Ok(())
}

/// The builder with the CUDA execution provider when asked for and available; else as it was.
fn with_device(builder: SessionBuilder, device: Device) -> (SessionBuilder, Device) {
    match device {
        Device::Cpu => (builder, Device::Cpu),
        Device::Cuda => match builder
            .with_execution_providers([ep::CUDA::default().build().error_on_failure()])
        {
            Ok(b) => (b, Device::Cuda),
            Err(e) => {
                tracing::warn!("CUDA execution provider unavailable, detecting on the CPU: {e}");
                (e.recover(), Device::Cpu)
            }
        },
    }
}

/// The image input's name and size; `configured` applies where the model's size is dynamic.
fn input_of(session: &Session, path: &Path, configured: Option<u32>) -> Result<(String, u32, u32)> {
    let inputs = session.inputs();
    let describe = || {
        inputs
            .iter()
            .map(|i| format!("{}: {}", i.name(), i.dtype()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bad = || DetectError::Input {
        path: path.to_path_buf(),
        found: describe(),
    };
    let [input] = inputs else { return Err(bad()) };
    let ValueType::Tensor {
        ty: TensorElementType::Float32,
        shape,
        ..
    } = input.dtype()
    else {
        return Err(bad());
    };
    let &[n, c, h, w] = &shape[..] else {
        return Err(bad());
    };
    if !(n == 1 || n < 0) || c != 3 {
        return Err(bad());
    }
    let side = |d: i64| {
        if d > 0 {
            d as u32
        } else {
            configured.unwrap_or(640)
        }
    };
    let (w, h) = (side(w), side(h));
    if let Some(i) = configured
        && (w != i || h != i)
    {
        return Err(DetectError::Config(format!(
            "input = {i}, but model {} takes {w}×{h}",
            path.display()
        )));
    }
    Ok((input.name().to_string(), w, h))
}

/// The whole pixels of `b` inside a `width` × `height` frame, or `None` if that is empty.
fn pixel_rect(b: BBox, width: u32, height: u32) -> Option<Rect> {
    let x1 = b.x.max(0.0).floor() as u32;
    let y1 = b.y.max(0.0).floor() as u32;
    let x2 = (b.x2().min(width as f32).ceil().max(0.0) as u32).min(width);
    let y2 = (b.y2().min(height as f32).ceil().max(0.0) as u32).min(height);
    (x2 > x1 && y2 > y1).then(|| Rect {
        x: x1,
        y: y1,
        w: x2 - x1,
        h: y2 - y1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detector_can_move_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<Detector>();
    }

    #[test]
    fn regions_become_whole_pixels_inside_the_frame() {
        let r = pixel_rect(
            BBox {
                x: -5.5,
                y: 10.2,
                w: 20.0,
                h: 100.0,
            },
            100,
            50,
        );
        assert_eq!(
            r,
            Some(Rect {
                x: 0,
                y: 10,
                w: 15,
                h: 40
            })
        );
        assert_eq!(
            pixel_rect(
                BBox {
                    x: 200.0,
                    y: 0.0,
                    w: 5.0,
                    h: 5.0
                },
                100,
                50
            ),
            None
        );
    }

    #[test]
    fn configs_are_checked_before_any_model_is_touched() {
        let c = DetectorConfig {
            classes: vec!["chair".into()],
            ..Default::default()
        };
        assert!(matches!(Detector::load(&c), Err(DetectError::Config(_))));
        let c = DetectorConfig {
            input: Some(100),
            ..Default::default()
        };
        assert!(matches!(Detector::load(&c), Err(DetectError::Config(_))));
        let c = DetectorConfig {
            model: "/nonexistent/m.onnx".into(),
            ..Default::default()
        };
        let e = Detector::load(&c).unwrap_err();
        assert!(matches!(e, DetectError::ModelRead { .. }), "{e}");
    }
}
