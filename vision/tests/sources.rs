//! Frame sources against the real `ffmpeg` program and real footage from Debian's `opencv-doc`.

use std::io::Write;
use std::net::TcpListener;
use std::time::Instant;

use coastwatch_vision::source::{Input, Source, SourceConfig, SourceError};

mod support;

use support::{VTEST, have_footage};
fn open(spec: &str, config: SourceConfig) -> Result<Source, SourceError> {
    Source::open(Input::parse(spec)?, config)
}

#[test]
fn a_file_is_sampled_at_the_configured_rate_on_its_own_timeline() {
    if !have_footage() {
        return;
    }
    let config = SourceConfig {
        fps: 2.0,
        max_width: Some(384),
        ..Default::default()
    };
    let frames: Vec<_> = open(VTEST, config)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // 795 frames at 10 fps are 79.5 s: 159 samples at 2 fps.
    assert!(
        (158..=160).contains(&frames.len()),
        "{} frames",
        frames.len()
    );
    assert_eq!((frames[0].width, frames[0].height), (384, 288));
    assert_eq!(frames[0].rgb.len(), 384 * 288 * 3);
    let step = frames[11].t.duration_since(frames[10].t).as_secs_f64();
    assert!((step - 0.5).abs() < 1e-6, "{step}");
    assert!(frames.windows(2).all(|w| w[1].index == w[0].index + 1));
    // Real pictures, not blank buffers.
    let distinct: std::collections::HashSet<_> = frames[0].rgb.chunks(3).take(5000).collect();
    assert!(distinct.len() > 100);
}

#[test]
fn a_realtime_file_plays_at_its_own_rate_stamped_from_its_opening() {
    if !have_footage() {
        return;
    }
    let config = SourceConfig {
        fps: 4.0,
        max_width: Some(192),
        realtime: true,
        ..Default::default()
    };
    let opened = jiff::Timestamp::now();
    let started = Instant::now();
    let frames: Vec<_> = open(VTEST, config)
        .unwrap()
        .take(9)
        .collect::<Result<_, _>>()
        .unwrap();
    // nine frames at 4 fps span 2 s of the file: played as a camera sends them
    let took = started.elapsed().as_secs_f64();
    assert!(took >= 1.7, "paced: {took:.2} s");
    let first = frames[0].t.duration_since(opened).as_secs_f64();
    assert!(
        (0.0..2.0).contains(&first),
        "stamped from the opening: {first}"
    );
    let step = frames[8].t.duration_since(frames[0].t).as_secs_f64();
    assert!((step - 2.0).abs() < 1e-6, "{step}");
}

#[test]
fn an_image_folder_is_read_in_name_order() {
    if !have_footage() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-i",
            VTEST,
            "-frames:v",
            "6",
            "-vf",
            "scale=160:120",
        ])
        .arg(dir.path().join("f%03d.png"))
        .status()
        .unwrap();
    assert!(out.success());
    let source = open(dir.path().to_str().unwrap(), SourceConfig::default()).unwrap();
    assert_eq!(source.size(), (160, 120));
    let frames: Vec<_> = source.collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len(), 6);
}

#[test]
fn a_file_that_is_not_video_is_a_clear_error() {
    if !have_footage() {
        return;
    }
    let mut file = tempfile::Builder::new().suffix(".mp4").tempfile().unwrap();
    file.write_all(b"this is a shipping manifest, not a video\n")
        .unwrap();
    let err = open(file.path().to_str().unwrap(), SourceConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, SourceError::NotVideo { .. }), "{err}");
    assert!(err.to_string().contains("not a video"), "{err}");
    assert!(!err.is_transient());
}

#[test]
fn a_truncated_file_is_an_error_not_a_short_success() {
    if !have_footage() {
        return;
    }
    let bytes = std::fs::read(VTEST).unwrap();
    let mut file = tempfile::Builder::new().suffix(".avi").tempfile().unwrap();
    file.write_all(&bytes[..bytes.len() / 4]).unwrap();
    let config = SourceConfig {
        fps: 5.0,
        max_width: Some(192),
        ..Default::default()
    };
    let results: Vec<_> = open(file.path().to_str().unwrap(), config)
        .unwrap()
        .collect();
    let err = results
        .last()
        .unwrap()
        .as_ref()
        .expect_err("the last item is the error");
    assert!(matches!(err, SourceError::Broken { .. }), "{err}");
    assert!(results.len() > 10, "the frames before the cut still arrive");
}

#[test]
fn a_refused_camera_url_fails_fast_and_keeps_its_password() {
    if !have_footage() {
        return;
    }
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("rtsp://admin:S3cret-pass@127.0.0.1:{port}/Streaming/Channels/101");
    let started = Instant::now();
    let err = open(
        &url,
        SourceConfig {
            connect_timeout_s: 5.0,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(started.elapsed().as_secs_f64() < 6.0);
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err}");
    assert!(err.is_transient());
    let text = format!("{err} {err:?}");
    assert!(!text.contains("S3cret-pass"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
}

#[test]
fn a_silent_camera_is_a_timeout_not_a_hang() {
    if !have_footage() {
        return;
    }
    // Accepts the connection and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(held);
    });
    let started = Instant::now();
    let config = SourceConfig {
        connect_timeout_s: 2.0,
        stall_timeout_s: 2.0,
        ..Default::default()
    };
    let err = open(&format!("rtsp://127.0.0.1:{port}/live"), config)
        .err()
        .unwrap();
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_transient(), "{err}");
}

/// The folder `vision/scripts/fetch-footage.sh` filled, or `None` (with a note) outside CI when
/// none is configured.
fn footage_dir() -> Option<std::path::PathBuf> {
    match std::env::var_os("COASTWATCH_FOOTAGE") {
        Some(dir) => Some(dir.into()),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but COASTWATCH_FOOTAGE is not set")
        }
        None => {
            eprintln!(
                "skipping the bikes.mp4 test: COASTWATCH_FOOTAGE is not set \
                 (vision/scripts/fetch-footage.sh DIR fetches the footage)"
            );
            None
        }
    }
}

#[test]
fn street_footage_in_h264_mp4_is_sampled_to_the_expected_frame_count() {
    let Some(dir) = footage_dir() else { return };
    if !have_footage() {
        return;
    }
    let path = dir.join("bikes.mp4");
    let config = SourceConfig {
        fps: 5.0,
        ..Default::default()
    };
    let source = open(path.to_str().unwrap(), config).unwrap();
    assert_eq!(source.size(), (640, 272));
    let frames: Vec<_> = source.collect::<Result<_, _>>().unwrap();
    // ffprobe: 250 frames at 25 fps, 10.000 s; sampled at 5 fps that is 50 frames.
    assert_eq!(frames.len(), 50);
    let step = frames[1].t.duration_since(frames[0].t).as_secs_f64();
    assert!((step - 0.2).abs() < 1e-6, "{step}");
    assert_ne!(frames[0].rgb, frames[49].rgb, "the bikes move");
}
