//! Files in and out of coastwatch: layers imported from GeoJSON, GeoPackage, Shapefile or CSV
//! through GDAL ([`import`]), elevation models read and written ([`dem`]), and the stored fixes
//! exported as GeoParquet ([`geoparquet`]).

pub mod dem;
pub mod geoparquet;
pub mod import;
