//! What the existing cameras see: the H3 coverage map of the watch area with the reason for
//! every unseen cell, coastline coverage per town with the uncovered stretches, every risk
//! point covered or not, each camera's visible polygon, and the overlap.
//!
//! # Rules
//!
//! - **Watch area**: the `areas` features of kind `district`; without one, the bounding box
//!   of the cameras, risk points and coastline grown by the longest camera range. It is
//!   divided into H3 cells (default resolution 10, about 0.015 km² a cell) whose centre lies
//!   inside it.
//! - **Land and sea**: land lies on the left of the coastline, as in GSHHG (whose rings run
//!   counter-clockwise around land): a watch cell is land when its centre is on the left of
//!   the nearest coastline segment (at a vertex, of the corner), sea otherwise; every cell
//!   is sea without a coastline. Town areas may hold water and do not count. (Sea cells are
//!   what suggestions weigh as "sea watch area"; gaps are reported for every watch cell.)
//! - **Targets** stand [`CoverageOptions::target_height_m`] (default 2 m, a boat or a
//!   person) above the ground: cell centres, risk points, and coastline samples.
//! - **Coastline**: every line is cut into pieces of at most
//!   [`CoverageOptions::coast_step_m`] (default 25 m); a piece is covered when a camera sees
//!   its middle, and its whole length counts as covered. Consecutive uncovered pieces form
//!   an uncovered stretch.
//! - **Reason** of an unseen place: among all cameras, the one that came closest to seeing
//!   it decides, in the order range < fov < terrain. `range`: no camera has it within range
//!   (or all have it inside their near range); `fov`: some camera has it in range but none
//!   in its field of view; `terrain`: some camera has it in range and view, but the line of
//!   sight is blocked (by the earth's curvature or, with a DEM, by hills).
//! - **Visible polygon** ([`FootprintShape`]): the sector of the camera — its field of view
//!   between the near range and the range, the range cut at the flat-earth horizon of a
//!   target of the target height — with flat terrain; the union of the watch cells the
//!   camera sees with a DEM.
//! - **Overlap**: watch cells seen by two cameras or more.

use std::collections::BTreeMap;

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};
use h3o::geom::{ContainmentMode, SolventBuilder, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};

use super::targets::{Targets, parallel_map};
use super::{CameraModel, CoverageError, CoverageResult, FlatTerrain, Scene, Sight, Terrain};
use coastwatch_core::geodesy::{self, LocalFrame};
use coastwatch_core::model::{GapReason, RiskKind};

/// Most H3 cells a watch area may be divided into.
pub const MAX_CELLS: usize = 3_000_000;

/// How each camera's visible polygon is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FootprintShape {
    /// The sector (flat terrain).
    #[default]
    Sector,
    /// The union of the watch cells the camera sees (DEM terrain).
    Cells,
}

/// Settings of the coverage products.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageOptions {
    /// Resolution of the coverage map.
    pub h3_res: Resolution,
    /// Height of a target above the ground (m).
    pub target_height_m: f64,
    /// Longest coastline piece judged as one (m).
    pub coast_step_m: f64,
    /// How visible polygons are drawn.
    pub footprint: FootprintShape,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        Self {
            h3_res: Resolution::Ten,
            target_height_m: 2.0,
            coast_step_m: 25.0,
            footprint: FootprintShape::Sector,
        }
    }
}

impl CoverageOptions {
    /// Checks the values: target height 0–1000 m, coastline step 1–10,000 m.
    pub fn validate(&self) -> CoverageResult<()> {
        let bad = |what, value, rule| Err(CoverageError::BadOption { what, value, rule });
        if !(self.target_height_m.is_finite() && (0.0..=1000.0).contains(&self.target_height_m)) {
            return bad(
                "target_height_m",
                self.target_height_m,
                "must be within 0..=1000",
            );
        }
        if !(self.coast_step_m.is_finite() && (1.0..=10_000.0).contains(&self.coast_step_m)) {
            return bad(
                "coast_step_m",
                self.coast_step_m,
                "must be within 1..=10000",
            );
        }
        Ok(())
    }
}

/// Whether a place is covered, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Seen by at least one camera.
    Covered,
    /// No camera has it within range.
    Range,
    /// In range of a camera, but outside every field of view.
    Fov,
    /// In range and view, hidden by terrain or the earth's curvature.
    Terrain,
}

impl From<Sight> for Reason {
    fn from(sight: Sight) -> Self {
        match sight {
            Sight::Seen => Self::Covered,
            Sight::Range => Self::Range,
            Sight::Fov => Self::Fov,
            Sight::Terrain => Self::Terrain,
        }
    }
}

impl Reason {
    /// The `coverage_gaps` reason (`none` when covered).
    pub fn gap_reason(self) -> GapReason {
        match self {
            Self::Covered => GapReason::None,
            Self::Range => GapReason::Range,
            Self::Fov => GapReason::Fov,
            Self::Terrain => GapReason::Terrain,
        }
    }
}

/// How close a camera came to seeing a place: range < fov < terrain < seen.
pub(crate) fn rank(sight: Sight) -> u8 {
    match sight {
        Sight::Range => 0,
        Sight::Fov => 1,
        Sight::Terrain => 2,
        Sight::Seen => 3,
    }
}

/// A piece of coastline judged as one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CoastPiece {
    /// Index of the shore in [`Scene::coastline`].
    pub shore: usize,
    /// Start (lon, lat).
    pub a: [f64; 2],
    /// End (lon, lat).
    pub b: [f64; 2],
    /// Length (m).
    pub length_m: f64,
}

impl CoastPiece {
    fn middle(&self) -> [f64; 2] {
        [(self.a[0] + self.b[0]) / 2.0, (self.a[1] + self.b[1]) / 2.0]
    }
}

/// The nearest camera to a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearestCamera {
    /// The camera's feature id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Distance (m).
    pub distance_m: f64,
}

/// Coverage of one risk point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskPointCoverage {
    /// The `risk_points` feature id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What the place is.
    pub kind: RiskKind,
    /// Registered with the authorities.
    pub registered: bool,
    /// Its town.
    pub town: Option<String>,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Seen by at least one camera.
    pub covered: bool,
    /// `covered`, or why not.
    pub reason: Reason,
    /// Ids of the cameras that see it.
    pub cameras: Vec<i64>,
    /// The nearest camera (seeing it or not); `None` without cameras.
    pub nearest_camera: Option<NearestCamera>,
}

/// A run of uncovered coastline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stretch {
    /// The `coastline` feature id.
    pub coastline_id: i64,
    /// Length (m).
    pub length_m: f64,
    /// First point (lon, lat).
    pub from: [f64; 2],
    /// Last point (lon, lat).
    pub to: [f64; 2],
    /// The line (lon, lat).
    #[serde(skip, default = "empty_line")]
    pub line: LineString,
}

/// Coastline coverage of one town.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TownCoastline {
    /// The town (`None`: shores in no town).
    pub town: Option<String>,
    /// Coastline length (m).
    pub length_m: f64,
    /// Covered length (m).
    pub covered_m: f64,
    /// Covered share (%); `None` without coastline.
    pub covered_pct: Option<f64>,
    /// The uncovered stretches, longest first.
    pub uncovered: Vec<Stretch>,
    /// The covered runs (for the map).
    #[serde(skip)]
    pub covered_lines: Vec<LineString>,
}

/// The figures of a town's scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TownCoverage {
    /// The town (`None`: places in no town).
    pub town: Option<String>,
    /// Risk points in the town.
    pub risk_points: usize,
    /// Of which seen by a camera.
    pub risk_points_covered: usize,
    /// Covered share (%); `None` without risk points.
    pub risk_point_coverage_pct: Option<f64>,
    /// Coastline length (m).
    pub coastline_m: f64,
    /// Covered coastline (m).
    pub coastline_covered_m: f64,
    /// Covered share (%); `None` without coastline.
    pub coastline_coverage_pct: Option<f64>,
}

/// One camera's visible area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraFootprint {
    /// The camera's feature id.
    pub camera_id: i64,
    /// Its name.
    pub name: String,
    /// Visible area (m²).
    pub area_m2: f64,
    /// Watch cells it sees.
    pub cells_seen: usize,
    /// Risk points it sees.
    pub risk_points_seen: usize,
    /// Coastline it sees (m).
    pub coastline_seen_m: f64,
    /// The visible polygon (lon, lat).
    #[serde(skip, default = "empty_shape")]
    pub shape: MultiPolygon,
}

/// One cell of the coverage map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellCoverage {
    /// The H3 cell.
    pub cell: CellIndex,
    /// How many cameras see its centre.
    pub cameras: u16,
    /// Why none does (`none` when seen).
    pub reason: GapReason,
    /// Whether the cell is sea (on the right of the nearest coastline).
    pub sea: bool,
}

/// Unseen watch cells by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapCounts {
    /// Out of every camera's range.
    pub range: usize,
    /// In range but outside every field of view.
    pub fov: usize,
    /// Hidden by terrain or the earth's curvature.
    pub terrain: usize,
}

/// The headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Existing cameras.
    pub cameras: usize,
    /// Risk points.
    pub risk_points: usize,
    /// Risk points seen by a camera.
    pub risk_points_covered: usize,
    /// Covered share of risk points (%).
    pub risk_point_coverage_pct: Option<f64>,
    /// Coastline length (m).
    pub coastline_m: f64,
    /// Covered coastline (m).
    pub coastline_covered_m: f64,
    /// Covered share of the coastline (%).
    pub coastline_coverage_pct: Option<f64>,
    /// H3 resolution of the coverage map.
    pub h3_res: u8,
    /// Watch cells.
    pub cells: usize,
    /// Watch cells seen by a camera.
    pub cells_seen: usize,
    /// Watch cells seen by two cameras or more.
    pub cells_overlap: usize,
    /// Sea cells among the watch cells.
    pub sea_cells: usize,
    /// Sea cells seen by a camera.
    pub sea_cells_seen: usize,
    /// Watch area (km²).
    pub watch_area_km2: f64,
    /// Area of the seen cells (km²).
    pub seen_area_km2: f64,
    /// Area of the cells seen twice or more (km²).
    pub overlap_area_km2: f64,
    /// Seen share of the watch area (%).
    pub seen_pct: Option<f64>,
    /// Unseen cells by reason.
    pub gaps: GapCounts,
    /// Bounding box of the watch area `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// Everything the coverage report shows about the existing cameras.
#[derive(Debug, Clone, PartialEq)]
pub struct Products {
    /// Headline figures.
    pub summary: Summary,
    /// Scorecard figures per town.
    pub towns: Vec<TownCoverage>,
    /// Every risk point.
    pub risk_points: Vec<RiskPointCoverage>,
    /// Coastline per town.
    pub coastline: Vec<TownCoastline>,
    /// Every camera's visible area.
    pub cameras: Vec<CameraFootprint>,
    /// Every watch cell.
    pub cells: Vec<CellCoverage>,
}

/// Coverage of risk points and coastline with every camera range scaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RangePoint {
    /// The factor applied to every camera's range.
    pub range_scale: f64,
    /// Covered share of risk points (%).
    pub risk_point_coverage_pct: Option<f64>,
    /// Covered share of the coastline (%).
    pub coastline_coverage_pct: Option<f64>,
}

/// The visibility of every target from the existing cameras, the base of every product
/// and of suggestions.
pub struct Analysis<'a> {
    pub(crate) scene: &'a Scene,
    pub(crate) terrain: &'a dyn Terrain,
    pub(crate) options: CoverageOptions,
    /// Watch cells, sorted.
    pub(crate) cells: Vec<CellIndex>,
    /// Whether each watch cell is sea.
    pub(crate) sea: Vec<bool>,
    pub(crate) pieces: Vec<CoastPiece>,
    /// Target index of the first coastline piece (risk points come first).
    pub(crate) coast_start: usize,
    /// Target index of the first cell.
    pub(crate) cell_start: usize,
    pub(crate) targets: Targets,
    /// How many existing cameras see each target.
    pub(crate) seen: Vec<u16>,
    /// The best sight of each target over the existing cameras.
    pub(crate) best: Vec<Sight>,
    /// The targets each existing camera sees, sorted.
    pub(crate) camera_seen: Vec<Vec<u32>>,
    pub(crate) bbox: [f64; 4],
}

impl std::fmt::Debug for Analysis<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("cameras", &self.scene.cameras.len())
            .field("cells", &self.cells.len())
            .field("coast_pieces", &self.pieces.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Analysis<'a> {
    /// Divides the watch area into cells, samples the coastline and finds what every
    /// existing camera sees.
    pub fn new(
        scene: &'a Scene,
        terrain: &'a dyn Terrain,
        options: CoverageOptions,
    ) -> CoverageResult<Self> {
        Self::build(scene, terrain, options, true)
    }

    fn build(
        scene: &'a Scene,
        terrain: &'a dyn Terrain,
        options: CoverageOptions,
        with_cells: bool,
    ) -> CoverageResult<Self> {
        options.validate()?;
        scene.validate()?;
        let (cells, bbox) = if with_cells {
            watch_cells(scene, options.h3_res)?
        } else {
            (Vec::new(), scene.extent().unwrap_or_default())
        };
        let pieces = coast_pieces(scene, options.coast_step_m);
        let coast_start = scene.risk_points.len();
        let cell_start = coast_start + pieces.len();
        let mut lonlat: Vec<[f64; 2]> = Vec::with_capacity(cell_start + cells.len());
        lonlat.extend(scene.risk_points.iter().map(|r| r.lonlat));
        lonlat.extend(pieces.iter().map(CoastPiece::middle));
        lonlat.extend(cells.iter().map(|&c| {
            let centre = LatLng::from(c);
            [centre.lng(), centre.lat()]
        }));
        let origin = [(bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0];
        let sea = sea_cells(scene, &cells, &LocalFrame::new(origin));
        let targets = Targets::new(lonlat, origin);
        let n = targets.lonlat.len();
        let mut analysis = Self {
            scene,
            terrain,
            options,
            cells,
            sea,
            pieces,
            coast_start,
            cell_start,
            targets,
            seen: vec![0; n],
            best: vec![Sight::Range; n],
            camera_seen: Vec::new(),
            bbox,
        };
        let sights = parallel_map(&scene.cameras, |camera| {
            analysis
                .targets
                .sights(&camera.model, 1.0, terrain, options.target_height_m, |_| {
                    true
                })
        });
        for camera in sights {
            let mut mine = Vec::new();
            for (t, sight) in camera {
                let t_us = t as usize;
                if sight == Sight::Seen {
                    analysis.seen[t_us] = analysis.seen[t_us].saturating_add(1);
                    mine.push(t);
                }
                if rank(sight) > rank(analysis.best[t_us]) {
                    analysis.best[t_us] = sight;
                }
            }
            analysis.camera_seen.push(mine);
        }
        Ok(analysis)
    }

    /// The scene analysed.
    pub fn scene(&self) -> &Scene {
        self.scene
    }

    /// The options used.
    pub fn options(&self) -> &CoverageOptions {
        &self.options
    }

    /// The number of watch cells.
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// The number of coastline pieces judged.
    pub fn coast_piece_count(&self) -> usize {
        self.pieces.len()
    }

    /// The towns in report order: town areas first, then other towns named by risk points
    /// or coastline (sorted), then `None` when some place has no town.
    pub(crate) fn town_order(&self) -> Vec<Option<String>> {
        let mut order: Vec<Option<String>> = Vec::new();
        for town in &self.scene.towns {
            if !order.contains(&Some(town.name.clone())) {
                order.push(Some(town.name.clone()));
            }
        }
        let mut others: Vec<Option<String>> = self
            .scene
            .risk_points
            .iter()
            .map(|r| r.town.clone())
            .chain(self.scene.coastline.iter().map(|s| s.town.clone()))
            .filter(|t| !order.contains(t))
            .collect();
        others.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        });
        others.dedup();
        order.extend(others);
        order
    }

    /// Whether target `t` is seen by an existing camera.
    pub(crate) fn covered(&self, t: usize) -> bool {
        self.seen[t] > 0
    }

    /// Scorecard figures per town (risk points and coastline).
    pub fn town_coverage(&self) -> Vec<TownCoverage> {
        let mut risk: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
        for (i, site) in self.scene.risk_points.iter().enumerate() {
            let entry = risk.entry(site.town.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(self.covered(i));
        }
        let mut coast: BTreeMap<Option<String>, (f64, f64)> = BTreeMap::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            let town = self.scene.coastline[piece.shore].town.clone();
            let entry = coast.entry(town).or_default();
            entry.0 += piece.length_m;
            if self.covered(self.coast_start + i) {
                entry.1 += piece.length_m;
            }
        }
        self.town_order()
            .into_iter()
            .map(|town| {
                let (n, covered) = risk.get(&town).copied().unwrap_or_default();
                let (length, covered_m) = coast.get(&town).copied().unwrap_or_default();
                TownCoverage {
                    risk_points: n,
                    risk_points_covered: covered,
                    risk_point_coverage_pct: pct(covered as f64, n as f64),
                    coastline_m: round1(length),
                    coastline_covered_m: round1(covered_m),
                    coastline_coverage_pct: pct(covered_m, length),
                    town,
                }
            })
            .collect()
    }

    /// Every product of the existing cameras.
    pub fn products(&self) -> Products {
        let scene = self.scene;
        let risk_points = self.risk_point_products();
        let coastline = self.coastline_products();
        let cameras = self.footprints();
        let cells: Vec<CellCoverage> = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, &cell)| {
                let t = self.cell_start + i;
                CellCoverage {
                    cell,
                    cameras: self.seen[t],
                    reason: Reason::from(self.best[t]).gap_reason(),
                    sea: self.sea[i],
                }
            })
            .collect();
        let mut gaps = GapCounts::default();
        let (mut watch_m2, mut seen_m2, mut overlap_m2) = (0.0, 0.0, 0.0);
        let (mut cells_seen, mut cells_overlap, mut sea_cells, mut sea_seen) = (0, 0, 0, 0);
        for cell in &cells {
            let area = cell.cell.area_m2();
            watch_m2 += area;
            sea_cells += usize::from(cell.sea);
            if cell.cameras > 0 {
                seen_m2 += area;
                cells_seen += 1;
                sea_seen += usize::from(cell.sea);
            }
            if cell.cameras > 1 {
                overlap_m2 += area;
                cells_overlap += 1;
            }
            match cell.reason {
                GapReason::Range => gaps.range += 1,
                GapReason::Fov => gaps.fov += 1,
                GapReason::Terrain => gaps.terrain += 1,
                GapReason::None => {}
            }
        }
        let covered_points = risk_points.iter().filter(|r| r.covered).count();
        let coast_m: f64 = coastline.iter().map(|c| c.length_m).sum();
        let coast_covered_m: f64 = coastline.iter().map(|c| c.covered_m).sum();
        let summary = Summary {
            cameras: scene.cameras.len(),
            risk_points: risk_points.len(),
            risk_points_covered: covered_points,
            risk_point_coverage_pct: pct(covered_points as f64, risk_points.len() as f64),
            coastline_m: round1(coast_m),
            coastline_covered_m: round1(coast_covered_m),
            coastline_coverage_pct: pct(coast_covered_m, coast_m),
            h3_res: u8::from(self.options.h3_res),
            cells: cells.len(),
            cells_seen,
            cells_overlap,
            sea_cells,
            sea_cells_seen: sea_seen,
            watch_area_km2: round3(watch_m2 / 1e6),
            seen_area_km2: round3(seen_m2 / 1e6),
            overlap_area_km2: round3(overlap_m2 / 1e6),
            seen_pct: pct(seen_m2, watch_m2),
            gaps,
            bbox: self.bbox,
        };
        Products {
            summary,
            towns: self.town_coverage(),
            risk_points,
            coastline,
            cameras,
            cells,
        }
    }

    fn risk_point_products(&self) -> Vec<RiskPointCoverage> {
        let scene = self.scene;
        let mut seen_by: Vec<Vec<i64>> = vec![Vec::new(); scene.risk_points.len()];
        for (camera, seen) in scene.cameras.iter().zip(&self.camera_seen) {
            for &t in seen
                .iter()
                .take_while(|&&t| (t as usize) < self.coast_start)
            {
                seen_by[t as usize].push(camera.model.id);
            }
        }
        scene
            .risk_points
            .iter()
            .zip(seen_by)
            .enumerate()
            .map(|(i, (site, cameras))| {
                let nearest_camera = scene
                    .cameras
                    .iter()
                    .map(|c| {
                        (
                            c,
                            geodesy::distance_m([c.model.lon, c.model.lat], site.lonlat),
                        )
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(c, d)| NearestCamera {
                        id: c.model.id,
                        name: c.name.clone(),
                        distance_m: round1(d),
                    });
                let reason = Reason::from(self.best[i]);
                RiskPointCoverage {
                    id: site.id,
                    name: site.name.clone(),
                    kind: site.kind,
                    registered: site.registered,
                    town: site.town.clone(),
                    lon: site.lonlat[0],
                    lat: site.lonlat[1],
                    covered: reason == Reason::Covered,
                    reason,
                    cameras,
                    nearest_camera,
                }
            })
            .collect()
    }

    fn coastline_products(&self) -> Vec<TownCoastline> {
        let mut towns: BTreeMap<Option<String>, TownCoastline> = BTreeMap::new();
        let mut start = 0;
        while start < self.pieces.len() {
            // one run: consecutive pieces of one shore with the same state
            let shore = self.pieces[start].shore;
            let covered = self.covered(self.coast_start + start);
            let mut end = start + 1;
            while end < self.pieces.len()
                && self.pieces[end].shore == shore
                && self.pieces[end - 1].b == self.pieces[end].a
                && self.covered(self.coast_start + end) == covered
            {
                end += 1;
            }
            let run = &self.pieces[start..end];
            let mut coords: Vec<Coord> = run.iter().map(|p| p.a.into()).collect();
            coords.push(run[run.len() - 1].b.into());
            let length: f64 = run.iter().map(|p| p.length_m).sum();
            let town = self.scene.coastline[shore].town.clone();
            let entry = towns.entry(town.clone()).or_insert_with(|| TownCoastline {
                town,
                length_m: 0.0,
                covered_m: 0.0,
                covered_pct: None,
                uncovered: Vec::new(),
                covered_lines: Vec::new(),
            });
            entry.length_m += length;
            if covered {
                entry.covered_m += length;
                entry.covered_lines.push(LineString(coords));
            } else {
                entry.uncovered.push(Stretch {
                    coastline_id: self.scene.coastline[shore].id,
                    length_m: round1(length),
                    from: run[0].a,
                    to: run[run.len() - 1].b,
                    line: LineString(coords),
                });
            }
            start = end;
        }
        self.town_order()
            .into_iter()
            .filter_map(|town| towns.remove(&town))
            .map(|mut t| {
                t.covered_pct = pct(t.covered_m, t.length_m);
                t.length_m = round1(t.length_m);
                t.covered_m = round1(t.covered_m);
                t.uncovered
                    .sort_by(|a, b| b.length_m.total_cmp(&a.length_m));
                t
            })
            .collect()
    }

    fn footprints(&self) -> Vec<CameraFootprint> {
        let scene = self.scene;
        let cell_area = |seen: &[u32]| -> (Vec<CellIndex>, f64) {
            let cells: Vec<CellIndex> = seen
                .iter()
                .filter(|&&t| t as usize >= self.cell_start)
                .map(|&t| self.cells[t as usize - self.cell_start])
                .collect();
            let area = cells.iter().map(|c| c.area_m2()).sum();
            (cells, area)
        };
        parallel_map(&(0..scene.cameras.len()).collect::<Vec<_>>(), |&i| {
            let camera = &scene.cameras[i];
            let seen = &self.camera_seen[i];
            let (cells, cells_area) = cell_area(seen);
            let (shape, area_m2) = match self.options.footprint {
                FootprintShape::Sector => {
                    let (polygon, area) = sector(&camera.model, self.options.target_height_m);
                    (MultiPolygon(vec![polygon]), area)
                }
                FootprintShape::Cells => (
                    SolventBuilder::new()
                        .build()
                        .dissolve(cells.iter().copied())
                        .unwrap_or_else(|_| MultiPolygon(Vec::new())),
                    cells_area,
                ),
            };
            let risk_points_seen = seen
                .iter()
                .take_while(|&&t| (t as usize) < self.coast_start)
                .count();
            let coastline_seen_m: f64 = seen
                .iter()
                .filter(|&&t| (self.coast_start..self.cell_start).contains(&(t as usize)))
                .map(|&t| self.pieces[t as usize - self.coast_start].length_m)
                .sum();
            CameraFootprint {
                camera_id: camera.model.id,
                name: camera.name.clone(),
                area_m2: area_m2.round(),
                cells_seen: cells.len(),
                risk_points_seen,
                coastline_seen_m: round1(coastline_seen_m),
                shape,
            }
        })
    }

    /// Coverage of risk points and coastline with every existing camera's range multiplied
    /// by each of `scales` (near ranges, fields of view and heights unchanged).
    pub fn range_curve(&self, scales: &[f64]) -> Vec<RangePoint> {
        let scene = self.scene;
        let coast_m: f64 = self.pieces.iter().map(|p| p.length_m).sum();
        scales
            .iter()
            .map(|&scale| {
                let mut seen = vec![false; self.cell_start];
                let per_camera = parallel_map(&scene.cameras, |camera| {
                    self.targets.sights(
                        &camera.model,
                        scale,
                        self.terrain,
                        self.options.target_height_m,
                        |t| (t as usize) < self.cell_start,
                    )
                });
                for (t, sight) in per_camera.into_iter().flatten() {
                    if sight == Sight::Seen {
                        seen[t as usize] = true;
                    }
                }
                let points = seen[..self.coast_start].iter().filter(|s| **s).count();
                let coast: f64 = self
                    .pieces
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| seen[self.coast_start + i])
                    .map(|(_, p)| p.length_m)
                    .sum();
                RangePoint {
                    range_scale: scale,
                    risk_point_coverage_pct: pct(points as f64, self.coast_start as f64),
                    coastline_coverage_pct: pct(coast, coast_m),
                }
            })
            .collect()
    }
}

/// Scorecard figures per town — risk-point and coastline coverage — without the H3 map
/// (fast: for scorecards computed on request).
pub fn town_coverage(
    scene: &Scene,
    terrain: &dyn Terrain,
    options: CoverageOptions,
) -> CoverageResult<Vec<TownCoverage>> {
    Ok(Analysis::build(scene, terrain, options, false)?.town_coverage())
}

/// The sector a camera sees on flat terrain, as a polygon (lon, lat) and its area (m²):
/// its field of view between the near range and the range, the range cut at the horizon
/// of a target `target_height_m` high. A 360° camera gives a disc (a ring with a near range).
pub fn sector(camera: &CameraModel, target_height_m: f64) -> (Polygon, f64) {
    let horizon = FlatTerrain::default().horizon_m(camera.height_m, target_height_m);
    let far = camera.range_m.min(horizon);
    let near = camera.near_range_m.min(far);
    let frame = LocalFrame::new([camera.lon, camera.lat]);
    let at = |bearing_deg: f64, r: f64| -> Coord {
        let (s, c) = bearing_deg.to_radians().sin_cos();
        frame.to_lonlat([r * s, r * c]).into()
    };
    let hfov = camera.hfov_deg.clamp(0.0, 360.0);
    let steps = ((hfov / 2.0).ceil() as usize).max(2);
    let arc = |r: f64| -> Vec<Coord> {
        (0..=steps)
            .map(|k| {
                at(
                    camera.heading_deg - hfov / 2.0 + hfov * k as f64 / steps as f64,
                    r,
                )
            })
            .collect()
    };
    let area = hfov / 360.0 * std::f64::consts::PI * (far * far - near * near);
    let closed = |mut ring: Vec<Coord>| {
        ring.pop();
        ring.push(ring[0]);
        LineString(ring)
    };
    if hfov >= 360.0 {
        let outer = closed(arc(far));
        let holes = if near > 0.0 {
            let mut inner = arc(near);
            inner.reverse();
            vec![closed(inner)]
        } else {
            Vec::new()
        };
        return (Polygon::new(outer, holes), area);
    }
    let mut ring = arc(far);
    if near > 0.0 {
        let mut inner = arc(near);
        inner.reverse();
        ring.extend(inner);
    } else {
        ring.push(frame.to_lonlat([0.0, 0.0]).into());
    }
    ring.push(ring[0]);
    (Polygon::new(LineString(ring), Vec::new()), area)
}

/// The watch cells, sorted, and the watch area's bounding box.
fn watch_cells(scene: &Scene, res: Resolution) -> CoverageResult<(Vec<CellIndex>, [f64; 4])> {
    let polygons: Vec<Polygon> = match &scene.district {
        Some(district) if !district.0.is_empty() => district.0.clone(),
        _ => match scene.extent() {
            Some([x0, y0, x1, y1]) => {
                vec![geo::Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon()]
            }
            None => return Ok((Vec::new(), [0.0; 4])),
        },
    };
    let bbox = MultiPolygon(polygons.clone())
        .bounding_rect()
        .map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let mut cells = tile(polygons, res, "the watch area")?;
    cells.sort_unstable();
    cells.dedup();
    Ok((cells, bbox))
}

/// The cells whose centre lies in `polygons`, refusing more than [`MAX_CELLS`].
fn tile(polygons: Vec<Polygon>, res: Resolution, what: &str) -> CoverageResult<Vec<CellIndex>> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for polygon in polygons {
        tiler
            .add(polygon)
            .map_err(|e| CoverageError::WatchArea(format!("{what}: {e}")))?;
    }
    let estimate = tiler.coverage_size_hint();
    if estimate > MAX_CELLS {
        return Err(CoverageError::BadOption {
            what: "h3_res",
            value: f64::from(u8::from(res)),
            rule: "divides the watch area into too many cells (at most 3,000,000): choose a coarser resolution",
        });
    }
    Ok(tiler.into_coverage().collect())
}

/// Whether each watch cell is sea: its centre lies on the right of the nearest coastline
/// (land on the left, the GSHHG convention); every cell is sea without a coastline.
fn sea_cells(scene: &Scene, cells: &[CellIndex], frame: &LocalFrame) -> Vec<bool> {
    let mut segments = Vec::new();
    for (shore, line) in scene.coastline.iter().enumerate() {
        for (k, segment) in line.line.lines().enumerate() {
            let (a, b) = (
                frame.to_xy([segment.start.x, segment.start.y]),
                frame.to_xy([segment.end.x, segment.end.y]),
            );
            if a != b {
                segments.push(GeomWithData::new(
                    rstar::primitives::Line::new(a, b),
                    (shore, k),
                ));
            }
        }
    }
    if segments.is_empty() {
        return vec![true; cells.len()];
    }
    let tree = RTree::bulk_load(segments);
    let lines: Vec<Vec<[f64; 2]>> = scene
        .coastline
        .iter()
        .map(|s| s.line.0.iter().map(|c| frame.to_xy([c.x, c.y])).collect())
        .collect();
    parallel_map(cells, |&cell| {
        let centre = LatLng::from(cell);
        let p = frame.to_xy([centre.lng(), centre.lat()]);
        tree.nearest_neighbor(&p)
            .is_none_or(|nearest| !land_side(&lines[nearest.data.0], nearest.data.1, p))
    })
}

/// Whether `p` lies on the left of `line` near its segment `k` (the nearest to `p`), taking
/// the corner into account when the nearest point is a vertex: inside a left turn `p` must
/// be left of both segments, outside a right turn of either.
fn land_side(line: &[[f64; 2]], k: usize, p: [f64; 2]) -> bool {
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let (a, b) = (line[k], line[k + 1]);
    let left = |u: [f64; 2], v: [f64; 2]| cross(u, v, p) > 0.0;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy);
    let closed = line.len() > 3 && line[0] == line[line.len() - 1];
    let last = line.len() - 2;
    let corner = |u: [f64; 2], v: [f64; 2], w: [f64; 2]| {
        if cross(u, v, w) > 0.0 {
            left(u, v) && left(v, w)
        } else {
            left(u, v) || left(v, w)
        }
    };
    if t <= 0.0 {
        match (k, closed) {
            (0, false) => left(a, b),
            (0, true) => corner(line[last], a, b),
            _ => corner(line[k - 1], a, b),
        }
    } else if t >= 1.0 {
        match (k == last, closed) {
            (true, false) => left(a, b),
            (true, true) => corner(a, b, line[1]),
            _ => corner(a, b, line[k + 2]),
        }
    } else {
        left(a, b)
    }
}

/// The coastline cut into pieces of at most `step_m`, shore by shore, in line order.
fn coast_pieces(scene: &Scene, step_m: f64) -> Vec<CoastPiece> {
    let mut pieces = Vec::new();
    for (shore, line) in scene.coastline.iter().enumerate() {
        for segment in line.line.lines() {
            let (a, b) = (
                [segment.start.x, segment.start.y],
                [segment.end.x, segment.end.y],
            );
            let length = geodesy::distance_m(a, b);
            if length <= 0.0 {
                continue;
            }
            let n = (length / step_m).ceil().max(1.0) as usize;
            let at = |k: usize| {
                if k == n {
                    return b; // exactly, so that runs continue across vertices
                }
                let f = k as f64 / n as f64;
                [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
            };
            for k in 0..n {
                pieces.push(CoastPiece {
                    shore,
                    a: at(k),
                    b: at(k + 1),
                    length_m: length / n as f64,
                });
            }
        }
    }
    pieces
}

fn empty_line() -> LineString {
    LineString(Vec::new())
}

fn empty_shape() -> MultiPolygon {
    MultiPolygon(Vec::new())
}

/// `part / whole` in percent with two decimals; `None` when `whole` is 0.
pub(crate) fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| (part / whole * 10_000.0).round() / 100.0)
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use geo::{ChamberlainDuquetteArea, Rect};

    use super::*;
    use crate::{RiskSite, SceneCamera, Shore, TownArea};
    use coastwatch_core::model::Card;

    const LON: f64 = 121.6;
    const LAT: f64 = 29.6;

    /// Lon/lat `dx` metres east and `dy` metres north of the coastline's middle.
    fn at(dx: f64, dy: f64) -> [f64; 2] {
        [LON + geodesy::lon_deg(dx, LAT), LAT + geodesy::lat_deg(dy)]
    }

    /// Blocks every line of sight to targets more than 500 m east of the camera line.
    struct Wall;

    impl Terrain for Wall {
        fn line_of_sight(&self, camera: &CameraModel, target: [f64; 2], h: f64) -> bool {
            FlatTerrain::default().line_of_sight(camera, target, h) && target[0] < at(500.0, 0.0)[0]
        }
    }

    fn camera(id: i64, heading_deg: f64, hfov_deg: f64, range_m: f64) -> SceneCamera {
        let [lon, lat] = at(0.0, 300.0);
        SceneCamera {
            model: CameraModel {
                id,
                lon,
                lat,
                height_m: 20.0,
                heading_deg,
                hfov_deg,
                range_m,
                near_range_m: 0.0,
            },
            name: format!("CAM-{id}"),
            town: None,
        }
    }

    fn risk(id: i64, dx: f64, dy: f64) -> RiskSite {
        RiskSite {
            id,
            name: format!("R{id}"),
            kind: RiskKind::Dock,
            registered: false,
            town: None,
            card: Card::None,
            lonlat: at(dx, dy),
        }
    }

    /// A 5 km square district; land (town Alpha) north of a 4 km straight coastline; one
    /// camera 300 m inland looking south (90°, 1 km).
    fn tiny() -> Scene {
        let c = |[x, y]: [f64; 2]| Coord { x, y };
        let mut scene = Scene {
            cameras: vec![camera(1, 180.0, 90.0, 1000.0)],
            risk_points: vec![
                risk(1, 0.0, -200.0),
                risk(2, 0.0, 800.0),
                risk(3, 3000.0, 300.0),
                // bearing 140°, 900 m from the camera: in range and view, behind the wall
                risk(
                    4,
                    900.0 * 140f64.to_radians().sin(),
                    300.0 + 900.0 * 140f64.to_radians().cos(),
                ),
            ],
            coastline: vec![Shore {
                id: 7,
                town: Some("Alpha".into()),
                line: LineString(vec![c(at(-2000.0, 0.0)), c(at(2000.0, 0.0))]),
            }],
            towns: vec![TownArea {
                name: "Alpha".into(),
                shape: MultiPolygon(vec![
                    Rect::new(c(at(-2500.0, 0.0)), c(at(2500.0, 2500.0))).to_polygon(),
                ]),
            }],
            district: Some(MultiPolygon(vec![
                Rect::new(c(at(-2500.0, -2500.0)), c(at(2500.0, 2500.0))).to_polygon(),
            ])),
        };
        scene.fill_towns();
        scene
    }

    #[test]
    fn risk_points_get_their_reason_and_nearest_camera() {
        let scene = tiny();
        let towns: Vec<Option<&str>> = scene
            .risk_points
            .iter()
            .map(|r| r.town.as_deref())
            .collect();
        // 200 m off the shore snaps to the town; 500 m east of it and 389 m off it do not
        assert_eq!(towns, [Some("Alpha"), Some("Alpha"), None, None]);
        let analysis = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap();
        let products = analysis.products();
        let reasons: Vec<Reason> = products.risk_points.iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            [Reason::Covered, Reason::Fov, Reason::Range, Reason::Terrain]
        );
        assert!(products.risk_points[0].covered && !products.risk_points[3].covered);
        assert_eq!(products.risk_points[0].cameras, vec![1]);
        let nearest = products.risk_points[2].nearest_camera.as_ref().unwrap();
        assert_eq!(nearest.id, 1);
        assert!((nearest.distance_m - 3000.0).abs() < 5.0, "{nearest:?}");
        assert_eq!(products.summary.risk_points_covered, 1);
        assert_eq!(products.summary.risk_point_coverage_pct, Some(25.0));
    }

    #[test]
    fn coastline_is_covered_where_the_sector_crosses_it() {
        let scene = tiny();
        let analysis = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap();
        let products = analysis.products();
        // the camera is 300 m inland looking south with ±45°: it sees 600 m of shore
        let alpha = &products.coastline[0];
        assert_eq!(alpha.town.as_deref(), Some("Alpha"));
        assert!((alpha.length_m - 4000.0).abs() < 5.0, "{alpha:?}");
        assert!(
            (alpha.covered_m - 600.0).abs() <= 50.0,
            "{}",
            alpha.covered_m
        );
        assert_eq!(alpha.uncovered.len(), 2);
        for stretch in &alpha.uncovered {
            assert!((stretch.length_m - 1700.0).abs() <= 50.0, "{stretch:?}");
            assert_eq!(stretch.coastline_id, 7);
            assert!(stretch.line.0.len() >= 2);
        }
        assert_eq!(alpha.covered_lines.len(), 1);
        let towns = analysis.town_coverage();
        let alpha_card = towns
            .iter()
            .find(|t| t.town.as_deref() == Some("Alpha"))
            .unwrap();
        assert_eq!(alpha_card.risk_points, 2);
        assert_eq!(alpha_card.risk_point_coverage_pct, Some(50.0));
        assert_eq!(
            towns.last().unwrap().town,
            None,
            "places in no town come last"
        );
        assert_eq!(alpha_card.coastline_coverage_pct, alpha.covered_pct);
        assert_eq!(
            town_coverage(&scene, &Wall, CoverageOptions::default()).unwrap(),
            towns,
            "the fast path agrees"
        );
    }

    #[test]
    fn cells_agree_with_every_camera_asked_directly() {
        let mut scene = tiny();
        scene.cameras.push(camera(2, 210.0, 60.0, 800.0));
        scene.cameras.push(camera(3, 0.0, 360.0, 400.0));
        let options = CoverageOptions::default();
        let analysis = Analysis::new(&scene, &Wall, options).unwrap();
        let products = analysis.products();
        assert!(products.cells.len() > 1000, "{}", products.cells.len());
        let mut overlap = 0;
        for cell in &products.cells {
            let centre = LatLng::from(cell.cell);
            let sights: Vec<Sight> = scene
                .cameras
                .iter()
                .map(|c| c.model.sight([centre.lng(), centre.lat()], 2.0, &Wall))
                .collect();
            let seen = sights.iter().filter(|s| **s == Sight::Seen).count();
            assert_eq!(usize::from(cell.cameras), seen);
            let best = sights.iter().copied().max_by_key(|s| rank(*s)).unwrap();
            assert_eq!(cell.reason, Reason::from(best).gap_reason());
            assert_eq!(cell.sea, centre.lat() < LAT);
            overlap += usize::from(seen >= 2);
        }
        let s = &products.summary;
        assert_eq!(s.cells_overlap, overlap);
        assert!(overlap > 0);
        assert_eq!(
            s.cells_seen + s.gaps.range + s.gaps.fov + s.gaps.terrain,
            s.cells
        );
        assert!(
            s.gaps.range > 0 && s.gaps.fov > 0 && s.gaps.terrain > 0,
            "{s:?}"
        );
        assert!(
            (s.watch_area_km2 - 25.0).abs() < 0.5,
            "{}",
            s.watch_area_km2
        );
        // camera 1's sector: a quarter disc of 1 km
        let footprint = &products.cameras[0];
        assert!((footprint.area_m2 - 785_398.0).abs() < 1.0);
        let polygon_area = footprint.shape.chamberlain_duquette_unsigned_area();
        assert!(
            (polygon_area / footprint.area_m2 - 1.0).abs() < 0.01,
            "{polygon_area}"
        );
        assert_eq!(footprint.risk_points_seen, 1);
        assert_eq!(products.cameras[2].shape.0[0].exterior().0.len(), 181);
    }

    #[test]
    fn cell_footprints_dissolve_the_seen_cells() {
        let scene = tiny();
        let options = CoverageOptions {
            footprint: FootprintShape::Cells,
            ..CoverageOptions::default()
        };
        let products = Analysis::new(&scene, &Wall, options).unwrap().products();
        let footprint = &products.cameras[0];
        assert!(footprint.cells_seen > 10);
        let area = footprint.shape.chamberlain_duquette_unsigned_area();
        assert!(
            (area / footprint.area_m2 - 1.0).abs() < 0.02,
            "{area} vs {}",
            footprint.area_m2
        );
        // the wall cuts the quarter disc
        assert!(footprint.area_m2 < 785_398.0);
    }

    #[test]
    fn bad_cameras_and_options_are_refused_clearly() {
        let mut scene = tiny();
        scene.cameras[0].model.hfov_deg = 0.0;
        let error = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap_err();
        assert!(error.is_bad_input());
        assert_eq!(
            error.to_string(),
            "camera 1 (CAM-1): hfov_deg 0 must be greater than 0 and at most 360"
        );
        scene.cameras[0].model.hfov_deg = 361.0;
        let error = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap_err();
        assert!(
            error.to_string().contains("hfov_deg 361 must be"),
            "{error}"
        );
        scene.cameras[0].model.hfov_deg = 90.0;
        scene.cameras[0].model.range_m = -5.0;
        let error = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "camera 1 (CAM-1): range_m -5 must be greater than 0"
        );
        let scene = tiny();
        let error = Analysis::new(
            &scene,
            &Wall,
            CoverageOptions {
                h3_res: Resolution::Fifteen,
                ..CoverageOptions::default()
            },
        )
        .unwrap_err();
        assert!(error.is_bad_input());
        assert!(
            error
                .to_string()
                .starts_with("h3_res 15 divides the watch area into too many cells"),
            "{error}"
        );
        let error = Analysis::new(
            &scene,
            &Wall,
            CoverageOptions {
                coast_step_m: 0.0,
                ..CoverageOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "coast_step_m 0 must be within 1..=10000");
    }

    #[test]
    fn an_empty_scene_gives_empty_products() {
        let scene = Scene::default();
        let products = Analysis::new(&scene, &Wall, CoverageOptions::default())
            .unwrap()
            .products();
        assert_eq!(products.summary.cells, 0);
        assert_eq!(products.summary.risk_point_coverage_pct, None);
        assert!(products.towns.is_empty() && products.coastline.is_empty());
    }

    #[test]
    fn without_a_district_the_watch_area_is_the_grown_extent() {
        let mut scene = tiny();
        scene.district = None;
        let analysis = Analysis::new(
            &scene,
            &Wall,
            CoverageOptions {
                h3_res: Resolution::Nine,
                ..CoverageOptions::default()
            },
        )
        .unwrap();
        let bbox = analysis.products().summary.bbox;
        // risk point 3 lies 3 km east; the camera's 1 km range grows the box
        assert!((bbox[2] - at(4000.0, 0.0)[0]).abs() < 1e-6, "{bbox:?}");
        assert!(analysis.cell_count() > 0);
    }
}
