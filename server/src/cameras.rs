//! The configured cameras (`[[vision.cameras]]`), each run by the video core on its own thread
//! and supervised there: a stream that drops is opened again with backoff, a camera whose
//! model or source can never work is marked failed, and the others go on. Their state shows in
//! `GET /api/v1/vision/cameras`, `/healthz` and `/metrics`; their URLs, which carry the
//! cameras' passwords, never leave the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use coastwatch_vision::camera::{CameraConfig, CameraEvent, run_camera};
use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;

/// Labels of the camera metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CameraLabels {
    /// The camera's id.
    pub camera: String,
}

/// Counters of the camera pipelines, exported as `coastwatch_vision_*`.
#[derive(Debug, Clone)]
pub struct VisionCounters {
    frames: Family<CameraLabels, Counter>,
    detections: Family<CameraLabels, Counter>,
    tracks: Family<CameraLabels, Counter>,
    restarts: Family<CameraLabels, Counter>,
    inference: Family<CameraLabels, Histogram>,
}

impl Default for VisionCounters {
    fn default() -> Self {
        Self {
            frames: Family::default(),
            detections: Family::default(),
            tracks: Family::default(),
            restarts: Family::default(),
            inference: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.0, 12))
            }),
        }
    }
}

impl VisionCounters {
    /// Registers every counter in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "vision_frames",
            "Camera frames processed",
            self.frames.clone(),
        );
        registry.register(
            "vision_detections",
            "Detections (or motion blobs) found",
            self.detections.clone(),
        );
        registry.register("vision_tracks", "Tracks confirmed", self.tracks.clone());
        registry.register(
            "vision_restarts",
            "Camera streams reopened after a drop",
            self.restarts.clone(),
        );
        registry.register(
            "vision_inference_seconds",
            "Time per frame in the detector (or the motion gate without a model)",
            self.inference.clone(),
        );
    }
}

/// Where a camera is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraState {
    /// Opening its stream.
    Starting,
    /// Frames are coming.
    Streaming,
    /// The stream dropped; it is retried.
    Down,
    /// Its source or model can never work; fix the configuration.
    Failed,
    /// Stopped with the server.
    Stopped,
}

/// A camera's state as the API shows it (no URL: it may carry a password).
#[derive(Debug, Clone, Serialize)]
pub struct CameraStatus {
    /// The camera's id.
    pub id: String,
    /// Where it is.
    pub state: CameraState,
    /// Why it is down or failed, credentials redacted.
    pub error: Option<String>,
    /// Frame size of the open stream.
    pub frame_size: Option<[u32; 2]>,
    /// When the last frame was taken.
    pub last_frame: Option<Timestamp>,
    /// Frames processed.
    pub frames: u64,
    /// Confirmed tracks seen in the last frame.
    pub live_tracks: usize,
    /// Tracks confirmed since the start.
    pub tracks: u64,
    /// Times the stream was reopened.
    pub restarts: u64,
    /// Whether a model recognises objects (else motion only).
    pub detector: bool,
}

struct Camera {
    status: Mutex<CameraStatus>,
}

/// The running cameras.
#[derive(Clone, Default)]
pub struct Cameras {
    cameras: Arc<Vec<Arc<Camera>>>,
    stop: Arc<AtomicBool>,
}

impl Cameras {
    /// Starts one thread per camera.
    pub fn start(configs: &[CameraConfig], counters: &VisionCounters) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let cameras = configs
            .iter()
            .map(|config| {
                let camera = Arc::new(Camera {
                    status: Mutex::new(CameraStatus {
                        id: config.id.clone(),
                        state: CameraState::Starting,
                        error: None,
                        frame_size: None,
                        last_frame: None,
                        frames: 0,
                        live_tracks: 0,
                        tracks: 0,
                        restarts: 0,
                        detector: !config.motion_only,
                    }),
                });
                let (config, stop, counters, worker) = (
                    config.clone(),
                    stop.clone(),
                    counters.clone(),
                    camera.clone(),
                );
                let spawned = std::thread::Builder::new()
                    .name(format!("camera-{}", config.id))
                    .spawn(move || worker.run(&config, &stop, &counters));
                if let Err(e) = spawned {
                    camera.update(|s| {
                        (s.state, s.error) = (CameraState::Failed, Some(e.to_string()))
                    });
                }
                camera
            })
            .collect();
        Self {
            cameras: Arc::new(cameras),
            stop,
        }
    }

    /// Every camera's state, in configuration order.
    pub fn statuses(&self) -> Vec<CameraStatus> {
        self.cameras
            .iter()
            .map(|c| c.status.lock().expect("camera lock").clone())
            .collect()
    }

    /// Asks every camera to stop (they finish the frame at hand).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Camera {
    fn update(&self, change: impl FnOnce(&mut CameraStatus)) {
        change(&mut self.status.lock().expect("camera lock"));
    }

    fn run(&self, config: &CameraConfig, stop: &AtomicBool, counters: &VisionCounters) {
        let labels = CameraLabels {
            camera: config.id.clone(),
        };
        let mut newest_id = 0;
        let result = run_camera(config, stop, |event| match event {
            CameraEvent::Connected { width, height } => self.update(|s| {
                (s.state, s.error, s.frame_size) =
                    (CameraState::Streaming, None, Some([width, height]));
            }),
            CameraEvent::Frame(report) => {
                // Ids are given in increasing order at confirmation: ids above the highest seen
                // so far are the tracks confirmed in this frame.
                let confirmed = report.tracks.iter().filter(|t| t.id > newest_id).count() as u64;
                newest_id = report.tracks.iter().map(|t| t.id).fold(newest_id, u64::max);
                counters.frames.get_or_create(&labels).inc();
                counters
                    .detections
                    .get_or_create(&labels)
                    .inc_by(report.detections as u64);
                counters.tracks.get_or_create(&labels).inc_by(confirmed);
                let busy = if config.motion_only {
                    report.timing.motion
                } else {
                    report.timing.detect
                };
                counters
                    .inference
                    .get_or_create(&labels)
                    .observe(busy.as_secs_f64());
                self.update(|s| {
                    s.frames += 1;
                    s.last_frame = Some(report.t);
                    s.live_tracks = report.tracks.len();
                    s.tracks += confirmed;
                });
            }
            CameraEvent::Down { error, .. } => {
                counters.restarts.get_or_create(&labels).inc();
                self.update(|s| {
                    (s.state, s.error, s.live_tracks) = (CameraState::Down, Some(error), 0);
                    s.restarts += 1;
                });
            }
        });
        match result {
            Ok(()) => self.update(|s| s.state = CameraState::Stopped),
            Err(e) => {
                tracing::error!(camera = config.id, error = %e, "camera failed");
                self.update(|s| (s.state, s.error) = (CameraState::Failed, Some(e.to_string())));
            }
        }
    }
}
