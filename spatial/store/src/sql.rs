//! SQL text and value conversion shared by the two backends.
//!
//! Table and column names come from [`Layer`]'s static schema, never from user input; every
//! value travels as a bound parameter.

use geo::{BoundingRect, Geometry};
use serde_json::{Map, Value};
use sqlx::types::Json;

use super::Query;
use coastwatch_core::layer::{Field, FieldType, Layer};
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, ModelError};

use crate::{StoreError, StoreResult};

/// The SQL flavour of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite in a GeoPackage: `?` parameters, GeoPackage geometry blobs, R*Tree index tables.
    GeoPackage,
    /// PostgreSQL with PostGIS: `$n` parameters, WKB through `ST_GeomFromWKB`/`ST_AsBinary`.
    Postgis,
}

impl Dialect {
    /// The placeholder of parameter number `n` (from 1).
    fn mark(self, n: usize) -> String {
        match self {
            Self::GeoPackage => "?".to_owned(),
            Self::Postgis => format!("${n}"),
        }
    }
}

/// A bound parameter value.
#[derive(Debug, Clone)]
pub(crate) enum SqlValue {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Json(Option<Json<Value>>),
    Blob(Option<Vec<u8>>),
}

/// SQL text under construction with its parameters.
pub(crate) struct Statement {
    dialect: Dialect,
    pub sql: String,
    pub params: Vec<SqlValue>,
}

impl Statement {
    pub fn new(dialect: Dialect, sql: impl Into<String>) -> Self {
        Self {
            dialect,
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn param(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        self.dialect.mark(self.params.len())
    }

    /// Adds a geometry parameter (already encoded for the dialect) and returns its SQL.
    pub fn geometry_param(&mut self, blob: Option<Vec<u8>>) -> String {
        let p = self.param(SqlValue::Blob(blob));
        match self.dialect {
            Dialect::GeoPackage => p,
            Dialect::Postgis => format!("ST_GeomFromWKB({p}, 4326)"),
        }
    }

    pub fn push(&mut self, text: &str) {
        self.sql.push_str(text);
    }
}

/// The column list of a layer, geometry and id first, as a SELECT list.
pub(crate) fn select_list(dialect: Dialect, layer: Layer) -> String {
    let geom = match dialect {
        Dialect::GeoPackage => "geom",
        Dialect::Postgis => "ST_AsBinary(geom)",
    };
    let mut list = format!("fid, {geom}");
    for field in layer.fields() {
        list.push_str(", ");
        list.push_str(field.name);
    }
    list
}

/// Appends ` WHERE …` for `query` to `stmt` (nothing when the query has no filter).
pub(crate) fn push_filters(
    stmt: &mut Statement,
    layer: Layer,
    query: &Query,
) -> Result<(), ModelError> {
    let mut conditions = Vec::new();
    if let Some(rect) = query.bbox {
        let (min, max) = (rect.min(), rect.max());
        let condition = match stmt.dialect {
            Dialect::GeoPackage => {
                let (a, b, c, d) = (
                    stmt.param(SqlValue::Real(Some(max.x))),
                    stmt.param(SqlValue::Real(Some(min.x))),
                    stmt.param(SqlValue::Real(Some(max.y))),
                    stmt.param(SqlValue::Real(Some(min.y))),
                );
                format!(
                    "fid IN (SELECT id FROM rtree_{layer}_geom WHERE minx <= {a} AND maxx >= {b} AND miny <= {c} AND maxy >= {d})"
                )
            }
            Dialect::Postgis => {
                let (a, b, c, d) = (
                    stmt.param(SqlValue::Real(Some(min.x))),
                    stmt.param(SqlValue::Real(Some(min.y))),
                    stmt.param(SqlValue::Real(Some(max.x))),
                    stmt.param(SqlValue::Real(Some(max.y))),
                );
                format!("geom && ST_MakeEnvelope({a}, {b}, {c}, {d}, 4326)")
            }
        };
        conditions.push(condition);
    }
    if let Some((from, to)) = query.time {
        let (start, end) = layer.time_fields().ok_or_else(|| {
            ModelError::invalid(
                "datetime",
                format!("{layer} has no time attribute to filter on"),
            )
        })?;
        let (from, to) = (
            stmt.param(SqlValue::Int(Some(from))),
            stmt.param(SqlValue::Int(Some(to))),
        );
        conditions.push(format!("{end} >= {from} AND {start} <= {to}"));
    }
    for (name, value) in &query.equals {
        let field = layer
            .field(name)
            .filter(|f| f.ty != FieldType::Json)
            .ok_or_else(|| {
                ModelError::invalid(
                    "filter",
                    format!("{layer} has no filterable attribute {name:?}"),
                )
            })?;
        let p = stmt.param(to_sql(field, value)?);
        conditions.push(format!("{} = {p}", field.name));
    }
    if !conditions.is_empty() {
        stmt.push(" WHERE ");
        stmt.push(&conditions.join(" AND "));
    }
    Ok(())
}

/// Appends ORDER BY, LIMIT and OFFSET.
pub(crate) fn push_paging(stmt: &mut Statement, query: &Query) {
    stmt.push(if query.newest_first {
        " ORDER BY fid DESC"
    } else {
        " ORDER BY fid"
    });
    let limit = query
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    match stmt.dialect {
        Dialect::GeoPackage => stmt.push(&format!(" LIMIT {limit} OFFSET {}", query.offset)),
        Dialect::Postgis if limit >= 0 => {
            stmt.push(&format!(" LIMIT {limit} OFFSET {}", query.offset))
        }
        Dialect::Postgis => stmt.push(&format!(" OFFSET {}", query.offset)),
    }
}

/// Rows in one multi-row INSERT at most (bound parameters stay under every backend's limit).
pub(crate) const INSERT_CHUNK: usize = 500;

/// One row to insert: id (when the caller chose it), encoded geometry, attributes.
pub(crate) type Row<'a> = (Option<i64>, Option<Vec<u8>>, &'a Map<String, Value>);

/// `INSERT INTO layer (...) VALUES (...), (...) RETURNING fid` for rows that all carry an
/// id or all lack one. Ids the store assigns within one statement increase in row order.
pub(crate) fn insert_statement(
    dialect: Dialect,
    layer: Layer,
    rows: Vec<Row<'_>>,
) -> Result<Statement, ModelError> {
    insert_or_update(dialect, layer, rows, false)
}

/// The statement that stores one chunk of features, the first being number `offset` of its
/// batch: an insert that lets the store assign ids, or (`upsert`) an insert-or-replace
/// (`ON CONFLICT (fid) DO UPDATE`) by the features' own ids. Geometries are encoded with
/// `encode`; an invalid value is reported with its batch position.
pub(crate) fn chunk_statement(
    dialect: Dialect,
    layer: Layer,
    chunk: &[Feature],
    offset: usize,
    upsert: bool,
    encode: fn(&Geometry) -> StoreResult<Vec<u8>>,
) -> StoreResult<Statement> {
    let mut rows = Vec::with_capacity(chunk.len());
    for feature in chunk {
        rows.push((
            feature.id.filter(|_| upsert).map(FeatureId::get),
            feature.geometry.as_ref().map(encode).transpose()?,
            &feature.properties,
        ));
    }
    insert_or_update(dialect, layer, rows, upsert).map_err(|source| StoreError::Invalid {
        index: offset,
        source,
    })
}

fn insert_or_update(
    dialect: Dialect,
    layer: Layer,
    rows: Vec<Row<'_>>,
    update: bool,
) -> Result<Statement, ModelError> {
    let with_ids = rows.first().is_some_and(|r| r.0.is_some());
    let mut stmt = Statement::new(dialect, "");
    let mut columns = Vec::new();
    if with_ids {
        columns.push("fid");
    }
    columns.push("geom");
    columns.extend(layer.fields().iter().map(|f| f.name));
    let mut tuples = Vec::with_capacity(rows.len());
    for (id, geometry, properties) in rows {
        let mut values = Vec::with_capacity(columns.len());
        if with_ids {
            values.push(stmt.param(SqlValue::Int(id)));
        }
        values.push(stmt.geometry_param(geometry));
        for field in layer.fields() {
            values.push(stmt.param(to_sql(
                field,
                properties.get(field.name).unwrap_or(&Value::Null),
            )?));
        }
        tuples.push(format!("({})", values.join(", ")));
    }
    let conflict = if update {
        let sets: Vec<String> = columns
            .iter()
            .filter(|c| **c != "fid")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        format!(" ON CONFLICT (fid) DO UPDATE SET {}", sets.join(", "))
    } else {
        String::new()
    };
    stmt.push(&format!(
        "INSERT INTO {layer} ({}) VALUES {}{conflict} RETURNING fid",
        columns.join(", "),
        tuples.join(", ")
    ));
    Ok(stmt)
}

/// `UPDATE layer SET ... WHERE fid = id`: every column, or only the columns named in `only`
/// (`geom` for the geometry).
pub(crate) fn update_statement(
    dialect: Dialect,
    layer: Layer,
    id: i64,
    geometry: Option<Vec<u8>>,
    properties: &Map<String, Value>,
    only: Option<&[&str]>,
) -> Result<Statement, ModelError> {
    let wanted = |name: &str| only.is_none_or(|columns| columns.contains(&name));
    if let Some(unknown) = only
        .into_iter()
        .flatten()
        .find(|c| **c != "geom" && !layer.fields().iter().any(|f| f.name == **c))
    {
        return Err(ModelError::invalid(
            "columns",
            format!("{layer} has no column {unknown}"),
        ));
    }
    let mut stmt = Statement::new(dialect, "");
    let mut sets = Vec::new();
    if wanted("geom") {
        sets.push(format!("geom = {}", stmt.geometry_param(geometry)));
    }
    for field in layer.fields().iter().filter(|f| wanted(f.name)) {
        let p = stmt.param(to_sql(
            field,
            properties.get(field.name).unwrap_or(&Value::Null),
        )?);
        sets.push(format!("{} = {p}", field.name));
    }
    if sets.is_empty() {
        return Err(ModelError::invalid("columns", "no column to update"));
    }
    let p = stmt.param(SqlValue::Int(Some(id)));
    stmt.push(&format!(
        "UPDATE {layer} SET {} WHERE fid = {p}",
        sets.join(", ")
    ));
    Ok(stmt)
}

/// The statements of a refresh (see `Changes::refreshes`): for each feature, its id and the
/// `UPDATE` of `columns` only.
pub(crate) fn refresh_statements(
    dialect: Dialect,
    layer: Layer,
    features: &[Feature],
    columns: &[&str],
    encode: fn(&Geometry) -> StoreResult<Vec<u8>>,
) -> StoreResult<Vec<(i64, Statement)>> {
    features
        .iter()
        .enumerate()
        .map(|(index, feature)| {
            let fid = feature.id.map_or(0, FeatureId::get);
            let geometry = feature.geometry.as_ref().map(encode).transpose()?;
            let props = &feature.properties;
            update_statement(dialect, layer, fid, geometry, props, Some(columns))
                .map(|stmt| (fid, stmt))
                .map_err(|source| StoreError::Invalid { index, source })
        })
        .collect()
}

/// Converts an attribute value for binding, checking its type.
pub(crate) fn to_sql(field: &Field, value: &Value) -> Result<SqlValue, ModelError> {
    let wrong = || {
        ModelError::invalid(
            "properties",
            format!(
                "{} must be {}, got {value}",
                field.name,
                field.ty.json_name()
            ),
        )
    };
    if value.is_null() {
        if !field.nullable {
            return Err(ModelError::invalid(
                "properties",
                format!("{} is required", field.name),
            ));
        }
        return Ok(match field.ty {
            FieldType::Text => SqlValue::Text(None),
            FieldType::Integer => SqlValue::Int(None),
            FieldType::Real => SqlValue::Real(None),
            FieldType::Bool => SqlValue::Bool(None),
            FieldType::Json => SqlValue::Json(None),
        });
    }
    Ok(match field.ty {
        FieldType::Text => SqlValue::Text(Some(value.as_str().ok_or_else(wrong)?.to_owned())),
        FieldType::Integer => SqlValue::Int(Some(value.as_i64().ok_or_else(wrong)?)),
        FieldType::Real => SqlValue::Real(Some(value.as_f64().ok_or_else(wrong)?)),
        FieldType::Bool => SqlValue::Bool(Some(value.as_bool().ok_or_else(wrong)?)),
        FieldType::Json => SqlValue::Json(Some(Json(value.clone()))),
    })
}

/// The JSON value of a column read back.
pub(crate) fn from_sql(field: &Field, value: SqlValue) -> Value {
    match value {
        SqlValue::Text(v) => v.map_or(Value::Null, Value::from),
        SqlValue::Int(v) => v.map_or(Value::Null, Value::from),
        SqlValue::Real(v) => v.map_or(Value::Null, Value::from),
        SqlValue::Bool(v) => v.map_or(Value::Null, Value::from),
        SqlValue::Json(v) => v.map_or_else(
            || {
                if field.nullable {
                    Value::Null
                } else {
                    Value::Object(Map::new())
                }
            },
            |j| j.0,
        ),
        SqlValue::Blob(_) => Value::Null,
    }
}

/// The lon/lat bounding box of a geometry, as (minx, maxx, miny, maxy).
pub(crate) fn envelope(geometry: &Geometry) -> Option<[f64; 4]> {
    geometry
        .bounding_rect()
        .map(|r| [r.min().x, r.max().x, r.min().y, r.max().y])
}

/// The table of alert snapshots (not a layer: no geometry, served only by alert id).
pub(crate) const SNAPSHOT_TABLE: &str = "alert_snapshots";

/// Inserts or replaces one alert's snapshot: parameters alert id, frame JPEG, crop JPEG.
pub(crate) fn snapshot_upsert(dialect: Dialect) -> String {
    let [a, b, c] = [1, 2, 3].map(|n| dialect.mark(n));
    format!(
        "INSERT INTO {SNAPSHOT_TABLE} (alert_id, frame_jpeg, crop_jpeg) VALUES ({a}, {b}, {c}) \
         ON CONFLICT (alert_id) DO UPDATE SET frame_jpeg = excluded.frame_jpeg, crop_jpeg = excluded.crop_jpeg"
    )
}

/// Reads one alert's snapshot as (frame JPEG, crop JPEG): parameter alert id.
pub(crate) fn snapshot_select(dialect: Dialect) -> String {
    format!(
        "SELECT frame_jpeg, crop_jpeg FROM {SNAPSHOT_TABLE} WHERE alert_id = {}",
        dialect.mark(1)
    )
}

/// The append-only log of users' actions (not a layer: admins read it through the API).
pub(crate) const AUDIT_TABLE: &str = "audit_log";

/// Appends one audit entry: parameters at, user, action, target, before, after.
pub(crate) fn audit_insert(dialect: Dialect) -> String {
    let [a, b, c, d, e, f] = [1, 2, 3, 4, 5, 6].map(|n| dialect.mark(n));
    format!(
        "INSERT INTO {AUDIT_TABLE} (at, user_name, action, target, before, after) \
         VALUES ({a}, {b}, {c}, {d}, {e}, {f})"
    )
}

/// Reads audit entries at or after a time, oldest first: parameters since, limit.
pub(crate) fn audit_select(dialect: Dialect) -> String {
    format!(
        "SELECT id, at, user_name, action, target, before, after FROM {AUDIT_TABLE} \
         WHERE at >= {} ORDER BY id LIMIT {}",
        dialect.mark(1),
        dialect.mark(2)
    )
}

/// The reporters' contacts of public tips, kept apart from the tip alerts that everyone reads.
pub(crate) const CONTACT_TABLE: &str = "tip_contacts";

/// Stores one tip's contact: parameters tip key, contact.
pub(crate) fn contact_insert(dialect: Dialect) -> String {
    let [a, b] = [1, 2].map(|n| dialect.mark(n));
    format!(
        "INSERT INTO {CONTACT_TABLE} (tip, contact) VALUES ({a}, {b}) \
         ON CONFLICT (tip) DO UPDATE SET contact = excluded.contact"
    )
}

/// Reads one tip's contact: parameter tip key.
pub(crate) fn contact_select(dialect: Dialect) -> String {
    format!(
        "SELECT contact FROM {CONTACT_TABLE} WHERE tip = {}",
        dialect.mark(1)
    )
}

/// Photos of inspections (not a layer: served by inspection and number).
pub(crate) const PHOTO_TABLE: &str = "inspection_photos";

/// Stores one photo: parameters inspection id, number, JPEG.
pub(crate) fn photo_insert(dialect: Dialect) -> String {
    let [a, b, c] = [1, 2, 3].map(|n| dialect.mark(n));
    format!(
        "INSERT INTO {PHOTO_TABLE} (inspection_id, n, jpeg) VALUES ({a}, {b}, {c}) \
         ON CONFLICT (inspection_id, n) DO UPDATE SET jpeg = excluded.jpeg"
    )
}

/// Reads one photo: parameters inspection id, number.
pub(crate) fn photo_select(dialect: Dialect) -> String {
    format!(
        "SELECT jpeg FROM {PHOTO_TABLE} WHERE inspection_id = {} AND n = {}",
        dialect.mark(1),
        dialect.mark(2)
    )
}

/// The watch list of number plates (not a layer: plates have no place).
pub(crate) const WATCH_TABLE: &str = "watchlist";

/// Adds or replaces one plate: parameters plate, reason, added by, added at.
pub(crate) fn watch_upsert(dialect: Dialect) -> String {
    let [a, b, c, d] = [1, 2, 3, 4].map(|n| dialect.mark(n));
    format!(
        "INSERT INTO {WATCH_TABLE} (plate, reason, added_by, added_at) VALUES ({a}, {b}, {c}, {d}) \
         ON CONFLICT (plate) DO UPDATE SET reason = excluded.reason, \
         added_by = excluded.added_by, added_at = excluded.added_at"
    )
}

/// Takes one plate off: parameter plate.
pub(crate) fn watch_delete(dialect: Dialect) -> String {
    format!(
        "DELETE FROM {WATCH_TABLE} WHERE plate = {}",
        dialect.mark(1)
    )
}

/// Reads the whole list, by plate.
pub(crate) fn watch_select() -> String {
    format!("SELECT plate, reason, added_by, added_at FROM {WATCH_TABLE} ORDER BY plate")
}
