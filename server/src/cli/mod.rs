//! The commands of the `coastwatch` binary, one module each, and the one error type that
//! decides their exit code: 0 ok, 2 bad usage or bad input ([`CliError::Input`]), 1 any other
//! failure ([`CliError::Failed`]).

mod ais;
mod jt808;
mod layers;
mod scenario;
mod serve;
mod vision;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use coastwatch_core::Layer;
use coastwatch_core::geodesy::gcj02::Datum;
use coastwatch_scenario::ScenarioError;
use coastwatch_server::Config;
use coastwatch_server::state::StartError;
use coastwatch_store::{Store, StoreError};

#[derive(Parser)]
#[command(
    name = "coastwatch",
    version,
    about = "Coastal anti-smuggling monitoring: spatial analytics and vector tile server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// The datum of the source's coordinates: `wgs84`, or `gcj02` (sites traced on a
        /// Chinese web map), converted to WGS 84.
        #[arg(long, default_value = "wgs84")]
        crs: Datum,
    },
    /// Export a layer as GeoJSON or GeoPackage, or the stored fixes (`positions`) as
    /// GeoParquet partitioned by day.
    Export {
        /// Layer to export, or `positions`.
        layer: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Geojson)]
        format: ExportFormat,
        /// Output file (GeoJSON goes to standard output without one), or folder (GeoParquet).
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
    /// JT/T 808 tools.
    Jt808 {
        #[command(subcommand)]
        command: Jt808Command,
    },
    /// The video core: tracking in video files and camera streams, tracking metrics.
    Vision {
        #[command(subcommand)]
        command: vision::VisionCommand,
    },
}

#[derive(Subcommand)]
pub enum AisCommand {
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
pub enum Jt808Command {
    /// Decode JT/T 808 frames (one per line in hex, with or without the 7e delimiters) to
    /// NDJSON; bad frames go to stderr with their line numbers.
    Decode {
        /// File of hex frames, or - for standard input.
        file: PathBuf,
        /// Exit 2 when any frame is bad.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand)]
pub enum ScenarioCommand {
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
pub struct StoreArg {
    /// Store: a GeoPackage path or a postgres:// URL (default: the config's store.location).
    #[arg(long = "store")]
    pub location: Option<String>,
    /// TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Geojson,
    Gpkg,
    Geoparquet,
}

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input is wrong (arguments, configuration, files, features): exit code 2.
    #[error("{0}")]
    Input(String),
    /// Anything else (the store, the network, a bug): exit code 1.
    #[error(transparent)]
    Failed(anyhow::Error),
}

impl CliError {
    /// A [`CliError::Input`].
    pub fn input(message: impl Into<String>) -> Self {
        Self::Input(message.into())
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Input(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

/// Whether `error` comes from what the user gave: a store location that cannot be used, a
/// file that is no GeoPackage or that the GDAL helper refuses, invalid features, a taken id, a scenario that cannot be made or
/// read. The one place that decides between exit codes 2 and 1.
fn is_input(error: &(dyn std::error::Error + 'static)) -> bool {
    error.is::<ScenarioError>()
        || matches!(
            error.downcast_ref::<coastwatch_io::HelperError>(),
            Some(coastwatch_io::HelperError::Refused(_))
        )
        || matches!(
            error.downcast_ref::<StoreError>(),
            Some(
                StoreError::Invalid { .. }
                    | StoreError::NotAGeoPackage { .. }
                    | StoreError::Conflict { .. }
                    | StoreError::Open { .. }
            )
        )
}

impl From<anyhow::Error> for CliError {
    fn from(error: anyhow::Error) -> Self {
        if error.chain().any(is_input) {
            Self::Input(format!("{error:#}"))
        } else {
            Self::Failed(error)
        }
    }
}

/// Every error a command meets goes through the one classifier above.
macro_rules! through_anyhow {
    ($($error:ty),*) => {$(
        impl From<$error> for CliError {
            fn from(error: $error) -> Self {
                anyhow::Error::from(error).into()
            }
        }
    )*};
}

through_anyhow!(
    coastwatch_io::HelperError,
    StoreError,
    coastwatch_io::geoparquet::ExportError,
    ScenarioError,
    StartError,
    std::io::Error,
    serde_json::Error
);

/// A command's failure that knows whether it is the user's input (`is_bad_input`).
fn judged<E>(error: E, bad_input: bool) -> CliError
where
    E: std::error::Error + Send + Sync + 'static,
{
    if bad_input {
        CliError::input(error.to_string())
    } else {
        anyhow::Error::from(error).into()
    }
}

/// The result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Runs `cli`'s command.
pub async fn run(cli: Cli) -> CliResult {
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
            serve::serve(config).await
        }
        Command::Import {
            layer,
            file,
            store,
            field_map,
            source_layer,
            skip_invalid,
            crs,
        } => {
            let options = layers::ImportArgs {
                field_map,
                source_layer,
                skip_invalid,
                crs,
            };
            layers::import(parse_layer(&layer)?, &file, &store, options).await
        }
        Command::Export {
            layer,
            format,
            out,
            store,
        } => match (layer.as_str(), format) {
            ("positions", ExportFormat::Geoparquet) => {
                let out = out.ok_or_else(|| {
                    CliError::input("--format geoparquet needs --out DIR (a folder)")
                })?;
                layers::export_positions(&out, &store).await
            }
            ("positions", _) => Err(CliError::input(
                "positions are exported as GeoParquet: --format geoparquet --out DIR",
            )),
            (_, ExportFormat::Geoparquet) => Err(CliError::input(
                "--format geoparquet exports `positions` (the stored fixes) only",
            )),
            _ => layers::export(parse_layer(&layer)?, format, out.as_deref(), &store).await,
        },
        Command::Coverage { args, store } => {
            args.check().map_err(|e| CliError::input(e.to_string()))?;
            let write_layers = store.location.is_some();
            let target = open_store(&store).await?;
            let result =
                coastwatch_server::coverage::run(&args, target.as_ref(), write_layers).await;
            target.close().await;
            result.map(drop).map_err(|e| {
                let bad = e.is_bad_input();
                judged(e, bad)
            })
        }
        Command::Tiles { command } => coastwatch_server::tiles::archive::run(command)
            .await
            .map(drop)
            .map_err(|e| {
                let bad = e.is_bad_input();
                judged(e, bad)
            }),
        Command::Demo {
            port,
            speed,
            seed,
            store,
        } => serve::demo(port, speed, seed, store).await,
        Command::Scenario {
            command: ScenarioCommand::Export { out, seed, hours },
        } => scenario::export(&out, seed, hours),
        Command::Scenario {
            command: ScenarioCommand::Eval { dir, json },
        } => scenario::eval(&dir, json).await,
        Command::Ais {
            command: AisCommand::Decode { file, strict },
        } => ais::decode(&file, strict),
        Command::Ais {
            command: AisCommand::Replay { file, speed, store },
        } => ais::replay(&file, speed, &store).await,
        Command::Jt808 {
            command: Jt808Command::Decode { file, strict },
        } => jt808::decode(&file, strict),
        // Blocking work on the CLI's own thread: nothing else runs on this runtime meanwhile.
        Command::Vision { command } => vision::run(command),
    }
}

/// The configuration: defaults, then `file`, then the environment; refused values name their
/// key.
fn load_config(file: Option<&Path>) -> CliResult<Config> {
    Config::load(file).map_err(|e| CliError::input(format!("configuration: {e}")))
}

fn parse_layer(name: &str) -> CliResult<Layer> {
    name.parse::<Layer>()
        .map_err(|e| CliError::input(e.to_string()))
}

/// The store the arguments name, else the configuration's.
async fn open_store(arg: &StoreArg) -> CliResult<Box<dyn Store>> {
    let config = load_config(arg.config.as_deref())?;
    let location = arg.location.clone().unwrap_or(config.store.location);
    Ok(coastwatch_store::open(&location).await?)
}

/// A `--speed` that is a positive number.
fn check_speed(speed: f64) -> CliResult<()> {
    if speed.is_finite() && speed > 0.0 {
        Ok(())
    } else {
        Err(CliError::input(format!(
            "--speed {speed} must be a positive number"
        )))
    }
}
