//! Finding and running `coastwatch-gdal`, the process that does GDAL's work.
//!
//! GDAL is not linked into `coastwatch`: Debian's libgdal pulls in over a hundred shared
//! libraries whose relocation costs every start of the binary ~35 ms (a third of a short
//! `ais decode`), and a driver that crashes on a hostile file would take the server with
//! it. The helper reads one file per run and writes its answer to stdout in the format of
//! [`crate::wire`]; a file it refuses ends it with exit status 2 and the reason as the last
//! line on stderr.

use std::ffi::OsStr;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// Name of the helper's executable.
pub const HELPER_NAME: &str = "coastwatch-gdal";

/// The environment variable that names the helper's path, overriding the search.
pub const HELPER_ENV: &str = "COASTWATCH_GDAL";

/// The exit status with which the helper refuses a file (the reason on stderr).
pub const REFUSED_STATUS: i32 = 2;

/// At most this much of the helper's stderr is kept.
const STDERR_KEPT: usize = 16 * 1024;

/// Why the helper gave no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HelperError {
    /// The file is not what was asked for (missing, unreadable, wrong kind, bad CRS): the
    /// helper's reason.
    #[error("{0}")]
    Refused(String),
    /// The helper cannot be started.
    #[error(
        "cannot start the GDAL helper {}: {source} (it is built with coastwatch, \
         `cargo build -p coastwatch-server`, and looked for beside the coastwatch binary or \
         at ${HELPER_ENV})",
        path.display()
    )]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// The helper failed (crashed, was killed, answered something unreadable).
    #[error("the GDAL helper failed: {0}")]
    Failed(String),
}

/// The helper's executable.
#[derive(Debug, Clone)]
pub struct Helper {
    path: PathBuf,
}

impl Helper {
    /// The helper at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The helper named by `$COASTWATCH_GDAL`, else the one beside the running executable
    /// (or beside the directory of a test executable in `target/*/deps`), else the one on
    /// `PATH`.
    pub fn locate() -> Self {
        if let Some(path) = std::env::var_os(HELPER_ENV).filter(|p| !p.is_empty()) {
            return Self::at(path);
        }
        let beside = std::env::current_exe().ok().and_then(|exe| {
            let dir = exe.parent()?;
            [Some(dir), dir.parent().filter(|_| dir.ends_with("deps"))]
                .into_iter()
                .flatten()
                .map(|d| d.join(HELPER_NAME))
                .find(|p| p.is_file())
        });
        Self::at(beside.unwrap_or_else(|| PathBuf::from(HELPER_NAME)))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the helper with `args`, handing its stdout to `answer`. Warnings it wrote on
    /// stderr are logged.
    pub(crate) fn run<T>(
        &self,
        args: &[&OsStr],
        answer: impl FnOnce(&mut dyn Read) -> Result<T, HelperError>,
    ) -> Result<T, HelperError> {
        let mut child = Command::new(&self.path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| HelperError::Missing {
                path: self.path.clone(),
                source,
            })?;
        let mut stdout = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        let mut stderr = child.stderr.take().expect("piped");
        let (answer, stderr) = std::thread::scope(|scope| {
            let errors = scope.spawn(move || tail(&mut stderr));
            let answer = answer(&mut stdout);
            if answer.is_err() {
                // it may be blocked writing what will not be read
                let _ = child.kill();
            }
            drop(stdout);
            (answer, errors.join().unwrap_or_default())
        });
        let status = child
            .wait()
            .map_err(|e| HelperError::Failed(e.to_string()))?;
        let stderr = String::from_utf8_lossy(&stderr);
        let stderr = stderr.trim();
        if status.success() {
            for line in stderr.lines() {
                tracing::warn!(helper = HELPER_NAME, "{line}");
            }
            return answer;
        }
        Err(failure(status, stderr))
    }
}

/// What a helper that did not succeed said.
fn failure(status: ExitStatus, stderr: &str) -> HelperError {
    if status.code() == Some(REFUSED_STATUS) {
        let reason = stderr.lines().last().unwrap_or("no reason given");
        return HelperError::Refused(reason.to_owned());
    }
    let said = if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    };
    HelperError::Failed(format!("{status}{said}"))
}

/// Everything `from` gives, keeping the last [`STDERR_KEPT`] bytes.
fn tail(from: &mut dyn Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match from.read(&mut chunk) {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > STDERR_KEPT {
                    kept.drain(..kept.len() - STDERR_KEPT);
                }
            }
        }
    }
}

/// Reads all of `from` (the helper's answer).
pub(crate) fn read_all(from: &mut dyn Read) -> Result<Vec<u8>, HelperError> {
    let mut bytes = Vec::new();
    from.read_to_end(&mut bytes)
        .map_err(|e| HelperError::Failed(format!("reading its answer: {e}")))?;
    Ok(bytes)
}

/// The error for an answer that does not parse.
pub(crate) fn malformed(what: &str) -> HelperError {
    HelperError::Failed(format!("its answer ({what}) is malformed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_helper_says_where_it_was_looked_for() {
        let helper = Helper::at("/nonexistent/coastwatch-gdal");
        let err = helper.run(&[], read_all).unwrap_err();
        assert!(matches!(err, HelperError::Missing { .. }), "{err:?}");
        assert!(
            err.to_string().contains("/nonexistent/coastwatch-gdal"),
            "{err}"
        );
    }

    #[test]
    fn refusals_crashes_and_answers_are_told_apart() {
        let sh = Helper::at("/bin/sh");
        let run = |script: &str| sh.run(&[OsStr::new("-c"), OsStr::new(script)], read_all);
        assert_eq!(run("printf answer").unwrap(), b"answer");
        let refused = run("echo 'a warning' >&2; echo 'no such file: x.tif' >&2; exit 2");
        match refused {
            Err(HelperError::Refused(reason)) => assert_eq!(reason, "no such file: x.tif"),
            other => panic!("{other:?}"),
        }
        let crashed = run("echo 'ERROR 1: boom' >&2; kill -SEGV $$").unwrap_err();
        assert!(matches!(crashed, HelperError::Failed(_)), "{crashed:?}");
        assert!(crashed.to_string().contains("boom"), "{crashed}");
        // a helper that writes more than is read is killed, not waited for forever
        let stuck = sh.run(&[OsStr::new("-c"), OsStr::new("yes")], |_| {
            Err::<(), _>(malformed("test"))
        });
        assert!(stuck.is_err());
    }
}
