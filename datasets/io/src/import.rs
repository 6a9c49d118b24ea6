//! Importing layers from files: [`read_layer`] runs `coastwatch-gdal import` on a GeoJSON,
//! GeoPackage, Shapefile or CSV file (anything OGR opens), which reprojects it to WGS84
//! lon/lat, maps its fields onto a [`Layer`]'s fields and validates every feature. Features
//! that break a rule do not stop the import: they come back as [`Reject`]s in the
//! [`ImportReport`], and the caller decides whether to store the valid ones or nothing.
//!
//! The helper answers with frames ([`Answer`]): progress while it reads, then the report.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Read;
use std::path::Path;

use coastwatch_core::{Feature, Layer};
use geozero::wkb::Wkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};

use crate::helper::{Helper, HelperError, malformed};
use crate::wire::{In, Malformed, Out};

/// How often (in features read) progress is reported.
pub const PROGRESS_EVERY: usize = 1000;

/// Largest frame of the helper's answer (one feature or the report's end).
const MAX_FRAME: usize = 256 << 20;

/// A progress callback: `(features done, features in total)`; the total is 0 when the
/// driver cannot count them up front.
pub type Progress = Box<dyn Fn(u64, u64) + Send>;

/// How to read a source file.
#[derive(Default)]
pub struct ImportOptions {
    /// Target field name → source field name. Target fields not listed here take the
    /// source field of the same name (compared without regard to case).
    pub field_map: BTreeMap<String, String>,
    /// The source layer to read from a multi-layer file; the first layer when `None`.
    pub source_layer: Option<String>,
    /// Called every [`PROGRESS_EVERY`] features and once at the end.
    pub progress: Option<Progress>,
}

impl ImportOptions {
    /// Takes the layer's field `target` from the source field `source`.
    pub fn map_field(mut self, target: impl Into<String>, source: impl Into<String>) -> Self {
        self.field_map.insert(target.into(), source.into());
        self
    }

    /// Reads the source layer named `name`.
    pub fn with_source_layer(mut self, name: impl Into<String>) -> Self {
        self.source_layer = Some(name.into());
        self
    }

    /// Reports progress to `progress` (features done, features in total).
    pub fn with_progress(mut self, progress: impl Fn(u64, u64) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The helper's arguments for reading `path` into `layer` with these options.
    pub fn helper_args(&self, path: &Path, layer: Layer) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["import".into(), path.into(), layer.name().into()];
        if let Some(source) = &self.source_layer {
            args.extend(["--source-layer".into(), source.into()]);
        }
        for (target, source) in &self.field_map {
            args.extend(["--map".into(), format!("{target}={source}").into()]);
        }
        args
    }
}

impl fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("field_map", &self.field_map)
            .field("source_layer", &self.source_layer)
            .field("progress", &self.progress.as_ref().map(|_| "Fn(u64, u64)"))
            .finish()
    }
}

/// A source feature that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Its position in the source, 1-based.
    pub feature_number: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "feature {}: {}", self.feature_number, self.reason)
    }
}

/// The outcome of reading a file into a layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// The valid features, validated and normalized by [`Layer::validate`], in source order.
    pub features: Vec<Feature>,
    /// The features that were not imported, in source order.
    pub rejects: Vec<Reject>,
    /// Source fields that map to no field of the layer, in source order.
    pub ignored_fields: Vec<String>,
    /// How many source features were read (valid and rejected).
    pub read: usize,
}

impl ImportReport {
    /// Whether every feature read is valid.
    pub fn is_clean(&self) -> bool {
        self.rejects.is_empty()
    }
}

/// Reads the file at `path` into features of `layer` through the GDAL helper.
///
/// Reads `options.source_layer` (default: the layer named like `layer`, else the first),
/// reprojects to EPSG:4326 lon/lat when the source has another CRS (a source without CRS
/// is taken as lon/lat), converts the fields to the types the layer wants and validates
/// every feature.
///
/// # Errors
/// [`HelperError::Refused`] with the reason when the file is missing or unreadable, the
/// source layer or a field of the field map does not exist, or the source CRS cannot be
/// transformed; the other [`HelperError`]s when the helper cannot run. Invalid features are
/// not errors: they are [`ImportReport::rejects`].
pub fn read_layer(
    helper: &Helper,
    path: &Path,
    layer: Layer,
    options: &ImportOptions,
) -> Result<ImportReport, HelperError> {
    let args = options.helper_args(path, layer);
    let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
    helper.run(&args, |stdout| {
        let mut report = ImportReport::default();
        loop {
            match Answer::read(stdout)? {
                Answer::Progress { done, total } => {
                    if let Some(progress) = &options.progress {
                        progress(done, total);
                    }
                }
                Answer::Feature(feature) => report.features.push(feature),
                Answer::Reject(reject) => report.rejects.push(reject),
                Answer::End {
                    read,
                    ignored_fields,
                } => {
                    report.read = read;
                    report.ignored_fields = ignored_fields;
                    return Ok(report);
                }
            }
        }
    })
}

/// One frame of the helper's answer to `import`.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Features read so far, and in all (0: unknown).
    Progress {
        /// Read so far.
        done: u64,
        /// In all.
        total: u64,
    },
    /// A valid feature.
    Feature(Feature),
    /// A feature not imported.
    Reject(Reject),
    /// The last frame.
    End {
        /// Features read.
        read: usize,
        /// Source fields that feed nothing.
        ignored_fields: Vec<String>,
    },
}

impl Answer {
    /// The frame's bytes: a tag, the body's length, the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Out::default();
        let tag = match self {
            Self::Progress { done, total } => {
                body.u64(*done);
                body.u64(*total);
                b'P'
            }
            Self::Feature(feature) => {
                let wkb = feature.geometry.as_ref().map(|g| {
                    g.to_wkb(CoordDimensions::xy())
                        .expect("geo geometries encode")
                });
                body.u8(u8::from(wkb.is_some()));
                body.bytes(wkb.as_deref().unwrap_or_default());
                let properties =
                    serde_json::to_vec(&feature.properties).expect("JSON values encode");
                body.bytes(&properties);
                b'F'
            }
            Self::Reject(reject) => {
                body.u64(reject.feature_number as u64);
                body.bytes(reject.reason.as_bytes());
                b'R'
            }
            Self::End {
                read,
                ignored_fields,
            } => {
                body.u64(*read as u64);
                body.u64(ignored_fields.len() as u64);
                for field in ignored_fields {
                    body.bytes(field.as_bytes());
                }
                b'E'
            }
        };
        let mut frame = Out(Vec::with_capacity(9 + body.0.len()));
        frame.u8(tag);
        frame.bytes(&body.0);
        frame.0
    }

    /// The next frame from `from`.
    ///
    /// # Errors
    /// [`HelperError::Failed`] when the stream ends early or a frame does not parse.
    pub fn read(from: &mut dyn Read) -> Result<Self, HelperError> {
        let mut head = [0u8; 9];
        from.read_exact(&mut head)
            .map_err(|_| malformed("it ended before its report"))?;
        let len = u64::from_le_bytes(head[1..].try_into().expect("8 bytes"));
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= MAX_FRAME)
            .ok_or_else(|| malformed("frame too long"))?;
        let mut body = vec![0; len];
        from.read_exact(&mut body)
            .map_err(|_| malformed("frame cut short"))?;
        Self::parse(head[0], &mut In(&body)).map_err(|Malformed| malformed("frame"))
    }

    fn parse(tag: u8, body: &mut In<'_>) -> Result<Self, Malformed> {
        let size = |n: u64| usize::try_from(n).map_err(|_| Malformed);
        let answer = match tag {
            b'P' => Self::Progress {
                done: body.u64()?,
                total: body.u64()?,
            },
            b'F' => {
                let has_geometry = body.u8()? != 0;
                let wkb = body.bytes()?;
                let geometry = match has_geometry {
                    true => Some(Wkb(wkb.to_vec()).to_geo().map_err(|_| Malformed)?),
                    false => None,
                };
                let properties = serde_json::from_slice(body.bytes()?).map_err(|_| Malformed)?;
                Self::Feature(Feature {
                    id: None,
                    geometry,
                    properties,
                })
            }
            b'R' => Self::Reject(Reject {
                feature_number: size(body.u64()?)?,
                reason: body.str()?.to_owned(),
            }),
            b'E' => {
                let read = size(body.u64()?)?;
                let count = body.len(8)?;
                let ignored_fields = (0..count)
                    .map(|_| body.str().map(str::to_owned))
                    .collect::<Result<_, _>>()?;
                Self::End {
                    read,
                    ignored_fields,
                }
            }
            _ => return Err(Malformed),
        };
        if !body.0.is_empty() {
            return Err(Malformed);
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_come_back_as_they_were_and_cut_ones_are_refused() {
        let point = Feature::new(
            geo::Point::new(121.123_456_789_012_3, 29.9),
            json!({"name": "码头", "h": 0.1}),
        );
        let bare = Feature {
            id: None,
            geometry: None,
            properties: serde_json::Map::new(),
        };
        let answers = [
            Answer::Progress {
                done: 1000,
                total: 0,
            },
            Answer::Feature(point),
            Answer::Feature(bare),
            Answer::Reject(Reject {
                feature_number: 3,
                reason: "geometry: not a point".into(),
            }),
            Answer::End {
                read: 3,
                ignored_fields: vec!["fid".into(), "备注".into()],
            },
        ];
        let stream: Vec<u8> = answers.iter().flat_map(Answer::encode).collect();
        let mut reader = &stream[..];
        for answer in &answers {
            assert_eq!(&Answer::read(&mut reader).unwrap(), answer);
        }
        assert!(Answer::read(&mut reader).is_err(), "nothing after the end");

        let mut cut = &stream[..stream.len() - 1];
        let read_all = std::iter::from_fn(|| Answer::read(&mut cut).ok()).count();
        assert_eq!(read_all, answers.len() - 1);
    }

    #[test]
    fn options_become_the_helpers_arguments() {
        let options = ImportOptions::default()
            .with_source_layer("pts")
            .map_field("name", "NAME_ZH");
        let args = options.helper_args(Path::new("/data/a b.gpkg"), Layer::RiskPoints);
        let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "import",
                "/data/a b.gpkg",
                "risk_points",
                "--source-layer",
                "pts",
                "--map",
                "name=NAME_ZH"
            ]
        );
    }
}
