//! The state shared by every handler, and how it is started.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use coastwatch_spatial::alerting::LocalClock;
use coastwatch_spatial::alerting::monitor::{Geography, Monitor};
use coastwatch_spatial::engine::{VehicleEngine, VesselEngine};
use coastwatch_spatial::store::{Query, Store};
use coastwatch_spatial::{Layer, ModelError, StoreError};

use crate::alerts::Alerts;
use crate::auth::Tokens;
use crate::clock::now_epoch_s;
use crate::config::Config;
use crate::ingest::{self, Ingest, Pipeline};
use crate::metrics::Metrics;
use crate::tile_cache::TileCache;

/// How often the time-driven detectors (AIS gaps, GPS off) run.
const TICK: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting or stored geography cannot be used.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The webhooks cannot start (settings, their state folder).
    #[error(transparent)]
    Webhooks(#[from] crate::webhooks::WebhookError),
}

/// What handlers share: the store, the config, the tokens, the metrics, the ingest path and
/// the alerts.
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
    /// The ingest path and the in-memory picture it keeps.
    pub ingest: Ingest,
    /// Alerts and their live feed.
    pub alerts: Alerts,
    /// Encoded tiles of the static layers (`routes/tiles.rs`).
    pub tile_cache: Arc<TileCache>,
}

impl AppState {
    /// Starts everything behind the handlers over `store`: restores the alerts, loads the
    /// geography into the detectors, rebuilds the in-memory picture from the recent fixes,
    /// and starts the ingest writer, the detector clock and the webhooks (needs a Tokio
    /// runtime).
    pub async fn start(config: Config, store: Arc<dyn Store>) -> Result<Self, StartError> {
        let resolution =
            h3o::Resolution::try_from(config.ais.h3_res).unwrap_or(h3o::Resolution::Nine);
        let window_s = config.ais.track_window_min * 60.0;
        let clock = LocalClock::new(&config.district.timezone)?;
        let tile_cache = TileCache::new(config.server.tile_cache_mib.saturating_mul(1 << 20));
        let alerts = Alerts::restore(store.clone())
            .await?
            .with_webhooks(crate::webhooks::start(&config, store.as_ref()).await?);
        let pipeline = Pipeline {
            store: store.clone(),
            vessels: Arc::new(RwLock::new(VesselEngine::new(window_s, resolution))),
            vehicles: Arc::new(RwLock::new(VehicleEngine::new(window_s))),
            monitor: Arc::new(Mutex::new(Monitor::new(config.detectors.clone(), clock))),
            alerts: alerts.clone(),
        };
        reload_geography(&pipeline).await?;
        ingest::rebuild(&pipeline, window_s).await?;
        let metrics = Arc::new(Metrics::new());
        tokio::spawn(run_clock(pipeline.clone()));
        Ok(Self {
            tokens: Arc::new(Tokens::new(&config.auth)),
            ingest: Ingest::start(pipeline, metrics.ais.clone()),
            config: Arc::new(config),
            store,
            metrics,
            alerts,
            tile_cache: Arc::new(tile_cache),
        })
    }

    /// Writes the object rows that still wait behind their fixes, then closes the store.
    pub async fn close(&self) {
        if let Err(error) = self.ingest.write_rows().await {
            tracing::warn!(%error, "object rows not written at close");
        }
        self.store.close().await;
    }

    /// Brings the in-memory picture up to date after a write to `layer` through the API.
    pub async fn layer_changed(&self, layer: Layer) -> Result<(), StartError> {
        self.tile_cache.layer_changed(layer);
        let pipeline = &self.ingest.pipeline;
        match layer {
            Layer::Vehicles => {
                let stored = self.store.query(Layer::Vehicles, &Query::default()).await?;
                let mut vehicles = pipeline.vehicles.write().unwrap_or_else(|e| e.into_inner());
                vehicles.retain_registered(&stored);
                Ok(())
            }
            Layer::Geofences | Layer::RiskPoints | Layer::Areas | Layer::Coastline => {
                reload_geography(pipeline).await
            }
            _ => Ok(()),
        }
    }
}

/// Loads fences, docks, coastline and areas from the store into the detectors.
async fn reload_geography(pipeline: &Pipeline) -> Result<(), StartError> {
    let all = Query::default();
    let store = pipeline.store.as_ref();
    let geography = Geography {
        risk_points: store.query(Layer::RiskPoints, &all).await?,
        coastline: store.query(Layer::Coastline, &all).await?,
        areas: store.query(Layer::Areas, &all).await?,
        geofences: store.query(Layer::Geofences, &all).await?,
    };
    let mut events = Vec::new();
    pipeline
        .monitor
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .set_geography(geography, &mut events)?;
    pipeline.alerts.record(events).await?;
    Ok(())
}

/// Runs the time-driven detectors. Their time is the wall clock while the data is live
/// (newest fix within 5 minutes); otherwise it is the newest fix's time, so that a receiver
/// outage does not look like every vessel going dark and a replay of old data keeps its
/// own clock.
async fn run_clock(pipeline: Pipeline) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let mut events = Vec::new();
        {
            let mut monitor = pipeline.monitor.lock().unwrap_or_else(|e| e.into_inner());
            let (wall, data) = (now_epoch_s(), monitor.data_clock());
            let now = if wall - data > 300.0 { data } else { wall };
            monitor.tick(now, &mut events);
        }
        if let Err(error) = pipeline.alerts.record(events).await {
            tracing::error!(%error, "storing alerts failed");
        }
    }
}
