//! The error of the domain model.

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
