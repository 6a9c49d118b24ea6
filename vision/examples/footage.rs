//! Runs one camera's pipeline (shipped model, default thresholds) over a whole video file and
//! reports what a person would check by eye: tracks per class, short tracks, likely
//! fragmentations (an id ending and a new one starting where it ended), and time per frame.
//!
//! ```text
//! ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh) cargo run --release -p coastwatch-vision \
//!   --example footage -- VIDEO FPS [--gate on|off] [--threads T] [--timeline] [--at SECONDS]...
//! ```
//!
//! Without ground truth, identity errors are judged from the track list:
//! - short: a confirmed track that lived (first to last matched detection) under 1 s;
//! - handover: track B's first box lies within half a box height of where track A was last
//!   matched, B starting 0–2 s after A's last match; each such pair is one id lost on one object
//!   (a fragmentation, or a switch when A went on elsewhere, which the tracker cannot do here:
//!   A had ended or was lost).

use std::collections::BTreeMap;
use std::time::Instant;

use coastwatch_vision::detect::{Detector, DetectorConfig};
use coastwatch_vision::pipeline::{Pipeline, PipelineConfig};
use coastwatch_vision::source::{Input, Source, SourceConfig};
use coastwatch_vision::{BBox, ObjectClass};

type Error = Box<dyn std::error::Error>;

/// A track as the frame reports showed it.
struct Seen {
    class: ObjectClass,
    first_frame: u64,
    first_box: BBox,
    last_frame: u64,
    last_box: BBox,
    /// Frames it was reported in (matched).
    frames: u64,
    score_sum: f32,
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let usage =
        "usage: footage VIDEO FPS [--gate on|off] [--threads T] [--timeline] [--at SECONDS]...";
    let video = args.next().ok_or(usage)?;
    let fps: f64 = args.next().ok_or(usage)?.parse()?;
    let (mut gate, mut threads, mut timeline) = (true, None, false);
    let mut at: Vec<f64> = Vec::new();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--gate" => gate = args.next().ok_or(usage)? == "on",
            "--threads" => threads = Some(args.next().ok_or(usage)?.parse()?),
            "--timeline" => timeline = true,
            "--at" => at.push(args.next().ok_or(usage)?.parse()?),
            _ => return Err(usage.into()),
        }
    }
    let detector = Detector::load(&DetectorConfig {
        threads,
        ..Default::default()
    })?;
    let mut pipeline = Pipeline::new(
        PipelineConfig {
            gate,
            ..Default::default()
        },
        Some(detector),
    );
    let config = SourceConfig {
        fps,
        ..Default::default()
    };
    let mut source = Source::open(Input::parse(&video)?, config)?;
    let (width, height) = source.size();

    let mut seen: BTreeMap<u64, Seen> = BTreeMap::new();
    let (mut frames, mut detected, mut detections) = (0u64, 0u64, 0usize);
    let (mut motion, mut detect, mut track, mut process) = (0.0, 0.0, 0.0, 0.0);
    let mut on_cpu = 0.0;
    let wall = Instant::now();
    while let Some(frame) = source.next_frame()? {
        let began = Instant::now();
        let cpu_began = thread_cpu_s()?;
        let report = pipeline.process(&frame)?;
        process += began.elapsed().as_secs_f64();
        on_cpu += thread_cpu_s()? - cpu_began;
        frames += 1;
        detected += u64::from(report.detected);
        detections += report.detections;
        motion += report.timing.motion.as_secs_f64();
        detect += report.timing.detect.as_secs_f64();
        track += report.timing.track.as_secs_f64();
        if at.iter().any(|s| (s * fps).round() as u64 == report.frame) {
            println!(
                "at {:.1} s: {}",
                report.frame as f64 / fps,
                report
                    .tracks
                    .iter()
                    .map(|t| format!(
                        "{} {} {:.2} {:.0},{:.0} {:.0}×{:.0}",
                        t.id,
                        t.class.as_str(),
                        t.score,
                        t.bbox.x,
                        t.bbox.y,
                        t.bbox.w,
                        t.bbox.h
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        for t in &report.tracks {
            let s = seen.entry(t.id).or_insert(Seen {
                class: t.class,
                first_frame: t.first_frame,
                first_box: t.bbox,
                last_frame: report.frame,
                last_box: t.bbox,
                frames: 0,
                score_sum: 0.0,
            });
            s.class = t.class;
            s.last_frame = report.frame;
            s.last_box = t.bbox;
            s.frames += 1;
            s.score_sum += t.score;
        }
    }
    let wall = wall.elapsed().as_secs_f64();
    pipeline.finish();

    let ms = |s: f64| s * 1e3 / frames.max(1) as f64;
    println!(
        "{video}: {width}×{height} at {fps} fps, {frames} frames ({:.1} s), gate {}",
        frames as f64 / fps,
        if gate { "on" } else { "off" }
    );
    println!(
        "per frame: process {:.1} ms (motion {:.1}, detect {:.1}, track {:.2}); wall incl. waiting for the decoder {:.1} ms",
        ms(process),
        ms(motion),
        ms(detect),
        ms(track),
        ms(wall)
    );
    println!(
        "this thread on a CPU while processing: {:.1} ms per frame (all of it with --threads 1; \
         a load-independent figure)",
        ms(on_cpu)
    );
    println!(
        "detector ran on {:.0}% of frames; {:.1} detections per frame",
        100.0 * detected as f64 / frames.max(1) as f64,
        detections as f64 / frames.max(1) as f64
    );

    let seconds = |f: u64| f as f64 / fps;
    let mut per_class: BTreeMap<ObjectClass, (usize, usize, f64)> = BTreeMap::new();
    for s in seen.values() {
        let e = per_class.entry(s.class).or_default();
        e.0 += 1;
        e.1 += usize::from(seconds(s.last_frame - s.first_frame) < 1.0);
        e.2 += seconds(s.last_frame - s.first_frame);
    }
    println!("class     tracks  short(<1 s)  mean_life_s");
    for (class, (n, short, life)) in &per_class {
        println!(
            "{:<8}  {n:>6}  {short:>11}  {:>11.1}",
            class.as_str(),
            life / *n as f64
        );
    }

    let mut handovers = Vec::new();
    for (&a, sa) in &seen {
        for (&b, sb) in &seen {
            let gap = sb.first_frame as f64 - sa.last_frame as f64;
            if b == a || gap <= 0.0 || gap > 2.0 * fps {
                continue;
            }
            let (ax, ay) = sa.last_box.center();
            let (bx, by) = sb.first_box.center();
            if (ax - bx).hypot(ay - by) < 0.5 * sa.last_box.h.max(sb.first_box.h) {
                handovers.push((a, b, gap / fps));
            }
        }
    }
    println!(
        "handovers (B starts 0–2 s after A's last match, within half a box height): {}",
        handovers.len()
    );
    for (a, b, gap) in &handovers {
        println!("  {a} -> {b} after {gap:.1} s");
    }
    if timeline {
        println!("id    class    first_s  last_s  matched  mean_score  first_box");
        for (id, s) in &seen {
            println!(
                "{id:<5} {:<8} {:>7.1} {:>7.1} {:>8} {:>11.2}  {:.0},{:.0} {:.0}×{:.0}",
                s.class.as_str(),
                seconds(s.first_frame),
                seconds(s.last_frame),
                s.frames,
                s.score_sum / s.frames as f32,
                s.first_box.x,
                s.first_box.y,
                s.first_box.w,
                s.first_box.h
            );
        }
    }
    Ok(())
}

/// Seconds this thread has run on a CPU (`/proc/thread-self/schedstat`).
fn thread_cpu_s() -> Result<f64, Error> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let ns: f64 = text.split_whitespace().next().unwrap_or("0").parse()?;
    Ok(ns / 1e9)
}
