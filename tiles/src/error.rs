//! The crate's error type, gathering the errors of each module.

use thiserror::Error;

use crate::coord::TileCoordError;
use crate::mvt::{DecodeError, EncodeError};

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A zoom level or tile coordinate was rejected.
    #[error(transparent)]
    TileCoord(#[from] TileCoordError),
    /// A vector tile could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A feature could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;
