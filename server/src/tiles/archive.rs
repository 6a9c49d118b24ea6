//! `coastwatch tiles export`: vector tiles of some layers over a zoom range, written into an
//! MBTiles (SQLite) or PMTiles v3 archive.
//!
//! The tiles are enumerated over the layers' extent (or `--bbox`, or the district's bbox when
//! the layers hold nothing), built by [`crate::tiles::build_tile`] — the same builder
//! as `GET /tiles/{source}/{z}/{x}/{y}`, so an archive's tile is byte for byte the tile the
//! server sends — and written gzip-compressed; empty tiles are left out.
//!
//! - MBTiles 1.3: `metadata(name, value)` with `name`, `format` = `pbf`, `minzoom`, `maxzoom`,
//!   `bounds`, `center`, `json` (`vector_layers`) and martin's `agg_tiles_hash`;
//!   `tiles(zoom_level, tile_column, tile_row, tile_data)` with TMS rows and a unique key.
//! - PMTiles v3 through the `pmtiles` crate: tiles in Hilbert order (clustered), gzip tiles
//!   and directories, TileJSON-like metadata with `vector_layers`.
//!
//! The archive is written next to `--out` under a temporary name and renamed over it at the
//! end, so a failed export leaves no half-written file.
//!
//! # Units
//! Bounds are WGS84 lon/lat degrees `[west, south, east, north]`; zooms are tile zoom levels.

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use coastwatch_core::Layer;
use coastwatch_store::{Query, Store, StoreError};
use coastwatch_tiles::tilejson::VectorLayer;
use coastwatch_tiles::{TileCoord, Zoom, lon_lat_to_mercator_m, mercator_m_to_lon_lat};
use futures_util::{StreamExt, TryStreamExt};
use geo::{BoundingRect, Coord, Rect};
use md5::{Digest, Md5};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

use crate::config::Config;
use crate::live;
use crate::state::{AppState, StartError};
use crate::tiles::cache::gzip;
use crate::tiles::{BUFFER_FRACTION, build_tile};

/// Most tiles one export enumerates (a guard against a world-wide bbox at zoom 16).
pub const MAX_TILES: u64 = 20_000_000;
/// MBTiles rows written per transaction.
const BATCH: usize = 1000;

/// `coastwatch tiles …` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TilesCommand {
    /// Write vector tiles of layers into an MBTiles or PMTiles archive.
    Export(ExportArgs),
}

/// Arguments of `coastwatch tiles export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output archive: FILE.mbtiles or FILE.pmtiles (replaced when it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Layers in drawing order, comma-separated (e.g. coastline,geofences,risk_points).
    #[arg(long, value_delimiter = ',', required = true)]
    pub layers: Vec<String>,
    /// Lowest zoom level to write.
    #[arg(long, default_value_t = 0)]
    pub minzoom: u8,
    /// Highest zoom level to write.
    #[arg(long, default_value_t = 14)]
    pub maxzoom: u8,
    /// Only tiles over W,S,E,N (degrees); default: the layers' extent, else the district's.
    #[arg(long, allow_hyphen_values = true, value_name = "W,S,E,N")]
    pub bbox: Option<String>,
    /// Store: a GeoPackage path or a postgres:// URL (default: the config's store.location).
    #[arg(long)]
    pub store: Option<String>,
    /// TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TilesExportError {
    /// The arguments cannot be used (exit code 2).
    #[error("{0}")]
    BadInput(String),
    /// Reading the layers failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Starting the engine for the live layers failed.
    #[error(transparent)]
    Start(#[from] StartError),
    /// A file could not be written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Writing the MBTiles database failed.
    #[error("writing MBTiles {path}: {source}")]
    Mbtiles {
        /// The archive being written.
        path: PathBuf,
        /// What went wrong.
        source: sqlx::Error,
    },
    /// Writing the PMTiles archive failed.
    #[error("writing PMTiles {path}: {source}")]
    Pmtiles {
        /// The archive being written.
        path: PathBuf,
        /// What went wrong.
        source: pmtiles::PmtError,
    },
    /// Building a tile failed.
    #[error("tile {coord}: {source}")]
    Tile {
        /// The tile.
        coord: TileCoord,
        /// What went wrong.
        source: StoreError,
    },
    /// A tile-building task died.
    #[error("a tile-building task failed: {0}")]
    Task(String),
}

impl TilesExportError {
    /// Whether the user's input caused it (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::BadInput(_)
                | Self::Store(
                    StoreError::Open { .. }
                        | StoreError::NotAGeoPackage { .. }
                        | StoreError::Invalid { .. }
                )
        )
    }
}

fn bad(message: impl Into<String>) -> TilesExportError {
    TilesExportError::BadInput(message.into())
}

/// The archive format, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// MBTiles 1.3 (SQLite), `.mbtiles`.
    Mbtiles,
    /// PMTiles v3, `.pmtiles`.
    Pmtiles,
}

impl ArchiveFormat {
    /// The format `path`'s extension names.
    pub fn from_path(path: &Path) -> Result<Self, TilesExportError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("mbtiles") => Ok(Self::Mbtiles),
            Some("pmtiles") => Ok(Self::Pmtiles),
            _ => Err(bad(format!(
                "--out {}: the file must end in .mbtiles or .pmtiles",
                path.display()
            ))),
        }
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The archive to write (its extension picks the format); replaced when it exists.
    pub out: PathBuf,
    /// The layers, in drawing order.
    pub layers: Vec<Layer>,
    /// Lowest zoom written.
    pub min_zoom: Zoom,
    /// Highest zoom written.
    pub max_zoom: Zoom,
    /// Tiles only over this `[west, south, east, north]`; `None`: the layers' extent.
    pub bbox: Option<[f64; 4]>,
    /// Show a progress bar on standard error (when it is a terminal).
    pub progress: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    /// The archive's format.
    pub format: ArchiveFormat,
    /// Tiles written (non-empty).
    pub tiles_written: u64,
    /// Tiles enumerated but empty, left out.
    pub tiles_empty: u64,
    /// Tiles written per zoom level.
    pub tiles_per_zoom: BTreeMap<u8, u64>,
    /// The archive's size in bytes.
    pub bytes: u64,
    /// The bounds the tiles were enumerated over, `[west, south, east, north]`.
    pub bounds: [f64; 4],
    /// Wall time of the export in seconds.
    pub seconds: f64,
}

/// Runs a `coastwatch tiles` subcommand: opens the store (and, for live layers, the engine),
/// exports and prints a summary line on standard output.
pub async fn run(command: TilesCommand) -> Result<ExportReport, TilesExportError> {
    let TilesCommand::Export(args) = command;
    let config =
        Config::load(args.config.as_deref()).map_err(|e| bad(format!("configuration: {e}")))?;
    let layers = parse_layers(&args.layers)?;
    let options = ExportOptions::from_args(&args, layers)?;
    ArchiveFormat::from_path(&options.out)?;
    let location = args.store.unwrap_or_else(|| config.store.location.clone());
    let is_url = location.starts_with("postgres://") || location.starts_with("postgresql://");
    if !is_url && !Path::new(&location).is_file() {
        return Err(bad(format!("store {location} does not exist")));
    }
    let store: Arc<dyn Store> = Arc::from(coastwatch_store::open(&location).await?);
    let district = config.district.bbox;
    let live = if options.layers.iter().any(|l| live::is_live(*l)) {
        Some(AppState::start(config, store.clone()).await?)
    } else {
        None
    };
    let result = export_tiles(store.clone(), live, district, &options).await;
    store.close().await;
    let report = result?;
    let names: Vec<&str> = options.layers.iter().map(|l| l.name()).collect();
    println!(
        "exported {} tiles ({} empty left out) of {} z{}-z{} over [{:.5}, {:.5}, {:.5}, {:.5}] to {} ({} bytes) in {:.2} s",
        report.tiles_written,
        report.tiles_empty,
        names.join(","),
        options.min_zoom.get(),
        options.max_zoom.get(),
        report.bounds[0],
        report.bounds[1],
        report.bounds[2],
        report.bounds[3],
        options.out.display(),
        report.bytes,
        report.seconds
    );
    Ok(report)
}

impl ExportOptions {
    /// The options of `args` over `layers`, with a progress bar.
    fn from_args(args: &ExportArgs, layers: Vec<Layer>) -> Result<Self, TilesExportError> {
        let zoom = |flag: &str, z: u8| Zoom::new(z).map_err(|e| bad(format!("--{flag} {z}: {e}")));
        Ok(Self {
            out: args.out.clone(),
            layers,
            min_zoom: zoom("minzoom", args.minzoom)?,
            max_zoom: zoom("maxzoom", args.maxzoom)?,
            bbox: args.bbox.as_deref().map(parse_bbox).transpose()?,
            progress: true,
        })
    }
}

/// Parses `a,b,c` layer names.
pub fn parse_layers(names: &[String]) -> Result<Vec<Layer>, TilesExportError> {
    let layers = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<Layer>()
                .map_err(|e| bad(format!("--layers: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if layers.is_empty() {
        return Err(bad("--layers needs at least one layer"));
    }
    Ok(layers)
}

/// Parses `W,S,E,N` in degrees.
pub fn parse_bbox(text: &str) -> Result<[f64; 4], TilesExportError> {
    let numbers = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("--bbox {text:?}: {e}")))?;
    let [w, s, e, n] = numbers[..] else {
        return Err(bad(format!(
            "--bbox {text:?}: give four numbers W,S,E,N (degrees)"
        )));
    };
    let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
    let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
    if !(lon_ok(w) && lon_ok(e) && lat_ok(s) && lat_ok(n)) || w >= e || s >= n {
        return Err(bad(format!(
            "--bbox {text:?}: need west < east in [-180, 180] and south < north in [-90, 90]"
        )));
    }
    Ok([w, s, e, n])
}

/// Exports `options.layers` of `store` (live layers from `live`'s engine when given) into
/// `options.out`. Without data and without `options.bbox`, `district_bbox` is enumerated.
pub async fn export_tiles(
    store: Arc<dyn Store>,
    live: Option<AppState>,
    district_bbox: [f64; 4],
    options: &ExportOptions,
) -> Result<ExportReport, TilesExportError> {
    let started = Instant::now();
    let format = ArchiveFormat::from_path(&options.out)?;
    if options.layers.is_empty() {
        return Err(bad("--layers needs at least one layer"));
    }
    // the served form of the source, so that an archived tile is the tile the server answers
    let options = &ExportOptions {
        layers: Layer::in_order(options.layers.iter().copied()),
        ..options.clone()
    };
    if options.min_zoom > options.max_zoom {
        return Err(bad(format!(
            "--minzoom {} is above --maxzoom {}",
            options.min_zoom.get(),
            options.max_zoom.get()
        )));
    }
    let bounds = match options.bbox {
        Some(bbox) => bbox,
        None => data_extent(store.as_ref(), live.as_ref(), &options.layers)
            .await?
            .unwrap_or(district_bbox),
    };
    let coords = enumerate(bounds, options.min_zoom, options.max_zoom)?;
    let metadata = Metadata::new(options, bounds);

    let partial = partial_path(&options.out);
    let _ = std::fs::remove_file(&partial);
    let mut archive = match format {
        ArchiveFormat::Mbtiles => Archive::Mbtiles(MbtilesWriter::create(&partial).await?),
        ArchiveFormat::Pmtiles => {
            Archive::Pmtiles(Box::new(PmtilesWriter::create(&partial, &metadata)?))
        }
    };

    let bar = if options.progress {
        indicatif::ProgressBar::new(coords.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:40} {pos}/{len} tiles ({per_sec}, eta {eta})",
        )
        .expect("valid template"),
    );
    bar.set_message(format!("exporting {}", options.out.display()));

    let concurrency = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
        * 2;
    let layers: Arc<[Layer]> = options.layers.clone().into();
    let mut built = futures_util::stream::iter(coords)
        .map(|coord| {
            let (store, live, layers) = (store.clone(), live.clone(), layers.clone());
            tokio::spawn(async move {
                let bytes = build_tile(store.as_ref(), live.as_ref(), &layers, coord, None).await;
                (coord, bytes)
            })
        })
        .buffered(concurrency);

    let (mut written, mut empty) = (0u64, 0u64);
    let mut per_zoom = BTreeMap::new();
    let outcome = async {
        while let Some(joined) = built.next().await {
            let (coord, bytes) = joined.map_err(|e| TilesExportError::Task(e.to_string()))?;
            let bytes = bytes.map_err(|source| TilesExportError::Tile { coord, source })?;
            bar.inc(1);
            if bytes.is_empty() {
                empty += 1;
                continue;
            }
            archive.add(coord, &bytes).await?;
            written += 1;
            *per_zoom.entry(coord.z().get()).or_insert(0u64) += 1;
        }
        archive.finish(&metadata).await
    }
    .await;
    bar.finish_and_clear();
    if let Err(error) = outcome {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, &options.out).map_err(|source| TilesExportError::Io {
        path: options.out.clone(),
        source,
    })?;
    let bytes = std::fs::metadata(&options.out)
        .map_err(|source| TilesExportError::Io {
            path: options.out.clone(),
            source,
        })?
        .len();
    Ok(ExportReport {
        format,
        tiles_written: written,
        tiles_empty: empty,
        tiles_per_zoom: per_zoom,
        bytes,
        bounds,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

/// The union of the layers' feature bounds, or `None` when they hold no geometry.
async fn data_extent(
    store: &dyn Store,
    live: Option<&AppState>,
    layers: &[Layer],
) -> Result<Option<[f64; 4]>, StoreError> {
    let mut extent: Option<Rect> = None;
    for layer in layers {
        let features = match live.filter(|_| live::is_live(*layer)) {
            Some(state) if *layer == Layer::AisDensity => live::density(state, None, None),
            Some(state) => live::page(state, *layer, &Query::default()).1,
            None if *layer == Layer::AisDensity => Vec::new(),
            None => store.query(*layer, &Query::default()).await?,
        };
        for rect in features
            .iter()
            .filter_map(|f| f.geometry.as_ref()?.bounding_rect())
        {
            extent = Some(match extent {
                None => rect,
                Some(e) => Rect::new(
                    Coord {
                        x: e.min().x.min(rect.min().x),
                        y: e.min().y.min(rect.min().y),
                    },
                    Coord {
                        x: e.max().x.max(rect.max().x),
                        y: e.max().y.max(rect.max().y),
                    },
                ),
            });
        }
    }
    Ok(extent.map(|e| [e.min().x, e.min().y, e.max().x, e.max().y]))
}

/// Every tile from `min_zoom` to `max_zoom` over `bounds` grown by the tile buffer, in PMTiles
/// tile-id order (zoom by zoom, Hilbert curve inside a zoom).
fn enumerate(
    bounds: [f64; 4],
    min_zoom: Zoom,
    max_zoom: Zoom,
) -> Result<Vec<TileCoord>, TilesExportError> {
    let [w, s, e, n] = bounds;
    let sw = lon_lat_to_mercator_m(Coord {
        x: w.clamp(-180.0, 180.0),
        y: s,
    });
    let ne = lon_lat_to_mercator_m(Coord {
        x: e.clamp(-180.0, 180.0),
        y: n,
    });
    let mut ranges = Vec::new();
    let mut total = 0u64;
    for z in min_zoom.get()..=max_zoom.get() {
        let zoom = Zoom::new(z).map_err(|e| bad(e.to_string()))?;
        let pad = zoom.tile_width_m() * BUFFER_FRACTION;
        let corner = |m: Coord| {
            let ll = mercator_m_to_lon_lat(m);
            TileCoord::containing_lon_lat(ll.x, ll.y, zoom).map_err(|e| bad(e.to_string()))
        };
        let top_left = corner(Coord {
            x: sw.x - pad,
            y: ne.y + pad,
        })?;
        let bottom_right = corner(Coord {
            x: ne.x + pad,
            y: sw.y - pad,
        })?;
        let (xs, ys) = (
            top_left.x()..=bottom_right.x(),
            top_left.y()..=bottom_right.y(),
        );
        total += u64::from(xs.end() - xs.start() + 1) * u64::from(ys.end() - ys.start() + 1);
        if total > MAX_TILES {
            return Err(bad(format!(
                "more than {MAX_TILES} tiles up to zoom {z} over {bounds:?}: narrow --bbox or lower --maxzoom"
            )));
        }
        ranges.push((zoom, xs, ys));
    }
    let mut coords = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for (zoom, xs, ys) in ranges {
        for x in xs {
            for y in ys.clone() {
                coords.push(TileCoord::new(zoom, x, y).map_err(|e| bad(e.to_string()))?);
            }
        }
    }
    coords.sort_by_cached_key(|c| tile_id(*c));
    Ok(coords)
}

/// The PMTiles v3 tile id of `coord`.
fn tile_id(coord: TileCoord) -> u64 {
    pmtiles::TileCoord::new(coord.z().get(), coord.x(), coord.y())
        .map(|c| pmtiles::TileId::from(c).value())
        .unwrap_or(u64::MAX)
}

/// The metadata both formats carry.
struct Metadata {
    name: String,
    description: String,
    bounds: [f64; 4],
    center: [f64; 3],
    min_zoom: u8,
    max_zoom: u8,
    vector_layers: Vec<VectorLayer>,
}

impl Metadata {
    fn new(options: &ExportOptions, bounds: [f64; 4]) -> Self {
        let (min_zoom, max_zoom) = (options.min_zoom.get(), options.max_zoom.get());
        let names: Vec<&str> = options.layers.iter().map(|l| l.name()).collect();
        let [w, s, e, n] = bounds;
        // the zoom at which the bounds span about four tiles across
        let width_deg = (e - w).max(1e-9);
        let fit = (4.0 * 360.0 / width_deg).log2().floor().clamp(0.0, 24.0) as u8;
        let vector_layers = options
            .layers
            .iter()
            .map(|layer| {
                let mut v = layer
                    .fields()
                    .iter()
                    .fold(VectorLayer::new(layer.name()), |v, f| {
                        v.with_field(f.name, f.ty.json_name())
                    });
                v.description = Some(format!("{layer} layer"));
                v.minzoom = Some(min_zoom);
                v.maxzoom = Some(max_zoom);
                v
            })
            .collect();
        Self {
            name: names.join(","),
            description: format!("coastwatch vector tiles of {}", names.join(", ")),
            bounds,
            center: [
                (w + e) / 2.0,
                (s + n) / 2.0,
                f64::from(fit.clamp(min_zoom, max_zoom)),
            ],
            min_zoom,
            max_zoom,
            vector_layers,
        }
    }

    /// The `json` metadata value (MBTiles) and the PMTiles metadata object.
    fn json(&self, with_tilejson_fields: bool) -> String {
        let mut doc = serde_json::json!({ "vector_layers": self.vector_layers });
        if with_tilejson_fields {
            doc["name"] = self.name.clone().into();
            doc["description"] = self.description.clone().into();
            doc["format"] = "pbf".into();
            doc["type"] = "overlay".into();
            doc["version"] = "1".into();
            doc["generator"] = format!("coastwatch {}", env!("CARGO_PKG_VERSION")).into();
        }
        doc.to_string()
    }

    /// MBTiles `metadata` rows.
    fn mbtiles_rows(&self) -> Vec<(&'static str, String)> {
        let [w, s, e, n] = self.bounds;
        let [cx, cy, cz] = self.center;
        vec![
            ("name", self.name.clone()),
            ("description", self.description.clone()),
            ("format", "pbf".to_owned()),
            ("type", "overlay".to_owned()),
            ("version", "1".to_owned()),
            ("minzoom", self.min_zoom.to_string()),
            ("maxzoom", self.max_zoom.to_string()),
            ("bounds", format!("{w},{s},{e},{n}")),
            ("center", format!("{cx},{cy},{cz}")),
            ("json", self.json(false)),
            (
                "generator",
                format!("coastwatch {}", env!("CARGO_PKG_VERSION")),
            ),
        ]
    }
}

enum Archive {
    Mbtiles(MbtilesWriter),
    Pmtiles(Box<PmtilesWriter>),
}

impl Archive {
    async fn add(&mut self, coord: TileCoord, mvt: &[u8]) -> Result<(), TilesExportError> {
        match self {
            Self::Mbtiles(w) => w.add(coord, mvt).await,
            Self::Pmtiles(w) => w.add(coord, mvt),
        }
    }

    async fn finish(self, metadata: &Metadata) -> Result<(), TilesExportError> {
        match self {
            Self::Mbtiles(w) => w.finish(metadata).await,
            Self::Pmtiles(w) => w.finish(),
        }
    }
}

/// An MBTiles file written through one SQLite connection, in batches of [`BATCH`] rows.
struct MbtilesWriter {
    path: PathBuf,
    conn: SqliteConnection,
    /// `(z, x, tms_y, gzip tile)` waiting for the next transaction.
    pending: Vec<(u8, u32, u32, Vec<u8>)>,
}

impl MbtilesWriter {
    async fn create(path: &Path) -> Result<Self, TilesExportError> {
        let fail = mbtiles_error(path);
        // a rollback journal (not WAL): the finished archive is one self-contained file
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete)
            .synchronous(SqliteSynchronous::Normal)
            .connect()
            .await
            .map_err(&fail)?;
        for sql in [
            "CREATE TABLE metadata (name TEXT NOT NULL PRIMARY KEY, value TEXT)",
            "CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, \
             tile_row INTEGER NOT NULL, tile_data BLOB, \
             PRIMARY KEY (zoom_level, tile_column, tile_row))",
        ] {
            sqlx::query(sql).execute(&mut conn).await.map_err(&fail)?;
        }
        Ok(Self {
            path: path.to_owned(),
            conn,
            pending: Vec::with_capacity(BATCH),
        })
    }

    async fn add(&mut self, coord: TileCoord, mvt: &[u8]) -> Result<(), TilesExportError> {
        self.pending.push((
            coord.z().get(),
            coord.x(),
            coord.tms_y(),
            gzip(mvt, flate2::Compression::default()),
        ));
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TilesExportError> {
        let fail = mbtiles_error(&self.path);
        let mut tx = self.conn.begin().await.map_err(&fail)?;
        for (z, x, y, data) in self.pending.drain(..) {
            sqlx::query(
                "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)",
            )
            .bind(i64::from(z))
            .bind(i64::from(x))
            .bind(i64::from(y))
            .bind(data)
            .execute(&mut *tx)
            .await
            .map_err(&fail)?;
        }
        tx.commit().await.map_err(fail)
    }

    /// Writes the metadata, with martin's `agg_tiles_hash` over the rows, and closes.
    async fn finish(mut self, metadata: &Metadata) -> Result<(), TilesExportError> {
        self.flush().await?;
        let fail = mbtiles_error(&self.path);
        let hash = agg_tiles_hash(&mut self.conn).await.map_err(&fail)?;
        let mut rows = metadata.mbtiles_rows();
        rows.push(("agg_tiles_hash", hash));
        let mut tx = self.conn.begin().await.map_err(&fail)?;
        for (name, value) in rows {
            sqlx::query("INSERT INTO metadata (name, value) VALUES (?, ?)")
                .bind(name)
                .bind(value)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
        }
        tx.commit().await.map_err(&fail)?;
        self.conn.close().await.map_err(fail)
    }
}

fn mbtiles_error(path: &Path) -> impl Fn(sqlx::Error) -> TilesExportError + use<> {
    let path = path.to_owned();
    move |source| TilesExportError::Mbtiles {
        path: path.clone(),
        source,
    }
}

/// martin's `agg_tiles_hash`: MD5 (upper-case hex) over every row in
/// `zoom_level, tile_column, tile_row` order of the row's three numbers as decimal text
/// followed by its `tile_data` bytes.
async fn agg_tiles_hash(conn: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    let mut md5 = Md5::new();
    let mut rows = sqlx::query_as::<_, (i64, i64, i64, Vec<u8>)>(
        "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles \
         ORDER BY zoom_level, tile_column, tile_row",
    )
    .fetch(conn);
    while let Some((z, x, y, data)) = rows.try_next().await? {
        md5.update(z.to_string());
        md5.update(x.to_string());
        md5.update(y.to_string());
        md5.update(&data);
    }
    Ok(md5.finalize().iter().map(|b| format!("{b:02X}")).collect())
}

/// A PMTiles v3 archive written by the `pmtiles` crate (gzip tiles and directories).
struct PmtilesWriter {
    path: PathBuf,
    writer: pmtiles::PmTilesStreamWriter<BufWriter<std::fs::File>>,
}

impl PmtilesWriter {
    fn create(path: &Path, metadata: &Metadata) -> Result<Self, TilesExportError> {
        let file = std::fs::File::create(path).map_err(|source| TilesExportError::Io {
            path: path.to_owned(),
            source,
        })?;
        let [w, s, e, n] = metadata.bounds;
        let [cx, cy, cz] = metadata.center;
        let writer = pmtiles::PmTilesWriter::new(pmtiles::TileType::Mvt)
            .tile_compression(pmtiles::Compression::Gzip)
            .internal_compression(pmtiles::Compression::Gzip)
            .min_zoom(metadata.min_zoom)
            .max_zoom(metadata.max_zoom)
            .bounds(w, s, e, n)
            .center(cx, cy)
            .center_zoom(cz as u8)
            .metadata(metadata.json(true))
            .create(BufWriter::new(file))
            .map_err(|source| TilesExportError::Pmtiles {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            writer,
        })
    }

    fn add(&mut self, coord: TileCoord, mvt: &[u8]) -> Result<(), TilesExportError> {
        let fail = |source| TilesExportError::Pmtiles {
            path: self.path.clone(),
            source,
        };
        let at = pmtiles::TileCoord::new(coord.z().get(), coord.x(), coord.y()).map_err(fail)?;
        self.writer.add_tile(at, mvt).map_err(fail)
    }

    fn finish(self) -> Result<(), TilesExportError> {
        let path = self.path;
        self.writer
            .finalize()
            .map_err(|source| TilesExportError::Pmtiles { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_and_layers_parse_or_say_why() {
        assert_eq!(
            parse_bbox("121.4,29.45,121.8,29.7").unwrap(),
            [121.4, 29.45, 121.8, 29.7]
        );
        assert_eq!(parse_bbox("-10,-5,10,5").unwrap(), [-10.0, -5.0, 10.0, 5.0]);
        for bad in ["1,2,3", "a,b,c,d", "10,0,5,1", "0,0,200,1"] {
            assert!(parse_bbox(bad).unwrap_err().is_bad_input(), "{bad}");
        }
        let names = ["risk_points".to_owned(), " geofences".to_owned()];
        assert_eq!(
            parse_layers(&names).unwrap(),
            [Layer::RiskPoints, Layer::Geofences]
        );
        assert!(parse_layers(&["boats".to_owned()]).is_err());
        assert!(
            ArchiveFormat::from_path(Path::new("x.gpkg"))
                .unwrap_err()
                .is_bad_input()
        );
        assert_eq!(
            ArchiveFormat::from_path(Path::new("x.PMTiles")).unwrap(),
            ArchiveFormat::Pmtiles
        );
    }

    #[test]
    fn tiles_are_enumerated_over_the_bounds_in_tile_id_order() {
        let z = |v| Zoom::new(v).unwrap();
        let coords = enumerate([121.52, 29.58, 121.53, 29.59], z(0), z(14)).unwrap();
        // one tile per zoom up to where the box (plus buffer) spans more than one
        assert_eq!(coords.iter().filter(|c| c.z().get() == 0).count(), 1);
        let at14: Vec<_> = coords.iter().filter(|c| c.z().get() == 14).collect();
        assert!((1..=9).contains(&at14.len()), "{}", at14.len());
        let dock = TileCoord::containing_lon_lat(121.525, 29.585, z(14)).unwrap();
        assert!(coords.contains(&dock));
        let ids: Vec<u64> = coords.iter().map(|c| tile_id(*c)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(
            enumerate([-180.0, -85.0, 180.0, 85.0], z(0), z(24))
                .unwrap_err()
                .is_bad_input()
        );
    }
}
