//! Cameras per machine: N pipelines at once, one thread each (as the server runs cameras), each
//! fed 5 fps of a 1280×720 scene by its own [`Source`] (an `ffmpeg` child decoding H.264, so
//! decode counts), with the motion gate on and then off. For each N it reports whether every
//! camera kept up, and the CPU used.
//!
//! The scene: Debian's `opencv-doc` `vtest.avi` (a fixed camera over a square, 5–15 pedestrians
//! walking at any time) scaled to 1280×720 and encoded as H.264 at its native 10 fps, GOP 2 s, no
//! B-frames (`<repo>/.cache/vtest-720p.mp4`, made on first use). Each source samples it at 5 fps,
//! so the decoder decodes 10 frames a second and delivers 5.
//!
//! Pacing is a live camera's: frame `i` of a camera is due at `start + i × 200 ms`; a pipeline
//! that is late takes the newest due frame and drops the ones before it (they were decoded all
//! the same, as a live stream's are). A run keeps up when under 1 % of the due frames are
//! dropped. Cameras start 200 ms / N apart and each skips `k × 25 / N` frames first, so their
//! whole-frame refreshes (every 5 s, 25 frames) are spread rather than all at once.
//!
//! `--scene still` uses another scene instead: vtest's first frame held still for 80 s, with light
//! temporal noise (as a camera's sensor gives), the gate's best case.
//!
//! ```text
//! ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh) cargo run --release -p coastwatch-vision \
//!   --example cameras -- [--scene vtest|still] [--gate on|off|both] [--from N] [--to N] \
//!   [--seconds S] [--threads T]
//! ... --example cameras -- --memory N     # RSS per added pipeline
//! ... --example cameras -- --decode       # decoder CPU per frame
//! ```
//!
//! `--threads` is ONNX Runtime's intra-op threads per detector (default 1: with many cameras on
//! few cores, more threads per inference only contend).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use coastwatch_vision::detect::{Detector, DetectorConfig};
use coastwatch_vision::pipeline::{Pipeline, PipelineConfig};
use coastwatch_vision::source::{Input, Source, SourceConfig};

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
const FPS: f64 = 5.0;
/// Frames between whole-frame looks at the default `refresh_s` (5 s).
const REFRESH_FRAMES: usize = 25;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    gates: Vec<bool>,
    from: usize,
    to: usize,
    seconds: f64,
    threads: usize,
    memory: Option<usize>,
    still: bool,
    decode: bool,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args {
        gates: vec![true, false],
        from: 1,
        to: 32,
        seconds: 20.0,
        threads: 1,
        memory: None,
        still: false,
        decode: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--gate" => {
                args.gates = match value()?.as_str() {
                    "on" => vec![true],
                    "off" => vec![false],
                    "both" => vec![true, false],
                    other => return Err(format!("--gate on|off|both, not {other}").into()),
                }
            }
            "--from" => args.from = value()?.parse()?,
            "--to" => args.to = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--threads" => args.threads = value()?.parse()?,
            "--memory" => args.memory = Some(value()?.parse()?),
            "--scene" => {
                args.still = match value()?.as_str() {
                    "vtest" => false,
                    "still" => true,
                    other => return Err(format!("--scene vtest|still, not {other}").into()),
                }
            }
            "--decode" => args.decode = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(args)
}

fn main() -> Result<(), Error> {
    let args = parse_args()?;
    if std::env::var_os("ORT_DYLIB_PATH").is_none_or(|v| v.is_empty()) {
        return Err(
            "ORT_DYLIB_PATH is unset (export ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh))"
                .into(),
        );
    }
    let video = if args.still {
        still_720p()?
    } else {
        vtest_720p()?
    };
    if args.decode {
        return decode(&video);
    }
    if let Some(n) = args.memory {
        return memory(&video, n, args.threads);
    }
    println!(
        "{} s per run, 5 fps per camera, 1280×720 H.264 ({}), ORT threads {} per detector",
        args.seconds,
        video.display(),
        args.threads
    );
    println!(
        "gate  N  kept_up  fps/cam(min)  dropped  process_ms(mean/p95)  latency_ms(p95)  detector_frames  their_ms(mean/max/on_cpu/runqueue)  cores(all/decode)  cores/cam  other_cores"
    );
    for &gate in &args.gates {
        for n in args.from..=args.to {
            let run = run(&video, n, gate, args.seconds, args.threads)?;
            let kept_up = run.dropped * 100 < run.due;
            let mut process = run.process_ms.clone();
            let mut latency = run.latency_ms.clone();
            let mut detected = run.detected_ms.clone();
            let cores = (run.cpu_self + run.cpu_children) / run.wall;
            println!(
                "{:<5} {n:>2}  {:<7}  {:>12.2}  {:>6.1}%  {:>10.1} / {:<8.1}  {:>15.0}  {:>14.0}%  {:>8.1} / {:<5.0} / {:<5.0} / {:<5.0}  {:>8.2} / {:<6.2}  {:>9.3}  {:>11.2}",
                if gate { "on" } else { "off" },
                if kept_up { "yes" } else { "no" },
                run.min_fps,
                100.0 * run.dropped as f64 / run.due.max(1) as f64,
                mean(&process),
                percentile(&mut process, 0.95),
                percentile(&mut latency, 0.95),
                100.0 * run.detected as f64 / run.processed.max(1) as f64,
                mean(&detected),
                percentile(&mut detected, 1.0),
                mean(&run.detected_cpu_ms),
                mean(&run.detected_wait_ms),
                cores,
                run.cpu_children / run.wall,
                cores / n as f64,
                (run.cpu_machine - run.cpu_self - run.cpu_children) / run.wall,
            );
            if !kept_up {
                break;
            }
        }
    }
    Ok(())
}

/// What one run of N cameras gave, all cameras together.
#[derive(Default)]
struct Run {
    /// Frames that fell due.
    due: u64,
    processed: u64,
    dropped: u64,
    /// Frames on which the detector ran (whole frame or regions).
    detected: u64,
    /// The slowest camera's processed frames per second.
    min_fps: f64,
    process_ms: Vec<f64>,
    /// Processing time of the frames the detector ran on.
    detected_ms: Vec<f64>,
    /// The camera thread's time on a CPU during those frames.
    detected_cpu_ms: Vec<f64>,
    /// The camera thread's time waiting for a CPU (runnable, not running) during those frames.
    detected_wait_ms: Vec<f64>,
    /// From when a frame fell due to when its processing ended.
    latency_ms: Vec<f64>,
    wall: f64,
    /// CPU seconds of this process (pipelines, frame readers) and of its children (the decoders)
    /// while the cameras ran.
    cpu_self: f64,
    cpu_children: f64,
    /// CPU seconds the whole machine was busy meanwhile (`/proc/stat`), so that other work on
    /// a shared machine shows.
    cpu_machine: f64,
}

fn run(video: &Path, n: usize, gate: bool, seconds: f64, threads: usize) -> Result<Run, Error> {
    let barriers = Arc::new([(); 3].map(|()| Barrier::new(n + 1)));
    let handles: Vec<_> = (0..n)
        .map(|k| {
            let (video, barriers) = (video.to_path_buf(), Arc::clone(&barriers));
            std::thread::spawn(move || {
                let [start, end, done] = &*barriers;
                let prepared = prepare(k, n, &video, gate, threads);
                start.wait();
                let result = prepared.and_then(|(pipeline, source)| {
                    camera(k, n, &video, seconds, pipeline, source, end)
                });
                done.wait();
                result
            })
        })
        .collect();
    let [start, end, done] = &*barriers;
    start.wait();
    let cpu_before = (
        own_cpu_s("self")?,
        live_children_cpu_s()?,
        machine_busy_s()?,
    );
    let started = Instant::now();
    end.wait();
    let wall = started.elapsed().as_secs_f64();
    let cpu_after = (
        own_cpu_s("self")?,
        live_children_cpu_s()?,
        machine_busy_s()?,
    );
    done.wait();
    let mut total = Run {
        min_fps: f64::INFINITY,
        wall,
        cpu_self: cpu_after.0 - cpu_before.0,
        cpu_children: cpu_after.1 - cpu_before.1,
        cpu_machine: cpu_after.2 - cpu_before.2,
        ..Default::default()
    };
    for handle in handles {
        let one = handle.join().expect("camera thread")?;
        total.due += one.due;
        total.processed += one.processed;
        total.dropped += one.dropped;
        total.detected += one.detected;
        total.min_fps = total.min_fps.min(one.processed as f64 / seconds);
        total.process_ms.extend(one.process_ms);
        total.detected_ms.extend(one.detected_ms);
        total.detected_cpu_ms.extend(one.detected_cpu_ms);
        total.detected_wait_ms.extend(one.detected_wait_ms);
        total.latency_ms.extend(one.latency_ms);
    }
    Ok(total)
}

/// Loads camera `k`'s detector, opens its source and skips its stagger.
fn prepare(
    k: usize,
    n: usize,
    video: &Path,
    gate: bool,
    threads: usize,
) -> Result<(Pipeline, Source), Error> {
    let detector = Detector::load(&DetectorConfig {
        threads: Some(threads),
        ..Default::default()
    })?;
    let mut pipeline = Pipeline::new(
        PipelineConfig {
            gate,
            ..Default::default()
        },
        Some(detector),
    );
    let mut source = open(video)?;
    for _ in 0..k * REFRESH_FRAMES / n {
        source.next_frame()?;
    }
    // The first inference of a session is slow (allocations); do it before the clock runs.
    // It also builds the background and makes this frame the last whole-frame look.
    pipeline.process(&next(&mut source, video)?)?;
    Ok((pipeline, source))
}

/// Camera `k` of `n`, paced at 5 fps for `seconds`; waits at `end` before its source goes (so
/// that its decoder's CPU time can be read).
fn camera(
    k: usize,
    n: usize,
    video: &Path,
    seconds: f64,
    mut pipeline: Pipeline,
    mut source: Source,
    end: &Barrier,
) -> Result<Run, Error> {
    let period = Duration::from_secs_f64(1.0 / FPS);
    let start = Instant::now() + period.mul_f64(k as f64 / n as f64);
    let ticks = (seconds * FPS).round() as u64;
    let mut out = Run::default();
    let mut tick = 0;
    let mut result = Ok(());
    while tick < ticks && result.is_ok() {
        result = (|| -> Result<(), Error> {
            let now = Instant::now();
            let due = start + period * tick as u32;
            if now < due {
                std::thread::sleep(due - now);
            } else {
                // Late: the frames that came meanwhile are decoded and dropped; the newest is
                // taken.
                let newest = ((now - start).as_secs_f64() * FPS).floor() as u64;
                while tick < newest.min(ticks - 1) {
                    next(&mut source, video)?;
                    out.dropped += 1;
                    tick += 1;
                }
            }
            let due = start + period * tick as u32;
            let frame = next(&mut source, video)?;
            let began = Instant::now();
            let sched_began = thread_schedstat()?;
            let report = pipeline.process(&frame)?;
            let done = Instant::now();
            let sched = thread_schedstat()?;
            out.processed += 1;
            out.detected += u64::from(report.detected);
            out.process_ms.push((done - began).as_secs_f64() * 1e3);
            if report.detected {
                out.detected_ms.push((done - began).as_secs_f64() * 1e3);
                out.detected_cpu_ms.push((sched.0 - sched_began.0) * 1e3);
                out.detected_wait_ms.push((sched.1 - sched_began.1) * 1e3);
            }
            out.latency_ms.push((done - due).as_secs_f64() * 1e3);
            tick += 1;
            Ok(())
        })();
    }
    end.wait();
    out.due = ticks;
    result.map(|()| out)
}

/// The next frame, starting the file over at its end.
fn next(source: &mut Source, video: &Path) -> Result<coastwatch_vision::Frame, Error> {
    if let Some(frame) = source.next_frame()? {
        return Ok(frame);
    }
    *source = open(video)?;
    source.next_frame()?.ok_or_else(|| "empty video".into())
}

fn open(video: &Path) -> Result<Source, Error> {
    let config = SourceConfig {
        fps: FPS,
        ..Default::default()
    };
    Ok(Source::open(Input::File(video.to_path_buf()), config)?)
}

/// RSS as pipelines are added one by one, each having processed 10 frames (the first a
/// whole-frame detection), all kept alive.
fn memory(video: &Path, n: usize, threads: usize) -> Result<(), Error> {
    println!("pipelines  rss_MiB  added_MiB  decoders_rss_MiB  (gate on, ORT threads {threads})");
    let mut previous = rss_kib(std::process::id())?;
    println!("{:>9}  {:>7.1}  {:>9}  {:>16.1}", 0, mib(previous), "", 0.0);
    let mut cameras = Vec::new();
    for k in 1..=n {
        let detector = Detector::load(&DetectorConfig {
            threads: Some(threads),
            ..Default::default()
        })?;
        let mut pipeline = Pipeline::new(PipelineConfig::default(), Some(detector));
        let mut source = open(video)?;
        for _ in 0..10 {
            let frame = next(&mut source, video)?;
            pipeline.process(&frame)?;
        }
        cameras.push((pipeline, source));
        // Let the decoders fill their pipes and channels.
        std::thread::sleep(Duration::from_millis(500));
        let rss = rss_kib(std::process::id())?;
        println!(
            "{k:>9}  {:>7.1}  {:>9.1}  {:>16.1}",
            mib(rss),
            mib(rss - previous),
            mib(children_rss_kib()?)
        );
        previous = rss;
    }
    Ok(())
}

/// The decoders' CPU per delivered frame, sampling the 10 fps file at 10 and at 5 fps.
fn decode(video: &Path) -> Result<(), Error> {
    println!("decode only, {}", video.display());
    println!("sample_fps  frames  wall_ms/frame  decoder_cpu_ms/frame  reader_cpu_ms/frame");
    for fps in [10.0, 5.0] {
        let before = cpu_s("self")?;
        let started = Instant::now();
        let mut source = Source::open(
            Input::File(video.to_path_buf()),
            SourceConfig {
                fps,
                ..Default::default()
            },
        )?;
        let mut frames = 0u32;
        while source.next_frame()?.is_some() {
            frames += 1;
        }
        drop(source);
        let wall = started.elapsed().as_secs_f64();
        let after = cpu_s("self")?;
        let per = |s: f64| s * 1e3 / f64::from(frames.max(1));
        println!(
            "{fps:>10}  {frames:>6}  {:>13.1}  {:>20.1}  {:>19.1}",
            per(wall),
            per(after.1 - before.1),
            per(after.0 - before.0)
        );
    }
    Ok(())
}

fn mib(kib: i64) -> f64 {
    kib as f64 / 1024.0
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> Result<i64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS for {pid}").into())
}

/// The processes whose parent is this one (the decoders).
fn live_children() -> Result<Vec<u32>, Error> {
    let me = std::process::id().to_string();
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if stat_fields(&pid.to_string()).is_some_and(|f| f[1] == me) {
            children.push(pid);
        }
    }
    Ok(children)
}

/// The fields of `/proc/PID/stat` after the command name, from `state` (field 3) on.
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: split after the last ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(String::from).collect())
}

/// Sum of the VmRSS of this process's children (the decoders), in KiB.
fn children_rss_kib() -> Result<i64, Error> {
    Ok(live_children()?
        .into_iter()
        .map(|pid| rss_kib(pid).unwrap_or(0))
        .sum())
}

/// CPU seconds (user + system) of a process, and of its children it has waited for.
fn cpu_s(pid: &str) -> Result<(f64, f64), Error> {
    let fields = stat_fields(pid).ok_or_else(|| format!("no /proc/{pid}/stat"))?;
    // utime, stime, cutime, cstime are fields 14–17; `fields` starts at field 3.
    let field = |i: usize| fields[i - 3].parse::<f64>().unwrap_or(0.0);
    let tick = clock_ticks()?;
    Ok((
        (field(14) + field(15)) / tick,
        (field(16) + field(17)) / tick,
    ))
}

/// Seconds this thread has run on a CPU and waited on a run queue (`/proc/thread-self/schedstat`).
fn thread_schedstat() -> Result<(f64, f64), Error> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let mut ns = text
        .split_whitespace()
        .map(|v| v.parse::<f64>().unwrap_or(0.0));
    Ok((
        ns.next().unwrap_or(0.0) / 1e9,
        ns.next().unwrap_or(0.0) / 1e9,
    ))
}

/// CPU seconds of a process itself.
fn own_cpu_s(pid: &str) -> Result<f64, Error> {
    Ok(cpu_s(pid)?.0)
}

/// CPU seconds of the running decoders.
fn live_children_cpu_s() -> Result<f64, Error> {
    let mut total = 0.0;
    for pid in live_children()? {
        total += own_cpu_s(&pid.to_string()).unwrap_or(0.0);
    }
    Ok(total)
}

/// CPU seconds all cores have been busy since boot (`/proc/stat`: all but idle and iowait).
fn machine_busy_s() -> Result<f64, Error> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().ok_or("empty /proc/stat")?;
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // user nice system idle iowait irq softirq steal …
    let busy = ticks.iter().take(8).sum::<f64>() - ticks[3] - ticks[4];
    Ok(busy / clock_ticks()?)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux), asked once.
fn clock_ticks() -> Result<f64, Error> {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    if let Some(t) = TICKS.get() {
        return Ok(*t);
    }
    let out = Command::new("getconf").arg("CLK_TCK").output()?;
    let ticks = String::from_utf8(out.stdout)?.trim().parse()?;
    Ok(*TICKS.get_or_init(|| ticks))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// `<repo>/.cache`, or `$COASTWATCH_CACHE`.
fn cache_dir() -> PathBuf {
    std::env::var_os("COASTWATCH_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache"))
}

/// A still scene: vtest.avi's first frame held for 80 s with light sensor noise (every pixel
/// changes every frame, as a camera's do), 1280×720 H.264 at 10 fps like [`vtest_720p`].
fn still_720p() -> Result<PathBuf, Error> {
    let out = cache_dir().join("still-720p.mp4");
    if out.is_file() {
        return Ok(out);
    }
    std::fs::create_dir_all(cache_dir())?;
    let first = cache_dir().join("vtest-frame0.png");
    ffmpeg(&["-i", VTEST, "-frames:v", "1"], &first)?;
    let partial = out.with_extension("partial.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-loop", "1", "-framerate", "10", "-i"])
        .arg(&first)
        .args(["-t", "80", "-vf", "scale=1280:720,noise=alls=3:allf=t"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
        .args(["-g", "20", "-bf", "0", "-pix_fmt", "yuv420p"])
        .arg(&partial)
        .status()?;
    std::fs::remove_file(&first)?;
    if !status.success() {
        return Err(format!("ffmpeg failed ({status})").into());
    }
    std::fs::rename(&partial, &out)?;
    Ok(out)
}

/// Runs `ffmpeg -v error -y ARGS OUT`.
fn ffmpeg(args: &[&str], out: &Path) -> Result<(), Error> {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(out)
        .status()?;
    if !status.success() {
        return Err(format!("ffmpeg failed ({status})").into());
    }
    Ok(())
}

/// vtest.avi at 1280×720 as H.264, made once (the same file as the `video` bench's).
fn vtest_720p() -> Result<PathBuf, Error> {
    let out = cache_dir().join("vtest-720p.mp4");
    if out.is_file() {
        return Ok(out);
    }
    if !Path::new(VTEST).is_file() {
        return Err(format!("{VTEST} is missing (apt-get install opencv-doc)").into());
    }
    std::fs::create_dir_all(cache_dir())?;
    let partial = out.with_extension("partial.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", VTEST, "-vf", "scale=1280:720"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
        .args(["-g", "20", "-bf", "0", "-pix_fmt", "yuv420p"])
        .arg(&partial)
        .status()?;
    if !status.success() {
        return Err(format!("ffmpeg failed ({status})").into());
    }
    std::fs::rename(&partial, &out)?;
    Ok(out)
}
