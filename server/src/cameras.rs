//! The configured cameras (`[[vision.cameras]]`), each run by the video core on its own thread
//! and supervised there: a stream that drops is opened again with backoff, a camera whose
//! model or source can never work is marked failed, and the others go on. Their state shows in
//! `GET /api/v1/vision/cameras`, `/healthz` and `/metrics`; their URLs, which carry the
//! cameras' passwords, never leave the process.
//!
//! A calibrated camera that is also a feature of the `cameras` layer (by id, or by name)
//! places its tracks on the map: each confirmed track's foot point (the bottom centre of its
//! box) goes through the calibration to the sea surface and into the ingest writer as a
//! camera observation, with the frame it was seen in as evidence. The camera waits until
//! they are stored (back-pressure); while the store cannot write they are dropped and
//! counted. The demo's scenario cameras ([`Cameras::start_scenario`]) render their view instead
//! of decoding a stream and are handled the same way.
//!
//! With the OCR models installed (`[vision.ocr]`), each camera reads the markings of its tracks
//! on a few of their largest views (`coastwatch_vision::ocr::vote`) and sends the voted reading
//! with the track's observations: hull numbers and plates reach the `camera_tracks` layer
//! and the detectors (`name_mismatch`, `no_visible_name`, `watchlist_vehicle`). One model set
//! is shared by the cameras; a read takes some 70 ms on 2 cores, while which a live stream's
//! frames are dropped as when the detector is busy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use coastwatch_core::engine::CameraObservation;
use coastwatch_core::georef::{Calibration, Georef};
use coastwatch_core::model::{FeatureId, TrackClass};
use coastwatch_scenario::cameras::CameraScene;
use coastwatch_vision::camera::{CameraConfig, CameraEvent, run_camera};
use coastwatch_vision::ocr::vote::{TrackReadings, VoteConfig};
use coastwatch_vision::ocr::{Ocr, OcrConfig, Rgb};
use coastwatch_vision::pipeline::{self, FrameReport};
use coastwatch_vision::{Frame, ObjectClass};
use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::config::OcrSettings;
use crate::ingest::{EvidenceFrame, Ingest, Update};

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
    observations: Family<CameraLabels, Counter>,
    unplaced: Family<CameraLabels, Counter>,
    reads: Family<CameraLabels, Counter>,
    inference: Family<CameraLabels, Histogram>,
    latency: Family<CameraLabels, Histogram>,
}

impl Default for VisionCounters {
    fn default() -> Self {
        Self {
            frames: Family::default(),
            detections: Family::default(),
            tracks: Family::default(),
            restarts: Family::default(),
            observations: Family::default(),
            unplaced: Family::default(),
            reads: Family::default(),
            inference: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.0, 12))
            }),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.005, 2.0, 12))
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
            "vision_observations",
            "Track positions placed on the map and stored",
            self.observations.clone(),
        );
        registry.register(
            "vision_unplaced",
            "Track positions not placed: above the horizon, cut by the image's edge, or not stored (store down)",
            self.unplaced.clone(),
        );
        registry.register(
            "vision_ocr_reads",
            "Track crops read by OCR",
            self.reads.clone(),
        );
        registry.register(
            "vision_frame_to_alert_seconds",
            "From a frame's capture until its tracks are stored and their alerts published",
            self.latency.clone(),
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
    /// Not run here: in a cluster, another vision node holds its lease (or nobody yet).
    Standby,
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
    /// The `cameras` feature whose map position its tracks take, when it is calibrated.
    pub camera_id: Option<i64>,
}

struct Camera {
    status: Mutex<CameraStatus>,
    /// The latest frame (the map's camera popup shows it).
    latest: Mutex<Option<Arc<Frame>>>,
    /// How a configured camera runs (a scenario camera has none: it runs once).
    setup: Option<Setup>,
    /// The current or last run.
    run: Mutex<Option<Run>>,
}

/// What a configured camera runs with.
struct Setup {
    config: CameraConfig,
    placement: Option<Placement>,
    reader: Option<Reader>,
    counters: VisionCounters,
}

/// A camera's thread and the flag that stops it.
struct Run {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// Where a camera's tracks go: its calibration, its map feature, and the ingest writer.
#[derive(Clone)]
pub struct Placement {
    /// The `cameras` feature.
    pub camera_id: FeatureId,
    /// Pixels to the sea surface.
    pub georef: Georef,
    /// The writer.
    pub ingest: Ingest,
}

/// The OCR the cameras share, and how they vote their reads.
#[derive(Clone)]
pub struct Reader {
    ocr: Arc<Mutex<Ocr>>,
    vote: VoteConfig,
}

impl Reader {
    /// Loads the models as `settings` say; `None` when OCR is off or cannot load (logged: the
    /// cameras run without it).
    pub fn load(settings: &OcrSettings) -> Option<Self> {
        if !settings.enabled {
            return None;
        }
        let mut config = OcrConfig::default();
        if let Some(models) = &settings.models {
            config.models.clone_from(models);
        }
        let models = config.models.clone();
        match Ocr::load(config) {
            Ok(ocr) => {
                tracing::info!(models = %models.display(), "cameras read hull numbers and plates");
                Some(Self {
                    ocr: Arc::new(Mutex::new(ocr)),
                    vote: settings.vote.clone(),
                })
            }
            Err(error) => {
                tracing::warn!(%error, "cameras run without OCR");
                None
            }
        }
    }

    /// Fresh readings for one camera's tracks.
    pub fn readings(&self) -> TrackReadings {
        TrackReadings::new(self.vote.clone())
    }

    /// Reads the tracks of `report` that are worth it (in `frame`) into `readings`; forgets
    /// the tracks that ended. Returns how many were read.
    pub fn read(&self, report: &FrameReport, frame: &Frame, readings: &mut TrackReadings) -> u64 {
        let mut reads = 0;
        let t = report.t.as_millisecond() as f64 / 1000.0;
        for track in &report.tracks {
            if !readings.wants(track.id, &track.bbox, t, (frame.width, frame.height)) {
                continue;
            }
            let crop = pipeline::crop(frame, track.id, track.bbox);
            if !readings.legible(&crop) {
                continue;
            }
            let Some(image) = Rgb::new(crop.width as usize, crop.height as usize, crop.rgb.clone())
            else {
                continue;
            };
            // a failed read is no read: it must not count as a hull with nothing on it
            match self.ocr.lock().expect("ocr lock").read(&image) {
                Ok(lines) => {
                    readings.add(&crop, &track.bbox, t, &lines);
                    reads += 1;
                }
                Err(error) => tracing::warn!(%error, track = track.id, "track not read"),
            }
        }
        for ended in &report.ended {
            readings.forget(ended.id);
        }
        reads
    }
}

/// The cameras, running or standing by.
#[derive(Clone, Default)]
pub struct Cameras {
    cameras: Arc<std::sync::RwLock<Vec<Arc<Camera>>>>,
    /// Set when the server stops: no camera starts again.
    stopping: Arc<AtomicBool>,
    ocr: OcrSettings,
    reader: Arc<OnceLock<Option<Reader>>>,
}

impl Cameras {
    /// Starts one thread per camera; `placements[i]` (when given) places the tracks of
    /// `configs[i]` on the map.
    pub fn start(
        configs: &[CameraConfig],
        placements: Vec<Option<Placement>>,
        counters: &VisionCounters,
        ocr: &OcrSettings,
    ) -> Self {
        let this = Self::standing_by(configs, placements, counters, ocr);
        for config in configs {
            this.run(&config.id);
        }
        this
    }

    /// The cameras of `configs`, none running yet ([`CameraState::Standby`]): a vision
    /// node of a cluster runs those it holds the lease of ([`run`](Self::run),
    /// [`halt`](Self::halt)).
    pub fn standing_by(
        configs: &[CameraConfig],
        placements: Vec<Option<Placement>>,
        counters: &VisionCounters,
        ocr: &OcrSettings,
    ) -> Self {
        let this = Self {
            ocr: ocr.clone(),
            ..Self::default()
        };
        let reader = if configs.is_empty() {
            None
        } else {
            this.reader()
        };
        let cameras = configs
            .iter()
            .zip(placements.into_iter().chain(std::iter::repeat(None)))
            .map(|(config, placement)| {
                let mut camera = Camera::new(&config.id, config.motion_only, placement.as_ref());
                camera.update(|s| s.state = CameraState::Standby);
                // a file plays as a live camera would send it
                let mut config = config.clone();
                config.source.realtime = true;
                camera.setup = Some(Setup {
                    config,
                    placement,
                    reader: reader.clone(),
                    counters: counters.clone(),
                });
                Arc::new(camera)
            })
            .collect();
        *this.cameras.write().expect("cameras lock") = cameras;
        this
    }

    /// The ids of the configured cameras, in configuration order.
    pub fn configured(&self) -> Vec<String> {
        self.cameras
            .read()
            .expect("cameras lock")
            .iter()
            .filter(|c| c.setup.is_some())
            .map(|c| c.status.lock().expect("camera lock").id.clone())
            .collect()
    }

    /// Starts configured camera `id` on its own thread unless it runs; false while it is
    /// still finishing a run that was halted (try again later) or when it cannot start.
    pub fn run(&self, id: &str) -> bool {
        if self.stopping.load(Ordering::Relaxed) {
            return false;
        }
        let Some(camera) = self.find(id).filter(|c| c.setup.is_some()) else {
            return false;
        };
        let mut run = camera.run.lock().expect("camera run lock");
        if let Some(running) = run.as_ref()
            && !running.thread.is_finished()
        {
            return !running.stop.load(Ordering::Relaxed);
        }
        let stop = Arc::new(AtomicBool::new(false));
        camera.update(|s| (s.state, s.error) = (CameraState::Starting, None));
        let (worker, flag, stopping) = (camera.clone(), stop.clone(), self.stopping.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("camera-{id}"))
            .spawn(move || worker.run(&flag, &stopping));
        match spawned {
            Ok(thread) => {
                *run = Some(Run { stop, thread });
                true
            }
            Err(e) => {
                camera.update(|s| (s.state, s.error) = (CameraState::Failed, Some(e.to_string())));
                false
            }
        }
    }

    /// Asks camera `id` to stop (it finishes the frame at hand and stands by).
    pub fn halt(&self, id: &str) {
        if let Some(camera) = self.find(id) {
            camera.halt();
        }
    }

    fn find(&self, id: &str) -> Option<Arc<Camera>> {
        let cameras = self.cameras.read().expect("cameras lock");
        cameras
            .iter()
            .find(|c| c.status.lock().expect("camera lock").id == id)
            .cloned()
    }

    /// The shared OCR, loaded on first use.
    fn reader(&self) -> Option<Reader> {
        self.reader.get_or_init(|| Reader::load(&self.ocr)).clone()
    }

    /// Starts the cameras of a scenario (`coastwatch demo`): each renders its view of the
    /// scene live on the server's clock and runs it through the video core, motion only, and
    /// places its tracks like a configured camera.
    pub fn start_scenario(
        &self,
        scene: Arc<CameraScene>,
        land: Arc<geo::MultiPolygon>,
        ingest: &Ingest,
        counters: &VisionCounters,
    ) {
        let reader = self.reader();
        for camera in &scene.cameras {
            let Ok(georef) = Calibration::Pose(camera.pose).compile() else {
                tracing::warn!(camera = camera.name, "its pose cannot be used");
                continue;
            };
            let placement = FeatureId::try_from(camera.feature_id)
                .ok()
                .map(|camera_id| Placement {
                    camera_id,
                    georef,
                    ingest: ingest.clone(),
                });
            let worker = Arc::new(Camera::new(&camera.name, true, placement.as_ref()));
            self.cameras
                .write()
                .expect("cameras lock")
                .push(worker.clone());
            let stop = Arc::new(AtomicBool::new(false));
            let (scene, land, flag, counters, reader, thread_worker) = (
                scene.clone(),
                land.clone(),
                stop.clone(),
                counters.clone(),
                reader.clone(),
                worker.clone(),
            );
            let camera = camera.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("camera-{}", camera.name))
                .spawn(move || {
                    let worker = thread_worker;
                    let on_event =
                        worker.on_event(&camera.name, true, placement, reader, &counters);
                    match crate::filming::live(&scene, &camera, &land, &flag, on_event) {
                        Ok(()) => worker.update(|s| s.state = CameraState::Stopped),
                        Err(e) => worker.update(|s| {
                            (s.state, s.error) = (CameraState::Failed, Some(e.to_string()))
                        }),
                    }
                });
            match spawned {
                Ok(thread) => {
                    *worker.run.lock().expect("camera run lock") = Some(Run { stop, thread })
                }
                Err(error) => tracing::error!(%error, "a scenario camera did not start"),
            }
        }
    }

    /// Every camera's state, in configuration order.
    pub fn statuses(&self) -> Vec<CameraStatus> {
        self.cameras
            .read()
            .expect("cameras lock")
            .iter()
            .map(|c| c.status.lock().expect("camera lock").clone())
            .collect()
    }

    /// The latest frame of camera `id`, if it has one.
    pub fn latest_frame(&self, id: &str) -> Option<Arc<Frame>> {
        let cameras = self.cameras.read().expect("cameras lock");
        let camera = cameras
            .iter()
            .find(|c| c.status.lock().expect("camera lock").id == id)?;
        camera.latest.lock().expect("frame lock").clone()
    }

    /// Asks every camera to stop for good (they finish the frame at hand).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        for camera in self.cameras.read().expect("cameras lock").iter() {
            camera.halt();
        }
    }
}

impl Camera {
    fn new(id: &str, motion_only: bool, placement: Option<&Placement>) -> Self {
        Self {
            status: Mutex::new(CameraStatus {
                id: id.to_owned(),
                state: CameraState::Starting,
                error: None,
                frame_size: None,
                last_frame: None,
                frames: 0,
                live_tracks: 0,
                tracks: 0,
                restarts: 0,
                detector: !motion_only,
                camera_id: placement.map(|p| p.camera_id.get()),
            }),
            latest: Mutex::new(None),
            setup: None,
            run: Mutex::new(None),
        }
    }

    /// Asks the current run to stop.
    fn halt(&self) {
        if let Some(run) = self.run.lock().expect("camera run lock").as_ref() {
            run.stop.store(true, Ordering::Relaxed);
        }
    }

    fn update(&self, change: impl FnOnce(&mut CameraStatus)) {
        change(&mut self.status.lock().expect("camera lock"));
    }

    /// Runs the configured camera until `stop`; then it stands by, or is stopped when the
    /// server is `stopping`.
    fn run(&self, stop: &AtomicBool, stopping: &AtomicBool) {
        let Some(setup) = &self.setup else {
            return;
        };
        let config = &setup.config;
        let on_event = self.on_event(
            &config.id,
            config.motion_only,
            setup.placement.clone(),
            setup.reader.clone(),
            &setup.counters,
        );
        match run_camera(config, stop, on_event) {
            Ok(()) if stopping.load(Ordering::Relaxed) => {
                self.update(|s| s.state = CameraState::Stopped);
            }
            Ok(()) => self.update(|s| (s.state, s.live_tracks) = (CameraState::Standby, 0)),
            Err(e) => {
                tracing::error!(camera = config.id, error = %e, "camera failed");
                self.update(|s| (s.state, s.error) = (CameraState::Failed, Some(e.to_string())));
            }
        }
    }

    /// What the camera does with each event of its pipeline: its state and counters, its
    /// latest frame, and its tracks placed on the map.
    fn on_event<'a>(
        &'a self,
        id: &str,
        motion_only: bool,
        placement: Option<Placement>,
        reader: Option<Reader>,
        counters: &'a VisionCounters,
    ) -> impl FnMut(CameraEvent) + 'a {
        let labels = CameraLabels {
            camera: id.to_owned(),
        };
        let mut readings =
            TrackReadings::new(reader.as_ref().map(|r| r.vote.clone()).unwrap_or_default());
        // track ids restart with the process: the session tells them apart in the store
        let session = crate::clock::wall_epoch_s() as u64;
        let mut newest_id = 0;
        // across the cluster: when each track's last snapshot was sent
        let mut snapshots_sent = HashMap::new();
        move |event| match event {
            CameraEvent::Connected { width, height } => self.update(|s| {
                (s.state, s.error, s.frame_size) =
                    (CameraState::Streaming, None, Some([width, height]));
            }),
            CameraEvent::Frame(report, frame) => {
                *self.latest.lock().expect("frame lock") = Some(frame.clone());
                if let Some(reader) = &reader {
                    let reads = reader.read(&report, &frame, &mut readings);
                    counters.reads.get_or_create(&labels).inc_by(reads);
                }
                if let Some(placement) = &placement {
                    let (placed, unplaced) = place(
                        placement,
                        session,
                        &report,
                        frame,
                        &readings,
                        &mut snapshots_sent,
                    );
                    counters.observations.get_or_create(&labels).inc_by(placed);
                    counters.unplaced.get_or_create(&labels).inc_by(unplaced);
                    if placed > 0 {
                        // frames are stamped on the server's clock (sped up in the demo)
                        let taken = report.t.as_millisecond() as f64 / 1000.0;
                        let since = (crate::clock::now_epoch_s() - taken) / crate::clock::speed();
                        counters
                            .latency
                            .get_or_create(&labels)
                            .observe(since.max(0.0));
                    }
                }
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
                let busy = if motion_only {
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
        }
    }
}

/// Places the confirmed tracks of a frame on the map and stores them; returns how many were
/// stored and how many were not (above the horizon, cut by the edge, or the store cannot write).
/// Across the cluster a track's observations carry a snapshot every [`SNAPSHOT_EVERY_S`]
/// instead of the frame (`snapshots_sent`: when each track's last went).
fn place(
    placement: &Placement,
    session: u64,
    report: &FrameReport,
    frame: Arc<Frame>,
    readings: &TrackReadings,
    snapshots_sent: &mut HashMap<u64, f64>,
) -> (u64, u64) {
    let t = report.t.as_millisecond() as f64 / 1000.0;
    for ended in &report.ended {
        snapshots_sent.remove(&ended.id);
    }
    let forwards = placement.ingest.forwards();
    let evidence = EvidenceFrame::Frame(frame.clone());
    let mut unplaced = 0;
    let updates: Vec<Update> = report
        .tracks
        .iter()
        .filter_map(|track| {
            let b = track.bbox;
            let boxed = [b.x, b.y, b.w, b.h].map(f64::from);
            let recognised = track.class != ObjectClass::Unknown;
            let Ok(ground) = placement.georef.place(boxed, recognised) else {
                unplaced += 1;
                return None;
            };
            let observation = CameraObservation {
                camera_id: placement.camera_id,
                track_id: format!("{session}-{}", track.id),
                class: track_class(track.class),
                t,
                camera: placement.georef.camera(),
                position: [ground.lon, ground.lat],
                range_m: ground.range_m,
                bearing_deg: ground.bearing_deg,
                range_sigma_m: ground.range_sigma_m,
                range_nearer_m: ground.nearer_m,
                range_farther_m: ground.farther_m,
                bearing_sigma_deg: ground.bearing_sigma_deg,
                score: track.score,
                bbox: Some([b.x, b.y, b.w, b.h]),
                reading: readings.reading(track.id),
            };
            let frame = if !forwards {
                Some(evidence.clone())
            } else if snapshots_sent
                .get(&track.id)
                .is_none_or(|sent| t - sent >= SNAPSHOT_EVERY_S)
            {
                snapshots_sent.insert(track.id, t);
                let snapshot = coastwatch_vision::snapshot::evidence(&frame, track.bbox);
                Some(EvidenceFrame::Snapshot(Arc::new(snapshot)))
            } else {
                None
            };
            Some(Update::CameraTrack { observation, frame })
        })
        .collect();
    let count = updates.len() as u64;
    match placement.ingest.submit_blocking(updates) {
        Ok(()) => (count, unplaced),
        Err(error) => {
            tracing::warn!(%error, "camera tracks not stored");
            (0, unplaced + count)
        }
    }
}

/// Across the cluster, a track's snapshot (the alert evidence of an episode it opens) is sent
/// at most this often (s).
const SNAPSHOT_EVERY_S: f64 = 2.0;

/// The map's class of a video-core class.
fn track_class(class: ObjectClass) -> TrackClass {
    match class {
        ObjectClass::Vessel => TrackClass::Vessel,
        ObjectClass::Person => TrackClass::Person,
        ObjectClass::Vehicle => TrackClass::Vehicle,
        ObjectClass::Unknown => TrackClass::Unknown,
    }
}
