//! Writing features as GeoJSON.
//!
//! [`write_geojson`] streams a FeatureCollection feature by feature, so exporting a large
//! layer needs memory for one feature at a time, not for the whole document.

use std::io::{self, Write};

use crate::Feature;
use geo::orient::Direction;
use geo::{Geometry, GeometryCollection, Orient};

/// Writes `features` to `out` as an RFC 7946 GeoJSON FeatureCollection.
///
/// Coordinates are written as they are held (WGS84 lon/lat) with no `crs` member, and
/// polygon rings follow the right-hand rule (exterior counter-clockwise, holes clockwise)
/// as RFC 7946 requires. One feature per line; each is written with one `write_all`, so an
/// unbuffered `out` is fine.
///
/// # Errors
/// The first error `out` returns.
///
/// ```
/// use coastwatch_core::geojson::write_geojson;
/// use coastwatch_core::Feature;
///
/// let feature = Feature::new(geo::point!(x: 121.55, y: 29.57), serde_json::json!({"name": "dock"}));
/// let mut out = Vec::new();
/// write_geojson(&[feature], &mut out).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["type"], "FeatureCollection");
/// assert_eq!(doc["features"][0]["geometry"]["coordinates"], serde_json::json!([121.55, 29.57]));
/// ```
pub fn write_geojson(features: &[Feature], out: &mut impl Write) -> io::Result<()> {
    out.write_all(br#"{"type":"FeatureCollection","features":["#)?;
    let mut buffer = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        buffer.clear();
        buffer.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut buffer, &feature_json(feature))?;
        out.write_all(&buffer)?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}

/// [`write_geojson`] into a string.
pub fn to_geojson_string(features: &[Feature]) -> String {
    let mut out = Vec::new();
    write_geojson(features, &mut out).expect("writing to a Vec does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// The feature's GeoJSON object, with polygon rings oriented as RFC 7946 wants.
fn feature_json(feature: &Feature) -> serde_json::Value {
    match feature.geometry.as_ref().and_then(oriented) {
        Some(geometry) => Feature {
            geometry: Some(geometry),
            ..feature.clone()
        }
        .to_geojson(),
        None => feature.to_geojson(),
    }
}

/// A copy of the geometry with rings following the right-hand rule; `None` when it has no
/// polygon (nothing to orient).
fn oriented(geometry: &Geometry) -> Option<Geometry> {
    Some(match geometry {
        Geometry::Polygon(p) => p.orient(Direction::Default).into(),
        Geometry::MultiPolygon(m) => m.orient(Direction::Default).into(),
        Geometry::Rect(r) => r.to_polygon().orient(Direction::Default).into(),
        Geometry::Triangle(t) => t.to_polygon().orient(Direction::Default).into(),
        Geometry::GeometryCollection(c) if c.iter().any(|g| oriented(g).is_some()) => {
            Geometry::GeometryCollection(GeometryCollection(
                c.iter()
                    .map(|g| oriented(g).unwrap_or_else(|| g.clone()))
                    .collect(),
            ))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use geo::{Winding, polygon};
    use serde_json::json;

    use super::*;

    #[test]
    fn empty_collection_is_valid_json() {
        let doc: serde_json::Value = serde_json::from_str(&to_geojson_string(&[])).unwrap();
        assert_eq!(doc, json!({"type": "FeatureCollection", "features": []}));
    }

    #[test]
    fn exterior_rings_turn_counter_clockwise() {
        let clockwise =
            polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0)];
        assert!(clockwise.exterior().is_cw());
        let Some(Geometry::Polygon(fixed)) = oriented(&clockwise.into()) else {
            panic!("not a polygon")
        };
        assert!(fixed.exterior().is_ccw());
        assert!(oriented(&geo::point!(x: 1.0, y: 2.0).into()).is_none());
    }
}
