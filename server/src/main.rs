//! The `coastwatch` command line. Exit codes: 0 ok, 2 bad usage or bad input, 1 other failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand, ValueEnum};
use coastwatch_core::Layer;
use coastwatch_server::{AppState, Config, app, feeds, ingest};
use coastwatch_store::{self as store, GeoPackageStore, Query, Store, StoreError};

/// mimalloc rather than glibc's malloc: under mixed load glibc's per-thread arenas
/// fragmented the heap until RSS grew sevenfold in a 10-minute soak; mimalloc keeps it flat.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "coastwatch",
    version,
    about = "Coastal anti-smuggling monitoring: spatial analytics and vector tile server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the production server.
    Serve {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Store: a GeoPackage path or a postgres:// URL (overrides the config).
        #[arg(long)]
        store: Option<String>,
        /// Port to listen on, on all interfaces (overrides server.listen).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Import a layer from GeoJSON, GeoPackage, Shapefile or CSV (through GDAL/OGR).
    Import {
        /// Target layer, e.g. risk_points.
        layer: String,
        /// Source file.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArg,
        /// Map a source field onto a layer field: TARGET=SOURCE (repeatable).
        #[arg(long = "map", value_name = "TARGET=SOURCE")]
        field_map: Vec<String>,
        /// Layer of a multi-layer source (default: the first).
        #[arg(long)]
        source_layer: Option<String>,
        /// Store the valid features even when some are rejected.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Export a layer as GeoJSON or GeoPackage.
    Export {
        /// Layer to export.
        layer: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Geojson)]
        format: ExportFormat,
        /// Output file (GeoJSON goes to standard output without one).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Camera coverage report: coverage.json, GeoJSON layers, map and report.html.
    Coverage {
        #[command(flatten)]
        args: coastwatch_server::coverage::CoverageArgs,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Vector tile archives (MBTiles, PMTiles).
    Tiles {
        #[command(subcommand)]
        command: coastwatch_server::tiles::archive::TilesCommand,
    },
    /// The demo: the Xiangshan Bay district with its live scenario, served on the embedded
    /// GeoPackage store (a temporary one unless --store).
    Demo {
        /// Port to listen on, on all interfaces.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Run the clock this many times faster than real time.
        #[arg(long, default_value_t = 10.0)]
        speed: f64,
        /// Scenario seed (the same seed plays the same scenario).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Store to build the district in (default: a temporary GeoPackage).
        #[arg(long)]
        store: Option<String>,
    },
    /// The demo scenario as files, and the evaluation of the alerts against it.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// AIS tools.
    Ais {
        #[command(subcommand)]
        command: AisCommand,
    },
}

#[derive(Subcommand)]
enum AisCommand {
    /// Feed a recorded NMEA log through the engine on the file's own clock.
    Replay {
        /// NMEA file (tag-block `c:` or other timestamps).
        file: PathBuf,
        /// Play at N times real time (default: as fast as possible).
        #[arg(long)]
        speed: Option<f64>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Decode NMEA AIVDM/AIVDO to NDJSON with gpsd's JSON field names; bad lines go to stderr.
    Decode {
        /// NMEA file, or - for standard input.
        file: PathBuf,
        /// Exit 2 when any line is bad.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// Write the scenario: NMEA log, vehicle fixes, tips, fences and the district layers,
    /// and truth.json (the planted incidents).
    Export {
        /// Output folder (created when missing).
        #[arg(long)]
        out: PathBuf,
        /// Scenario seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Length in hours.
        #[arg(long, default_value_t = 10.0)]
        hours: f64,
    },
    /// Replay an exported scenario through the engine and print precision and recall per
    /// alert kind.
    Eval {
        /// A folder written by `scenario export`.
        dir: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct StoreArg {
    /// Store: a GeoPackage path or a postgres:// URL (default: the config's store.location).
    #[arg(long = "store")]
    location: Option<String>,
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Geojson,
    Gpkg,
}

/// An error caused by the user's input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BadInput(String);

fn bad(message: impl Into<String>) -> anyhow::Error {
    BadInput(message.into()).into()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            let input_error = error.chain().any(|e| {
                e.is::<BadInput>()
                    || e.is::<coastwatch_scenario::ScenarioError>()
                    || is_input_store_error(e)
            });
            ExitCode::from(if input_error { 2 } else { 1 })
        }
    }
}

/// Store errors that come from what the user gave (a bad path or file, invalid features).
fn is_input_store_error(error: &(dyn std::error::Error + 'static)) -> bool {
    matches!(
        error.downcast_ref::<StoreError>(),
        Some(
            StoreError::Invalid { .. }
                | StoreError::NotAGeoPackage { .. }
                | StoreError::Conflict { .. }
        )
    )
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            config,
            store,
            port,
        } => {
            let mut config = load_config(config.as_deref())?;
            if let Some(store) = store {
                config.store.location = store;
            }
            if let Some(port) = port {
                config.server.listen = std::net::SocketAddr::from(([0, 0, 0, 0], port));
            }
            serve(config).await
        }
        Command::Import {
            layer,
            file,
            store,
            field_map,
            source_layer,
            skip_invalid,
        } => {
            import(
                &parse_layer(&layer)?,
                &file,
                &store,
                &field_map,
                source_layer,
                skip_invalid,
            )
            .await
        }
        Command::Export {
            layer,
            format,
            out,
            store,
        } => export(parse_layer(&layer)?, format, out.as_deref(), &store).await,
        Command::Coverage { args, store } => {
            args.check().map_err(|e| bad(e.to_string()))?;
            let write_layers = store.location.is_some();
            let target = open_store(&store).await?;
            let result =
                coastwatch_server::coverage::run(&args, target.as_ref(), write_layers).await;
            target.close().await;
            result.map(|_| ()).map_err(|e| {
                if e.is_bad_input() {
                    bad(e.to_string())
                } else {
                    anyhow!(e)
                }
            })
        }
        Command::Tiles { command } => coastwatch_server::tiles::archive::run(command)
            .await
            .map(drop)
            .map_err(|e| {
                if e.is_bad_input() {
                    bad(e.to_string())
                } else {
                    anyhow!(e)
                }
            }),
        Command::Demo {
            port,
            speed,
            seed,
            store,
        } => demo(port, speed, seed, store).await,
        Command::Scenario {
            command: ScenarioCommand::Export { out, seed, hours },
        } => scenario_export(&out, seed, hours),
        Command::Scenario {
            command: ScenarioCommand::Eval { dir, json },
        } => scenario_eval(&dir, json).await,
        Command::Ais {
            command: AisCommand::Decode { file, strict },
        } => ais_decode(&file, strict),
        Command::Ais {
            command: AisCommand::Replay { file, speed, store },
        } => ais_replay(&file, speed, &store).await,
    }
}

fn load_config(file: Option<&Path>) -> anyhow::Result<Config> {
    Config::load(file).map_err(|e| bad(format!("configuration: {e}")))
}

fn parse_layer(name: &str) -> anyhow::Result<Layer> {
    name.parse::<Layer>().map_err(|e| bad(e.to_string()))
}

async fn open_store(arg: &StoreArg) -> anyhow::Result<Box<dyn Store>> {
    let config = load_config(arg.config.as_deref())?;
    let location = arg.location.clone().unwrap_or(config.store.location);
    store::open(&location).await.map_err(|e| match e {
        e @ (StoreError::Open { .. } | StoreError::NotAGeoPackage { .. }) => bad(e.to_string()),
        other => anyhow!(other),
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = store::open(&config.store.location)
        .await
        .map_err(|e| match e {
            e @ (StoreError::Open { .. } | StoreError::NotAGeoPackage { .. }) => bad(e.to_string()),
            other => anyhow!(other),
        })?;
    let store: Arc<dyn Store> = Arc::from(store);
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    let state = AppState::start(config.clone(), store.clone()).await?;
    let vessels = state.ingest.vessels().read().map_or(0, |v| v.len());
    start_feeds(&config, &state).await?;
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
    coastwatch_server::http::serve(listener, app(state.clone()), &config.server, shutdown()).await;
    state.close().await;
    Ok(())
}

/// Starts the AIS feeds named in the config.
async fn start_feeds(config: &Config, state: &AppState) -> anyhow::Result<()> {
    if let Some(address) = &config.ais.tcp_listen {
        let listener = tokio::net::TcpListener::bind(*address)
            .await
            .with_context(|| format!("cannot listen for AIS on tcp {address}"))?;
        tracing::info!(address = %listener.local_addr()?, "AIS TCP listener");
        tokio::spawn(feeds::tcp_listener(
            listener,
            state.ingest.clone(),
            config.ais.clone(),
        ));
    }
    if let Some(address) = &config.ais.udp_listen {
        let socket = tokio::net::UdpSocket::bind(*address)
            .await
            .with_context(|| format!("cannot listen for AIS on udp {address}"))?;
        tracing::info!(address = %socket.local_addr()?, "AIS UDP listener");
        tokio::spawn(feeds::udp_listener(
            socket,
            state.ingest.clone(),
            config.ais.clone(),
        ));
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

async fn import(
    layer: &Layer,
    file: &Path,
    store: &StoreArg,
    field_map: &[String],
    source_layer: Option<String>,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    use coastwatch_io::import::{ImportOptions, read_layer};

    let mut options = ImportOptions {
        source_layer,
        ..ImportOptions::default()
    };
    for pair in field_map {
        let (target, source) = pair
            .split_once('=')
            .ok_or_else(|| bad(format!("--map {pair:?} must be TARGET=SOURCE")))?;
        if layer.field(target).is_none() {
            return Err(bad(format!(
                "--map {pair:?}: {layer} has no field {target:?}"
            )));
        }
        options
            .field_map
            .insert(target.to_owned(), source.to_owned());
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} features ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(format!("reading {}", file.display()));
    let progress_bar = bar.clone();
    options.progress = Some(Box::new(move |done, total| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    }));

    let store = open_store(store).await?;
    let started = Instant::now();
    let report = read_layer(file, *layer, &options).map_err(|e| bad(e.to_string()))?;
    bar.finish_and_clear();
    for reject in &report.rejects {
        eprintln!(
            "{}: feature {}: {}",
            file.display(),
            reject.feature_number,
            reject.reason
        );
    }
    if !report.ignored_fields.is_empty() {
        eprintln!(
            "ignored source fields (use --map TARGET=SOURCE to keep one): {}",
            report.ignored_fields.join(", ")
        );
    }
    if !report.rejects.is_empty() && !skip_invalid {
        return Err(bad(format!(
            "{} of {} features rejected; nothing imported (use --skip-invalid to import the {} valid ones)",
            report.rejects.len(),
            report.read,
            report.features.len()
        )));
    }
    let count = report.features.len();
    store
        .insert(*layer, report.features)
        .await
        .map_err(|e| bad(format!("{}: {e}", file.display())))?;
    store.close().await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {count} features into {layer} ({} rejected) in {seconds:.2} s ({:.0} features/s)",
        report.rejects.len(),
        count as f64 / seconds.max(1e-9)
    );
    Ok(())
}

async fn export(
    layer: Layer,
    format: ExportFormat,
    out: Option<&Path>,
    store: &StoreArg,
) -> anyhow::Result<()> {
    let store = open_store(store).await?;
    let features = store.query(layer, &Query::default()).await?;
    match format {
        ExportFormat::Geojson => match out {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let mut writer = std::io::BufWriter::new(file);
                coastwatch_core::geojson::write_geojson(&features, &mut writer)?;
                std::io::Write::flush(&mut writer)?;
            }
            None => {
                let mut stdout = std::io::stdout().lock();
                coastwatch_core::geojson::write_geojson(&features, &mut stdout)?;
            }
        },
        ExportFormat::Gpkg => {
            let path = out.ok_or_else(|| bad("--format gpkg needs --out FILE.gpkg"))?;
            if path.exists() {
                return Err(bad(format!(
                    "{} already exists; choose a new file",
                    path.display()
                )));
            }
            let target = GeoPackageStore::open(path).await?;
            target.insert(layer, features).await?;
            target.close().await;
        }
    }
    if let Some(path) = out {
        eprintln!("exported {layer} to {}", path.display());
    }
    Ok(())
}

fn ais_decode(file: &Path, strict: bool) -> anyhow::Result<()> {
    use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};

    let input: Box<dyn std::io::Read> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(file)
                .map_err(|e| bad(format!("cannot read {}: {e}", file.display())))?,
        )
    };
    let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let stderr = std::io::BufWriter::new(std::io::stderr().lock());
    let stats = match decode_to_ndjson(input, stdout, stderr, NdjsonOptions::default()) {
        Ok(stats) => stats,
        // the reader went away (`| head`): not a failure
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    eprintln!(
        "{} lines, {} messages decoded, {} bad lines ({} bad checksums), {} fragments dropped",
        stats.lines, stats.decoded, stats.errors, stats.bad_checksum, stats.dropped_fragments
    );
    if strict && stats.errors > 0 {
        return Err(bad(format!(
            "{} bad lines in {} (--strict)",
            stats.errors,
            file.display()
        )));
    }
    Ok(())
}

async fn ais_replay(file: &Path, speed: Option<f64>, store: &StoreArg) -> anyhow::Result<()> {
    use coastwatch_ais::decoder::{Decoder, DecoderOptions};
    use coastwatch_ais::engine::vessel_updates;

    if let Some(speed) = speed.filter(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(bad(format!("--speed {speed} must be a positive number")));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| bad(format!("cannot read {}: {e}", file.display())))?;
    let config = load_config(store.config.as_deref())?;
    let store: Arc<dyn Store> = Arc::from(open_store(store).await?);
    let state = AppState::start(config, store.clone()).await?;
    let first_event = state.alerts.feed.next_seq();
    let mut decoder = Decoder::new(DecoderOptions::default());
    let started = Instant::now();
    let mut clock: Option<(f64, Instant)> = None;
    let mut batch = Vec::new();
    let mut last_t = 0.0;
    for (number, line) in text.lines().enumerate() {
        let decoded = match decoder.feed_line(line.as_bytes()) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => continue,
            Err(error) => {
                if !line.trim().is_empty() {
                    eprintln!("{}:{}: {error}", file.display(), number + 1);
                }
                continue;
            }
        };
        // messages without a time of their own take the last one seen
        let t = decoded.timestamp_s.unwrap_or(last_t);
        last_t = t;
        if let Some(speed) = speed {
            let (t0, wall0) = *clock.get_or_insert((t, Instant::now()));
            let due = wall0 + std::time::Duration::from_secs_f64(((t - t0) / speed).max(0.0));
            if due > Instant::now() {
                state
                    .ingest
                    .submit(std::mem::take(&mut batch))
                    .await
                    .map_err(|e| anyhow!(e))?;
                tokio::time::sleep_until(due.into()).await;
            }
        }
        batch.extend(vessel_updates(&decoded.message, t).map(ingest::Update::Vessel));
        if batch.len() >= 1000 {
            state
                .ingest
                .submit(std::mem::take(&mut batch))
                .await
                .map_err(|e| anyhow!(e))?;
        }
    }
    state.ingest.submit(batch).await.map_err(|e| anyhow!(e))?;
    let stats = decoder.stats();
    print_final_alerts(&state, first_event);
    let (vessels, named) = {
        let engine = state
            .ingest
            .vessels()
            .read()
            .unwrap_or_else(|e| e.into_inner());
        (
            engine.len(),
            engine.iter().filter(|v| v.info.name.is_some()).count(),
        )
    };
    eprintln!(
        "replayed {} lines in {:.2} s: {} messages, {} bad lines, {vessels} vessels ({named} named)",
        stats.lines,
        started.elapsed().as_secs_f64(),
        stats.decoded,
        stats.errors
    );
    state.close().await;
    Ok(())
}

/// Prints every alert changed since event `first` once, in its final state, as NDJSON.
fn print_final_alerts(state: &AppState, first: u64) {
    let events = state.alerts.feed.subscribe(first.checked_sub(1)).backlog;
    let mut last_of: std::collections::BTreeMap<i64, String> = Default::default();
    for message in &events {
        let id = serde_json::from_str::<serde_json::Value>(&message.json)
            .ok()
            .and_then(|v| v["id"].as_i64())
            .unwrap_or_default();
        last_of.insert(id, message.json.clone());
    }
    for json in last_of.values() {
        println!("{json}");
    }
}

/// The token the demo prints for dispatchers (reads are open in the demo).
const DEMO_TOKEN: &str = "demo-dispatcher";

async fn demo(port: u16, speed: f64, seed: u64, store: Option<String>) -> anyhow::Result<()> {
    use coastwatch_scenario::{District, ScenarioConfig, generate};
    if !(speed.is_finite() && speed > 0.0) {
        return Err(bad(format!("--speed {speed} must be a positive number")));
    }
    let started = Instant::now();
    coastwatch_server::clock::speed_up(speed);
    let district = District::demo()?;
    let temp = tempfile::tempdir()?;
    let location = store.unwrap_or_else(|| temp.path().join("demo.gpkg").display().to_string());
    let store: Arc<dyn Store> = Arc::from(store::open(&location).await?);
    coastwatch_server::demo::load_district(store.as_ref(), &district, &[]).await?;
    // COASTWATCH_* variables configure the demo as they do `serve` (an AIS port, limits)
    let mut config = load_config(None)?;
    config.store.location = location;
    config.server.listen = std::net::SocketAddr::from(([0, 0, 0, 0], port));
    config.auth.open_reads = true;
    config
        .auth
        .tokens
        .push(coastwatch_server::config::TokenConfig {
            token: None,
            token_sha256: Some(coastwatch_server::auth::sha256_hex(DEMO_TOKEN)),
            user: "demo".into(),
            // published in the README: it may act on alerts, not edit the district
            roles: vec![coastwatch_server::auth::Role::Dispatcher],
        });
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let server_config = config.server.clone();
    let state = AppState::start(config.clone(), store.clone()).await?;
    start_feeds(&config, &state).await?;
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
    let mapper = state.clone();
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
    let player = state.clone();
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
        })
        .await;
        let scenario = match generated {
            Ok(Ok(scenario)) => scenario,
            Ok(Err(error)) => return tracing::error!(%error, "the demo scenario failed"),
            Err(error) => return tracing::error!(%error, "the demo scenario failed"),
        };
        let (lines, fixes, tips) = scenario.counts();
        tracing::info!(lines, fixes, tips, "demo scenario: 24 simulated hours");
        if let Err(error) = coastwatch_server::demo::play(player, scenario, true).await {
            tracing::error!(%error, "the demo scenario stopped");
        }
    });
    println!(
        "coastwatch demo: Xiangshan Bay at http://localhost:{port}/ (clock x{speed}, seed {seed}; \
         dispatcher token: {DEMO_TOKEN}; ready in {} ms)",
        started.elapsed().as_millis()
    );
    coastwatch_server::http::serve(listener, app(state.clone()), &server_config, shutdown()).await;
    state.close().await;
    Ok(())
}

fn scenario_export(out: &Path, seed: u64, hours: f64) -> anyhow::Result<()> {
    use coastwatch_scenario::{District, ScenarioConfig, generate};
    if !(hours.is_finite() && hours > 0.0 && hours <= 240.0) {
        return Err(bad(format!("--hours {hours} must be between 0 and 240")));
    }
    let scenario = generate(
        &District::demo()?,
        &ScenarioConfig {
            seed,
            hours,
            ..ScenarioConfig::default()
        },
    )?;
    scenario.write(out)?;
    let (lines, fixes, tips) = scenario.counts();
    eprintln!(
        "wrote {}: {lines} AIS lines, {fixes} vehicle fixes, {tips} tips, {} planted alerts",
        out.display(),
        scenario.truth.len()
    );
    for note in &scenario.notes {
        eprintln!("note: {note}");
    }
    Ok(())
}

async fn scenario_eval(dir: &Path, json: bool) -> anyhow::Result<()> {
    if !dir.join("truth.json").is_file() {
        return Err(bad(format!(
            "{} is not a scenario folder (no truth.json; write one with `coastwatch scenario export`)",
            dir.display()
        )));
    }
    let report = coastwatch_server::demo::evaluate(dir, Config::default()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}
