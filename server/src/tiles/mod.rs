//! Tiles without HTTP: the builder ([`build_tile`]), the cache of static tiles ([`cache`]), the
//! static layers held in memory to build them from ([`index`]) and the MBTiles/PMTiles
//! archives of `coastwatch tiles export` ([`archive`]).

pub mod archive;
pub mod cache;
pub mod index;
mod source;

pub use source::{BUFFER_FRACTION, TileLimits, TooLarge, build_tile, build_tile_within};
