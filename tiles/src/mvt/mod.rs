//! Mapbox Vector Tiles (spec 2.1): a clipping, simplifying encoder for lon/lat
//! features and a strict decoder, with a hand-written protobuf layer.

mod clip;
mod command;
mod decode;
mod encode;
mod error;
mod geometry;
mod pbf;
mod simplify;
mod value;

/// MVT geometry commands (`MoveTo`, `LineTo`, `ClosePath`).
pub use command::Command;
/// Decoding a tile into layers, features, geometry and properties.
pub use decode::{Feature, Layer, Tile, decode};
/// Encoding lon/lat features into a tile.
pub use encode::{EncodeOptions, LayerBuilder, Tables, TileEncoder};
/// Decoding and encoding errors with their locations.
pub use error::{DecodeError, EncodeError, GeometryProblem, Location, ValueProblem, WireProblem};
/// Geometry in integer tile coordinates.
pub use geometry::{GeomType, TileGeometry, TilePolygon, ring_area2};
/// Typed property values.
pub use value::Value;
