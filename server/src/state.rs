//! The state shared by every handler.

use std::sync::Arc;

use coastwatch_spatial::store::Store;

use crate::auth::Tokens;
use crate::config::Config;
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
}

impl AppState {
    /// State for `config` over `store`.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        Self {
            tokens: Arc::new(Tokens::new(&config.auth)),
            config: Arc::new(config),
            store,
            metrics: Arc::new(Metrics::new()),
        }
    }
}
