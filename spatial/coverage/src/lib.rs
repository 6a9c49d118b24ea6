//! Camera coverage: what each camera can see, and where nobody looks.
//!
//! A [`CameraModel`] sees a target when it lies within the camera's range (beyond its near
//! range), inside its horizontal field of view (a PTZ camera sweeps up to 360°), above the
//! horizon given earth curvature, and — with a DEM — not hidden by terrain. [`Terrain`] is the
//! line-of-sight oracle: [`FlatTerrain`] knows only the curved earth; a DEM viewshed knows the
//! hills.

pub mod dem;
/// Errors of coverage planning.
mod error;
/// The HTML report: self-contained, with the map image and charts drawn as SVG.
pub mod html;
/// What the existing cameras see: coverage map, coastline, risk points, visible polygons.
pub mod products;
/// The map image (PNG) of the report.
pub mod render;
/// `coverage.json` and the GeoJSON layers of the report.
pub mod report;
/// The input: cameras, risk points, coastline and areas.
mod scene;
/// New camera sites by greedy maximal coverage.
pub mod suggest;
/// Target points in an R*-tree and what a camera sees of them.
mod targets;

pub use error::{CoverageError, CoverageResult};
pub use products::{
    Analysis, CoverageOptions, FootprintShape, Products, Reason, RiskPointCoverage, TownCoverage,
    town_and_site_coverage, town_coverage,
};
pub use report::CoverageReport;
pub use scene::{RiskSite, Scene, SceneCamera, Shore, TOWN_SNAP_M, TownArea};
pub use suggest::{
    CameraTemplate, CandidateSites, SuggestOptions, Suggestion, SuggestionRun, Weights,
};

use serde::{Deserialize, Serialize};

use coastwatch_core::geodesy;
use coastwatch_core::model::{Camera, FeatureId};
use coastwatch_core::{Feature, ModelError};

/// Refraction coefficient GDAL's viewshed uses by default (`1 - 1/7` of the curvature
/// correction is applied: 0.85714); the one constant of the domain core, which camera
/// calibration uses too.
pub const DEFAULT_CURVATURE_COEFF: f64 = coastwatch_core::georef::CURVATURE_COEFF;

/// A camera as coverage planning sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraModel {
    /// The `cameras` feature id (0 for a candidate site).
    pub id: i64,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Mounting height above the ground (m).
    pub height_m: f64,
    /// Centre of the view, degrees clockwise from north.
    pub heading_deg: f64,
    /// Horizontal field of view (deg), 360 for a full PTZ sweep.
    pub hfov_deg: f64,
    /// Maximum useful range (m).
    pub range_m: f64,
    /// Range below which nothing is seen (m).
    pub near_range_m: f64,
}

impl CameraModel {
    /// The model of a `cameras` feature (validated by the layer).
    pub fn from_feature(feature: &Feature) -> Result<Self, ModelError> {
        let camera: Camera = serde_json::from_value(feature.properties.clone().into())
            .map_err(|e| ModelError::invalid("camera", e.to_string()))?;
        let Some(geo::Geometry::Point(p)) = &feature.geometry else {
            return Err(ModelError::invalid("camera", "needs a Point geometry"));
        };
        Ok(Self {
            id: feature.id.map_or(0, FeatureId::get),
            lon: p.x(),
            lat: p.y(),
            height_m: camera.height_m.get(),
            heading_deg: camera.heading_deg.get(),
            hfov_deg: camera.hfov_deg.get(),
            range_m: camera.range_m.get(),
            near_range_m: camera.near_range_m.map_or(0.0, |n| n.get()),
        })
    }

    /// Why the camera does or does not see `target` (lon, lat) at `target_height_m` above
    /// the ground, asking `terrain` for the line of sight last.
    pub fn sight(&self, target: [f64; 2], target_height_m: f64, terrain: &dyn Terrain) -> Sight {
        let distance = geodesy::distance_m([self.lon, self.lat], target);
        if distance > self.range_m || distance < self.near_range_m {
            return Sight::Range;
        }
        if self.hfov_deg < 360.0 {
            let bearing = geodesy::bearing_deg([self.lon, self.lat], target);
            let off = (bearing - self.heading_deg + 540.0).rem_euclid(360.0) - 180.0;
            if off.abs() > self.hfov_deg / 2.0 {
                return Sight::Fov;
            }
        }
        if terrain.line_of_sight(self, target, target_height_m) {
            Sight::Seen
        } else {
            Sight::Terrain
        }
    }
}

/// Whether (and why not) a camera sees a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sight {
    /// Visible.
    Seen,
    /// Beyond the range (or inside the near range).
    Range,
    /// In range but outside the field of view.
    Fov,
    /// In range and view but hidden (terrain or the earth's curvature).
    Terrain,
}

/// Line of sight between a camera and a target.
pub trait Terrain: Send + Sync {
    /// Whether the camera sees a target standing `target_height_m` above the ground at
    /// `target` (lon, lat); range and field of view are already checked.
    fn line_of_sight(&self, camera: &CameraModel, target: [f64; 2], target_height_m: f64) -> bool;
}

/// The earth without hills: sea-level ground, curved, with atmospheric refraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatTerrain {
    /// Curvature coefficient (1 − refraction), as GDAL's viewshed takes it.
    pub curvature_coeff: f64,
}

impl Default for FlatTerrain {
    fn default() -> Self {
        Self {
            curvature_coeff: DEFAULT_CURVATURE_COEFF,
        }
    }
}

impl FlatTerrain {
    /// The farthest distance (m) at which a target of `target_height_m` is above the
    /// horizon of an observer at `observer_height_m`.
    pub fn horizon_m(&self, observer_height_m: f64, target_height_m: f64) -> f64 {
        // drop below the tangent plane at distance d: coeff · d² / 2R
        let k = self.curvature_coeff.max(1e-9) / (2.0 * geodesy::EARTH_RADIUS_M);
        (observer_height_m.max(0.0) / k).sqrt() + (target_height_m.max(0.0) / k).sqrt()
    }
}

impl Terrain for FlatTerrain {
    fn line_of_sight(&self, camera: &CameraModel, target: [f64; 2], target_height_m: f64) -> bool {
        geodesy::distance_m([camera.lon, camera.lat], target)
            <= self.horizon_m(camera.height_m, target_height_m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(heading: f64, hfov: f64) -> CameraModel {
        CameraModel {
            id: 1,
            lon: 121.6,
            lat: 29.6,
            height_m: 20.0,
            heading_deg: heading,
            hfov_deg: hfov,
            range_m: 2000.0,
            near_range_m: 10.0,
        }
    }

    #[test]
    fn range_fov_and_horizon() {
        let flat = FlatTerrain::default();
        let east = [121.6 + geodesy::lon_deg(1000.0, 29.6), 29.6];
        let north = [121.6, 29.6 + geodesy::lat_deg(1000.0)];
        assert_eq!(camera(90.0, 60.0).sight(east, 2.0, &flat), Sight::Seen);
        assert_eq!(camera(90.0, 60.0).sight(north, 2.0, &flat), Sight::Fov);
        assert_eq!(camera(0.0, 360.0).sight(east, 2.0, &flat), Sight::Seen);
        let far = [121.6 + geodesy::lon_deg(3000.0, 29.6), 29.6];
        assert_eq!(camera(90.0, 60.0).sight(far, 2.0, &flat), Sight::Range);
        assert_eq!(
            camera(90.0, 60.0).sight([121.6, 29.6], 2.0, &flat),
            Sight::Range
        );
        // 20 m up, a 2 m boat: √(2·R·h / 0.85714) = 17.24 km + 5.45 km
        let horizon = flat.horizon_m(20.0, 2.0);
        assert!((horizon - 22_696.0).abs() < 20.0, "{horizon}");
        let mut tall = camera(90.0, 60.0);
        tall.range_m = 50_000.0;
        let beyond = [121.6 + geodesy::lon_deg(30_000.0, 29.6), 29.6];
        assert_eq!(tall.sight(beyond, 2.0, &flat), Sight::Terrain);
    }

    #[test]
    fn bearings() {
        assert!((geodesy::bearing_deg([121.6, 29.6], [121.6, 29.7]) - 0.0).abs() < 1e-9);
        assert!((geodesy::bearing_deg([121.6, 29.6], [121.5, 29.6]) - 270.0).abs() < 0.1);
    }
}
