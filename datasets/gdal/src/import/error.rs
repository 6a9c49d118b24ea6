//! The error type of the importer.

use std::path::PathBuf;

use coastwatch_core::Layer;

/// Why a file could not be imported at all.
///
/// A feature that cannot be imported is not an error: it is a
/// [`Reject`](super::Reject) in the [`ImportReport`](super::ImportReport).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file does not exist.
    #[error("no such file: {}", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// GDAL cannot open the file as a vector dataset (unknown format, broken content).
    #[error("cannot open {} as a vector dataset: {reason}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// GDAL's message.
        reason: String,
    },
    /// The dataset holds no vector layer.
    #[error("{} has no vector layer", path.display())]
    NoLayer {
        /// The file.
        path: PathBuf,
    },
    /// The source layer asked for does not exist.
    #[error("{} has no layer {name:?}; available layers: {}", path.display(), available.join(", "))]
    UnknownSourceLayer {
        /// The file.
        path: PathBuf,
        /// The layer name asked for.
        name: String,
        /// The layers the file has.
        available: Vec<String>,
    },
    /// The source layer's coordinate reference system cannot be transformed to EPSG:4326.
    #[error("layer {source_layer:?} of {}: unknown coordinate reference system {crs}: {reason}", path.display())]
    UnknownCrs {
        /// The file.
        path: PathBuf,
        /// The source layer.
        source_layer: String,
        /// The CRS as the file names it.
        crs: String,
        /// GDAL's message.
        reason: String,
    },
    /// The field map names a target field the layer does not have.
    #[error("field map: {layer} has no field {field:?}; its fields are: {}", field_names(*layer))]
    UnknownTargetField {
        /// The layer imported into.
        layer: Layer,
        /// The target name in the field map.
        field: String,
    },
    /// The field map names a source field the file does not have.
    #[error(
        "field map: layer {source_layer:?} of {} has no field {field:?}; its fields are: {}",
        path.display(),
        available.join(", ")
    )]
    UnknownSourceField {
        /// The file.
        path: PathBuf,
        /// The source layer.
        source_layer: String,
        /// The source name in the field map.
        field: String,
        /// The fields the source layer has.
        available: Vec<String>,
    },
}

fn field_names(layer: Layer) -> String {
    layer
        .fields()
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}
