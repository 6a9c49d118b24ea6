//! A scenario as files, and back.
//!
//! | file | what |
//! |---|---|
//! | `scenario.nmea` | the AIVDM sentences in time order, each with its `\c:` tag block |
//! | `vehicle_fixes.csv` | `vehicle_id,t,lon,lat,speed_kmh,heading_deg,positioned` in time order (`positioned` 0: a report without a fix) |
//! | `vehicle_terminals.hex` | the same reports as the trucks' JT/T 808 terminals send them: one `0x0200` frame per line in hex (`coastwatch jt808 decode` reads it) |
//! | `tips.json` | public reports: `[{t, lon, lat, text}]` |
//! | `truth.json` | `{seed, start, end, incidents: [{kind, subject: {type, id}, window, location, note}]}` |
//! | `vehicles.geojson` | the `vehicles` layer to register |
//! | `geofences.geojson`, `risk_points.geojson`, `coastline.geojson`, `areas.geojson` | the district layers the detectors read |
//! | `cameras.json` | the cameras that film (poses, clips) and the objects in their view: the video is rendered from it (optional: none without cameras) |

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use coastwatch_core::alerting::monitor::Geography;
use coastwatch_core::{Feature, Layer};
use serde::{Deserialize, Serialize};

use super::cameras::CameraScene;
use super::district::parse_collection;
use super::error::{Result, ScenarioError};
use super::{Incident, Scenario, SimEvent};

/// The files [`Scenario::write`] writes and [`Scenario::read`] reads.
pub const SCENARIO_FILES: [&str; 9] = [
    "scenario.nmea",
    "vehicle_fixes.csv",
    "tips.json",
    "truth.json",
    "vehicles.geojson",
    "geofences.geojson",
    "risk_points.geojson",
    "coastline.geojson",
    "areas.geojson",
];

const CSV_HEADER: &str = "vehicle_id,t,lon,lat,speed_kmh,heading_deg,positioned";

#[derive(Debug, Serialize, Deserialize)]
struct TruthFile {
    seed: u64,
    start: f64,
    end: f64,
    incidents: Vec<Incident>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TipJson {
    t: f64,
    lon: f64,
    lat: f64,
    text: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScenarioError + '_ {
    move |source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write_text(
    path: PathBuf,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let file = std::fs::File::create(&path).map_err(io(&path))?;
    let mut out = BufWriter::new(file);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(io(&path))
}

impl Scenario {
    /// Writes the scenario into `dir` (created if needed) as [`SCENARIO_FILES`].
    ///
    /// # Errors
    /// The first file that cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        write_text(dir.join("scenario.nmea"), |out| {
            for event in &self.events {
                if let SimEvent::Nmea { line, .. } = event {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
            Ok(())
        })?;
        write_text(dir.join("vehicle_fixes.csv"), |out| {
            let mut row = String::new();
            writeln!(out, "{CSV_HEADER}")?;
            for event in &self.events {
                if let SimEvent::VehicleFix {
                    t,
                    vehicle_id,
                    positioned,
                    lon,
                    lat,
                    speed_kmh,
                    heading_deg,
                } = event
                {
                    row.clear();
                    let _ = writeln!(
                        row,
                        "{vehicle_id},{t:.0},{lon:.7},{lat:.7},{speed_kmh:.1},{heading_deg:.1},{}",
                        u8::from(*positioned)
                    );
                    out.write_all(row.as_bytes())?;
                }
            }
            Ok(())
        })?;
        let mut terminals = self.terminals();
        write_text(dir.join("vehicle_terminals.hex"), |out| {
            for frame in self.events.iter().filter_map(|e| terminals.frame(e)) {
                let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
                writeln!(out, "{hex}")?;
            }
            Ok(())
        })?;
        let tips: Vec<TipJson> = self
            .events
            .iter()
            .filter_map(|e| match e {
                SimEvent::Tip { t, lon, lat, text } => Some(TipJson {
                    t: *t,
                    lon: *lon,
                    lat: *lat,
                    text: text.clone(),
                }),
                _ => None,
            })
            .collect();
        write_json(dir.join("tips.json"), &tips)?;
        let truth = TruthFile {
            seed: self.seed,
            start: self.start,
            end: self.end,
            incidents: self.truth.clone(),
            notes: self.notes.clone(),
        };
        write_json(dir.join("truth.json"), &truth)?;
        let layers: [(&str, &[Feature]); 5] = [
            ("vehicles.geojson", &self.vehicles),
            ("geofences.geojson", &self.geography.geofences),
            ("risk_points.geojson", &self.geography.risk_points),
            ("coastline.geojson", &self.geography.coastline),
            ("areas.geojson", &self.geography.areas),
        ];
        for (name, features) in layers {
            write_text(dir.join(name), |mut out| {
                coastwatch_core::geojson::write_geojson(features, &mut out)
            })?;
        }
        if !self.cameras.is_empty() {
            write_json(dir.join(CAMERAS_FILE), &self.cameras)?;
        }
        Ok(())
    }

    /// Reads a scenario written by [`Scenario::write`]: events merged in time order (NMEA
    /// before vehicle fixes before tips at equal times, each file's order kept), truth,
    /// vehicles and the district layers.
    ///
    /// # Errors
    /// A missing or malformed file, with the line or feature that is wrong.
    pub fn read(dir: &Path) -> Result<Self> {
        let mut events = Vec::new();
        let path = dir.join("scenario.nmea");
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io(&path))?;
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            let t = tag_time(line).ok_or_else(|| ScenarioError::Line {
                path: path.clone(),
                line: n + 1,
                reason: "no \\c:<epoch s> tag block".into(),
            })?;
            events.push(SimEvent::Nmea {
                t,
                line: line.to_owned(),
            });
        }
        let path = dir.join("vehicle_fixes.csv");
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io(&path))?;
            let line = line.trim_end();
            if n == 0 || line.is_empty() {
                continue;
            }
            let bad = |reason: &str| ScenarioError::Line {
                path: path.clone(),
                line: n + 1,
                reason: reason.to_owned(),
            };
            let fields: Vec<&str> = line.split(',').collect();
            let [id, t, lon, lat, speed, heading, positioned] = fields[..] else {
                return Err(bad(&format!("expected {CSV_HEADER}")));
            };
            let positioned = match positioned {
                "1" => true,
                "0" => false,
                other => return Err(bad(&format!("positioned {other:?} is not 0 or 1"))),
            };
            let num = |s: &str, what: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(&format!("{what} {s:?} is not a number")))
            };
            events.push(SimEvent::VehicleFix {
                t: num(t, "t")?,
                vehicle_id: id.to_owned(),
                positioned,
                lon: num(lon, "lon")?,
                lat: num(lat, "lat")?,
                speed_kmh: num(speed, "speed_kmh")?,
                heading_deg: num(heading, "heading_deg")?,
            });
        }
        let tips: Vec<TipJson> = read_json(&dir.join("tips.json"))?;
        events.extend(tips.into_iter().map(|t| SimEvent::Tip {
            t: t.t,
            lon: t.lon,
            lat: t.lat,
            text: t.text,
        }));
        events.sort_by(|a, b| a.t().total_cmp(&b.t()).then(a.rank().cmp(&b.rank())));
        let truth: TruthFile = read_json(&dir.join("truth.json"))?;
        let layer = |name: &str, layer: Layer| -> Result<Vec<Feature>> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            parse_collection(&path, &text, Some(layer))
        };
        Ok(Self {
            seed: truth.seed,
            start: truth.start,
            end: truth.end,
            events,
            truth: truth.incidents,
            vehicles: layer("vehicles.geojson", Layer::Vehicles)?,
            geography: Geography {
                risk_points: layer("risk_points.geojson", Layer::RiskPoints)?,
                coastline: layer("coastline.geojson", Layer::Coastline)?,
                areas: layer("areas.geojson", Layer::Areas)?,
                geofences: layer("geofences.geojson", Layer::Geofences)?,
            },
            notes: truth.notes,
            cameras: match dir.join(CAMERAS_FILE) {
                path if path.exists() => read_json(&path)?,
                _ => CameraScene::default(),
            },
        })
    }
}

/// The cameras' file, beside [`SCENARIO_FILES`] when the scenario has cameras.
pub const CAMERAS_FILE: &str = "cameras.json";

fn write_json<T: Serialize>(path: PathBuf, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|source| ScenarioError::Json {
        path: path.clone(),
        source,
    })?;
    std::fs::write(&path, text + "\n").map_err(io(&path))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|source| ScenarioError::Json {
        path: path.to_owned(),
        source,
    })
}

/// The `c:` time of a line's NMEA 4.0 tag block.
pub(crate) fn tag_time(line: &str) -> Option<f64> {
    let block = line.strip_prefix('\\')?;
    let block = &block[..block.find('\\')?];
    let body = block.split('*').next()?;
    body.split(',')
        .find_map(|field| field.strip_prefix("c:"))
        .and_then(|t| t.parse::<f64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_block_times() {
        assert_eq!(
            tag_time("\\c:1780308000*5A\\!AIVDM,1,1,,A,x,0*00"),
            Some(1_780_308_000.0)
        );
        assert_eq!(tag_time("\\s:rx1,c:12*00\\!AIVDM"), Some(12.0));
        assert_eq!(tag_time("!AIVDM,1,1,,A,x,0*00"), None);
    }
}
