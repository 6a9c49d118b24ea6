//! Layer changes: a node that stores a change to a layer (a planner's new fence on an API
//! node, an import) or to the watch list of plates says so on the stream `COASTWATCH_LAYERS`;
//! every other node then does what the single process does after a write — drops the layer's
//! cached tiles and reloads what its picture takes from it (the core's detectors get the new
//! fence, or the new plate). A node that was away reads the layers from the store when it
//! starts, so the stream keeps only the last hour.

use std::time::Duration;

use async_nats::jetstream::{consumer, stream};
use coastwatch_core::Layer;
use futures_util::StreamExt;

use super::{Again, Cluster, ClusterError, from_time, jetstream_error};
use crate::state::AppState;

/// The stream of layer changes.
pub const LAYERS_STREAM: &str = "COASTWATCH_LAYERS";
/// Its one subject: a message is the layer's name (or [`WATCHLIST`]), with the writing node in
/// its id.
const LAYERS_SUBJECT: &str = "coastwatch.layers";
/// What a message says when the watch list of plates changed.
const WATCHLIST: &str = "watchlist";
/// Header naming the node that wrote the change.
const ORIGIN: &str = "Coastwatch-Origin";

impl Cluster {
    async fn layers(&self) -> Result<stream::Stream, ClusterError> {
        self.js
            .get_or_create_stream(stream::Config {
                name: LAYERS_STREAM.into(),
                subjects: vec![LAYERS_SUBJECT.into()],
                num_replicas: self.config.replicas,
                max_age: Duration::from_secs(3600),
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(jetstream_error)
    }

    /// Tells the other nodes that `layer` changed.
    pub async fn announce_layer(&self, layer: Layer) {
        self.announce(layer.to_string()).await;
    }

    /// Tells the other nodes that the watch list changed.
    pub async fn announce_watchlist(&self) {
        self.announce(WATCHLIST.into()).await;
    }

    /// Publishes the change `what` (a layer's name or [`WATCHLIST`]).
    async fn announce(&self, what: String) {
        if let Err(error) = self.layers().await {
            return tracing::warn!(%error, what, "layer change not announced");
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(ORIGIN, self.origin.as_str());
        let published = self
            .js
            .publish_with_headers(LAYERS_SUBJECT, headers, what.clone().into())
            .await;
        let acked = match published {
            Ok(ack) => ack.await.map(drop).map_err(jetstream_error),
            Err(error) => Err(jetstream_error(error)),
        };
        if let Err(error) = acked {
            tracing::warn!(%error, what, "layer change not announced");
        }
    }
}

/// Brings `state` up to date with every layer change another node announces, for ever (from
/// a few seconds before it is called: the node read its layers just before).
pub async fn follow_layers(cluster: Cluster, state: AppState) {
    let since = crate::clock::wall_epoch_s() - super::FOLLOW_OVERLAP_S;
    let mut next = None;
    let mut again = Again::default();
    loop {
        let followed = follow(&cluster, &state, since, &mut next).await;
        again.after("layer changes", followed).await;
    }
}

/// Takes the changes from sequence `next` on (from time `since` when `None`), moving it on.
async fn follow(
    cluster: &Cluster,
    state: &AppState,
    since: f64,
    next: &mut Option<u64>,
) -> Result<(), ClusterError> {
    let deliver_policy = match *next {
        Some(start_sequence) => consumer::DeliverPolicy::ByStartSequence { start_sequence },
        None => from_time(since)?,
    };
    let stream = cluster.layers().await?;
    let mut messages = cluster
        .ordered(stream, String::new(), deliver_policy)
        .await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        if let Ok(info) = message.info() {
            *next = Some(info.stream_sequence + 1);
        }
        let origin = message.headers.as_ref().and_then(|h| h.get(ORIGIN));
        if origin.is_some_and(|o| o.as_str() == cluster.origin) {
            continue;
        }
        let what = std::str::from_utf8(&message.payload).unwrap_or_default();
        if what == WATCHLIST {
            tracing::info!("the watch list changed on another node");
            state.reload_watchlist().await;
        } else if let Ok(layer) = what.parse::<Layer>() {
            tracing::info!(%layer, "layer changed on another node");
            state.reload_layer(layer).await;
        } else {
            tracing::warn!(what, "a layer change that names no layer skipped");
            continue;
        }
        state.ingest.counters.layer_changes.inc();
    }
    Ok(())
}
