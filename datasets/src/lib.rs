//! AIS decoding, file importers and the demo scenario for coastwatch.

pub mod ais;
pub mod export;
#[cfg(feature = "gdal")]
pub mod import;
