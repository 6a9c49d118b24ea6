//! `coastwatch import` and `coastwatch export`: layers in and out of a store.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use coastwatch_core::Layer;
use coastwatch_core::geodesy::gcj02::Datum;
use coastwatch_io::Helper;
use coastwatch_io::import::{ImportOptions, read_layer};
use coastwatch_store::{GeoPackageStore, Query, Store};
use geo::MapCoordsInPlace;

use super::{CliError, CliResult, ExportFormat, StoreArg, open_store};

/// How `import` maps and filters.
pub struct ImportArgs {
    /// `TARGET=SOURCE` field pairs.
    pub field_map: Vec<String>,
    /// The layer of a multi-layer source.
    pub source_layer: Option<String>,
    /// Store the valid features even when some are rejected.
    pub skip_invalid: bool,
    /// The datum of the source's coordinates.
    pub crs: Datum,
}

/// Imports `file` into `layer`: all or nothing unless `skip_invalid`.
pub async fn import(layer: Layer, file: &Path, store: &StoreArg, args: ImportArgs) -> CliResult {
    let mut options = ImportOptions {
        source_layer: args.source_layer,
        ..ImportOptions::default()
    };
    for pair in &args.field_map {
        let (target, source) = pair
            .split_once('=')
            .ok_or_else(|| CliError::input(format!("--map {pair:?} must be TARGET=SOURCE")))?;
        if layer.field(target).is_none() {
            return Err(CliError::input(format!(
                "--map {pair:?}: {layer} has no field {target:?}"
            )));
        }
        options
            .field_map
            .insert(target.to_owned(), source.to_owned());
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} features ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(format!("reading {}", file.display()));
    let progress_bar = bar.clone();
    options.progress = Some(Box::new(move |done, total| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    }));

    let store = open_store(store).await?;
    let started = Instant::now();
    let mut report = read_layer(&Helper::locate(), file, layer, &options)?;
    if args.crs != Datum::Wgs84 {
        for feature in &mut report.features {
            if let Some(geometry) = &mut feature.geometry {
                geometry.map_coords_in_place(|c| {
                    let [x, y] = args.crs.to_wgs84([c.x, c.y]);
                    geo::coord! { x: x, y: y }
                });
            }
        }
    }
    bar.finish_and_clear();
    for reject in &report.rejects {
        eprintln!(
            "{}: feature {}: {}",
            file.display(),
            reject.feature_number,
            reject.reason
        );
    }
    if !report.ignored_fields.is_empty() {
        eprintln!(
            "ignored source fields (use --map TARGET=SOURCE to keep one): {}",
            report.ignored_fields.join(", ")
        );
    }
    if !report.rejects.is_empty() && !args.skip_invalid {
        return Err(CliError::input(format!(
            "{} of {} features rejected; nothing imported (use --skip-invalid to import the {} valid ones)",
            report.rejects.len(),
            report.read,
            report.features.len()
        )));
    }
    let count = report.features.len();
    store
        .insert(layer, report.features)
        .await
        .map_err(|e| CliError::input(format!("{}: {e}", file.display())))?;
    store.close().await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {count} features into {layer} ({} rejected) in {seconds:.2} s ({:.0} features/s)",
        report.rejects.len(),
        count as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// Exports `layer` as GeoJSON (to `out` or standard output) or into a new GeoPackage.
pub async fn export(
    layer: Layer,
    format: ExportFormat,
    out: Option<&Path>,
    store: &StoreArg,
) -> CliResult {
    let store = open_store(store).await?;
    let features = store.query(layer, &Query::default()).await?;
    match format {
        ExportFormat::Geojson => match out {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let mut writer = std::io::BufWriter::new(file);
                coastwatch_core::geojson::write_geojson(&features, &mut writer)?;
                std::io::Write::flush(&mut writer)?;
            }
            None => {
                let mut stdout = std::io::stdout().lock();
                coastwatch_core::geojson::write_geojson(&features, &mut stdout)?;
            }
        },
        ExportFormat::Geoparquet => unreachable!("positions only: checked by the caller"),
        ExportFormat::Gpkg => {
            let path = out.ok_or_else(|| CliError::input("--format gpkg needs --out FILE.gpkg"))?;
            if path.exists() {
                return Err(CliError::input(format!(
                    "{} already exists; choose a new file",
                    path.display()
                )));
            }
            let target = GeoPackageStore::open(path).await?;
            target.insert(layer, features).await?;
            target.close().await;
        }
    }
    if let Some(path) = out {
        eprintln!("exported {layer} to {}", path.display());
    }
    Ok(())
}

/// `coastwatch export positions --format geoparquet --out DIR`: every stored fix, a GeoParquet
/// file per UTC day under `out`.
pub async fn export_positions(out: &Path, store: &StoreArg) -> CliResult {
    if out.is_file() {
        return Err(CliError::input(format!(
            "{} is a file; --out takes a folder",
            out.display()
        )));
    }
    let store = open_store(store).await?;
    let exported = coastwatch_io::geoparquet::export_positions(store.as_ref(), out).await;
    store.close().await;
    let exported = exported?;
    eprintln!(
        "exported {} fixes in {} daily files to {}",
        exported.rows,
        exported.files.len(),
        out.display()
    );
    Ok(())
}
