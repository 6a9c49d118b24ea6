//! Webhooks in a cluster: delivered from the events stream, not from a node's outbox file.
//!
//! The single process keeps each webhook's outbox in a file written ahead of the store
//! ([`crate::webhooks`]). In a cluster the alert changes are already in a replicated stream,
//! numbered once (`COASTWATCH_EVENTS`), so each webhook is a durable consumer of it
//! (`webhook-<hash of its URL>`, the outbox file's name) that takes one change at a time:
//! every node configured with the webhook pulls from that consumer, the change goes to one of
//! them, and it is acknowledged once answered 2xx or given up. A node that dies while
//! delivering leaves the change unacknowledged, and JetStream gives it to another node after
//! `ack_wait_s`; while attempts go on, the node tells JetStream it is still working on it. So
//! a change is delivered at least once, in order, by whichever node lives, with the same
//! `event_id` an SSE client sees; the consumer starts at the changes that come after it was
//! first created.

use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use serde_json::Value;

use super::{Again, Cluster, ClusterError, jetstream_error};
use crate::alerts::{AlertMessage, Topic};
use crate::config::WebhookConfig;
use crate::webhooks::{Entry, deliver, names, wants};

/// Delivers every webhook of `hooks` from the events stream, for ever.
pub async fn deliver_webhooks(cluster: Cluster, hooks: Vec<WebhookConfig>) {
    let names = names(&hooks);
    let deliveries = hooks.into_iter().zip(names).map(|(hook, name)| {
        let cluster = &cluster;
        async move {
            let client = match crate::webhooks::client(&hook) {
                Ok(client) => client,
                Err(error) => return tracing::error!(%error, url = %hook.url, "webhook off"),
            };
            let mut again = Again::default();
            loop {
                let delivered = deliver_from_stream(cluster, &hook, &client, &name).await;
                again.after(&name, delivered).await;
            }
        }
    });
    futures_util::future::join_all(deliveries).await;
}

/// Delivers the changes `hook` wants, one at a time, until the consumer fails.
async fn deliver_from_stream(
    cluster: &Cluster,
    hook: &WebhookConfig,
    client: &reqwest::Client,
    name: &str,
) -> Result<(), ClusterError> {
    let ack_wait = Duration::from_secs(cluster.config.ack_wait_s.max(1));
    let consumer = consumer::pull::Config {
        durable_name: Some(name.to_owned()),
        deliver_policy: consumer::DeliverPolicy::New,
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait,
        // one change out at a time, so that they arrive in order
        max_ack_pending: 1,
        ..Default::default()
    };
    let mut messages = cluster.pull(cluster.events().await?, consumer).await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        let seq = message.info().map_err(jetstream_error)?.stream_sequence;
        if let Some(entry) = entry_for(hook, seq, &message.payload) {
            let delivering = deliver(hook, client, &entry);
            tokio::pin!(delivering);
            let mut still = tokio::time::interval(ack_wait / 3);
            still.tick().await;
            loop {
                tokio::select! {
                    _ = &mut delivering => break,
                    _ = still.tick() => {
                        // ours while attempts go on; lost, JetStream gives it to another node
                        let _ = message.ack_with(jetstream::AckKind::Progress).await;
                    }
                }
            }
        }
        message.double_ack().await.map_err(jetstream_error)?;
    }
    Ok(())
}

/// The delivery of event `seq` (its bytes `payload`) when `hook` wants it: alert changes of
/// its towns and kinds.
fn entry_for(hook: &WebhookConfig, seq: u64, payload: &[u8]) -> Option<Entry> {
    let event: AlertMessage = match ciborium::from_reader(payload) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(%error, seq, "undecodable event not delivered");
            return None;
        }
    };
    if event.topic != Topic::Alert || !wants(hook, event.town.as_deref(), &event.kind) {
        return None;
    }
    let alert: Value = serde_json::from_str(&event.json).ok()?;
    Some(Entry {
        event_id: seq,
        alert_id: alert["id"].as_i64(),
        confirmed: true,
        alert,
    })
}
