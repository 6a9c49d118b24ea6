//! The error of store operations.

use coastwatch_core::{Layer, ModelError};

/// A failure of a [`Store`](crate::Store) operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Feature number `index` (0-based, in the order given) was refused; nothing was written.
    /// In a [`Changes`](crate::Changes) it may be a snapshot, numbered in its `snapshots`.
    #[error("feature {index}: {source}")]
    Invalid {
        /// Position of the feature (or snapshot) in the batch.
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

impl StoreError {
    /// Whether the store itself cannot write or be reached right now (disk full, I/O error,
    /// a database that is down, restarting or timed out), as opposed to a request that is
    /// wrong. Such a failure is worth retrying later; nothing of the failed write was kept.
    pub fn is_unavailable(&self) -> bool {
        let Self::Database(error) = self else {
            return matches!(self, Self::Open { .. });
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
            _ => false,
        }
    }
}

/// SQLite result codes (primary code in the low byte of the extended one) and PostgreSQL
/// SQLSTATEs that say the database cannot write now, not that the statement is wrong.
fn unavailable_code(code: &str) -> bool {
    if let Ok(sqlite) = code.parse::<i32>() {
        // SQLITE_BUSY 5, SQLITE_LOCKED 6, SQLITE_NOMEM 7, SQLITE_READONLY 8,
        // SQLITE_IOERR 10, SQLITE_FULL 13, SQLITE_CANTOPEN 14, SQLITE_PROTOCOL 15
        return matches!(sqlite & 0xff, 5..=8 | 10 | 13..=15);
    }
    // 08: connection exception, 53: insufficient resources (53100 disk full), 57P0x:
    // server shutting down or starting, 57014: statement timeout, 58: system (I/O) error
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P0")
        || code == "57014"
        || code.starts_with("58")
}

/// The result type of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
