//! The video core per 1280×720 frame: decode (a [`Source`] delivering RGB frames), the motion
//! gate, the detector (NanoDet at 416 and at 640 input, and 416 tiled) and the tracker (20
//! detections).
//!
//! Footage: Debian's `opencv-doc` `vtest.avi` (768×576, 10 fps, pedestrians) scaled to 1280×720
//! and encoded as an IP camera's main stream would be (H.264, GOP 2 s, no B-frames), cached as
//! `<repo>/.cache/vtest-720p.mp4` (`COASTWATCH_CACHE` moves `.cache`).
//!
//! The detection benches need `ORT_DYLIB_PATH` (`export ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh)`)
//! and skip with a printed line without it. The 640 one needs `.cache/nanodet-640.onnx`, the
//! shipped model with its input declared 640×640 (`vision/models/nanodet_input.py`, see
//! `vision/BENCH.md`); it skips with a printed line without it.
//!
//! ```text
//! cargo bench -p coastwatch-vision --bench video
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use coastwatch_vision::detect::{Detector, DetectorConfig, Tile};
use coastwatch_vision::motion::{MotionConfig, MotionGate};
use coastwatch_vision::source::{Input, Source, SourceConfig};
use coastwatch_vision::{BBox, Detection, Frame, ObjectClass, Tracker, TrackerConfig};
use criterion::{Criterion, criterion_main};
use jiff::{SignedDuration, Timestamp};

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
/// Frames kept in memory for the motion and detection benches (10 s of vtest).
const FRAMES: usize = 100;

/// `<repo>/.cache`, or `$COASTWATCH_CACHE`.
fn cache_dir() -> PathBuf {
    std::env::var_os("COASTWATCH_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache"))
}

/// vtest.avi at 1280×720 as H.264, made once with the `ffmpeg` program.
fn vtest_720p() -> Result<PathBuf, String> {
    let out = cache_dir().join("vtest-720p.mp4");
    if out.is_file() {
        return Ok(out);
    }
    if !Path::new(VTEST).is_file() {
        return Err(format!("{VTEST} is missing (apt-get install opencv-doc)"));
    }
    std::fs::create_dir_all(cache_dir()).map_err(|e| e.to_string())?;
    let partial = out.with_extension("partial.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", VTEST, "-vf", "scale=1280:720"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
        .args(["-g", "20", "-bf", "0", "-pix_fmt", "yuv420p"])
        .arg(&partial)
        .status()
        .map_err(|e| format!("ffmpeg: {e}"))?;
    if !status.success() {
        return Err(format!("ffmpeg failed ({status})"));
    }
    std::fs::rename(&partial, &out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn open(path: &Path, fps: f64) -> Source {
    let config = SourceConfig {
        fps,
        ..Default::default()
    };
    Source::open(Input::File(path.to_path_buf()), config).expect("the 720p file opens")
}

/// Decode: wall time per frame a consumer waits for, the decoder (its own process) running ahead
/// up to the channel's depth. Opening the file (probe, first frame) is not counted.
fn bench_decode(c: &mut Criterion, video: &Path) {
    let mut group = c.benchmark_group("decode");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    let mut source = open(video, 10.0);
    group.bench_function("source_1280x720_h264", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let frame = source.next_frame().expect("decodes");
                spent += start.elapsed();
                match frame {
                    Some(frame) => {
                        black_box(frame);
                    }
                    None => {
                        source = open(video, 10.0);
                        let start = Instant::now();
                        black_box(source.next_frame().expect("decodes"));
                        spent += start.elapsed();
                    }
                }
            }
            spent
        })
    });
    group.finish();
}

fn bench_motion(c: &mut Criterion, frames: &[Frame]) {
    let mut group = c.benchmark_group("motion");
    let mut gate = MotionGate::new(1280, 720, MotionConfig::default());
    gate.update(&frames[0]);
    let mut i = 0;
    let mut blobs = 0;
    group.bench_function("gate_update_1280x720", |b| {
        b.iter(|| {
            i += 1;
            let motion = gate.update(&frames[i % frames.len()]);
            blobs += motion.blobs.len();
            black_box(motion)
        })
    });
    eprintln!(
        "motion: {:.1} blobs per frame",
        blobs as f64 / i.max(1) as f64
    );
    group.finish();
}

fn bench_detect(c: &mut Criterion, frames: &[Frame]) {
    if std::env::var_os("ORT_DYLIB_PATH").is_none_or(|v| v.is_empty()) {
        println!(
            "skipping the detection benches: ORT_DYLIB_PATH is unset \
             (export ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh))"
        );
        return;
    }
    let model_640 = cache_dir().join("nanodet-640.onnx");
    let shipped = DetectorConfig::default();
    let mut setups = vec![
        ("416", shipped.clone()),
        (
            "416_1_thread",
            DetectorConfig {
                threads: Some(1),
                ..shipped.clone()
            },
        ),
        (
            "416_tiled",
            DetectorConfig {
                tile: Tile::On,
                ..shipped.clone()
            },
        ),
    ];
    if model_640.is_file() {
        setups.insert(
            1,
            (
                "640",
                DetectorConfig {
                    model: model_640,
                    ..shipped.clone()
                },
            ),
        );
    } else {
        println!(
            "skipping detect/640: {} is missing (python vision/models/nanodet_input.py \
             vision/models/nanodet-416.onnx .cache/nanodet-640.onnx 640)",
            model_640.display()
        );
    }
    let mut group = c.benchmark_group("detect");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for (name, config) in setups {
        let mut detector = Detector::load(&config).expect("the model loads");
        for frame in &frames[..3] {
            detector.detect(frame).expect("detects");
        }
        let (mut i, mut found, mut runs) = (0, 0, 0);
        group.bench_function(format!("{name}_1280x720"), |b| {
            b.iter(|| {
                i += 1;
                let detections = detector.detect(&frames[i % frames.len()]).expect("detects");
                found += detections.len();
                runs += detector.last_runs();
                black_box(detections)
            })
        });
        eprintln!(
            "detect/{name}: input {:?}, {:.1} inferences and {:.1} detections per frame",
            detector.input_size(),
            runs as f64 / i.max(1) as f64,
            found as f64 / i.max(1) as f64
        );
    }
    group.finish();
}

/// 20 objects walking back and forth (periodic, so the tracks live on), a few boxes flickering
/// to a low score or missing, as a detector's are.
fn walking_detections(frame: u64) -> Vec<Detection> {
    (0..20u64)
        .filter(|k| !(frame + k * 7).is_multiple_of(23))
        .map(|k| {
            let phase = frame as f32 * 0.02 + k as f32;
            let cx = 80.0 + (k % 5) as f32 * 260.0 + 100.0 * phase.sin();
            let cy = 120.0 + (k / 5) as f32 * 160.0 + 30.0 * (phase * 0.7).cos();
            let jitter = ((frame * 31 + k * 17) % 7) as f32 - 3.0;
            Detection {
                bbox: BBox::from_center(cx + jitter, cy, 40.0, 100.0 + jitter),
                score: if (frame + k).is_multiple_of(11) {
                    0.3
                } else {
                    0.8
                },
                class: ObjectClass::Person,
            }
        })
        .collect()
}

/// One update per iteration; making the 20 detections (well under a microsecond) is counted too.
fn bench_track(c: &mut Criterion) {
    let mut group = c.benchmark_group("track");
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut frame = 0u64;
    let mut tracked = 0;
    let t0 = Timestamp::UNIX_EPOCH;
    group.bench_function("update_20_detections", |b| {
        b.iter(|| {
            frame += 1;
            let t = t0 + SignedDuration::from_millis(frame as i64 * 200);
            let tracks = tracker.update(frame, t, &walking_detections(frame));
            tracked += tracks.len();
            black_box(tracks)
        })
    });
    eprintln!(
        "track: {:.1} tracks reported per frame, {} ids given",
        tracked as f64 / frame.max(1) as f64,
        tracker.tracks().iter().map(|t| t.id).max().unwrap_or(0)
    );
    group.finish();
}

/// Runs the benchmarks (what `criterion_group!` would generate, documented).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    let video = match vtest_720p() {
        Ok(video) => video,
        Err(why) => {
            println!("skipping the video benches: {why}");
            return;
        }
    };
    let frames: Vec<Frame> = open(&video, 10.0)
        .take(FRAMES)
        .collect::<Result<_, _>>()
        .expect("decodes");
    assert_eq!((frames[0].width, frames[0].height), (1280, 720));
    bench_decode(&mut c, &video);
    bench_motion(&mut c, &frames);
    bench_detect(&mut c, &frames);
    bench_track(&mut c);
}

criterion_main!(benches);
