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

use std::sync::Arc;
use std::time::Duration;

use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_ais::engine::vessel_updates;
use coastwatch_core::alerting::{Sample, TerminalReport};
use coastwatch_core::engine::{CameraObservation, VesselUpdate};
use coastwatch_store::StoreError;
use coastwatch_vision::BBox;
use coastwatch_vision::Frame;
use coastwatch_vision::snapshot::{self, Evidence};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, oneshot, watch};

use crate::clock::now_epoch_s;
use crate::metrics::AisCounters;
use crate::write_behind::RowPace;
use writer::{Writer, write_batches};

mod picture;
mod pipeline;
mod snapshot_wire;
mod writer;

pub use picture::SharedPicture;
pub use pipeline::{PictureSettings, Pipeline};

/// Batches waiting for the writer before feeds have to wait.
const QUEUE_BATCHES: usize = 64;
/// Bytes a streaming feed reads at a time at most (about 900 lines).
const READ_BYTES: usize = 64 * 1024;
/// A vessel's row in the `vessels` table is rewritten at most every 10 s (its fixes are all
/// stored at once; see [`WriteBehind`]), at most 64 due rows in one batch and 2,000 a
/// second: with 50,000 vessels each row then lags by 25 s.
const VESSEL_ROW_PACE: RowPace = RowPace {
    interval: Duration::from_secs(10),
    per_batch: 64,
    per_second: 2_000.0,
};
/// Longest line a streaming feed may send (an NMEA sentence is at most 82 characters; a
/// tag block adds a few dozen).
const MAX_LINE_BYTES: usize = 4 * 1024;

/// One thing a feed reports (as it crosses the cluster's stream too).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Update {
    /// A decoded AIS message.
    Vessel(VesselUpdate),
    /// A georeferenced observation of a camera track, with the frame it was seen in (the
    /// evidence of the alerts it raises).
    CameraTrack {
        /// Where and what.
        observation: CameraObservation,
        /// The frame, when it came from one of the server's cameras (across the cluster:
        /// its snapshot, when the vision node sent one).
        #[serde(default, with = "snapshot_wire")]
        frame: Option<EvidenceFrame>,
    },
    /// What a vehicle's terminal reported besides a fix (JT/T 808): that it is alive,
    /// whether it has a fix, its alarms.
    Terminal {
        /// The vehicle the terminal is bound to.
        vehicle_id: String,
        /// The report.
        report: TerminalReport,
    },
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

/// The picture a camera observation was seen in (cheap to clone): the frame itself, from
/// this process's cameras, or the snapshot the vision node that saw it made (across the
/// cluster, where frames do not travel).
#[derive(Clone)]
pub enum EvidenceFrame {
    /// The frame, shared by the observations made in it.
    Frame(Arc<Frame>),
    /// The frame and the crop of the observation's box, as JPEG.
    Snapshot(Arc<Evidence>),
}

impl EvidenceFrame {
    /// The alert evidence of an object in box `bbox` (a snapshot is of its own box).
    pub fn evidence(&self, bbox: BBox) -> Evidence {
        match self {
            Self::Frame(frame) => snapshot::evidence(frame, bbox),
            Self::Snapshot(evidence) => Evidence::clone(evidence),
        }
    }
}

impl PartialEq for EvidenceFrame {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Frame(a), Self::Frame(b)) => Arc::ptr_eq(a, b),
            (Self::Snapshot(a), Self::Snapshot(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Debug for EvidenceFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Frame(frame) => write!(
                f,
                "EvidenceFrame({}×{} at {})",
                frame.width, frame.height, frame.t
            ),
            Self::Snapshot(evidence) => write!(
                f,
                "Snapshot({} + {} bytes)",
                evidence.frame_jpeg.len(),
                evidence.crop_jpeg.len()
            ),
        }
    }
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

pub(crate) struct Batch {
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

impl Batch {
    /// Its updates and where to say whether they were taken.
    pub(crate) fn into_parts(self) -> (Vec<Update>, oneshot::Sender<Result<(), IngestError>>) {
        (self.updates, self.ack)
    }
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

/// The handle feeds use to submit decoded updates.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<Batch>,
    /// What the writer keeps up to date.
    pipeline: Pipeline,
    /// Counters per feed.
    pub counters: AisCounters,
    /// What feeds may bring in.
    pub limits: FeedLimits,
    /// `Some(reason)` while the store cannot write.
    health: watch::Receiver<Option<String>>,
    /// Whether batches go to the cluster's fixes stream instead of a writer here.
    forwards: bool,
}

/// Applies updates stored elsewhere to this node's picture ([`Ingest::follower`]).
pub(crate) struct Follower(Writer);

impl Follower {
    /// Applies `updates` to the picture (fixes already held are skipped).
    pub(crate) fn apply(&mut self, updates: &[Update]) {
        let updates: Vec<&Update> = updates.iter().collect();
        self.0.restore(&updates);
    }
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
        let writer = Writer::new(
            pipeline.clone(),
            counters.clone(),
            pipeline.settings.limits.max_vessels,
            VESSEL_ROW_PACE,
        );
        let writer_counters = counters.clone();
        Self::over(pipeline, counters, false, move |batches, health| {
            tokio::spawn(write_batches(writer, batches, health, writer_counters));
        })
    }

    /// Starts an ingest node's path over `pipeline` (its picture only checks what comes): the feeds'
    /// batches go to the cluster's fixes stream instead of the writer, and are acknowledged
    /// once it has them.
    pub fn start_forwarding(
        pipeline: Pipeline,
        counters: AisCounters,
        cluster: crate::cluster::Cluster,
    ) -> Self {
        Self::over(pipeline, counters, true, |batches, health| {
            tokio::spawn(crate::cluster::forward_batches(cluster, batches, health));
        })
    }

    /// The handle whose batches `take` hands to the task that takes them.
    fn over(
        pipeline: Pipeline,
        counters: AisCounters,
        forwards: bool,
        take: impl FnOnce(mpsc::Receiver<Batch>, watch::Sender<Option<String>>),
    ) -> Self {
        let (queue, batches) = mpsc::channel(QUEUE_BATCHES);
        let (health_tx, health) = watch::channel(None);
        take(batches, health_tx);
        Self {
            queue,
            limits: pipeline.settings.limits,
            pipeline,
            counters,
            health,
            forwards,
        }
    }

    /// Whether batches go to the cluster's fixes stream (where frames travel as snapshots).
    pub fn forwards(&self) -> bool {
        self.forwards
    }

    /// Queues updates taken from the cluster's stream once the store takes writes, kept
    /// through a store outage as a feed's are; the receiver says when they are stored.
    pub(crate) async fn enqueue_from_stream(
        &self,
        updates: Vec<Update>,
    ) -> Result<Stored, IngestError> {
        self.store_writable().await;
        self.send(updates, false, true).await
    }

    /// What keeps this node's picture current with the updates another node stores (an API
    /// node following the fixes stream): applied without storing or alerting.
    pub(crate) fn follower(&self) -> Follower {
        Follower(Writer::new(
            self.pipeline.clone(),
            self.counters.clone(),
            self.limits.max_vessels,
            VESSEL_ROW_PACE,
        ))
    }

    /// Builds the picture and the alert book anew from the store, as at start (a standby
    /// core that takes over: the store holds what the last leader stored).
    pub(crate) async fn rebuild(&self) -> Result<usize, crate::state::StartError> {
        self.pipeline.reload(Replay::Rebuild).await
    }

    /// The in-memory picture: engines and detectors.
    pub fn picture(&self) -> &SharedPicture {
        &self.pipeline.picture
    }

    /// Loads fences, docks, coastline and areas from the store into the detectors.
    pub async fn load_geography(&self) -> Result<(), crate::state::StartError> {
        self.pipeline.load_geography().await
    }

    /// Loads the watch list of plates from the store into the detectors.
    pub async fn load_watchlist(&self) -> Result<(), coastwatch_store::StoreError> {
        self.pipeline.load_watchlist().await
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

    /// Submits updates from a thread outside the runtime (a camera) and waits until they
    /// are stored; fails at once while the store cannot write.
    pub fn submit_blocking(&self, updates: Vec<Update>) -> Result<(), IngestError> {
        if updates.is_empty() {
            return Ok(());
        }
        if let Some(reason) = self.store_failure() {
            return Err(IngestError::Unavailable(reason));
        }
        let (ack, stored) = oneshot::channel();
        self.queue
            .blocking_send(Batch {
                updates,
                all_rows: false,
                tick: None,
                from_feed: false,
                ack,
            })
            .map_err(|_| IngestError::Stopped)?;
        stored.blocking_recv().map_err(|_| IngestError::Stopped)?
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
