//! The AIS ingest path shared by every feed (TCP, UDP, remote client, HTTP, replay).
//!
//! Each feed decodes its own lines (reassembly state is per feed) into engine updates and
//! sends them as a batch through a bounded queue to the one writer task. The writer stores
//! the fixes, applies the updates to the in-memory engine, upserts the touched vessels, and
//! only then acknowledges the batch: a line counts as ingested once it is durable. A full
//! queue makes feeds wait (TCP back-pressure), so memory stays bounded.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coastwatch_datasets::ais::decoder::{Decoder, DecoderOptions};
use coastwatch_datasets::ais::engine::{identity_flags, vessel_updates};
use coastwatch_spatial::engine::{VesselEngine, VesselUpdate};
use coastwatch_spatial::model::Mmsi;
use coastwatch_spatial::store::{Position, Store, SubjectKind};
use coastwatch_spatial::{Layer, StoreError};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::metrics::AisCounters;

/// Knots to metres per second.
const KN_TO_MPS: f64 = 1852.0 / 3600.0;
/// Batches waiting for the writer before feeds have to wait.
const QUEUE_BATCHES: usize = 64;
/// Lines a streaming feed gathers into one batch at most.
const LINES_PER_BATCH: usize = 1000;
/// Longest line a streaming feed may send.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The shared vessel picture.
pub type SharedEngine = Arc<RwLock<VesselEngine>>;

struct Batch {
    updates: Vec<VesselUpdate>,
    ack: oneshot::Sender<Result<(), String>>,
}

/// The handle feeds use to submit decoded updates.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<Batch>,
    /// The vessel picture the writer keeps up to date.
    pub engine: SharedEngine,
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
    /// Starts the writer task over `store` and returns the handle.
    pub fn start(store: Arc<dyn Store>, engine: SharedEngine, counters: AisCounters) -> Self {
        let (queue, batches) = mpsc::channel(QUEUE_BATCHES);
        tokio::spawn(write_batches(store, engine.clone(), batches));
        Self {
            queue,
            engine,
            counters,
        }
    }

    /// Submits updates and waits until they are stored and applied.
    pub async fn submit(&self, updates: Vec<VesselUpdate>) -> Result<(), String> {
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
        let before = decoder.stats();
        let mut updates = Vec::new();
        let mut problems = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match decoder.feed_line(line) {
                Ok(Some(decoded)) => updates.extend(vessel_updates(
                    &decoded.message,
                    decoded.timestamp_s.unwrap_or_else(now_epoch_s),
                )),
                Ok(None) => {}
                Err(error) if problems.len() < 100 => problems.push(error.to_string()),
                Err(_) => {}
            }
        }
        let after = decoder.stats();
        self.counters.add(feed, before, after);
        self.submit(updates).await?;
        Ok(LineReport {
            lines: after.lines - before.lines,
            decoded: after.decoded - before.decoded,
            errors: after.errors - before.errors,
            problems,
        })
    }

    /// Reads NMEA lines from a stream until it ends, in batches of at most
    /// [`LINES_PER_BATCH`] lines, flushing whenever the feed pauses. A line longer than
    /// [`MAX_LINE_BYTES`] is dropped, so a feed without newlines cannot exhaust memory.
    pub async fn stream(&self, feed: &str, reader: impl AsyncRead + Unpin) -> std::io::Result<()> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut reader = BufReader::new(reader);
        let mut chunk: Vec<u8> = Vec::new();
        let mut complete = 0; // bytes of `chunk` that form whole lines
        let mut count = 0;
        loop {
            let read = if count == 0 {
                reader.read_until(b'\n', &mut chunk).await?
            } else {
                // read_until is cancel safe: a partial line stays in `chunk`
                match tokio::time::timeout(
                    Duration::from_millis(20),
                    reader.read_until(b'\n', &mut chunk),
                )
                .await
                {
                    Ok(read) => read?,
                    Err(_) => {
                        self.flush(feed, &mut decoder, &mut chunk, &mut complete, &mut count)
                            .await;
                        continue;
                    }
                }
            };
            if read == 0 {
                break;
            }
            if chunk.ends_with(b"\n") {
                complete = chunk.len();
                count += 1;
                if count >= LINES_PER_BATCH {
                    self.flush(feed, &mut decoder, &mut chunk, &mut complete, &mut count)
                        .await;
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

async fn write_batches(
    store: Arc<dyn Store>,
    engine: SharedEngine,
    mut batches: mpsc::Receiver<Batch>,
) {
    while let Some(first) = batches.recv().await {
        let mut group = vec![first];
        while group.len() < QUEUE_BATCHES {
            match batches.try_recv() {
                Ok(batch) => group.push(batch),
                Err(_) => break,
            }
        }
        let updates: Vec<&VesselUpdate> = group.iter().flat_map(|b| &b.updates).collect();
        let result = write(store.as_ref(), &engine, &updates)
            .await
            .map_err(|e| e.to_string());
        if let Err(error) = &result {
            tracing::error!(%error, "storing AIS updates failed");
        }
        for batch in group {
            let _ = batch.ack.send(result.clone());
        }
    }
}

async fn write(
    store: &dyn Store,
    engine: &SharedEngine,
    updates: &[&VesselUpdate],
) -> Result<(), StoreError> {
    let positions: Vec<Position> = updates
        .iter()
        .filter_map(|u| match u {
            VesselUpdate::Position { mmsi, fix } => Some(Position {
                kind: SubjectKind::Vessel,
                subject_id: mmsi.get().to_string(),
                t_epoch_s: fix.t_epoch_s,
                lon: fix.lon,
                lat: fix.lat,
                speed_mps: fix.sog_kn.map(|s| s * KN_TO_MPS),
                course_deg: fix.cog_deg,
                heading_deg: fix.heading_deg,
            }),
            VesselUpdate::Static { .. } => None,
        })
        .collect();
    store.append_positions(&positions).await?;
    let touched: BTreeSet<Mmsi> = updates
        .iter()
        .map(|u| match u {
            VesselUpdate::Position { mmsi, .. } | VesselUpdate::Static { mmsi, .. } => *mmsi,
        })
        .collect();
    let features = {
        let mut engine = engine.write().unwrap_or_else(|e| e.into_inner());
        for update in updates {
            engine.apply((*update).clone());
        }
        for mmsi in &touched {
            let flags = engine.get(*mmsi).map(identity_flags).unwrap_or_default();
            engine.flag(*mmsi, flags.into_iter().map(|p| p.as_str().to_owned()));
        }
        touched
            .iter()
            .filter_map(|m| engine.get(*m)?.to_feature())
            .collect::<Vec<_>>()
    };
    if !features.is_empty() {
        store.upsert(Layer::Vessels, features).await?;
    }
    Ok(())
}

/// Rebuilds the vessel picture from the store: identities from the `vessels` layer, tracks
/// from the fixes of the last `window_s` seconds.
pub async fn rebuild(
    store: &dyn Store,
    engine: &SharedEngine,
    window_s: f64,
) -> Result<usize, StoreError> {
    use coastwatch_spatial::engine::{Fix, VesselInfo};
    let vessels = store.query(Layer::Vessels, &Default::default()).await?;
    let positions = store.positions_since(now_epoch_s() - window_s).await?;
    let mut engine = engine.write().unwrap_or_else(|e| e.into_inner());
    for feature in &vessels {
        let p = &feature.properties;
        let Some(mmsi) = p["mmsi"].as_i64().and_then(|m| Mmsi::try_from(m).ok()) else {
            continue;
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
    for p in positions.iter().filter(|p| p.kind == SubjectKind::Vessel) {
        let Some(mmsi) = p
            .subject_id
            .parse::<i64>()
            .ok()
            .and_then(|m| Mmsi::try_from(m).ok())
        else {
            continue;
        };
        let fix = Fix {
            t_epoch_s: p.t_epoch_s,
            lon: p.lon,
            lat: p.lat,
            sog_kn: p.speed_mps.map(|s| s / KN_TO_MPS),
            cog_deg: p.course_deg,
            heading_deg: p.heading_deg,
            nav_status: None,
        };
        engine.apply(VesselUpdate::Position { mmsi, fix });
    }
    Ok(engine.len())
}

/// Now, in epoch seconds.
pub fn now_epoch_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
