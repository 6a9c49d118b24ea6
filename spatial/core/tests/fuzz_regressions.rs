//! Regression inputs for the HTTP body fuzz targets (`fuzz/`: `geojson_body`,
//! `geofence_rules`, `alert_actions`, `vehicle_fixes`; see `fuzz/README.md`),
//! on stable Rust. A finding goes here as `finding_<what>` with its
//! minimised input.

use coastwatch_core::{BodyError, Feature};
use serde_json::{Value, json};

fn body(geometry: Value) -> Value {
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.5, 29.6]}, "properties": {}},
        {"type": "Feature", "geometry": geometry, "properties": {"kind": "island"}},
    ]})
}

/// `geojson_body`, first campaign: a position with one number (`[121.61]`, in a
/// coastline polygon of the demo data) made the GeoJSON → geo conversion index out of
/// bounds, a panic in the features API's handler. (The `geojson` crate checks the
/// position of a Point itself, not those of the other types.)
#[test]
fn finding_position_with_one_number() {
    for geometry in [
        json!({"type": "MultiPoint", "coordinates": [[121.5, 29.6], [121.6]]}),
        json!({"type": "LineString", "coordinates": [[121.5, 29.6], [121.61]]}),
        json!({"type": "LineString", "coordinates": [[121.5, 29.6], []]}),
        json!({"type": "MultiLineString", "coordinates": [[[121.5, 29.6], [121.61]]]}),
        json!({"type": "Polygon", "coordinates": [[[121.8, 29.6], [121.7, 29.5], [121.61], [121.8, 29.6]]]}),
        json!({"type": "MultiPolygon", "coordinates": [[[[121.8, 29.6], [121.7, 29.5], [121.61], [121.8, 29.6]]]]}),
        json!({"type": "GeometryCollection", "geometries": [
            {"type": "GeometryCollection", "geometries": [{"type": "LineString", "coordinates": [[121.61], [121.7, 29.5]]}]},
        ]}),
    ] {
        match Feature::from_geojson_body(body(geometry.clone())) {
            Err(error @ BodyError::Feature { index: 1, .. }) => assert!(
                error
                    .to_string()
                    .contains("feature 1: geometry: a position needs at least two numbers"),
                "{error}"
            ),
            other => panic!("{geometry}: {other:?}"),
        }
    }
    // Three numbers (an altitude) are still taken.
    let (features, _) = Feature::from_geojson_body(body(
        json!({"type": "LineString", "coordinates": [[121.5, 29.6, 3.0], [121.6, 29.7, 4.0]]}),
    ))
    .unwrap();
    assert!(matches!(
        features[1].geometry,
        Some(geo::Geometry::LineString(_))
    ));
}
