//! The state shared by every handler, and how it is started.

use std::sync::Arc;
use std::time::Duration;

use coastwatch_core::alerting::LocalClock;
use coastwatch_core::{Layer, ModelError};
use coastwatch_store::StoreError;
use coastwatch_store::{Query, Store};
use serde_json::Value;

use crate::alerts::Alerts;
use crate::auth::{Tokens, User};
use crate::cameras::{Cameras, Placement};
use crate::clock::now_epoch_s;
use crate::cluster::Cluster;
use crate::command::{Write, Written};
use crate::config::{Config, NodeRole};
use crate::error::AppError;
use crate::ingest::{Ingest, PictureSettings, Pipeline, Replay};
use crate::metrics::Metrics;
use crate::tiles::cache::TileCache;
use crate::tiles::index::FeatureIndex;

/// How often the time-driven detectors (AIS gaps, GPS off) run.
const TICK: Duration = Duration::from_secs(5);
/// How often the card rules run.
const CARD_TICK: Duration = Duration::from_secs(60);

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
    /// The cluster's NATS cannot be used.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
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
    /// The static layers in memory, to build their tiles from.
    pub tile_index: Arc<FeatureIndex>,
    /// The cameras the video core runs.
    pub cameras: Cameras,
    /// The command platform: cases, cards, inspections, tip rewards.
    pub command: crate::command::Command,
    /// This node's cluster, when it is one of a cluster's nodes.
    pub cluster: Option<Cluster>,
}

impl AppState {
    /// Starts everything behind the handlers over `store`: restores the alerts, loads the
    /// geography into the detectors, rebuilds the in-memory picture from the recent fixes,
    /// and starts the ingest writer, the detector clock and the webhooks (needs a Tokio
    /// runtime).
    pub async fn start(config: Config, store: Arc<dyn Store>) -> Result<Self, StartError> {
        let clock = LocalClock::new(&config.district.timezone)?;
        let settings = PictureSettings {
            window_s: config.ais.track_window_min * 60.0,
            resolution: config.ais.h3_res,
            detectors: config.detectors.clone(),
            clock: clock.clone(),
            limits: config.ais.limits(),
        };
        let tile_cache = TileCache::new(config.server.tile_cache_mib.saturating_mul(1 << 20));
        let tile_index = Arc::new(FeatureIndex::new(config.server.tile_index_max_features));
        let role = config.cluster.role;
        // the book is read from the store with the picture (`Pipeline::reload` below)
        let alerts = Alerts::new(store.clone());
        // a cluster delivers webhooks from its events stream (below)
        let alerts = match role {
            NodeRole::All => {
                alerts.with_webhooks(crate::webhooks::start(&config, store.as_ref()).await?)
            }
            _ => alerts,
        };
        let cluster = match role {
            NodeRole::All => None,
            _ => Some(Cluster::connect(&config.cluster).await?),
        };
        if let Some(cluster) = &cluster {
            // alert and case changes go through the events stream, which numbers them
            let (outgoing, taken) = tokio::sync::mpsc::channel(crate::cluster::OUTGOING_EVENTS);
            alerts.feed.forward_to(outgoing);
            tokio::spawn(crate::cluster::publish_events(cluster.clone(), taken));
            tokio::spawn(crate::cluster::follow_events(
                cluster.clone(),
                alerts.feed.clone(),
            ));
            if !config.alerts.webhooks.is_empty() {
                tokio::spawn(crate::cluster::deliver_webhooks(
                    cluster.clone(),
                    config.alerts.webhooks.clone(),
                ));
            }
        }
        // an ingest node's picture only checks what feeds send (registered vehicles); over a
        // store it shares with the core it must not write what its replay raises
        let writes = matches!(role, NodeRole::All | NodeRole::Core);
        let pipeline = Pipeline::new(store.clone(), alerts.clone(), settings);
        let pipeline = if writes {
            pipeline
        } else {
            pipeline.reading_only()
        };
        pipeline
            .reload(if writes {
                Replay::Rebuild
            } else {
                Replay::Restore
            })
            .await?;
        let metrics = Arc::new(Metrics::new());
        let ingest = match (role, cluster.clone()) {
            (NodeRole::Core, Some(_)) => Ingest::start(pipeline, metrics.ais.clone()),
            (NodeRole::Api, Some(cluster)) => {
                let ingest =
                    Ingest::start_forwarding(pipeline, metrics.ais.clone(), cluster.clone());
                tokio::spawn(crate::cluster::follow_fixes(cluster, ingest.clone()));
                ingest
            }
            (_, Some(cluster)) => Ingest::start_forwarding(pipeline, metrics.ais.clone(), cluster),
            (_, None) => Ingest::start(pipeline, metrics.ais.clone()),
        };
        tokio::spawn(run_clock(ingest.clone(), role));
        let cameras = match (role, cluster.clone()) {
            (NodeRole::All, _) => Cameras::start(
                &config.vision.cameras,
                placements(&config.vision.cameras, store.as_ref(), &ingest).await?,
                &metrics.vision,
                &config.vision.ocr,
            ),
            (NodeRole::Vision, Some(cluster)) => {
                let cameras = Cameras::standing_by(
                    &config.vision.cameras,
                    placements(&config.vision.cameras, store.as_ref(), &ingest).await?,
                    &metrics.vision,
                    &config.vision.ocr,
                );
                tokio::spawn(crate::cluster::run_cameras(cluster, cameras.clone()));
                cameras
            }
            _ => {
                if !config.vision.cameras.is_empty() {
                    tracing::info!("in a cluster, vision nodes run the cameras");
                }
                Cameras::default()
            }
        };
        let command = crate::command::Command::new(
            store.clone(),
            alerts.clone(),
            config.command.clone(),
            clock,
        );
        let state = Self {
            command,
            cluster,
            cameras,
            tokens: Arc::new(Tokens::new(&config.auth)),
            ingest,
            config: Arc::new(config),
            store,
            metrics,
            alerts,
            tile_cache: Arc::new(tile_cache),
            tile_index,
        };
        // cards are issued by the nodes that hold the picture, once
        if writes {
            tokio::spawn(run_cards(state.clone()));
        }
        if let Some(cluster) = state.cluster.clone() {
            if role == NodeRole::Core {
                tokio::spawn(crate::cluster::lead(cluster.clone(), state.clone()));
            }
            tokio::spawn(crate::cluster::follow_layers(cluster, state.clone()));
        }
        Ok(state)
    }

    /// Writes the object rows that still wait behind their fixes, then closes the store.
    pub async fn close(&self) {
        self.cameras.stop();
        if let Err(error) = self.ingest.write_rows().await {
            tracing::warn!(%error, "object rows not written at close");
        }
        self.store.close().await;
    }

    /// After a committed write to `layer`: brings the picture up to date, here and (in a
    /// cluster) on the other nodes.
    pub async fn layer_written(&self, layer: Layer) {
        if let Some(cluster) = self.cluster.clone() {
            tokio::spawn(async move { cluster.announce_layer(layer).await });
        }
        self.reload_layer(layer).await;
    }

    /// Applies a write of the command platform — on this node, or in a cluster on the leading
    /// core — and follows the layers it wrote; the changed record as the API shows it.
    ///
    /// # Errors
    /// What the step was refused with; 503 when the store (or, in a cluster, the leader) is away.
    pub async fn write_command(&self, user: &User, write: Write) -> Result<Value, AppError> {
        let written = match &self.cluster {
            Some(cluster) => cluster.write(user, write).await?,
            None => self.apply_command(user, write).await?,
        };
        for layer in written.layers {
            self.layer_written(layer).await;
        }
        Ok(written.record)
    }

    /// Applies `write` here: the single process, or the leading core for the cluster.
    pub(crate) async fn apply_command(
        &self,
        user: &User,
        write: Write,
    ) -> Result<Written, AppError> {
        let picture = self.ingest.picture();
        let town_at = |[lon, lat]: [f64; 2]| picture.with_monitor(|m| m.town_at(lon, lat));
        self.command.apply(user, write, town_at).await
    }

    /// Brings the detectors up to date with the watch list just written here, and tells the
    /// cluster's other nodes.
    ///
    /// # Errors
    /// When the store cannot be read (the write itself stays).
    pub async fn watchlist_written(&self) -> Result<(), StoreError> {
        if let Some(cluster) = self.cluster.clone() {
            tokio::spawn(async move { cluster.announce_watchlist().await });
        }
        self.ingest.load_watchlist().await
    }

    /// Brings the detectors up to date with the watch list another node wrote (see
    /// [`reload_layer`](Self::reload_layer) for a failure).
    pub async fn reload_watchlist(&self) {
        let ingest = self.ingest.clone();
        until_done("the watch list", move || {
            let ingest = ingest.clone();
            async move { ingest.load_watchlist().await }
        })
        .await;
    }

    /// Brings the picture up to date with `layer`. When that fails (the store cannot be read
    /// for a moment), the write stays acknowledged, and the reload is tried again in the
    /// background (1 s doubling to 60 s) until it succeeds.
    pub async fn reload_layer(&self, layer: Layer) {
        let state = self.clone();
        until_done(&format!("layer {layer}"), move || {
            let state = state.clone();
            async move { state.layer_changed(layer).await }
        })
        .await;
    }

    /// Brings the in-memory picture up to date after a write to `layer` through the API.
    pub async fn layer_changed(&self, layer: Layer) -> Result<(), StartError> {
        self.tile_cache.layer_changed(layer);
        match layer {
            Layer::Vehicles => {
                let stored = self.store.query(Layer::Vehicles, &Query::default()).await?;
                self.ingest
                    .picture()
                    .with_vehicles(|v| v.retain_registered(&stored));
                Ok(())
            }
            Layer::Geofences | Layer::RiskPoints | Layer::Areas | Layer::Coastline => {
                self.ingest.load_geography().await
            }
            _ => Ok(()),
        }
    }
}

/// Runs `reload` of `what` now and, when it fails, again in the background (1 s doubling to
/// 60 s) until it succeeds.
async fn until_done<F, E>(what: &str, reload: impl Fn() -> F + Send + 'static)
where
    F: std::future::Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    let Err(error) = reload().await else {
        return;
    };
    tracing::warn!(what, %error, "reloading after a write failed; retrying");
    let what = what.to_owned();
    tokio::spawn(async move {
        let mut wait = Duration::from_secs(1);
        loop {
            tokio::time::sleep(wait).await;
            match reload().await {
                Ok(()) => return tracing::info!(what, "reloaded after a write"),
                Err(error) => tracing::warn!(what, %error, "reloading after a write failed"),
            }
            wait = (wait * 2).min(Duration::from_secs(60));
        }
    });
}

/// Applies the card rules every [`CARD_TICK`] (deadlines pass, inspections fall due, alerts
/// wait), so that `risk_points.card` and the `cards` layer are current without a reader.
async fn run_cards(state: AppState) {
    let mut interval = tokio::time::interval(CARD_TICK);
    interval.tick().await;
    loop {
        interval.tick().await;
        if !acts(&state.ingest, state.config.cluster.role) {
            continue;
        }
        match state.command.refresh_cards(now_epoch_s() as i64).await {
            Ok(layers) => {
                for layer in layers {
                    state.layer_written(layer).await;
                }
            }
            Err(error) => tracing::warn!(%error, "cards not refreshed"),
        }
    }
}

/// Whether this node runs the time-driven rules: alone, or as the leading core (a standby's
/// picture stands still, and would see every vessel fall silent).
fn acts(ingest: &Ingest, role: NodeRole) -> bool {
    match role {
        NodeRole::All => true,
        NodeRole::Core => ingest.counters.leading.get() == 1,
        NodeRole::Ingest | NodeRole::Vision | NodeRole::Api => false,
    }
}

/// Runs the time-driven detectors (AIS gaps, GPS off) every [`TICK`], in the writer, so
/// that their alerts are stored like every other change.
async fn run_clock(ingest: Ingest, role: NodeRole) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        if !acts(&ingest, role) {
            continue;
        }
        ingest.tick(now_epoch_s());
    }
}

/// Where each configured camera's tracks go: a calibrated camera that is a feature of the
/// `cameras` layer (its id, or its name, is the camera's `id`) places them on the map; the
/// others only count them (said in the log).
async fn placements(
    configs: &[coastwatch_vision::camera::CameraConfig],
    store: &dyn Store,
    ingest: &Ingest,
) -> Result<Vec<Option<Placement>>, StartError> {
    if configs.is_empty() {
        return Ok(Vec::new());
    }
    let features = store.query(Layer::Cameras, &Query::default()).await?;
    let mut placements = Vec::with_capacity(configs.len());
    for config in configs {
        let Some(calibration) = &config.calibration else {
            tracing::info!(
                camera = config.id,
                "no calibration: its tracks stay off the map"
            );
            placements.push(None);
            continue;
        };
        let georef = calibration.compile().map_err(|e| {
            ModelError::invalid("calibration", format!("camera {}: {e}", config.id))
        })?;
        let feature = features.iter().find(|f| {
            f.id.is_some_and(|id| id.get().to_string() == config.id)
                || f.properties.get("name").and_then(|n| n.as_str()) == Some(config.id.as_str())
        });
        let Some(camera_id) = feature.and_then(|f| f.id) else {
            tracing::warn!(
                camera = config.id,
                "no feature of the cameras layer has this id or name: its tracks stay off the map"
            );
            placements.push(None);
            continue;
        };
        placements.push(Some(Placement {
            camera_id,
            georef,
            ingest: ingest.clone(),
        }));
    }
    Ok(placements)
}
