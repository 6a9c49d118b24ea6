//! Prometheus metrics, served as text at `/metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::AppState;

/// Labels of the HTTP metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HttpLabels {
    /// Request method.
    pub method: String,
    /// Route pattern (not the raw path, to keep cardinality bounded).
    pub route: String,
    /// Response status code.
    pub status: u16,
}

/// Per-feed counters, exported to `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct FeedLabels {
    /// Feed name: `tcp`, `udp`, `client`, `http`, `replay`.
    pub feed: String,
}

/// AIS counters per feed.
#[derive(Debug, Default, Clone)]
pub struct AisCounters {
    /// Lines read.
    pub lines: Family<FeedLabels, Counter>,
    /// Messages decoded.
    pub decoded: Family<FeedLabels, Counter>,
    /// Lines with a bad checksum.
    pub bad_checksum: Family<FeedLabels, Counter>,
    /// Fragments dropped (orphans, timeouts).
    pub dropped_fragments: Family<FeedLabels, Counter>,
    /// Lines refused for any reason.
    pub errors: Family<FeedLabels, Counter>,
    /// Fixes dropped before the engines, per feed and reason (`time`, `vessel_cap`).
    pub dropped: Family<DropLabels, Counter>,
    /// Ingest transactions that failed (nothing of them was kept).
    pub store_failures: Counter,
    /// Feed connections or datagrams refused, per feed and reason.
    pub refused: Family<DropLabels, Counter>,
    /// How long the ingest writer takes per group.
    pub timings: IngestTimings,
    /// 1 while this core node holds the cluster's core lease and consumes the fixes stream.
    pub leading: Gauge,
    /// Layer changes announced by other nodes of the cluster and reloaded here.
    pub layer_changes: Counter,
}

/// How long the ingest writer takes per group of updates: where an alert's latency goes.
#[derive(Debug, Clone)]
pub struct IngestTimings {
    /// Applying a group to the picture and running the detectors (seconds).
    pub apply: Histogram,
    /// Storing a group in its transaction, from its start to its commit (seconds).
    pub commit: Histogram,
    /// Updates in a group.
    pub group_updates: Histogram,
}

impl Default for IngestTimings {
    fn default() -> Self {
        Self {
            apply: Histogram::new(exponential_buckets(0.000_25, 2.0, 14)),
            commit: Histogram::new(exponential_buckets(0.000_25, 2.0, 14)),
            group_updates: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
        }
    }
}

/// Labels of dropped fixes: the feed and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DropLabels {
    /// The feed (`tcp`, `udp`, `http`, …; `all` for limits of the picture).
    pub feed: String,
    /// Why: `time` (outside the accepted times) or `vessel_cap` (ais.max_vessels).
    pub reason: String,
}

impl AisCounters {
    fn register(&self, registry: &mut Registry) {
        registry.register("ais_lines", "NMEA lines read, per feed", self.lines.clone());
        registry.register(
            "ais_decoded",
            "AIS messages decoded, per feed",
            self.decoded.clone(),
        );
        registry.register(
            "ais_bad_checksum",
            "NMEA lines with a bad checksum, per feed",
            self.bad_checksum.clone(),
        );
        registry.register(
            "ais_dropped_fragments",
            "AIS fragments dropped (orphans, timeouts), per feed",
            self.dropped_fragments.clone(),
        );
        registry.register(
            "ais_errors",
            "NMEA lines refused, per feed",
            self.errors.clone(),
        );
        registry.register(
            "ingest_dropped",
            "Fixes dropped before the engines, per feed and reason",
            self.dropped.clone(),
        );
        registry.register(
            "feed_refused",
            "Feed connections or datagrams refused, per feed and reason",
            self.refused.clone(),
        );
        registry.register(
            "ingest_store_failures",
            "Ingest transactions the store failed (nothing of them was kept)",
            self.store_failures.clone(),
        );
        registry.register(
            "cluster_leading",
            "1 while this core node holds the core lease and consumes the fixes stream",
            self.leading.clone(),
        );
        registry.register(
            "cluster_layer_changes",
            "Layer changes announced by other nodes of the cluster and reloaded here",
            self.layer_changes.clone(),
        );
        registry.register(
            "ingest_apply_seconds",
            "Time the ingest writer takes to apply a group of updates and run the detectors",
            self.timings.apply.clone(),
        );
        registry.register(
            "ingest_commit_seconds",
            "Time an ingest group takes to be stored, from its transaction's start to its commit",
            self.timings.commit.clone(),
        );
        registry.register(
            "ingest_group_updates",
            "Updates the ingest writer applies and stores as one group",
            self.timings.group_updates.clone(),
        );
    }

    /// Counts a connection or datagram of `feed` refused for `reason`.
    pub(crate) fn refuse(&self, feed: &str, reason: &str) {
        self.refused
            .get_or_create(&DropLabels {
                feed: feed.to_owned(),
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Counts `n` fixes of `feed` dropped for `reason`.
    pub(crate) fn drop(&self, feed: &str, reason: &str, n: u64) {
        if n > 0 {
            self.dropped
                .get_or_create(&DropLabels {
                    feed: feed.to_owned(),
                    reason: reason.to_owned(),
                })
                .inc_by(n);
        }
    }

    pub(crate) fn add(
        &self,
        feed: &str,
        before: coastwatch_ais::decoder::DecoderStats,
        after: coastwatch_ais::decoder::DecoderStats,
    ) {
        let labels = FeedLabels {
            feed: feed.to_owned(),
        };
        self.lines
            .get_or_create(&labels)
            .inc_by(after.lines - before.lines);
        self.decoded
            .get_or_create(&labels)
            .inc_by(after.decoded - before.decoded);
        self.bad_checksum
            .get_or_create(&labels)
            .inc_by(after.bad_checksum - before.bad_checksum);
        self.dropped_fragments
            .get_or_create(&labels)
            .inc_by(after.dropped_fragments - before.dropped_fragments);
        self.errors
            .get_or_create(&labels)
            .inc_by(after.errors - before.errors);
    }
}

/// Every metric of the server, in one registry.
pub struct Metrics {
    registry: Registry,
    /// AIS feed counters.
    pub ais: AisCounters,
    /// Camera pipeline counters.
    pub vision: crate::cameras::VisionCounters,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram>,
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("coastwatch");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            http_duration.clone(),
        );
        let ais = AisCounters::default();
        ais.register(&mut registry);
        let vision = crate::cameras::VisionCounters::default();
        vision.register(&mut registry);
        Self {
            registry,
            ais,
            vision,
            http_requests,
            http_duration,
        }
    }

    /// The registry, to register more metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: counts and times every request by route and status.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state.metrics.http_requests.get_or_create(&labels).inc();
    state
        .metrics
        .http_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}
