//! The demo district files in `data/demo/`: every feature valid for its layer, and the
//! geometric facts the simulator and the detectors rely on (docks on the shore, roads on land,
//! lanes at sea and clear of the sea fences, fences on the right side of the shore).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use coastwatch_core::geodesy::{LocalFrame, distance_m, point_segment_distance};
use coastwatch_core::{Feature, Layer};
use geo::{Contains, Coord, CoordsIter, Geometry, Intersects, LineString, Point, Polygon};
use serde_json::Value;

const BBOX: [f64; 4] = [121.40, 29.45, 121.80, 29.70];
const FILES: [&str; 9] = [
    "coastline.geojson",
    "land.geojson",
    "areas.geojson",
    "risk_points.geojson",
    "cameras.geojson",
    "geofences.geojson",
    "roads.geojson",
    "lanes.geojson",
    "README.md",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo")
}

/// The features of one file, as read (not validated).
fn read(name: &str) -> Vec<Feature> {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(value["type"], "FeatureCollection", "{name}");
    value["features"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no features"))
        .iter()
        .map(|f| Feature::from_geojson(f.clone()).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

struct Demo {
    coastline: Vec<Feature>,
    land: Vec<Polygon>,
    areas: Vec<Feature>,
    risk_points: Vec<Feature>,
    cameras: Vec<Feature>,
    geofences: Vec<Feature>,
    roads: Vec<Feature>,
    lanes: Vec<Feature>,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let validated = |layer: Layer, name: &str| -> Vec<Feature> {
            read(name)
                .into_iter()
                .map(|f| {
                    let id = f.id;
                    layer
                        .validate(f)
                        .unwrap_or_else(|e| panic!("{name} feature {id:?}: {e}"))
                })
                .collect()
        };
        let land = read("land.geojson")
            .into_iter()
            .map(|f| match f.geometry {
                Some(Geometry::Polygon(p)) => p,
                other => panic!("land.geojson holds polygons, got {other:?}"),
            })
            .collect();
        Demo {
            coastline: validated(Layer::Coastline, "coastline.geojson"),
            land,
            areas: validated(Layer::Areas, "areas.geojson"),
            risk_points: validated(Layer::RiskPoints, "risk_points.geojson"),
            cameras: validated(Layer::Cameras, "cameras.geojson"),
            geofences: validated(Layer::Geofences, "geofences.geojson"),
            roads: read("roads.geojson"),
            lanes: read("lanes.geojson"),
        }
    })
}

fn text<'a>(f: &'a Feature, key: &str) -> &'a str {
    f.properties[key].as_str().unwrap_or("")
}

fn id(f: &Feature) -> i64 {
    f.id.expect("every feature has an id").get()
}

fn point(f: &Feature) -> Point {
    match &f.geometry {
        Some(Geometry::Point(p)) => *p,
        other => panic!("feature {:?} is not a point: {other:?}", f.id),
    }
}

fn line(f: &Feature) -> &LineString {
    match &f.geometry {
        Some(Geometry::LineString(l)) => l,
        other => panic!("feature {:?} is not a line: {other:?}", f.id),
    }
}

fn polygon(f: &Feature) -> &Polygon {
    match &f.geometry {
        Some(Geometry::Polygon(p)) => p,
        other => panic!("feature {:?} is not a polygon: {other:?}", f.id),
    }
}

impl Demo {
    fn on_land(&self, p: Point) -> bool {
        self.land.iter().any(|l| l.intersects(&p))
    }

    /// Distance (m) from `p` to the nearest shoreline segment.
    fn to_coast_m(&self, p: Point) -> f64 {
        let frame = LocalFrame::new([p.x(), p.y()]);
        self.coastline
            .iter()
            .flat_map(|f| line(f).lines())
            .map(|seg| {
                let a = frame.to_xy([seg.start.x, seg.start.y]);
                let b = frame.to_xy([seg.end.x, seg.end.y]);
                point_segment_distance([0.0, 0.0], a, b)
            })
            .fold(f64::INFINITY, f64::min)
    }

    fn fences(&self, kind: &str) -> Vec<&Feature> {
        self.geofences
            .iter()
            .filter(|f| text(f, "kind") == kind)
            .collect()
    }

    fn risk(&self, id_: i64) -> &Feature {
        self.risk_points
            .iter()
            .find(|f| id(f) == id_)
            .unwrap_or_else(|| panic!("no risk point {id_}"))
    }

    fn town_area(&self, town: &str) -> &Feature {
        self.areas
            .iter()
            .find(|a| text(a, "kind") == "town" && text(a, "name") == town)
            .unwrap_or_else(|| panic!("no town area {town}"))
    }
}

fn is_registered_dock(f: &Feature) -> bool {
    text(f, "kind") == "dock" && f.properties["registered"] == true
}

#[test]
fn every_feature_is_valid_for_its_layer_and_has_a_unique_id() {
    let d = demo();
    let sets: [(&str, &[Feature]); 7] = [
        ("coastline", &d.coastline),
        ("areas", &d.areas),
        ("risk_points", &d.risk_points),
        ("cameras", &d.cameras),
        ("geofences", &d.geofences),
        ("roads", &d.roads),
        ("lanes", &d.lanes),
    ];
    for (name, features) in sets {
        let ids: BTreeSet<i64> = features.iter().map(id).collect();
        assert_eq!(ids.len(), features.len(), "{name}: ids are not unique");
        assert!(ids.iter().all(|&i| i > 0), "{name}: ids start at 1");
    }
    assert!(d.coastline.len() >= 4 && d.land.len() >= 4);
    assert!(
        d.coastline
            .iter()
            .all(|f| text(f, "source").starts_with("GSHHG f"))
    );
    assert!((35..=45).contains(&d.risk_points.len()));
    assert!((25..=35).contains(&d.cameras.len()));
    for f in d.roads.iter() {
        assert!(!text(f, "name").is_empty() && line(f).0.len() >= 2);
    }
}

#[test]
fn every_coordinate_lies_in_the_bbox() {
    for name in FILES.iter().filter(|n| n.ends_with(".geojson")) {
        for f in read(name) {
            for Coord { x, y } in f.geometry.iter().flat_map(|g| g.coords_iter()) {
                assert!(
                    (BBOX[0]..=BBOX[2]).contains(&x) && (BBOX[1]..=BBOX[3]).contains(&y),
                    "{name} feature {:?}: ({x}, {y}) is outside the demo bbox",
                    f.id
                );
            }
        }
    }
}

#[test]
fn the_files_are_small_and_documented() {
    let total: u64 = FILES
        .iter()
        .map(|n| std::fs::metadata(dir().join(n)).unwrap().len())
        .sum();
    assert!(total < 2 * 1024 * 1024, "{total} bytes");
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    assert!(readme.contains("LGPL") && readme.contains("GSHHG"));
}

#[test]
fn areas_are_three_towns_the_district_and_villages_inside_their_towns() {
    let d = demo();
    let towns: BTreeSet<&str> = d
        .areas
        .iter()
        .filter(|a| text(a, "kind") == "town")
        .map(|a| text(a, "name"))
        .collect();
    assert_eq!(towns, BTreeSet::from(["Chunhu", "Qiucun", "Songao"]));
    let district: Vec<_> = d
        .areas
        .iter()
        .filter(|a| text(a, "kind") == "district")
        .collect();
    assert_eq!(district.len(), 1);
    // two villages per town, each in one town (a village's card counts for its town): cut
    // from it, so only its vertices on the town's edge may stray by the rounding (1e-6°)
    let villages: Vec<&Feature> = d
        .areas
        .iter()
        .filter(|a| text(a, "kind") == "village")
        .collect();
    assert_eq!(villages.len(), 6);
    for village in villages {
        let shape = village.geometry.as_ref().unwrap();
        let holders: Vec<&str> = ["Chunhu", "Qiucun", "Songao"]
            .into_iter()
            .filter(|t| {
                let town = d.town_area(t).geometry.as_ref().unwrap();
                let inside = shape
                    .coords_iter()
                    .filter(|c| town.intersects(&Point::from(*c)));
                inside.count() * 2 > shape.coords_count()
            })
            .collect();
        assert_eq!(
            holders.len(),
            1,
            "{} lies in {holders:?}",
            text(village, "name")
        );
    }
    // every risk point lies in the district, and in the area of its town
    for f in &d.risk_points {
        let p = point(f);
        assert!(
            district[0].geometry.as_ref().unwrap().intersects(&p),
            "{}",
            text(f, "name")
        );
        let area = d.town_area(text(f, "town"));
        assert!(
            area.geometry.as_ref().unwrap().intersects(&p),
            "{} is not in the area of {}",
            text(f, "name"),
            text(f, "town")
        );
    }
    // the coastline of each town lies in its area
    for f in d
        .coastline
        .iter()
        .filter(|f| !f.properties["town"].is_null())
    {
        let area = d.town_area(text(f, "town"));
        let inside = line(f)
            .points()
            .filter(|p| area.geometry.as_ref().unwrap().intersects(p))
            .count();
        assert!(inside * 10 >= line(f).0.len() * 9, "coastline {:?}", f.id);
    }
}

#[test]
fn risk_points_sit_where_they_belong() {
    let d = demo();
    let kinds: BTreeSet<&str> = d.risk_points.iter().map(|f| text(f, "kind")).collect();
    for kind in [
        "dock",
        "oil_depot",
        "cold_store",
        "shipyard",
        "warehouse",
        "truck_firm",
        "crane_firm",
        "fuel_point",
        "anchorage",
    ] {
        assert!(kinds.contains(kind), "no {kind}");
    }
    let mut registered_per_town: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unregistered = 0;
    for f in &d.risk_points {
        let (name, p) = (text(f, "name"), point(f));
        let to_coast = d.to_coast_m(p);
        match text(f, "kind") {
            "dock" => {
                assert!(
                    to_coast <= 100.0,
                    "dock {name} is {to_coast:.0} m off the shore"
                );
                if is_registered_dock(f) {
                    *registered_per_town.entry(text(f, "town")).or_default() += 1;
                } else {
                    unregistered += 1;
                }
            }
            "anchorage" => {
                assert!(!d.on_land(p) && to_coast >= 500.0, "anchorage {name}");
            }
            kind => {
                assert!(d.on_land(p), "{kind} {name} is not on land");
                if matches!(kind, "oil_depot" | "cold_store" | "warehouse") {
                    assert!(
                        (100.0..=800.0).contains(&to_coast),
                        "{kind} {name} is {to_coast:.0} m inland"
                    );
                }
            }
        }
    }
    assert_eq!(registered_per_town.len(), 3, "{registered_per_town:?}");
    assert!(registered_per_town.values().sum::<usize>() >= 8);
    assert!((4..=6).contains(&unregistered));
    // an unregistered landing place is no registered dock's neighbour (unregistered_landing
    // needs 500 m)
    for f in d.risk_points.iter().filter(|f| text(f, "kind") == "dock") {
        if is_registered_dock(f) {
            continue;
        }
        for r in d.risk_points.iter().filter(|r| is_registered_dock(r)) {
            let (a, b) = (point(f), point(r));
            assert!(distance_m([a.x(), a.y()], [b.x(), b.y()]) > 1000.0);
        }
    }
}

#[test]
fn cameras_stand_on_land() {
    let d = demo();
    for f in &d.cameras {
        assert!(
            d.on_land(point(f)),
            "camera {} is in the water",
            text(f, "name")
        );
        assert!(["Chunhu", "Qiucun", "Songao"].contains(&text(f, "town")));
    }
    assert!(d.cameras.iter().any(|f| f.properties["ptz"] == true));
}

#[test]
fn fences_are_on_the_right_side_of_the_shore() {
    let d = demo();
    let restricted = d.fences("restricted_sea");
    let no_landing = d.fences("no_landing_shore");
    let watch = d.fences("watch_zone");
    assert!((2..=3).contains(&restricted.len()));
    assert_eq!(no_landing.len(), 2);
    assert_eq!(watch.len(), 2);
    assert!(!d.fences("route_corridor").is_empty());
    for f in &restricted {
        let p = polygon(f);
        assert!(
            d.land.iter().all(|l| !l.intersects(p)),
            "restricted sea {} touches land",
            text(f, "name")
        );
    }
    for f in &no_landing {
        let p = polygon(f);
        assert!(
            d.land.iter().any(|l| l.intersects(p)) && !d.land.iter().any(|l| l.contains(p)),
            "no-landing shore {} does not straddle the coast",
            text(f, "name")
        );
    }
    for f in &watch {
        let p = polygon(f);
        assert!(
            p.exterior().points().all(|v| d.on_land(v)),
            "watch zone {} leaves the land",
            text(f, "name")
        );
    }
    // registered docks and anchorages are outside the fences that keep vessels away
    for f in d
        .risk_points
        .iter()
        .filter(|f| is_registered_dock(f) || text(f, "kind") == "anchorage")
    {
        for fence in restricted.iter().chain(&no_landing) {
            assert!(
                !polygon(fence).intersects(&point(f)),
                "{} is inside {}",
                text(f, "name"),
                text(fence, "name")
            );
        }
    }
}

#[test]
fn roads_stay_on_land_and_corridors_follow_them() {
    let d = demo();
    for f in &d.roads {
        let l = line(f);
        for v in l.points() {
            assert!(d.on_land(v), "road {} has a vertex in the water", id(f));
        }
        assert!(
            d.land.iter().any(|p| p.contains(l)),
            "road {} crosses water",
            id(f)
        );
    }
    // the network leaves the district somewhere
    let on_edge = |c: &Coord| c.x == BBOX[0] || c.x == BBOX[2] || c.y == BBOX[1] || c.y == BBOX[3];
    assert!(d.roads.iter().any(|f| line(f).0.iter().any(on_edge)));
    // every corridor segment is a road segment
    let segments: BTreeSet<[i64; 4]> = d
        .roads
        .iter()
        .flat_map(|f| line(f).lines())
        .flat_map(|s| {
            let k = |c: Coord| [(c.x * 1e6).round() as i64, (c.y * 1e6).round() as i64];
            let (a, b) = (k(s.start), k(s.end));
            [[a[0], a[1], b[0], b[1]], [b[0], b[1], a[0], a[1]]]
        })
        .collect();
    for f in d.fences("route_corridor") {
        assert_eq!(f.properties["width_m"], 60.0);
        for s in line(f).lines() {
            let k = |c: Coord| [(c.x * 1e6).round() as i64, (c.y * 1e6).round() as i64];
            let (a, b) = (k(s.start), k(s.end));
            assert!(
                segments.contains(&[a[0], a[1], b[0], b[1]]),
                "corridor {} leaves the roads at {:?}",
                text(f, "name"),
                s.start
            );
        }
    }
}

#[test]
fn lanes_stay_at_sea_and_clear_of_the_sea_fences() {
    let d = demo();
    let fences: Vec<&Feature> = d
        .fences("restricted_sea")
        .into_iter()
        .chain(d.fences("no_landing_shore"))
        .collect();
    let mut approached = BTreeSet::new();
    for f in &d.lanes {
        let l = line(f);
        for p in &d.land {
            assert!(!p.intersects(l), "lane {} crosses land", id(f));
        }
        for fence in &fences {
            assert!(
                !polygon(fence).intersects(l),
                "lane {} enters {}",
                id(f),
                text(fence, "name")
            );
        }
        let end = *l.0.last().unwrap();
        let ends_at = |target: &Feature| {
            let p = point(target);
            distance_m([end.x, end.y], [p.x(), p.y()]) < 1.0
        };
        match text(f, "kind") {
            "approach" => {
                let dock = d.risk(f.properties["dock_id"].as_i64().unwrap());
                assert!(is_registered_dock(dock) && ends_at(dock), "lane {}", id(f));
                approached.insert(id(dock));
            }
            "anchorage" => {
                let a = d.risk(f.properties["anchorage_id"].as_i64().unwrap());
                assert!(
                    text(a, "kind") == "anchorage" && ends_at(a),
                    "lane {}",
                    id(f)
                );
            }
            "fishing" => assert!(l.is_closed(), "fishing ground {} is a loop", id(f)),
            "transit" => {}
            other => panic!("lane {}: unknown kind {other}", id(f)),
        }
    }
    let registered: BTreeSet<i64> = d
        .risk_points
        .iter()
        .filter(|f| is_registered_dock(f))
        .map(id)
        .collect();
    assert_eq!(
        approached, registered,
        "one approach lane per registered dock"
    );
    assert!(d.lanes.iter().any(|f| text(f, "kind") == "transit"));
}
