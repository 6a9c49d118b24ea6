//! `coastwatch serve` and `coastwatch demo`: both bind, start the state and the feeds, serve
//! until a signal, and close the same way ([`Server`]).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use coastwatch_core::Layer;
use coastwatch_server::config::{Config, TokenConfig};
use coastwatch_server::{AppState, app, feeds, jt808};
use coastwatch_store::Store;
use tokio::net::TcpListener;

use super::{CliResult, check_speed, load_config};

/// The token the demo prints for dispatchers (reads are open in the demo).
const DEMO_TOKEN: &str = "demo-dispatcher";

/// A started server: its listener bound, its state and feeds running.
struct Server {
    listener: TcpListener,
    state: AppState,
    config: Config,
}

impl Server {
    /// Binds `config.server.listen`, starts the state over `store` and the AIS feeds.
    async fn start(config: Config, store: Arc<dyn Store>) -> CliResult<Self> {
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let state = AppState::start(config.clone(), store).await?;
        start_feeds(&config, &state).await?;
        Ok(Self {
            listener,
            state,
            config,
        })
    }

    /// Serves until SIGINT or SIGTERM, then closes the state (waiting rows are written).
    async fn run(self) -> CliResult {
        let Self {
            listener,
            state,
            config,
        } = self;
        coastwatch_server::http::serve(listener, app(state.clone()), &config.server, shutdown())
            .await;
        state.close().await;
        Ok(())
    }
}

/// `coastwatch serve`: the production server over the configured store.
pub async fn serve(config: Config) -> CliResult {
    let started = Instant::now();
    let store: Arc<dyn Store> = Arc::from(coastwatch_store::open(&config.store.location).await?);
    let server = Server::start(config, store.clone()).await?;
    let address = server.listener.local_addr()?;
    let vessels = server.state.ingest.picture().vessels().len();
    tracing::info!(
        store = %store.describe(),
        %address,
        vessels,
        startup_ms = started.elapsed().as_millis() as u64,
        "coastwatch is serving"
    );
    println!(
        "coastwatch serving {} at http://{address}/",
        store.describe()
    );
    server.run().await
}

/// `coastwatch demo`: the demo district in a GeoPackage (temporary unless `store`), its
/// coverage layers and 24 hours of scenario played on a clock `speed` times as fast.
pub async fn demo(port: u16, speed: f64, seed: u64, store: Option<String>) -> CliResult {
    use coastwatch_scenario::{District, ScenarioConfig, generate};
    check_speed(speed)?;
    let started = Instant::now();
    coastwatch_server::clock::speed_up(speed);
    let district = District::demo()?;
    let temp = tempfile::tempdir()?;
    let location = store.unwrap_or_else(|| temp.path().join("demo.gpkg").display().to_string());
    let store: Arc<dyn Store> = Arc::from(coastwatch_store::open(&location).await?);
    coastwatch_server::demo::load_district(store.as_ref(), &district, &[]).await?;
    let now = coastwatch_server::clock::now_epoch_s() as i64;
    coastwatch_server::demo::seed_inspections(store.as_ref(), now).await?;
    // COASTWATCH_* variables configure the demo as they do `serve` (an AIS port, limits)
    let mut config = load_config(None)?;
    config.store.location = location;
    config.server.listen = std::net::SocketAddr::from(([0, 0, 0, 0], port));
    config.auth.open_reads = true;
    config.auth.tokens.push(TokenConfig {
        token: None,
        token_sha256: Some(coastwatch_server::auth::sha256_hex(DEMO_TOKEN)),
        user: "demo".into(),
        // published in the README: it may act on alerts, not edit the district
        roles: vec![coastwatch_server::auth::Role::Dispatcher],
        agency: None,
        town: None,
    });
    let server = Server::start(config, store).await?;
    // coverage layers and the scenario are made while the map is already served
    let coverage = coastwatch_server::coverage::CoverageArgs {
        dem: None,
        h3_res: 10,
        suggest: 0,
        out: temp.path().join("coverage"),
        candidates: None,
        spacing: 500.0,
        camera_height: 20.0,
        camera_hfov: 90.0,
        camera_range: 3000.0,
        target_height: 2.0,
    };
    let mapper = server.state.clone();
    tokio::spawn(async move {
        match coastwatch_server::coverage::run(&coverage, mapper.store.as_ref(), true).await {
            Ok(_) => {
                for layer in [Layer::CameraCoverage, Layer::CoverageGaps] {
                    let _ = mapper.layer_changed(layer).await;
                }
            }
            Err(error) => tracing::error!(%error, "demo coverage layers failed"),
        }
    });
    let player = server.state.clone();
    let start_epoch_s = coastwatch_server::clock::now_epoch_s().ceil() as i64;
    tokio::spawn(async move {
        let generated = tokio::task::spawn_blocking(move || {
            let config = ScenarioConfig {
                seed,
                start_epoch_s,
                hours: 24.0,
                ..ScenarioConfig::default()
            };
            generate(&district, &config)
                .map(|s| (s, coastwatch_scenario::video::land_of(&district)))
        })
        .await;
        let (scenario, land) = match generated {
            Ok(Ok(generated)) => generated,
            Ok(Err(error)) => return tracing::error!(%error, "the demo scenario failed"),
            Err(error) => return tracing::error!(%error, "the demo scenario failed"),
        };
        let (lines, fixes, tips) = scenario.counts();
        // the first alert within seconds: skip to just before the first incident that raises
        // one at once (15 s of real time ahead of it)
        let skipped = coastwatch_server::demo::lead_in(&scenario, 15.0 * speed);
        coastwatch_server::clock::skip_ahead(skipped);
        tracing::info!(
            lines,
            fixes,
            tips,
            skipped_min = (skipped / 60.0).round(),
            "demo scenario: 24 simulated hours, the quiet start played at once"
        );
        player.cameras.start_scenario(
            std::sync::Arc::new(scenario.cameras.clone()),
            std::sync::Arc::new(land),
            &player.ingest,
            &player.metrics.vision,
        );
        if let Err(error) = coastwatch_server::demo::play(player, scenario, Vec::new(), true).await
        {
            tracing::error!(%error, "the demo scenario stopped");
        }
    });
    println!(
        "coastwatch demo: Xiangshan Bay at http://localhost:{port}/ (clock x{speed}, seed {seed}; \
         dispatcher token: {DEMO_TOKEN}; ready in {} ms)",
        started.elapsed().as_millis()
    );
    server.run().await
}

/// Starts the AIS feeds named in the config.
async fn start_feeds(config: &Config, state: &AppState) -> CliResult {
    if let Some(address) = config.ais.tcp_listen {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for AIS on tcp {address}"))?;
        tracing::info!(address = %listener.local_addr()?, "AIS TCP listener");
        tokio::spawn(feeds::tcp_listener(
            listener,
            state.ingest.clone(),
            config.ais.clone(),
        ));
    }
    if let Some(address) = config.ais.udp_listen {
        let socket = tokio::net::UdpSocket::bind(address)
            .await
            .with_context(|| format!("cannot listen for AIS on udp {address}"))?;
        tracing::info!(address = %socket.local_addr()?, "AIS UDP listener");
        tokio::spawn(feeds::udp_listener(
            socket,
            state.ingest.clone(),
            config.ais.clone(),
        ));
    }
    if let Some(address) = config.jt808.listen {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for JT/T 808 terminals on tcp {address}"))?;
        tracing::info!(address = %listener.local_addr()?, "JT/T 808 listener");
        tokio::spawn(jt808::listener(listener, state.clone()));
    }
    if let Some(address) = &config.ais.connect {
        tokio::spawn(feeds::tcp_client(
            address.clone(),
            state.ingest.clone(),
            config.ais.clone(),
        ));
    }
    Ok(())
}

/// Resolves at SIGINT or SIGTERM.
async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
