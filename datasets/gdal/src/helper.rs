//! The helper process `coastwatch-gdal`, which `coastwatch` runs for GDAL's work:
//!
//! ```text
//! coastwatch-gdal dem FILE
//! coastwatch-gdal import FILE LAYER [--source-layer NAME] [--map TARGET=SOURCE]…
//! ```
//!
//! It answers on stdout in the formats of `coastwatch_io::dem` and
//! `coastwatch_io::import::Answer`. A file it refuses ends it with exit status
//! [`REFUSED_STATUS`] and the reason as the last line on stderr; warnings go to stderr
//! before it.

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use coastwatch_core::Layer;
use coastwatch_io::REFUSED_STATUS;
use coastwatch_io::import::{Answer, ImportOptions};

/// How it is called.
const USAGE: &str = "usage: coastwatch-gdal dem FILE\n       \
                     coastwatch-gdal import FILE LAYER [--source-layer NAME] [--map TARGET=SOURCE]...";

/// Exit status for wrong arguments (sysexits' EX_USAGE).
const USAGE_STATUS: u8 = 64;

/// Why a run gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The arguments are wrong.
    #[error("{0}\n{USAGE}")]
    Usage(String),
    /// The file is refused: the reason.
    #[error("{0}")]
    Refused(String),
    /// The answer could not be written.
    #[error("writing the answer: {0}")]
    Write(#[from] std::io::Error),
}

/// The helper's `main`.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_max_level(tracing::Level::WARN)
        .init();
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let result = run(args, &mut BufWriter::new(std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(match failure {
                Failure::Usage(_) => USAGE_STATUS,
                Failure::Refused(_) => REFUSED_STATUS as u8,
                Failure::Write(_) => 1,
            })
        }
    }
}

/// Does what `args` ask, writing the answer to `out`.
///
/// # Errors
/// [`Failure`]: wrong arguments, a refused file, an answer that could not be written.
pub fn run(args: Vec<OsString>, out: &mut dyn Write) -> Result<(), Failure> {
    let mut args = args.into_iter();
    let command = args.next().unwrap_or_default();
    let path: PathBuf = args
        .next()
        .ok_or_else(|| Failure::Usage("no FILE given".into()))?
        .into();
    match command.to_str() {
        Some("dem") => {
            if let Some(extra) = args.next() {
                return Err(Failure::Usage(format!("unexpected argument {extra:?}")));
            }
            let (dem, grid) = crate::dem::read_dem_and_grid(&path)
                .map_err(|e| Failure::Refused(e.to_string()))?;
            out.write_all(&coastwatch_io::dem::encode(&dem, grid.as_ref()))?;
        }
        Some("import") => {
            let layer: Layer = text(args.next(), "LAYER")?
                .parse()
                .map_err(|e| Failure::Usage(format!("LAYER: {e}")))?;
            let options = import_options(args)?.with_progress(|done, total| {
                // live progress goes straight out; the report follows through `out`
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(&Answer::Progress { done, total }.encode());
                let _ = stdout.flush();
            });
            let report = crate::import::read_layer(&path, layer, &options)
                .map_err(|e| Failure::Refused(e.to_string()))?;
            let answers = report
                .features
                .into_iter()
                .map(Answer::Feature)
                .chain(report.rejects.into_iter().map(Answer::Reject))
                .chain([Answer::End {
                    read: report.read,
                    ignored_fields: report.ignored_fields,
                }]);
            for answer in answers {
                out.write_all(&answer.encode())?;
            }
        }
        _ => return Err(Failure::Usage(format!("unknown command {command:?}"))),
    }
    out.flush()?;
    Ok(())
}

/// `--source-layer NAME` and `--map TARGET=SOURCE` options.
fn import_options(mut args: impl Iterator<Item = OsString>) -> Result<ImportOptions, Failure> {
    let mut options = ImportOptions::default();
    while let Some(flag) = args.next() {
        match flag.to_str() {
            Some("--source-layer") => {
                options.source_layer = Some(text(args.next(), "--source-layer")?);
            }
            Some("--map") => {
                let pair = text(args.next(), "--map")?;
                let (target, source) = pair.split_once('=').ok_or_else(|| {
                    Failure::Usage(format!("--map {pair:?} is not TARGET=SOURCE"))
                })?;
                options = options.map_field(target, source);
            }
            _ => return Err(Failure::Usage(format!("unexpected argument {flag:?}"))),
        }
    }
    Ok(options)
}

/// An argument that must be there and be UTF-8.
fn text(arg: Option<OsString>, what: &str) -> Result<String, Failure> {
    arg.ok_or_else(|| Failure::Usage(format!("{what} is missing")))?
        .into_string()
        .map_err(|raw| Failure::Usage(format!("{what} {raw:?} is not UTF-8")))
}
