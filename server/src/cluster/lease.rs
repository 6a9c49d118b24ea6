//! Leases: who of the nodes does a job only one may do at a time — the core that consumes the
//! fixes stream, and the vision node that runs each camera.
//!
//! A lease is the last message on its subject in the stream `COASTWATCH_LEASES`, written with
//! JetStream's compare-and-set (`Nats-Expected-Last-Subject-Sequence`: 0 to take a free lease,
//! the holder's own last sequence to renew it, as JetStream's key-value buckets do). Its holder
//! renews it every third of `lease_s`; one not renewed for `lease_s` expires (the stream's age
//! limit) and whoever tries next takes it. A holder that has not renewed for `lease_s` stops
//! the job, so two holders overlap at most while one is paused.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::stream;
use futures_util::TryStreamExt;
use tokio::time::Instant;

use super::actions::answer_actions;
use super::{Cluster, ClusterError, DUPLICATE_WINDOW, fnv1a, jetstream_error};
use crate::cameras::Cameras;
use crate::state::AppState;

/// The stream of the cluster's leases.
pub const LEASES_STREAM: &str = "COASTWATCH_LEASES";
/// The lease of the core that consumes the fixes stream.
pub const CORE_LEASE: &str = "coastwatch.lease.core";
/// Vision nodes say they are alive on `<this>.<node>` (expiring like a lease).
const WORKERS: &str = "coastwatch.lease.worker";
/// A camera's lease is `<this>.<its id>`.
const CAMERAS: &str = "coastwatch.lease.camera";
/// A lease write not acknowledged within this (or a third of `lease_s`, if shorter) failed:
/// a holder's beat keeps its rhythm while NATS elects new leaders.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

impl Cluster {
    /// How long a lease lasts unrenewed, and how often it is renewed (a third of that).
    fn lease_times(&self) -> (Duration, Duration) {
        let lease = Duration::from_secs(self.config.lease_s);
        (lease, lease / 3)
    }

    /// The leases' stream, created when missing: a lease not renewed for `lease_s` expires.
    async fn leases(&self) -> Result<stream::Stream, ClusterError> {
        self.js
            .get_or_create_stream(stream::Config {
                name: LEASES_STREAM.into(),
                subjects: vec!["coastwatch.lease.>".into()],
                max_messages_per_subject: 1,
                max_age: Duration::from_secs(self.config.lease_s),
                num_replicas: self.config.replicas,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(jetstream_error)
    }

    /// Waits until the leases' stream exists.
    async fn leases_ready(&self) -> stream::Stream {
        loop {
            match self.leases().await {
                Ok(stream) => return stream,
                Err(error) => tracing::warn!(%error, "no leases stream yet"),
            }
            tokio::time::sleep(self.lease_times().1).await;
        }
    }

    /// Writes lease `subject` if its last message has sequence `last` (0: it is free; `None`:
    /// whatever it holds): the new sequence, or an error when someone else holds it.
    async fn write_lease(&self, subject: &str, last: Option<u64>) -> Result<u64, ClusterError> {
        let mut headers = async_nats::HeaderMap::new();
        if let Some(last) = last {
            headers.insert(
                async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
                last.to_string().as_str(),
            );
        }
        let holder = bytes::Bytes::from(self.origin.clone());
        let written = async {
            self.js
                .publish_with_headers(subject.to_owned(), headers, holder)
                .await
                .map_err(jetstream_error)?
                .await
                .map_err(jetstream_error)
        };
        tokio::time::timeout(WRITE_TIMEOUT.min(self.lease_times().1), written)
            .await
            .map_err(|_| ClusterError::JetStream("lease not written in time".into()))?
            .map(|ack| ack.sequence)
    }
}

/// Seconds back a new leader publishes the stored alert changes again: half the events
/// stream's duplicate window, so that a change its predecessor did publish is still known
/// there and kept once.
const REPUBLISH_S: i64 = DUPLICATE_WINDOW.as_secs() as i64 / 2;

/// A core node: waits for the core lease (standby), publishes again the alerts changed in the
/// last [`REPUBLISH_S`], then consumes the fixes stream and answers the dispatchers' actions
/// while it renews the lease; after losing it, stands by again. For ever.
pub async fn lead(cluster: Cluster, state: AppState) {
    let (ingest, alerts) = (&state.ingest, &state.alerts);
    let (lease, beat) = cluster.lease_times();
    cluster.leases_ready().await;
    let mut fresh = true; // the picture was built from the store just now, at start
    loop {
        let mut revision = match cluster.write_lease(CORE_LEASE, Some(0)).await {
            Ok(revision) => revision,
            Err(_) => {
                if fresh {
                    tracing::info!("standby: another core holds the lease");
                }
                fresh = false;
                tokio::time::sleep(beat).await;
                continue;
            }
        };
        if !fresh {
            tracing::info!("the core lease is ours: rebuilding from the store");
            if let Err(error) = ingest.rebuild().await {
                // the lease expires unrenewed; whoever takes it next tries
                tracing::error!(%error, "rebuild failed; leaving the lease");
                tokio::time::sleep(lease).await;
                continue;
            }
        }
        // what the last leader stored just before it died may never have been published
        let since = crate::clock::now_epoch_s() as i64 - REPUBLISH_S;
        match alerts.publish_stored_since(since).await {
            Ok(n) => tracing::info!(n, "the alerts changed in the last minute published again"),
            Err(error) => tracing::warn!(%error, "recent alerts not published again"),
        }
        tracing::info!(node = %cluster.origin, "leading: consuming the fixes stream");
        ingest.counters.leading.set(1);
        let consuming = tokio::spawn(super::consume(cluster.clone(), ingest.clone()));
        let answering = tokio::spawn(answer_actions(cluster.clone(), state.clone()));
        let mut renewed = Instant::now();
        while renewed.elapsed() < lease {
            tokio::time::sleep(beat).await;
            match cluster.write_lease(CORE_LEASE, Some(revision)).await {
                Ok(next) => {
                    revision = next;
                    renewed = Instant::now();
                }
                Err(error) => tracing::warn!(%error, "core lease not renewed"),
            }
        }
        tracing::error!("core lease lost: consuming stops");
        consuming.abort();
        answering.abort();
        ingest.counters.leading.set(0);
        fresh = false;
    }
}

/// A camera this vision node holds: its lease's last sequence and when it was renewed.
struct Held {
    revision: u64,
    renewed: Instant,
}

/// A vision node: says every beat that it is alive, holds the leases of its fair share of
/// the configured cameras (their number over the living vision nodes, rounded up) and runs
/// those. It takes free leases up to its share, gives back those above it (so that a node
/// that joins gets cameras), and halts a camera whose lease it could not renew for
/// `lease_s`. A dead node's cameras are therefore run elsewhere within about `lease_s` plus a
/// third of it. For ever.
pub async fn run_cameras(cluster: Cluster, cameras: Cameras) {
    let (lease, beat) = cluster.lease_times();
    let ids = cameras.configured();
    if ids.is_empty() {
        return;
    }
    let leases = cluster.leases_ready().await;
    let me = format!("{WORKERS}.{}", token(&cluster.origin));
    // nodes start looking at different cameras, so that they do not all race for the first
    let first = (fnv1a(cluster.origin.as_bytes()) % ids.len() as u64) as usize;
    let order: Vec<&String> = ids.iter().cycle().skip(first).take(ids.len()).collect();
    let mut held: BTreeMap<String, Held> = BTreeMap::new();
    let mut workers = 1;
    loop {
        if let Err(error) = cluster.write_lease(&me, None).await {
            tracing::warn!(%error, "vision node's heartbeat not written");
        }
        // while NATS cannot say (a server just died), the last count holds
        if let Ok(Some(count)) = tokio::time::timeout(beat, living(&leases)).await {
            workers = count.max(1);
        }
        let share = ids.len().div_ceil(workers);
        for (id, camera) in &mut held {
            if let Ok(next) = cluster
                .write_lease(&camera_lease(id), Some(camera.revision))
                .await
            {
                (camera.revision, camera.renewed) = (next, Instant::now());
            }
        }
        held.retain(|id, camera| {
            let kept = camera.renewed.elapsed() < lease;
            if !kept {
                tracing::warn!(camera = %id, "camera lease not renewed: halting it");
                cameras.halt(id);
            }
            kept
        });
        while held.len() > share {
            let Some((id, _)) = held.pop_last() else {
                break;
            };
            tracing::info!(camera = %id, workers, "giving the camera's lease back");
            cameras.halt(&id);
            let purged = leases.purge().filter(camera_lease(&id)).await;
            if let Err(error) = purged {
                tracing::warn!(%error, camera = %id, "lease not given back; it expires");
            }
        }
        for id in &order {
            if held.len() >= share {
                break;
            }
            if held.contains_key(*id) {
                continue;
            }
            if let Ok(revision) = cluster.write_lease(&camera_lease(id), Some(0)).await {
                tracing::info!(camera = %id, "camera leased: running it");
                let renewed = Instant::now();
                held.insert((*id).clone(), Held { revision, renewed });
            }
        }
        // a camera taken back while its last run was still finishing starts on a later beat
        for id in held.keys() {
            cameras.run(id);
        }
        tokio::time::sleep(beat).await;
    }
}

/// How many vision nodes said they are alive within `lease_s` (at least this one, once its
/// heartbeat is written); `None` when the stream cannot say.
async fn living(leases: &stream::Stream) -> Option<usize> {
    let counted = async {
        let subjects = leases.info_with_subjects(format!("{WORKERS}.*")).await?;
        subjects.try_fold(0, |n, _| async move { Ok(n + 1) }).await
    };
    counted
        .await
        .inspect_err(|error| tracing::warn!(%error, "living vision nodes not counted"))
        .ok()
}

/// The lease subject of camera `id`: its id made a subject token, and a hash that keeps ids
/// that differ only in other characters apart.
fn camera_lease(id: &str) -> String {
    format!(
        "{CAMERAS}.{}-{:08x}",
        token(id),
        fnv1a(id.as_bytes()) as u32
    )
}

/// `text` as one subject token: letters, digits, `-` and `_` kept, the rest `_`.
fn token(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_ids_become_distinct_subject_tokens() {
        assert_eq!(token("dock 1.北"), "dock_1__");
        let a = camera_lease("dock 1");
        let b = camera_lease("dock.1");
        assert_ne!(a, b, "ids differing in a replaced character stay apart");
        assert!(a.starts_with("coastwatch.lease.camera.dock_1-"), "{a}");
        assert_eq!(a.matches('.').count(), 3, "{a}");
    }
}
