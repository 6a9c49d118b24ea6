//! Files in and out of coastwatch through GDAL: layers imported from GeoJSON, GeoPackage,
//! Shapefile or CSV ([`import`]), and elevation models read and written ([`dem`]).

pub mod dem;
pub mod import;
