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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use coastwatch_datasets::ais::decoder::{Decoder, DecoderOptions};
use coastwatch_datasets::ais::engine::{identity_flags, vessel_updates};
use coastwatch_spatial::alerting::Sample;
use coastwatch_spatial::alerting::monitor::Monitor;
use coastwatch_spatial::engine::{
    Applied, Fix, VehicleEngine, VesselEngine, VesselInfo, VesselUpdate,
};
use coastwatch_spatial::model::Mmsi;
use coastwatch_spatial::store::{Changes, Position, Query, Store, SubjectKind};
use coastwatch_spatial::{Feature, Layer, StoreError};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, oneshot};

use crate::alerts::Alerts;
use crate::clock::now_epoch_s;
use crate::metrics::AisCounters;
use crate::write_behind::WriteBehind;

/// Knots to metres per second.
const KN_TO_MPS: f64 = 1852.0 / 3600.0;
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
/// Longest line a streaming feed may send.
const MAX_LINE_BYTES: usize = 64 * 1024;

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

struct Batch {
    updates: Vec<Update>,
    /// Also write every object row that still waits (see [`WriteBehind`]).
    all_rows: bool,
    ack: oneshot::Sender<Result<(), String>>,
}

/// Says when queued updates are stored, or why they were not.
pub(crate) type Stored = oneshot::Receiver<Result<(), String>>;

const WRITER_STOPPED: &str = "ingest writer has stopped";

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
}

/// The handle feeds use to submit decoded updates.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<Batch>,
    /// What the writer keeps up to date.
    pub pipeline: Pipeline,
    /// Counters per feed.
    pub counters: AisCounters,
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
    /// The first refused lines with their reason.
    pub problems: Vec<String>,
}

impl Ingest {
    /// Starts the writer task over `pipeline` and returns the handle.
    pub fn start(pipeline: Pipeline, counters: AisCounters) -> Self {
        let (queue, batches) = mpsc::channel(QUEUE_BATCHES);
        let writer = Writer::new(pipeline.clone(), ROW_INTERVAL, ROWS_PER_BATCH);
        tokio::spawn(write_batches(writer, batches));
        Self {
            queue,
            pipeline,
            counters,
        }
    }

    /// The vessel picture.
    pub fn vessels(&self) -> &SharedEngine {
        &self.pipeline.vessels
    }

    /// Submits updates and waits until they are stored and applied.
    pub async fn submit(&self, updates: Vec<Update>) -> Result<(), String> {
        match self.enqueue(updates).await? {
            Some(stored) => stored.await.map_err(|_| WRITER_STOPPED.to_owned())?,
            None => Ok(()),
        }
    }

    /// Queues updates for the writer without waiting for them to be stored (a full queue
    /// still makes the caller wait); the receiver, if any, says when they are.
    async fn enqueue(&self, updates: Vec<Update>) -> Result<Option<Stored>, String> {
        if updates.is_empty() {
            return Ok(None);
        }
        self.send(updates, false).await.map(Some)
    }

    /// Writes every object row that still waits behind its fixes and waits until it is
    /// stored (before a shutdown, so that the store's tables match the picture).
    pub async fn write_rows(&self) -> Result<(), String> {
        let stored = self.send(Vec::new(), true).await?;
        stored.await.map_err(|_| WRITER_STOPPED.to_owned())?
    }

    async fn send(&self, updates: Vec<Update>, all_rows: bool) -> Result<Stored, String> {
        let (ack, stored) = oneshot::channel();
        self.queue
            .send(Batch {
                updates,
                all_rows,
                ack,
            })
            .await
            .map_err(|_| WRITER_STOPPED.to_owned())?;
        Ok(stored)
    }

    /// Decodes `text` (NMEA lines, any bytes) with `decoder`, submits what it holds and
    /// reports. Lines that are not AIS are counted and skipped, never fatal.
    pub async fn lines(
        &self,
        feed: &str,
        decoder: &mut Decoder,
        text: &[u8],
    ) -> Result<LineReport, String> {
        let mut updates = Vec::new();
        let report = self.decode(feed, decoder, text, &mut updates);
        self.submit(updates).await?;
        Ok(report)
    }

    /// Decodes `text` (NMEA lines) with `decoder` into `updates`, counting per feed, without
    /// submitting them.
    pub fn decode(
        &self,
        feed: &str,
        decoder: &mut Decoder,
        text: &[u8],
        updates: &mut Vec<Update>,
    ) -> LineReport {
        let before = decoder.stats();
        let mut problems = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match decoder.feed_line(line) {
                Ok(Some(decoded)) => updates.extend(
                    vessel_updates(
                        &decoded.message,
                        decoded.timestamp_s.unwrap_or_else(now_epoch_s),
                    )
                    .map(Update::Vessel),
                ),
                Ok(None) => {}
                Err(error) if problems.len() < 100 => problems.push(error.to_string()),
                Err(_) => {}
            }
        }
        let after = decoder.stats();
        self.counters.add(feed, before, after);
        LineReport {
            lines: after.lines - before.lines,
            decoded: after.decoded - before.decoded,
            errors: after.errors - before.errors,
            problems,
        }
    }

    /// Reads NMEA lines from a stream until it ends. Whatever whole lines a read brings are
    /// decoded and queued at once, without waiting for the previous ones to be stored: the
    /// writer stores what has queued up meanwhile in one transaction, so batches grow with
    /// the load and a line never waits for a timer. Returns once every line read is stored.
    /// A line longer than `MAX_LINE_BYTES` is dropped, so a feed without newlines cannot
    /// exhaust memory.
    pub async fn stream(
        &self,
        feed: &str,
        mut reader: impl AsyncRead + Unpin,
    ) -> std::io::Result<()> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut buffer: Vec<u8> = Vec::with_capacity(READ_BYTES);
        let mut skipping = false; // inside an over-long line, until its end
        let mut last = None;
        loop {
            let start = buffer.len();
            if reader.read_buf(&mut buffer).await? == 0 {
                break;
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

async fn write_batches(mut writer: Writer, mut batches: mpsc::Receiver<Batch>) {
    while let Some(first) = batches.recv().await {
        let mut group = vec![first];
        let mut size = group[0].updates.len();
        while size < GROUP_UPDATES {
            match batches.try_recv() {
                Ok(batch) => {
                    size += batch.updates.len();
                    group.push(batch);
                }
                Err(_) => break,
            }
        }
        let updates: Vec<&Update> = group.iter().flat_map(|b| &b.updates).collect();
        let mut result = writer.write(&updates, true).await;
        if result.is_ok() && group.iter().any(|b| b.all_rows) {
            result = writer.write_waiting_rows().await;
        }
        let result = result.map_err(|e| e.to_string());
        if let Err(error) = &result {
            tracing::error!(%error, "storing updates failed");
        }
        for batch in group {
            let _ = batch.ack.send(result.clone());
        }
    }
}

/// The one writer: applies batches to the engines and the detectors and stores each
/// batch, with its alerts and the object rows due, in one transaction.
struct Writer {
    pipeline: Pipeline,
    /// Vessel rows follow their fixes at most once per interval. Vehicle rows are written
    /// with every fix: the `vehicles` layer is served from the store, and trucks report
    /// seldom.
    vessel_rows: WriteBehind<Mmsi>,
}

impl Writer {
    /// A writer that rewrites a vessel's row at most once per `row_interval`, at most
    /// `rows_per_batch` rows in one batch besides urgent ones.
    fn new(pipeline: Pipeline, row_interval: Duration, rows_per_batch: usize) -> Self {
        Self {
            pipeline,
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

    /// Applies the updates, runs the detectors and stores the fixes (unless `store_fixes` is
    /// false: a rebuild replays stored ones), the alerts and the object rows due.
    async fn write(&mut self, updates: &[&Update], store_fixes: bool) -> Result<(), StoreError> {
        let mut events = Vec::new();
        // each changed object once, with whether its row must be written in this batch
        let mut changed_vessels: BTreeMap<Mmsi, bool> = BTreeMap::new();
        let mut changed_vehicles: BTreeSet<String> = BTreeSet::new();
        let pipeline = &self.pipeline;
        {
            let mut vessels = pipeline.vessels.write().unwrap_or_else(|e| e.into_inner());
            let mut vehicles = pipeline.vehicles.write().unwrap_or_else(|e| e.into_inner());
            let mut monitor = pipeline.monitor.lock().unwrap_or_else(|e| e.into_inner());
            for update in updates {
                match update {
                    Update::Vessel(update) => {
                        let (mmsi, identity) = match update {
                            VesselUpdate::Position { mmsi, .. } => (*mmsi, false),
                            VesselUpdate::Static { mmsi, .. } => (*mmsi, true),
                        };
                        let applied = vessels.apply(update.clone());
                        let flags = vessels.get(mmsi).map(identity_flags).unwrap_or_default();
                        vessels.flag(mmsi, flags.into_iter().map(|p| p.as_str().to_owned()));
                        if let (VesselUpdate::Position { .. }, Applied::Latest, Some(state)) =
                            (update, applied, vessels.get(mmsi))
                        {
                            monitor.vessel(state, &mut events);
                        }
                        // identity data lives only in the row: it is written at once
                        *changed_vessels.entry(mmsi).or_default() |= identity;
                    }
                    Update::Vehicle {
                        vehicle_id,
                        sample,
                        heading_deg,
                    } => {
                        if let Ok(state) = vehicles.apply(vehicle_id, *sample, *heading_deg) {
                            monitor.vehicle(state, &mut events);
                            changed_vehicles.insert(vehicle_id.clone());
                        }
                    }
                }
            }
            let now = monitor.data_clock();
            monitor.tick(now, &mut events);
        }
        let now = Instant::now();
        let vessel_rows = self.vessel_rows.take(changed_vessels, now);
        let mut changes = self.rows(&vessel_rows, &changed_vehicles);
        if store_fixes {
            changes.positions = updates.iter().filter_map(|u| position(u)).collect();
        }
        self.pipeline.alerts.commit(events, changes).await?;
        Ok(())
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
            speed_mps: fix.sog_kn.map(|s| s * KN_TO_MPS),
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
pub async fn rebuild(pipeline: &Pipeline, window_s: f64) -> Result<usize, StoreError> {
    let store = pipeline.store.as_ref();
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
    let positions = store.positions_since(now_epoch_s() - window_s).await?;
    let updates: Vec<Update> = positions.iter().filter_map(replayed).collect();
    // every replayed object's row is written again, so the layers match the picture
    let mut writer = Writer::new(pipeline.clone(), Duration::ZERO, usize::MAX);
    for chunk in updates.chunks(10_000) {
        let chunk: Vec<&Update> = chunk.iter().collect();
        writer.write(&chunk, false).await?;
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
        .filter_map(|f| f.as_str().map(str::to_owned));
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
                sog_kn: p.speed_mps.map(|s| s / KN_TO_MPS),
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
