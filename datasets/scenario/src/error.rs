//! The error type of scenario generation, export and evaluation.

use std::path::PathBuf;

use coastwatch_core::ModelError;

/// What went wrong while loading a district, generating, writing, reading or evaluating a
/// scenario.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not the JSON it should be.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A feature of a layer file is not valid for its layer.
    #[error("{}: feature {index}: {source}", path.display())]
    Feature {
        /// The file.
        path: PathBuf,
        /// The feature's position in the collection (from 0).
        index: usize,
        /// The cause.
        source: ModelError,
    },
    /// A line of a text file (NMEA log, CSV) is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The line number (from 1).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The district's layers cannot be used (fences that do not compile, no usable lanes).
    #[error("district: {0}")]
    District(String),
    /// The configuration cannot be used.
    #[error("configuration: {0}")]
    Config(String),
    /// A camera that cannot be posed or rendered.
    #[error("camera {camera}: {reason}")]
    Camera {
        /// The camera's name (or id).
        camera: String,
        /// What is wrong.
        reason: String,
    },
    /// The detectors could not be set up for an evaluation.
    #[error("detectors: {0}")]
    Detectors(#[from] ModelError),
}

/// The result of scenario operations.
pub type Result<T, E = ScenarioError> = std::result::Result<T, E>;
