//! Fuzz target: a body of `POST /api/v1/ingest/positions` (a JSON array of
//! vehicle GPS fixes), each item parsed as a `VehicleFix` and checked with
//! `VehicleFix::check`, then, as the route does, held to the server clock
//! (at most 300 s ahead), to time order within the batch and to the vehicle
//! engine's check, and applied to an engine with two registered trucks.
//!
//! Checks, beyond "no panic":
//! - a checked fix has a time after 1970, a position in range, a speed
//!   (m/s) in 0..400 km/h and a heading in 0..=360;
//! - it is the same fix again when sent with its time as epoch seconds or as
//!   an RFC 3339 text (millisecond precision, as the check keeps it);
//! - a fix the engine's check accepts is applied, becomes the vehicle's latest
//!   fix, and the vehicle's feature after it is a valid `vehicles` feature
//!   that round-trips through GeoJSON.

#![no_main]

use coastwatch_core::engine::{CheckedFix, VehicleEngine, VehicleFix};
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// The server clock the fixes are held to (epoch s).
const NOW: f64 = 1_790_000_000.0;
/// How far ahead of the clock the route lets a fix be.
const MAX_FUTURE_S: f64 = 300.0;

fn engine() -> VehicleEngine {
    let mut engine = VehicleEngine::new(3_600.0);
    for (id, vehicle_id) in [(1, "truck-1"), (2, "truck-2")] {
        let feature = Feature {
            id: Some(FeatureId::try_from(id).expect("a positive id")),
            geometry: None,
            properties: json!({"vehicle_id": vehicle_id, "class": "tank_truck"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        let feature = Layer::Vehicles
            .validate(feature)
            .expect("the sample vehicle is valid");
        engine.register(&feature);
    }
    engine
}

fn check_ranges(fix: &CheckedFix) {
    let s = &fix.sample;
    assert!(s.t.is_finite() && s.t > 0.0, "t {}", s.t);
    assert!((-180.0..=180.0).contains(&s.lon), "lon {}", s.lon);
    assert!((-90.0..=90.0).contains(&s.lat), "lat {}", s.lat);
    if let Some(v) = s.speed_mps {
        assert!(
            v.is_finite() && (0.0..400.0 / 3.6).contains(&v),
            "speed {v}"
        );
    }
    if let Some(h) = fix.heading_deg {
        assert!((0.0..=360.0).contains(&h), "heading {h}");
    }
}

/// The same fix with its time written as `t`.
fn with_time(fix: &VehicleFix, t: Value) -> VehicleFix {
    VehicleFix { t, ..fix.clone() }
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let mut engine = engine();
    let mut latest = std::collections::HashMap::<String, f64>::new();
    for item in items {
        let Ok(fix) = serde_json::from_value::<VehicleFix>(item) else {
            continue;
        };
        let again: VehicleFix =
            serde_json::from_value(serde_json::to_value(&fix).expect("a fix serializes"))
                .expect("a serialized fix parses");
        assert_eq!(again, fix, "a fix round-trips through JSON");
        let Ok(checked) = fix.clone().check() else {
            continue;
        };
        check_ranges(&checked);
        assert_eq!(checked.vehicle_id, fix.vehicle_id);
        let t = checked.sample.t;
        let as_number = with_time(&fix, json!(t))
            .check()
            .unwrap_or_else(|e| panic!("the fix with t = {t} is refused: {e}"));
        assert_eq!(as_number, checked, "t as epoch seconds gives the same fix");
        let ms = (t * 1000.0).round();
        if ms / 1000.0 == t
            && let Ok(text) = jiff::Timestamp::from_millisecond(ms as i64).map(|ts| ts.to_string())
        {
            let as_text = with_time(&fix, json!(text))
                .check()
                .unwrap_or_else(|e| panic!("the fix with t = {text:?} is refused: {e}"));
            assert_eq!(as_text.sample.t, t, "t as RFC 3339 text {text:?}");
        }

        // The route's further checks, then the engine.
        if t > NOW + MAX_FUTURE_S || latest.get(&checked.vehicle_id).is_some_and(|&p| t <= p) {
            continue;
        }
        if engine.check(&checked.vehicle_id, t).is_err() {
            continue;
        }
        latest.insert(checked.vehicle_id.clone(), t);
        let state = engine
            .apply(&checked.vehicle_id, checked.sample, checked.heading_deg)
            .unwrap_or_else(|e| panic!("a checked fix applies: {e}"));
        assert_eq!(state.latest(), Some(&checked.sample));
        let feature = state.to_feature();
        let valid = Layer::Vehicles
            .validate(feature.clone())
            .unwrap_or_else(|e| panic!("a vehicle after a fix is valid: {e}\n{feature:?}"));
        let back = Feature::from_geojson(valid.to_geojson())
            .unwrap_or_else(|e| panic!("the GeoJSON of a vehicle parses: {e}"));
        assert_eq!(back, valid, "the vehicle round-trips through GeoJSON");
    }
});
