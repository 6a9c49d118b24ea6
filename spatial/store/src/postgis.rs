//! The production store: PostgreSQL with PostGIS through sqlx.
//!
//! The schema lives in `spatial/store/migrations/` and is applied with `sqlx::migrate!` at
//! connect (`0002_alert_snapshots.sql` adds the table of alert snapshots, `bytea` pictures).
//! Geometries are `geometry(<type>, 4326)` columns with GiST indexes; fixes go to the
//! range-partitioned `positions` table keyed by (subject, time).

use std::time::Duration;

use async_trait::async_trait;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use serde_json::Map;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Executor, PgPool, Postgres, Row, Transaction};

use super::sql::{self, Dialect, SqlValue, Statement};
use super::{
    AuditEntry, AuditRow, Changes, POSITION_COLUMNS, Position, PositionRow, Query, Snapshot, Store,
    WatchChange, WatchEntry, json_text, reindex, unique_violation, validate_all, validate_photos,
    validate_refreshes, validate_snapshots, validate_upserts,
};
use coastwatch_core::layer::{FieldType, Layer};
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, ModelError};
use coastwatch_tiles::TileCoord;

use crate::{StoreError, StoreResult};

/// A PostGIS database used as the store.
#[derive(Debug, Clone)]
pub struct PostgisStore {
    pool: PgPool,
    location: String,
}

/// Longest a statement may run before PostgreSQL cancels it (ms): a stuck query fails
/// (and is reported) instead of holding its connection.
const STATEMENT_TIMEOUT_MS: u32 = 30_000;

impl PostgisStore {
    /// Connects to `url` (`postgres://user:pass@host:port/db`) and applies the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_in_schema(url, None).await
    }

    /// Like [`connect`](Self::connect), with every table in `schema` (created when missing);
    /// PostGIS itself stays in `public`. Tests use one schema each.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> StoreResult<Self> {
        let location = redact(url);
        let open_error = |reason: String| StoreError::Open {
            location: location.clone(),
            reason,
        };
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| open_error(e.to_string()))?;
        let options = options.log_statements(tracing::log::LevelFilter::Trace);
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(open_error(format!(
                    "schema name {schema:?} must be lower-case letters, digits and _"
                )));
            }
            let mut conn = options
                .connect()
                .await
                .map_err(|e| open_error(e.to_string()))?;
            conn.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                .await?;
        }
        let search_path = schema.map(|s| format!("SET search_path TO {s}, public"));
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                let search_path = search_path.clone();
                Box::pin(async move {
                    if let Some(sql) = search_path {
                        conn.execute(sql.as_str()).await?;
                    }
                    // no statement may hold a connection (and the writer behind it) forever
                    conn.execute(
                        format!("SET statement_timeout = {STATEMENT_TIMEOUT_MS}").as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| open_error(e.to_string()))?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, location })
    }

    /// Inserts features without ids with multi-row statements; returns their ids in order.
    async fn insert_chunked(
        tx: &mut Transaction<'_, Postgres>,
        layer: Layer,
        features: &[Feature],
    ) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(features.len());
        for chunk in features.chunks(sql::INSERT_CHUNK) {
            let stmt =
                sql::chunk_statement(Dialect::Postgis, layer, chunk, ids.len(), false, encode_wkb)?;
            let mut fids: Vec<i64> = bind_all(sqlx::query(&stmt.sql), stmt.params)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            // ids assigned within one statement increase in row order
            fids.sort_unstable();
            ids.extend(fids);
        }
        Ok(ids)
    }

    async fn write_one(
        tx: &mut Transaction<'_, Postgres>,
        layer: Layer,
        id: Option<i64>,
        feature: &Feature,
        replace: bool,
    ) -> StoreResult<Option<i64>> {
        let wkb = feature.geometry.as_ref().map(encode_wkb).transpose()?;
        let stmt = if replace {
            sql::update_statement(
                Dialect::Postgis,
                layer,
                id.expect("replace has an id"),
                wkb,
                &feature.properties,
                None,
            )
        } else {
            sql::insert_statement(
                Dialect::Postgis,
                layer,
                vec![(id, wkb, &feature.properties)],
            )
        }
        .map_err(|source| StoreError::Invalid { index: 0, source })?;
        if replace {
            let done = bind_all(sqlx::query(&stmt.sql), stmt.params)
                .execute(&mut **tx)
                .await?;
            return Ok((done.rows_affected() > 0).then_some(id.expect("replace has an id")));
        }
        match bind_all(sqlx::query(&stmt.sql), stmt.params)
            .fetch_one(&mut **tx)
            .await
        {
            Ok(row) => Ok(Some(row.try_get(0)?)),
            Err(e) if unique_violation(&e) => Err(StoreError::Conflict {
                layer,
                id: id.unwrap_or_default(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes only `columns` of the stored rows of `features` (see `Changes::refreshes`); a
    /// row that is not there is left away.
    async fn refresh_rows(
        tx: &mut Transaction<'_, Postgres>,
        layer: Layer,
        features: &[Feature],
        columns: &[&str],
    ) -> StoreResult<()> {
        let statements =
            sql::refresh_statements(Dialect::Postgis, layer, features, columns, encode_wkb)?;
        for (_, stmt) in statements {
            bind_all(sqlx::query(&stmt.sql), stmt.params)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Inserts or replaces features that all carry an id, with multi-row statements.
    async fn upsert_rows(
        tx: &mut Transaction<'_, Postgres>,
        layer: Layer,
        features: &[Feature],
    ) -> StoreResult<()> {
        for (n, chunk) in features.chunks(sql::INSERT_CHUNK).enumerate() {
            let stmt = sql::chunk_statement(
                Dialect::Postgis,
                layer,
                chunk,
                n * sql::INSERT_CHUNK,
                true,
                encode_wkb,
            )?;
            bind_all(sqlx::query(&stmt.sql), stmt.params)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Appends fixes with one statement, skipping those already stored.
    async fn append_positions(
        tx: &mut Transaction<'_, Postgres>,
        positions: &[Position],
    ) -> StoreResult<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let column = |f: fn(&Position) -> Option<f64>| positions.iter().map(f).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO positions (subject_kind, subject_id, t, lon, lat, speed_mps, course_deg, heading_deg) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(positions.iter().map(|p| p.kind.as_str()).collect::<Vec<_>>())
        .bind(positions.iter().map(|p| p.subject_id.as_str()).collect::<Vec<_>>())
        .bind(positions.iter().map(|p| p.t_epoch_s).collect::<Vec<_>>())
        .bind(positions.iter().map(|p| p.lon).collect::<Vec<_>>())
        .bind(positions.iter().map(|p| p.lat).collect::<Vec<_>>())
        .bind(column(|p| p.speed_mps))
        .bind(column(|p| p.course_deg))
        .bind(column(|p| p.heading_deg))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Appends the audit entries, stores the tips' contacts and the inspections' photos, and
    /// changes the watch list.
    async fn write_records(
        tx: &mut Transaction<'_, Postgres>,
        changes: &Changes,
    ) -> StoreResult<()> {
        let insert = sql::audit_insert(Dialect::Postgis);
        for entry in &changes.audit {
            sqlx::query(&insert)
                .bind(entry.at)
                .bind(&entry.user)
                .bind(&entry.action)
                .bind(&entry.target)
                .bind(json_text(&entry.before))
                .bind(json_text(&entry.after))
                .execute(&mut **tx)
                .await?;
        }
        let insert = sql::contact_insert(Dialect::Postgis);
        for contact in &changes.contacts {
            sqlx::query(&insert)
                .bind(&contact.tip)
                .bind(&contact.contact)
                .execute(&mut **tx)
                .await?;
        }
        let insert = sql::photo_insert(Dialect::Postgis);
        for photo in &changes.photos {
            sqlx::query(&insert)
                .bind(photo.inspection_id.get())
                .bind(i64::from(photo.n))
                .bind(&photo.jpeg)
                .execute(&mut **tx)
                .await?;
        }
        for change in &changes.watchlist {
            match change {
                WatchChange::Put(entry) => {
                    sqlx::query(&sql::watch_upsert(Dialect::Postgis))
                        .bind(&entry.plate)
                        .bind(&entry.reason)
                        .bind(&entry.added_by)
                        .bind(entry.added_at)
                        .execute(&mut **tx)
                        .await?
                }
                WatchChange::Remove(plate) => {
                    sqlx::query(&sql::watch_delete(Dialect::Postgis))
                        .bind(plate)
                        .execute(&mut **tx)
                        .await?
                }
            };
        }
        Ok(())
    }

    /// Inserts or replaces the snapshots, one statement each.
    async fn write_snapshots(
        tx: &mut Transaction<'_, Postgres>,
        snapshots: &[Snapshot],
    ) -> StoreResult<()> {
        let sql = sql::snapshot_upsert(Dialect::Postgis);
        for snapshot in snapshots {
            sqlx::query(&sql)
                .bind(snapshot.alert_id.get())
                .bind(&snapshot.frame_jpeg)
                .bind(&snapshot.crop_jpeg)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Moves the id sequence past ids that callers chose themselves.
    async fn bump_sequence(tx: &mut Transaction<'_, Postgres>, layer: Layer) -> StoreResult<()> {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{layer}', 'fid'), GREATEST((SELECT max(fid) FROM {layer}), 1))"
        ))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Store for PostgisStore {
    async fn insert(&self, layer: Layer, features: Vec<Feature>) -> StoreResult<Vec<FeatureId>> {
        let features = validate_all(layer, features)?;
        let explicit_ids = features.iter().any(|f| f.id.is_some());
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(features.len());
        if features.iter().all(|f| f.id.is_none()) {
            for fid in Self::insert_chunked(&mut tx, layer, &features).await? {
                ids.push(
                    FeatureId::try_from(fid).map_err(|source| StoreError::Invalid {
                        index: ids.len(),
                        source,
                    })?,
                );
            }
        } else {
            for (index, feature) in features.iter().enumerate() {
                let fid = Self::write_one(
                    &mut tx,
                    layer,
                    feature.id.map(FeatureId::get),
                    feature,
                    false,
                )
                .await
                .map_err(|e| reindex(e, index))?
                .expect("insert returns an id");
                ids.push(
                    FeatureId::try_from(fid)
                        .map_err(|source| StoreError::Invalid { index, source })?,
                );
            }
        }
        if explicit_ids {
            Self::bump_sequence(&mut tx, layer).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn commit(&self, mut changes: Changes) -> StoreResult<()> {
        let upserts = validate_upserts(std::mem::take(&mut changes.upserts))?;
        let refreshes = validate_refreshes(std::mem::take(&mut changes.refreshes))?;
        validate_snapshots(&changes.snapshots)?;
        validate_photos(&changes.photos)?;
        let mut tx = self.pool.begin().await?;
        Self::append_positions(&mut tx, &changes.positions).await?;
        for (layer, features) in &upserts {
            Self::upsert_rows(&mut tx, *layer, features).await?;
            Self::bump_sequence(&mut tx, *layer).await?;
        }
        for (layer, features, columns) in &refreshes {
            Self::refresh_rows(&mut tx, *layer, features, columns).await?;
        }
        Self::write_snapshots(&mut tx, &changes.snapshots).await?;
        Self::write_records(&mut tx, &changes).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace(&self, layer: Layer, id: FeatureId, feature: Feature) -> StoreResult<bool> {
        let feature = validate_all(layer, vec![feature])?.remove(0);
        let mut tx = self.pool.begin().await?;
        let done = Self::write_one(&mut tx, layer, Some(id.get()), &feature, true)
            .await?
            .is_some();
        tx.commit().await?;
        Ok(done)
    }

    async fn delete(&self, layer: Layer, id: FeatureId) -> StoreResult<bool> {
        let done = sqlx::query(&format!("DELETE FROM {layer} WHERE fid = $1"))
            .bind(id.get())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn probe_write(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // a transaction id is written to the WAL at commit
        sqlx::query("SELECT txid_current()")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, layer: Layer, id: FeatureId) -> StoreResult<Option<Feature>> {
        let sql = format!(
            "SELECT {} FROM {layer} WHERE fid = $1",
            sql::select_list(Dialect::Postgis, layer)
        );
        let row = sqlx::query(&sql)
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| decode_row(layer, &row)).transpose()
    }

    async fn query(&self, layer: Layer, query: &Query) -> StoreResult<Vec<Feature>> {
        let mut stmt = Statement::new(
            Dialect::Postgis,
            format!(
                "SELECT {} FROM {layer}",
                sql::select_list(Dialect::Postgis, layer)
            ),
        );
        sql::push_filters(&mut stmt, layer, query)
            .map_err(|source| StoreError::Invalid { index: 0, source })?;
        sql::push_paging(&mut stmt, query);
        let rows = bind_all(sqlx::query(&stmt.sql), stmt.params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| decode_row(layer, row)).collect()
    }

    async fn count(&self, layer: Layer, query: &Query) -> StoreResult<u64> {
        let mut stmt = Statement::new(Dialect::Postgis, format!("SELECT count(*) FROM {layer}"));
        sql::push_filters(&mut stmt, layer, query)
            .map_err(|source| StoreError::Invalid { index: 0, source })?;
        let row = bind_all(sqlx::query(&stmt.sql), stmt.params)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }

    async fn snapshot(&self, alert_id: FeatureId) -> StoreResult<Option<Snapshot>> {
        let row: Option<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as(&sql::snapshot_select(Dialect::Postgis))
                .bind(alert_id.get())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(frame_jpeg, crop_jpeg)| Snapshot {
            alert_id,
            frame_jpeg,
            crop_jpeg,
        }))
    }

    async fn audit(&self, since: i64, limit: u64) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(&sql::audit_select(Dialect::Postgis))
            .bind(since)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn tip_contact(&self, tip: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(&sql::contact_select(Dialect::Postgis))
            .bind(tip)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(contact,)| contact))
    }

    async fn watchlist(&self) -> StoreResult<Vec<WatchEntry>> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(&sql::watch_select())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(plate, reason, added_by, added_at)| WatchEntry {
                plate,
                reason,
                added_by,
                added_at,
            })
            .collect())
    }

    async fn photo(&self, inspection_id: FeatureId, n: u32) -> StoreResult<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(&sql::photo_select(Dialect::Postgis))
            .bind(inspection_id.get())
            .bind(i64::from(n))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(jpeg,)| jpeg))
    }

    async fn positions_between(&self, from: f64, to: f64) -> StoreResult<Vec<Position>> {
        let rows: Vec<PositionRow> = sqlx::query_as(&format!(
            "{POSITION_COLUMNS} FROM positions WHERE t >= $1 AND t < $2 ORDER BY t"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Position::from).collect())
    }

    async fn positions_span(&self) -> StoreResult<Option<(f64, f64)>> {
        let (first, last): (Option<f64>, Option<f64>) =
            sqlx::query_as("SELECT min(t), max(t) FROM positions")
                .fetch_one(&self.pool)
                .await?;
        Ok(first.zip(last))
    }

    async fn mvt_layer(
        &self,
        layer: Layer,
        coord: TileCoord,
        time: Option<(i64, i64)>,
    ) -> StoreResult<Option<Vec<u8>>> {
        // the layer's attributes; JSON ones as text (MVT values are scalars)
        let columns: Vec<String> = layer
            .fields()
            .iter()
            .map(|f| match f.ty {
                FieldType::Json => format!("{0}::text AS {0}", f.name),
                _ => f.name.to_owned(),
            })
            .collect();
        let mut time_filter = String::new();
        if let (Some((start, end)), Some(_)) = (layer.time_fields(), time) {
            time_filter = format!(" AND {end} >= $4 AND {start} <= $5");
        }
        let (from, to) = time.unwrap_or((i64::MIN, i64::MAX));
        let sql = format!(
            "SELECT ST_AsMVT(tile, '{layer}', 4096, 'geom', 'fid') FROM ( \
               SELECT fid, {columns}, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom \
               FROM {layer} \
               WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326){time_filter} \
             ) AS tile WHERE geom IS NOT NULL",
            columns = columns.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, Option<Vec<u8>>>(&sql)
            .bind(i32::from(coord.z().get()))
            .bind(coord.x() as i32)
            .bind(coord.y() as i32);
        if !time_filter.is_empty() {
            query = query.bind(from).bind(to);
        }
        Ok(Some(query.fetch_one(&self.pool).await?.unwrap_or_default()))
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn describe(&self) -> String {
        format!("PostGIS {}", self.location)
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

fn bind_all(mut query: PgQuery<'_>, params: Vec<SqlValue>) -> PgQuery<'_> {
    for value in params {
        query = match value {
            SqlValue::Text(v) => query.bind(v),
            SqlValue::Int(v) => query.bind(v),
            SqlValue::Real(v) => query.bind(v),
            SqlValue::Bool(v) => query.bind(v),
            SqlValue::Json(v) => query.bind(v),
            SqlValue::Blob(v) => query.bind(v),
        };
    }
    query
}

fn encode_wkb(geometry: &geo::Geometry) -> StoreResult<Vec<u8>> {
    geometry
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| StoreError::Invalid {
            index: 0,
            source: ModelError::invalid("geometry", e.to_string()),
        })
}

fn decode_row(layer: Layer, row: &PgRow) -> StoreResult<Feature> {
    let fid: i64 = row.try_get(0)?;
    let wkb: Option<Vec<u8>> = row.try_get(1)?;
    let geometry = wkb
        .map(|b| geozero::wkb::Wkb(b).to_geo())
        .transpose()
        .map_err(|e| StoreError::CorruptGeometry {
            layer,
            id: fid,
            reason: e.to_string(),
        })?;
    let mut properties = Map::new();
    for (i, field) in layer.fields().iter().enumerate() {
        let column = i + 2;
        let value = match field.ty {
            FieldType::Text => SqlValue::Text(row.try_get(column)?),
            FieldType::Integer => SqlValue::Int(row.try_get(column)?),
            FieldType::Real => SqlValue::Real(row.try_get(column)?),
            FieldType::Bool => SqlValue::Bool(row.try_get(column)?),
            FieldType::Json => SqlValue::Json(row.try_get(column)?),
        };
        properties.insert(field.name.to_owned(), sql::from_sql(field, value));
    }
    let id = FeatureId::try_from(fid).map_err(|e| StoreError::CorruptGeometry {
        layer,
        id: fid,
        reason: e.to_string(),
    })?;
    Ok(Feature {
        id: Some(id),
        geometry,
        properties,
    })
}

/// The URL with its password replaced by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://h/db"), "postgres://h/db");
    }
}
