//! The writer task: batches applied through the ingest step and stored in one transaction,
//! and the recovery after a failed one.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coastwatch_core::Layer;
use coastwatch_core::alerting::{AlertEvent, EpisodeKey, Phase};
use coastwatch_core::engine::{VehicleState, VesselUpdate};
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::Mmsi;
use coastwatch_core::model::SubjectType;
use coastwatch_store::{Changes, Position, StoreError, SubjectKind};
use coastwatch_vision::BBox;
use coastwatch_vision::snapshot::Evidence;
use tokio::sync::{mpsc, watch};

use super::{Batch, EvidenceFrame, IngestError, Pipeline, Replay, Update};
use crate::metrics::AisCounters;
use crate::write_behind::{RowPace, WriteBehind};

/// Updates the writer gathers from queued batches into one transaction at most (more
/// would only hold memory longer; the commit's fixed cost is spread well before).
const GROUP_UPDATES: usize = 8192;
/// A camera track's row is rewritten every this many observations (and at its end).
const TRACK_ROW_EVERY: u64 = 10;
/// How often vessels silent for a whole track window are forgotten.
const EVICT_EVERY: Duration = Duration::from_secs(60);
/// The data counts as live while its newest fix is at most this old (s).
const LIVE_DATA_S: f64 = 300.0;
/// Batches of streaming feeds kept through a store outage; beyond them feeds wait.
const KEEP_BATCHES: usize = 64;
/// Longest wait between two probes of a failed store.
const MAX_PROBE_WAIT: Duration = Duration::from_secs(5);

/// The writer task: stores the queued batches in groups, in order. While one group's
/// transaction commits, the next group is gathered and applied (the store works on its own
/// thread, so the two overlap); its transaction starts once the previous one has committed,
/// and each group is acknowledged when its own has. After a failed group it recovers (see
/// the module doc) before it takes the next one; the group applied meanwhile fails with it.
pub(super) async fn write_batches(
    mut writer: Writer,
    mut batches: mpsc::Receiver<Batch>,
    health: watch::Sender<Option<String>>,
    counters: AisCounters,
) {
    // feed batches kept through a store outage, stored first once it is over
    let mut kept: VecDeque<Batch> = VecDeque::new();
    let mut in_flight: Option<InFlight> = None;
    loop {
        let first = match kept.pop_front() {
            Some(batch) => batch,
            None => {
                let next = match in_flight.as_mut() {
                    Some(commit) => tokio::select! {
                        biased;
                        result = &mut commit.task => Next::Committed(joined(result)),
                        batch = batches.recv() => Next::Batch(batch),
                    },
                    None => Next::Batch(batches.recv().await),
                };
                match next {
                    Next::Batch(Some(batch)) => batch,
                    Next::Batch(None) => break,
                    Next::Committed(result) => {
                        let group = in_flight.take().map(|c| c.group).unwrap_or_default();
                        if let Err(failure) = settle(group, result) {
                            writer
                                .fail(vec![], failure, &mut batches, &mut kept, &health, &counters)
                                .await;
                        }
                        continue;
                    }
                }
            }
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
        let applying = Instant::now();
        let prepared = writer.prepare(&updates, Replay::Live, tick);
        let timings = &counters.timings;
        timings.apply.observe(applying.elapsed().as_secs_f64());
        timings.group_updates.observe(updates.len() as f64);
        drop(updates);
        // the previous group's transaction first: commits stay in order
        if let Some(commit) = in_flight.take()
            && let Err(failure) = commit.finish().await
        {
            writer
                .fail(group, failure, &mut batches, &mut kept, &health, &counters)
                .await;
            continue;
        }
        if group.iter().any(|b| b.all_rows) {
            // a flush (clean shutdown): stored now, with every row that still waits
            let mut result = store(prepared, &writer.pipeline.alerts).await;
            if result.is_ok() {
                result = writer.write_waiting_rows().await;
            }
            if let Err(failure) = settle(group, result.map_err(|e| IngestError::from(&e))) {
                writer
                    .fail(vec![], failure, &mut batches, &mut kept, &health, &counters)
                    .await;
            }
            continue;
        }
        let alerts = writer.pipeline.alerts.clone();
        let commit_time = timings.commit.clone();
        let task = tokio::spawn(async move {
            let storing = Instant::now();
            let stored = store(prepared, &alerts).await;
            commit_time.observe(storing.elapsed().as_secs_f64());
            stored.map_err(|e| IngestError::from(&e))
        });
        in_flight = Some(InFlight { group, task });
    }
    if let Some(commit) = in_flight {
        let _ = commit.finish().await;
    }
}

/// What the writer waits for next.
enum Next {
    Batch(Option<Batch>),
    Committed(Result<(), IngestError>),
}

/// A group whose transaction is being committed.
struct InFlight {
    group: Vec<Batch>,
    task: tokio::task::JoinHandle<Result<(), IngestError>>,
}

impl InFlight {
    /// Waits for the transaction; acknowledges the group or hands back its failure.
    async fn finish(self) -> Result<(), Failure> {
        settle(self.group, joined(self.task.await))
    }
}

/// A commit task's outcome; one that panicked failed its group.
fn joined(
    result: Result<Result<(), IngestError>, tokio::task::JoinError>,
) -> Result<(), IngestError> {
    result.unwrap_or_else(|e| Err(IngestError::Failed(format!("the commit task failed: {e}"))))
}

/// Acknowledges a stored group; hands back the error of a failed one, whose batches the
/// caller fails.
fn settle(group: Vec<Batch>, result: Result<(), IngestError>) -> Result<(), Failure> {
    match result {
        Ok(()) => {
            for batch in group {
                let _ = batch.ack.send(Ok(()));
            }
            Ok(())
        }
        Err(error) => Err(Failure { group, error }),
    }
}

/// A group whose transaction failed, with the error.
struct Failure {
    group: Vec<Batch>,
    error: IngestError,
}

/// The one writer: applies batches to the engines and the detectors and stores each
/// batch, with its alerts and the object rows due, in one transaction.
pub(super) struct Writer {
    pipeline: Pipeline,
    counters: AisCounters,
    /// Vessels the picture holds at most.
    max_vessels: usize,
    /// When silent vessels were last forgotten.
    last_eviction: Instant,
    /// Vessel rows follow their fixes at most once per interval. Vehicle rows take their
    /// position columns with every fix: the `vehicles` layer is served from the store, and
    /// trucks report seldom.
    vessel_rows: WriteBehind<Mmsi>,
    /// The latest snapshot of each camera track that came over the cluster's stream (a vision
    /// node sends one every few seconds, not with every observation): the evidence of an
    /// episode that opens in between. Dropped when the track ends.
    snapshots: HashMap<String, Arc<Evidence>>,
}

/// Camera tracks whose latest snapshot is kept at most (a snapshot is ~100–300 KB).
const MAX_SNAPSHOTS: usize = 512;

impl Writer {
    /// A writer that rewrites vessel rows at `row_pace`.
    pub(super) fn new(
        pipeline: Pipeline,
        counters: AisCounters,
        max_vessels: usize,
        row_pace: RowPace,
    ) -> Self {
        Self {
            pipeline,
            counters,
            max_vessels,
            last_eviction: Instant::now(),
            snapshots: HashMap::new(),
            vessel_rows: WriteBehind::new(row_pace),
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
        let engine = self.pipeline.picture.vessels();
        changes.upsert(
            Layer::Vessels,
            vessels
                .iter()
                .filter_map(|m| engine.get(*m)?.to_feature())
                .collect(),
        );
        drop(engine);
        let engine = self.pipeline.picture.vehicles();
        // the position columns only: a dispatcher's edit the picture has not taken yet stays,
        // and a vehicle deleted meanwhile is not brought back
        changes.refresh(
            Layer::Vehicles,
            vehicles
                .into_iter()
                .filter_map(|v| Some(engine.get(v)?.to_feature()))
                .collect(),
            VehicleState::LIVE_COLUMNS,
        );
        changes
    }

    /// Applies the updates, runs the detectors (the time-driven ones at `tick`, a wall-clock
    /// time, when given) and stores what `mode` says: the fixes, the alerts and the object
    /// rows due. Fixes of new vessels beyond the cap are dropped and counted.
    pub(super) async fn write(
        &mut self,
        updates: &[&Update],
        mode: Replay,
        tick: Option<f64>,
    ) -> Result<(), StoreError> {
        let prepared = self.prepare(updates, mode, tick);
        store(prepared, &self.pipeline.alerts).await
    }

    /// Applies the updates to the picture and stores nothing.
    pub(super) fn restore(&mut self, updates: &[&Update]) {
        let nothing = self.prepare(updates, Replay::Restore, None);
        debug_assert!(nothing.is_none());
    }

    /// The first half of [`write`](Self::write): applies the updates and runs the detectors;
    /// returns what is to be stored (nothing when `mode` stores nothing).
    fn prepare(
        &mut self,
        updates: &[&Update],
        mode: Replay,
        tick: Option<f64>,
    ) -> Option<Prepared> {
        let mut events = Vec::new();
        let mut positions = Vec::new();
        let mut over_cap = 0;
        // each changed object once, with whether its row must be written in this batch
        let mut changed_vessels: BTreeMap<Mmsi, bool> = BTreeMap::new();
        let mut changed_vehicles: BTreeSet<String> = BTreeSet::new();
        let mut track_rows = Vec::new();
        // the frame each camera track was last seen in, in this batch
        let mut frames: HashMap<String, (EvidenceFrame, [f32; 4])> = HashMap::new();
        let max_vessels = self.max_vessels;
        let last_eviction = &mut self.last_eviction;
        let snapshots = &mut self.snapshots;
        self.pipeline.picture.apply(|picture| {
            for update in updates {
                match update {
                    Update::Vessel(update) => {
                        let mmsi = update.mmsi();
                        if picture.vessels.get(mmsi).is_none()
                            && picture.vessels.len() >= max_vessels
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
                    Update::Terminal { vehicle_id, report } => {
                        // an unregistered vehicle's terminal says nothing to anyone
                        let _ = picture.terminal(vehicle_id, report, &mut events);
                    }
                    Update::CameraTrack { observation, frame } => {
                        let key = observation.key();
                        if !picture.camera_track(observation.clone(), &mut events) {
                            continue;
                        }
                        if let (Some(frame), Some(bbox)) = (frame, observation.bbox) {
                            frames.insert(key.clone(), (frame.clone(), bbox));
                            if let EvidenceFrame::Snapshot(snapshot) = frame {
                                if snapshots.len() >= MAX_SNAPSHOTS {
                                    snapshots.clear();
                                }
                                snapshots.insert(key.clone(), snapshot.clone());
                            }
                        }
                        // a track's row when it appears, then every few seconds, and at its end
                        if let Some(track) = picture.camera_tracks.get(&key)
                            && track.observations % TRACK_ROW_EVERY == 1
                        {
                            track_rows.extend(track.to_feature());
                        }
                    }
                }
                if mode == Replay::Live {
                    positions.extend(position(update));
                }
            }
            // the data's own clock, or the wall clock while the data is live (newest fix
            // within 5 minutes): a receiver outage must not look like every vessel going dark
            let data = picture.monitor.data_clock();
            let now = match tick {
                Some(wall) if wall - data <= LIVE_DATA_S => wall,
                _ => data,
            };
            picture.monitor.tick(now, &mut events);
            for track in picture.end_camera_tracks(now, &mut events) {
                snapshots.remove(&track.key);
                track_rows.extend(track.to_feature());
            }
            if last_eviction.elapsed() >= EVICT_EVERY {
                *last_eviction = Instant::now();
                let evicted = picture.vessels.evict_silent(data);
                if evicted > 0 {
                    tracing::debug!(evicted, "forgot vessels silent for a track window");
                }
            }
        });
        if over_cap > 0 {
            self.counters.drop("all", "vessel_cap", over_cap);
            tracing::warn!(
                over_cap,
                max_vessels = self.max_vessels,
                "fixes of new vessels dropped: the picture holds ais.max_vessels"
            );
        }
        if mode == Replay::Restore {
            return None;
        }
        let now = Instant::now();
        let vessel_rows = self.vessel_rows.take(changed_vessels, now);
        let mut changes = self.rows(&vessel_rows, &changed_vehicles);
        changes.upsert(Layer::CameraTracks, track_rows);
        changes.positions = positions;
        let pictures = evidence(&events, &frames, &self.snapshots);
        Some(Prepared {
            events,
            changes,
            pictures,
        })
    }

    /// After a failed group: its batches and those of the group `applied` since (which the
    /// rebuilt picture will not hold either) are kept if they came from a feed, refused
    /// otherwise; then the writer recovers.
    async fn fail(
        &mut self,
        applied: Vec<Batch>,
        failure: Failure,
        batches: &mut mpsc::Receiver<Batch>,
        kept: &mut VecDeque<Batch>,
        health: &watch::Sender<Option<String>>,
        counters: &AisCounters,
    ) {
        let Failure { group, error } = failure;
        tracing::error!(%error, "storing updates failed; nothing of them was kept");
        counters.store_failures.inc();
        health.send_replace(Some(error.to_string()));
        for mut batch in group.into_iter().chain(applied) {
            if batch.from_feed && kept.len() < KEEP_BATCHES {
                batch.from_feed = false;
                kept.push_back(batch);
            } else {
                let _ = batch.ack.send(Err(error.clone()));
            }
        }
        self.recover(batches, kept, &error).await;
        health.send_replace(None);
        tracing::info!("the store takes writes again; the picture was rebuilt from it");
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
                        self.vessel_rows.reset();
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

/// What a group stores in its transaction: the detectors' events, the fixes and rows, and the
/// evidence of the episodes opened.
struct Prepared {
    events: Vec<AlertEvent>,
    changes: Changes,
    pictures: HashMap<EpisodeKey, Evidence>,
}

/// Stores what [`Writer::prepare`] made, if anything: folds the events into alerts and
/// stores them with the changes in one transaction.
async fn store(
    prepared: Option<Prepared>,
    alerts: &crate::alerts::Alerts,
) -> Result<(), StoreError> {
    let Some(Prepared {
        events,
        changes,
        pictures,
    }) = prepared
    else {
        return Ok(());
    };
    alerts.commit(events, changes, pictures).await.map(drop)
}

/// The evidence pictures of the camera-track episodes that `events` open: the frame the
/// track was seen in (its box drawn) and its crop; else the track's latest snapshot.
fn evidence(
    events: &[AlertEvent],
    frames: &HashMap<String, (EvidenceFrame, [f32; 4])>,
    snapshots: &HashMap<String, Arc<Evidence>>,
) -> HashMap<EpisodeKey, Evidence> {
    events
        .iter()
        .filter(|e| e.phase == Phase::Open && e.key.subject.kind == SubjectType::CameraTrack)
        .filter_map(|e| {
            let id = &e.key.subject.id;
            let evidence = match frames.get(id) {
                Some((frame, [x, y, w, h])) => frame.evidence(BBox {
                    x: *x,
                    y: *y,
                    w: *w,
                    h: *h,
                }),
                None => Evidence::clone(snapshots.get(id)?),
            };
            Some((e.key.clone(), evidence))
        })
        .collect()
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
        Update::Vessel(VesselUpdate::Static { .. }) | Update::Terminal { .. } => None,
        Update::CameraTrack { observation, .. } => Some(Position {
            kind: SubjectKind::CameraTrack,
            subject_id: observation.key(),
            t_epoch_s: observation.t,
            lon: observation.position[0],
            lat: observation.position[1],
            speed_mps: None,
            course_deg: None,
            heading_deg: None,
        }),
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
