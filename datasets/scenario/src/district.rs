//! The district a scenario plays in: the static layers, read from GeoJSON files.

use std::path::Path;

use coastwatch_core::geodesy::LocalFrame;
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

use super::error::{Result, ScenarioError};

/// The static layers of a district, as GeoJSON features with integer ids.
///
/// The layers with a store schema (`risk_points`, `cameras`, `geofences`, `coastline`,
/// `areas`) are validated by [`Layer::validate`]; `land` (Polygon or MultiPolygon),
/// `roads` (LineString, `id`, `name`) and `lanes` (LineString in water, `kind` one of
/// `transit`, `approach`, `fishing`, `anchorage`, and `dock_id` for approach lanes) are
/// taken as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct District {
    /// Docks (registered or not), anchorages, depots and other risk points.
    pub risk_points: Vec<Feature>,
    /// Cameras.
    pub cameras: Vec<Feature>,
    /// Restricted sea areas, no-landing shores, route corridors and watch zones.
    pub geofences: Vec<Feature>,
    /// The shoreline, as line strings.
    pub coastline: Vec<Feature>,
    /// Land polygons (what is not water).
    pub land: Vec<Feature>,
    /// Town areas and the district boundary.
    pub areas: Vec<Feature>,
    /// Roads trucks drive on.
    pub roads: Vec<Feature>,
    /// Shipping lanes in water.
    pub lanes: Vec<Feature>,
}

/// The file names of a district directory, in the order of [`District`]'s fields.
pub const DISTRICT_FILES: [&str; 8] = [
    "risk_points.geojson",
    "cameras.geojson",
    "geofences.geojson",
    "coastline.geojson",
    "land.geojson",
    "areas.geojson",
    "roads.geojson",
    "lanes.geojson",
];

/// Layers a district cannot do without; the others may be missing (read as empty).
const REQUIRED: [&str; 5] = [
    "risk_points.geojson",
    "geofences.geojson",
    "coastline.geojson",
    "areas.geojson",
    "lanes.geojson",
];

impl District {
    /// Reads the layers from `dir` ([`DISTRICT_FILES`]). `cameras`, `land` and `roads` may
    /// be missing; the others must be there.
    ///
    /// # Errors
    /// A required file that cannot be read, a file that is not a GeoJSON
    /// FeatureCollection, or a feature that is not valid for its layer.
    pub fn load(dir: &Path) -> Result<Self> {
        let mut layers: Vec<Vec<Feature>> = Vec::with_capacity(DISTRICT_FILES.len());
        for name in DISTRICT_FILES {
            let path = dir.join(name);
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !REQUIRED.contains(&name) => {
                    layers.push(Vec::new());
                    continue;
                }
                Err(source) => return Err(ScenarioError::Io { path, source }),
            };
            layers.push(parse_collection(&path, &text, layer_of(name))?);
        }
        Ok(Self::from_layers(layers))
    }

    /// Parses the layers from GeoJSON texts, in the order of [`DISTRICT_FILES`] (whose
    /// names the errors give). An empty text is an empty layer.
    ///
    /// # Errors
    /// As [`District::load`].
    pub fn from_texts(texts: [&str; 8]) -> Result<Self> {
        let mut layers = Vec::with_capacity(8);
        for (name, text) in DISTRICT_FILES.iter().zip(texts) {
            if text.trim().is_empty() {
                layers.push(Vec::new());
            } else {
                layers.push(parse_collection(Path::new(name), text, layer_of(name))?);
            }
        }
        Ok(Self::from_layers(layers))
    }

    /// The district of layers given in the order of [`DISTRICT_FILES`].
    fn from_layers(layers: Vec<Vec<Feature>>) -> Self {
        let mut it = layers.into_iter();
        let mut next = || it.next().unwrap_or_default();
        Self {
            risk_points: next(),
            cameras: next(),
            geofences: next(),
            coastline: next(),
            land: next(),
            areas: next(),
            roads: next(),
            lanes: next(),
        }
    }

    /// The embedded demo district: the inner Xiangshan Bay (`datasets/data/demo/`, real
    /// GSHHG shoreline, synthetic risk points, cameras, fences, roads and lanes; see the
    /// README there).
    ///
    /// # Errors
    /// None for the committed files (their tests check them); an edit that breaks them
    /// shows here as for [`District::load`].
    pub fn demo() -> Result<Self> {
        Self::from_texts([
            include_str!("../../data/demo/risk_points.geojson"),
            include_str!("../../data/demo/cameras.geojson"),
            include_str!("../../data/demo/geofences.geojson"),
            include_str!("../../data/demo/coastline.geojson"),
            include_str!("../../data/demo/land.geojson"),
            include_str!("../../data/demo/areas.geojson"),
            include_str!("../../data/demo/roads.geojson"),
            include_str!("../../data/demo/lanes.geojson"),
        ])
    }

    /// A small made-up district on a straight coast, for tests and examples: three
    /// registered docks and an unregistered one, an anchorage, an island, two restricted
    /// sea areas (one closed at night to tankers and fishing boats), a no-landing shore,
    /// three road corridors, a watch zone crossed by a road (active at night) and a watch
    /// circle, seven lanes.
    pub fn synthetic() -> Self {
        synthetic()
    }
}

fn layer_of(name: &str) -> Option<Layer> {
    match name {
        "risk_points.geojson" => Some(Layer::RiskPoints),
        "cameras.geojson" => Some(Layer::Cameras),
        "geofences.geojson" => Some(Layer::Geofences),
        "coastline.geojson" => Some(Layer::Coastline),
        "areas.geojson" => Some(Layer::Areas),
        _ => None,
    }
}

/// The features of a GeoJSON FeatureCollection text, validated for `layer` when given.
pub(crate) fn parse_collection(
    path: &Path,
    text: &str,
    layer: Option<Layer>,
) -> Result<Vec<Feature>> {
    let doc: Value = serde_json::from_str(text).map_err(|source| ScenarioError::Json {
        path: path.to_owned(),
        source,
    })?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| ScenarioError::Line {
            path: path.to_owned(),
            line: 1,
            reason: "not a GeoJSON FeatureCollection".into(),
        })?;
    features
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let feature = Feature::from_geojson(value.clone());
            let feature = match (feature, layer) {
                (Ok(f), Some(layer)) => layer.validate(f),
                (other, _) => other,
            };
            feature.map_err(|source| ScenarioError::Feature {
                path: path.to_owned(),
                index,
                source,
            })
        })
        .collect()
}

fn id(n: i64) -> FeatureId {
    FeatureId::try_from(n).unwrap_or_else(|_| unreachable!("synthetic ids are positive"))
}

fn synthetic() -> District {
    let d = Synthetic {
        frame: LocalFrame::new([121.80, 29.50]),
    };
    District {
        risk_points: d.risk_points(),
        cameras: d.cameras(),
        geofences: d.geofences(),
        coastline: d.coastline(),
        land: d.land(),
        areas: d.areas(),
        roads: d.roads(),
        lanes: d.lanes(),
    }
}

/// The synthetic roads (metres), which the road corridor fences follow.
const ROAD_A: [(f64, f64); 4] = [
    (-2500.0, -8000.0),
    (-1500.0, -6000.0),
    (-1500.0, 6000.0),
    (-2500.0, 8000.0),
];
const ROAD_B: [(f64, f64); 2] = [(-1500.0, 0.0), (-12000.0, 0.0)];
const ROAD_C: [(f64, f64); 3] = [(-1500.0, 4000.0), (-6000.0, 4000.0), (-9000.0, 6000.0)];
const ROAD_D: [(f64, f64); 2] = [(-1500.0, -4000.0), (-10000.0, -6000.0)];

/// The synthetic district, drawn in metres east and north of 121.80 E, 29.50 N.
struct Synthetic {
    frame: LocalFrame,
}

impl Synthetic {
    fn ll(&self, x: f64, y: f64) -> (f64, f64) {
        let p = self.frame.to_lonlat([x, y]);
        (p[0], p[1])
    }

    fn line(&self, pts: &[(f64, f64)]) -> LineString {
        LineString::from(pts.iter().map(|&(x, y)| self.ll(x, y)).collect::<Vec<_>>())
    }

    fn rect(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
        Polygon::new(
            self.line(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )
    }

    fn point(&self, x: f64, y: f64) -> Point {
        let (lon, lat) = self.ll(x, y);
        Point::new(lon, lat)
    }

    fn lane(&self, n: i64, kind: &str, dock: Option<i64>, pts: &[(f64, f64)]) -> Feature {
        let mut p = json!({"kind": kind, "name": format!("lane {n}")});
        if let Some(d) = dock {
            p["dock_id"] = d.into();
        }
        feature(n, self.line(pts).into(), p)
    }

    /// Docks, an anchorage, a depot, a cold store and a haulage firm.
    fn risk_points(&self) -> Vec<Feature> {
        valid(
            Layer::RiskPoints,
            vec![
                feature(
                    1,
                    self.point(30.0, -8000.0).into(),
                    json!({"kind": "dock", "name": "Chunhu Port", "registered": true, "town": "Chunhu"}),
                ),
                feature(
                    2,
                    self.point(30.0, 0.0).into(),
                    json!({"kind": "dock", "name": "Qiucun Pier", "registered": true, "town": "Qiucun"}),
                ),
                feature(
                    3,
                    self.point(30.0, 8000.0).into(),
                    json!({"kind": "dock", "name": "Songao Wharf", "registered": true, "town": "Songao"}),
                ),
                feature(
                    4,
                    self.point(30.0, 4000.0).into(),
                    json!({"kind": "dock", "name": "Xiaowan Landing", "registered": false, "town": "Qiucun", "card": "yellow"}),
                ),
                feature(
                    5,
                    self.point(5000.0, -5000.0).into(),
                    json!({"kind": "anchorage", "name": "Chunhu Roads", "town": "Chunhu"}),
                ),
                feature(
                    6,
                    self.point(-2500.0, -8000.0).into(),
                    json!({"kind": "oil_depot", "name": "Chunhu Oil Depot", "registered": true, "town": "Chunhu"}),
                ),
                feature(
                    7,
                    self.point(-3000.0, 2000.0).into(),
                    json!({"kind": "warehouse", "name": "Qiucun Cold Store", "registered": true, "town": "Qiucun"}),
                ),
                feature(
                    8,
                    self.point(-9000.0, 6000.0).into(),
                    json!({"kind": "truck_firm", "name": "Songao Haulage", "registered": true, "town": "Songao"}),
                ),
            ],
        )
    }

    /// Two cameras.
    fn cameras(&self) -> Vec<Feature> {
        valid(
            Layer::Cameras,
            vec![
                feature(
                    1,
                    self.point(-100.0, -7800.0).into(),
                    json!({"name": "CAM-001", "height_m": 20.0, "heading_deg": 90.0, "hfov_deg": 90.0, "range_m": 3000.0, "agency": "police", "town": "Chunhu"}),
                ),
                feature(
                    2,
                    self.point(-100.0, 3900.0).into(),
                    json!({"name": "CAM-002", "height_m": 15.0, "heading_deg": 0.0, "hfov_deg": 360.0, "range_m": 2000.0, "ptz": true, "town": "Qiucun"}),
                ),
            ],
        )
    }

    /// Restricted sea areas, a no-landing shore, road corridors and watch zones.
    fn geofences(&self) -> Vec<Feature> {
        let corridor_rule = json!({"classes": ["vehicle:tank_truck", "vehicle:container_truck"], "detect": ["exit"],
                                   "severity": "warning", "debounce": {"fixes": 2, "buffer_m": 10.0}});
        valid(
            Layer::Geofences,
            vec![
                feature(
                    1,
                    self.rect(9000.0, -3500.0, 11500.0, -1000.0).into(),
                    json!({"name": "Military exercise area", "kind": "restricted_sea", "town": "Qiucun",
                    "rule": {"classes": ["vessel"], "detect": ["enter", "dwell"], "dwell_min": 15.0, "severity": "critical", "debounce": {"fixes": 2, "buffer_m": 25.0}}}),
                ),
                feature(
                    2,
                    self.rect(13000.0, 5000.0, 15500.0, 7500.0).into(),
                    json!({"name": "Night closure", "kind": "restricted_sea", "town": "Songao",
                    "rule": {"classes": ["vessel:tanker", "vessel:fishing"], "detect": ["enter"], "active_hours": {"start": "22:00", "end": "05:00"},
                             "severity": "warning", "debounce": {"fixes": 2, "buffer_m": 25.0}}}),
                ),
                feature(
                    3,
                    self.rect(-300.0, -3000.0, 300.0, -2000.0).into(),
                    json!({"name": "Qiucun no-landing shore", "kind": "no_landing_shore", "town": "Qiucun",
                    "rule": {"classes": ["vessel"], "detect": ["enter"], "severity": "critical"}}),
                ),
                feature(
                    10,
                    self.line(&ROAD_A).into(),
                    json!({"name": "Coast road corridor", "kind": "route_corridor", "width_m": 60.0, "rule": corridor_rule}),
                ),
                feature(
                    11,
                    self.line(&ROAD_B).into(),
                    json!({"name": "Qiucun west corridor", "kind": "route_corridor", "width_m": 50.0, "rule": corridor_rule}),
                ),
                feature(
                    12,
                    self.line(&ROAD_C).into(),
                    json!({"name": "Songao inland corridor", "kind": "route_corridor", "width_m": 50.0, "rule": corridor_rule}),
                ),
                feature(
                    20,
                    self.rect(-5500.0, 3300.0, -4000.0, 4700.0).into(),
                    json!({"name": "Xiaowan yards", "kind": "watch_zone", "town": "Qiucun",
                    "rule": {"classes": ["vehicle"], "detect": ["enter"], "active_hours": {"start": "22:00", "end": "05:00"}, "severity": "warning"}}),
                ),
                feature(
                    21,
                    self.point(-300.0, 4000.0).into(),
                    json!({"name": "Xiaowan landing watch", "kind": "watch_zone", "radius_m": 400.0, "town": "Qiucun",
                    "rule": {"classes": ["vehicle"], "detect": ["enter", "dwell"], "dwell_min": 10.0, "severity": "warning"}}),
                ),
            ],
        )
    }

    /// The mainland shore and an island.
    fn coastline(&self) -> Vec<Feature> {
        let island = [
            (6000.0, 2500.0),
            (8000.0, 2500.0),
            (8000.0, 4500.0),
            (6000.0, 4500.0),
            (6000.0, 2500.0),
        ];
        valid(
            Layer::Coastline,
            vec![
                feature(
                    1,
                    self.line(&[(0.0, -16000.0), (0.0, 16000.0)]).into(),
                    json!({"source": "synthetic"}),
                ),
                feature(
                    2,
                    self.line(&island).into(),
                    json!({"town": "Songao", "source": "synthetic"}),
                ),
            ],
        )
    }

    /// The mainland and the island.
    fn land(&self) -> Vec<Feature> {
        vec![
            feature(
                1,
                self.rect(-20000.0, -16000.0, 0.0, 16000.0).into(),
                json!({"name": "mainland"}),
            ),
            feature(
                2,
                self.rect(6000.0, 2500.0, 8000.0, 4500.0).into(),
                json!({"name": "island"}),
            ),
        ]
    }

    /// The district and its three towns.
    fn areas(&self) -> Vec<Feature> {
        valid(
            Layer::Areas,
            vec![
                feature(
                    1,
                    MultiPolygon(vec![self.rect(-20000.0, -13000.0, 18000.0, 13000.0)]).into(),
                    json!({"name": "Xiangshan", "kind": "district"}),
                ),
                feature(
                    2,
                    MultiPolygon(vec![self.rect(-20000.0, -13000.0, 18000.0, -4000.0)]).into(),
                    json!({"name": "Chunhu", "kind": "town"}),
                ),
                feature(
                    3,
                    MultiPolygon(vec![self.rect(-20000.0, -4000.0, 18000.0, 4000.0)]).into(),
                    json!({"name": "Qiucun", "kind": "town"}),
                ),
                feature(
                    4,
                    MultiPolygon(vec![self.rect(-20000.0, 4000.0, 18000.0, 13000.0)]).into(),
                    json!({"name": "Songao", "kind": "town"}),
                ),
            ],
        )
    }

    /// The roads trucks drive on.
    fn roads(&self) -> Vec<Feature> {
        vec![
            feature(1, self.line(&ROAD_A).into(), json!({"name": "Coast road"})),
            feature(
                2,
                self.line(&ROAD_B).into(),
                json!({"name": "Qiucun west road"}),
            ),
            feature(
                3,
                self.line(&ROAD_C).into(),
                json!({"name": "Songao inland road"}),
            ),
            feature(
                4,
                self.line(&ROAD_D).into(),
                json!({"name": "Chunhu farm road"}),
            ),
        ]
    }

    /// Transit, approach, fishing and anchorage lanes.
    fn lanes(&self) -> Vec<Feature> {
        vec![
            self.lane(
                1,
                "transit",
                None,
                &[(12000.0, -16000.0), (12000.0, 16000.0)],
            ),
            self.lane(
                2,
                "approach",
                Some(1),
                &[(12000.0, -8000.0), (100.0, -8000.0)],
            ),
            self.lane(3, "approach", Some(2), &[(12000.0, 0.0), (100.0, 0.0)]),
            self.lane(
                4,
                "approach",
                Some(3),
                &[(12000.0, 8000.0), (100.0, 8000.0)],
            ),
            self.lane(
                5,
                "fishing",
                None,
                &[
                    (2500.0, -12000.0),
                    (3000.0, -6500.0),
                    (4000.0, 1000.0),
                    (3500.0, 6000.0),
                ],
            ),
            self.lane(6, "fishing", None, &[(8000.0, 8000.0), (16000.0, 11000.0)]),
            self.lane(7, "approach", Some(4), &[(5000.0, 4000.0), (100.0, 4000.0)]),
            self.lane(
                8,
                "anchorage",
                None,
                &[(12000.0, -5000.0), (5500.0, -5000.0)],
            ),
        ]
    }
}

fn feature(n: i64, g: Geometry, p: Value) -> Feature {
    Feature::new(g, p).with_id(id(n))
}

fn valid(layer: Layer, features: Vec<Feature>) -> Vec<Feature> {
    features
        .into_iter()
        .map(|f| {
            layer
                .validate(f)
                .unwrap_or_else(|e| unreachable!("synthetic {layer} feature: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_district_round_trips_through_files() {
        let district = District::synthetic();
        assert_eq!(district.geofences.len(), 8);
        let dir = tempfile::tempdir().unwrap();
        let layers = [
            &district.risk_points,
            &district.cameras,
            &district.geofences,
            &district.coastline,
            &district.land,
            &district.areas,
            &district.roads,
            &district.lanes,
        ];
        for (name, features) in DISTRICT_FILES.iter().zip(layers) {
            let text = coastwatch_core::geojson::to_geojson_string(features);
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let back = District::load(dir.path()).unwrap();
        assert_eq!(back.lanes.len(), district.lanes.len());
        assert_eq!(back.geofences.len(), district.geofences.len());
        std::fs::remove_file(dir.path().join("lanes.geojson")).unwrap();
        assert!(matches!(
            District::load(dir.path()),
            Err(ScenarioError::Io { .. })
        ));
        std::fs::write(dir.path().join("lanes.geojson"), "{}").unwrap();
        assert!(District::load(dir.path()).is_err());
    }
}
