//! A small made-up district on a straight coast: a test fixture, built only for the crate's
//! own tests and with the `fixtures` feature (the end-to-end tests), never into the binary.

use coastwatch_core::geodesy::LocalFrame;
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

use super::District;

impl District {
    /// Three registered docks and an unregistered one, an anchorage, an island, two
    /// restricted sea areas (one closed at night to tankers and fishing boats), a no-landing
    /// shore, three road corridors, a watch zone crossed by a road (active at night) and a
    /// watch circle, seven lanes.
    pub fn synthetic() -> Self {
        synthetic()
    }
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

    /// A sea camera, a PTZ camera and a road checkpoint's camera beside the Qiucun west road.
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
                feature(
                    3,
                    self.point(-3000.0, 20.0).into(),
                    json!({"name": "CAM-003 checkpoint", "height_m": 7.0, "heading_deg": 265.0, "hfov_deg": 45.0, "range_m": 300.0, "agency": "traffic_police", "town": "Qiucun"}),
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
