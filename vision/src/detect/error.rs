//! What can go wrong loading a model or detecting.

use std::path::PathBuf;

/// A detector error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// No ONNX Runtime library to load.
    #[error(
        "ONNX Runtime library not found: {reason}; set ORT_DYLIB_PATH to libonnxruntime.so (scripts/install-onnxruntime.sh installs it and prints the path)"
    )]
    RuntimeMissing {
        /// What was looked at.
        reason: String,
    },
    /// The library exists but did not load (not a library, too old a version…).
    #[error("cannot load ONNX Runtime from {path}: {message}")]
    RuntimeLoad {
        /// The library file.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// The model file cannot be read.
    #[error("cannot read model {path}: {source}")]
    ModelRead {
        /// The model file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model file is not a valid ONNX model.
    #[error("{path} is not a valid ONNX model: {message}")]
    NotOnnx {
        /// The model file.
        path: PathBuf,
        /// ONNX Runtime's message.
        message: String,
    },
    /// The model's input is not one image tensor.
    #[error("model {path} has input {found}; expected one float tensor [1, 3, H, W]")]
    Input {
        /// The model file.
        path: PathBuf,
        /// The inputs found, as `name: type shape`.
        found: String,
    },
    /// The model's outputs fit no decoder of the configured family.
    #[error("model {path} has outputs {found}; a {family} model needs {expected}")]
    Outputs {
        /// The model file.
        path: PathBuf,
        /// The configured family.
        family: &'static str,
        /// The output shapes found.
        found: String,
        /// What the family's decoder reads.
        expected: String,
    },
    /// The configuration contradicts itself or the model.
    #[error("detector config: {0}")]
    Config(String),
    /// The frame's pixel buffer does not match its size.
    #[error("frame {index}: {reason}")]
    Frame {
        /// The frame's index.
        index: u64,
        /// What is wrong.
        reason: String,
    },
    /// ONNX Runtime failed.
    #[error("ONNX Runtime failed to {action}: {message}")]
    Onnx {
        /// What was being done.
        action: &'static str,
        /// ONNX Runtime's message.
        message: String,
    },
}

/// A result with [`DetectError`].
pub type Result<T, E = DetectError> = std::result::Result<T, E>;

impl DetectError {
    /// Whether the user's model or settings are at fault (rather than the runtime or the
    /// machine): a model that cannot be read or is not ONNX, outputs of no known family, a
    /// bad configuration or frame.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::ModelRead { .. }
                | Self::NotOnnx { .. }
                | Self::Input { .. }
                | Self::Outputs { .. }
                | Self::Config(_)
                | Self::Frame { .. }
        )
    }

    /// Wraps an ONNX Runtime error with what was being done.
    pub(crate) fn onnx<R>(action: &'static str) -> impl FnOnce(ort::Error<R>) -> DetectError {
        move |e| DetectError::Onnx {
            action,
            message: e.to_string(),
        }
    }
}
