//! Errors of MVT decoding and encoding, each saying what is wrong and where.

use std::fmt;

use thiserror::Error;

use super::command::Command;
use super::geometry::GeomType;
pub use super::pbf::WireProblem;

/// Where in a tile a decoding problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// The top-level `Tile` message.
    Tile,
    /// A layer, by position in the tile.
    Layer {
        /// Index of the layer.
        layer: usize,
    },
    /// A feature, by position in its layer.
    Feature {
        /// Index of the layer.
        layer: usize,
        /// Index of the feature in the layer.
        feature: usize,
    },
    /// An entry of a layer's `values` table.
    Value {
        /// Index of the layer.
        layer: usize,
        /// Index in the layer's values table.
        value: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Tile => f.write_str("tile"),
            Location::Layer { layer } => write!(f, "layer {layer}"),
            Location::Feature { layer, feature } => write!(f, "layer {layer} feature {feature}"),
            Location::Value { layer, value } => write!(f, "layer {layer} value {value}"),
        }
    }
}

/// What is wrong with a feature's geometry command stream.
///
/// Positions are indexes into the feature's `geometry` integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GeometryProblem {
    /// A command id other than 1, 2 or 7.
    #[error("command {id} at integer {index} is unknown")]
    UnknownCommand {
        /// The command id (low three bits).
        id: u32,
        /// Position of the command integer.
        index: usize,
    },
    /// A count that needs more parameters than the geometry has left.
    #[error("{command} at integer {index} has count {count} but only {remaining} integers follow")]
    CountTooLarge {
        /// The command.
        command: Command,
        /// Its count.
        count: usize,
        /// Position of the command integer.
        index: usize,
        /// Integers left after the command integer.
        remaining: usize,
    },
    /// A count the grammar does not allow for this command.
    #[error("{command} at integer {index} has count {count}, expected {expected}")]
    WrongCount {
        /// The command.
        command: Command,
        /// Its count.
        count: usize,
        /// Position of the command integer.
        index: usize,
        /// The allowed counts, in words.
        expected: &'static str,
    },
    /// A command the grammar does not allow at this point.
    #[error("{command} at integer {index} is out of place in a {geom_type} geometry")]
    Unexpected {
        /// The command.
        command: Command,
        /// Position of the command integer.
        index: usize,
        /// The feature's geometry type.
        geom_type: GeomType,
    },
    /// The integers end before a line or ring is complete.
    #[error("ends at integer {index} in the middle of a {geom_type} part")]
    Incomplete {
        /// Position where more was expected.
        index: usize,
        /// The feature's geometry type.
        geom_type: GeomType,
    },
    /// A polygon ring with fewer than three vertices.
    #[error("ring at integer {index} has {vertices} vertices, needs at least 3")]
    RingTooShort {
        /// Position of the ring's `MoveTo`.
        index: usize,
        /// Vertices the ring has.
        vertices: usize,
    },
}

/// What is wrong with an entry of a layer's `values` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// None of the seven value fields is present.
    #[error("has no value field")]
    Empty,
    /// More than one value field is present.
    #[error("has more than one value field")]
    Several,
    /// A field number the spec does not define for `Value`.
    #[error("has unknown field {field}")]
    UnknownField {
        /// The field number.
        field: u64,
    },
}

/// Why a tile could not be decoded.
///
/// ```
/// let err = coastwatch_tiles::mvt::decode(&[0x1a, 0x02, 0x0a, 0x05]).unwrap_err();
/// assert_eq!(err.to_string(), "layer 0: message is truncated");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The protobuf encoding itself is broken.
    #[error("{at}: {problem}")]
    Wire {
        /// Where.
        at: Location,
        /// What.
        problem: WireProblem,
    },
    /// A field the spec requires is absent.
    #[error("{at}: required field {field} is missing")]
    MissingField {
        /// Where.
        at: Location,
        /// The field's name in `vector_tile.proto`.
        field: &'static str,
    },
    /// A layer version other than 1 or 2.
    #[error("{at}: version {version} is not supported (expected 1 or 2)")]
    UnsupportedVersion {
        /// Where.
        at: Location,
        /// The version found.
        version: u64,
    },
    /// A layer extent of zero or above `u32::MAX`.
    #[error("{at}: extent {extent} is invalid")]
    InvalidExtent {
        /// Where.
        at: Location,
        /// The extent found.
        extent: u64,
    },
    /// A string field that is not UTF-8.
    #[error("{at}: field {field} is not valid utf-8")]
    InvalidUtf8 {
        /// Where.
        at: Location,
        /// The field's name in `vector_tile.proto`.
        field: &'static str,
    },
    /// Two layers share a name.
    #[error("{at}: name {name:?} repeats the name of layer {first}")]
    DuplicateLayerName {
        /// Where (the second layer).
        at: Location,
        /// The repeated name.
        name: String,
        /// Index of the first layer with this name.
        first: usize,
    },
    /// A malformed entry of the values table.
    #[error("{at}: {problem}")]
    Value {
        /// Where.
        at: Location,
        /// What.
        problem: ValueProblem,
    },
    /// A tags list of odd length.
    #[error("{at}: tags has odd length {len}")]
    OddTags {
        /// Where.
        at: Location,
        /// Number of tag integers.
        len: usize,
    },
    /// A tag that points past the end of the keys or values table.
    #[error("{at}: tag refers to {table} {index} but the layer has {len}")]
    TagOutOfRange {
        /// Where.
        at: Location,
        /// `"key"` or `"value"`.
        table: &'static str,
        /// The index in the tag.
        index: u32,
        /// Length of the table.
        len: usize,
    },
    /// A geometry type number the spec does not define.
    #[error("{at}: geometry type {value} is unknown")]
    UnknownGeomType {
        /// Where.
        at: Location,
        /// The number found.
        value: u64,
    },
    /// A malformed geometry command stream.
    #[error("{at}: geometry {problem}")]
    Geometry {
        /// Where.
        at: Location,
        /// What.
        problem: GeometryProblem,
    },
}

/// Why a feature could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A geometry collection mixes points, lines and polygons, which one MVT feature
    /// cannot hold.
    #[error("layer {layer:?}: geometry collection mixes {first} and {second} geometries")]
    MixedCollection {
        /// The layer name.
        layer: String,
        /// The first geometry type found.
        first: GeomType,
        /// The conflicting type.
        second: GeomType,
    },
}
