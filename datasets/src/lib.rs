//! AIS decoding, file importers and the demo scenario for coastwatch.

pub mod ais;
#[cfg(feature = "gdal")]
pub mod dem;
pub mod export;
#[cfg(feature = "gdal")]
pub mod import;
pub mod scenario;
