//! Tile math, Mapbox Vector Tiles and TileJSON for coastwatch.
//!
//! - [`coord`]: validated [`Zoom`] and XYZ [`TileCoord`] with bounds and TMS flips.
//! - [`mercator`]: lon/lat degrees ↔ Web Mercator metres.
//! - [`mvt`]: a clipping, simplifying encoder for lon/lat features and a strict decoder.
//! - [`tilejson`]: TileJSON 3.0.0 documents.
//!
//! The crate does no I/O.

pub mod coord;
mod error;
pub mod mercator;
pub mod mvt;
pub mod tilejson;

/// Validated zoom levels and tile coordinates.
pub use coord::{TileCoord, TileCoordError, Zoom};
/// The crate error and result alias.
pub use error::{Error, Result};
/// Web Mercator projection.
pub use mercator::{lon_lat_to_mercator_m, mercator_m_to_lon_lat};
