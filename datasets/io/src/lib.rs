//! Files in and out of coastwatch: layers imported from GeoJSON, GeoPackage, Shapefile or CSV
//! ([`import`]) and elevation models read ([`dem`]), both by the GDAL helper process
//! `coastwatch-gdal` ([`Helper`]), and the stored fixes exported as GeoParquet
//! ([`geoparquet`]).
//!
//! This crate does not link GDAL; `coastwatch-gdal` does, and answers in the formats
//! defined here.

pub mod dem;
pub mod geoparquet;
mod helper;
pub mod import;
mod wire;

pub use helper::{HELPER_ENV, HELPER_NAME, Helper, HelperError, REFUSED_STATUS};
