//! The output types of the coverage products (what the report and the layers show) and
//! their options.

use geo::{LineString, MultiPolygon};
use h3o::{CellIndex, Resolution};
use serde::{Deserialize, Serialize};

use crate::{CoverageError, CoverageResult, Sight};
use coastwatch_core::model::{GapReason, RiskKind};

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

fn empty_line() -> LineString {
    LineString(Vec::new())
}

fn empty_shape() -> MultiPolygon {
    MultiPolygon(Vec::new())
}
