//! A supervised camera against the real decoder: permanent errors stop it, dropped streams are
//! retried with backoff, and a file camera starts over at its end.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};

use coastwatch_vision::camera::{CameraConfig, CameraError, CameraEvent, run_camera};

mod support;

use support::{VTEST, have_footage};

fn camera(url: &str) -> CameraConfig {
    let text = format!(
        "id = 'dock-3'\nurl = '{url}'\nmotion_only = true\nbackoff_max_s = 0.3\n\
         [source]\nfps = 4\nmax_width = 192\nconnect_timeout_s = 3\n"
    );
    toml::from_str(&text).unwrap()
}

#[test]
fn a_missing_file_stops_the_camera_at_once() {
    let stop = AtomicBool::new(false);
    let err = run_camera(&camera("/no/such/dock.mp4"), &stop, |_| {}).unwrap_err();
    assert!(matches!(err, CameraError::Source { .. }), "{err}");
    assert!(err.to_string().contains("dock-3"), "{err}");
}

#[test]
fn a_refused_stream_is_retried_with_backoff_and_never_shows_its_password() {
    if !have_footage() {
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = camera(&format!("rtsp://admin:Dock-pw-9@127.0.0.1:{port}/ch1"));
    assert!(!format!("{config:?}").contains("Dock-pw-9"));
    let stop = AtomicBool::new(false);
    let mut waits = Vec::new();
    run_camera(&config, &stop, |event| match event {
        CameraEvent::Down {
            error, retry_in, ..
        } => {
            assert!(!error.contains("Dock-pw-9"), "{error}");
            waits.push(retry_in.as_secs_f64());
            if waits.len() == 3 {
                stop.store(true, Ordering::Relaxed);
            }
        }
        other => panic!("nothing listens there: {other:?}"),
    })
    .unwrap();
    assert_eq!(
        waits,
        vec![0.3, 0.3, 0.3],
        "backoff is capped by backoff_max_s"
    );
}

#[test]
fn a_file_camera_starts_over_at_its_end_and_keeps_its_track_ids() {
    if !have_footage() {
        return;
    }
    let stop = AtomicBool::new(false);
    let (mut connects, mut frames, mut downs, mut last_frame) = (0, 0, 0, None);
    let mut ids_first_pass = std::collections::BTreeSet::new();
    let mut ids_second_pass = std::collections::BTreeSet::new();
    run_camera(&camera(VTEST), &stop, |event| match event {
        CameraEvent::Connected { width, height } => {
            assert_eq!((width, height), (192, 144));
            connects += 1;
        }
        CameraEvent::Frame(report, _) => {
            frames += 1;
            if let Some(last) = last_frame {
                assert_eq!(
                    report.frame,
                    last + 1,
                    "frame numbers carry on across reconnects"
                );
            }
            last_frame = Some(report.frame);
            let ids = if downs == 0 {
                &mut ids_first_pass
            } else {
                &mut ids_second_pass
            };
            ids.extend(report.tracks.iter().map(|t| t.id));
            if downs == 1 && frames > 200 {
                stop.store(true, Ordering::Relaxed);
            }
        }
        CameraEvent::Down { error, ended, .. } => {
            assert!(error.contains("end of stream"), "{error}");
            assert!(!ended.is_empty(), "the pass's tracks close");
            downs += 1;
        }
    })
    .unwrap();
    assert_eq!((connects, downs), (2, 1));
    assert!(frames > 200);
    assert!(
        !ids_first_pass.is_empty(),
        "people walking are moving blobs"
    );
    let first_max = *ids_first_pass.last().unwrap();
    assert!(
        ids_second_pass.iter().all(|id| *id > first_max),
        "ids are never reused"
    );
}
