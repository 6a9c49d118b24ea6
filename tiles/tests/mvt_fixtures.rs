//! Conformance of the MVT decoder against mapbox/mvt-fixtures
//! (`shared/data/mvt-fixtures`, CC0): every fixture valid under spec v2 must decode
//! to what its `tile.json` says, every fatal one must be rejected, and no fixture
//! may make the decoder panic.
//!
//! The expected content is built from `tile.json` by a small interpreter written
//! here, independent of the crate's command decoder.

use std::collections::BTreeMap;
use std::fs;
use std::panic;
use std::path::Path;

use coastwatch_tiles::mvt::{self, Feature, Layer, Tile, TileGeometry, TilePolygon, Value};
use geo::Coord;
use serde_json::Value as Json;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/mvt-fixtures/fixtures"
);

/// Fixtures whose expectation contradicts another fixture of the suite; a
/// disagreement here is reported but does not fail the test.
const SUITE_CONTRADICTIONS: &[(&str, &str)] = &[(
    "057",
    "marked valid, yet its geometry [MoveTo count 536870911, 2, 2] has the same \
     too-large count as fatal fixture 051 [MoveTo count 536870911, 10, 10]; \
     the decoder rejects both",
)];

#[derive(Debug, PartialEq)]
enum Expectation {
    Valid,
    Fatal,
    /// Recoverable or unspecified: may be accepted or rejected, must not panic.
    Tolerated,
}

#[test]
fn decoder_conforms_to_mvt_fixtures() {
    let dir = Path::new(FIXTURES);
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read fixtures at {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fixtures in {}", dir.display());

    let (mut valid, mut valid_ok, mut fatal, mut fatal_ok) = (0, 0, 0, 0);
    let (mut tolerated_accepted, mut tolerated_rejected) = (0, 0);
    let mut disagreements = Vec::new();
    let mut contradictions = Vec::new();

    for name in &names {
        let path = dir.join(name);
        let info: Json = serde_json::from_str(&fs::read_to_string(path.join("info.json")).unwrap())
            .unwrap_or_else(|e| panic!("{name}/info.json: {e}"));
        let bytes = fs::read(path.join("tile.mvt")).unwrap();
        let expectation = if info["validity"]["v2"] == Json::Bool(true) {
            Expectation::Valid
        } else if info["validity"]["error"] == "fatal" {
            Expectation::Fatal
        } else {
            Expectation::Tolerated
        };
        let Ok(result) = panic::catch_unwind(|| mvt::decode(&bytes)) else {
            disagreements.push(format!("{name}: decoder panicked"));
            continue;
        };
        let disagreement = match expectation {
            Expectation::Valid => {
                valid += 1;
                let json: Json =
                    serde_json::from_str(&fs::read_to_string(path.join("tile.json")).unwrap())
                        .unwrap();
                match result {
                    Err(e) => Some(format!("{name}: valid but rejected: {e}")),
                    Ok(tile) => {
                        let expected = expected_tile(&json);
                        if tile == expected {
                            valid_ok += 1;
                            None
                        } else {
                            Some(format!(
                                "{name}: decoded {tile:?}\n    but tile.json says {expected:?}"
                            ))
                        }
                    }
                }
            }
            Expectation::Fatal => {
                fatal += 1;
                match result {
                    Err(e) => {
                        fatal_ok += 1;
                        println!("{name}: fatal, rejected: {e}");
                        None
                    }
                    Ok(_) => Some(format!("{name}: fatal but accepted")),
                }
            }
            Expectation::Tolerated => {
                match result {
                    Ok(_) => {
                        tolerated_accepted += 1;
                        println!("{name}: recoverable, accepted");
                    }
                    Err(e) => {
                        tolerated_rejected += 1;
                        println!("{name}: recoverable, rejected: {e}");
                    }
                }
                None
            }
        };
        if let Some(d) = disagreement {
            match SUITE_CONTRADICTIONS.iter().find(|(n, _)| n == name) {
                Some((_, why)) => contradictions.push(format!("{d}\n    ({why})")),
                None => disagreements.push(d),
            }
        }
    }

    println!(
        "mvt-fixtures: {} fixtures; valid v2 decoded as tile.json says: {valid_ok}/{valid}; \
         fatal rejected: {fatal_ok}/{fatal}; recoverable accepted {tolerated_accepted}, \
         rejected {tolerated_rejected}, none panicked",
        names.len()
    );
    for c in &contradictions {
        println!("known suite contradiction: {c}");
    }
    assert!(
        disagreements.is_empty(),
        "{} fixtures disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn decoder_never_panics_on_mutated_fixtures() {
    let mut decodes = 0;
    for entry in fs::read_dir(FIXTURES).unwrap() {
        let bytes = fs::read(entry.unwrap().path().join("tile.mvt")).unwrap();
        for len in 0..bytes.len() {
            let _ = mvt::decode(&bytes[..len]);
            decodes += 1;
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut mutated = bytes.clone();
                mutated[i] ^= 1 << bit;
                let _ = mvt::decode(&mutated);
                decodes += 1;
            }
        }
    }
    println!("{decodes} truncated or bit-flipped fixtures decoded without panic");
}

fn expected_tile(json: &Json) -> Tile {
    let layers = json["layers"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    Tile {
        layers: layers.iter().map(expected_layer).collect(),
    }
}

fn expected_layer(layer: &Json) -> Layer {
    let keys: Vec<String> = layer["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    let values: Vec<Value> = layer["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(expected_value)
        .collect();
    Layer {
        name: layer["name"].as_str().unwrap().to_owned(),
        version: layer["version"].as_u64().unwrap() as u32,
        extent: layer["extent"].as_u64().unwrap_or(4096) as u32,
        features: layer["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| expected_feature(f, &keys, &values))
            .collect(),
    }
}

fn expected_value(value: &Json) -> Value {
    let (kind, v) = value.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        // 076's tile.json writes the string "613" as a number; the tile holds text.
        "string_value" => Value::String(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        "float_value" => Value::Float(v.as_f64().unwrap() as f32),
        "double_value" => Value::Double(v.as_f64().unwrap()),
        "int_value" => Value::Int(v.as_i64().unwrap()),
        "uint_value" => Value::UInt(v.as_u64().unwrap()),
        "sint_value" => Value::SInt(v.as_i64().unwrap()),
        "bool_value" => Value::Bool(v.as_bool().unwrap()),
        other => panic!("value type {other} in tile.json"),
    }
}

fn expected_feature(feature: &Json, keys: &[String], values: &[Value]) -> Feature {
    let tags: Vec<usize> = feature["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as usize)
        .collect();
    let properties: BTreeMap<String, Value> = tags
        .chunks(2)
        .map(|pair| (keys[pair[0]].clone(), values[pair[1]].clone()))
        .collect();
    let ints: Vec<u32> = feature["geometry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|i| i.as_u64().unwrap() as u32)
        .collect();
    Feature {
        id: feature["id"].as_u64(),
        geometry: expected_geometry(feature["type"].as_u64().unwrap_or(0), &ints),
        properties,
    }
}

/// Interprets a command stream that tile.json declares valid: splits it into parts
/// at each `MoveTo` (points: every vertex is a part), drops closing commands, and
/// groups polygon rings by the sign of their area.
fn expected_geometry(geom_type: u64, ints: &[u32]) -> TileGeometry {
    let mut parts: Vec<Vec<Coord<i32>>> = Vec::new();
    let (mut x, mut y) = (0i32, 0i32);
    let mut i = 0;
    while i < ints.len() {
        let (id, count) = (ints[i] & 7, ints[i] >> 3);
        i += 1;
        if id == 7 {
            continue;
        }
        for _ in 0..count {
            let dx = ((ints[i] >> 1) as i32) ^ -((ints[i] & 1) as i32);
            let dy = ((ints[i + 1] >> 1) as i32) ^ -((ints[i + 1] & 1) as i32);
            i += 2;
            x = x.wrapping_add(dx);
            y = y.wrapping_add(dy);
            if id == 1 {
                parts.push(Vec::new());
            }
            parts.last_mut().unwrap().push(Coord { x, y });
        }
    }
    match geom_type {
        0 => TileGeometry::Unknown(ints.to_vec()),
        1 => TileGeometry::Points(parts.into_iter().flatten().collect()),
        2 => TileGeometry::LineStrings(parts),
        3 => {
            let mut polygons: Vec<TilePolygon> = Vec::new();
            let mut exterior_sign = 0;
            for ring in parts {
                let sign = mvt::ring_area2(&ring).signum();
                if sign == 0 {
                    continue;
                }
                if exterior_sign == 0 {
                    exterior_sign = sign;
                }
                if sign == exterior_sign {
                    polygons.push(TilePolygon {
                        exterior: ring,
                        interiors: Vec::new(),
                    });
                } else {
                    polygons.last_mut().unwrap().interiors.push(ring);
                }
            }
            TileGeometry::Polygons(polygons)
        }
        other => panic!("geometry type {other} in a valid fixture"),
    }
}
