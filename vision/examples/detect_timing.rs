//! Times `Detector::detect` with the shipped model on a 1280×720 frame (vtest.avi frame 100
//! scaled up by the `ffmpeg` program).
//!
//! ```text
//! ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh) \
//!   cargo run --release -p coastwatch-vision --example detect_timing [RUNS] [THREADS]
//! ```

use std::process::Command;
use std::time::{Duration, Instant};

use coastwatch_vision::Frame;
use coastwatch_vision::detect::{Detector, DetectorConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(Ok(30), |a| a.parse())?;
    let threads: Option<usize> = args.next().map(|a| a.parse()).transpose()?;
    let out = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-i",
            "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
        ])
        .args(["-vf", "select=eq(n\\,100),scale=1280:720", "-frames:v", "1"])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        .output()?;
    if out.stdout.len() != 1280 * 720 * 3 {
        return Err(format!("ffmpeg: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let frame = Frame {
        index: 0,
        t: jiff::Timestamp::now(),
        width: 1280,
        height: 720,
        rgb: out.stdout,
    };
    let mut det = Detector::load(&DetectorConfig {
        threads,
        ..Default::default()
    })?;
    for _ in 0..3 {
        det.detect(&frame)?;
    }
    let (mut total, mut inference) = (Vec::new(), Vec::new());
    let mut found = 0;
    for _ in 0..runs {
        let start = Instant::now();
        found = det.detect(&frame)?.len();
        total.push(start.elapsed());
        inference.push(det.last_inference());
    }
    let ms = |mut v: Vec<Duration>| {
        v.sort();
        let mean = v.iter().sum::<Duration>().as_secs_f64() * 1e3 / v.len() as f64;
        format!(
            "median {:.1} ms, mean {:.1} ms, min {:.1} ms",
            v[v.len() / 2].as_secs_f64() * 1e3,
            mean,
            v[0].as_secs_f64() * 1e3
        )
    };
    println!(
        "{} at {:?}, 1280×720, {runs} runs, threads {threads:?}, {found} detections",
        det.model().display(),
        det.input_size()
    );
    println!("detect():       {}", ms(total));
    println!("  in ONNX Runtime: {}", ms(inference));
    Ok(())
}
