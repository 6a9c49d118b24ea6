//! The events stream: every alert and case change of the cluster, numbered once.
//!
//! The node that changes an alert or a case (the leading core for what the detectors raise,
//! any node for a dispatcher's action) publishes the change on `coastwatch.events` after
//! storing it ([`publish_events`]); every node's [`AlertFeed`] takes the stream back
//! ([`follow_events`]) and gives each event the stream's sequence as its number. So an SSE or
//! WebSocket client that reconnects to another API node with its `Last-Event-ID` resumes
//! where it was, without a gap and without an event twice. The stream keeps what a feed
//! keeps (100,000 events, 64 MiB); a change published twice (the same bytes within two
//! minutes) is stored once.

use std::sync::Arc;

use async_nats::jetstream::{consumer, stream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{Again, Cluster, ClusterError, DUPLICATE_WINDOW, fnv1a, jetstream_error};
use crate::alerts::{AlertFeed, AlertMessage};

/// The stream of alert and case changes.
pub const EVENTS_STREAM: &str = "COASTWATCH_EVENTS";
/// Its one subject.
const EVENTS_SUBJECT: &str = "coastwatch.events";
/// Events the stream keeps (as many as a feed keeps for resuming clients).
const KEEP_EVENTS: i64 = 100_000;
/// Bytes the stream keeps.
const KEEP_BYTES: i64 = 64 << 20;
/// Changes waiting to be published at most; beyond, live events are dropped (and logged).
pub const OUTGOING_EVENTS: usize = 4096;

impl Cluster {
    /// The events stream, created when missing.
    pub(super) async fn events(&self) -> Result<stream::Stream, ClusterError> {
        self.js
            .get_or_create_stream(stream::Config {
                name: EVENTS_STREAM.into(),
                subjects: vec![EVENTS_SUBJECT.into()],
                num_replicas: self.config.replicas,
                duplicate_window: DUPLICATE_WINDOW,
                max_messages: KEEP_EVENTS,
                max_bytes: KEEP_BYTES,
                storage: stream::StorageType::File,
                discard: stream::DiscardPolicy::Old,
                ..Default::default()
            })
            .await
            .map_err(jetstream_error)
    }
}

/// Publishes the changes of `outgoing` on the events stream, in order, each until it is
/// acknowledged. Its id is a hash of its bytes: a change sent again is stored once.
pub async fn publish_events(cluster: Cluster, mut outgoing: mpsc::Receiver<AlertMessage>) {
    while let Some(message) = outgoing.recv().await {
        let mut payload = Vec::new();
        ciborium::into_writer(&message, &mut payload).expect("events encode");
        let id = format!("{:016x}", fnv1a(&payload));
        // publish_one tries until JetStream has it
        let _ = cluster
            .publish_one(EVENTS_SUBJECT.into(), id, payload)
            .await;
    }
}

/// Feeds `feed` from the events stream, for ever: every kept event at start, then each new
/// one, numbered by the stream. A consumer that fails starts again after the last event
/// received.
pub async fn follow_events(cluster: Cluster, feed: Arc<AlertFeed>) {
    let mut again = Again::default();
    loop {
        again.after("events", follow(&cluster, &feed).await).await;
    }
}

async fn follow(cluster: &Cluster, feed: &AlertFeed) -> Result<(), ClusterError> {
    let start = consumer::DeliverPolicy::ByStartSequence {
        start_sequence: feed.next_seq(),
    };
    let mut messages = cluster
        .ordered(cluster.events().await?, String::new(), start)
        .await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        let seq = message.info().map_err(jetstream_error)?.stream_sequence;
        match ciborium::from_reader::<AlertMessage, _>(message.payload.as_ref()) {
            Ok(event) => feed.receive(seq, event),
            Err(error) => tracing::error!(%error, seq, "undecodable event skipped"),
        }
    }
    Ok(())
}
