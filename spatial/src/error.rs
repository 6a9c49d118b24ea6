//! Error types of the spatial crate.

use crate::layer::Layer;

/// A value, geometry or record that breaks a rule of the domain model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A number outside its allowed range.
    #[error("{what} {value} {rule}")]
    OutOfRange {
        /// The value's name.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A value that cannot be used, with the reason.
    #[error("{what}: {reason}")]
    Invalid {
        /// The value's name.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A layer name that does not exist.
    #[error("unknown layer {0:?}; known layers: {known}", known = Layer::names().join(", "))]
    UnknownLayer(String),
}

impl ModelError {
    /// A shorthand for [`ModelError::Invalid`].
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// A failure of a [`Store`](crate::store::Store) operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Feature number `index` (0-based, in the order given) was refused; nothing was written.
    #[error("feature {index}: {source}")]
    Invalid {
        /// Position of the feature in the batch.
        index: usize,
        /// What is wrong with it.
        source: ModelError,
    },
    /// A feature with this id already exists in the layer.
    #[error("{layer} already has a feature with id {id}")]
    Conflict {
        /// The layer written to.
        layer: Layer,
        /// The id that is taken.
        id: i64,
    },
    /// The store location cannot be used (bad path or URL, unreachable server).
    #[error("cannot open store {location}: {reason}")]
    Open {
        /// The path or URL, with any password removed.
        location: String,
        /// What went wrong.
        reason: String,
    },
    /// The file exists but is not a GeoPackage this program can use.
    #[error("{path} is not a usable GeoPackage: {reason}")]
    NotAGeoPackage {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored geometry could not be decoded.
    #[error("stored geometry of {layer} feature {id} is corrupt: {reason}")]
    CorruptGeometry {
        /// The layer read from.
        layer: Layer,
        /// The feature's id.
        id: i64,
        /// The decoder's message.
        reason: String,
    },
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A schema migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The result type of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
