//! The embedded store: an OGC GeoPackage 1.3 file through sqlx/SQLite.
//!
//! One feature table per layer registered in `gpkg_contents` and `gpkg_geometry_columns`
//! (EPSG:4326) with an R*Tree spatial index (`rtree_<layer>_geom`, the `gpkg_rtree_index`
//! extension). The index rows are written by this store in the same transaction as the
//! feature, so no SpatiaLite functions are needed. WAL journal with `synchronous=FULL`:
//! a committed write survives a process kill and a power cut.
//!
//! The WAL is copied into the database file (checkpointed) by a reading connection at most
//! every [`CHECKPOINT_EVERY`], started by the commits, so that the writer does not pay for
//! it: SQLite's own checkpoint runs inside the commit that crosses its threshold and stalls
//! the ingest for tens of milliseconds. The writing connection still checkpoints itself past
//! [`WRITER_AUTOCHECKPOINT`] pages, should the background ones fall behind.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use geo::Geometry;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use serde_json::Map;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Connection, Row, Sqlite, SqlitePool, Transaction};

use super::sql::{self, Dialect, SqlValue, Statement};
use super::{
    AuditEntry, AuditRow, Changes, POSITION_COLUMNS, Position, PositionRow, Query, Snapshot, Store,
    WatchChange, WatchEntry, json_text, reindex, unique_violation, validate_all, validate_photos,
    validate_refreshes, validate_snapshots, validate_upserts,
};
use coastwatch_core::Feature;
use coastwatch_core::layer::{FieldType, Layer};
use coastwatch_core::model::FeatureId;

use crate::{StoreError, StoreResult};

/// `PRAGMA application_id` of a GeoPackage ("GPKG").
const GPKG_APPLICATION_ID: i64 = 0x4750_4B47;
/// `PRAGMA cache_size` of the writing connection: 16 MiB (negative: KiB).
const WRITER_CACHE: &str = "-16384";
/// `PRAGMA wal_autocheckpoint` of the writing connection (pages of 4 KiB): a bound on the
/// WAL's size; checkpoints normally run in the background long before.
const WRITER_AUTOCHECKPOINT: i64 = 16_384;
/// A commit starts a background checkpoint when the last one began at least this long ago:
/// small, frequent ones (at 50,000 fixes/s every 200 ms gave the ingest a p99 of 40 ms, every
/// second 55–280 ms, SQLite's own in the commit 260–630 ms).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// `PRAGMA user_version` of GeoPackage 1.3.
const GPKG_USER_VERSION: i64 = 10300;
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// A GeoPackage file used as the store.
#[derive(Debug, Clone)]
pub struct GeoPackageStore {
    /// Connections for reading.
    pool: SqlitePool,
    /// The one connection that writes: SQLite takes one writer at a time anyway, and a
    /// connection that alone writes keeps its page cache across transactions.
    writer: SqlitePool,
    path: String,
    checkpoints: Arc<Mutex<Checkpoints>>,
}

/// The background checkpoints: when the last began, and whether it still runs.
#[derive(Debug)]
struct Checkpoints {
    last: Instant,
    running: bool,
}

impl GeoPackageStore {
    /// Opens (or creates) the GeoPackage at `path` and makes sure every layer table exists.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path_text = path.as_ref().display().to_string();
        let not_gpkg = |reason: String| StoreError::NotAGeoPackage {
            path: path_text.clone(),
            reason,
        };
        if let Some(parent) = path.as_ref().parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::Open {
                location: path_text,
                reason: format!("folder {} does not exist", parent.display()),
            });
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(StoreError::Database)?
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", WRITER_CACHE)
                    .pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT.to_string()),
            )
            .await
            .map_err(|e| not_gpkg(e.to_string()))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| not_gpkg(e.to_string()))?;
        let store = Self {
            pool,
            writer,
            path: path_text.clone(),
            checkpoints: Arc::new(Mutex::new(Checkpoints {
                last: Instant::now(),
                running: false,
            })),
        };
        store.check_kind().await.map_err(|e| match e {
            StoreError::Database(e) => not_gpkg(e.to_string()),
            other => other,
        })?;
        store.create_schema().await?;
        Ok(store)
    }

    /// Refuses SQLite files that hold other tables but are not GeoPackages.
    async fn check_kind(&self) -> StoreResult<()> {
        let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&self.pool)
            .await?;
        let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&self.pool)
            .await?;
        if tables > 0 && app_id != GPKG_APPLICATION_ID {
            return Err(StoreError::NotAGeoPackage {
                path: self.path.clone(),
                reason: format!("SQLite application_id is {app_id:#x}, not GPKG"),
            });
        }
        Ok(())
    }

    /// The writing connection. Whoever writes through it must call [`Self::settle`] with the
    /// outcome.
    async fn writer(&self) -> StoreResult<PoolConnection<Sqlite>> {
        Ok(self.writer.acquire().await?)
    }

    /// Hands the writing connection back after a write. After any failure it is closed
    /// instead: SQLite may already have rolled the transaction back by itself (disk full, I/O
    /// error), and sqlx, whose own ROLLBACK then fails, would go on believing a transaction
    /// is open and turn the next BEGIN and COMMIT into a savepoint and its release, so that
    /// nothing after the failure would ever be committed. A fresh connection knows no such
    /// past.
    fn settle<T>(mut conn: PoolConnection<Sqlite>, result: StoreResult<T>) -> StoreResult<T> {
        if result.is_err() {
            conn.close_on_drop();
        }
        result
    }

    /// Starts a checkpoint on a reading connection unless one runs or began less than
    /// [`CHECKPOINT_EVERY`] ago. PASSIVE: it copies what it can without waiting for readers
    /// or the writer, and a failed one (a full disk) is tried again later.
    fn checkpoint_soon(&self) {
        {
            let mut state = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
            if state.running || state.last.elapsed() < CHECKPOINT_EVERY {
                return;
            }
            *state = Checkpoints {
                last: Instant::now(),
                running: true,
            };
        }
        let (pool, checkpoints) = (self.pool.clone(), self.checkpoints.clone());
        tokio::spawn(async move {
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(%error, "background checkpoint failed");
            }
            checkpoints
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .running = false;
        });
    }

    async fn create_schema(&self) -> StoreResult<()> {
        let mut conn = self.writer().await?;
        let result = async {
            let mut tx = conn.begin().await?;
            for statement in schema_statements() {
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
            // a file written by an older coastwatch gets the attributes added since
            for layer in Layer::ALL {
                let have: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{layer}')"))
                        .fetch_all(&mut *tx)
                        .await?;
                for field in layer.fields().iter().filter(|f| f.nullable) {
                    if !have.iter().any(|c| c == field.name) {
                        sqlx::query(&format!(
                            "ALTER TABLE {layer} ADD COLUMN {} {}",
                            field.name,
                            column_type(field.ty)
                        ))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        Self::settle(conn, result)?;
        // Put the GeoPackage header (application_id, user_version) into the main file now:
        // readers such as GDAL check it before they look at the WAL.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Inserts features without ids with multi-row statements; returns their ids in order.
    async fn insert_chunked(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        features: &[Feature],
    ) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(features.len());
        for chunk in features.chunks(sql::INSERT_CHUNK) {
            let stmt = sql::chunk_statement(
                Dialect::GeoPackage,
                layer,
                chunk,
                ids.len(),
                false,
                encode_geometry,
            )?;
            let mut fids: Vec<i64> = bind_all(sqlx::query(&stmt.sql), stmt.params)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            // ids assigned within one statement increase in row order
            fids.sort_unstable();
            Self::index_rows(tx, layer, fids.iter().copied().zip(chunk), false).await?;
            ids.extend(fids);
        }
        Ok(ids)
    }

    async fn write_one(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        id: Option<i64>,
        feature: &Feature,
        replace: bool,
    ) -> StoreResult<Option<i64>> {
        let blob = feature.geometry.as_ref().map(encode_geometry).transpose()?;
        let stmt = if replace {
            sql::update_statement(
                Dialect::GeoPackage,
                layer,
                id.expect("replace has an id"),
                blob,
                &feature.properties,
                None,
            )
        } else {
            sql::insert_statement(
                Dialect::GeoPackage,
                layer,
                vec![(id, blob, &feature.properties)],
            )
        }
        .map_err(|source| StoreError::Invalid { index: 0, source })?;
        let fid = if replace {
            let done = bind_all(sqlx::query(&stmt.sql), stmt.params)
                .execute(&mut **tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            id.expect("replace has an id")
        } else {
            match bind_all(sqlx::query(&stmt.sql), stmt.params)
                .fetch_one(&mut **tx)
                .await
            {
                Ok(row) => row.try_get(0)?,
                Err(e) if unique_violation(&e) => {
                    return Err(StoreError::Conflict {
                        layer,
                        id: id.unwrap_or_default(),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        };
        Self::index(tx, layer, fid, feature.geometry.as_ref(), replace).await?;
        Ok(Some(fid))
    }

    /// Keeps the R*Tree row of feature `fid` in step with its geometry (`existed`: the
    /// feature may already have a row to remove).
    async fn index(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        fid: i64,
        geometry: Option<&Geometry>,
        existed: bool,
    ) -> StoreResult<()> {
        if existed {
            sqlx::query(&format!("DELETE FROM rtree_{layer}_geom WHERE id = ?"))
                .bind(fid)
                .execute(&mut **tx)
                .await?;
        }
        if let Some([minx, maxx, miny, maxy]) = geometry.and_then(sql::envelope) {
            sqlx::query(&format!(
                "INSERT INTO rtree_{layer}_geom VALUES (?, ?, ?, ?, ?)"
            ))
            .bind(fid)
            .bind(minx)
            .bind(maxx)
            .bind(miny)
            .bind(maxy)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Writes only `columns` of the stored rows of `features` (see `Changes::refreshes`); a
    /// row that is not there is left away.
    async fn refresh_rows(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        features: &[Feature],
        columns: &[&str],
    ) -> StoreResult<()> {
        let statements = sql::refresh_statements(
            Dialect::GeoPackage,
            layer,
            features,
            columns,
            encode_geometry,
        )?;
        for ((fid, stmt), feature) in statements.into_iter().zip(features) {
            let done = bind_all(sqlx::query(&stmt.sql), stmt.params)
                .execute(&mut **tx)
                .await?;
            if done.rows_affected() > 0 && columns.contains(&"geom") {
                Self::index(tx, layer, fid, feature.geometry.as_ref(), true).await?;
            }
        }
        Ok(())
    }

    /// Inserts or replaces features that all carry an id: a few multi-row statements per
    /// chunk, the rows and then their index entries.
    async fn upsert_rows(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        features: &[Feature],
    ) -> StoreResult<()> {
        for (n, chunk) in features.chunks(sql::INSERT_CHUNK).enumerate() {
            let stmt = sql::chunk_statement(
                Dialect::GeoPackage,
                layer,
                chunk,
                n * sql::INSERT_CHUNK,
                true,
                encode_geometry,
            )?;
            bind_all(sqlx::query(&stmt.sql), stmt.params)
                .execute(&mut **tx)
                .await?;
            let rows = chunk.iter().filter_map(|f| Some((f.id?.get(), f)));
            Self::index_rows(tx, layer, rows, true).await?;
        }
        Ok(())
    }

    /// Writes the R*Tree rows of the features `(fid, feature)` with a few multi-row
    /// statements (`existed`: the features may already have rows to replace).
    async fn index_rows(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        rows: impl Iterator<Item = (i64, &Feature)>,
        existed: bool,
    ) -> StoreResult<()> {
        let mut ids = Vec::new();
        let mut boxes = Vec::new();
        for (fid, feature) in rows {
            ids.push(fid);
            if let Some(envelope) = feature.geometry.as_ref().and_then(sql::envelope) {
                boxes.push((fid, envelope));
            }
        }
        if existed && !ids.is_empty() {
            let marks = vec!["?"; ids.len()].join(", ");
            let delete_sql = format!("DELETE FROM rtree_{layer}_geom WHERE id IN ({marks})");
            let mut delete = sqlx::query(&delete_sql);
            for id in &ids {
                delete = delete.bind(id);
            }
            delete.execute(&mut **tx).await?;
        }
        if !boxes.is_empty() {
            let marks = vec!["(?, ?, ?, ?, ?)"; boxes.len()].join(", ");
            let insert_sql = format!("INSERT INTO rtree_{layer}_geom VALUES {marks}");
            let mut insert = sqlx::query(&insert_sql);
            for (id, [minx, maxx, miny, maxy]) in boxes {
                insert = insert.bind(id).bind(minx).bind(maxx).bind(miny).bind(maxy);
            }
            insert.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Appends fixes with multi-row statements, skipping those already stored.
    async fn append_positions(
        tx: &mut Transaction<'_, Sqlite>,
        positions: &[Position],
    ) -> StoreResult<()> {
        // rows per statement: 8 parameters each, well under SQLite's limit of 32,766
        const ROWS: usize = 200;
        for chunk in positions.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT OR IGNORE INTO positions (subject_kind, subject_id, t, lon, lat, speed_mps, course_deg, heading_deg) VALUES ",
            );
            for i in 0..chunk.len() {
                sql.push_str(if i == 0 {
                    "(?, ?, ?, ?, ?, ?, ?, ?)"
                } else {
                    ", (?, ?, ?, ?, ?, ?, ?, ?)"
                });
            }
            let mut query = sqlx::query(&sql);
            for p in chunk {
                query = query
                    .bind(p.kind.as_str())
                    .bind(&p.subject_id)
                    .bind(p.t_epoch_s)
                    .bind(p.lon)
                    .bind(p.lat)
                    .bind(p.speed_mps)
                    .bind(p.course_deg)
                    .bind(p.heading_deg);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Appends the audit entries, stores the tips' contacts and the inspections' photos, and
    /// changes the watch list.
    async fn write_records(tx: &mut Transaction<'_, Sqlite>, changes: &Changes) -> StoreResult<()> {
        let insert = sql::audit_insert(Dialect::GeoPackage);
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
        let insert = sql::contact_insert(Dialect::GeoPackage);
        for contact in &changes.contacts {
            sqlx::query(&insert)
                .bind(&contact.tip)
                .bind(&contact.contact)
                .execute(&mut **tx)
                .await?;
        }
        let insert = sql::photo_insert(Dialect::GeoPackage);
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
                    sqlx::query(&sql::watch_upsert(Dialect::GeoPackage))
                        .bind(&entry.plate)
                        .bind(&entry.reason)
                        .bind(&entry.added_by)
                        .bind(entry.added_at)
                        .execute(&mut **tx)
                        .await?
                }
                WatchChange::Remove(plate) => {
                    sqlx::query(&sql::watch_delete(Dialect::GeoPackage))
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
        tx: &mut Transaction<'_, Sqlite>,
        snapshots: &[Snapshot],
    ) -> StoreResult<()> {
        if snapshots.is_empty() {
            return Ok(());
        }
        let sql = sql::snapshot_upsert(Dialect::GeoPackage);
        for snapshot in snapshots {
            sqlx::query(&sql)
                .bind(snapshot.alert_id.get())
                .bind(&snapshot.frame_jpeg)
                .bind(&snapshot.crop_jpeg)
                .execute(&mut **tx)
                .await?;
        }
        Self::touch(tx, sql::SNAPSHOT_TABLE).await
    }

    /// Inserts `features` in one transaction on the writing connection.
    async fn insert_in(
        conn: &mut PoolConnection<Sqlite>,
        layer: Layer,
        features: Vec<Feature>,
    ) -> StoreResult<Vec<FeatureId>> {
        let mut tx = conn.begin().await?;
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
        Self::touch(&mut tx, layer.name()).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Sets the `last_change` of `table` in `gpkg_contents`.
    async fn touch(tx: &mut Transaction<'_, Sqlite>, table: &str) -> StoreResult<()> {
        sqlx::query("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?")
            .bind(table)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Store for GeoPackageStore {
    async fn insert(&self, layer: Layer, features: Vec<Feature>) -> StoreResult<Vec<FeatureId>> {
        let features = validate_all(layer, features)?;
        let mut conn = self.writer().await?;
        let result = Self::insert_in(&mut conn, layer, features).await;
        Self::settle(conn, result)
    }

    async fn commit(&self, mut changes: Changes) -> StoreResult<()> {
        let upserts = validate_upserts(std::mem::take(&mut changes.upserts))?;
        let refreshes = validate_refreshes(std::mem::take(&mut changes.refreshes))?;
        validate_snapshots(&changes.snapshots)?;
        validate_photos(&changes.photos)?;
        let mut conn = self.writer().await?;
        let result = async {
            let mut tx = conn.begin().await?;
            Self::append_positions(&mut tx, &changes.positions).await?;
            for (layer, features) in &upserts {
                Self::upsert_rows(&mut tx, *layer, features).await?;
                Self::touch(&mut tx, layer.name()).await?;
            }
            for (layer, features, columns) in &refreshes {
                Self::refresh_rows(&mut tx, *layer, features, columns).await?;
                Self::touch(&mut tx, layer.name()).await?;
            }
            Self::write_snapshots(&mut tx, &changes.snapshots).await?;
            Self::write_records(&mut tx, &changes).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        let result = Self::settle(conn, result);
        if result.is_ok() {
            self.checkpoint_soon();
        }
        result
    }

    async fn replace(&self, layer: Layer, id: FeatureId, feature: Feature) -> StoreResult<bool> {
        let feature = validate_all(layer, vec![feature])?.remove(0);
        let mut conn = self.writer().await?;
        let result = async {
            let mut tx = conn.begin().await?;
            let done = Self::write_one(&mut tx, layer, Some(id.get()), &feature, true)
                .await?
                .is_some();
            Self::touch(&mut tx, layer.name()).await?;
            tx.commit().await?;
            Ok(done)
        }
        .await;
        Self::settle(conn, result)
    }

    async fn delete(&self, layer: Layer, id: FeatureId) -> StoreResult<bool> {
        let mut conn = self.writer().await?;
        let result = async {
            let mut tx = conn.begin().await?;
            let done = sqlx::query(&format!("DELETE FROM {layer} WHERE fid = ?"))
                .bind(id.get())
                .execute(&mut *tx)
                .await?;
            Self::index(&mut tx, layer, id.get(), None, true).await?;
            Self::touch(&mut tx, layer.name()).await?;
            tx.commit().await?;
            Ok(done.rows_affected() > 0)
        }
        .await;
        Self::settle(conn, result)
    }

    async fn probe_write(&self) -> StoreResult<()> {
        let mut conn = self.writer().await?;
        let result = async {
            let mut tx = conn.begin().await?;
            // rewrites one row as it is: a page goes through the WAL and the commit's fsync
            sqlx::query(
                "UPDATE gpkg_contents SET last_change = last_change WHERE table_name = 'positions'",
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        Self::settle(conn, result)
    }

    async fn get(&self, layer: Layer, id: FeatureId) -> StoreResult<Option<Feature>> {
        let sql = format!(
            "SELECT {} FROM {layer} WHERE fid = ?",
            sql::select_list(Dialect::GeoPackage, layer)
        );
        let row = sqlx::query(&sql)
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| decode_row(layer, &row)).transpose()
    }

    async fn query(&self, layer: Layer, query: &Query) -> StoreResult<Vec<Feature>> {
        let mut stmt = Statement::new(
            Dialect::GeoPackage,
            format!(
                "SELECT {} FROM {layer}",
                sql::select_list(Dialect::GeoPackage, layer)
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
        let mut stmt = Statement::new(Dialect::GeoPackage, format!("SELECT count(*) FROM {layer}"));
        sql::push_filters(&mut stmt, layer, query)
            .map_err(|source| StoreError::Invalid { index: 0, source })?;
        let row = bind_all(sqlx::query(&stmt.sql), stmt.params)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }

    async fn snapshot(&self, alert_id: FeatureId) -> StoreResult<Option<Snapshot>> {
        let row: Option<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as(&sql::snapshot_select(Dialect::GeoPackage))
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
        let rows: Vec<AuditRow> = sqlx::query_as(&sql::audit_select(Dialect::GeoPackage))
            .bind(since)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn tip_contact(&self, tip: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(&sql::contact_select(Dialect::GeoPackage))
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
        let row: Option<(Vec<u8>,)> = sqlx::query_as(&sql::photo_select(Dialect::GeoPackage))
            .bind(inspection_id.get())
            .bind(i64::from(n))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(jpeg,)| jpeg))
    }

    async fn positions_between(&self, from: f64, to: f64) -> StoreResult<Vec<Position>> {
        let rows: Vec<PositionRow> = sqlx::query_as(&format!(
            "{POSITION_COLUMNS} FROM positions WHERE t >= ? AND t < ? ORDER BY t, fid"
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

    async fn close(&self) {
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            tracing::warn!(%error, path = %self.path, "checkpoint before close failed");
        }
        self.pool.close().await;
        self.writer.close().await;
    }

    fn describe(&self) -> String {
        format!("GeoPackage {}", self.path)
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn bind_all(mut query: SqliteQuery<'_>, params: Vec<SqlValue>) -> SqliteQuery<'_> {
    for value in params {
        query = match value {
            SqlValue::Text(v) => query.bind(v),
            SqlValue::Int(v) => query.bind(v),
            SqlValue::Real(v) => query.bind(v),
            SqlValue::Bool(v) => query.bind(v),
            SqlValue::Json(v) => query.bind(v.map(|j| j.0.to_string())),
            SqlValue::Blob(v) => query.bind(v),
        };
    }
    query
}

fn decode_row(layer: Layer, row: &SqliteRow) -> StoreResult<Feature> {
    let fid: i64 = row.try_get(0)?;
    let blob: Option<Vec<u8>> = row.try_get(1)?;
    let geometry = blob
        .map(|b| decode_geometry(&b))
        .transpose()
        .map_err(|reason| StoreError::CorruptGeometry {
            layer,
            id: fid,
            reason,
        })?;
    let mut properties = Map::new();
    for (i, field) in layer.fields().iter().enumerate() {
        let column = i + 2;
        let value = match field.ty {
            FieldType::Text => SqlValue::Text(row.try_get(column)?),
            FieldType::Integer => SqlValue::Int(row.try_get(column)?),
            FieldType::Real => SqlValue::Real(row.try_get(column)?),
            FieldType::Bool => SqlValue::Bool(row.try_get(column)?),
            FieldType::Json => {
                let text: Option<String> = row.try_get(column)?;
                SqlValue::Json(
                    text.and_then(|t| serde_json::from_str(&t).ok())
                        .map(sqlx::types::Json),
                )
            }
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

/// The DDL of the GeoPackage core tables and of every layer (idempotent).
/// The SQLite column type of an attribute.
fn column_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text | FieldType::Json => "TEXT",
        FieldType::Integer => "INTEGER",
        FieldType::Real => "REAL",
        FieldType::Bool => "BOOLEAN",
    }
}

fn schema_statements() -> Vec<String> {
    let mut statements = vec![
        format!("PRAGMA application_id = {GPKG_APPLICATION_ID}"),
        format!("PRAGMA user_version = {GPKG_USER_VERSION}"),
        "CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, \
         organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)"
            .into(),
        format!(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WGS84_WKT}', \
             'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')"
        ),
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system')".into(),
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system')".into(),
        "CREATE TABLE IF NOT EXISTS gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, \
         identifier TEXT UNIQUE, description TEXT DEFAULT '', \
         last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), \
         min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, \
         CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))"
            .into(),
        "CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
         geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, \
         CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name), \
         CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), \
         CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))"
            .into(),
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, \
         definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
            .into(),
    ];
    for layer in Layer::ALL {
        let mut columns = vec![
            "fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL".to_owned(),
            format!("geom {}", layer.geometry_type().sql_name()),
        ];
        for field in layer.fields() {
            let ty = column_type(field.ty);
            let null = if field.nullable { "" } else { " NOT NULL" };
            columns.push(format!("{} {ty}{null}", field.name));
        }
        statements.push(format!(
            "CREATE TABLE IF NOT EXISTS {layer} ({})",
            columns.join(", ")
        ));
        statements.push(format!(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('{layer}', 'features', '{layer}', 4326)"
        ));
        statements.push(format!(
            "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('{layer}', 'geom', '{}', 4326, 0, 0)",
            layer.geometry_type().sql_name()
        ));
        statements.push(format!("CREATE VIRTUAL TABLE IF NOT EXISTS rtree_{layer}_geom USING rtree(id, minx, maxx, miny, maxy)"));
        statements.push(format!(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES ('{layer}', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')"
        ));
        if let Some((start, end)) = layer.time_fields() {
            statements.push(format!(
                "CREATE INDEX IF NOT EXISTS {layer}_time ON {layer} ({start}, {end})"
            ));
        }
    }
    statements.extend([
        "CREATE TABLE IF NOT EXISTS positions (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, subject_kind TEXT NOT NULL, \
         subject_id TEXT NOT NULL, t REAL NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL, speed_mps REAL, course_deg REAL, heading_deg REAL)"
            .to_owned(),
        // one index, led by time: fixes arrive roughly in time order, so new entries land on
        // the last pages instead of one random page per subject (those would all be written
        // again at every commit)
        "CREATE UNIQUE INDEX IF NOT EXISTS positions_t_subject ON positions (t, subject_kind, subject_id)".into(),
        "DROP INDEX IF EXISTS positions_subject_t".into(),
        "DROP INDEX IF EXISTS positions_t".into(),
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES ('positions', 'attributes', 'positions')".into(),
        // evidence pictures of alerts, an attribute table keyed by the alert's fid; no foreign
        // key, so that a snapshot may outlive its alert
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (alert_id INTEGER PRIMARY KEY NOT NULL, \
             frame_jpeg BLOB NOT NULL, crop_jpeg BLOB NOT NULL)",
            table = sql::SNAPSHOT_TABLE
        ),
        format!(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES ('{table}', 'attributes', '{table}')",
            table = sql::SNAPSHOT_TABLE
        ),
        // the audit log: rows are appended, never changed (the triggers refuse it)
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, at INTEGER NOT NULL, \
             user_name TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, before TEXT, after TEXT)",
            table = sql::AUDIT_TABLE
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS {table}_at ON {table} (at)",
            table = sql::AUDIT_TABLE
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            table = sql::AUDIT_TABLE
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            table = sql::AUDIT_TABLE
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (tip TEXT PRIMARY KEY NOT NULL, contact TEXT NOT NULL)",
            table = sql::CONTACT_TABLE
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (inspection_id INTEGER NOT NULL, n INTEGER NOT NULL, \
             jpeg BLOB NOT NULL, PRIMARY KEY (inspection_id, n))",
            table = sql::PHOTO_TABLE
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (plate TEXT PRIMARY KEY NOT NULL, reason TEXT NOT NULL, \
             added_by TEXT NOT NULL, added_at INTEGER NOT NULL)",
            table = sql::WATCH_TABLE
        ),
    ]);
    for table in [
        sql::AUDIT_TABLE,
        sql::CONTACT_TABLE,
        sql::PHOTO_TABLE,
        sql::WATCH_TABLE,
    ] {
        statements.push(format!(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES ('{table}', 'attributes', '{table}')"
        ));
    }
    statements
}

/// Encodes a geometry as a GeoPackage blob: `GP` header with SRS 4326 and, except for
/// points, an xy envelope, followed by little-endian WKB.
pub fn encode_geometry(geometry: &Geometry) -> StoreResult<Vec<u8>> {
    let wkb = geometry
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| StoreError::Invalid {
            index: 0,
            source: coastwatch_core::ModelError::invalid("geometry", e.to_string()),
        })?;
    let envelope = match geometry {
        Geometry::Point(_) => None,
        other => sql::envelope(other),
    };
    let mut blob = Vec::with_capacity(8 + 32 + wkb.len());
    blob.extend_from_slice(b"GP");
    blob.push(0); // version 1
    let envelope_code: u8 = if envelope.is_some() { 1 } else { 0 };
    blob.push((envelope_code << 1) | 1); // little-endian header
    blob.extend_from_slice(&4326i32.to_le_bytes());
    for v in envelope.into_iter().flatten() {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    blob.extend_from_slice(&wkb);
    Ok(blob)
}

/// Decodes a GeoPackage geometry blob (any envelope kind, either byte order).
pub fn decode_geometry(blob: &[u8]) -> Result<Geometry, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("missing GP header".into());
    }
    let flags = blob[3];
    if flags & 0b10_0000 != 0 {
        return Err("extended GeoPackage geometry types are not supported".into());
    }
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        code => return Err(format!("envelope code {code} is invalid")),
    };
    let wkb = blob
        .get(8 + envelope_len..)
        .ok_or("blob shorter than its header")?;
    geozero::wkb::Wkb(wkb.to_vec())
        .to_geo()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use geo::{point, polygon};

    use super::*;

    #[test]
    fn blob_round_trip_and_header() {
        let p: Geometry = point!(x: 121.5, y: 29.6).into();
        let blob = encode_geometry(&p).unwrap();
        assert_eq!(&blob[..4], b"GP\0\x01");
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().unwrap()), 4326);
        assert_eq!(decode_geometry(&blob).unwrap(), p);

        let poly: Geometry =
            polygon![(x: 1.0, y: 2.0), (x: 3.0, y: 2.0), (x: 3.0, y: 5.0), (x: 1.0, y: 2.0)].into();
        let blob = encode_geometry(&poly).unwrap();
        assert_eq!(blob[3], 0b11, "xy envelope, little endian");
        assert_eq!(
            f64::from_le_bytes(blob[16..24].try_into().unwrap()),
            3.0,
            "maxx"
        );
        assert_eq!(decode_geometry(&blob).unwrap(), poly);
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        assert!(decode_geometry(b"").is_err());
        assert!(decode_geometry(b"XX\0\x01\0\0\0\0").is_err());
        assert!(decode_geometry(b"GP\0\x0f\0\0\0\0").is_err());
        assert!(decode_geometry(b"GP\0\x01\xe6\x10\0\0\x01\x01").is_err());
    }
}
