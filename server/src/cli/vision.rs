//! `coastwatch vision detect`, `coastwatch vision mot-eval`, `coastwatch vision calibrate` and
//! `coastwatch vision ocr`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Subcommand;
use coastwatch_core::geodesy;
use coastwatch_core::georef::{Calibration, Georef};
use coastwatch_vision::detect::{DetectError, Detector, DetectorConfig, Family};
use coastwatch_vision::metrics::{self, EvalOptions, MotRecord, Sequence, SequenceMetrics};
use coastwatch_vision::motion::MotionConfig;
use coastwatch_vision::pipeline::{FrameReport, Pipeline, PipelineConfig};
use coastwatch_vision::source::{Input, Source, SourceConfig, SourceError};
use coastwatch_vision::{Frame, ObjectClass};
use serde::Serialize;

use super::{CliError, CliResult, judged};

#[derive(Subcommand)]
pub enum VisionCommand {
    /// Track objects in a video file, an image folder or a camera URL (rtsp://, http://);
    /// writes one NDJSON object per track per frame.
    Detect {
        /// Video file, image folder, or camera URL.
        source: String,
        /// ONNX model file, or `none` for motion only (default: the shipped NanoDet).
        #[arg(long)]
        model: Option<String>,
        /// Output layout of --model: yolov5, yolov8 (yolo11), e2e, yolox or nanodet.
        #[arg(long)]
        family: Option<Family>,
        /// The model's class names in output order, comma-separated, or @FILE with one per
        /// line (default: the 80 COCO classes).
        #[arg(long)]
        classes: Option<String>,
        /// Frames per second to sample.
        #[arg(long, default_value_t = 5.0)]
        fps: f64,
        /// Ignore motion inside this polygon of pixel points "x,y x,y x,y …" (repeatable).
        #[arg(long = "mask", value_name = "POLYGON")]
        masks: Vec<String>,
        /// Minimum detection score (default: the model's configured 0.35).
        #[arg(long)]
        score: Option<f32>,
        /// Run the detector on every whole frame instead of only where something moves.
        #[arg(long)]
        no_gate: bool,
        /// Scale frames wider than this down first.
        #[arg(long)]
        max_width: Option<u32>,
        /// NDJSON output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the tracks in MOTChallenge format.
        #[arg(long)]
        mot: Option<PathBuf>,
    },
    /// CLEAR MOT, identity (IDF1) and HOTA metrics of tracker output against ground truth
    /// (MOTChallenge text files, or folders of sequences `SEQ/gt.txt` or `SEQ/gt/gt.txt`
    /// against `SEQ.txt` or `SEQ/test.txt`).
    MotEval {
        /// Ground truth file or folder.
        gt: PathBuf,
        /// Tracker output file or folder.
        test: PathBuf,
        /// IoU a match needs.
        #[arg(long, default_value_t = 0.5)]
        iou: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Read the text in an image, or in every image of a folder (jpg, png, bmp): one line per
    /// text line (file, text, confidence, box height, the box's corners), or JSON.
    Ocr {
        /// Image file or folder.
        path: PathBuf,
        /// Folder of the OCR models [default: $COASTWATCH_OCR_MODELS, else .cache/ocr]
        /// (scripts/install-ocr-models.sh).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Print one JSON object per image: {file, ms, lines: [{text, score, height_px,
        /// corners, marking}]}.
        #[arg(long)]
        json: bool,
    },
    /// Check a camera calibration (a pose, or ground control points) and print its image → sea
    /// homography, its RMS reprojection error and the sea the image shows (a GeoJSON
    /// Feature). A refused calibration exits 2 with the reason.
    Calibrate {
        /// TOML or JSON file (by extension) holding one calibration — `pose = {…}`, or
        /// `camera`, `width`, `height` and `points` — and an optional `range_m`.
        file: PathBuf,
        /// How far the footprint reaches (m): overrides the file's `range_m` [default: 3000].
        #[arg(long)]
        range_m: Option<f64>,
        /// Print one JSON object {homography, rms_px, footprint}.
        #[arg(long)]
        json: bool,
    },
}

/// The footprint's reach when neither the file nor `--range-m` sets it (m).
const DEFAULT_CALIBRATION_RANGE_M: f64 = 3000.0;
/// The longest footprint reach (m), where the local metric frame is still accurate.
const MAX_CALIBRATION_RANGE_M: f64 = 100_000.0;

/// Runs a `vision` command.
pub fn run(command: VisionCommand) -> CliResult {
    match command {
        VisionCommand::Detect {
            source,
            model,
            family,
            classes,
            fps,
            masks,
            score,
            no_gate,
            max_width,
            out,
            mot,
        } => {
            if !(fps.is_finite() && fps > 0.0 && fps <= 120.0) {
                return Err(CliError::input(format!(
                    "--fps {fps} must be above 0 and at most 120"
                )));
            }
            let detector = detector_config(model.as_deref(), family, classes.as_deref(), score)?;
            let motion = MotionConfig {
                masks: masks
                    .iter()
                    .map(|m| parse_polygon(m))
                    .collect::<CliResult<_>>()?,
                ..MotionConfig::default()
            };
            let pipeline = PipelineConfig {
                gate: !no_gate,
                motion,
                ..PipelineConfig::default()
            };
            let sampling = SourceConfig {
                fps,
                max_width,
                ..SourceConfig::default()
            };
            let input = Input::parse(&source).map_err(source_error)?;
            detect(
                input,
                sampling,
                pipeline,
                detector,
                out.as_deref(),
                mot.as_deref(),
            )
        }
        VisionCommand::MotEval {
            gt,
            test,
            iou,
            json,
        } => mot_eval(&gt, &test, iou, json),
        VisionCommand::Calibrate {
            file,
            range_m,
            json,
        } => calibrate(&file, range_m, json),
        VisionCommand::Ocr { path, models, json } => ocr(&path, models, json),
    }
}

/// The images `path` names: itself, or the jpg, png and bmp files of a folder in name order.
fn images(path: &Path) -> CliResult<Vec<PathBuf>> {
    if !path.is_dir() {
        if !path.is_file() {
            return Err(CliError::input(format!("{}: no such file", path.display())));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["jpg", "jpeg", "png", "bmp"].contains(&e.to_ascii_lowercase().as_str())
            })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::input(format!(
            "{}: the folder holds no jpg, png or bmp images",
            path.display()
        )));
    }
    Ok(files)
}

/// One image decoded by the `ffmpeg` program (its size from `ffprobe`).
fn read_image(path: &Path) -> CliResult<coastwatch_vision::ocr::Rgb> {
    use std::process::Command;
    let not_image = |detail: &str| {
        let first = detail.lines().next().unwrap_or_default().trim();
        CliError::input(format!("{}: not an image ({first})", path.display()))
    };
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
        ])
        .args(["-of", "csv=p=0:s=x"])
        .arg(path)
        .output()?;
    let size = String::from_utf8_lossy(&probe.stdout);
    let Some((w, h)) = size
        .trim()
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<usize>().ok()?, h.parse::<usize>().ok()?)))
    else {
        return Err(not_image(&String::from_utf8_lossy(&probe.stderr)));
    };
    let decoded = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()?;
    if !decoded.status.success() {
        return Err(not_image(&String::from_utf8_lossy(&decoded.stderr)));
    }
    coastwatch_vision::ocr::Rgb::new(w, h, decoded.stdout)
        .ok_or_else(|| not_image("the decoded picture is not its stated size"))
}

/// `coastwatch vision ocr`.
fn ocr(path: &Path, models: Option<PathBuf>, json: bool) -> CliResult {
    use coastwatch_core::identity::markings;
    use coastwatch_vision::ocr::{Ocr, OcrConfig, OcrError};
    let files = images(path)?;
    let mut config = OcrConfig::default();
    if let Some(models) = models {
        config.models = models;
    }
    let mut ocr = Ocr::load(config).map_err(|e| match e {
        OcrError::ModelRead { .. } | OcrError::Dictionary { .. } => CliError::input(e.to_string()),
        OcrError::Runtime(ref d) if d.is_bad_input() => CliError::input(e.to_string()),
        other => anyhow::Error::from(other).into(),
    })?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut refused = Vec::new();
    for file in files {
        // a file that cannot be read is told and skipped; the others are still read
        let read = read_image(&file).and_then(|image| {
            ocr.read(&image)
                .map_err(|e| CliError::input(format!("{}: {e}", file.display())))
        });
        let lines = match read {
            Ok(lines) => lines,
            Err(error) => {
                eprintln!("error: {error}");
                refused.push(file.display().to_string());
                continue;
            }
        };
        let ms = ocr.last_duration().as_secs_f64() * 1000.0;
        if json {
            let lines: Vec<serde_json::Value> = lines
                .iter()
                .map(|l| {
                    let marking = markings::parse(&l.text).map(|m| match m {
                        markings::Marking::FishingVessel { .. } => serde_json::json!({"kind": "fishing_vessel", "text": m.text()}),
                        markings::Marking::Plate { .. } => serde_json::json!({"kind": "plate", "text": m.text(), "new_energy": m.is_new_energy()}),
                        markings::Marking::Name(name) => serde_json::json!({"kind": "name", "text": name}),
                    });
                    let round = |v: f32| (f64::from(v) * 10.0).round() / 10.0;
                    let corners: Vec<[f64; 2]> = l.corners.iter().map(|c| [round(c[0]), round(c[1])]).collect();
                    serde_json::json!({"text": l.text, "score": (f64::from(l.score) * 1000.0).round() / 1000.0,
                        "height_px": round(l.height_px), "corners": corners, "marking": marking})
                })
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::json!({"file": file.display().to_string(), "ms": ms.round(), "lines": lines})
            )?;
        } else {
            for l in &lines {
                let corners: Vec<String> = l
                    .corners
                    .iter()
                    .map(|c| format!("{:.0},{:.0}", c[0], c[1]))
                    .collect();
                writeln!(
                    out,
                    "{}\t{}\t{:.3}\t{:.0}px\t{}",
                    file.display(),
                    l.text,
                    l.score,
                    l.height_px,
                    corners.join(" ")
                )?;
            }
            if lines.is_empty() {
                writeln!(out, "{}\t(no text)", file.display())?;
            }
        }
    }
    out.flush()?;
    if refused.is_empty() {
        Ok(())
    } else {
        Err(CliError::input(format!(
            "{} of the images could not be read: {}",
            refused.len(),
            refused.join(", ")
        )))
    }
}

/// The detector the options name: `None` for motion only.
fn detector_config(
    model: Option<&str>,
    family: Option<Family>,
    classes: Option<&str>,
    score: Option<f32>,
) -> CliResult<Option<DetectorConfig>> {
    let mut config = DetectorConfig::default();
    match (model, family) {
        (Some("none"), _) => return Ok(None),
        (Some(path), Some(family)) => {
            config.model = PathBuf::from(path);
            config.family = family;
        }
        (Some(_), None) => {
            return Err(CliError::input(
                "--model needs --family (yolov5, yolov8, yolo11, e2e, yolox or nanodet)",
            ));
        }
        (None, Some(_)) => return Err(CliError::input("--family needs --model")),
        (None, None) => {}
    }
    if let Some(classes) = classes {
        let text = match classes.strip_prefix('@') {
            Some(file) => std::fs::read_to_string(file)
                .map_err(|e| CliError::input(format!("--classes @{file}: {e}")))?,
            None => classes.replace(',', "\n"),
        };
        config.classes = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
    }
    if let Some(score) = score {
        if !(0.0..=1.0).contains(&score) {
            return Err(CliError::input(format!(
                "--score {score} must be between 0 and 1"
            )));
        }
        config.score = score;
    }
    Ok(Some(config))
}

/// A polygon `x,y x,y x,y …` in pixels.
fn parse_polygon(text: &str) -> CliResult<Vec<[f32; 2]>> {
    let bad = || {
        CliError::input(format!(
            "--mask `{text}`: expected at least 3 points \"x,y x,y x,y\""
        ))
    };
    let points = text
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').ok_or_else(bad)?;
            let (x, y) = (
                x.parse::<f32>().map_err(|_| bad())?,
                y.parse::<f32>().map_err(|_| bad())?,
            );
            if x.is_finite() && y.is_finite() {
                Ok([x, y])
            } else {
                Err(bad())
            }
        })
        .collect::<CliResult<Vec<_>>>()?;
    if points.len() < 3 {
        return Err(bad());
    }
    Ok(points)
}

fn source_error(error: SourceError) -> CliError {
    let bad = error.is_bad_input();
    judged(error, bad)
}

fn detect_error(error: DetectError) -> CliError {
    let bad = error.is_bad_input();
    judged(error, bad)
}

/// One line of `vision detect`'s output.
#[derive(Serialize)]
struct TrackLine {
    frame: u64,
    /// Seconds: from the start for files and folders, since the Unix epoch for live cameras.
    t: f64,
    track_id: u64,
    class: ObjectClass,
    score: f32,
    bbox: [f32; 4],
}

/// Tracks `input` to NDJSON (and MOTChallenge) output. A live camera that drops is opened
/// again with backoff until interrupted; a file ends at its end.
fn detect(
    input: Input,
    sampling: SourceConfig,
    pipeline: PipelineConfig,
    detector: Option<DetectorConfig>,
    out: Option<&Path>,
    mot: Option<&Path>,
) -> CliResult {
    let mut source = Source::open(input.clone(), sampling.clone()).map_err(source_error)?;
    let detector = detector
        .map(|c| Detector::load(&c))
        .transpose()
        .map_err(detect_error)?;
    let mut pipeline = Pipeline::new(pipeline, detector);
    let mut writer: BufWriter<Box<dyn Write>> = BufWriter::new(match out {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    });
    let mut mot_records = Vec::new();
    let mut summary = Summary::default();
    let mut backoff = Duration::from_secs(1);
    loop {
        let frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) if input.is_live() && e.is_transient() => {
                eprintln!("warning: {e}; reconnecting in {} s", backoff.as_secs());
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
                if let Ok(reopened) = Source::open(input.clone(), sampling.clone()) {
                    source = reopened;
                }
                continue;
            }
            Err(e) => return Err(source_error(e)),
        };
        backoff = Duration::from_secs(1);
        let started = Instant::now();
        let report = pipeline.process(&frame).map_err(detect_error)?;
        summary.add(&report, started.elapsed());
        for track in &report.tracks {
            let b = track.bbox;
            let line = TrackLine {
                frame: report.frame,
                t: seconds(&frame),
                track_id: track.id,
                class: track.class,
                score: track.score,
                bbox: [b.x, b.y, b.w, b.h],
            };
            serde_json::to_writer(&mut writer, &line)?;
            writer.write_all(b"\n")?;
            if mot.is_some() {
                mot_records.push(MotRecord::new(
                    report.frame + 1,
                    track.id as i64,
                    b,
                    f64::from(track.score),
                ));
            }
        }
    }
    writer.flush()?;
    if let Some(path) = mot {
        let mut file = BufWriter::new(std::fs::File::create(path)?);
        metrics::write_mot(&mut file, &mot_records)?;
        file.flush()?;
    }
    summary.add_ended(pipeline.finish().iter().map(|t| t.class));
    eprintln!("{summary}");
    Ok(())
}

fn seconds(frame: &Frame) -> f64 {
    frame.t.as_millisecond() as f64 / 1000.0
}

/// What a run saw, printed to standard error at its end.
#[derive(Default)]
struct Summary {
    frames: u64,
    busy: Duration,
    tracks: std::collections::BTreeMap<ObjectClass, u64>,
}

impl Summary {
    fn add(&mut self, report: &FrameReport, busy: Duration) {
        self.frames += 1;
        self.busy += busy;
        self.add_ended(report.ended.iter().map(|t| t.class));
    }

    fn add_ended(&mut self, classes: impl Iterator<Item = ObjectClass>) {
        for class in classes {
            *self.tracks.entry(class).or_default() += 1;
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per_frame = self.busy.as_secs_f64() * 1000.0 / self.frames.max(1) as f64;
        write!(
            f,
            "{} frames, {per_frame:.1} ms per frame; tracks:",
            self.frames
        )?;
        if self.tracks.is_empty() {
            return write!(f, " none");
        }
        for (class, n) in &self.tracks {
            write!(f, " {n} {}", class.as_str())?;
        }
        Ok(())
    }
}

/// Prints the metrics of each sequence and the overall row.
fn mot_eval(gt: &Path, test: &Path, iou: f64, json: bool) -> CliResult {
    if !(iou > 0.0 && iou <= 1.0) {
        return Err(CliError::input(format!(
            "--iou {iou} must be above 0 and at most 1"
        )));
    }
    let options = EvalOptions {
        iou_threshold: iou,
        ..EvalOptions::default()
    };
    let mut results: Vec<SequenceMetrics> = Vec::new();
    for (name, gt_file, test_file) in sequences(gt, test)? {
        let (truth, output) = (read_sequence(&gt_file)?, read_sequence(&test_file)?);
        results.push(metrics::evaluate(&truth, &output, &options).with_name(name));
    }
    if results.len() > 1 {
        results.push(metrics::overall(&results));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print!("{}", metrics::render_table(&results));
    }
    Ok(())
}

fn read_sequence(path: &Path) -> CliResult<Sequence> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    Sequence::parse(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

/// The (name, ground truth, tracker output) files to compare.
fn sequences(gt: &Path, test: &Path) -> CliResult<Vec<(String, PathBuf, PathBuf)>> {
    if gt.is_file() {
        let name = gt
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sequence".into());
        return Ok(vec![(name, gt.to_path_buf(), test.to_path_buf())]);
    }
    let entries =
        std::fs::read_dir(gt).map_err(|e| CliError::input(format!("{}: {e}", gt.display())))?;
    let mut found = Vec::new();
    for entry in entries {
        let dir = entry?.path();
        let Some(gt_file) = [dir.join("gt.txt"), dir.join("gt").join("gt.txt")]
            .into_iter()
            .find(|p| p.is_file())
        else {
            continue;
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let candidates = [
            test.join(format!("{name}.txt")),
            test.join(&name).join("test.txt"),
        ];
        let test_file = candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| {
                CliError::input(format!(
                    "no tracker output for {name}: looked for {} and {}",
                    candidates[0].display(),
                    candidates[1].display()
                ))
            })?;
        found.push((name, gt_file, test_file));
    }
    if found.is_empty() {
        return Err(CliError::input(format!(
            "{}: no sequences (SEQ/gt.txt or SEQ/gt/gt.txt)",
            gt.display()
        )));
    }
    found.sort();
    Ok(found)
}

/// A calibration file: one [`Calibration`] and an optional `range_m`.
fn read_calibration(path: &Path) -> CliResult<(Calibration, Option<f64>)> {
    let name = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{name}: {e}")))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let mut value: serde_json::Value = match extension.as_deref() {
        Some("toml") => {
            use figment::providers::{Format, Toml};
            figment::Figment::from(Toml::string(&text))
                .extract()
                .map_err(|e| CliError::input(format!("{name}: {e}")))?
        }
        Some("json") => {
            serde_json::from_str(&text).map_err(|e| CliError::input(format!("{name}: {e}")))?
        }
        _ => {
            return Err(CliError::input(format!(
                "{name}: a calibration file ends in .toml or .json"
            )));
        }
    };
    let table = value
        .as_object_mut()
        .ok_or_else(|| CliError::input(format!("{name}: expected a table of keys")))?;
    let range_m = match table.remove("range_m") {
        None => None,
        Some(range) => Some(
            range
                .as_f64()
                .ok_or_else(|| CliError::input(format!("{name}: range_m must be a number")))?,
        ),
    };
    let calibration =
        serde_json::from_value(value).map_err(|e| CliError::input(format!("{name}: {e}")))?;
    Ok((calibration, range_m))
}

/// Prints the homography, its RMS error and the footprint of a calibration file.
fn calibrate(path: &Path, range_m: Option<f64>, json: bool) -> CliResult {
    let (calibration, file_range_m) = read_calibration(path)?;
    let range_m = range_m
        .or(file_range_m)
        .unwrap_or(DEFAULT_CALIBRATION_RANGE_M);
    if !(range_m.is_finite() && range_m > 0.0 && range_m <= MAX_CALIBRATION_RANGE_M) {
        return Err(CliError::input(format!(
            "range {range_m} m must be above 0 and at most {MAX_CALIBRATION_RANGE_M}"
        )));
    }
    let georef = calibration
        .compile()
        .map_err(|e| CliError::input(format!("{}: calibration refused: {e}", path.display())))?;
    let ring = georef.footprint(range_m);
    check_footprint(&georef, &ring, range_m)?;
    let footprint = serde_json::json!({
        "type": "Feature",
        "geometry": { "type": "Polygon", "coordinates": [ring] },
        "properties": { "rms_px": georef.rms_px(), "range_m": range_m },
    });
    if json {
        let out = serde_json::json!({
            "homography": georef.homography(),
            "rms_px": georef.rms_px(),
            "footprint": footprint,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let [lon, lat] = georef.camera();
    println!(
        "homography, pixel (x, y, 1) → (east, north, w) metres from the camera at {lon}, {lat}:"
    );
    for row in georef.homography() {
        println!("  {:>15.8e} {:>15.8e} {:>15.8e}", row[0], row[1], row[2]);
    }
    let of = if georef.pose().is_some() {
        "the pose's near-sea grid"
    } else {
        "the ground control points"
    };
    println!(
        "rms_px: {:.3} (reprojection error over {of})",
        georef.rms_px()
    );
    println!("footprint to {range_m} m:");
    println!("{footprint}");
    Ok(())
}

/// Fails (a bug, not the input) when the footprint leaves the camera's reach: beyond the range,
/// or, for a pose, outside the bearings its image spans.
fn check_footprint(georef: &Georef, ring: &[[f64; 2]], range_m: f64) -> CliResult {
    let fail = |what: String| Err(CliError::Failed(anyhow::anyhow!("footprint {what}")));
    if ring.len() < 4 {
        return fail(format!("has {} vertices", ring.len()));
    }
    let camera = georef.camera();
    for &vertex in ring {
        let distance_m = geodesy::distance_m(camera, vertex);
        if distance_m > range_m + 1.0 {
            return fail(format!(
                "vertex {vertex:?} lies {distance_m:.1} m from the camera"
            ));
        }
        if let Some(pose) = georef.pose() {
            let bearing = geodesy::bearing_deg(camera, vertex);
            let off = (bearing - pose.heading_deg + 540.0).rem_euclid(360.0) - 180.0;
            let half = pose.sector_half_width_deg();
            if off.abs() > half + 0.5 {
                return fail(format!(
                    "vertex {vertex:?} lies {off:.2}° off the heading, outside ±{half:.2}°"
                ));
            }
        }
    }
    Ok(())
}
