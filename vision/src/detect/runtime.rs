//! Finding and loading the ONNX Runtime library, once per process.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use super::error::{DetectError, Result};

/// The environment variable that names the ONNX Runtime library.
pub const ORT_DYLIB_PATH: &str = "ORT_DYLIB_PATH";

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();

/// The ONNX Runtime library to load: `ORT_DYLIB_PATH` if set, else `configured`. Checked before
/// `ort` is touched, because `ort` panics when it cannot find the library on its own.
pub fn library_path(configured: Option<&Path>) -> Result<PathBuf> {
    resolve(std::env::var_os(ORT_DYLIB_PATH), configured)
}

/// [`library_path`] given the variable's value.
fn resolve(var: Option<OsString>, configured: Option<&Path>) -> Result<PathBuf> {
    let (path, from) = match var.filter(|v| !v.is_empty()) {
        Some(v) => (PathBuf::from(v), ORT_DYLIB_PATH),
        None => match configured {
            Some(p) => (p.to_path_buf(), "the detector's `onnxruntime` setting"),
            None => {
                return Err(DetectError::RuntimeMissing {
                    reason: format!(
                        "{ORT_DYLIB_PATH} is unset and no `onnxruntime` path is configured"
                    ),
                });
            }
        },
    };
    if !path.is_file() {
        return Err(DetectError::RuntimeMissing {
            reason: format!("{from} names {}, which is not a file", path.display()),
        });
    }
    Ok(path)
}

/// The process's ONNX Runtime environment, loading the library on first use. The first library
/// loaded stays for the life of the process.
pub(crate) fn environment(configured: Option<&Path>) -> Result<Environment> {
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env.clone());
    }
    let path = library_path(configured)?;
    let builder = ort::init_from(&path).map_err(|e| DetectError::RuntimeLoad {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let env = builder
        .with_name("coastwatch")
        .build()
        .map_err(DetectError::onnx("create its environment"))?;
    Ok(ENVIRONMENT.get_or_init(|| env).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_explained_before_ort_is_touched() {
        let msg = resolve(None, None).unwrap_err().to_string();
        assert!(
            msg.contains("ORT_DYLIB_PATH is unset")
                && msg.contains("scripts/install-onnxruntime.sh"),
            "{msg}"
        );
        let msg = resolve(Some("/nope/libonnxruntime.so".into()), None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("ORT_DYLIB_PATH names /nope/libonnxruntime.so, which is not a file"),
            "{msg}"
        );
        let msg = resolve(Some("".into()), Some(Path::new("/nope/lib.so")))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("`onnxruntime` setting names /nope/lib.so"),
            "{msg}"
        );
        let file = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        assert_eq!(resolve(None, Some(file)).unwrap(), file);
    }
}
