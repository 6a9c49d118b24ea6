//! `coastwatch coverage`: the coverage report of the stored cameras — `coverage.json`, the
//! GeoJSON layers, the map image and the self-contained `report.html` — and the store
//! reads the HTTP routes and scorecards share.
//!
//! Files written to `--out DIR`: `coverage.json`, `report.html` (and `report.zh-CN.html`, the
//! same in Chinese), `map.png`,
//! `camera_coverage.geojson` (visible polygon per camera), `coverage_gaps.geojson` (unseen
//! watch cells with their reason), `coverage_cells.geojson` (seen cells with how many
//! cameras see each), `risk_points.geojson`, `coastline.geojson` (covered and uncovered
//! runs), `suggestions.geojson` (site points and sectors). With `--store` the
//! `camera_coverage` and `coverage_gaps` layers of that store are replaced, so that tiles
//! and OGC API show them.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use coastwatch_coverage::dem::DemTerrain;
use coastwatch_coverage::report::{
    self, CoverageReport, Parameters, RANGE_SCALES, camera_coverage_features, coverage_gap_features,
};
use coastwatch_coverage::{
    Analysis, CameraModel, CameraTemplate, CandidateSites, CoverageError, CoverageOptions,
    FlatTerrain, FootprintShape, Scene, SuggestOptions, Terrain, TownCoverage, html, render,
};
use coastwatch_io::{Helper, HelperError};
use coastwatch_store::StoreError;
use coastwatch_store::{Query, Store};

/// Width of the report's map image (px).
const MAP_WIDTH_PX: u32 = 1200;

/// The options of `coastwatch coverage`.
#[derive(Debug, Clone, clap::Args)]
pub struct CoverageArgs {
    /// Digital elevation model (GeoTIFF) for line of sight over hills; the curved earth
    /// alone without one.
    #[arg(long, value_name = "DEM.tif")]
    pub dem: Option<PathBuf>,
    /// H3 resolution of the coverage map (0–15).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=15))]
    pub h3_res: u8,
    /// Suggest this many new cameras (0–100).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=100))]
    pub suggest: u16,
    /// Output folder (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Candidate sites: a GeoJSON file of Point features (default: along the coastline
    /// every --spacing metres, and at every risk point).
    #[arg(long, value_name = "FILE.geojson")]
    pub candidates: Option<PathBuf>,
    /// Distance between generated candidate sites along the coastline (m).
    #[arg(long, default_value_t = 500.0, allow_negative_numbers = true)]
    pub spacing: f64,
    /// Mounting height of a suggested camera (m).
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
    pub camera_height: f64,
    /// Horizontal field of view of a suggested camera (deg; 360 for PTZ).
    #[arg(long, default_value_t = 90.0, allow_negative_numbers = true)]
    pub camera_hfov: f64,
    /// Range of a suggested camera (m).
    #[arg(long, default_value_t = 3000.0, allow_negative_numbers = true)]
    pub camera_range: f64,
    /// Height above the ground of what must be seen (m): a boat, a person.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub target_height: f64,
}

/// Why `coastwatch coverage` (or a coverage request) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageCommandError {
    /// The arguments or a file named by them cannot be used.
    #[error("{0}")]
    BadInput(String),
    /// Coverage planning refused its input or failed.
    #[error(transparent)]
    Coverage(#[from] CoverageError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The GDAL helper that reads the DEM could not run.
    #[error(transparent)]
    Gdal(HelperError),
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
}

impl CoverageCommandError {
    /// Whether the user's input is at fault (exit code 2, HTTP 400).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::BadInput(_) => true,
            Self::Coverage(e) => e.is_bad_input(),
            Self::Store(e) => matches!(e, StoreError::Invalid { .. }),
            Self::Gdal(_) | Self::Write { .. } => false,
        }
    }
}

impl From<CoverageCommandError> for crate::error::AppError {
    /// Bad input is a 400, store errors keep their own mapping, the rest is a 500.
    fn from(error: CoverageCommandError) -> Self {
        match error {
            CoverageCommandError::Store(e) => e.into(),
            e if e.is_bad_input() => Self::bad_request(e.to_string()),
            e => Self::Internal(e.to_string()),
        }
    }
}

impl CoverageArgs {
    /// Checks what can be checked before the store is opened: the DEM and candidates files
    /// exist, the numbers keep their rules, the output folder can be made.
    pub fn check(&self) -> Result<(), CoverageCommandError> {
        for (flag, path) in [("--dem", &self.dem), ("--candidates", &self.candidates)] {
            if let Some(path) = path
                && !path.is_file()
            {
                return Err(CoverageCommandError::BadInput(format!(
                    "{flag} {}: no such file",
                    path.display()
                )));
            }
        }
        self.options()?.validate()?;
        self.suggest_options(None)?.validate()?;
        if self.out.exists() && !self.out.is_dir() {
            return Err(CoverageCommandError::BadInput(format!(
                "--out {}: exists and is not a folder",
                self.out.display()
            )));
        }
        Ok(())
    }

    fn options(&self) -> Result<CoverageOptions, CoverageCommandError> {
        let h3_res = h3o::Resolution::try_from(self.h3_res)
            .map_err(|e| CoverageCommandError::BadInput(format!("--h3-res: {e}")))?;
        Ok(CoverageOptions {
            h3_res,
            target_height_m: self.target_height,
            footprint: if self.dem.is_some() {
                FootprintShape::Cells
            } else {
                FootprintShape::Sector
            },
            ..CoverageOptions::default()
        })
    }

    fn suggest_options(
        &self,
        given: Option<Vec<[f64; 2]>>,
    ) -> Result<SuggestOptions, CoverageCommandError> {
        Ok(SuggestOptions {
            count: usize::from(self.suggest),
            sites: match given {
                Some(sites) => CandidateSites::Given(sites),
                None => CandidateSites::Generated {
                    spacing_m: self.spacing,
                },
            },
            template: CameraTemplate {
                height_m: self.camera_height,
                hfov_deg: self.camera_hfov,
                range_m: self.camera_range,
                near_range_m: 0.0,
            },
            ..SuggestOptions::default()
        })
    }
}

/// What a run wrote, for the command's closing line.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRun {
    /// The report (as in `coverage.json`).
    pub report: CoverageReport,
    /// Files written, in the output folder.
    pub files: Vec<PathBuf>,
    /// Features written to the store's `camera_coverage` and `coverage_gaps` layers.
    pub stored: Option<(usize, usize)>,
}

/// Reads the cameras, risk points, coastline and areas of `store` as a coverage scene.
pub async fn load_scene(store: &dyn Store) -> Result<Scene, CoverageCommandError> {
    let all = Query::default();
    let cameras = store.query(Layer::Cameras, &all).await?;
    let risk_points = store.query(Layer::RiskPoints, &all).await?;
    let coastline = store.query(Layer::Coastline, &all).await?;
    let areas = store.query(Layer::Areas, &all).await?;
    Ok(Scene::from_features(
        &cameras,
        &risk_points,
        &coastline,
        &areas,
    )?)
}

/// Risk-point and coastline coverage per town of the cameras in `store` (flat terrain),
/// for the scorecards.
pub async fn town_coverage(store: &dyn Store) -> Result<Vec<TownCoverage>, CoverageCommandError> {
    let scene = load_scene(store).await?;
    let terrain = FlatTerrain::default();
    Ok(coastwatch_coverage::town_coverage(
        &scene,
        &terrain,
        CoverageOptions::default(),
    )?)
}

/// [`town_coverage`] and whether each risk point of `store` is seen by a camera (flat
/// terrain), from one analysis, for the cards.
pub async fn town_and_site_coverage(
    store: &dyn Store,
) -> Result<
    (
        Vec<TownCoverage>,
        Vec<coastwatch_coverage::RiskPointCoverage>,
    ),
    CoverageCommandError,
> {
    let scene = load_scene(store).await?;
    let terrain = FlatTerrain::default();
    Ok(coastwatch_coverage::town_and_site_coverage(
        &scene,
        &terrain,
        CoverageOptions::default(),
    )?)
}

/// The line-of-sight model: over the DEM at `dem` (its nodata cells filled with 0 m, sea
/// level, as coastal DEMs leave the sea empty) when given, else the curved earth.
fn terrain(
    dem: Option<&Path>,
    scene: &Scene,
) -> Result<(Box<dyn Terrain>, String), CoverageCommandError> {
    let Some(path) = dem else {
        return Ok((
            Box::new(FlatTerrain::default()),
            "flat (curved earth)".into(),
        ));
    };
    let bad = |e: &dyn std::fmt::Display| {
        CoverageCommandError::BadInput(format!("--dem {}: {e}", path.display()))
    };
    let mut dem = coastwatch_io::dem::read_dem(&Helper::locate(), path).map_err(|e| match e {
        HelperError::Refused(_) => bad(&e),
        e => CoverageCommandError::Gdal(e),
    })?;
    if dem.nodata().is_some() {
        dem.fill_nodata(0.0);
    }
    let cameras: Vec<CameraModel> = scene.cameras.iter().map(|c| c.model.clone()).collect();
    let terrain = DemTerrain::new(dem, &cameras).map_err(|e| bad(&e))?;
    Ok((Box::new(terrain), format!("DEM {}", path.display())))
}

/// Reads candidate sites from a GeoJSON FeatureCollection of Points.
fn read_candidates(path: &Path) -> Result<Vec<[f64; 2]>, CoverageCommandError> {
    let bad = |why: String| {
        CoverageCommandError::BadInput(format!("--candidates {}: {why}", path.display()))
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let features = doc["features"]
        .as_array()
        .ok_or_else(|| bad("not a GeoJSON FeatureCollection".into()))?;
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let feature = Feature::from_geojson(f.clone())
                .map_err(|e| bad(format!("feature {}: {e}", i + 1)))?;
            match feature.geometry {
                Some(geo::Geometry::Point(p)) => Ok([p.x(), p.y()]),
                _ => Err(bad(format!(
                    "feature {}: a candidate site must be a Point",
                    i + 1
                ))),
            }
        })
        .collect()
}

/// Runs `coastwatch coverage` over `store`: computes the report, writes the output
/// folder and, when `write_layers`, replaces the store's `camera_coverage` and
/// `coverage_gaps` layers. Shows a progress bar when standard error is a terminal.
pub async fn run(
    args: &CoverageArgs,
    store: &dyn Store,
    write_layers: bool,
) -> Result<CoverageRun, CoverageCommandError> {
    args.check()?;
    let started = Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(8)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:32} {bar:30} {pos}/{len} ({elapsed})")
            .expect("valid template"),
    );
    let step = |message: &str| {
        bar.set_message(message.to_owned());
        bar.inc(1);
    };

    bar.set_message("reading the store");
    let scene = load_scene(store).await?;
    if scene.cameras.is_empty() {
        eprintln!("warning: {} has no cameras", store.describe());
    }
    let given = args
        .candidates
        .as_deref()
        .map(read_candidates)
        .transpose()?;
    let options = args.options()?;
    let suggest = args.suggest_options(given)?;
    let (terrain, terrain_name) = terrain(args.dem.as_deref(), &scene)?;
    step("finding what every camera sees");
    let analysis = Analysis::new(&scene, terrain.as_ref(), options)?;
    step("building the coverage products");
    let products = analysis.products();
    step("choosing new camera sites");
    let run = if suggest.count > 0 {
        Some(analysis.suggest(&suggest)?)
    } else {
        None
    };
    step("coverage vs camera range");
    let range = analysis.range_curve(&RANGE_SCALES);
    step("drawing the map");
    let suggestions = run.as_ref().map_or(&[][..], |r| &r.suggestions[..]);
    let png = render::render_map(
        &scene,
        &products,
        suggestions,
        options.target_height_m,
        MAP_WIDTH_PX,
    )?;
    let report = CoverageReport::new(
        Parameters::new(
            &options,
            &terrain_name,
            (suggest.count > 0).then_some(&suggest),
        ),
        &products,
        run.as_ref(),
        range,
    );
    let scale_bar_km = render::scale_bar_km(&scene, &products, MAP_WIDTH_PX);
    let page = html::html_report(&report, &png, scale_bar_km, html::Lang::En);
    let page_zh = html::html_report(&report, &png, scale_bar_km, html::Lang::ZhCn);

    step("writing files");
    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|source| CoverageCommandError::Write {
        path: out.clone(),
        source,
    })?;
    let gaps = coverage_gap_features(&products.cells);
    let footprints = camera_coverage_features(&products.cameras);
    let mut files = Vec::new();
    let mut write = |name: &str, bytes: &[u8]| -> Result<(), CoverageCommandError> {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|source| CoverageCommandError::Write {
            path: path.clone(),
            source,
        })?;
        files.push(path);
        Ok(())
    };
    let json = serde_json::to_vec_pretty(&report).expect("the report serializes");
    write("coverage.json", &json)?;
    write("report.html", page.as_bytes())?;
    write("report.zh-CN.html", page_zh.as_bytes())?;
    write("map.png", &png)?;
    let extra: [(&str, Vec<Feature>); 4] = [
        (
            "coverage_cells.geojson",
            report::seen_cell_features(&products.cells),
        ),
        (
            "risk_points.geojson",
            report::risk_point_features(&products.risk_points),
        ),
        (
            "coastline.geojson",
            report::coastline_features(&products.coastline),
        ),
        (
            "suggestions.geojson",
            report::suggestion_features(suggestions, options.target_height_m),
        ),
    ];
    let layers = [
        ("camera_coverage.geojson", &footprints),
        ("coverage_gaps.geojson", &gaps),
    ]
    .into_iter()
    .chain(extra.iter().map(|(name, features)| (*name, features)));
    for (name, features) in layers {
        let path = out.join(name);
        let written = std::fs::File::create(&path).and_then(|file| {
            let mut writer = BufWriter::new(file);
            coastwatch_core::geojson::write_geojson(features, &mut writer)?;
            writer.flush()
        });
        written.map_err(|source| CoverageCommandError::Write {
            path: path.clone(),
            source,
        })?;
        files.push(path);
    }

    step("storing the coverage layers");
    let stored = if write_layers {
        let n_footprints = replace_layer(store, Layer::CameraCoverage, footprints).await?;
        let n_gaps = replace_layer(store, Layer::CoverageGaps, gaps).await?;
        Some((n_footprints, n_gaps))
    } else {
        None
    };
    step("done");
    bar.finish_and_clear();

    let s = &report.summary;
    let pct = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1} %"));
    println!(
        "coverage: {}/{} risk points covered ({}), {:.2} of {:.2} km coastline ({}), {:.1} of {:.1} km² watch area seen ({}), {} cells seen by ≥ 2 cameras; {} suggestions; wrote {} in {:.2} s",
        s.risk_points_covered,
        s.risk_points,
        pct(s.risk_point_coverage_pct),
        s.coastline_covered_m / 1000.0,
        s.coastline_m / 1000.0,
        pct(s.coastline_coverage_pct),
        s.seen_area_km2,
        s.watch_area_km2,
        pct(s.seen_pct),
        s.cells_overlap,
        report.suggestions.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some((footprints, gaps)) = stored {
        println!(
            "stored {footprints} camera_coverage and {gaps} coverage_gaps features in {}",
            store.describe()
        );
    }
    Ok(CoverageRun {
        report,
        files,
        stored,
    })
}

/// Replaces every feature of `layer` with `features` (ids 1, 2, …): an empty layer gets
/// one insert; otherwise the new features overwrite ids 1..=n in one transaction and the
/// features left over beyond them are deleted one by one (the `Store` trait has no bulk
/// delete). Returns how many features were written.
pub async fn replace_layer(
    store: &dyn Store,
    layer: Layer,
    features: Vec<Feature>,
) -> Result<usize, StoreError> {
    let n = features.len();
    if store.count(layer, &Query::default()).await? == 0 {
        store.insert(layer, features).await?;
        return Ok(n);
    }
    let features: Vec<Feature> = features
        .into_iter()
        .enumerate()
        .map(|(i, f)| f.with_id(FeatureId::try_from(i as i64 + 1).expect("positive id")))
        .collect();
    store.upsert(layer, features).await?;
    // the first n ids in id order are now exactly 1..=n: the rest are left over
    let left_over = store
        .query(
            layer,
            &Query {
                offset: n as u64,
                ..Query::default()
            },
        )
        .await?;
    for id in left_over.iter().filter_map(|f| f.id) {
        store.delete(layer, id).await?;
    }
    Ok(n)
}
