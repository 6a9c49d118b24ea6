//! A camera kept running: its source is opened again with backoff whenever it drops, and its
//! pipeline (tracks, ids, background) carries on across reconnects.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use coastwatch_core::georef::Calibration;
use serde::{Deserialize, Serialize};

use crate::Frame;
use crate::detect::{DetectError, Detector, DetectorConfig};
use crate::pipeline::{FrameReport, Pipeline, PipelineConfig};
use crate::source::{Input, Source, SourceConfig, SourceError};
use crate::track::TrackSummary;

/// One camera: where its stream is and how it is processed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// The camera's id (matches the `cameras` layer).
    pub id: String,
    /// A file, an image folder or a live URL (`rtsp://user:pass@host:554/…`): a secret, never
    /// printed with its credentials, nor serialized.
    #[serde(skip_serializing)]
    pub url: String,
    /// Track moving blobs as `unknown` objects, without a model.
    #[serde(default)]
    pub motion_only: bool,
    /// Sampling and timeouts.
    #[serde(default)]
    pub source: SourceConfig,
    /// The model (default: the shipped NanoDet).
    #[serde(default)]
    pub detector: DetectorConfig,
    /// Motion gate and tracker.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// How pixels map to the sea surface: a pose or ground control points. Without it the
    /// camera's tracks are counted but not placed on the map.
    #[serde(default)]
    pub calibration: Option<Calibration>,
    /// Longest wait between reconnection attempts, in seconds.
    #[serde(default = "default_backoff_max_s")]
    pub backoff_max_s: f64,
}

fn default_backoff_max_s() -> f64 {
    30.0
}

impl CameraConfig {
    /// The source, parsed (credentials stay inside and print redacted).
    pub fn input(&self) -> Result<Input, SourceError> {
        Input::parse(&self.url)
    }
}

impl std::fmt::Debug for CameraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self
            .input()
            .map(|i| i.to_string())
            .unwrap_or_else(|_| "<invalid>".into());
        f.debug_struct("CameraConfig")
            .field("id", &self.id)
            .field("url", &url)
            .field("motion_only", &self.motion_only)
            .finish_non_exhaustive()
    }
}

/// What a running camera reports.
#[derive(Debug)]
pub enum CameraEvent {
    /// The stream is open and frames of this size follow.
    Connected {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
    /// A processed frame: what it gave, and the frame itself (the evidence of its tracks).
    Frame(Box<FrameReport>, Arc<Frame>),
    /// The stream dropped (or ended); the tracks it had are closed and it is retried after
    /// `retry_in`.
    Down {
        /// What happened, credentials redacted.
        error: String,
        /// Tracks closed because the stream went away.
        ended: Vec<TrackSummary>,
        /// When the next attempt comes.
        retry_in: Duration,
    },
}

/// Why a camera stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// The source can never work (a missing file, an unsupported URL, no ffmpeg).
    #[error("camera {camera}: {source}")]
    Source {
        /// The camera.
        camera: String,
        /// What is wrong.
        source: SourceError,
    },
    /// The model cannot be loaded or run.
    #[error("camera {camera}: {source}")]
    Detector {
        /// The camera.
        camera: String,
        /// What is wrong.
        source: DetectError,
    },
}

/// Runs `config`'s camera until `stop` is set or an error that retrying cannot mend, reporting
/// every event to `on_event`. Blocking: give each camera its own thread.
pub fn run_camera(
    config: &CameraConfig,
    stop: &AtomicBool,
    mut on_event: impl FnMut(CameraEvent),
) -> Result<(), CameraError> {
    let camera = config.id.clone();
    let input = config.input().map_err(|source| CameraError::Source {
        camera: camera.clone(),
        source,
    })?;
    let detector = if config.motion_only {
        None
    } else {
        let detector =
            Detector::load(&config.detector).map_err(|source| CameraError::Detector {
                camera: camera.clone(),
                source,
            })?;
        Some(detector)
    };
    let mut pipeline = Pipeline::new(config.pipeline.clone(), detector);
    let max_backoff = Duration::from_secs_f64(config.backoff_max_s.max(0.1));
    let mut backoff = Duration::from_secs(1).min(max_backoff);
    while !stop.load(Ordering::Relaxed) {
        let (delivered, error) = match Source::open(input.clone(), config.source.clone()) {
            Ok(mut source) => {
                let (width, height) = source.size();
                on_event(CameraEvent::Connected { width, height });
                stream(&mut source, &mut pipeline, stop, &mut on_event).map_err(|source| {
                    CameraError::Detector {
                        camera: camera.clone(),
                        source,
                    }
                })?
            }
            Err(e) if e.is_transient() => (0, e.to_string()),
            Err(source) => return Err(CameraError::Source { camera, source }),
        };
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if delivered > 0 {
            backoff = Duration::from_secs(1).min(max_backoff);
        }
        tracing::warn!(
            camera,
            error,
            retry_in_s = backoff.as_secs_f64(),
            "camera stream down"
        );
        on_event(CameraEvent::Down {
            error,
            ended: pipeline.finish(),
            retry_in: backoff,
        });
        sleep_unless_stopped(backoff, stop);
        backoff = (backoff * 2).min(max_backoff);
    }
    Ok(())
}

/// Processes frames until the source ends or breaks; returns how many frames came and why it
/// stopped.
fn stream(
    source: &mut Source,
    pipeline: &mut Pipeline,
    stop: &AtomicBool,
    on_event: &mut impl FnMut(CameraEvent),
) -> Result<(u64, String), DetectError> {
    let mut delivered = 0;
    while !stop.load(Ordering::Relaxed) {
        match source.next_frame() {
            Ok(Some(frame)) => {
                delivered += 1;
                let report = pipeline.process(&frame)?;
                on_event(CameraEvent::Frame(Box::new(report), Arc::new(frame)));
            }
            Ok(None) => return Ok((delivered, format!("{}: end of stream", source.input()))),
            Err(e) => return Ok((delivered, e.to_string())),
        }
    }
    Ok((delivered, "stopped".into()))
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) {
    let until = Instant::now() + duration;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
}
