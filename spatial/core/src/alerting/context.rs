//! The static geography the behaviour detectors need: registered docks and anchorages,
//! the coastline, the watch area and towns, route corridors and watch zones.
//!
//! Built once from store features ([`DetectionContext::from_features`]) and read by every
//! detector; queries answer in metres.

use std::collections::HashMap;

use geo::{BoundingRect, Geometry, Intersects, LineString, MultiLineString, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{AABB, RTree};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Feature;
use crate::geodesy::{self, LocalFrame};
use crate::model::{Area, AreaKind, FeatureId, FenceKind, Geofence, RiskKind, RiskPoint};

/// Points (docks, anchorages) indexed for nearest-distance queries in metres.
#[derive(Debug, Default)]
pub struct PointIndex {
    tree: RTree<GeomWithData<[f64; 2], FeatureId>>,
}

impl PointIndex {
    /// An index of `(id, [lon, lat])` points.
    pub fn new(points: impl IntoIterator<Item = (FeatureId, [f64; 2])>) -> Self {
        let points = points
            .into_iter()
            .map(|(id, at)| GeomWithData::new(at, id))
            .collect();
        Self {
            tree: RTree::bulk_load(points),
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The point nearest to (`lon`, `lat`) within `max_m` metres, with its great-circle
    /// distance (m); `None` when no point is that close.
    pub fn nearest_m(&self, lon: f64, lat: f64, max_m: f64) -> Option<(FeatureId, f64)> {
        let at = [lon, lat];
        self.tree
            .locate_in_envelope(&envelope_around(at, max_m))
            .map(|p| (p.data, geodesy::distance_m(at, *p.geom())))
            .filter(|&(_, d)| d <= max_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The lon/lat box that holds every point within `metres` of `at`.
pub(crate) fn envelope_around(at: [f64; 2], metres: f64) -> AABB<[f64; 2]> {
    let dlat = geodesy::lat_deg(metres);
    // the widest longitude span is at the latitude nearest a pole
    let dlon = geodesy::lon_deg(metres, at[1].abs() + dlat);
    AABB::from_corners([at[0] - dlon, at[1] - dlat], [at[0] + dlon, at[1] + dlat])
}

/// A shape that holds points: an area or a circle.
#[derive(Debug)]
enum Shape {
    Area(MultiPolygon<f64>),
    Circle { centre: [f64; 2], radius_m: f64 },
}

impl Shape {
    fn envelope(&self) -> Option<AABB<[f64; 2]>> {
        match self {
            Self::Area(area) => area
                .bounding_rect()
                .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])),
            Self::Circle { centre, radius_m } => Some(envelope_around(*centre, *radius_m)),
        }
    }

    /// Whether `at` lies inside (the border counts as inside).
    fn contains(&self, at: [f64; 2]) -> bool {
        match self {
            Self::Area(area) => area.intersects(&Point::new(at[0], at[1])),
            Self::Circle { centre, radius_m } => geodesy::distance_m(*centre, at) <= *radius_m,
        }
    }
}

/// Shapes indexed by their bounding boxes; a lookup answers the first matching item in the
/// order given.
#[derive(Debug)]
struct Shapes<T> {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    items: Vec<(T, Shape)>,
}

impl<T> Default for Shapes<T> {
    fn default() -> Self {
        Self {
            tree: RTree::new(),
            items: Vec::new(),
        }
    }
}

impl<T> Shapes<T> {
    fn new(items: Vec<(T, Shape)>) -> Self {
        let boxes = items
            .iter()
            .enumerate()
            .filter_map(|(i, (_, shape))| {
                let envelope = shape.envelope()?;
                Some(GeomWithData::new(Rectangle::from_aabb(envelope), i))
            })
            .collect();
        Self {
            tree: RTree::bulk_load(boxes),
            items,
        }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn find(&self, at: [f64; 2]) -> Option<&T> {
        self.tree
            .locate_all_at_point(&at)
            .map(|b| b.data)
            .filter(|&i| self.items[i].1.contains(at))
            .min()
            .map(|i| &self.items[i].0)
    }
}

/// A road corridor: a centre line and, when the fence gives one, its width.
#[derive(Debug)]
struct Corridor {
    lines: MultiLineString<f64>,
    half_width_m: Option<f64>,
}

impl Corridor {
    fn distance_m(&self, at: [f64; 2]) -> Option<f64> {
        let frame = LocalFrame::new(at);
        self.lines
            .iter()
            .flat_map(LineString::lines)
            .map(|segment| {
                geodesy::point_segment_distance(
                    [0.0, 0.0],
                    frame.to_xy([segment.start.x, segment.start.y]),
                    frame.to_xy([segment.end.x, segment.end.y]),
                )
            })
            .min_by(f64::total_cmp)
    }
}

/// The static geography behaviour detectors read.
#[derive(Debug, Default)]
pub struct DetectionContext {
    docks: PointIndex,
    anchorages: PointIndex,
    coast: RTree<Line<[f64; 2]>>,
    districts: Shapes<()>,
    towns: Shapes<String>,
    corridors: HashMap<FeatureId, Corridor>,
    watch_zones: Shapes<FeatureId>,
}

impl DetectionContext {
    /// The context of validated store features: `risk_points` (registered docks and
    /// anchorages), `coastline` lines, `areas` (the district boundary and towns) and
    /// `geofences` (line corridors, watch zones). Features it cannot use — without an id
    /// where one is needed, of another kind, with unreadable properties — are skipped.
    pub fn from_features(
        risk_points: &[Feature],
        coastline: &[Feature],
        areas: &[Feature],
        geofences: &[Feature],
    ) -> Self {
        let mut docks = Vec::new();
        let mut anchorages = Vec::new();
        for feature in risk_points {
            let (Some(id), Some(Geometry::Point(p)), Some(point)) =
                (feature.id, &feature.geometry, record::<RiskPoint>(feature))
            else {
                continue;
            };
            match point.kind {
                RiskKind::Dock if point.registered => docks.push((id, [p.x(), p.y()])),
                RiskKind::Anchorage => anchorages.push((id, [p.x(), p.y()])),
                _ => {}
            }
        }

        let mut coast = Vec::new();
        for shore in coastline.iter().filter_map(|f| lines(f.geometry.as_ref()?)) {
            for segment in shore.iter().flat_map(LineString::lines) {
                coast.push(Line::new(
                    [segment.start.x, segment.start.y],
                    [segment.end.x, segment.end.y],
                ));
            }
        }

        let mut districts = Vec::new();
        let mut towns = Vec::new();
        for feature in areas {
            let (Some(area), Some(shape)) = (
                record::<Area>(feature),
                feature.geometry.as_ref().and_then(polygons),
            ) else {
                continue;
            };
            match area.kind {
                AreaKind::District => districts.push(((), Shape::Area(shape))),
                AreaKind::Town => towns.push((area.name, Shape::Area(shape))),
                AreaKind::Village | AreaKind::Land | AreaKind::Other => {}
            }
        }

        let mut corridors = HashMap::new();
        let mut watch_zones = Vec::new();
        for feature in geofences {
            let (Some(id), Some(geometry), Some(fence)) =
                (feature.id, &feature.geometry, record::<Geofence>(feature))
            else {
                continue;
            };
            if let Some(lines) = lines(geometry) {
                let half_width_m = fence.width_m.map(|w| w.get() / 2.0);
                corridors.insert(
                    id,
                    Corridor {
                        lines,
                        half_width_m,
                    },
                );
            } else if fence.kind == FenceKind::WatchZone {
                let shape = match (geometry, fence.radius_m) {
                    (Geometry::Point(p), Some(radius)) => Shape::Circle {
                        centre: [p.x(), p.y()],
                        radius_m: radius.get(),
                    },
                    _ => match polygons(geometry) {
                        Some(area) => Shape::Area(area),
                        None => continue,
                    },
                };
                watch_zones.push((id, shape));
            }
        }
        // lookups answer the lowest id among overlapping zones
        watch_zones.sort_by_key(|(id, _)| *id);

        Self {
            docks: PointIndex::new(docks),
            anchorages: PointIndex::new(anchorages),
            coast: RTree::bulk_load(coast),
            districts: Shapes::new(districts),
            towns: Shapes::new(towns),
            corridors,
            watch_zones: Shapes::new(watch_zones),
        }
    }

    /// Registered docks (`risk_points` of kind `dock` with `registered = true`).
    pub fn docks(&self) -> &PointIndex {
        &self.docks
    }

    /// Anchorages (`risk_points` of kind `anchorage`).
    pub fn anchorages(&self) -> &PointIndex {
        &self.anchorages
    }

    /// Distance (m) from (`lon`, `lat`) to the nearest coastline within `max_m`; `None`
    /// when no coastline is that close.
    pub fn distance_to_coast_m(&self, lon: f64, lat: f64, max_m: f64) -> Option<f64> {
        let at = [lon, lat];
        let frame = LocalFrame::new(at);
        self.coast
            .locate_in_envelope_intersecting(&envelope_around(at, max_m))
            .map(|s| {
                geodesy::point_segment_distance([0.0, 0.0], frame.to_xy(s.from), frame.to_xy(s.to))
            })
            .filter(|&d| d <= max_m)
            .min_by(f64::total_cmp)
    }

    /// Whether `point` lies at sea as seen from `camera` (which stands on land): the line
    /// of sight crosses the coastline an odd number of times and the point is at least
    /// `margin_m` from it. Without a coastline nothing is known to be at sea.
    pub fn at_sea_from(&self, camera: [f64; 2], point: [f64; 2], margin_m: f64) -> bool {
        if self.coast.size() == 0
            || self
                .distance_to_coast_m(point[0], point[1], margin_m)
                .is_some()
        {
            return false;
        }
        let sight = geo::Line::new(camera, point);
        let envelope = AABB::from_corners(
            [camera[0].min(point[0]), camera[1].min(point[1])],
            [camera[0].max(point[0]), camera[1].max(point[1])],
        );
        let crossings = self
            .coast
            .locate_in_envelope_intersecting(&envelope)
            .filter(|s| geo::Line::new(s.from, s.to).intersects(&sight))
            .count();
        crossings % 2 == 1
    }

    /// Whether (`lon`, `lat`) lies in the watch area: inside a district boundary, or
    /// anywhere when no district is configured.
    pub fn in_watch_area(&self, lon: f64, lat: f64) -> bool {
        self.districts.is_empty() || self.districts.find([lon, lat]).is_some()
    }

    /// The name of the town whose area holds (`lon`, `lat`).
    pub fn town_at(&self, lon: f64, lat: f64) -> Option<&str> {
        self.towns.find([lon, lat]).map(String::as_str)
    }

    /// Distance (m) from (`lon`, `lat`) to the centre line of corridor fence `id`; `None`
    /// when `id` is not a known line fence.
    pub fn corridor_distance_m(&self, id: FeatureId, lon: f64, lat: f64) -> Option<f64> {
        self.corridors.get(&id)?.distance_m([lon, lat])
    }

    /// Half the width (m) of corridor fence `id`: a point is inside the corridor when it
    /// lies within this distance of the centre line. `None` when the corridor is unknown
    /// or has no width.
    pub fn corridor_half_width_m(&self, id: FeatureId) -> Option<f64> {
        self.corridors.get(&id)?.half_width_m
    }

    /// The watch zone (a geofence of kind `watch_zone`) that holds (`lon`, `lat`), the
    /// lowest id when zones overlap.
    pub fn watch_zone_at(&self, lon: f64, lat: f64) -> Option<FeatureId> {
        self.watch_zones.find([lon, lat]).copied()
    }
}

/// A feature's properties read as record `T`.
fn record<T: DeserializeOwned>(feature: &Feature) -> Option<T> {
    serde_json::from_value(Value::Object(feature.properties.clone())).ok()
}

/// A line or multi-line geometry as lines.
fn lines(geometry: &Geometry) -> Option<MultiLineString<f64>> {
    match geometry {
        Geometry::LineString(line) => Some(MultiLineString(vec![line.clone()])),
        Geometry::MultiLineString(lines) => Some(lines.clone()),
        _ => None,
    }
}

/// A polygon or multipolygon geometry as a multipolygon.
fn polygons(geometry: &Geometry) -> Option<MultiPolygon<f64>> {
    match geometry {
        Geometry::Polygon(polygon) => Some(MultiPolygon(vec![polygon.clone()])),
        Geometry::MultiPolygon(polygons) => Some(polygons.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Polygon};
    use serde_json::json;

    use super::*;

    fn id(n: i64) -> FeatureId {
        FeatureId::try_from(n).unwrap()
    }

    /// A point `east_m`, `north_m` metres from lon 121.6, lat 29.6.
    fn at(east_m: f64, north_m: f64) -> [f64; 2] {
        LocalFrame::new([121.6, 29.6]).to_lonlat([east_m, north_m])
    }

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
        let ring: Vec<[f64; 2]> = vec![at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1), at(x0, y0)];
        Polygon::new(LineString::from(ring), vec![])
    }

    fn point(n: i64, p: [f64; 2], properties: Value) -> Feature {
        Feature::new(Point::new(p[0], p[1]), properties).with_id(id(n))
    }

    fn context() -> DetectionContext {
        let risk_points = [
            point(
                1,
                at(0.0, 0.0),
                json!({"kind": "dock", "name": "Pier", "registered": true, "card": "none"}),
            ),
            point(
                2,
                at(2000.0, 0.0),
                json!({"kind": "dock", "name": "Beach", "registered": false, "card": "none"}),
            ),
            point(
                3,
                at(0.0, 5000.0),
                json!({"kind": "anchorage", "name": "Roads", "registered": false, "card": "none"}),
            ),
            point(
                4,
                at(100.0, 0.0),
                json!({"kind": "oil_depot", "name": "Depot", "registered": true, "card": "none"}),
            ),
        ];
        let coastline = [Feature::new(
            LineString::from(vec![at(-10_000.0, -100.0), at(10_000.0, -100.0)]),
            json!({}),
        )
        .with_id(id(1))];
        let areas = [
            Feature::new(
                MultiPolygon(vec![square(-20_000.0, -20_000.0, 20_000.0, 20_000.0)]),
                json!({"name": "Xiangshan", "kind": "district"}),
            )
            .with_id(id(1)),
            Feature::new(
                MultiPolygon(vec![square(-20_000.0, -20_000.0, 0.0, 20_000.0)]),
                json!({"name": "Songao", "kind": "town"}),
            )
            .with_id(id(2)),
        ];
        let rule = json!({"classes": ["any"], "detect": ["enter"], "dwell_min": 10.0, "severity": "warning",
                          "debounce": {"fixes": 2, "buffer_m": 0.0}});
        let geofences = [
            Feature::new(
                LineString::from(vec![at(-5000.0, -5000.0), at(5000.0, -5000.0)]),
                json!({"name": "Road", "kind": "route_corridor", "width_m": 50.0, "rule": rule}),
            )
            .with_id(id(7)),
            Feature::new(
                square(-1000.0, -9000.0, 1000.0, -8000.0),
                json!({"name": "Yard", "kind": "watch_zone", "rule": rule}),
            )
            .with_id(id(9)),
            Feature::new(
                square(-1000.0, -9000.0, 1000.0, -8000.0),
                json!({"name": "Sea", "kind": "restricted_sea", "rule": rule}),
            )
            .with_id(id(3)),
            point(
                11,
                at(5000.0, -8500.0),
                json!({"name": "Gate", "kind": "watch_zone", "radius_m": 300.0, "rule": rule}),
            ),
        ];
        DetectionContext::from_features(&risk_points, &coastline, &areas, &geofences)
    }

    #[test]
    fn nearest_registered_dock_and_anchorage() {
        let ctx = context();
        assert_eq!(ctx.docks().len(), 1);
        let [lon, lat] = at(0.0, 900.0);
        let (dock, d) = ctx.docks().nearest_m(lon, lat, 1000.0).unwrap();
        assert_eq!(dock, id(1));
        assert!((d - 900.0).abs() < 1.0, "{d}");
        assert!(ctx.docks().nearest_m(lon, lat, 800.0).is_none());
        // the unregistered dock does not count
        let [lon, lat] = at(2000.0, 100.0);
        assert!(ctx.docks().nearest_m(lon, lat, 1000.0).is_none());
        let [lon, lat] = at(0.0, 4500.0);
        assert_eq!(
            ctx.anchorages().nearest_m(lon, lat, 1000.0).map(|a| a.0),
            Some(id(3))
        );
        assert!(
            DetectionContext::default()
                .docks()
                .nearest_m(lon, lat, 1e6)
                .is_none()
        );
    }

    #[test]
    fn distance_to_the_coast() {
        let ctx = context();
        let [lon, lat] = at(300.0, 150.0);
        let d = ctx.distance_to_coast_m(lon, lat, 500.0).unwrap();
        assert!((d - 250.0).abs() < 1.0, "{d}");
        assert!(ctx.distance_to_coast_m(lon, lat, 200.0).is_none());
        // past the end of the line
        let [lon, lat] = at(10_300.0, -100.0);
        let d = ctx.distance_to_coast_m(lon, lat, 500.0).unwrap();
        assert!((d - 300.0).abs() < 1.0, "{d}");
    }

    #[test]
    fn watch_area_and_towns() {
        let ctx = context();
        let [lon, lat] = at(-100.0, 0.0);
        assert!(ctx.in_watch_area(lon, lat));
        assert_eq!(ctx.town_at(lon, lat), Some("Songao"));
        let [lon, lat] = at(100.0, 0.0);
        assert_eq!(ctx.town_at(lon, lat), None);
        let [lon, lat] = at(30_000.0, 0.0);
        assert!(!ctx.in_watch_area(lon, lat));
        assert!(DetectionContext::default().in_watch_area(lon, lat));
    }

    #[test]
    fn corridors_and_watch_zones() {
        let ctx = context();
        let [lon, lat] = at(0.0, -5020.0);
        let d = ctx.corridor_distance_m(id(7), lon, lat).unwrap();
        assert!((d - 20.0).abs() < 0.1, "{d}");
        assert_eq!(ctx.corridor_half_width_m(id(7)), Some(25.0));
        assert!(ctx.corridor_distance_m(id(9), lon, lat).is_none());
        assert!(ctx.corridor_half_width_m(id(8)).is_none());

        let [lon, lat] = at(0.0, -8500.0);
        assert_eq!(
            ctx.watch_zone_at(lon, lat),
            Some(id(9)),
            "a restricted_sea fence is no watch zone"
        );
        let [lon, lat] = at(5200.0, -8500.0);
        assert_eq!(ctx.watch_zone_at(lon, lat), Some(id(11)));
        let [lon, lat] = at(5400.0, -8500.0);
        assert_eq!(ctx.watch_zone_at(lon, lat), None);
    }
}
