//! Writes 30 s of a demo camera's synthetic video as an MP4, for a person to look at: CH-01
//! (Chunhu Yugang, 12 m above the sea) watching a 20 m fishing boat cross its view at 8 kn
//! 120 m out, a speedboat run the other way at 25 kn 500 m out, and a cargo ship far off.
//!
//! ```text
//! cargo run --release -p coastwatch-scenario --example camera_video -- [OUT.mp4] [--night] [--size WxH] [--time]
//! ```
//!
//! Writes `OUT.mp4` (default: `coastwatch-camera-video.mp4` in the system's temporary
//! folder, `/tmp` on Linux) at 1280×720 (or `--size`) and 10 frames a second through the
//! `ffmpeg` program, and prints the render time per frame. `--time` only renders the frames and
//! times them, without ffmpeg competing for the processor.

use std::error::Error;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coastwatch_core::geodesy::{self, MPS_PER_KN};
use coastwatch_scenario::video::{self, ObjectKind, Renderer, SceneObject};
use coastwatch_scenario::{DEFAULT_START_EPOCH_S, District};

const SECONDS: f64 = 30.0;
const FPS: u32 = 10;

fn main() -> Result<(), Box<dyn Error>> {
    let mut out = std::env::temp_dir().join("coastwatch-camera-video.mp4");
    let mut night = false;
    let mut time_only = false;
    let (mut width, mut height) = (1280u32, 720u32);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--night" => night = true,
            "--time" => time_only = true,
            "--size" => {
                let size = args.next().ok_or("--size needs WxH")?;
                let (w, h) = size.split_once('x').ok_or("--size needs WxH")?;
                (width, height) = (w.parse()?, h.parse()?);
            }
            path => out = PathBuf::from(path),
        }
    }

    let district = District::demo()?;
    let camera = district
        .cameras
        .iter()
        .find(|c| c.properties["name"].as_str() == Some("CH-01 Chunhu Yugang"))
        .ok_or("no camera CH-01 in the demo district")?;
    let pose = video::camera_pose(camera, width, height)?;
    let started = Instant::now();
    let renderer = Renderer::new(pose, &video::land_of(&district), 1)?;
    println!("renderer made in {:.0?}", started.elapsed());

    // A point `out_m` along the camera's line of sight, `across_m` to its right.
    let place = |out_m: f64, across_m: f64| {
        let on_axis = geodesy::destination(pose.position(), pose.heading_deg, out_m);
        geodesy::destination(on_axis, pose.heading_deg + 90.0, across_m)
    };
    let right = pose.heading_deg + 90.0;
    let vessel = |length_m, height_m| ObjectKind::Vessel {
        length_m,
        beam_m: None,
        height_m,
    };
    let scene = |t_s: f64| {
        vec![
            SceneObject {
                lonlat: place(120.0, -100.0 + 8.0 * MPS_PER_KN * t_s),
                kind: vessel(20.0, 8.0),
                heading_deg: right,
                lights: true,
                marking: None,
            },
            SceneObject {
                lonlat: place(500.0, 200.0 - 25.0 * MPS_PER_KN * t_s),
                kind: vessel(9.0, 2.5),
                heading_deg: right + 180.0,
                lights: true,
                marking: None,
            },
            SceneObject {
                lonlat: place(6000.0, -900.0 + 12.0 * MPS_PER_KN * t_s),
                kind: vessel(140.0, 30.0),
                heading_deg: right - 10.0,
                lights: true,
                marking: None,
            },
        ]
    };

    let frames = (SECONDS * f64::from(FPS)) as u32;
    let render = |i: u32| {
        let t_s = f64::from(i) / f64::from(FPS);
        let started = Instant::now();
        let rgb = renderer.frame(DEFAULT_START_EPOCH_S as f64 + t_s, &scene(t_s), night);
        (rgb, started.elapsed())
    };
    let per_frame_ms = |total: Duration| total.as_secs_f64() * 1000.0 / f64::from(frames);
    if time_only {
        let total: Duration = (0..frames).map(|i| render(i).1).sum();
        println!(
            "{frames} frames of {width}×{height}: {:.2} ms each to render",
            per_frame_ms(total)
        );
        return Ok(());
    }

    let mut ffmpeg = Command::new("ffmpeg")
        .args([
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
        ])
        .arg(format!("{width}x{height}"))
        .args([
            "-r",
            &FPS.to_string(),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&out)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run ffmpeg: {e}"))?;
    let mut stdin = ffmpeg.stdin.take().ok_or("ffmpeg has no stdin")?;
    let mut rendering = Duration::ZERO;
    for i in 0..frames {
        let (rgb, took) = render(i);
        rendering += took;
        stdin.write_all(&rgb)?;
    }
    drop(stdin);
    let status = ffmpeg.wait()?;
    if !status.success() {
        return Err(format!("ffmpeg failed: {status}").into());
    }
    println!(
        "{frames} frames of {width}×{height}, {:.2} ms each to render; wrote {}",
        per_frame_ms(rendering),
        out.display()
    );
    Ok(())
}
