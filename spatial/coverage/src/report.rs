//! `coverage.json` and the GeoJSON layers of the coverage report, and the features of the
//! `camera_coverage` and `coverage_gaps` layers.

use geo::{Coord, LineString, Point, Polygon};
use h3o::CellIndex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::products::{
    CameraFootprint, CellCoverage, Products, RangePoint, RiskPointCoverage, Summary, TownCoastline,
    TownCoverage, sector,
};
use super::suggest::{CurvePoint, SuggestOptions, Suggestion, SuggestionRun};
use super::{CoverageOptions, FootprintShape};
use crate::Feature;
use coastwatch_core::model::GapReason;

/// The camera-range factors of the "coverage vs camera range" chart.
pub const RANGE_SCALES: [f64; 5] = [0.5, 0.75, 1.0, 1.25, 1.5];

/// How the report was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// H3 resolution of the coverage map.
    pub h3_res: u8,
    /// Target height (m).
    pub target_height_m: f64,
    /// Longest coastline piece judged as one (m).
    pub coast_step_m: f64,
    /// `flat` or the DEM's description.
    pub terrain: String,
    /// How visible polygons were drawn.
    pub footprint: FootprintShape,
    /// The suggestion settings, when suggestions were asked for.
    pub suggest: Option<SuggestOptions>,
}

impl Parameters {
    /// The parameters of a run with `options`, `terrain` described, and `suggest`.
    pub fn new(options: &CoverageOptions, terrain: &str, suggest: Option<&SuggestOptions>) -> Self {
        Self {
            h3_res: u8::from(options.h3_res),
            target_height_m: options.target_height_m,
            coast_step_m: options.coast_step_m,
            terrain: terrain.to_owned(),
            footprint: options.footprint,
            suggest: suggest.cloned(),
        }
    }
}

/// The charts of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Charts {
    /// Coverage after adding 0, 1, … suggested cameras.
    pub added_cameras: Vec<CurvePoint>,
    /// Coverage of risk points and coastline with camera ranges scaled.
    pub camera_range: Vec<RangePoint>,
}

/// Totals of a suggestion run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SuggestionTotals {
    /// Candidate sites tried.
    pub sites: usize,
    /// Candidates (site × heading) that would see something new.
    pub candidates: usize,
    /// Weight of every target.
    pub total_weight: f64,
    /// Weight the existing cameras already cover.
    pub covered_weight_before: f64,
}

/// `coverage.json`: everything the report shows, without geometry (that is in the GeoJSON
/// layers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    /// How it was computed.
    pub parameters: Parameters,
    /// Headline figures.
    pub summary: Summary,
    /// Scorecard figures per town.
    pub towns: Vec<TownCoverage>,
    /// Every risk point: covered or why not, who sees it, the nearest camera.
    pub risk_points: Vec<RiskPointCoverage>,
    /// Coastline per town with the uncovered stretches.
    pub coastline: Vec<TownCoastline>,
    /// Every camera's visible area.
    pub cameras: Vec<CameraFootprint>,
    /// Suggested new cameras, best first.
    pub suggestions: Vec<Suggestion>,
    /// Totals of the suggestion run (when there was one).
    pub suggestion_totals: Option<SuggestionTotals>,
    /// Chart data.
    pub charts: Charts,
}

impl CoverageReport {
    /// The report of `products`, the suggestion `run` and the range chart.
    pub fn new(
        parameters: Parameters,
        products: &Products,
        run: Option<&SuggestionRun>,
        camera_range: Vec<RangePoint>,
    ) -> Self {
        Self {
            parameters,
            summary: products.summary.clone(),
            towns: products.towns.clone(),
            risk_points: products.risk_points.clone(),
            coastline: products.coastline.clone(),
            cameras: products.cameras.clone(),
            suggestions: run.map(|r| r.suggestions.clone()).unwrap_or_default(),
            suggestion_totals: run.map(|r| SuggestionTotals {
                sites: r.sites,
                candidates: r.candidates,
                total_weight: r.total_weight,
                covered_weight_before: r.covered_weight_before,
            }),
            charts: Charts {
                added_cameras: run.map(|r| r.curve.clone()).unwrap_or_default(),
                camera_range,
            },
        }
    }
}

/// The outline of an H3 cell (lon, lat).
pub fn cell_polygon(cell: CellIndex) -> Polygon {
    let mut ring: Vec<Coord> = cell
        .boundary()
        .iter()
        .map(|v| Coord {
            x: v.lng(),
            y: v.lat(),
        })
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    Polygon::new(LineString(ring), Vec::new())
}

fn feature(geometry: impl Into<geo::Geometry>, properties: Value) -> Feature {
    Feature::new(geometry, properties)
}

/// `coverage_gaps` features: every watch cell no camera sees, with its reason.
pub fn coverage_gap_features(cells: &[CellCoverage]) -> Vec<Feature> {
    cells
        .iter()
        .filter(|c| c.reason != GapReason::None)
        .map(|c| {
            feature(
                cell_polygon(c.cell),
                json!({ "h3": format!("{:x}", c.cell), "reason": c.reason }),
            )
        })
        .collect()
}

/// `camera_coverage` features: each camera's visible polygon (cameras that see nothing
/// are left out).
pub fn camera_coverage_features(cameras: &[CameraFootprint]) -> Vec<Feature> {
    cameras
        .iter()
        .filter(|c| !c.shape.0.is_empty() && c.camera_id > 0)
        .map(|c| {
            feature(
                c.shape.clone(),
                json!({ "camera_id": c.camera_id, "area_m2": c.area_m2 }),
            )
        })
        .collect()
}

/// The seen watch cells with how many cameras see each (`h3`, `cameras`, `sea`).
pub fn seen_cell_features(cells: &[CellCoverage]) -> Vec<Feature> {
    cells
        .iter()
        .filter(|c| c.cameras > 0)
        .map(|c| {
            feature(
                cell_polygon(c.cell),
                json!({ "h3": format!("{:x}", c.cell), "cameras": c.cameras, "sea": c.sea }),
            )
        })
        .collect()
}

/// Risk points with their coverage.
pub fn risk_point_features(points: &[RiskPointCoverage]) -> Vec<Feature> {
    points
        .iter()
        .map(|p| {
            feature(
                Point::new(p.lon, p.lat),
                json!({
                    "risk_point_id": p.id, "name": p.name, "kind": p.kind, "town": p.town,
                    "covered": p.covered, "reason": p.reason, "cameras": p.cameras,
                    "nearest_camera_id": p.nearest_camera.as_ref().map(|n| n.id),
                    "nearest_camera_m": p.nearest_camera.as_ref().map(|n| n.distance_m),
                }),
            )
        })
        .collect()
}

/// The coastline, each run covered or not (`town`, `covered`, `length_m`).
pub fn coastline_features(towns: &[TownCoastline]) -> Vec<Feature> {
    let mut out = Vec::new();
    for town in towns {
        for line in &town.covered_lines {
            out.push(feature(
                line.clone(),
                json!({ "town": town.town, "covered": true, "length_m": length_m(line) }),
            ));
        }
        for stretch in &town.uncovered {
            out.push(feature(
                stretch.line.clone(),
                json!({ "town": town.town, "covered": false, "length_m": stretch.length_m,
                        "coastline_id": stretch.coastline_id }),
            ));
        }
    }
    out
}

fn length_m(line: &LineString) -> f64 {
    let metres: f64 = line
        .lines()
        .map(|l| coastwatch_core::geodesy::distance_m([l.start.x, l.start.y], [l.end.x, l.end.y]))
        .sum();
    (metres * 10.0).round() / 10.0
}

/// Suggested cameras: a point at the site and the sector it would see (flat terrain).
pub fn suggestion_features(suggestions: &[Suggestion], target_height_m: f64) -> Vec<Feature> {
    let mut out = Vec::new();
    for s in suggestions {
        let properties = json!({
            "rank": s.rank, "heading_deg": s.heading_deg, "hfov_deg": s.hfov_deg,
            "range_m": s.range_m, "height_m": s.height_m, "marginal_gain": s.marginal_gain,
            "site": s.site,
        });
        out.push(feature(Point::new(s.lon, s.lat), properties.clone()));
        out.push(feature(sector(&s.camera(), target_height_m).0, properties));
    }
    out
}

/// A GeoJSON `FeatureCollection` of `features`.
pub fn feature_collection(features: &[Feature]) -> Value {
    json!({
        "type": "FeatureCollection",
        "features": features.iter().map(Feature::to_geojson).collect::<Vec<_>>(),
    })
}
