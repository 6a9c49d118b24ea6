//! Importing layers from files through GDAL/OGR, in the helper process.
//!
//! [`read_layer`] reads a GeoJSON, GeoPackage, Shapefile or CSV file (anything OGR opens),
//! reprojects it to WGS84 lon/lat, maps its fields onto a [`Layer`]'s fields and validates
//! every feature. Features that break a rule do not stop the import: they come back as
//! [`Reject`]s in the [`ImportReport`], and the caller decides whether to store the valid
//! ones or nothing.
//!
//! - [`ImportError`]: the file cannot be imported at all.
//! - `value`: conversion of OGR field values to the JSON types the layer wants.
//! - `geometry`: reprojection and OGR geometry to `geo` conversion.

mod error;
mod geometry;
mod value;

pub use error::ImportError;

use std::collections::BTreeMap;
use std::path::Path;

use coastwatch_core::layer::Field;
use coastwatch_core::{Feature, Layer};
use coastwatch_io::import::{ImportOptions, ImportReport, PROGRESS_EVERY, Reject};
use gdal::vector::LayerAccess;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use serde_json::Map;

use crate::gdal_reason;

/// CSV open options: take the position from lon/lat columns and drop those columns from
/// the attributes.
///
/// The other columns stay text and are typed here, by the layer's schema. GDAL's
/// `AUTODETECT_TYPE=YES` is not used: it turns a value that does not fit the guessed type
/// into null with only a warning (GDAL 3.6 guesses boolean for `no,no,maybe`), so a bad
/// value would silently become a default instead of a reject, and codes such as `007`
/// would lose their zeros.
const CSV_OPEN_OPTIONS: &[&str] = &[
    "X_POSSIBLE_NAMES=lon,longitude,x",
    "Y_POSSIBLE_NAMES=lat,latitude,y",
    "KEEP_GEOM_COLUMNS=NO",
    "AUTODETECT_TYPE=NO",
];

/// Reads the file at `path` into features of `layer`.
///
/// Opens whatever OGR opens (GeoJSON, GeoPackage, Shapefile, CSV with lon/lat columns, …),
/// reads `options.source_layer` (default: the layer named like `layer`, else the first), reprojects to EPSG:4326 lon/lat when the
/// source has another CRS (a source without CRS is taken as lon/lat), converts the fields to
/// the types the layer wants and validates every feature.
///
/// # Errors
/// [`ImportError`] when the file is missing or unreadable, the source layer or a field of
/// the field map does not exist, or the source CRS cannot be transformed. Invalid features
/// are not errors: they are [`ImportReport::rejects`].
pub fn read_layer(
    path: &Path,
    layer: Layer,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let dataset = open(path)?;
    let mut source = pick_layer(&dataset, path, options.source_layer.as_deref(), layer)?;
    let source_name = source.name();
    let transform = geometry::to_wgs84(&source, path)?;
    let source_fields: Vec<String> = source.defn().fields().map(|f| f.name()).collect();
    let plan = FieldPlan::new(
        layer,
        &source_fields,
        &options.field_map,
        path,
        &source_name,
    )?;

    let total = source
        .try_feature_count()
        .unwrap_or_else(|| source.feature_count());
    let total = if total == u64::MAX { 0 } else { total };
    tracing::info!(path = %path.display(), source_layer = %source_name, total, %layer, "importing");

    let mut report = ImportReport {
        ignored_fields: plan.ignored.clone(),
        ..ImportReport::default()
    };
    let progress = |done: usize| {
        if let Some(progress) = &options.progress {
            progress(done as u64, total.max(done as u64));
        }
    };
    for (index, feature) in source.features().enumerate() {
        let feature_number = index + 1;
        let imported = plan
            .properties(&feature)
            .and_then(|properties| {
                let geometry = geometry::read(&feature, transform.as_ref(), layer)?;
                Ok(Feature {
                    id: None,
                    geometry,
                    properties,
                })
            })
            .and_then(|feature| layer.validate(feature).map_err(|e| e.to_string()));
        match imported {
            Ok(feature) => report.features.push(feature),
            Err(reason) => report.rejects.push(Reject {
                feature_number,
                reason,
            }),
        }
        report.read = feature_number;
        if feature_number % PROGRESS_EVERY == 0 {
            progress(feature_number);
        }
    }
    progress(report.read);
    tracing::info!(
        read = report.read,
        rejects = report.rejects.len(),
        "import read"
    );
    Ok(report)
}

fn open(path: &Path) -> Result<Dataset, ImportError> {
    let virtual_path = path.to_str().is_some_and(|p| p.starts_with("/vsi"));
    if !virtual_path && !path.exists() {
        return Err(ImportError::NotFound {
            path: path.to_owned(),
        });
    }
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
        open_options: is_csv.then_some(CSV_OPEN_OPTIONS),
        ..DatasetOptions::default()
    };
    Dataset::open_ex(path, options).map_err(|e| {
        let mut reason = gdal_reason(e);
        if let Some(syntax) = json_syntax_error(path) {
            reason = format!("{reason} ({syntax})");
        }
        ImportError::Open {
            path: path.to_owned(),
            reason,
        }
    })
}

/// Where a `.geojson`/`.json` file stops being JSON: GDAL's last message only says that
/// it failed.
fn json_syntax_error(path: &Path) -> Option<String> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json"));
    let file = std::fs::File::open(path).ok().filter(|_| is_json)?;
    serde_json::from_reader::<_, serde::de::IgnoredAny>(std::io::BufReader::new(file))
        .err()
        .map(|e| e.to_string())
}

/// The source layer asked for; without a name, the one named like the target layer (an
/// export of ours holds every layer), else the first.
fn pick_layer<'a>(
    dataset: &'a Dataset,
    path: &Path,
    name: Option<&str>,
    target: Layer,
) -> Result<gdal::vector::Layer<'a>, ImportError> {
    let available = || dataset.layers().map(|l| l.name()).collect::<Vec<_>>();
    match name {
        Some(name) => dataset
            .layer_by_name(name)
            .map_err(|_| ImportError::UnknownSourceLayer {
                path: path.to_owned(),
                name: name.to_owned(),
                available: available(),
            }),
        None if dataset.layer_count() == 0 => Err(ImportError::NoLayer {
            path: path.to_owned(),
        }),
        None => dataset
            .layer_by_name(target.name())
            .or_else(|_| dataset.layer(0))
            .map_err(|_| ImportError::NoLayer {
                path: path.to_owned(),
            }),
    }
}

/// Which source field feeds which field of the layer.
struct FieldPlan {
    /// (source field index, source field name, target field).
    columns: Vec<(usize, String, &'static Field)>,
    /// Source fields that feed nothing.
    ignored: Vec<String>,
}

impl FieldPlan {
    fn new(
        layer: Layer,
        source_fields: &[String],
        field_map: &BTreeMap<String, String>,
        path: &Path,
        source_layer: &str,
    ) -> Result<Self, ImportError> {
        let find = |name: &str, taken: &[usize]| {
            let free = |i: &usize| !taken.contains(i);
            (0..source_fields.len())
                .filter(free)
                .find(|&i| source_fields[i] == name)
                .or_else(|| {
                    (0..source_fields.len())
                        .filter(free)
                        .find(|&i| source_fields[i].eq_ignore_ascii_case(name))
                })
        };
        let mut mapped = Vec::new();
        for (target, source) in field_map {
            let field = layer
                .field(target)
                .ok_or_else(|| ImportError::UnknownTargetField {
                    layer,
                    field: target.clone(),
                })?;
            let index = find(source, &[]).ok_or_else(|| ImportError::UnknownSourceField {
                path: path.to_owned(),
                source_layer: source_layer.to_owned(),
                field: source.clone(),
                available: source_fields.to_vec(),
            })?;
            mapped.push((index, field));
        }
        let mut taken: Vec<usize> = mapped.iter().map(|(i, _)| *i).collect();
        let mut columns = Vec::new();
        for field in layer.fields() {
            let index = match mapped.iter().find(|(_, f)| f.name == field.name) {
                Some((index, _)) => Some(*index),
                None => find(field.name, &taken).inspect(|&i| taken.push(i)),
            };
            if let Some(index) = index {
                columns.push((index, source_fields[index].clone(), field));
            }
        }
        let ignored = (0..source_fields.len())
            .filter(|i| !taken.contains(i))
            .map(|i| source_fields[i].clone())
            .collect();
        Ok(Self { columns, ignored })
    }

    /// The feature's attributes under the layer's field names, typed as the layer wants.
    fn properties(
        &self,
        feature: &gdal::vector::Feature<'_>,
    ) -> Result<Map<String, serde_json::Value>, String> {
        let mut properties = Map::new();
        for (index, source, field) in &self.columns {
            let what = || {
                if source == field.name {
                    field.name.to_owned()
                } else {
                    format!("{} (from {source})", field.name)
                }
            };
            let raw = feature.field(*index);
            let Some(raw) = raw.map_err(|e| format!("{}: {}", what(), gdal_reason(e)))? else {
                continue;
            };
            if let Some(value) =
                value::convert(raw, field.ty).map_err(|e| format!("{}: {e}", what()))?
            {
                properties.insert(field.name.to_owned(), value);
            }
        }
        Ok(properties)
    }
}
