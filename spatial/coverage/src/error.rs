//! Errors of coverage planning.

use crate::ModelError;

/// Why coverage planning cannot run on its input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageError {
    /// A camera (or the candidate template) has a parameter outside its rule.
    #[error("camera {camera}: {what} {value} {rule}")]
    BadCamera {
        /// The camera: its id and name, or `template` for candidate sites.
        camera: String,
        /// The parameter (`hfov_deg`, `range_m`, …).
        what: &'static str,
        /// The offending value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A planning option outside its rule.
    #[error("{what} {value} {rule}")]
    BadOption {
        /// The option's name.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A feature of an input layer cannot be used.
    #[error("{layer} feature {id}: {source}")]
    BadFeature {
        /// The layer it was read from.
        layer: &'static str,
        /// Its id (0 when it has none).
        id: i64,
        /// What is wrong with it.
        source: ModelError,
    },
    /// The watch area (district polygon or bounding box) cannot be divided into H3 cells.
    #[error("watch area: {0}")]
    WatchArea(String),
    /// The map image could not be drawn or encoded.
    #[error("map image: {0}")]
    Render(String),
}

impl CoverageError {
    /// Whether the error comes from what the user gave (a bad camera, option or feature)
    /// rather than from a failure while computing.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::BadCamera { .. } | Self::BadOption { .. } | Self::BadFeature { .. }
        )
    }
}

/// The result type of coverage planning.
pub type CoverageResult<T> = Result<T, CoverageError>;
