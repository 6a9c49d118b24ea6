//! The stored fixes as GeoParquet 1.1 for analysts (Apache Sedona, DuckDB, GeoPandas): one
//! file per UTC day, `DIR/date=YYYY-MM-DD/positions.parquet` (Hive partitions), each with the
//! columns `subject_kind`, `subject_id`, `t` (UTC, µs), `speed_mps`, `course_deg`,
//! `heading_deg` and `geometry` (WKB points in OGC:CRS84, the spec's default), and the `geo`
//! metadata with the day's bounding box. The store is read a day at a time, and each file is
//! written beside its place and renamed into it, so an export cut short leaves no partial file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};
use coastwatch_store::{Position, Store, StoreError};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde_json::json;

/// Seconds in a day.
const DAY_S: f64 = 86_400.0;
/// Rows per record batch written.
const BATCH_ROWS: usize = 65_536;
/// The file each day's folder holds.
pub const DAY_FILE: &str = "positions.parquet";

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The store could not be read.
    #[error("reading the fixes: {0}")]
    Store(#[from] StoreError),
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Parquet refused what it was given.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] ParquetError),
    /// Arrow refused what it was given.
    #[error("building the columns: {0}")]
    Arrow(#[from] ArrowError),
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exported {
    /// The files, one per day with fixes, in time order.
    pub files: Vec<PathBuf>,
    /// The fixes written.
    pub rows: u64,
}

/// Writes every fix of `store` under `dir`, a file per UTC day.
pub async fn export_positions(store: &dyn Store, dir: &Path) -> Result<Exported, ExportError> {
    let mut exported = Exported::default();
    let Some((first, last)) = store.positions_span().await? else {
        return Ok(exported);
    };
    let mut day = (first / DAY_S).floor();
    while day * DAY_S <= last {
        let positions = store
            .positions_between(day * DAY_S, (day + 1.0) * DAY_S)
            .await?;
        if !positions.is_empty() {
            let folder = dir.join(format!("date={}", utc_date(day as i64)));
            let io = |path: &Path| {
                let path = path.to_path_buf();
                move |source| ExportError::Io { path, source }
            };
            std::fs::create_dir_all(&folder).map_err(io(&folder))?;
            let path = folder.join(DAY_FILE);
            let partial = folder.join(format!("{DAY_FILE}.partial"));
            let file = std::fs::File::create(&partial).map_err(io(&partial))?;
            write_day(file, &positions)?;
            std::fs::rename(&partial, &path).map_err(io(&path))?;
            exported.rows += positions.len() as u64;
            exported.files.push(path);
        }
        day += 1.0;
    }
    Ok(exported)
}

/// The columns of a positions file, with its `geo` metadata (also in the Arrow schema: a
/// reader of the whole folder takes a file's schema as the dataset's).
fn schema(geo: &str) -> Schema {
    let float = |name: &str| Field::new(name, DataType::Float64, true);
    Schema::new(vec![
        Field::new("subject_kind", DataType::Utf8, false),
        Field::new("subject_id", DataType::Utf8, false),
        Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        float("speed_mps"),
        float("course_deg"),
        float("heading_deg"),
        Field::new("geometry", DataType::Binary, false),
    ])
    .with_metadata(HashMap::from([("geo".to_owned(), geo.to_owned())]))
}

/// The GeoParquet metadata of fixes within `bbox` (`[min lon, min lat, max lon, max lat]`).
fn geo_metadata(bbox: [f64; 4]) -> String {
    json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["Point"],
                "bbox": bbox,
            }
        }
    })
    .to_string()
}

/// A point as WKB, little-endian.
fn wkb_point(lon: f64, lat: f64) -> [u8; 21] {
    let mut wkb = [0u8; 21];
    wkb[0] = 1;
    wkb[1..5].copy_from_slice(&1u32.to_le_bytes());
    wkb[5..13].copy_from_slice(&lon.to_le_bytes());
    wkb[13..21].copy_from_slice(&lat.to_le_bytes());
    wkb
}

/// Writes one day's `positions` as a GeoParquet file.
fn write_day(file: std::fs::File, positions: &[Position]) -> Result<(), ExportError> {
    let bbox = positions.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, p| {
            [
                b[0].min(p.lon),
                b[1].min(p.lat),
                b[2].max(p.lon),
                b[3].max(p.lat),
            ]
        },
    );
    let geo = geo_metadata(bbox);
    let schema = Arc::new(schema(&geo));
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(vec![KeyValue::new("geo".to_owned(), geo)]))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
    for chunk in positions.chunks(BATCH_ROWS) {
        let mut kind = StringBuilder::new();
        let mut id = StringBuilder::new();
        let mut t = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        let (mut speed, mut course, mut heading) = (
            Float64Builder::new(),
            Float64Builder::new(),
            Float64Builder::new(),
        );
        let mut geometry = BinaryBuilder::new();
        for p in chunk {
            kind.append_value(p.kind.as_str());
            id.append_value(&p.subject_id);
            t.append_value((p.t_epoch_s * 1e6).round() as i64);
            speed.append_option(p.speed_mps);
            course.append_option(p.course_deg);
            heading.append_option(p.heading_deg);
            geometry.append_value(wkb_point(p.lon, p.lat));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(kind.finish()),
            Arc::new(id.finish()),
            Arc::new(t.finish()),
            Arc::new(speed.finish()),
            Arc::new(course.finish()),
            Arc::new(heading.finish()),
            Arc::new(geometry.finish()),
        ];
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
    }
    writer.close()?;
    Ok(())
}

/// The UTC date (`YYYY-MM-DD`) of day `days` since 1970-01-01.
fn utc_date(days: i64) -> String {
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .map_or_else(|_| format!("day{days}"), |date| date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_named_by_their_utc_date() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(59), "1970-03-01");
        assert_eq!(utc_date(11_016), "2000-02-29");
        // 2026-12-07T00:00:00Z is 1,796,601,600 s
        assert_eq!(utc_date(1_796_601_600 / 86_400), "2026-12-07");
        assert_eq!(utc_date(-1), "1969-12-31");
    }

    #[test]
    fn a_point_is_21_bytes_of_little_endian_wkb() {
        let wkb = wkb_point(121.5, 29.6);
        assert_eq!(&wkb[..5], &[1, 1, 0, 0, 0]);
        assert_eq!(f64::from_le_bytes(wkb[5..13].try_into().unwrap()), 121.5);
        assert_eq!(f64::from_le_bytes(wkb[13..21].try_into().unwrap()), 29.6);
    }
}
