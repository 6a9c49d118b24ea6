//! Persistence: one [`Store`] trait, two backends (GeoPackage file, PostGIS).
//!
//! Both backends keep one table per [`Layer`] with typed columns, so that QGIS, `ogrinfo`
//! and `psql` users see ordinary tables, plus a `positions` table of raw fixes indexed by
//! (subject, time) and an `alert_snapshots` table of the alerts' evidence pictures
//! ([`Snapshot`]). Every write is one transaction: a batch is stored whole or not at all.

mod error;
mod geopackage;
mod postgis;
mod sql;

pub use error::{StoreError, StoreResult};
pub use geopackage::GeoPackageStore;
pub use postgis::PostgisStore;

use async_trait::async_trait;
use geo::Rect;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use coastwatch_tiles::TileCoord;

/// What to read from a layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Only features whose bounding box intersects this lon/lat rectangle.
    pub bbox: Option<Rect>,
    /// Only features whose time span (see [`Layer::time_fields`]) overlaps `[from, to]`, epoch s.
    pub time: Option<(i64, i64)>,
    /// Only features whose attribute equals the value (text, integer or boolean fields).
    pub equals: Vec<(String, Value)>,
    /// At most this many features.
    pub limit: Option<u64>,
    /// Skip this many features (in id order).
    pub offset: u64,
    /// Newest (highest id) first rather than oldest first.
    pub newest_first: bool,
}

/// The kind of object a fix belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// An AIS vessel (subject id: MMSI).
    Vessel,
    /// A road vehicle (subject id: vehicle_id).
    Vehicle,
    /// A camera track (subject id: camera/track id).
    CameraTrack,
}

impl SubjectKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vessel => "vessel",
            Self::Vehicle => "vehicle",
            Self::CameraTrack => "camera_track",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Vessel, Self::Vehicle, Self::CameraTrack]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One position fix of a moving object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// What moved.
    pub kind: SubjectKind,
    /// Its id (MMSI as decimal text, vehicle id, …).
    pub subject_id: String,
    /// When (epoch s, fractional).
    pub t_epoch_s: f64,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Speed over ground (m/s).
    pub speed_mps: Option<f64>,
    /// Course over ground (deg).
    pub course_deg: Option<f64>,
    /// Heading (deg).
    pub heading_deg: Option<f64>,
}

/// The SELECT list both backends read fixes with, in [`PositionRow`] order.
const POSITION_COLUMNS: &str =
    "SELECT subject_kind, subject_id, t, lon, lat, speed_mps, course_deg, heading_deg";

/// A `positions` row as read back.
type PositionRow = (
    String,
    String,
    f64,
    f64,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

impl From<PositionRow> for Position {
    fn from(
        (kind, subject_id, t_epoch_s, lon, lat, speed_mps, course_deg, heading_deg): PositionRow,
    ) -> Self {
        Self {
            kind: SubjectKind::parse(&kind).unwrap_or(SubjectKind::Vessel),
            subject_id,
            t_epoch_s,
            lon,
            lat,
            speed_mps,
            course_deg,
            heading_deg,
        }
    }
}

/// Most bytes the two pictures of one [`Snapshot`] may take together: 4 MiB.
pub const MAX_SNAPSHOT_BYTES: usize = 4 * 1024 * 1024;

/// The evidence pictures of one alert (a camera's frame and the object's crop), stored with
/// the alert and served with it.
///
/// A snapshot is kept when its alert feature is deleted (alerts are never deleted today).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The alert's feature id in the `alerts` layer.
    pub alert_id: FeatureId,
    /// The whole frame with the object's box drawn, as JPEG.
    pub frame_jpeg: Vec<u8>,
    /// The object and its surroundings, as JPEG.
    pub crop_jpeg: Vec<u8>,
}

impl Snapshot {
    /// Why the store refuses this snapshot, if it does: an empty picture, one that does not
    /// start with the JPEG SOI marker (`FF D8`), or more than [`MAX_SNAPSHOT_BYTES`] together.
    fn check(&self) -> Result<(), coastwatch_core::ModelError> {
        let refuse = |reason: String| {
            Err(coastwatch_core::ModelError::invalid(
                "snapshot",
                format!("alert {}: {reason}", self.alert_id.get()),
            ))
        };
        for (name, jpeg) in [
            ("frame_jpeg", &self.frame_jpeg),
            ("crop_jpeg", &self.crop_jpeg),
        ] {
            if jpeg.is_empty() {
                return refuse(format!("{name} is empty"));
            }
            if !jpeg.starts_with(&[0xFF, 0xD8]) {
                return refuse(format!("{name} is not a JPEG (no FF D8 marker)"));
            }
        }
        let bytes = self.frame_jpeg.len() + self.crop_jpeg.len();
        if bytes > MAX_SNAPSHOT_BYTES {
            return refuse(format!(
                "{bytes} bytes of pictures, more than {MAX_SNAPSHOT_BYTES}"
            ));
        }
        Ok(())
    }
}

/// One entry of the append-only audit log: who did what to which object, when, with the
/// object before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its number in the log (given by the store; ignored when appending).
    #[serde(default)]
    pub id: i64,
    /// When (epoch s).
    pub at: i64,
    /// Who (the token's user).
    pub user: String,
    /// What, as `object.action` (`case.handover`, `alert.ack`, …).
    pub action: String,
    /// The object, as `layer/id`.
    pub target: String,
    /// The object before (none for a creation).
    pub before: Option<Value>,
    /// The object after (none for a deletion).
    pub after: Option<Value>,
}

/// The contact a public tip's reporter left, kept apart from the tip alert (which everyone
/// reads) and shown to admins only.
#[derive(Debug, Clone, PartialEq)]
pub struct TipContact {
    /// The tip alert's subject id.
    pub tip: String,
    /// Phone, name or whatever the reporter gave.
    pub contact: String,
}

/// A number plate on the watch list: a camera that reads it raises `watchlist_vehicle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchEntry {
    /// The plate, normalised (`浙B12345`).
    pub plate: String,
    /// Why it is watched.
    pub reason: String,
    /// Who put it on the list.
    pub added_by: String,
    /// When (epoch s).
    pub added_at: i64,
}

/// A change of the watch list.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchChange {
    /// Adds a plate, or replaces its entry.
    Put(WatchEntry),
    /// Takes a plate off (normalised).
    Remove(String),
}

/// Most bytes of one inspection photo: 2 MiB.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// A photo taken at an inspection (JPEG).
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    /// The inspection's feature id.
    pub inspection_id: FeatureId,
    /// Its number among the inspection's photos, from 0.
    pub n: u32,
    /// The picture.
    pub jpeg: Vec<u8>,
}

/// Rows of a layer that take only some columns: the layer, the features (each with its id)
/// and the columns (`geom` for the geometry); see [`Changes::refreshes`].
pub type Refresh = (Layer, Vec<Feature>, &'static [&'static str]);

/// What one ingest batch or action writes: fixes, object rows, alert snapshots, audit entries,
/// tip contacts and inspection photos, stored in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Fixes to append; a fix already stored (same subject and time) is skipped.
    pub positions: Vec<Position>,
    /// Features to insert or replace, per layer; every feature carries an id.
    pub upserts: Vec<(Layer, Vec<Feature>)>,
    /// Features whose stored rows take only the named columns (`geom` for the geometry), per
    /// layer; every feature carries an id, and a row that is not there (deleted meanwhile)
    /// stays away. What the server keeps current itself (a vehicle's last position, a risk
    /// point's card) so never overwrites what a user changed in the same row.
    pub refreshes: Vec<Refresh>,
    /// Evidence pictures of alerts; one replaces the snapshot its alert already has.
    pub snapshots: Vec<Snapshot>,
    /// Entries to append to the audit log.
    pub audit: Vec<AuditEntry>,
    /// Contacts of new tips.
    pub contacts: Vec<TipContact>,
    /// Photos of inspections.
    pub photos: Vec<Photo>,
    /// Changes of the watch list.
    pub watchlist: Vec<WatchChange>,
}

impl Changes {
    /// Whether there is nothing to store.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
            && self.upserts.is_empty()
            && self.refreshes.is_empty()
            && self.snapshots.is_empty()
            && self.audit.is_empty()
            && self.contacts.is_empty()
            && self.photos.is_empty()
            && self.watchlist.is_empty()
    }

    /// Adds features to insert or replace in `layer` (nothing when `features` is empty).
    pub fn upsert(&mut self, layer: Layer, features: Vec<Feature>) {
        if !features.is_empty() {
            self.upserts.push((layer, features));
        }
    }

    /// Adds features whose stored rows in `layer` take only `columns` (nothing when
    /// `features` is empty).
    pub fn refresh(
        &mut self,
        layer: Layer,
        features: Vec<Feature>,
        columns: &'static [&'static str],
    ) {
        if !features.is_empty() {
            self.refreshes.push((layer, features, columns));
        }
    }
}

/// Persistent storage of layers and fixes. Implementations are cheap to share (`Arc`).
#[async_trait]
pub trait Store: Send + Sync {
    /// Validates and stores `features` in one transaction, returning their ids in order.
    /// A feature with an id keeps it (a taken id is a [`StoreError::Conflict`]).
    async fn insert(&self, layer: Layer, features: Vec<Feature>) -> StoreResult<Vec<FeatureId>>;

    /// Inserts or replaces features that all carry an id, in one transaction.
    async fn upsert(&self, layer: Layer, features: Vec<Feature>) -> StoreResult<()> {
        let mut changes = Changes::default();
        changes.upsert(layer, features);
        self.commit(changes).await
    }

    /// Stores the fixes, upserts and snapshots of `changes` in one transaction: all or
    /// nothing. An invalid feature or snapshot is a [`StoreError::Invalid`] and stores nothing.
    async fn commit(&self, changes: Changes) -> StoreResult<()>;

    /// Reads the snapshot of alert `alert_id`; `None` when it has none.
    async fn snapshot(&self, alert_id: FeatureId) -> StoreResult<Option<Snapshot>>;

    /// Audit entries at or after `since` (epoch s), oldest first, at most `limit`.
    async fn audit(&self, since: i64, limit: u64) -> StoreResult<Vec<AuditEntry>>;

    /// The contact left with tip `tip` (the tip alert's subject id), if any.
    async fn tip_contact(&self, tip: &str) -> StoreResult<Option<String>>;

    /// The watch list, by plate.
    async fn watchlist(&self) -> StoreResult<Vec<WatchEntry>>;

    /// Photo `n` of inspection `inspection_id`, if there is one.
    async fn photo(&self, inspection_id: FeatureId, n: u32) -> StoreResult<Option<Vec<u8>>>;

    /// Replaces feature `id`; `false` when there is none.
    async fn replace(&self, layer: Layer, id: FeatureId, feature: Feature) -> StoreResult<bool>;

    /// Deletes feature `id`; `false` when there is none.
    async fn delete(&self, layer: Layer, id: FeatureId) -> StoreResult<bool>;

    /// Reads feature `id`.
    async fn get(&self, layer: Layer, id: FeatureId) -> StoreResult<Option<Feature>>;

    /// Reads the features that match, in id order.
    async fn query(&self, layer: Layer, query: &Query) -> StoreResult<Vec<Feature>>;

    /// Counts the features that match, ignoring `limit` and `offset`.
    async fn count(&self, layer: Layer, query: &Query) -> StoreResult<u64>;

    /// Fixes at or after `t_epoch_s`, in time order (to rebuild in-memory state at start).
    async fn positions_since(&self, t_epoch_s: f64) -> StoreResult<Vec<Position>> {
        self.positions_between(t_epoch_s, f64::MAX).await
    }

    /// Fixes at or after `from` and before `to` (epoch s), in time order (an export day by
    /// day).
    async fn positions_between(&self, from: f64, to: f64) -> StoreResult<Vec<Position>>;

    /// The times of the first and the last fix stored, `None` without any.
    async fn positions_span(&self) -> StoreResult<Option<(f64, f64)>>;

    /// The layer's features in tile `coord` as one encoded MVT layer, when the backend can
    /// build it itself (PostGIS: `ST_AsMVT`); `None` to let the caller encode `query` results.
    /// Extent 4096, buffer 64, clipped; an empty tile is an empty vector.
    async fn mvt_layer(
        &self,
        _layer: Layer,
        _coord: TileCoord,
        _time: Option<(i64, i64)>,
    ) -> StoreResult<Option<Vec<u8>>> {
        Ok(None)
    }

    /// Commits a tiny write, to learn whether the store takes writes again after a failure
    /// (disk full, database down). Changes no feature.
    async fn probe_write(&self) -> StoreResult<()>;

    /// Flushes and closes every connection (a GeoPackage's WAL is checkpointed into the file
    /// so that other readers see it whole). Later calls fail.
    async fn close(&self);

    /// A short human description (path or URL without password).
    fn describe(&self) -> String;
}

/// Opens the store at `location`: a `postgres://` (or `postgresql://`) URL, or a GeoPackage
/// file path (created when missing).
pub async fn open(location: &str) -> StoreResult<Box<dyn Store>> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(PostgisStore::connect(location).await?))
    } else {
        Ok(Box::new(GeoPackageStore::open(location).await?))
    }
}

fn validate_all(layer: Layer, features: Vec<Feature>) -> StoreResult<Vec<Feature>> {
    features
        .into_iter()
        .enumerate()
        .map(|(index, f)| {
            layer
                .validate(f)
                .map_err(|source| StoreError::Invalid { index, source })
        })
        .collect()
}

/// [`validate_upserts`] for refreshes.
fn validate_refreshes(refreshes: Vec<Refresh>) -> StoreResult<Vec<Refresh>> {
    refreshes
        .into_iter()
        .map(|(layer, features, columns)| {
            let checked = validate_upserts(vec![(layer, features)])?;
            let features = checked.into_iter().flat_map(|(_, f)| f).collect();
            Ok((layer, features, columns))
        })
        .collect()
}

/// Validates the features of every upsert, checks that each carries an id, and keeps only
/// the last of features that share an id (a statement may change a row only once).
fn validate_upserts(
    upserts: Vec<(Layer, Vec<Feature>)>,
) -> StoreResult<Vec<(Layer, Vec<Feature>)>> {
    upserts
        .into_iter()
        .map(|(layer, features)| {
            let features = validate_all(layer, features)?;
            if let Some(index) = features.iter().position(|f| f.id.is_none()) {
                return Err(StoreError::Invalid {
                    index,
                    source: coastwatch_core::ModelError::invalid(
                        "id",
                        "upsert needs an id on every feature",
                    ),
                });
            }
            let mut seen = std::collections::HashSet::new();
            let mut last: Vec<Feature> = features
                .into_iter()
                .rev()
                .filter(|f| seen.insert(f.id))
                .collect();
            last.reverse();
            Ok((layer, last))
        })
        .collect()
}

/// Checks every snapshot ([`StoreError::Invalid`] with its position in the list).
/// Refuses photos that are empty, not JPEG or larger than [`MAX_PHOTO_BYTES`].
fn validate_photos(photos: &[Photo]) -> StoreResult<()> {
    for (index, photo) in photos.iter().enumerate() {
        let why = if photo.jpeg.is_empty() {
            "is empty".to_owned()
        } else if !photo.jpeg.starts_with(&[0xFF, 0xD8]) {
            "is not a JPEG (no FF D8 marker)".to_owned()
        } else if photo.jpeg.len() > MAX_PHOTO_BYTES {
            format!(
                "has {} bytes, more than {MAX_PHOTO_BYTES}",
                photo.jpeg.len()
            )
        } else {
            continue;
        };
        return Err(StoreError::Invalid {
            index,
            source: coastwatch_core::ModelError::invalid(
                "photo",
                format!(
                    "photo {} of inspection {} {why}",
                    photo.n,
                    photo.inspection_id.get()
                ),
            ),
        });
    }
    Ok(())
}

fn validate_snapshots(snapshots: &[Snapshot]) -> StoreResult<()> {
    for (index, snapshot) in snapshots.iter().enumerate() {
        snapshot
            .check()
            .map_err(|source| StoreError::Invalid { index, source })?;
    }
    Ok(())
}

/// Puts the batch position into a per-feature error raised while writing.
/// An audit row as read back: id, at, user, action, target, before, after (JSON text).
type AuditRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl From<AuditRow> for AuditEntry {
    fn from((id, at, user, action, target, before, after): AuditRow) -> Self {
        let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        Self {
            id,
            at,
            user,
            action,
            target,
            before: json(before),
            after: json(after),
        }
    }
}

/// The JSON text of an audit entry's before or after.
fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

fn reindex(error: StoreError, index: usize) -> StoreError {
    match error {
        StoreError::Invalid { source, .. } => StoreError::Invalid { index, source },
        other => other,
    }
}

fn unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
