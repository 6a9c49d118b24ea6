//! Fuzz target: the attributes of a `geofences` feature (name, kind, radius,
//! width, town and the rule of `model/fence.rs`), as a JSON object, on each of
//! a few fixed shapes (circle centre, corridor line, area), through
//! `Layer::Geofences.validate`, then into a `FenceSet` and a `FenceTracker`.
//!
//! The first byte picks the shape and the path a test object takes; the rest
//! is the properties object.
//!
//! Checks, beyond "no panic":
//! - valid attributes validate again to themselves and round-trip through
//!   GeoJSON; their `rule` parses as a `FenceRule` that passes `check`;
//! - a valid fence compiles, and the compiled fence carries the record's
//!   name, kind and rule;
//! - a tracker fed a path across the fence emits only events of this fence,
//!   of a kind the rule detects, for the one subject, in a fence-alert kind.

#![no_main]

use coastwatch_core::alerting::{FenceSet, FenceTracker, LocalClock, Sample, SubjectKey};
use coastwatch_core::model::{
    AlertKind, Detect, FeatureId, FenceRule, Geofence, ObjectKind, ShipCategory, TrackClass,
    VehicleClass,
};
use coastwatch_core::{Feature, Layer};
use geo::{Geometry, LineString, Polygon, line_string, point, polygon};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The shapes the properties are tried on (near Xiangshan, where the demo is).
fn shape(pick: u8) -> Geometry {
    match pick % 4 {
        0 => Geometry::Point(point!(x: 121.80, y: 29.50)),
        1 => Geometry::LineString(line_string![(x: 121.78, y: 29.48), (x: 121.82, y: 29.52)]),
        2 => Geometry::Polygon(polygon![
            (x: 121.79, y: 29.49), (x: 121.81, y: 29.49), (x: 121.81, y: 29.51),
            (x: 121.79, y: 29.51), (x: 121.79, y: 29.49)
        ]),
        _ => {
            let outer = LineString::from(vec![
                (121.78, 29.48),
                (121.82, 29.48),
                (121.82, 29.52),
                (121.78, 29.52),
                (121.78, 29.48),
            ]);
            let hole = LineString::from(vec![
                (121.795, 29.495),
                (121.805, 29.495),
                (121.805, 29.505),
                (121.795, 29.505),
                (121.795, 29.495),
            ]);
            Geometry::Polygon(Polygon::new(outer, vec![hole]))
        }
    }
}

/// The kind of object the tracker is fed, by `pick`.
fn object(pick: u8) -> (SubjectKey, ObjectKind) {
    match pick % 3 {
        0 => (
            SubjectKey::vessel(412_000_001),
            ObjectKind::Vessel(ShipCategory::Fishing),
        ),
        1 => (
            SubjectKey::vehicle("truck-1"),
            ObjectKind::Vehicle(VehicleClass::TankTruck),
        ),
        _ => (
            SubjectKey::vehicle("track-1"),
            ObjectKind::CameraTrack(TrackClass::Person),
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(Value::Object(properties)) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let id = FeatureId::try_from(7).expect("7 is an id");
    let feature = Feature {
        id: Some(id),
        geometry: Some(shape(pick)),
        properties,
    };
    let Ok(valid) = Layer::Geofences.validate(feature) else {
        return;
    };
    let again = Layer::Geofences
        .validate(valid.clone())
        .unwrap_or_else(|e| panic!("a valid fence validates again: {e}"));
    assert_eq!(again, valid, "validation is idempotent");
    let back = Feature::from_geojson(valid.to_geojson())
        .unwrap_or_else(|e| panic!("the GeoJSON of a valid fence parses: {e}"));
    assert_eq!(back, valid, "a valid fence round-trips through GeoJSON");
    let record: Geofence = serde_json::from_value(Value::Object(valid.properties.clone()))
        .unwrap_or_else(|e| panic!("valid properties are a Geofence: {e}"));
    let rule: FenceRule = serde_json::from_value(valid.properties["rule"].clone())
        .unwrap_or_else(|e| panic!("a valid rule parses: {e}"));
    assert_eq!(rule, record.rule);
    rule.check()
        .unwrap_or_else(|e| panic!("a valid rule passes its check: {e}"));
    let rule_back: FenceRule =
        serde_json::from_value(serde_json::to_value(&rule).expect("a rule serializes"))
            .expect("a serialized rule parses");
    assert_eq!(rule_back, rule, "the rule round-trips through JSON");

    let set = FenceSet::compile(std::slice::from_ref(&valid))
        .unwrap_or_else(|e| panic!("a valid fence compiles: {e}"));
    let fence = set.get(id).expect("the set holds the fence");
    assert_eq!(fence.name(), record.name);
    assert_eq!(fence.kind(), record.kind);
    assert_eq!(fence.rule(), &record.rule);

    // A path from outside, through the fence, out the other side, and back in to dwell;
    // the time step and the clock's hour come from `pick`.
    let (subject, kind) = object(pick >> 2);
    let step = f64::from(pick >> 5) * 60.0 + 5.0;
    let start = 1_790_000_000.0 + f64::from(pick) * 3_600.0;
    let path: Vec<[f64; 2]> = (0..24)
        .map(|i| 121.76 + 0.004 * f64::from(i))
        .map(|lon| [lon, 29.50])
        .chain((0..16).map(|_| [121.80, 29.50]))
        .collect();
    let mut tracker = FenceTracker::new(LocalClock::utc());
    let mut events = Vec::new();
    for (i, [lon, lat]) in path.into_iter().enumerate() {
        let sample = Sample {
            t: start + step * i as f64,
            lon,
            lat,
            speed_mps: Some(3.0),
        };
        tracker.observe(&set, &subject, kind, None, &sample, &mut events);
    }
    let applies = fence.applies_to(kind);
    for event in &events {
        assert!(
            applies,
            "no events for a class the rule leaves out: {event:?}"
        );
        assert_eq!(event.key.subject, subject);
        assert_eq!(event.fence_id, Some(id));
        let detect = match event.key.kind {
            AlertKind::GeofenceEnter => Detect::Enter,
            AlertKind::GeofenceExit => Detect::Exit,
            AlertKind::GeofenceDwell => Detect::Dwell,
            other => panic!("a fence raised {other:?}"),
        };
        assert!(
            rule.detect.contains(&detect) || rule.detect.contains(&Detect::Cross),
            "event {detect:?} not asked for by {:?}",
            rule.detect
        );
        assert!(event.location.iter().all(|c| c.is_finite()));
    }
});
