//! The input of coverage planning: cameras, risk points, coastline and areas, read from
//! layer features and checked.

use geo::{Geometry, Intersects, LineString, MultiPolygon, Point};
use serde::{Deserialize, Serialize};

use super::{CameraModel, CoverageError, CoverageResult};
use coastwatch_core::model::{
    Area, AreaKind, Camera, Card, CoastlineSegment, FeatureId, RiskKind, RiskPoint,
};
use coastwatch_core::{Feature, ModelError};

/// An existing camera: its model, name and town.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneCamera {
    /// Position, height, heading, field of view and ranges.
    pub model: CameraModel,
    /// Its name or code.
    pub name: String,
    /// The town it belongs to.
    pub town: Option<String>,
}

/// A risk point as coverage planning sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSite {
    /// The `risk_points` feature id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What the place is.
    pub kind: RiskKind,
    /// Registered with the authorities.
    pub registered: bool,
    /// The town it belongs to (its attribute, else the town area it lies in).
    pub town: Option<String>,
    /// Its risk card.
    pub card: Card,
    /// Position (lon, lat; deg).
    pub lonlat: [f64; 2],
}

/// One line of the coastline.
#[derive(Debug, Clone, PartialEq)]
pub struct Shore {
    /// The `coastline` feature id (a MultiLineString gives several shores with one id).
    pub id: i64,
    /// The town whose shore it is.
    pub town: Option<String>,
    /// The line (lon, lat; deg).
    pub line: LineString,
}

/// A town area (it may hold water as well as land).
#[derive(Debug, Clone, PartialEq)]
pub struct TownArea {
    /// The town's name.
    pub name: String,
    /// Its outline (lon, lat; deg).
    pub shape: MultiPolygon,
}

/// Everything coverage planning reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scene {
    /// The existing cameras.
    pub cameras: Vec<SceneCamera>,
    /// The risk points.
    pub risk_points: Vec<RiskSite>,
    /// The coastline.
    pub coastline: Vec<Shore>,
    /// The town areas: they give places without a town their town.
    pub towns: Vec<TownArea>,
    /// The district boundary (`areas` of kind `district`): the watch area when present.
    pub district: Option<MultiPolygon>,
}

impl Scene {
    /// The scene of the features of the `cameras`, `risk_points`, `coastline` and `areas`
    /// layers, with risk points' towns filled in from the town areas (see
    /// [`Scene::fill_towns`]) and every camera checked.
    pub fn from_features(
        cameras: &[Feature],
        risk_points: &[Feature],
        coastline: &[Feature],
        areas: &[Feature],
    ) -> CoverageResult<Self> {
        let mut scene = Self::default();
        for feature in cameras {
            let bad = bad_feature("cameras", feature);
            let model = CameraModel::from_feature(feature).map_err(bad)?;
            let record: Camera = record(feature).map_err(bad_feature("cameras", feature))?;
            scene.cameras.push(SceneCamera {
                model,
                name: record.name,
                town: record.town,
            });
        }
        for feature in risk_points {
            let record: RiskPoint = record(feature).map_err(bad_feature("risk_points", feature))?;
            let Some(Geometry::Point(p)) = &feature.geometry else {
                return Err(bad_feature("risk_points", feature)(ModelError::invalid(
                    "geometry",
                    "a risk point needs a Point geometry",
                )));
            };
            scene.risk_points.push(RiskSite {
                id: feature.id.map_or(0, FeatureId::get),
                name: record.name,
                kind: record.kind,
                registered: record.registered,
                town: record.town,
                card: record.card,
                lonlat: [p.x(), p.y()],
            });
        }
        for feature in coastline {
            let record: CoastlineSegment =
                record(feature).map_err(bad_feature("coastline", feature))?;
            let id = feature.id.map_or(0, FeatureId::get);
            let lines = match &feature.geometry {
                Some(Geometry::LineString(line)) => vec![line.clone()],
                Some(Geometry::MultiLineString(lines)) => lines.0.clone(),
                _ => {
                    return Err(bad_feature("coastline", feature)(ModelError::invalid(
                        "geometry",
                        "a coastline feature needs a LineString geometry",
                    )));
                }
            };
            scene.coastline.extend(lines.into_iter().map(|line| Shore {
                id,
                town: record.town.clone(),
                line,
            }));
        }
        for feature in areas {
            let record: Area = record(feature).map_err(bad_feature("areas", feature))?;
            let shape = match &feature.geometry {
                Some(Geometry::Polygon(p)) => MultiPolygon(vec![p.clone()]),
                Some(Geometry::MultiPolygon(m)) => m.clone(),
                _ => continue,
            };
            match record.kind {
                AreaKind::Town => scene.towns.push(TownArea {
                    name: record.name,
                    shape,
                }),
                AreaKind::District => {
                    scene
                        .district
                        .get_or_insert_with(|| MultiPolygon(Vec::new()))
                        .0
                        .extend(shape.0);
                }
                AreaKind::Village | AreaKind::Land | AreaKind::Other => {}
            }
        }
        scene.fill_towns();
        scene.validate()?;
        Ok(scene)
    }

    /// Gives risk points without a town the town area they lie in, else the nearest town
    /// area within [`TOWN_SNAP_M`] (a dock just seaward of the town's outline). Shores keep
    /// their own `town`: a shore without one (another county's) stays without.
    pub fn fill_towns(&mut self) {
        let towns = &self.towns;
        let town_at = |lonlat: [f64; 2]| {
            let point = Point::new(lonlat[0], lonlat[1]);
            if let Some(town) = towns.iter().find(|t| t.shape.intersects(&point)) {
                return Some(town.name.clone());
            }
            towns
                .iter()
                .map(|t| (t, distance_to_area_m(lonlat, &t.shape)))
                .filter(|(_, d)| *d <= TOWN_SNAP_M)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(t, _)| t.name.clone())
        };
        for site in self.risk_points.iter_mut().filter(|s| s.town.is_none()) {
            site.town = town_at(site.lonlat);
        }
    }

    /// Checks every camera (see [`CameraModel::validate`]).
    pub fn validate(&self) -> CoverageResult<()> {
        for camera in &self.cameras {
            camera
                .model
                .validate(&format!("{} ({})", camera.model.id, camera.name))?;
        }
        Ok(())
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` of the cameras, risk points
    /// and coastline, grown by the longest camera range; `None` when the scene is empty.
    pub fn extent(&self) -> Option<[f64; 4]> {
        let points = self
            .cameras
            .iter()
            .map(|c| [c.model.lon, c.model.lat])
            .chain(self.risk_points.iter().map(|r| r.lonlat))
            .chain(
                self.coastline
                    .iter()
                    .flat_map(|s| s.line.0.iter().map(|c| [c.x, c.y])),
            );
        let mut bbox: Option<[f64; 4]> = None;
        for [x, y] in points {
            let b = bbox.get_or_insert([x, y, x, y]);
            *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        let [x0, y0, x1, y1] = bbox?;
        let grow_m = self
            .cameras
            .iter()
            .map(|c| c.model.range_m)
            .fold(0.0, f64::max);
        let dlat = coastwatch_core::geodesy::lat_deg(grow_m);
        let dlon = coastwatch_core::geodesy::lon_deg(grow_m, y0.abs().max(y1.abs()));
        Some([x0 - dlon, y0 - dlat, x1 + dlon, y1 + dlat])
    }
}

impl CameraModel {
    /// Checks the parameters: a position on the earth, height ≥ 0 m, heading 0–360°, a
    /// field of view greater than 0° and at most 360°, a range greater than 0 m and a near
    /// range from 0 m up to (not including) the range. `label` names the camera in the error.
    ///
    /// ```
    /// use coastwatch_coverage::CameraModel;
    /// let mut camera = CameraModel {
    ///     id: 1, lon: 121.6, lat: 29.6, height_m: 20.0, heading_deg: 90.0,
    ///     hfov_deg: 60.0, range_m: 3000.0, near_range_m: 0.0,
    /// };
    /// assert!(camera.validate("CAM-1").is_ok());
    /// camera.hfov_deg = 0.0;
    /// let error = camera.validate("CAM-1").unwrap_err().to_string();
    /// assert_eq!(error, "camera CAM-1: hfov_deg 0 must be greater than 0 and at most 360");
    /// ```
    pub fn validate(&self, label: &str) -> CoverageResult<()> {
        let bad = |what: &'static str, value: f64, rule: &'static str| {
            Err(CoverageError::BadCamera {
                camera: label.to_owned(),
                what,
                value,
                rule,
            })
        };
        let ok = |v: f64, rule: fn(f64) -> bool| v.is_finite() && rule(v);
        if !ok(self.lon, |v| (-180.0..=180.0).contains(&v)) {
            return bad("longitude", self.lon, "must be within -180..=180");
        }
        if !ok(self.lat, |v| (-90.0..=90.0).contains(&v)) {
            return bad("latitude", self.lat, "must be within -90..=90");
        }
        if !ok(self.height_m, |v| v >= 0.0) {
            return bad("height_m", self.height_m, "must not be negative");
        }
        if !ok(self.heading_deg, |v| (0.0..=360.0).contains(&v)) {
            return bad("heading_deg", self.heading_deg, "must be within 0..=360");
        }
        if !ok(self.hfov_deg, |v| v > 0.0 && v <= 360.0) {
            return bad(
                "hfov_deg",
                self.hfov_deg,
                "must be greater than 0 and at most 360",
            );
        }
        if !ok(self.range_m, |v| v > 0.0) {
            return bad("range_m", self.range_m, "must be greater than 0");
        }
        if !ok(self.near_range_m, |v| v >= 0.0) || self.near_range_m >= self.range_m {
            return bad(
                "near_range_m",
                self.near_range_m,
                "must be at least 0 and less than range_m",
            );
        }
        Ok(())
    }
}

/// How far outside every town area a place without a town may lie and still be given the
/// nearest one (m).
pub const TOWN_SNAP_M: f64 = 300.0;

/// Distance from `lonlat` to the outline of `shape` (m; the point is outside it).
fn distance_to_area_m(lonlat: [f64; 2], shape: &MultiPolygon) -> f64 {
    let frame = coastwatch_core::geodesy::LocalFrame::new(lonlat);
    shape
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.lines())
        .map(|l| {
            coastwatch_core::geodesy::point_segment_distance(
                [0.0, 0.0],
                frame.to_xy([l.start.x, l.start.y]),
                frame.to_xy([l.end.x, l.end.y]),
            )
        })
        .fold(f64::INFINITY, f64::min)
}

fn record<R: serde::de::DeserializeOwned>(feature: &Feature) -> Result<R, ModelError> {
    serde_json::from_value(serde_json::Value::Object(feature.properties.clone()))
        .map_err(|e| ModelError::invalid("properties", e.to_string()))
}

fn bad_feature(layer: &'static str, feature: &Feature) -> impl Fn(ModelError) -> CoverageError {
    let id = feature.id.map_or(0, FeatureId::get);
    move |source| CoverageError::BadFeature { layer, id, source }
}
