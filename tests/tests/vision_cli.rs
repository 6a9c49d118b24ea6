//! `coastwatch vision detect` and `vision mot-eval` end to end, on real footage (Debian's
//! `opencv-doc`) and motmetrics' TUD sequences; bad input exits 2 with a message that says what
//! was wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coastwatch_tests::{coastwatch_bin, free_port};
use serde_json::Value;

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

fn coastwatch(args: &[&str]) -> Output {
    Command::new(coastwatch_bin()).args(args).output().unwrap()
}

fn have_footage() -> bool {
    let here = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Path::new(VTEST).exists();
    if !here {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ffmpeg or {VTEST} is missing"
        );
        eprintln!("skipping: ffmpeg or {VTEST} is missing (scripts/install-deps.sh --test)");
    }
    here
}

/// ONNX Runtime, when scripts/test.sh installed it; on CI its absence fails.
fn have_runtime() -> bool {
    let here = std::env::var_os("ORT_DYLIB_PATH").is_some();
    if !here {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ORT_DYLIB_PATH is not set"
        );
        eprintln!("skipping: ORT_DYLIB_PATH is not set (scripts/install-onnxruntime.sh)");
    }
    here
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn motion_only_tracks_the_walkers_of_vtest() {
    if !have_footage() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (out, mot) = (
        dir.path().join("tracks.ndjson"),
        dir.path().join("tracks.mot"),
    );
    let output = coastwatch(&[
        "vision",
        "detect",
        VTEST,
        "--model",
        "none",
        "--fps",
        "2",
        "--max-width",
        "384",
        "--out",
        out.to_str().unwrap(),
        "--mot",
        mot.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let tracks = lines(&out);
    assert!(tracks.len() > 100, "{} lines", tracks.len());
    for line in &tracks {
        assert_eq!(line["class"], "unknown");
        let bbox = line["bbox"].as_array().unwrap();
        assert_eq!(bbox.len(), 4);
        let (x, w) = (bbox[0].as_f64().unwrap(), bbox[2].as_f64().unwrap());
        assert!(x >= -5.0 && x + w <= 390.0 && w > 0.0, "{line}");
        assert!(line["t"].as_f64().unwrap() >= 0.0 && line["t"].as_f64().unwrap() < 80.0);
    }
    // The MOTChallenge file holds the same tracks, frames counted from 1.
    let mot_text = std::fs::read_to_string(&mot).unwrap();
    assert_eq!(mot_text.lines().count(), tracks.len());
    let first: Vec<&str> = mot_text.lines().next().unwrap().split(',').collect();
    assert_eq!(
        first[0].parse::<u64>().unwrap(),
        tracks[0]["frame"].as_u64().unwrap() + 1
    );
    assert!(
        stderr(&output).contains("ms per frame"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_shipped_model_finds_people_in_vtest() {
    if !have_footage() || !have_runtime() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tracks.ndjson");
    // The first 8 s at 2 fps.
    let clip = dir.path().join("clip.avi");
    assert!(
        Command::new("ffmpeg")
            .args(["-v", "error", "-i", VTEST, "-t", "8", "-c", "copy"])
            .arg(&clip)
            .status()
            .unwrap()
            .success()
    );
    let output = coastwatch(&[
        "vision",
        "detect",
        clip.to_str().unwrap(),
        "--fps",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let tracks = lines(&out);
    let people: std::collections::BTreeSet<u64> = tracks
        .iter()
        .filter(|l| l["class"] == "person")
        .map(|l| l["track_id"].as_u64().unwrap())
        .collect();
    assert!(people.len() >= 3, "{people:?}");
}

#[test]
fn bad_sources_and_models_exit_2_and_say_what_is_wrong() {
    if !have_footage() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let check = |args: &[&str], needle: &str| {
        let output = coastwatch(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(message.contains(needle), "{args:?}: {message}");
        message
    };
    check(&["vision", "detect", "/no/such/clip.mp4"], "no such file");

    let manifest = dir.path().join("manifest.mp4");
    std::fs::write(&manifest, "crew: 4\ncargo: frozen chicken feet\n").unwrap();
    check(
        &["vision", "detect", manifest.to_str().unwrap()],
        "not a video",
    );

    let bytes = std::fs::read(VTEST).unwrap();
    let truncated = dir.path().join("truncated.avi");
    std::fs::write(&truncated, &bytes[..bytes.len() / 4]).unwrap();
    check(
        &[
            "vision",
            "detect",
            truncated.to_str().unwrap(),
            "--model",
            "none",
            "--max-width",
            "192",
        ],
        "broke",
    );

    let url = format!("rtsp://admin:Pier-7-pw@127.0.0.1:{}/ch1", free_port());
    let message = check(
        &["vision", "detect", &url, "--model", "none"],
        "cannot connect",
    );
    assert!(!message.contains("Pier-7-pw"), "{message}");

    check(
        &["vision", "detect", VTEST, "--model", "x.onnx"],
        "--family",
    );
    check(&["vision", "detect", VTEST, "--fps", "0"], "--fps");
    check(
        &[
            "vision", "detect", VTEST, "--model", "none", "--mask", "1,2 3",
        ],
        "--mask",
    );
    if !have_runtime() {
        return;
    }
    check(
        &[
            "vision",
            "detect",
            VTEST,
            "--model",
            manifest.to_str().unwrap(),
            "--family",
            "yolov8",
        ],
        "not a valid ONNX model",
    );
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vision/models/nanodet-416.onnx");
    check(
        &[
            "vision",
            "detect",
            VTEST,
            "--model",
            shipped.to_str().unwrap(),
            "--family",
            "yolov8",
        ],
        "outputs",
    );
}

fn mot_data() -> Option<PathBuf> {
    let dir = std::env::var_os("COASTWATCH_MOT_DATA").map(PathBuf::from);
    if dir.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but COASTWATCH_MOT_DATA is not set"
        );
        eprintln!("skipping: COASTWATCH_MOT_DATA is not set (vision/scripts/fetch-mot-data.sh)");
    }
    dir
}

#[test]
fn mot_eval_reproduces_motmetrics_on_tud() {
    let Some(data) = mot_data() else { return };
    let output = coastwatch(&[
        "vision",
        "mot-eval",
        data.to_str().unwrap(),
        data.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let overall = rows.iter().find(|r| r["name"] == "OVERALL").unwrap();
    // motmetrics 1.4.0, tests/test_metrics.py::test_motchallenge_files.
    assert!(
        (overall["mota"].as_f64().unwrap() - 0.555116).abs() < 1e-3,
        "{overall}"
    );
    assert!(
        (overall["idf1"].as_f64().unwrap() - 0.624296).abs() < 1e-3,
        "{overall}"
    );
    assert_eq!(overall["num_switches"], 14, "{overall}");
    assert_eq!(rows.len(), 3);

    let table = coastwatch(&[
        "vision",
        "mot-eval",
        data.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(
        table.contains("TUD-Campus") && table.contains("OVERALL") && table.contains("55.5%"),
        "{table}"
    );

    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        broken.path(),
        "1,1,10,10,5,5,1,-1,-1,-1\n2,x,10,10,5,5,1,-1,-1,-1\n",
    )
    .unwrap();
    let gt = data.join("TUD-Campus/gt.txt");
    let output = coastwatch(&[
        "vision",
        "mot-eval",
        gt.to_str().unwrap(),
        broken.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
}
