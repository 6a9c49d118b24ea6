//! Decoding Mapbox Vector Tiles (spec 2.1) into layers, features, tile-coordinate
//! geometry and typed properties.
//!
//! The decoder never panics. It rejects what the spec calls fatal: broken protobuf,
//! known fields with the wrong wire type, a missing layer `name` or `version`, a
//! version other than 1 or 2, values without exactly one known field, tags that
//! point outside the tables, unknown geometry types and command streams that break
//! the grammar. Unknown fields of `Tile`, `Layer` and `Feature` are skipped as
//! protobuf requires; a missing `extent` is 4096 and a missing `type` is `UNKNOWN`.

use std::collections::BTreeMap;

use super::command::decode_commands;
use super::error::{DecodeError, Location, ValueProblem, WireProblem};
use super::geometry::{GeomType, TileGeometry};
use super::pbf::{self, Payload, Reader, read_uint32s, unzigzag64};
use super::value::Value;

/// A decoded vector tile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tile {
    /// The layers in tile order.
    pub layers: Vec<Layer>,
}

impl Tile {
    /// The layer with this name, if any.
    #[must_use]
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }
}

/// A decoded layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The layer name, unique in the tile.
    pub name: String,
    /// The spec version the layer declares (1 or 2).
    pub version: u32,
    /// Tile units across the tile (default 4096).
    pub extent: u32,
    /// The features in layer order.
    pub features: Vec<Feature>,
}

/// A decoded feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The feature id, when the tile has one.
    pub id: Option<u64>,
    /// The geometry in tile coordinates.
    pub geometry: TileGeometry,
    /// Properties resolved from the tags (a repeated key keeps its last value).
    pub properties: BTreeMap<String, Value>,
}

/// Decodes a whole tile. An empty buffer is a valid tile without layers.
///
/// ```
/// use coastwatch_tiles::mvt::{decode, TileGeometry};
/// // One layer "hello" with one point at (25, 17), from the spec's examples.
/// let bytes = [
///     0x1a, 0x15, 0x78, 0x02, 0x0a, 0x05, b'h', b'e', b'l', b'l', b'o',
///     0x12, 0x07, 0x18, 0x01, 0x22, 0x03, 0x09, 0x32, 0x22, 0x28, 0x80, 0x20,
/// ];
/// let tile = decode(&bytes).unwrap();
/// let layer = tile.layer("hello").unwrap();
/// assert_eq!(layer.extent, 4096);
/// assert_eq!(layer.features[0].geometry, TileGeometry::Points(vec![geo::coord! { x: 25, y: 17 }]));
/// ```
pub fn decode(bytes: &[u8]) -> Result<Tile, DecodeError> {
    let mut reader = Reader::new(bytes);
    let mut layers: Vec<Layer> = Vec::new();
    let at = Location::Tile;
    while !reader.is_done() {
        let (field, payload) = reader.field().map_err(|problem| wire(at, problem))?;
        if field == 3 {
            let layer_bytes = expect_bytes(at, payload, "layers")?;
            let index = layers.len();
            let layer = decode_layer(layer_bytes, index)?;
            if let Some(first) = layers.iter().position(|l| l.name == layer.name) {
                return Err(DecodeError::DuplicateLayerName {
                    at: Location::Layer { layer: index },
                    name: layer.name,
                    first,
                });
            }
            layers.push(layer);
        }
    }
    Ok(Tile { layers })
}

fn wire(at: Location, problem: WireProblem) -> DecodeError {
    DecodeError::Wire { at, problem }
}

fn wrong_type(at: Location, field: &'static str, found: &Payload<'_>, expected: u8) -> DecodeError {
    wire(
        at,
        WireProblem::WrongWireType {
            field,
            found: found.wire_type(),
            expected,
        },
    )
}

fn expect_bytes<'a>(
    at: Location,
    payload: Payload<'a>,
    field: &'static str,
) -> Result<&'a [u8], DecodeError> {
    match payload {
        Payload::Bytes(b) => Ok(b),
        other => Err(wrong_type(at, field, &other, pbf::LEN)),
    }
}

fn expect_varint(
    at: Location,
    payload: Payload<'_>,
    field: &'static str,
) -> Result<u64, DecodeError> {
    match payload {
        Payload::Varint(v) => Ok(v),
        other => Err(wrong_type(at, field, &other, pbf::VARINT)),
    }
}

fn expect_string(
    at: Location,
    payload: Payload<'_>,
    field: &'static str,
) -> Result<String, DecodeError> {
    let bytes = expect_bytes(at, payload, field)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::InvalidUtf8 { at, field })
}

fn decode_layer(bytes: &[u8], layer: usize) -> Result<Layer, DecodeError> {
    let at = Location::Layer { layer };
    let mut reader = Reader::new(bytes);
    let mut version = None;
    let mut name = None;
    let mut extent = None;
    let mut feature_bytes = Vec::new();
    let mut keys = Vec::new();
    let mut values = Vec::new();
    while !reader.is_done() {
        let (field, payload) = reader.field().map_err(|problem| wire(at, problem))?;
        match field {
            1 => name = Some(expect_string(at, payload, "name")?),
            2 => feature_bytes.push(expect_bytes(at, payload, "features")?),
            3 => keys.push(expect_string(at, payload, "keys")?),
            4 => {
                let value_at = Location::Value {
                    layer,
                    value: values.len(),
                };
                let value_bytes = expect_bytes(at, payload, "values")?;
                values.push(decode_value(value_bytes, value_at)?);
            }
            5 => extent = Some(expect_varint(at, payload, "extent")?),
            15 => version = Some(expect_varint(at, payload, "version")?),
            _ => {}
        }
    }
    let version = version.ok_or(DecodeError::MissingField {
        at,
        field: "version",
    })?;
    let version = match version {
        1 | 2 => version as u32,
        _ => return Err(DecodeError::UnsupportedVersion { at, version }),
    };
    let name = name.ok_or(DecodeError::MissingField { at, field: "name" })?;
    let extent = extent.unwrap_or(4096);
    let extent = u32::try_from(extent)
        .ok()
        .filter(|e| *e > 0)
        .ok_or(DecodeError::InvalidExtent { at, extent })?;
    let features = feature_bytes
        .into_iter()
        .enumerate()
        .map(|(feature, bytes)| {
            decode_feature(bytes, Location::Feature { layer, feature }, &keys, &values)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Layer {
        name,
        version,
        extent,
        features,
    })
}

fn decode_value(bytes: &[u8], at: Location) -> Result<Value, DecodeError> {
    let mut reader = Reader::new(bytes);
    let mut value = None;
    while !reader.is_done() {
        let (field, payload) = reader.field().map_err(|problem| wire(at, problem))?;
        let decoded = match (field, payload) {
            (1, Payload::Bytes(b)) => {
                Value::String(String::from_utf8(b.to_vec()).map_err(|_| {
                    DecodeError::InvalidUtf8 {
                        at,
                        field: "string_value",
                    }
                })?)
            }
            (2, Payload::Fixed32(bits)) => Value::Float(f32::from_bits(bits)),
            (3, Payload::Fixed64(bits)) => Value::Double(f64::from_bits(bits)),
            (4, Payload::Varint(v)) => Value::Int(v as i64),
            (5, Payload::Varint(v)) => Value::UInt(v),
            (6, Payload::Varint(v)) => Value::SInt(unzigzag64(v)),
            (7, Payload::Varint(v)) => Value::Bool(v != 0),
            (1..=7, other) => {
                let (name, expected) = match field {
                    1 => ("string_value", pbf::LEN),
                    2 => ("float_value", pbf::FIXED32),
                    3 => ("double_value", pbf::FIXED64),
                    4 => ("int_value", pbf::VARINT),
                    5 => ("uint_value", pbf::VARINT),
                    6 => ("sint_value", pbf::VARINT),
                    _ => ("bool_value", pbf::VARINT),
                };
                return Err(wrong_type(at, name, &other, expected));
            }
            (field, _) => {
                return Err(DecodeError::Value {
                    at,
                    problem: ValueProblem::UnknownField { field },
                });
            }
        };
        if value.replace(decoded).is_some() {
            return Err(DecodeError::Value {
                at,
                problem: ValueProblem::Several,
            });
        }
    }
    value.ok_or(DecodeError::Value {
        at,
        problem: ValueProblem::Empty,
    })
}

fn decode_feature(
    bytes: &[u8],
    at: Location,
    keys: &[String],
    values: &[Value],
) -> Result<Feature, DecodeError> {
    let mut reader = Reader::new(bytes);
    let mut id = None;
    let mut geom_type = 0;
    let mut tags = Vec::new();
    let mut geometry = Vec::new();
    while !reader.is_done() {
        let (field, payload) = reader.field().map_err(|problem| wire(at, problem))?;
        match field {
            1 => id = Some(expect_varint(at, payload, "id")?),
            2 => read_uint32s(payload, "tags", &mut tags).map_err(|p| wire(at, p))?,
            3 => geom_type = expect_varint(at, payload, "type")?,
            4 => read_uint32s(payload, "geometry", &mut geometry).map_err(|p| wire(at, p))?,
            _ => {}
        }
    }
    if tags.len() % 2 != 0 {
        return Err(DecodeError::OddTags {
            at,
            len: tags.len(),
        });
    }
    let mut properties = BTreeMap::new();
    for pair in tags.chunks_exact(2) {
        let key = keys
            .get(pair[0] as usize)
            .ok_or(DecodeError::TagOutOfRange {
                at,
                table: "key",
                index: pair[0],
                len: keys.len(),
            })?;
        let value = values
            .get(pair[1] as usize)
            .ok_or(DecodeError::TagOutOfRange {
                at,
                table: "value",
                index: pair[1],
                len: values.len(),
            })?;
        properties.insert(key.clone(), value.clone());
    }
    let geom_type = GeomType::from_u64(geom_type).ok_or(DecodeError::UnknownGeomType {
        at,
        value: geom_type,
    })?;
    let geometry = decode_commands(geom_type, &geometry)
        .map_err(|problem| DecodeError::Geometry { at, problem })?;
    Ok(Feature {
        id,
        geometry,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_buffer_is_an_empty_tile() {
        assert_eq!(decode(&[]), Ok(Tile::default()));
    }

    #[test]
    fn errors_name_the_place() {
        // Layer 0 with version 2, name "a", one feature whose geometry uses command 5.
        let bytes = [
            0x1a, 0x0e, 0x78, 0x02, 0x0a, 0x01, b'a', 0x12, 0x07, 0x18, 0x01, 0x22, 0x03, 0x0d,
            0x02, 0x02,
        ];
        assert_eq!(
            decode(&bytes).unwrap_err().to_string(),
            "layer 0 feature 0: geometry command 5 at integer 0 is unknown"
        );
    }

    #[test]
    fn never_panics_on_truncations_and_bit_flips() {
        let bytes: Vec<u8> = vec![
            0x1a, 0x20, 0x78, 0x02, 0x0a, 0x01, b'a', 0x12, 0x0b, 0x08, 0x01, 0x12, 0x02, 0x00,
            0x00, 0x18, 0x03, 0x22, 0x00, 0x1a, 0x01, b'k', 0x22, 0x02, 0x38, 0x01, 0x28, 0x80,
            0x20, 0x12, 0x00, 0x7a, 0x00,
        ];
        for len in 0..=bytes.len() {
            let _ = decode(&bytes[..len]);
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                let _ = decode(&flipped);
            }
        }
    }
}
