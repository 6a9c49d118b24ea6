//! GDAL's work for coastwatch: layers imported from anything OGR opens ([`import`]), DEMs
//! read and written ([`dem`]), and the helper process `coastwatch-gdal` ([`helper`]) that
//! does it for `coastwatch`, which does not link GDAL (see `coastwatch_io::Helper`).

pub mod dem;
pub mod helper;
pub mod import;

/// GDAL's own message, without the Rust binding's wrapping.
fn gdal_reason(error: gdal::errors::GdalError) -> String {
    use gdal::errors::GdalError;
    match error {
        GdalError::NullPointer { msg, .. } | GdalError::CplError { msg, .. } if !msg.is_empty() => {
            msg
        }
        GdalError::NullPointer { .. } => "GDAL gave no reason".to_owned(),
        other => other.to_string(),
    }
}
