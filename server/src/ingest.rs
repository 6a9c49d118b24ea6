//! The ingest path shared by every feed: AIS (TCP, UDP, remote client, HTTP, replay) and
//! vehicle GPS (HTTP).
//!
//! Each AIS feed decodes its own lines (reassembly state is per feed) into engine updates
//! and sends them as a batch through a bounded queue to the one writer task. The writer
//! stores the fixes, applies the updates to the in-memory engines, runs the detectors on
//! every new fix in order, stores the changed objects and alerts, and only then
//! acknowledges the batch: a line counts as ingested once it is durable. A full queue makes
//! feeds wait (TCP back-pressure), so memory stays bounded.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use coastwatch_datasets::ais::decoder::{Decoder, DecoderOptions};
use coastwatch_datasets::ais::engine::{identity_flags, vessel_updates};
use coastwatch_spatial::alerting::Sample;
use coastwatch_spatial::alerting::monitor::Monitor;
use coastwatch_spatial::engine::{
    Applied, Fix, VehicleEngine, VesselEngine, VesselInfo, VesselUpdate,
};
use coastwatch_spatial::model::Mmsi;
use coastwatch_spatial::store::{Position, Query, Store, SubjectKind};
use coastwatch_spatial::{Feature, Layer, StoreError};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::alerts::Alerts;
use crate::clock::now_epoch_s;
use crate::metrics::AisCounters;

/// Knots to metres per second.
const KN_TO_MPS: f64 = 1852.0 / 3600.0;
/// Batches waiting for the writer before feeds have to wait.
const QUEUE_BATCHES: usize = 64;
/// Lines a streaming feed gathers into one batch at most.
const LINES_PER_BATCH: usize = 1000;
/// Longest a line of a streaming feed waits for its batch to fill: a steady feed never
/// pauses, so without this bound a line could wait for the 999 after it (a second at
/// 1,000 lines/s).
const MAX_BATCH_WAIT: Duration = Duration::from_millis(20);
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
    ack: oneshot::Sender<Result<(), String>>,
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
        tokio::spawn(write_batches(pipeline.clone(), batches));
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
        if updates.is_empty() {
            return Ok(());
        }
        let (ack, done) = oneshot::channel();
        self.queue
            .send(Batch { updates, ack })
            .await
            .map_err(|_| "ingest writer has stopped".to_owned())?;
        done.await
            .map_err(|_| "ingest writer has stopped".to_owned())?
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

    /// Reads NMEA lines from a stream until it ends, in batches of at most
    /// `LINES_PER_BATCH` lines, sending a batch once it is full or once its first line has
    /// waited `MAX_BATCH_WAIT`. A line longer than `MAX_LINE_BYTES` is dropped, so a
    /// feed without newlines cannot exhaust memory.
    pub async fn stream(&self, feed: &str, reader: impl AsyncRead + Unpin) -> std::io::Result<()> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut reader = BufReader::new(reader);
        let mut chunk: Vec<u8> = Vec::new();
        let mut complete = 0; // bytes of `chunk` that form whole lines
        let mut count = 0;
        let mut due = None; // when the batch's first line has waited long enough
        loop {
            let read = match due {
                None => reader.read_until(b'\n', &mut chunk).await?,
                // read_until is cancel safe: a partial line stays in `chunk`
                Some(due_at) => {
                    match tokio::time::timeout_at(due_at, reader.read_until(b'\n', &mut chunk))
                        .await
                    {
                        Ok(read) => read?,
                        Err(_) => {
                            self.flush(feed, &mut decoder, &mut chunk, &mut complete, &mut count)
                                .await;
                            due = None;
                            continue;
                        }
                    }
                }
            };
            if read == 0 {
                break;
            }
            if chunk.ends_with(b"\n") {
                complete = chunk.len();
                count += 1;
                let due_at =
                    *due.get_or_insert_with(|| tokio::time::Instant::now() + MAX_BATCH_WAIT);
                // a feed with lines always waiting never times out: check the age here too
                if count >= LINES_PER_BATCH || tokio::time::Instant::now() >= due_at {
                    self.flush(feed, &mut decoder, &mut chunk, &mut complete, &mut count)
                        .await;
                    due = None;
                }
            } else if chunk.len() - complete > MAX_LINE_BYTES {
                tracing::warn!(feed, "dropping an over-long line");
                chunk.truncate(complete);
            }
        }
        complete = chunk.len();
        count += 1;
        self.flush(feed, &mut decoder, &mut chunk, &mut complete, &mut count)
            .await;
        Ok(())
    }

    async fn flush(
        &self,
        feed: &str,
        decoder: &mut Decoder,
        chunk: &mut Vec<u8>,
        complete: &mut usize,
        count: &mut usize,
    ) {
        if *complete > 0
            && let Err(error) = self.lines(feed, decoder, &chunk[..*complete]).await
        {
            tracing::error!(feed, %error, "AIS batch not stored");
        }
        chunk.drain(..*complete);
        *complete = 0;
        *count = 0;
    }
}

async fn write_batches(pipeline: Pipeline, mut batches: mpsc::Receiver<Batch>) {
    while let Some(first) = batches.recv().await {
        let mut group = vec![first];
        while group.len() < QUEUE_BATCHES {
            match batches.try_recv() {
                Ok(batch) => group.push(batch),
                Err(_) => break,
            }
        }
        let updates: Vec<&Update> = group.iter().flat_map(|b| &b.updates).collect();
        let result = write(&pipeline, &updates, true)
            .await
            .map_err(|e| e.to_string());
        if let Err(error) = &result {
            tracing::error!(%error, "storing updates failed");
        }
        for batch in group {
            let _ = batch.ack.send(result.clone());
        }
    }
}

/// Stores the fixes (unless `store_fixes` is false: a rebuild replays stored ones), applies
/// the updates, runs the detectors and stores what changed.
async fn write(
    pipeline: &Pipeline,
    updates: &[&Update],
    store_fixes: bool,
) -> Result<(), StoreError> {
    let store = pipeline.store.as_ref();
    if store_fixes {
        let positions: Vec<Position> = updates.iter().filter_map(|u| position(u)).collect();
        store.append_positions(&positions).await?;
    }
    let mut events = Vec::new();
    let mut touched_vessels = BTreeSet::new();
    let mut touched_vehicles = BTreeSet::new();
    {
        let mut vessels = pipeline.vessels.write().unwrap_or_else(|e| e.into_inner());
        let mut vehicles = pipeline.vehicles.write().unwrap_or_else(|e| e.into_inner());
        let mut monitor = pipeline.monitor.lock().unwrap_or_else(|e| e.into_inner());
        for update in updates {
            match update {
                Update::Vessel(update) => {
                    let mmsi = match update {
                        VesselUpdate::Position { mmsi, .. } | VesselUpdate::Static { mmsi, .. } => {
                            *mmsi
                        }
                    };
                    let applied = vessels.apply(update.clone());
                    let flags = vessels.get(mmsi).map(identity_flags).unwrap_or_default();
                    vessels.flag(mmsi, flags.into_iter().map(|p| p.as_str().to_owned()));
                    if let (VesselUpdate::Position { .. }, Applied::Latest, Some(state)) =
                        (update, applied, vessels.get(mmsi))
                    {
                        monitor.vessel(state, &mut events);
                    }
                    touched_vessels.insert(mmsi);
                }
                Update::Vehicle {
                    vehicle_id,
                    sample,
                    heading_deg,
                } => {
                    if let Ok(state) = vehicles.apply(vehicle_id, *sample, *heading_deg) {
                        monitor.vehicle(state, &mut events);
                        touched_vehicles.insert(vehicle_id.clone());
                    }
                }
            }
        }
        let now = monitor.data_clock();
        monitor.tick(now, &mut events);
    }
    let (vessel_features, vehicle_features) = {
        let vessels = pipeline.vessels.read().unwrap_or_else(|e| e.into_inner());
        let vehicles = pipeline.vehicles.read().unwrap_or_else(|e| e.into_inner());
        (
            touched_vessels
                .iter()
                .filter_map(|m| vessels.get(*m)?.to_feature())
                .collect::<Vec<_>>(),
            touched_vehicles
                .iter()
                .filter_map(|v| Some(vehicles.get(v)?.to_feature()))
                .collect::<Vec<_>>(),
        )
    };
    // alerts first: they are what dispatchers wait for (the batch is acknowledged only
    // after everything below is stored)
    pipeline.alerts.record(events).await?;
    if !vessel_features.is_empty() {
        store.upsert(Layer::Vessels, vessel_features).await?;
    }
    if !vehicle_features.is_empty() {
        store.upsert(Layer::Vehicles, vehicle_features).await?;
    }
    Ok(())
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
    for chunk in updates.chunks(10_000) {
        let chunk: Vec<&Update> = chunk.iter().collect();
        write(pipeline, &chunk, false).await?;
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
