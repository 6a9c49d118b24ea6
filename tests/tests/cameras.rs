//! The server's cameras (`[[vision.cameras]]`): each runs on its own, a stream that cannot be
//! reached is retried, a camera whose model is missing fails alone, and their state shows in
//! the API, `/healthz` and `/metrics` without the passwords in their URLs.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use coastwatch_tests::{TestServer, VIEWER, free_port, test_config};
use serde_json::{Value, json};

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

fn have_footage() -> bool {
    let here = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
        && std::path::Path::new(VTEST).exists();
    if !here {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ffmpeg or {VTEST} is missing"
        );
        eprintln!("skipping: ffmpeg or {VTEST} is missing");
    }
    here
}

fn camera(config: Value) -> coastwatch_vision::camera::CameraConfig {
    serde_json::from_value(config).unwrap()
}

fn find<'a>(cameras: &'a Value, id: &str) -> &'a Value {
    cameras["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn cameras_run_fail_and_recover_on_their_own() {
    if !have_footage() {
        return;
    }
    let mut config = test_config();
    let small = json!({"fps": 4, "max_width": 192, "connect_timeout_s": 2});
    config.vision.cameras = vec![
        camera(json!({"id": "dock-1", "url": VTEST, "motion_only": true, "source": small})),
        camera(json!({
            "id": "depot-2",
            "url": format!("rtsp://admin:Depot-pw-77@127.0.0.1:{}/Streaming/Channels/101", free_port()),
            "motion_only": true, "source": small, "backoff_max_s": 0.5,
        })),
        camera(json!({"id": "yard-3", "url": VTEST, "detector": {"model": "/no/such/model.onnx"}})),
    ];
    let server = TestServer::new(config).await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let cameras = loop {
        let (status, cameras) = server
            .send("GET", "/api/v1/vision/cameras", Some(VIEWER), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{cameras}");
        let dock = find(&cameras, "dock-1");
        let depot = find(&cameras, "depot-2");
        // a file camera starts over at its end: between passes it is `down` for a second
        let settled = dock["frames"].as_u64().unwrap() > 20
            && dock["tracks"].as_u64().unwrap() > 0
            && dock["state"] == "streaming"
            && depot["restarts"].as_u64().unwrap() >= 2
            && find(&cameras, "yard-3")["state"] == "failed";
        if settled {
            break cameras;
        }
        assert!(
            Instant::now() < deadline,
            "cameras did not settle: {cameras}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let dock = find(&cameras, "dock-1");
    assert_eq!(dock["state"], "streaming", "{dock}");
    assert_eq!(dock["frame_size"], json!([192, 144]));
    assert_eq!(dock["detector"], false);
    let depot = find(&cameras, "depot-2");
    assert_eq!(depot["state"], "down", "{depot}");
    assert!(
        depot["error"].as_str().unwrap().contains("cannot connect"),
        "{depot}"
    );
    let yard = find(&cameras, "yard-3");
    assert!(
        yard["error"]
            .as_str()
            .unwrap()
            .contains("/no/such/model.onnx"),
        "{yard}"
    );

    let (status, health) = server.send("GET", "/healthz", Some(VIEWER), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a camera down is not the server down"
    );
    let states = &health["cameras"];
    assert!(
        states["dock-1"] == "streaming" || states["dock-1"] == "down",
        "{states}"
    );
    assert_eq!(states["depot-2"], "down", "{states}");
    assert_eq!(states["yard-3"], "failed", "{states}");
    assert_eq!(states.as_object().unwrap().len(), 3, "{states}");

    let (_, metrics) = server.send("GET", "/metrics", Some(VIEWER), None).await;
    let metrics = metrics.as_str().unwrap().to_string();
    let value = |name: &str| -> f64 {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("coastwatch_vision_frames_total{camera=\"dock-1\"}") > 20.0);
    assert!(value("coastwatch_vision_tracks_total{camera=\"dock-1\"}") > 0.0);
    assert!(value("coastwatch_vision_restarts_total{camera=\"depot-2\"}") >= 2.0);
    assert!(value("coastwatch_vision_inference_seconds_count{camera=\"dock-1\"}") > 20.0);

    for text in [cameras.to_string(), health.to_string(), metrics] {
        assert!(
            !text.contains("Depot-pw-77") && !text.contains("admin"),
            "a camera password leaked: {text}"
        );
    }
}
