//! coastwatch as a cluster over NATS JetStream. The one binary takes a role
//! (`[cluster] role`): `ingest` nodes take the feeds and put their decoded updates on the
//! fixes stream; `vision` nodes run the cameras they hold the lease of and put their tracks
//! there too; the `core` node that holds the core lease takes the stream into the engines,
//! the detectors, the alert book and the store; `api` nodes serve the map, the layers and the
//! alert events, keeping their picture current from the fixes stream.
//!
//! - **The fixes stream** `COASTWATCH_FIXES` holds subjects `coastwatch.fixes.<n>`, one per
//!   partition; an object's updates (a vessel by MMSI, a vehicle or camera track by its id)
//!   always go to the same partition, so their order is kept. Each message is a CBOR array of
//!   [`Update`]s (floats bit for bit) with a `Nats-Msg-Id` of the node, its boot and a
//!   sequence number: a publish retried after a lost acknowledgement is stored once (the
//!   stream's duplicate window is two minutes).
//! - **Ingest** ([`forward_batches`]): a feed's batch is acknowledged (HTTP 2xx, a JT/T 808
//!   answer, TCP reading on) only once JetStream has acknowledged every message of it. While
//!   NATS cannot take them, the node reports itself unavailable (HTTP 503, streaming feeds stop
//!   reading) and probes until it can, exactly as the single process does for its store.
//! - **Leases** (`lease.rs`): the core lease decides which core consumes; camera leases which
//!   vision node runs each camera.
//! - **Core** ([`consume`]): one durable pull consumer per partition (`core-<n>`, explicit
//!   acknowledgements) feeds the messages, in order, to the one writer and acknowledges each
//!   once its updates are stored. A core that dies leaves its unacknowledged messages to be
//!   delivered again (after `ack_wait_s`) to whichever core takes the consumer next; fixes
//!   already stored are skipped by the store (one row per time and subject), and episodes
//!   already stored are not raised again, so nothing is stored or raised twice. The leader
//!   also applies the dispatchers' actions and the tips taken on any node (`actions.rs`).
//! - **Events** (`events.rs`): alert and case changes cross the events stream, which numbers
//!   them for every node's SSE and WebSocket clients.
//! - **Layer changes** (`layers.rs`): a write to a layer on one node reloads it on the others.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::config::ClusterConfig;
use crate::ingest::{Ingest, IngestError, Stored, Update};

mod actions;
mod events;
mod layers;
mod lease;
mod webhooks;

pub use events::{OUTGOING_EVENTS, follow_events, publish_events};
pub use layers::follow_layers;
pub use lease::{lead, run_cameras};
pub use webhooks::deliver_webhooks;

/// The stream of the feeds' updates.
pub const FIXES_STREAM: &str = "COASTWATCH_FIXES";
/// Subjects of the fixes stream: this, a dot, the partition.
pub const FIXES_SUBJECT: &str = "coastwatch.fixes";
/// A re-sent message id within this window is stored once.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// A publish not acknowledged within this is tried again (with the same id).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// A batch whose messages are not all acknowledged within this fails (HTTP 503).
const BATCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait between two probes of an unreachable NATS.
const MAX_PROBE_WAIT: Duration = Duration::from_secs(5);
/// A pull request of a consumer expires after this, with an idle heartbeat at half of it: a
/// consumer whose NATS server died notices within about this and starts again.
const PULL_EXPIRES: Duration = Duration::from_secs(2);
/// An API node follows the fixes stream from this long before it read its picture (s).
const FOLLOW_OVERLAP_S: f64 = 10.0;
/// Largest message the fixes stream takes (a batch of a few thousand updates).
const MAX_MESSAGE_BYTES: i32 = 4 << 20;
/// Why the cluster cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// NATS cannot be reached.
    #[error("NATS {url}: {reason}")]
    Connect {
        /// The servers given.
        url: String,
        /// Why.
        reason: String,
    },
    /// JetStream refused or failed a request.
    #[error("JetStream: {0}")]
    JetStream(String),
}

fn jetstream_error(error: impl std::fmt::Display) -> ClusterError {
    ClusterError::JetStream(error.to_string())
}

/// This node's connection to the cluster: the fixes stream it publishes to or consumes,
/// the leases, the events.
#[derive(Clone)]
pub struct Cluster {
    js: jetstream::Context,
    config: ClusterConfig,
    /// `<node>.<boot µs>`: what message ids start with.
    origin: String,
    next: std::sync::Arc<AtomicU64>,
    /// Counts the connections to NATS: a consumer whose server went away starts again on
    /// the next one (its pull requests died with the server).
    connections: watch::Receiver<u64>,
}

impl Cluster {
    /// Connects to NATS and creates the fixes stream if it does not exist.
    ///
    /// # Errors
    /// [`ClusterError`] when NATS cannot be reached or JetStream refuses the stream.
    pub async fn connect(config: &ClusterConfig) -> Result<Self, ClusterError> {
        let url = config.nats.clone().unwrap_or_default();
        let servers = url
            .split(',')
            .map(|server| server.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ClusterError::Connect {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let (connected, connections) = watch::channel(0);
        let client = async_nats::ConnectOptions::new()
            .event_callback(move |event| {
                if matches!(event, async_nats::Event::Connected) {
                    connected.send_modify(|n| *n += 1);
                }
                std::future::ready(())
            })
            .name("coastwatch")
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(servers);
        let client = tokio::time::timeout(Duration::from_secs(15), client)
            .await
            .map_err(|_| ClusterError::Connect {
                url: url.clone(),
                reason: "no answer within 15 s".into(),
            })?
            .map_err(|e| ClusterError::Connect {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let js = jetstream::new(client);
        let cluster = Self {
            js,
            config: config.clone(),
            origin: format!(
                "{}.{}",
                config.node.clone().unwrap_or_else(host_name),
                (crate::clock::now_epoch_s() * 1e6) as u64
            ),
            next: Default::default(),
            connections,
        };
        // a NATS cluster that has just started elects its JetStream leader first
        let ready = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match cluster.stream().await {
                Ok(_) => return Ok(cluster),
                Err(error) if tokio::time::Instant::now() >= ready => return Err(error),
                Err(error) => tracing::info!(%error, "JetStream not ready; again"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The stream, created with this node's settings when it does not exist yet.
    async fn stream(&self) -> Result<stream::Stream, ClusterError> {
        self.js
            .get_or_create_stream(stream::Config {
                name: FIXES_STREAM.into(),
                subjects: vec![format!("{FIXES_SUBJECT}.*")],
                num_replicas: self.config.replicas,
                duplicate_window: DUPLICATE_WINDOW,
                max_bytes: self.config.max_stream_bytes,
                max_message_size: MAX_MESSAGE_BYTES,
                storage: stream::StorageType::File,
                discard: stream::DiscardPolicy::Old,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                ClusterError::JetStream(format!(
                    "stream {FIXES_STREAM} (cluster.max_stream_bytes = {}, replicas = {}): {e}",
                    self.config.max_stream_bytes, self.config.replicas
                ))
            })
    }

    /// Publishes `updates`, one message per partition they touch, and waits until JetStream
    /// has acknowledged each (a message is published again with its id until it is).
    ///
    /// # Errors
    /// [`ClusterError`] when a message is not acknowledged within [`BATCH_TIMEOUT`].
    pub async fn publish(&self, updates: &[Update]) -> Result<(), ClusterError> {
        let partitions = self.config.partitions.max(1);
        let mut parts: Vec<Vec<&Update>> = vec![Vec::new(); partitions as usize];
        for update in updates {
            parts[partition(update, partitions) as usize].push(update);
        }
        let publishing = parts
            .into_iter()
            .enumerate()
            .filter(|(_, part)| !part.is_empty())
            .map(|(p, part)| {
                let mut payload = Vec::new();
                ciborium::into_writer(&part, &mut payload).expect("updates encode");
                let id = format!(
                    "{}.{}",
                    self.origin,
                    self.next.fetch_add(1, Ordering::Relaxed)
                );
                self.publish_one(format!("{FIXES_SUBJECT}.{p}"), id, payload)
            });
        let all = futures_util::future::try_join_all(publishing);
        tokio::time::timeout(BATCH_TIMEOUT, all)
            .await
            .map_err(|_| ClusterError::JetStream("no acknowledgement within 30 s".into()))?
            .map(drop)
    }

    /// Publishes one message until JetStream acknowledges it.
    async fn publish_one(
        &self,
        subject: String,
        id: String,
        payload: Vec<u8>,
    ) -> Result<(), ClusterError> {
        let payload = bytes::Bytes::from(payload);
        let mut wait = Duration::from_millis(100);
        loop {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, id.as_str());
            let acked = async {
                self.js
                    .publish_with_headers(subject.clone(), headers, payload.clone())
                    .await
                    .map_err(jetstream_error)?
                    .await
                    .map_err(jetstream_error)
            };
            match tokio::time::timeout(PUBLISH_TIMEOUT, acked).await {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(error)) => tracing::warn!(%error, %id, "publish not acknowledged; again"),
                Err(_) => tracing::warn!(%id, "publish not acknowledged in time; again"),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_PROBE_WAIT);
        }
    }

    /// `messages`, their errors as [`ClusterError`]s, until this node connects to NATS again:
    /// then the stream ends and its consumer starts again (its pull requests died with the
    /// server it was on).
    fn until_reconnected<S, E>(
        &self,
        messages: S,
    ) -> impl futures_util::Stream<Item = Result<jetstream::Message, ClusterError>> + Unpin + use<S, E>
    where
        S: futures_util::Stream<Item = Result<jetstream::Message, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut connections = self.connections.clone();
        connections.mark_unchanged();
        let reconnected = async move {
            let _ = connections.changed().await;
        };
        messages
            .take_until(Box::pin(reconnected))
            .map(|message| message.map_err(jetstream_error))
    }

    /// The messages of `stream`'s durable pull consumer `config` (created when missing), until
    /// this node connects to NATS again.
    async fn pull(
        &self,
        stream: stream::Stream,
        config: consumer::pull::Config,
    ) -> Result<
        impl futures_util::Stream<Item = Result<jetstream::Message, ClusterError>> + Unpin + use<>,
        ClusterError,
    > {
        let name = config.durable_name.clone().unwrap_or_default();
        let messages = stream
            .get_or_create_consumer(&name, config)
            .await
            .map_err(jetstream_error)?
            .stream()
            .expires(PULL_EXPIRES)
            .heartbeat(PULL_EXPIRES / 2)
            .messages()
            .await
            .map_err(jetstream_error)?;
        Ok(self.until_reconnected(messages))
    }

    /// The messages of `stream` (those of `filter`, all when empty) from `start` on, in
    /// order, through an ordered consumer, until this node reconnects to NATS.
    async fn ordered(
        &self,
        stream: stream::Stream,
        filter: String,
        start: consumer::DeliverPolicy,
    ) -> Result<
        impl futures_util::Stream<Item = Result<jetstream::Message, ClusterError>> + Unpin + use<>,
        ClusterError,
    > {
        let messages = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: filter,
                deliver_policy: start,
                max_expires: PULL_EXPIRES,
                ..Default::default()
            })
            .await
            .map_err(jetstream_error)?
            .messages()
            .await
            .map_err(jetstream_error)?;
        Ok(self.until_reconnected(messages))
    }

    /// Waits until JetStream answers again.
    async fn reachable(&self) {
        let mut wait = Duration::from_millis(100);
        while let Err(error) = self.js.query_account().await {
            tracing::debug!(%error, "JetStream still unreachable");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_PROBE_WAIT);
        }
    }
}

/// The partition of an update: by MMSI, vehicle or camera (a camera's tracks stay together).
pub fn partition(update: &Update, partitions: u32) -> u32 {
    let key = match update {
        Update::Vessel(update) => return update.mmsi().get() % partitions,
        Update::CameraTrack { observation, .. } => {
            return (observation.camera_id.get().unsigned_abs() % u64::from(partitions)) as u32;
        }
        Update::Vehicle { vehicle_id, .. } | Update::Terminal { vehicle_id, .. } => vehicle_id,
    };
    (fnv1a(key.as_bytes()) % u64::from(partitions)) as u32
}

/// A consumer's start at the first message stored at or after `epoch_s`.
fn from_time(epoch_s: f64) -> Result<consumer::DeliverPolicy, ClusterError> {
    let start_time = time::OffsetDateTime::from_unix_timestamp_nanos((epoch_s * 1e9) as i128)
        .map_err(jetstream_error)?;
    Ok(consumer::DeliverPolicy::ByStartTime { start_time })
}

/// FNV-1a: a hash that is the same in every process and release.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "coastwatch".into())
}

/// The ingest node's writer: publishes each batch and acknowledges it once the stream has
/// it. After a failure the node is unavailable until JetStream answers again.
pub(crate) async fn forward_batches(
    cluster: Cluster,
    mut batches: mpsc::Receiver<crate::ingest::Batch>,
    health: watch::Sender<Option<String>>,
) {
    while let Some(batch) = batches.recv().await {
        let (updates, ack) = batch.into_parts();
        if updates.is_empty() {
            let _ = ack.send(Ok(()));
            continue;
        }
        match cluster.publish(&updates).await {
            Ok(()) => {
                let _ = ack.send(Ok(()));
            }
            Err(error) => {
                tracing::error!(%error, "updates not published; waiting for JetStream");
                let reason = error.to_string();
                health.send_replace(Some(reason.clone()));
                let _ = ack.send(Err(IngestError::Unavailable(reason)));
                cluster.reachable().await;
                health.send_replace(None);
                tracing::info!("JetStream answers again");
            }
        }
    }
}

/// How long a consumer waits before it starts again: not at all after it ended (its NATS
/// server went away), 0.1 s doubling to 5 s while it fails.
#[derive(Default)]
struct Again(Duration);

impl Again {
    /// Waits as the consumer `what` that ended with `result` should before it starts again.
    async fn after(&mut self, what: &str, result: Result<(), ClusterError>) {
        self.0 = match result {
            Ok(()) => Duration::ZERO,
            Err(error) => {
                tracing::warn!(%error, what, "consumer stopped; again");
                (self.0 * 2).clamp(Duration::from_millis(100), MAX_PROBE_WAIT)
            }
        };
        tokio::time::sleep(self.0).await;
    }
}

/// Takes every partition of the fixes stream into `ingest` until dropped.
pub async fn consume(cluster: Cluster, ingest: Ingest) {
    let partitions = cluster.config.partitions.max(1);
    let consumers = (0..partitions).map(|p| {
        let (cluster, ingest) = (&cluster, &ingest);
        async move {
            let mut again = Again::default();
            loop {
                again
                    .after("fixes", consume_partition(cluster, ingest, p).await)
                    .await;
            }
        }
    });
    futures_util::future::join_all(consumers).await;
}

/// An API node: keeps `ingest`'s picture current with every partition of the fixes stream,
/// storing nothing, for ever. It starts a few seconds before the picture was read from the
/// store, so that nothing stored meanwhile is missed (fixes already held are skipped).
pub async fn follow_fixes(cluster: Cluster, ingest: Ingest) {
    let mut follower = ingest.follower();
    let mut since = crate::clock::wall_epoch_s() - FOLLOW_OVERLAP_S;
    let mut again = Again::default();
    loop {
        let followed = follow_from(&cluster, &mut follower, &mut since).await;
        again.after("fixes follower", followed).await;
    }
}

/// Applies the fixes stream's messages from time `since` on (moved on as they come).
async fn follow_from(
    cluster: &Cluster,
    follower: &mut crate::ingest::Follower,
    since: &mut f64,
) -> Result<(), ClusterError> {
    let start = from_time(*since)?;
    let stream = cluster.stream().await?;
    let filter = format!("{FIXES_SUBJECT}.*");
    let mut messages = cluster.ordered(stream, filter, start).await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        if let Ok(updates) = ciborium::from_reader::<Vec<Update>, _>(message.payload.as_ref()) {
            follower.apply(&updates);
        }
        if let Ok(info) = message.info() {
            *since = info.published.unix_timestamp_nanos() as f64 / 1e9;
        }
    }
    Ok(())
}

/// Feeds partition `p` to the writer in order, acknowledging each message once stored.
async fn consume_partition(cluster: &Cluster, ingest: &Ingest, p: u32) -> Result<(), ClusterError> {
    let config = &cluster.config;
    let consumer = consumer::pull::Config {
        durable_name: Some(format!("core-{p}")),
        filter_subject: format!("{FIXES_SUBJECT}.{p}"),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(config.ack_wait_s),
        max_ack_pending: config.max_ack_pending,
        ..Default::default()
    };
    let mut messages = cluster.pull(cluster.stream().await?, consumer).await?;
    // messages whose updates wait to be stored, acknowledged in order by the acker
    let (stored_tx, mut stored_rx) =
        mpsc::channel::<(jetstream::Message, Stored)>(config.max_ack_pending as usize);
    let acker = tokio::spawn(async move {
        while let Some((message, stored)) = stored_rx.recv().await {
            match stored.await {
                Ok(Ok(())) => {
                    if let Err(error) = message.ack().await {
                        tracing::warn!(%error, "acknowledgement lost; JetStream delivers again");
                    }
                }
                // not stored: delivered again after ack_wait
                Ok(Err(error)) => tracing::warn!(%error, "stream updates not stored"),
                Err(_) => tracing::warn!("writer gone before the updates were stored"),
            }
        }
    });
    let result = async {
        while let Some(message) = messages.next().await {
            let message = message?;
            let updates: Vec<Update> = match ciborium::from_reader(message.payload.as_ref()) {
                Ok(updates) => updates,
                Err(error) => {
                    tracing::error!(%error, subject = %message.subject, "undecodable message dropped");
                    let _ = message.ack_with(jetstream::AckKind::Term).await;
                    continue;
                }
            };
            let stored = ingest
                .enqueue_from_stream(updates)
                .await
                .map_err(|e| ClusterError::JetStream(format!("writer: {e}")))?;
            if stored_tx.send((message, stored)).await.is_err() {
                break;
            }
        }
        Ok(())
    }
    .await;
    drop(stored_tx);
    let _ = acker.await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use coastwatch_core::engine::{Fix, VesselUpdate};
    use coastwatch_core::model::Mmsi;

    fn fix(mmsi: u32) -> Update {
        Update::Vessel(VesselUpdate::Position {
            mmsi: Mmsi::try_from(i64::from(mmsi)).unwrap(),
            fix: Fix {
                t_epoch_s: 1.0e9 + 0.1,
                lon: 121.123_456_789_012_3,
                lat: 29.9,
                sog_kn: Some(0.1 + 0.2),
                cog_deg: None,
                heading_deg: None,
                nav_status: Some(5),
            },
        })
    }

    #[test]
    fn updates_cross_as_cbor_bit_for_bit() {
        let updates = vec![
            fix(412_000_001),
            Update::Vehicle {
                vehicle_id: "浙B12345".into(),
                sample: coastwatch_core::alerting::Sample {
                    t: 1.0e9,
                    lon: 121.5,
                    lat: 29.8,
                    speed_mps: Some(13.7),
                },
                heading_deg: Some(90.0),
            },
        ];
        let mut bytes = Vec::new();
        ciborium::into_writer(&updates, &mut bytes).unwrap();
        let back: Vec<Update> = ciborium::from_reader(bytes.as_slice()).unwrap();
        assert_eq!(back, updates);
    }

    #[test]
    fn a_camera_track_crosses_with_its_snapshot_and_without_its_frame() {
        use crate::ingest::EvidenceFrame;
        use coastwatch_core::engine::CameraObservation;
        use coastwatch_vision::snapshot::Evidence;
        use std::sync::Arc;
        let track = |frame| Update::CameraTrack {
            observation: CameraObservation {
                camera_id: coastwatch_core::model::FeatureId::try_from(3).unwrap(),
                track_id: "1700000000-7".into(),
                class: coastwatch_core::model::TrackClass::Vessel,
                t: 1.0e9,
                camera: [121.6, 29.6],
                position: [121.61, 29.62],
                range_m: 2200.0,
                bearing_deg: 12.5,
                range_sigma_m: 80.0,
                range_nearer_m: 2100.0,
                range_farther_m: 2300.0,
                bearing_sigma_deg: 0.3,
                score: 0.8,
                bbox: Some([10.0, 20.0, 30.0, 12.0]),
                reading: None,
            },
            frame,
        };
        let roundtrip = |update: &Update| {
            let mut bytes = Vec::new();
            ciborium::into_writer(&[update], &mut bytes).unwrap();
            let back: Vec<Update> = ciborium::from_reader(bytes.as_slice()).unwrap();
            (back.into_iter().next().unwrap(), bytes.len())
        };
        let snapshot = Evidence {
            frame_jpeg: vec![0xff, 0xd8, 1, 2, 3, 0xff, 0xd9],
            crop_jpeg: vec![0xff, 0xd8, 4, 0xff, 0xd9],
        };
        let sent = track(Some(EvidenceFrame::Snapshot(Arc::new(snapshot))));
        let (back, size) = roundtrip(&sent);
        assert_eq!(back, sent, "the snapshot's bytes arrive");
        let (_, without) = roundtrip(&track(None));
        assert!(
            size <= without + 16,
            "bytes as byte strings: {size} vs {without}"
        );
        let frame = coastwatch_vision::Frame {
            index: 0,
            t: jiff::Timestamp::UNIX_EPOCH,
            width: 2,
            height: 2,
            rgb: vec![0; 12],
        };
        let raw = track(Some(EvidenceFrame::Frame(Arc::new(frame))));
        assert_eq!(roundtrip(&raw).0, track(None), "a raw frame does not cross");
    }

    #[test]
    fn an_object_keeps_its_partition() {
        assert_eq!(partition(&fix(412_000_001), 4), 412_000_001 % 4);
        let vehicle = |id: &str| Update::Terminal {
            vehicle_id: id.into(),
            report: coastwatch_core::alerting::TerminalReport {
                t: 0.0,
                positioned: None,
                alarms: None,
            },
        };
        // the same in every process: FNV-1a of the id's bytes
        assert_eq!(partition(&vehicle("truck-7"), 1), 0);
        let spread: std::collections::BTreeSet<u32> = (0..64)
            .map(|i| partition(&vehicle(&format!("truck-{i}")), 4))
            .collect();
        assert_eq!(spread.len(), 4, "vehicles spread over the partitions");
        assert_eq!(
            partition(&vehicle("truck-7"), 4),
            partition(&vehicle("truck-7"), 4)
        );
    }
}
