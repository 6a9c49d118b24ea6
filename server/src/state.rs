//! The state shared by every handler.

use std::sync::{Arc, RwLock};

use coastwatch_spatial::engine::VesselEngine;
use coastwatch_spatial::store::Store;

use crate::auth::Tokens;
use crate::config::Config;
use crate::ingest::Ingest;
use crate::metrics::Metrics;

/// What handlers share: the store, the config, the tokens and the metrics.
#[derive(Clone)]
pub struct AppState {
    /// The persistent store.
    pub store: Arc<dyn Store>,
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// Known bearer tokens.
    pub tokens: Arc<Tokens>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The AIS ingest path and the vessel picture it keeps.
    pub ingest: Ingest,
}

impl AppState {
    /// State for `config` over `store`, with an empty vessel picture; starts the ingest
    /// writer (needs a Tokio runtime).
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        let resolution =
            h3o::Resolution::try_from(config.ais.h3_res).unwrap_or(h3o::Resolution::Nine);
        let engine = Arc::new(RwLock::new(VesselEngine::new(
            config.ais.track_window_min * 60.0,
            resolution,
        )));
        let metrics = Arc::new(Metrics::new());
        Self {
            tokens: Arc::new(Tokens::new(&config.auth)),
            ingest: Ingest::start(store.clone(), engine, metrics.ais.clone()),
            config: Arc::new(config),
            store,
            metrics,
        }
    }
}
