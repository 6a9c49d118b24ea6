//! Fuzz target: a request body as the features API takes it
//! (`POST`/`PUT /api/v1/{layer}`): JSON, then `Feature::from_geojson_body`,
//! then `Layer::validate` for every layer (the gate of every store write).
//!
//! Checks, beyond "no panic":
//! - a parsed body has at least one feature, exactly one when it was a
//!   single Feature;
//! - every parsed feature's GeoJSON parses back to the same feature;
//! - a feature that validates for a layer: has the layer's geometry type
//!   (and a geometry where the layer needs one), holds only the layer's
//!   attributes, every required one present and of its storage type;
//!   validates again to itself (normalizing is idempotent); round-trips
//!   through GeoJSON to an equal feature;
//! - a valid `geofences` feature compiles into a fence set, and its
//!   containment and distance tests give answers (finite distances).

#![no_main]

use coastwatch_core::alerting::FenceSet;
use coastwatch_core::layer::{FieldType, GeometryType};
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use geo::{BoundingRect, Geometry};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok((features, single)) = Feature::from_geojson_body(body) else {
        return;
    };
    assert!(!features.is_empty(), "a parsed body has features");
    assert!(!single || features.len() == 1, "a single Feature is one");
    for feature in features {
        let back = Feature::from_geojson(feature.to_geojson())
            .unwrap_or_else(|e| panic!("the GeoJSON of a parsed feature parses: {e}"));
        assert_eq!(back, feature, "parsed feature round-trips through GeoJSON");
        for &layer in Layer::ALL {
            if let Ok(valid) = layer.validate(feature.clone()) {
                check_valid(layer, &valid);
            }
        }
    }
});

fn check_valid(layer: Layer, valid: &Feature) {
    match (&valid.geometry, layer.geometry_type()) {
        (None, _) => assert!(!layer.geometry_required(), "{layer} needs a geometry"),
        (Some(Geometry::Point(_)), GeometryType::Point)
        | (Some(Geometry::LineString(_)), GeometryType::LineString)
        | (Some(Geometry::Polygon(_)), GeometryType::Polygon)
        | (Some(Geometry::MultiPolygon(_)), GeometryType::MultiPolygon)
        | (Some(_), GeometryType::Geometry) => {}
        (Some(g), expected) => panic!("{layer} holds {expected:?}, validated {g:?}"),
    }
    for (key, value) in &valid.properties {
        let field = layer
            .field(key)
            .unwrap_or_else(|| panic!("{layer} has no field {key:?}, yet it validated"));
        let fits = match (field.ty, value) {
            (_, Value::Null) => field.nullable,
            (FieldType::Text, Value::String(_))
            | (FieldType::Real, Value::Number(_))
            | (FieldType::Bool, Value::Bool(_))
            | (FieldType::Json, Value::Object(_) | Value::Array(_)) => true,
            (FieldType::Integer, Value::Number(n)) => n.is_i64(),
            _ => false,
        };
        assert!(fits, "{layer}.{key} = {value} does not fit {:?}", field.ty);
    }
    for field in layer.fields().iter().filter(|f| !f.nullable) {
        assert!(
            valid
                .properties
                .get(field.name)
                .is_some_and(|v| !v.is_null()),
            "{layer}.{} is required, yet missing after validation",
            field.name
        );
    }
    let again = layer
        .validate(valid.clone())
        .unwrap_or_else(|e| panic!("a valid {layer} feature validates again: {e}"));
    assert_eq!(&again, valid, "{layer}: validation is idempotent");
    let back = Feature::from_geojson(valid.to_geojson())
        .unwrap_or_else(|e| panic!("the GeoJSON of a valid {layer} feature parses: {e}"));
    assert_eq!(
        &back, valid,
        "{layer}: valid feature round-trips through GeoJSON"
    );

    if layer == Layer::Geofences {
        let id = valid
            .id
            .unwrap_or(FeatureId::try_from(1).expect("1 is an id"));
        let fence = valid.clone().with_id(id);
        let set = FenceSet::compile(std::slice::from_ref(&fence))
            .unwrap_or_else(|e| panic!("a valid geofence compiles: {e}\n{:?}", fence));
        let compiled = set.get(id).expect("the compiled set holds the fence");
        let rect = fence
            .geometry
            .as_ref()
            .and_then(|g| g.bounding_rect())
            .expect("a valid fence has an extent");
        for (lon, lat) in [
            (rect.center().x, rect.center().y),
            (rect.min().x, rect.min().y),
            (rect.max().x, rect.max().y),
        ] {
            let _ = compiled.contains(lon, lat);
            let _ = set.containing(lon, lat).count();
            let d = compiled.signed_distance_m(lon, lat);
            assert!(!d.is_nan(), "signed distance to {lon},{lat} is NaN");
        }
    }
}
