//! The ingest path shared by every feed: AIS (TCP, UDP, remote client, HTTP, replay) and
//! vehicle GPS (HTTP).
//!
//! Each AIS feed decodes its own lines (reassembly state is per feed) into engine updates
//! and sends them as a batch through a bounded queue to the one writer task. The writer
//! takes what has queued up, applies the updates to the in-memory engines, runs the
//! detectors on every new fix in order, and stores the fixes, the alerts and the object rows
//! due in one transaction; only then does it acknowledge the batches: a line counts as
//! ingested once it is durable. A full queue makes feeds wait (TCP back-pressure), so
//! memory stays bounded.
//!
//! When a transaction fails (disk full, database down) nothing of it was stored, but the
//! engines, the detectors and the alert book had already taken the batch in. The writer then
//! answers the batch's clients with the failure, marks the store unavailable (HTTP writes
//! get 503 at once, streaming feeds stop reading), and waits until a probe write commits
//! again; then it rebuilds the whole picture from the store, as at start, so that nothing
//! unstored stays visible, and goes on. Lines a streaming feed had queued are kept through
//! the outage (a bounded number of batches; beyond it the feeds wait) and stored after it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_ais::engine::vessel_updates;
use coastwatch_core::alerting::detect::DetectorConfig;
use coastwatch_core::alerting::monitor::{Geography, Monitor};
use coastwatch_core::alerting::{AlertEvent, LocalClock, Sample};
use coastwatch_core::engine::{Fix, VehicleEngine, VesselEngine, VesselInfo, VesselUpdate};
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::Mmsi;
use coastwatch_core::picture::Picture;
use coastwatch_core::{Feature, Layer};
use coastwatch_store::StoreError;
use coastwatch_store::{Changes, Position, Query, Store, SubjectKind};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, oneshot, watch};

use crate::alerts::Alerts;
use crate::clock::now_epoch_s;
use crate::metrics::AisCounters;
use crate::state::StartError;
use crate::write_behind::WriteBehind;

/// Batches waiting for the writer before feeds have to wait.
const QUEUE_BATCHES: usize = 64;
/// Updates the writer gathers from queued batches into one transaction at most (more
/// would only hold memory longer; the commit's fixed cost is spread well before).
const GROUP_UPDATES: usize = 8192;
/// Bytes a streaming feed reads at a time at most (about 900 lines).
const READ_BYTES: usize = 64 * 1024;
/// A vessel's row in the `vessels` table is rewritten at most this often (its fixes are all
/// stored at once; see [`WriteBehind`]).
const ROW_INTERVAL: Duration = Duration::from_secs(10);
/// Vessel rows that are due, written in one batch at most.
const ROWS_PER_BATCH: usize = 64;
/// Longest line a streaming feed may send (an NMEA sentence is at most 82 characters; a
/// tag block adds a few dozen).
const MAX_LINE_BYTES: usize = 4 * 1024;
/// How often vessels silent for a whole track window are forgotten.
const EVICT_EVERY: Duration = Duration::from_secs(60);
/// The data counts as live while its newest fix is at most this old (s).
const LIVE_DATA_S: f64 = 300.0;
/// Batches of streaming feeds kept through a store outage; beyond them feeds wait.
const KEEP_BATCHES: usize = 64;
/// Longest wait between two probes of a failed store.
const MAX_PROBE_WAIT: Duration = Duration::from_secs(5);

/// The shared vessel picture.
pub type SharedEngine = Arc<RwLock<VesselEngine>>;
/// The shared vehicle picture.
pub type SharedVehicles = Arc<RwLock<VehicleEngine>>;
/// The shared detectors.
pub type SharedMonitor = Arc<Mutex<Monitor>>;

/// One thing a feed reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A decoded AIS message.
    Vessel(VesselUpdate),
    /// A vehicle GPS fix (already checked against the vehicle picture).
    Vehicle {
        /// The tracker's vehicle id.
        vehicle_id: String,
        /// The fix.
        sample: Sample,
        /// Heading (deg), when reported.
        heading_deg: Option<f64>,
    },
}

/// Why updates were not stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    /// The store cannot write now (disk full, database down); nothing was kept.
    #[error("the store cannot write now: {0}")]
    Unavailable(String),
    /// The store refused the write for another reason; nothing was kept.
    #[error("storing failed: {0}")]
    Failed(String),
    /// The writer task is gone (the server is shutting down).
    #[error("ingest writer has stopped")]
    Stopped,
}

impl From<&StoreError> for IngestError {
    fn from(error: &StoreError) -> Self {
        if error.is_unavailable() {
            Self::Unavailable(error.to_string())
        } else {
            Self::Failed(error.to_string())
        }
    }
}

impl From<IngestError> for crate::error::AppError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Unavailable(reason) => Self::Unavailable(reason),
            other => Self::Internal(other.to_string()),
        }
    }
}

struct Batch {
    updates: Vec<Update>,
    /// Also write every object row that still waits (see [`WriteBehind`]).
    all_rows: bool,
    /// Run the time-driven detectors at this time after the updates.
    tick: Option<f64>,
    /// From a streaming feed: kept through a store outage instead of refused (once: a batch
    /// that fails again after the store recovered is given up, so that it cannot stall the
    /// feeds for ever).
    from_feed: bool,
    ack: oneshot::Sender<Result<(), IngestError>>,
}

/// Says when queued updates are stored, or why they were not.
pub(crate) type Stored = oneshot::Receiver<Result<(), IngestError>>;

/// What the writer stores of what it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Updates from feeds: their fixes, the alerts and the object rows.
    Live,
    /// Stored fixes replayed at start or after an outage: the alerts and rows they raise.
    Rebuild,
    /// Stored fixes replayed while the store cannot write: nothing (alerts wait for the
    /// `Rebuild` once it can).
    Restore,
}

/// Limits on what feeds may bring in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedLimits {
    /// Fixes stamped later than the server's clock plus this are dropped (s).
    pub max_future_s: f64,
    /// Fixes stamped earlier than the server's clock minus this are dropped (s).
    pub max_age_s: f64,
    /// Vessels held in the picture at most; fixes of new ones beyond it are dropped.
    pub max_vessels: usize,
}

impl Default for FeedLimits {
    fn default() -> Self {
        Self {
            max_future_s: 300.0,
            max_age_s: 6.0 * 3600.0,
            max_vessels: 100_000,
        }
    }
}

impl FeedLimits {
    /// Whether a fix stamped `t` is accepted when the server's clock says `now`.
    pub fn accepts_time(&self, t: f64, now: f64) -> bool {
        t.is_finite() && t <= now + self.max_future_s && t >= now - self.max_age_s
    }
}

/// What the picture is built with, to build it again after a store failure.
#[derive(Clone)]
pub struct PictureSettings {
    /// Seconds of track kept per object.
    pub window_s: f64,
    /// H3 resolution of the vessel cell index.
    pub resolution: h3o::Resolution,
    /// Thresholds of the detectors.
    pub detectors: DetectorConfig,
    /// The district's local clock.
    pub clock: LocalClock,
    /// What feeds may bring in.
    pub limits: FeedLimits,
}

/// What the writer works on: the store, the engines, the detectors and the alerts.
#[derive(Clone)]
pub struct Pipeline {
    /// The persistent store.
    pub store: Arc<dyn Store>,
    /// The vessel picture.
    pub vessels: SharedEngine,
    /// The vehicle picture.
    pub vehicles: SharedVehicles,
    /// The fence and behaviour detectors.
    pub monitor: SharedMonitor,
    /// Where alerts go.
    pub alerts: Alerts,
    /// How the picture is made.
    pub settings: PictureSettings,
}

impl Pipeline {
    /// An empty picture over `store` and `alerts`; [`reload`](Self::reload) fills it.
    pub fn new(store: Arc<dyn Store>, alerts: Alerts, settings: PictureSettings) -> Self {
        Self {
            vessels: Arc::new(RwLock::new(VesselEngine::new(
                settings.window_s,
                settings.resolution,
            ))),
            vehicles: Arc::new(RwLock::new(VehicleEngine::new(settings.window_s))),
            monitor: Arc::new(Mutex::new(Monitor::new(
                settings.detectors.clone(),
                settings.clock.clone(),
            ))),
            store,
            alerts,
            settings,
        }
    }

    /// Builds the picture anew from the store: the alert book from the `alerts` layer, the
    /// geography into fresh detectors, and the engines from the object layers and the fixes
    /// of the track window. At start, and after a failed write, so that nothing that was not
    /// stored stays in memory. `Rebuild` stores what the replay raises (alerts, rows), as at
    /// start; `Restore` stores nothing (while the store cannot write). Returns the number of
    /// vessels.
    pub async fn reload(&self, mode: Replay) -> Result<usize, StartError> {
        let settings = &self.settings;
        self.alerts.reload().await?;
        *self.vessels.write().unwrap_or_else(|e| e.into_inner()) =
            VesselEngine::new(settings.window_s, settings.resolution);
        *self.vehicles.write().unwrap_or_else(|e| e.into_inner()) =
            VehicleEngine::new(settings.window_s);
        *self.monitor.lock().unwrap_or_else(|e| e.into_inner()) =
            Monitor::new(settings.detectors.clone(), settings.clock.clone());
        let events = self.set_geography().await?;
        if mode == Replay::Rebuild {
            self.alerts.record(events).await?;
        }
        Ok(rebuild(self, settings.window_s, mode).await?)
    }

    /// Loads fences, docks, coastline and areas from the store into the detectors, storing
    /// the alerts that closes (fences that are gone).
    pub async fn load_geography(&self) -> Result<(), StartError> {
        let events = self.set_geography().await?;
        self.alerts.record(events).await?;
        Ok(())
    }

    /// Loads the geography into the detectors; returns the events it raised.
    async fn set_geography(&self) -> Result<Vec<AlertEvent>, StartError> {
        let all = Query::default();
        let store = self.store.as_ref();
        let geography = Geography {
            risk_points: store.query(Layer::RiskPoints, &all).await?,
            coastline: store.query(Layer::Coastline, &all).await?,
            areas: store.query(Layer::Areas, &all).await?,
            geofences: store.query(Layer::Geofences, &all).await?,
        };
        let mut events = Vec::new();
        self.monitor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_geography(geography, &mut events)?;
        Ok(events)
    }
}

/// The handle feeds use to submit decoded updates.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<Batch>,
    /// What the writer keeps up to date.
    pub pipeline: Pipeline,
    /// Counters per feed.
    pub counters: AisCounters,
    /// What feeds may bring in.
    pub limits: FeedLimits,
    /// `Some(reason)` while the store cannot write.
    health: watch::Receiver<Option<String>>,
}

/// What one batch of lines gave.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct LineReport {
    /// Lines read.
    pub lines: u64,
    /// Messages decoded.
    pub decoded: u64,
    /// Lines refused (bad checksum, malformed, …).
    pub errors: u64,
    /// Fixes dropped: stamped outside the accepted times, or of a vessel beyond the cap.
    pub dropped: u64,
    /// The first refused lines with their reason.
    pub problems: Vec<String>,
}

impl Ingest {
    /// Starts the writer task over `pipeline` and returns the handle.
    pub fn start(pipeline: Pipeline, counters: AisCounters) -> Self {
        let limits = pipeline.settings.limits;
        let (queue, batches) = mpsc::channel(QUEUE_BATCHES);
        let (health_tx, health) = watch::channel(None);
        let writer = Writer::new(
            pipeline.clone(),
            counters.clone(),
            limits.max_vessels,
            ROW_INTERVAL,
            ROWS_PER_BATCH,
        );
        tokio::spawn(write_batches(writer, batches, health_tx, counters.clone()));
        Self {
            queue,
            pipeline,
            counters,
            limits,
            health,
        }
    }

    /// The vessel picture.
    pub fn vessels(&self) -> &SharedEngine {
        &self.pipeline.vessels
    }

    /// Why the store cannot write now, or `None` when it can.
    pub fn store_failure(&self) -> Option<String> {
        self.health.borrow().clone()
    }

    /// Waits until the store takes writes (at once when it does).
    async fn store_writable(&self) {
        let mut health = self.health.clone();
        // an error means the writer is gone: nothing to wait for
        let _ = health.wait_for(Option::is_none).await;
    }

    /// Submits updates and waits until they are stored and applied. While the store cannot
    /// write, fails at once with [`IngestError::Unavailable`].
    pub async fn submit(&self, updates: Vec<Update>) -> Result<(), IngestError> {
        if updates.is_empty() {
            return Ok(());
        }
        if let Some(reason) = self.store_failure() {
            return Err(IngestError::Unavailable(reason));
        }
        let stored = self.send(updates, false, false).await?;
        stored.await.map_err(|_| IngestError::Stopped)?
    }

    /// Queues a feed's updates without waiting for them to be stored (a full queue still
    /// makes the caller wait); the receiver, if any, says when they are.
    async fn enqueue(&self, updates: Vec<Update>) -> Result<Option<Stored>, IngestError> {
        if updates.is_empty() {
            return Ok(None);
        }
        self.send(updates, false, true).await.map(Some)
    }

    /// Writes every object row that still waits behind its fixes and waits until it is
    /// stored (before a shutdown, so that the store's tables match the picture).
    pub async fn write_rows(&self) -> Result<(), IngestError> {
        let stored = self.send(Vec::new(), true, false).await?;
        stored.await.map_err(|_| IngestError::Stopped)?
    }

    /// Runs the time-driven detectors at `now` in the writer, after what is queued; skipped
    /// when the queue is full (the writer ticks after every batch anyway).
    pub fn tick(&self, now: f64) {
        let (ack, _) = oneshot::channel();
        let _ = self.queue.try_send(Batch {
            updates: Vec::new(),
            all_rows: false,
            tick: Some(now),
            from_feed: false,
            ack,
        });
    }

    async fn send(
        &self,
        updates: Vec<Update>,
        all_rows: bool,
        from_feed: bool,
    ) -> Result<Stored, IngestError> {
        let (ack, stored) = oneshot::channel();
        self.queue
            .send(Batch {
                updates,
                all_rows,
                tick: None,
                from_feed,
                ack,
            })
            .await
            .map_err(|_| IngestError::Stopped)?;
        Ok(stored)
    }

    /// Decodes `text` (NMEA lines, any bytes) with `decoder`, submits what it holds and
    /// reports. Lines that are not AIS are counted and skipped, never fatal.
    pub async fn lines(
        &self,
        feed: &str,
        decoder: &mut Decoder,
        text: &[u8],
    ) -> Result<LineReport, IngestError> {
        let mut updates = Vec::new();
        let report = self.decode(feed, decoder, text, &mut updates);
        self.submit(updates).await?;
        Ok(report)
    }

    /// Decodes `text` (NMEA lines) with `decoder` into `updates`, counting per feed, without
    /// submitting them. A message stamped outside the accepted times (see [`FeedLimits`]) is
    /// dropped and counted: one bad clock must not move the detectors' clock.
    pub fn decode(
        &self,
        feed: &str,
        decoder: &mut Decoder,
        text: &[u8],
        updates: &mut Vec<Update>,
    ) -> LineReport {
        let before = decoder.stats();
        let now = now_epoch_s();
        let mut problems = Vec::new();
        let mut dropped = 0;
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match decoder.feed_line(line) {
                Ok(Some(decoded)) => {
                    // untimed messages take the clock as they come (two in one read differ)
                    let t = decoded.timestamp_s.unwrap_or_else(now_epoch_s);
                    if self.limits.accepts_time(t, now) {
                        updates.extend(vessel_updates(&decoded.message, t).map(Update::Vessel));
                    } else {
                        dropped += 1;
                        if problems.len() < 100 {
                            problems.push(format!(
                                "message stamped {t:.0} is {:.0} s off the server's clock (accepted: {} s ahead, {} s behind)",
                                t - now,
                                self.limits.max_future_s,
                                self.limits.max_age_s
                            ));
                        }
                    }
                }
                Ok(None) => {}
                Err(error) if problems.len() < 100 => problems.push(error.to_string()),
                Err(_) => {}
            }
        }
        let after = decoder.stats();
        self.counters.add(feed, before, after);
        self.counters.drop(feed, "time", dropped);
        LineReport {
            lines: after.lines - before.lines,
            decoded: after.decoded - before.decoded,
            errors: after.errors - before.errors,
            dropped,
            problems,
        }
    }

    /// Reads NMEA lines from a stream until it ends or stays silent for the feed idle
    /// timeout. Whatever whole lines a read brings are decoded and queued at once, without
    /// waiting for the previous ones to be stored: the writer stores what has queued up
    /// meanwhile in one transaction, so batches grow with the load and a line never waits
    /// for a timer. While the store cannot write, reading pauses (the sender waits in TCP).
    /// Returns once every line read is stored. A line longer than `MAX_LINE_BYTES` is
    /// dropped, so a feed without newlines cannot exhaust memory.
    pub async fn stream(
        &self,
        feed: &str,
        mut reader: impl AsyncRead + Unpin,
        idle: Duration,
    ) -> std::io::Result<()> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut buffer: Vec<u8> = Vec::with_capacity(READ_BYTES);
        let mut skipping = false; // inside an over-long line, until its end
        let mut last = None;
        loop {
            self.store_writable().await;
            let start = buffer.len();
            match tokio::time::timeout(idle, reader.read_buf(&mut buffer)).await {
                Ok(Ok(0)) => break,
                Ok(Ok(_)) => {}
                Ok(Err(error)) => return Err(error),
                Err(_) => {
                    tracing::info!(feed, idle_s = idle.as_secs(), "closing a silent feed");
                    break;
                }
            }
            if skipping {
                match buffer[start..].iter().position(|&b| b == b'\n') {
                    Some(end) => {
                        buffer.drain(..start + end + 1);
                        skipping = false;
                    }
                    None => {
                        buffer.clear();
                        continue;
                    }
                }
            }
            let whole = buffer
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            if whole > 0 {
                last = self
                    .queue_lines(feed, &mut decoder, &buffer[..whole])
                    .await
                    .or(last);
                buffer.drain(..whole);
            }
            if buffer.len() > MAX_LINE_BYTES {
                tracing::warn!(feed, "dropping an over-long line");
                buffer.clear();
                skipping = true;
            }
            buffer.shrink_to(READ_BYTES);
            buffer.reserve(READ_BYTES);
        }
        if !skipping {
            last = self.queue_lines(feed, &mut decoder, &buffer).await.or(last);
        }
        // the writer stores batches in order: the last one stored means all are
        if let Some(stored) = last
            && let Ok(Err(error)) = stored.await
        {
            tracing::error!(feed, %error, "AIS lines not stored");
        }
        Ok(())
    }

    /// Decodes lines with `decoder` and queues their updates without waiting for them to be
    /// stored; a writer that is gone is logged.
    pub(crate) async fn queue_lines(
        &self,
        feed: &str,
        decoder: &mut Decoder,
        text: &[u8],
    ) -> Option<Stored> {
        let mut updates = Vec::new();
        self.decode(feed, decoder, text, &mut updates);
        self.enqueue(updates).await.unwrap_or_else(|error| {
            tracing::error!(feed, %error, "AIS lines not queued");
            None
        })
    }
}

/// The writer task: stores the queued batches in groups, in order. After a failed group it
/// recovers (see the module doc) before it takes the next one.
async fn write_batches(
    mut writer: Writer,
    mut batches: mpsc::Receiver<Batch>,
    health: watch::Sender<Option<String>>,
    counters: AisCounters,
) {
    // feed batches kept through a store outage, stored first once it is over
    let mut kept: VecDeque<Batch> = VecDeque::new();
    loop {
        let first = match kept.pop_front() {
            Some(batch) => batch,
            None => match batches.recv().await {
                Some(batch) => batch,
                None => return,
            },
        };
        let mut group = vec![first];
        let mut size = group[0].updates.len();
        while size < GROUP_UPDATES {
            let Some(batch) = kept.pop_front().or_else(|| batches.try_recv().ok()) else {
                break;
            };
            size += batch.updates.len();
            group.push(batch);
        }
        let updates: Vec<&Update> = group.iter().flat_map(|b| &b.updates).collect();
        let tick = group.iter().filter_map(|b| b.tick).reduce(f64::max);
        let mut result = writer.write(&updates, Replay::Live, tick).await;
        if result.is_ok() && group.iter().any(|b| b.all_rows) {
            result = writer.write_waiting_rows().await;
        }
        let error = match result {
            Ok(()) => {
                for batch in group {
                    let _ = batch.ack.send(Ok(()));
                }
                continue;
            }
            Err(error) => IngestError::from(&error),
        };
        tracing::error!(%error, "storing updates failed; nothing of them was kept");
        counters.store_failures.inc();
        health.send_replace(Some(error.to_string()));
        for mut batch in group {
            if batch.from_feed && kept.len() < KEEP_BATCHES {
                batch.from_feed = false;
                kept.push_back(batch);
            } else {
                let _ = batch.ack.send(Err(error.clone()));
            }
        }
        writer.recover(&mut batches, &mut kept, &error).await;
        health.send_replace(None);
        tracing::info!("the store takes writes again; the picture was rebuilt from it");
    }
}

/// The one writer: applies batches to the engines and the detectors and stores each
/// batch, with its alerts and the object rows due, in one transaction.
struct Writer {
    pipeline: Pipeline,
    counters: AisCounters,
    /// Vessels the picture holds at most.
    max_vessels: usize,
    /// When silent vessels were last forgotten.
    last_eviction: Instant,
    row_interval: Duration,
    rows_per_batch: usize,
    /// Vessel rows follow their fixes at most once per interval. Vehicle rows are written
    /// with every fix: the `vehicles` layer is served from the store, and trucks report
    /// seldom.
    vessel_rows: WriteBehind<Mmsi>,
}

impl Writer {
    /// A writer that rewrites a vessel's row at most once per `row_interval`, at most
    /// `rows_per_batch` rows in one batch besides urgent ones.
    fn new(
        pipeline: Pipeline,
        counters: AisCounters,
        max_vessels: usize,
        row_interval: Duration,
        rows_per_batch: usize,
    ) -> Self {
        Self {
            pipeline,
            counters,
            max_vessels,
            last_eviction: Instant::now(),
            row_interval,
            rows_per_batch,
            vessel_rows: WriteBehind::new(row_interval, rows_per_batch),
        }
    }

    /// Stores the rows of every vessel whose change still waits.
    async fn write_waiting_rows(&mut self) -> Result<(), StoreError> {
        let vessels = self.vessel_rows.drain();
        self.pipeline.store.commit(self.rows(&vessels, &[])).await
    }

    /// The current rows of these vessels and vehicles, as changes to store.
    fn rows<'a>(
        &self,
        vessels: &[Mmsi],
        vehicles: impl IntoIterator<Item = &'a String>,
    ) -> Changes {
        let mut changes = Changes::default();
        let engine = self
            .pipeline
            .vessels
            .read()
            .unwrap_or_else(|e| e.into_inner());
        changes.upsert(
            Layer::Vessels,
            vessels
                .iter()
                .filter_map(|m| engine.get(*m)?.to_feature())
                .collect(),
        );
        let engine = self
            .pipeline
            .vehicles
            .read()
            .unwrap_or_else(|e| e.into_inner());
        changes.upsert(
            Layer::Vehicles,
            vehicles
                .into_iter()
                .filter_map(|v| Some(engine.get(v)?.to_feature()))
                .collect(),
        );
        changes
    }

    /// Applies the updates, runs the detectors (the time-driven ones at `tick`, a wall-clock
    /// time, when given) and stores what `mode` says: the fixes, the alerts and the object
    /// rows due. Fixes of new vessels beyond the cap are dropped and counted.
    async fn write(
        &mut self,
        updates: &[&Update],
        mode: Replay,
        tick: Option<f64>,
    ) -> Result<(), StoreError> {
        let mut events = Vec::new();
        let mut positions = Vec::new();
        let mut over_cap = 0;
        // each changed object once, with whether its row must be written in this batch
        let mut changed_vessels: BTreeMap<Mmsi, bool> = BTreeMap::new();
        let mut changed_vehicles: BTreeSet<String> = BTreeSet::new();
        let pipeline = &self.pipeline;
        {
            // the lock order of every writer: vessels, vehicles, monitor
            let mut vessels = pipeline.vessels.write().unwrap_or_else(|e| e.into_inner());
            let mut vehicles = pipeline.vehicles.write().unwrap_or_else(|e| e.into_inner());
            let mut monitor = pipeline.monitor.lock().unwrap_or_else(|e| e.into_inner());
            let mut picture = Picture {
                vessels: &mut vessels,
                vehicles: &mut vehicles,
                monitor: &mut monitor,
            };
            for update in updates {
                match update {
                    Update::Vessel(update) => {
                        let mmsi = update.mmsi();
                        if picture.vessels.get(mmsi).is_none()
                            && picture.vessels.len() >= self.max_vessels
                        {
                            over_cap += 1;
                            continue;
                        }
                        picture.vessel(update.clone(), &mut events);
                        // identity data lives only in the row: it is written at once
                        let identity = matches!(update, VesselUpdate::Static { .. });
                        *changed_vessels.entry(mmsi).or_default() |= identity;
                    }
                    Update::Vehicle {
                        vehicle_id,
                        sample,
                        heading_deg,
                    } => {
                        if picture
                            .vehicle(vehicle_id, *sample, *heading_deg, &mut events)
                            .is_ok()
                        {
                            changed_vehicles.insert(vehicle_id.clone());
                        }
                    }
                }
                if mode == Replay::Live {
                    positions.extend(position(update));
                }
            }
            // the data's own clock, or the wall clock while the data is live (newest fix
            // within 5 minutes): a receiver outage must not look like every vessel going dark
            let data = monitor.data_clock();
            let now = match tick {
                Some(wall) if wall - data <= LIVE_DATA_S => wall,
                _ => data,
            };
            monitor.tick(now, &mut events);
            if self.last_eviction.elapsed() >= EVICT_EVERY {
                self.last_eviction = Instant::now();
                let evicted = vessels.evict_silent(data);
                if evicted > 0 {
                    tracing::debug!(evicted, "forgot vessels silent for a track window");
                }
            }
        }
        if over_cap > 0 {
            self.counters.drop("all", "vessel_cap", over_cap);
            tracing::warn!(
                over_cap,
                max_vessels = self.max_vessels,
                "fixes of new vessels dropped: the picture holds ais.max_vessels"
            );
        }
        if mode == Replay::Restore {
            return Ok(());
        }
        let now = Instant::now();
        let vessel_rows = self.vessel_rows.take(changed_vessels, now);
        let mut changes = self.rows(&vessel_rows, &changed_vehicles);
        changes.positions = positions;
        self.pipeline.alerts.commit(events, changes).await?;
        Ok(())
    }

    /// After a failed write: waits until the store commits a probe write, then rebuilds the
    /// picture from the store. Meanwhile clients' batches are refused with `error` at once and
    /// feeds' batches kept (up to [`KEEP_BATCHES`]; then the queue fills and feeds wait).
    async fn recover(
        &mut self,
        batches: &mut mpsc::Receiver<Batch>,
        kept: &mut VecDeque<Batch>,
        error: &IngestError,
    ) {
        // at once: what was not stored leaves the picture (readers still work on a full disk)
        if let Err(error) = self.pipeline.reload(Replay::Restore).await {
            tracing::warn!(%error, "the picture cannot be read back from the store yet");
        }
        let mut wait = Duration::from_millis(100);
        loop {
            let probe_at = tokio::time::sleep(wait);
            tokio::pin!(probe_at);
            loop {
                tokio::select! {
                    _ = &mut probe_at => break,
                    batch = batches.recv(), if kept.len() < KEEP_BATCHES => match batch {
                        Some(batch) if batch.from_feed => kept.push_back(batch),
                        Some(batch) => {
                            let _ = batch.ack.send(Err(error.clone()));
                        }
                        None => break,
                    },
                }
            }
            match self.pipeline.store.probe_write().await {
                Ok(()) => match self.pipeline.reload(Replay::Rebuild).await {
                    Ok(_) => {
                        self.vessel_rows = WriteBehind::new(self.row_interval, self.rows_per_batch);
                        return;
                    }
                    Err(error) => tracing::warn!(%error, "rebuilding the picture failed"),
                },
                Err(error) => tracing::debug!(%error, "the store still cannot write"),
            }
            wait = (wait * 2).min(MAX_PROBE_WAIT);
        }
    }
}

/// The stored fix of an update, if it is one.
fn position(update: &Update) -> Option<Position> {
    match update {
        Update::Vessel(VesselUpdate::Position { mmsi, fix }) => Some(Position {
            kind: SubjectKind::Vessel,
            subject_id: mmsi.get().to_string(),
            t_epoch_s: fix.t_epoch_s,
            lon: fix.lon,
            lat: fix.lat,
            speed_mps: fix.sog_kn.map(|s| s * MPS_PER_KN),
            course_deg: fix.cog_deg,
            heading_deg: fix.heading_deg,
        }),
        Update::Vessel(VesselUpdate::Static { .. }) => None,
        Update::Vehicle {
            vehicle_id,
            sample,
            heading_deg,
        } => Some(Position {
            kind: SubjectKind::Vehicle,
            subject_id: vehicle_id.clone(),
            t_epoch_s: sample.t,
            lon: sample.lon,
            lat: sample.lat,
            speed_mps: sample.speed_mps,
            course_deg: None,
            heading_deg: *heading_deg,
        }),
    }
}

/// Rebuilds the in-memory picture from the store: vessel identities from the `vessels`
/// layer, registered vehicles from `vehicles`, and the fixes of the last `window_s` seconds
/// replayed through the engines and the detectors (episodes already stored as alerts are
/// not raised again). Returns the number of vessels.
async fn rebuild(pipeline: &Pipeline, window_s: f64, mode: Replay) -> Result<usize, StoreError> {
    let store = pipeline.store.as_ref();
    let limits = pipeline.settings.limits;
    let stored_vessels = store.query(Layer::Vessels, &Query::default()).await?;
    let stored_vehicles = store.query(Layer::Vehicles, &Query::default()).await?;
    {
        let mut vessels = pipeline.vessels.write().unwrap_or_else(|e| e.into_inner());
        for feature in &stored_vessels {
            restore_vessel(&mut vessels, feature);
        }
        let mut vehicles = pipeline.vehicles.write().unwrap_or_else(|e| e.into_inner());
        for feature in &stored_vehicles {
            vehicles.register(feature);
        }
    }
    let now = now_epoch_s();
    let positions = store.positions_since(now - window_s).await?;
    // a fix stamped in the future (stored before times were bounded) must not freeze its
    // vessel or move the detectors' clock
    let updates: Vec<Update> = positions
        .iter()
        .filter(|p| p.t_epoch_s <= now + limits.max_future_s)
        .filter_map(replayed)
        .collect();
    // every replayed object's row is written again, so the layers match the picture
    let mut writer = Writer::new(
        pipeline.clone(),
        AisCounters::default(),
        limits.max_vessels,
        Duration::ZERO,
        usize::MAX,
    );
    for chunk in updates.chunks(10_000) {
        let chunk: Vec<&Update> = chunk.iter().collect();
        writer.write(&chunk, mode, None).await?;
    }
    Ok(pipeline
        .vessels
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .len())
}

/// A stored `vessels` feature back into the picture: identity and flags.
fn restore_vessel(engine: &mut VesselEngine, feature: &Feature) {
    let p = &feature.properties;
    let Some(mmsi) = p["mmsi"].as_i64().and_then(|m| Mmsi::try_from(m).ok()) else {
        return;
    };
    let text = |k: &str| p[k].as_str().map(str::to_owned);
    let info = VesselInfo {
        name: text("name"),
        callsign: text("callsign"),
        imo: p["imo"].as_u64().and_then(|v| u32::try_from(v).ok()),
        ship_type: p["ship_type"].as_u64().and_then(|v| u8::try_from(v).ok()),
        destination: None,
    };
    // static data came before anything we still hold: stamp it at the epoch so that it
    // counts as in time for the no-static-report rule
    if info != VesselInfo::default() {
        engine.apply(VesselUpdate::Static {
            mmsi,
            t_epoch_s: 0.0,
            info,
        });
    }
    let flags = p["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str()?.parse().ok());
    engine.flag(mmsi, flags.collect::<Vec<_>>());
}

/// A stored fix as the update that made it.
fn replayed(p: &Position) -> Option<Update> {
    match p.kind {
        SubjectKind::Vessel => {
            let mmsi = p
                .subject_id
                .parse::<i64>()
                .ok()
                .and_then(|m| Mmsi::try_from(m).ok())?;
            let fix = Fix {
                t_epoch_s: p.t_epoch_s,
                lon: p.lon,
                lat: p.lat,
                sog_kn: p.speed_mps.map(|s| s / MPS_PER_KN),
                cog_deg: p.course_deg,
                heading_deg: p.heading_deg,
                nav_status: None,
            };
            Some(Update::Vessel(VesselUpdate::Position { mmsi, fix }))
        }
        SubjectKind::Vehicle => Some(Update::Vehicle {
            vehicle_id: p.subject_id.clone(),
            sample: Sample {
                t: p.t_epoch_s,
                lon: p.lon,
                lat: p.lat,
                speed_mps: p.speed_mps,
            },
            heading_deg: p.heading_deg,
        }),
        SubjectKind::CameraTrack => None,
    }
}
