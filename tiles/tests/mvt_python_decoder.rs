//! Cross-check of the encoder with an independent decoder: Python's
//! `mapbox_vector_tile` (PyPI `mapbox-vector-tile`).
//!
//! Skipped with a note when the module is missing, except under `CI=true`, where a
//! missing module fails the test.

mod common;

use std::process::Command;

use coastwatch_tiles::mvt::{TileEncoder, Value};
use common::{line, lon_lat, polygon, tile};
use geo::{Geometry, MultiPoint, MultiPolygon, Point};
use serde_json::{Value as Json, json};

const SCRIPT: &str = r#"
import json, sys
import mapbox_vector_tile
with open(sys.argv[1], "rb") as f:
    data = f.read()
print(json.dumps(mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})))
"#;

fn python_has_module() -> bool {
    Command::new("python3")
        .args(["-c", "import mapbox_vector_tile"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Twice the signed area of a closed GeoJSON ring (positive = clockwise, y down).
fn area2(ring: &Json) -> f64 {
    let pts: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    pts.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum()
}

#[test]
fn python_mapbox_vector_tile_reads_our_tiles() {
    if !python_has_module() {
        let message =
            "python3 module mapbox_vector_tile is missing (pip install mapbox-vector-tile)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{message}; required when CI=true"
        );
        println!("skipped: {message}");
        return;
    }

    let t = tile();
    let mut encoder = TileEncoder::new(t);
    let vessels = encoder.layer("vessels");
    vessels
        .add_feature(
            Some(412_000_001),
            &Geometry::Point(Point(lon_lat(t, 100.0, 200.0))),
            [
                ("name", Value::from("ZHE XIANG YU 1")),
                ("sog_kn", Value::from(7.25f64)),
                ("heading_deg", Value::from(-1i64)),
                ("mmsi", Value::from(412_000_001u64)),
                ("ratio", Value::from(0.5f32)),
                ("moving", Value::from(true)),
            ],
        )
        .unwrap();
    vessels
        .add_feature(
            Some(412_000_002),
            &Geometry::MultiPoint(MultiPoint::new(vec![
                Point(lon_lat(t, 10.0, 20.0)),
                Point(lon_lat(t, 30.0, 40.0)),
            ])),
            [("name", Value::from("ZHE XIANG YU 1"))],
        )
        .unwrap();
    encoder
        .layer("vessel_tracks")
        .add_feature(
            Some(3),
            &Geometry::LineString(line(&[
                (2000.0, 1000.0),
                (6000.0, 1000.0),
                (6000.0, 3000.0),
                (2000.0, 3000.0),
            ])),
            [("mmsi", 412_000_001u64)],
        )
        .unwrap();
    let with_hole = polygon(
        &[
            (100.0, 100.0),
            (100.0, 1000.0),
            (1000.0, 1000.0),
            (1000.0, 100.0),
        ],
        &[&[
            (300.0, 300.0),
            (600.0, 300.0),
            (600.0, 600.0),
            (300.0, 600.0),
        ]],
    );
    let second = polygon(&[(2000.0, 2000.0), (2500.0, 2000.0), (2500.0, 2500.0)], &[]);
    encoder
        .layer("geofences")
        .add_feature(
            Some(9),
            &Geometry::MultiPolygon(MultiPolygon::new(vec![with_hole, second])),
            [("kind", "restricted_sea")],
        )
        .unwrap();
    let bytes = encoder.encode();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tile.mvt");
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python decoder failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: Json = serde_json::from_slice(&out.stdout).unwrap();
    println!("python mapbox_vector_tile decoded: {decoded}");

    let vessels = &decoded["vessels"];
    assert_eq!(vessels["extent"], 4096);
    assert_eq!(vessels["version"], 2);
    let f = &vessels["features"][0];
    assert_eq!(f["id"], 412_000_001);
    assert_eq!(
        f["geometry"],
        json!({"type": "Point", "coordinates": [100, 200]})
    );
    assert_eq!(
        f["properties"],
        json!({"name": "ZHE XIANG YU 1", "sog_kn": 7.25, "heading_deg": -1,
               "mmsi": 412_000_001, "ratio": 0.5, "moving": true})
    );
    assert_eq!(
        vessels["features"][1]["geometry"],
        json!({"type": "MultiPoint", "coordinates": [[10, 20], [30, 40]]})
    );

    let track = &decoded["vessel_tracks"]["features"][0];
    assert_eq!(
        track["geometry"],
        json!({"type": "MultiLineString", "coordinates": [
            [[2000, 1000], [4160, 1000]],
            [[4160, 3000], [2000, 3000]]
        ]})
    );

    let fence = &decoded["geofences"]["features"][0];
    assert_eq!(fence["geometry"]["type"], "MultiPolygon");
    let polygons = fence["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(polygons.len(), 2);
    assert_eq!(
        polygons[0].as_array().unwrap().len(),
        2,
        "exterior and hole"
    );
    assert!(area2(&polygons[0][0]) > 0.0, "exterior clockwise on screen");
    assert!(area2(&polygons[0][1]) < 0.0, "hole counter-clockwise");
    assert!(area2(&polygons[1][0]) > 0.0);
    assert_eq!(area2(&polygons[0][0]), 2.0 * 900.0 * 900.0);
    // Python closes rings itself: 4 vertices plus its closing copy, none repeated by us.
    assert_eq!(polygons[0][0].as_array().unwrap().len(), 5);
    assert_eq!(fence["properties"], json!({"kind": "restricted_sea"}));
}
