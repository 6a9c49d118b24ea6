//! Tests of the geofence engine on synthetic shapes and tracks near lon 121.6, lat 29.6.

use crate::rng::Rng;
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

use super::*;
use crate::alerting::{AlertEvent, LocalClock, Phase, Sample, SubjectKey};
use crate::geodesy::{LocalFrame, distance_m, point_segment_distance};
use crate::model::{AlertKind, ObjectKind, ShipCategory};
use crate::{Feature, Layer};

const ORIGIN: [f64; 2] = [121.6, 29.6];
const TANKER: ObjectKind = ObjectKind::Vessel(ShipCategory::Tanker);
const CARGO: ObjectKind = ObjectKind::Vessel(ShipCategory::Cargo);
/// 2026-06-01T14:00:00Z, 22:00 in Shanghai.
const LOCAL_22H: f64 = 1_780_322_400.0;

/// Lon/lat of a point `xy` metres from [`ORIGIN`].
fn ll(x: f64, y: f64) -> [f64; 2] {
    LocalFrame::new(ORIGIN).to_lonlat([x, y])
}

fn ring(points: &[[f64; 2]]) -> LineString {
    let mut coords: Vec<Coord> = points
        .iter()
        .map(|&[x, y]| {
            let [lon, lat] = ll(x, y);
            Coord { x: lon, y: lat }
        })
        .collect();
    coords.push(coords[0]);
    LineString::new(coords)
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> LineString {
    ring(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
}

fn line(points: &[[f64; 2]]) -> LineString {
    LineString::new(
        points
            .iter()
            .map(|&[x, y]| {
                let [lon, lat] = ll(x, y);
                Coord { x: lon, y: lat }
            })
            .collect(),
    )
}

/// A closed ring of `n` vertices around `centre`, radius wobbling by ±10 %.
fn wobbly(centre: [f64; 2], radius: f64, n: usize) -> Vec<[f64; 2]> {
    (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let r = radius * (1.0 + 0.1 * (7.0 * a).sin());
            [centre[0] + r * a.cos(), centre[1] + r * a.sin()]
        })
        .collect()
}

/// A validated geofence feature with this id, geometry and rule (plus extra properties).
fn fence(id: i64, geometry: impl Into<Geometry>, rule: Value, extra: Value) -> Feature {
    let mut properties = json!({"name": format!("Fence {id}"), "kind": "restricted_sea", "town": "Xizhou", "rule": rule});
    if let (Some(map), Value::Object(extra)) = (properties.as_object_mut(), extra) {
        map.extend(extra);
    }
    let feature = Feature::new(geometry, properties).with_id(FeatureId::try_from(id).unwrap());
    Layer::Geofences.validate(feature).unwrap()
}

fn square_fence(rule: Value) -> Feature {
    fence(
        1,
        Polygon::new(rect(-500.0, -500.0, 500.0, 500.0), vec![]),
        rule,
        json!({}),
    )
}

fn set(features: &[Feature]) -> FenceSet {
    FenceSet::compile(features).unwrap()
}

fn id(n: i64) -> FeatureId {
    FeatureId::try_from(n).unwrap()
}

/// Fixes `(t, x, y)` of one object through a tracker; all events.
struct Run {
    tracker: FenceTracker,
    fences: FenceSet,
    subject: SubjectKey,
    kind: ObjectKind,
    events: Vec<AlertEvent>,
}

impl Run {
    fn new(fences: FenceSet) -> Self {
        Self::with_clock(fences, LocalClock::utc())
    }

    fn with_clock(fences: FenceSet, clock: LocalClock) -> Self {
        Self {
            tracker: FenceTracker::new(clock),
            fences,
            subject: SubjectKey::vessel(412_000_001),
            kind: TANKER,
            events: Vec::new(),
        }
    }

    fn fix(&mut self, t: f64, x: f64, y: f64) -> &mut Self {
        let [lon, lat] = ll(x, y);
        let sample = Sample {
            t,
            lon,
            lat,
            speed_mps: None,
        };
        self.tracker.observe(
            &self.fences,
            &self.subject,
            self.kind,
            Some("DONG HAI 7"),
            &sample,
            &mut self.events,
        );
        self
    }

    /// Fixes every 10 s from `t0` at the given positions.
    fn track(&mut self, t0: f64, points: &[[f64; 2]]) -> &mut Self {
        for (i, &[x, y]) in points.iter().enumerate() {
            self.fix(t0 + 10.0 * i as f64, x, y);
        }
        self
    }

    fn summary(&self) -> Vec<(AlertKind, Phase, String)> {
        self.events
            .iter()
            .map(|e| {
                let detect = e.evidence["detect"].as_str().unwrap_or_default().to_owned();
                (e.key.kind, e.phase, detect)
            })
            .collect()
    }
}

fn enter_open() -> (AlertKind, Phase, String) {
    (AlertKind::GeofenceEnter, Phase::Open, "enter".into())
}

fn enter_close() -> (AlertKind, Phase, String) {
    (AlertKind::GeofenceEnter, Phase::Close, "enter".into())
}

/// Points `n` steps along a straight line.
fn walk(from: [f64; 2], to: [f64; 2], n: usize) -> Vec<[f64; 2]> {
    (0..n)
        .map(|i| {
            let s = i as f64 / (n - 1) as f64;
            [
                from[0] + s * (to[0] - from[0]),
                from[1] + s * (to[1] - from[1]),
            ]
        })
        .collect()
}

#[test]
fn sets_and_trackers_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FenceSet>();
    send_sync::<FenceTracker>();
}

#[test]
fn square_contains_and_signed_distance() {
    let fences = set(&[square_fence(json!({}))]);
    let f = fences.get(id(1)).unwrap();
    assert_eq!(f.shape(), FenceShape::Area);
    assert_eq!(
        (f.name(), f.town(), f.id()),
        ("Fence 1", Some("Xizhou"), id(1))
    );
    let [lon, lat] = ll(0.0, 0.0);
    assert!(f.contains(lon, lat));
    assert!((f.signed_distance_m(lon, lat) - 500.0).abs() < 0.5);
    let [lon, lat] = ll(600.0, 0.0);
    assert!(!f.contains(lon, lat));
    assert!((f.signed_distance_m(lon, lat) + 100.0).abs() < 0.5);
    let [lon, lat] = ll(600.0, 600.0);
    assert!((f.signed_distance_m(lon, lat) + 100.0 * 2f64.sqrt()).abs() < 0.5);
    assert_eq!(fences.len(), 1);
    assert!(!fences.is_empty());
    assert!(fences.get(id(2)).is_none());
    assert_eq!(fences.distance_to_corridor_m(id(1), lon, lat), None);
}

#[test]
fn polygon_with_hole() {
    let polygon = Polygon::new(
        rect(-1000.0, -1000.0, 1000.0, 1000.0),
        vec![rect(-300.0, -300.0, 300.0, 300.0)],
    );
    let fences = set(&[fence(1, polygon, json!({}), json!({}))]);
    let f = fences.get(id(1)).unwrap();
    let at = |x, y| {
        let [lon, lat] = ll(x, y);
        (f.contains(lon, lat), f.signed_distance_m(lon, lat))
    };
    let (inside, d) = at(0.0, 0.0);
    assert!(!inside && (d + 300.0).abs() < 0.5, "{d}");
    let (inside, d) = at(600.0, 0.0);
    assert!(inside && (d - 300.0).abs() < 0.5, "{d}");
    let (inside, d) = at(1100.0, 0.0);
    assert!(!inside && (d + 100.0).abs() < 0.5, "{d}");
}

#[test]
fn multipolygon_parts() {
    let parts = MultiPolygon(vec![
        Polygon::new(rect(-1000.0, -100.0, -800.0, 100.0), vec![]),
        Polygon::new(rect(800.0, -100.0, 1000.0, 100.0), vec![]),
    ]);
    let fences = set(&[fence(1, parts, json!({}), json!({}))]);
    let f = fences.get(id(1)).unwrap();
    for (x, inside) in [(-900.0, true), (900.0, true), (0.0, false), (1200.0, false)] {
        let [lon, lat] = ll(x, 0.0);
        assert_eq!(f.contains(lon, lat), inside, "{x}");
    }
    let [lon, lat] = ll(0.0, 0.0);
    assert!((f.signed_distance_m(lon, lat) + 800.0).abs() < 1.0);
    // The straight path between the parts passes through both.
    assert!(f.segment_crosses(ll(-1200.0, 0.0), ll(1200.0, 0.0)));
    assert!(!f.segment_crosses(ll(-700.0, 0.0), ll(700.0, 0.0)));
}

#[test]
fn big_polygon_index_agrees_with_brute_force() {
    let outer = wobbly([0.0, 0.0], 3000.0, 2000);
    let hole = wobbly([500.0, 200.0], 800.0, 120);
    let polygon = Polygon::new(ring(&outer), vec![ring(&hole)]);
    let fences = set(&[fence(1, polygon, json!({}), json!({}))]);
    let f = fences.get(id(1)).unwrap();
    assert_eq!(f.edge_count(), 2120);
    assert!(matches!(
        f.geom.shape(),
        shape::Shape::Area(shape::Edges::Indexed(_))
    ));
    // Brute force in the fence's own frame.
    let rings: Vec<Vec<[f64; 2]>> = [&outer, &hole]
        .iter()
        .map(|r| {
            r.iter()
                .chain(std::iter::once(&r[0]))
                .map(|&[x, y]| f.frame.to_xy(ll(x, y)))
                .collect()
        })
        .collect();
    let brute = |p: [f64; 2]| {
        let mut inside = false;
        let mut d = f64::INFINITY;
        for ring in &rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                if (a[1] > p[1]) != (b[1] > p[1])
                    && p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
                {
                    inside = !inside;
                }
                d = d.min(point_segment_distance(p, a, b));
            }
        }
        if inside { d } else { -d }
    };
    let mut rng = Rng::new(7);
    let mut inside_count = 0;
    for _ in 0..5000 {
        let (x, y) = (rng.unit() * 7000.0 - 3500.0, rng.unit() * 7000.0 - 3500.0);
        let [lon, lat] = ll(x, y);
        let expected = brute(f.frame.to_xy([lon, lat]));
        let got = f.signed_distance_m(lon, lat);
        assert!(
            (got - expected).abs() < 1e-6,
            "({x}, {y}): {got} vs {expected}"
        );
        assert_eq!(f.contains(lon, lat), expected > 0.0, "({x}, {y})");
        inside_count += usize::from(expected > 0.0);
        for r in [0.0, 25.0, 300.0] {
            let zone = f.geom.zone(f.frame.to_xy([lon, lat]), r);
            let want = shape::Zone::of(expected, r);
            assert_eq!(zone, want, "({x}, {y}) r {r}: {expected}");
        }
    }
    assert!(inside_count > 1000, "{inside_count}");
    // Paths: through the ring, inside the hole only, and outside.
    assert!(f.segment_crosses(ll(-4000.0, 0.0), ll(-2000.0, 0.0)));
    assert!(!f.segment_crosses(ll(400.0, 150.0), ll(600.0, 250.0)));
    assert!(!f.segment_crosses(ll(-4000.0, -4000.0), ll(4000.0, -4000.0)));
}

#[test]
fn circle() {
    let fences = set(&[fence(
        9,
        Point::new(ll(0.0, 0.0)[0], ll(0.0, 0.0)[1]),
        json!({}),
        json!({"radius_m": 200.0}),
    )]);
    let f = fences.get(id(9)).unwrap();
    assert_eq!(f.shape(), FenceShape::Circle);
    let [lon, lat] = ll(150.0, 0.0);
    assert!(f.contains(lon, lat));
    assert!((f.signed_distance_m(lon, lat) - 50.0).abs() < 0.1);
    let [lon, lat] = ll(0.0, -260.0);
    assert!(!f.contains(lon, lat));
    let d = distance_m(ll(0.0, 0.0), [lon, lat]);
    assert!((f.signed_distance_m(lon, lat) - (200.0 - d)).abs() < 0.1);
    assert!(f.segment_crosses(ll(-300.0, 100.0), ll(300.0, 100.0)));
    assert!(!f.segment_crosses(ll(-300.0, 250.0), ll(300.0, 250.0)));
}

#[test]
fn corridor() {
    let road = line(&[[-2000.0, 0.0], [2000.0, 0.0], [2000.0, 2000.0]]);
    let fences = set(&[fence(3, road, json!({}), json!({"width_m": 100.0}))]);
    let f = fences.get(id(3)).unwrap();
    assert_eq!(f.shape(), FenceShape::Corridor);
    let [lon, lat] = ll(0.0, 30.0);
    assert!(f.contains(lon, lat));
    assert!((f.signed_distance_m(lon, lat) - 20.0).abs() < 0.1);
    let d = fences.distance_to_corridor_m(id(3), lon, lat).unwrap();
    assert!((d - 30.0).abs() < 0.1, "{d}");
    let [lon, lat] = ll(2060.0, 1000.0);
    assert!(!f.contains(lon, lat));
    assert!((f.signed_distance_m(lon, lat) + 10.0).abs() < 0.1);
    assert!(f.segment_crosses(ll(1900.0, 500.0), ll(2200.0, 600.0)));
    assert!(!f.segment_crosses(ll(-100.0, 80.0), ll(100.0, 80.0)));
    assert_eq!(fences.distance_to_corridor_m(id(4), lon, lat), None);
    // A long, many-vertex corridor takes the indexed path.
    let bends: Vec<[f64; 2]> = (0..200)
        .map(|i| [f64::from(i) * 50.0, if i % 2 == 0 { 0.0 } else { 30.0 }])
        .collect();
    let fences = set(&[fence(4, line(&bends), json!({}), json!({"width_m": 40.0}))]);
    let f = fences.get(id(4)).unwrap();
    let [lon, lat] = ll(5050.0, 40.0);
    let d = fences.distance_to_corridor_m(id(4), lon, lat).unwrap();
    assert!((d - 10.0).abs() < 0.1, "{d}");
    assert!(f.contains(lon, lat));
    assert!(f.segment_crosses(ll(3010.0, -100.0), ll(3010.0, 100.0)));
    // Several lines make one corridor.
    let lines = MultiLineString(vec![
        line(&[[0.0, 0.0], [1000.0, 0.0]]),
        line(&[[0.0, 500.0], [1000.0, 500.0]]),
    ]);
    let fences = set(&[fence(5, lines, json!({}), json!({"width_m": 20.0}))]);
    let f = fences.get(id(5)).unwrap();
    for (y, inside) in [(5.0, true), (495.0, true), (250.0, false), (-15.0, false)] {
        let [lon, lat] = ll(500.0, y);
        assert_eq!(f.contains(lon, lat), inside, "{y}");
    }
}

#[test]
fn containing_finds_overlapping_fences_and_compile_checks_ids() {
    let a = square_fence(json!({}));
    let b = fence(
        2,
        Polygon::new(rect(0.0, 0.0, 2000.0, 2000.0), vec![]),
        json!({}),
        json!({}),
    );
    let fences = set(&[a.clone(), b.clone()]);
    let ids = |x, y| {
        let [lon, lat] = ll(x, y);
        let mut ids: Vec<i64> = fences.containing(lon, lat).map(|f| f.id().get()).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(250.0, 250.0), vec![1, 2]);
    assert_eq!(ids(-250.0, 250.0), vec![1]);
    assert_eq!(ids(-2500.0, 250.0), Vec::<i64>::new());
    let mut no_id = b.clone();
    no_id.id = None;
    assert!(FenceSet::compile(&[a.clone(), no_id]).is_err());
    assert!(FenceSet::compile(&[a.clone(), a]).is_err());
    assert!(FenceSet::default().is_empty());
}

#[test]
fn enter_then_exit_with_debounce() {
    let rule = json!({"detect": ["enter", "exit"], "debounce": {"fixes": 2}});
    let mut run = Run::new(set(&[square_fence(rule)]));
    run.track(0.0, &walk([-1050.0, 0.0], [950.0, 0.0], 21));
    assert_eq!(
        run.summary(),
        vec![
            enter_open(),
            enter_close(),
            (AlertKind::GeofenceExit, Phase::Open, "exit".into()),
            (AlertKind::GeofenceExit, Phase::Close, "exit".into()),
        ]
    );
    // 100 m steps: first fix inside is x = -450 at t = 60; first outside is x = 550 at t = 160.
    let open = &run.events[0];
    assert_eq!(open.t, 60.0);
    assert!((open.location[0] - ll(-450.0, 0.0)[0]).abs() < 1e-9);
    assert_eq!(open.key.scope, "1");
    assert_eq!(open.fence_id, Some(id(1)));
    assert_eq!(open.town.as_deref(), Some("Xizhou"));
    assert_eq!(open.name.as_deref(), Some("DONG HAI 7"));
    assert_eq!(open.evidence["fence_name"], "Fence 1");
    assert_eq!(open.evidence["fence_kind"], "restricted_sea");
    assert_eq!(open.evidence["distance_m"], 50.0);
    assert_eq!(run.events[1].t, 160.0);
    assert_eq!(run.events[1].evidence["inside_s"], 100.0);
    assert_eq!(run.tracker.pair_count(), 0);
}

#[test]
fn object_first_seen_inside_enters_once_debounced() {
    let rule = json!({"debounce": {"fixes": 3}});
    let mut run = Run::new(set(&[square_fence(rule)]));
    run.track(100.0, &[[0.0, 0.0], [10.0, 0.0]]);
    assert!(run.events.is_empty());
    run.fix(120.0, 20.0, 0.0);
    assert_eq!(run.summary(), vec![enter_open()]);
    assert_eq!(run.events[0].t, 100.0);
    assert_eq!(
        run.tracker.inside(&run.subject).collect::<Vec<_>>(),
        vec![id(1)]
    );
}

#[test]
fn class_filter() {
    let rule = json!({"classes": ["vessel:tanker"]});
    let path = walk([-1000.0, 0.0], [0.0, 0.0], 11);
    let mut run = Run::new(set(&[square_fence(rule)]));
    run.kind = CARGO;
    run.track(0.0, &path);
    assert!(run.events.is_empty());
    assert_eq!(run.tracker.pair_count(), 0);
    run.kind = TANKER;
    run.subject = SubjectKey::vessel(412_000_002);
    run.track(0.0, &path);
    assert_eq!(run.summary(), vec![enter_open()]);
}

#[test]
fn jitter_across_the_border_does_not_flap() {
    let rule = json!({"detect": ["enter", "exit"], "debounce": {"fixes": 2}});
    let mut run = Run::new(set(&[square_fence(rule)]));
    // Alternating 5 m inside / 5 m outside the east border: never two in a row.
    let jitter: Vec<[f64; 2]> = (0..40)
        .map(|i| [if i % 2 == 0 { 495.0 } else { 505.0 }, 0.0])
        .collect();
    run.track(0.0, &jitter);
    assert!(run.events.is_empty(), "{:?}", run.summary());
    // Irregular jitter while settling inside: at most one enter, no exit.
    let settle = [
        495.0, 505.0, 495.0, 495.0, 505.0, 495.0, 505.0, 495.0, 490.0,
    ];
    let points: Vec<[f64; 2]> = settle.iter().map(|&x| [x, 0.0]).collect();
    run.track(1000.0, &points);
    assert_eq!(run.summary(), vec![enter_open()]);
    assert_eq!(run.events[0].t, 1020.0);
}

#[test]
fn hysteresis_buffer_suppresses_oscillation() {
    let rule =
        json!({"detect": ["enter", "exit", "cross"], "debounce": {"fixes": 1, "buffer_m": 25.0}});
    let mut run = Run::new(set(&[square_fence(rule)]));
    // A first fix within the buffer (10 m inside) does not count as inside.
    run.fix(0.0, 490.0, 0.0);
    assert!(run.events.is_empty());
    run.track(10.0, &walk([800.0, 0.0], [0.0, 0.0], 9));
    assert_eq!(run.summary(), vec![enter_open()]);
    assert_eq!(
        run.events[0].t, 50.0,
        "first fix more than 25 m inside: x = 400"
    );
    // ±10 m around the border, in and out.
    let wobble: Vec<[f64; 2]> = (0..60)
        .map(|i| [500.0 + if i % 2 == 0 { 10.0 } else { -10.0 }, 0.0])
        .collect();
    run.track(1000.0, &wobble);
    assert_eq!(run.events.len(), 1, "{:?}", run.summary());
    // Out for real, then the same wobble from outside: one exit, nothing more.
    run.track(2000.0, &[[600.0, 0.0]]);
    run.track(2010.0, &wobble);
    assert_eq!(
        run.summary(),
        vec![
            enter_open(),
            enter_close(),
            (AlertKind::GeofenceExit, Phase::Open, "exit".into()),
            (AlertKind::GeofenceExit, Phase::Close, "exit".into()),
        ]
    );
}

#[test]
fn fast_jump_across_a_thin_fence_is_a_cross() {
    let strip = Polygon::new(rect(-15.0, -1000.0, 15.0, 1000.0), vec![]);
    let features = [
        fence(1, strip.clone(), json!({"detect": ["cross"]}), json!({})),
        fence(2, strip, json!({"detect": ["exit"]}), json!({})),
    ];
    let mut run = Run::new(set(&features));
    run.track(0.0, &[[-200.0, 0.0], [200.0, 100.0]]);
    assert_eq!(
        run.summary(),
        vec![
            (AlertKind::GeofenceEnter, Phase::Open, "cross".into()),
            (AlertKind::GeofenceEnter, Phase::Close, "cross".into()),
        ]
    );
    let event = &run.events[0];
    assert_eq!(event.fence_id, Some(id(1)));
    assert!((event.t - 5.0).abs() < 1e-6, "{}", event.t);
    let expected = ll(0.0, 50.0);
    assert!(distance_m(event.location, expected) < 0.5);
    assert_eq!(run.tracker.pair_count(), 0);
    // A path that stays on one side raises nothing.
    run.track(20.0, &[[300.0, 0.0], [20.0, 0.0]]);
    assert_eq!(run.events.len(), 2);
}

#[test]
fn dwell_opens_once_and_updates() {
    let rule = json!({"detect": ["dwell"], "dwell_min": 5, "debounce": {"fixes": 1}});
    let mut run = Run::new(set(&[square_fence(rule)]));
    let stay: Vec<[f64; 2]> = (0..61).map(|i| [f64::from(i % 7), 0.0]).collect();
    run.track(0.0, &stay); // 10 minutes inside
    let kinds = run.summary();
    assert!(kinds.iter().all(|(k, ..)| *k == AlertKind::GeofenceDwell));
    let opens: Vec<&AlertEvent> = run
        .events
        .iter()
        .filter(|e| e.phase == Phase::Open)
        .collect();
    assert_eq!(opens.len(), 1);
    assert_eq!(opens[0].t, 300.0);
    assert_eq!(opens[0].evidence["inside_s"], 300.0);
    let updates: Vec<f64> = run
        .events
        .iter()
        .filter(|e| e.phase == Phase::Update)
        .map(|e| e.t)
        .collect();
    assert_eq!(updates, vec![360.0, 420.0, 480.0, 540.0, 600.0]);
    run.track(700.0, &[[900.0, 0.0]]);
    let last = run.events.last().unwrap();
    assert_eq!(
        (last.key.kind, last.phase),
        (AlertKind::GeofenceDwell, Phase::Close)
    );
    assert_eq!(last.evidence["inside_s"], 700.0);
}

#[test]
fn active_hours_in_local_time() {
    let rule = json!({"detect": ["enter", "dwell"], "dwell_min": 10,
                      "active_hours": {"start": "22:00", "end": "05:00"}, "debounce": {"fixes": 1}});
    let clock = LocalClock::new("Asia/Shanghai").unwrap();
    let mut run = Run::with_clock(set(&[square_fence(rule)]), clock);
    // Enters at 21:30 local and stays: no enter, dwell (reached 21:40) waits for 22:00.
    let t0 = LOCAL_22H - 1800.0;
    run.fix(t0 - 60.0, -900.0, 0.0);
    for i in 0..40 {
        run.fix(t0 + 60.0 * f64::from(i), 0.0, 0.0);
    }
    let opens: Vec<(AlertKind, f64)> = run
        .events
        .iter()
        .filter(|e| e.phase == Phase::Open)
        .map(|e| (e.key.kind, e.t))
        .collect();
    assert_eq!(opens, vec![(AlertKind::GeofenceDwell, LOCAL_22H)]);
    assert_eq!(run.events[0].evidence["inside_s"], 1800.0);
    // Leaves and comes back at 22:45 local: the enter is raised.
    run.events.clear();
    run.fix(LOCAL_22H + 2600.0, -900.0, 0.0);
    run.fix(LOCAL_22H + 2700.0, 0.0, 0.0);
    assert_eq!(
        run.summary(),
        vec![
            (AlertKind::GeofenceDwell, Phase::Close, "dwell".into()),
            enter_open()
        ]
    );
}

#[test]
fn entering_just_before_the_window_fires_nothing_at_opening() {
    let rule =
        json!({"active_hours": {"start": "22:00", "end": "05:00"}, "debounce": {"fixes": 2}});
    let clock = LocalClock::new("Asia/Shanghai").unwrap();
    let mut run = Run::with_clock(set(&[square_fence(rule)]), clock);
    let t0 = LOCAL_22H - 60.0; // 21:59
    run.fix(t0 - 30.0, -900.0, 0.0);
    for i in 0..10 {
        run.fix(t0 + 30.0 * f64::from(i), 0.0, 0.0);
    }
    assert!(run.events.is_empty(), "{:?}", run.summary());
}

#[test]
fn out_of_order_and_duplicate_fixes_are_ignored() {
    let rule = json!({"detect": ["enter", "exit"], "debounce": {"fixes": 1}});
    let mut run = Run::new(set(&[square_fence(rule)]));
    run.track(100.0, &[[-900.0, 0.0], [0.0, 0.0]]);
    assert_eq!(run.summary(), vec![enter_open()]);
    run.fix(105.0, -900.0, 0.0); // older
    run.fix(110.0, -900.0, 0.0); // same time as the last fix
    run.fix(120.0, 10.0, 0.0);
    assert_eq!(run.events.len(), 1, "{:?}", run.summary());
    assert_eq!(run.tracker.inside(&run.subject).count(), 1);
}

#[test]
fn retain_closes_episodes_of_removed_fences() {
    let rule = json!({"detect": ["enter", "dwell"], "dwell_min": 1, "debounce": {"fixes": 1}});
    let other = fence(
        2,
        Polygon::new(rect(-200.0, -200.0, 200.0, 200.0), vec![]),
        json!({"debounce": {"fixes": 1}}),
        json!({}),
    );
    let mut run = Run::new(set(&[square_fence(rule), other.clone()]));
    run.track(0.0, &walk([-900.0, 0.0], [0.0, 0.0], 10));
    run.track(100.0, &[[0.0, 0.0]; 8]);
    assert_eq!(run.tracker.pair_count(), 2);
    run.events.clear();
    // Fence 1 is removed; fence 2 stays (recompiled, new set).
    let fences = set(&[other]);
    let mut out = Vec::new();
    run.tracker.retain(&fences, &mut out);
    let closes: Vec<(AlertKind, Phase, Option<FeatureId>, &str)> = out
        .iter()
        .map(|e| {
            let reason = e.evidence["reason"].as_str().unwrap_or_default();
            (e.key.kind, e.phase, e.fence_id, reason)
        })
        .collect();
    assert_eq!(
        closes,
        vec![
            (
                AlertKind::GeofenceEnter,
                Phase::Close,
                Some(id(1)),
                "fence_removed"
            ),
            (
                AlertKind::GeofenceDwell,
                Phase::Close,
                Some(id(1)),
                "fence_removed"
            ),
        ]
    );
    assert_eq!(run.tracker.pair_count(), 1);
    // The pair of fence 2 carried over: staying inside raises nothing, leaving closes it.
    run.fences = fences;
    run.track(200.0, &[[0.0, 0.0], [900.0, 0.0]]);
    run.fix(220.0, 0.0, 0.0);
    assert_eq!(run.summary(), vec![enter_close(), enter_open()]);
    assert!(run.events.iter().all(|e| e.fence_id == Some(id(2))));
    // Observing with another set retains by itself.
    run.events.clear();
    run.fences = FenceSet::default();
    run.fix(300.0, 0.0, 0.0);
    assert_eq!(run.summary(), vec![enter_close()]);
    assert_eq!(run.tracker.pair_count(), 0);
}

#[test]
fn no_state_for_objects_outside_every_fence() {
    let mut run = Run::new(set(&[square_fence(json!({}))]));
    for n in 0..50 {
        run.subject = SubjectKey::vessel(412_100_000 + n);
        run.track(0.0, &walk([2000.0, f64::from(n) * 10.0], [900.0, 0.0], 5));
    }
    assert!(run.events.is_empty());
    assert_eq!(run.tracker.pair_count(), 0);
    assert_eq!(run.tracker.object_count(), 50);
    run.tracker.forget_before(100.0);
    assert_eq!(run.tracker.object_count(), 0);
}
