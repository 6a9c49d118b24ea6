//! `coastwatch vision detect` and `vision mot-eval` end to end, on real footage (Debian's
//! `opencv-doc`) and motmetrics' TUD sequences, `vision calibrate` on calibration files, and
//! `vision ocr` on text drawn by ffmpeg; bad input exits 2 with a message that says what was
//! wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coastwatch_core::geodesy::{self, LocalFrame};
use coastwatch_core::georef::Pose;
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

/// 30 m above the sea off Xiangshan, looking east-south-east, as `example-pose.toml`.
const POSE: Pose = Pose {
    lon: 121.6,
    lat: 29.6,
    height_m: 30.0,
    heading_deg: 120.0,
    tilt_deg: 4.0,
    hfov_deg: 60.0,
    width: 1280,
    height: 720,
};

/// The footprint ring of a `vision calibrate` Feature, checked to be a closed polygon with
/// the given properties.
fn footprint_ring(feature: &Value, range_m: f64) -> Vec<[f64; 2]> {
    assert_eq!(feature["type"], "Feature", "{feature}");
    assert_eq!(feature["geometry"]["type"], "Polygon", "{feature}");
    assert_eq!(feature["properties"]["range_m"], range_m, "{feature}");
    assert!(feature["properties"]["rms_px"].is_f64(), "{feature}");
    let ring: Vec<[f64; 2]> =
        serde_json::from_value(feature["geometry"]["coordinates"][0].clone()).unwrap();
    assert!(ring.len() > 64, "{}", ring.len());
    assert_eq!(ring.first(), ring.last());
    ring
}

/// Where the homography printed by `vision calibrate` puts a pixel: metres east and north of
/// the camera.
fn through(homography: &Value, px: [f64; 2]) -> [f64; 2] {
    let m: [[f64; 3]; 3] = serde_json::from_value(homography.clone()).unwrap();
    let [e, n, w] = m.map(|r| r[0] * px[0] + r[1] * px[1] + r[2]);
    assert!(w > 0.0, "{px:?} is above the horizon line of {m:?}");
    [e / w, n / w]
}

#[test]
fn calibrate_prints_the_homography_and_a_footprint_inside_the_sector() {
    let dir = tempfile::tempdir().unwrap();
    let pose_file = dir.path().join("pier-7.toml");
    std::fs::write(
        &pose_file,
        format!(
            "range_m = 2000\n[pose]\nlon = {}\nlat = {}\nheight_m = {}\nheading_deg = {}\n\
             tilt_deg = {}\nhfov_deg = {}\nwidth = {}\nheight = {}\n",
            POSE.lon,
            POSE.lat,
            POSE.height_m,
            POSE.heading_deg,
            POSE.tilt_deg,
            POSE.hfov_deg,
            POSE.width,
            POSE.height
        ),
    )
    .unwrap();
    let output = coastwatch(&["vision", "calibrate", pose_file.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rms_px = out["rms_px"].as_f64().unwrap();
    assert!(rms_px > 0.0 && rms_px < 1.0, "{out}");
    assert_eq!(out["footprint"]["properties"]["rms_px"], rms_px);
    // Every vertex within the range and the bearings the (tilted) image spans.
    let half_deg = POSE.sector_half_width_deg();
    let camera = POSE.position();
    for vertex in footprint_ring(&out["footprint"], 2000.0) {
        let distance_m = geodesy::distance_m(camera, vertex);
        assert!(distance_m <= 2001.0, "{vertex:?}: {distance_m} m");
        let bearing = geodesy::bearing_deg(camera, vertex);
        let off = (bearing - 120.0 + 540.0).rem_euclid(360.0) - 180.0;
        assert!(off.abs() <= half_deg + 0.5, "{vertex:?}: {off}°");
    }
    // The homography agrees with the pose near the camera: the centre pixel is 429 m out
    // at 120°, where one pixel spans 5.6 m of range.
    let expected = LocalFrame::new(camera).to_xy(
        POSE.pixel_to_ground([640.0, 360.0])
            .map(|g| [g.lon, g.lat])
            .unwrap(),
    );
    let got = through(&out["homography"], [640.0, 360.0]);
    let miss_m = (got[0] - expected[0]).hypot(got[1] - expected[1]);
    assert!(miss_m < 2.8, "{got:?} vs {expected:?}");

    // The text form, --range-m over the file's range_m: the Feature is the last line.
    let output = coastwatch(&[
        "vision",
        "calibrate",
        pose_file.to_str().unwrap(),
        "--range-m",
        "1500",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("homography"), "{text}");
    assert!(text.contains(&format!("rms_px: {rms_px:.3}")), "{text}");
    let feature: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let ring = footprint_ring(&feature, 1500.0);
    let farthest = ring
        .iter()
        .map(|&v| geodesy::distance_m(camera, v))
        .fold(0.0, f64::max);
    assert!(farthest > 1499.0 && farthest <= 1501.0, "{farthest}");
}

#[test]
fn calibrate_fits_ground_control_points_and_refuses_collinear_ones() {
    let dir = tempfile::tempdir().unwrap();
    // Eight points the pose sees, as a surveyor would give them (0.1 px, 1e-6°).
    let pixels = [
        [150.0, 330.0],
        [640.0, 320.0],
        [1130.0, 330.0],
        [330.0, 430.0],
        [950.0, 430.0],
        [120.0, 640.0],
        [640.0, 560.0],
        [1160.0, 640.0],
    ];
    let mut toml = String::from("camera = [121.6, 29.6]\nwidth = 1280\nheight = 720\npoints = [\n");
    for px in pixels {
        let g = POSE.pixel_to_ground(px).unwrap();
        toml += &format!(
            "  {{ pixel = [{:.1}, {:.1}], lonlat = [{:.6}, {:.6}] }},\n",
            px[0], px[1], g.lon, g.lat
        );
    }
    toml += "]\n";
    let gcp_file = dir.path().join("pier-7-gcp.toml");
    std::fs::write(&gcp_file, &toml).unwrap();
    let output = coastwatch(&["vision", "calibrate", gcp_file.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Rounding to 1e-6° (0.1 m) moves a point 890 m out by 0.004 px; the sea's curvature
    // over these 100–890 m adds as little.
    assert!(out["rms_px"].as_f64().unwrap() < 0.1, "{out}");
    let camera = POSE.position();
    for vertex in footprint_ring(&out["footprint"], 3000.0) {
        assert!(geodesy::distance_m(camera, vertex) <= 3001.0, "{vertex:?}");
    }
    // It puts a pixel between the points where the pose does, within 1 m (200 m out).
    let expected = POSE.pixel_to_ground([500.0, 500.0]).unwrap();
    let expected = LocalFrame::new(camera).to_xy([expected.lon, expected.lat]);
    let got = through(&out["homography"], [500.0, 500.0]);
    assert!(
        (got[0] - expected[0]).hypot(got[1] - expected[1]) < 1.0,
        "{got:?} vs {expected:?}"
    );

    // Five points on one column: refused, exit 2, with the reason.
    let collinear = dir.path().join("collinear.json");
    let points: Vec<Value> = [350.0, 400.0, 450.0, 550.0, 700.0]
        .iter()
        .map(|&y| {
            let g = POSE.pixel_to_ground([640.0, y]).unwrap();
            serde_json::json!({"pixel": [640.0, y], "lonlat": [g.lon, g.lat]})
        })
        .collect();
    let body = serde_json::json!({
        "camera": [121.6, 29.6], "width": 1280, "height": 720, "points": points,
    });
    std::fs::write(&collinear, body.to_string()).unwrap();
    let output = coastwatch(&["vision", "calibrate", collinear.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("collinear.json: calibration refused: the pixel points lie on one line"),
        "{message}"
    );
    assert!(output.stdout.is_empty());

    // A range out of bounds, a file of neither kind.
    let output = coastwatch(&[
        "vision",
        "calibrate",
        gcp_file.to_str().unwrap(),
        "--range-m=0",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("range 0 m"), "{}", stderr(&output));
    let yaml = dir.path().join("calibration.yaml");
    std::fs::write(&yaml, "camera: [121.6, 29.6]\n").unwrap();
    let output = coastwatch(&["vision", "calibrate", yaml.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(".toml or .json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_example_calibrations_are_accepted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vision/calibration");
    for name in ["example-pose.toml", "example-gcp.toml"] {
        let file = dir.join(name);
        let output = coastwatch(&["vision", "calibrate", file.to_str().unwrap(), "--json"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let out: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(out["rms_px"].as_f64().unwrap() < 1.0, "{name}: {out}");
        footprint_ring(&out["footprint"], 3000.0);
    }
}

/// The OCR models and the CJK font, when scripts/test.sh installed them; on CI their absence
/// fails.
fn have_ocr() -> bool {
    let models = std::env::var_os("COASTWATCH_OCR_MODELS").map(PathBuf::from);
    let here = have_runtime()
        && models.is_some_and(|m| m.join("PP-OCRv6_rec_small.onnx").is_file())
        && Path::new(CJK_FONT).is_file();
    if !here {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but the OCR models or {CJK_FONT} are missing"
        );
        eprintln!("skipping: COASTWATCH_OCR_MODELS or {CJK_FONT} is missing");
    }
    here
}

const CJK_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

/// A PNG of `text` drawn by ffmpeg on a plate- or hull-coloured background.
fn text_png(path: &Path, text: &str, background: &str) {
    let text_file = path.with_extension("txt");
    std::fs::write(&text_file, text).unwrap();
    let filter = format!(
        "drawtext=fontfile={CJK_FONT}:textfile={}:fontcolor=white:fontsize=52:x=(w-text_w)/2:y=(h-text_h)/2",
        text_file.display()
    );
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi"])
        .args(["-i", &format!("color=c={background}:s=480x120")])
        .args(["-vf", &filter, "-frames:v", "1", "-y"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn vision_ocr_reads_hull_numbers_and_plates_and_names_what_it_cannot_read() {
    if !have_ocr() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    text_png(&dir.path().join("a-hull.png"), "浙岱渔03318", "0x1F3A68");
    text_png(&dir.path().join("b-plate.png"), "浙B·12345", "0x1E4FA8");
    let folder = dir.path().to_str().unwrap();
    let output = coastwatch(&["vision", "ocr", folder, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let found: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(found.len(), 2);
    let marking = |i: usize| found[i]["lines"][0]["marking"].clone();
    assert_eq!(
        marking(0),
        serde_json::json!({"kind": "fishing_vessel", "text": "浙岱渔03318"})
    );
    assert_eq!(
        marking(1),
        serde_json::json!({"kind": "plate", "text": "浙B12345", "new_energy": false})
    );
    assert!(found[0]["lines"][0]["height_px"].as_f64().unwrap() > 32.0);

    // the plain form: file, text, confidence, height, corners
    let output = coastwatch(&["vision", "ocr", &format!("{folder}/a-hull.png")]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(text.contains("\t浙岱渔03318\t0."), "{text}");

    // a file that is no image is named, the others are still read, and the exit code is 2
    std::fs::write(dir.path().join("c-broken.jpg"), "not a picture").unwrap();
    let output = coastwatch(&["vision", "ocr", folder]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("c-broken.jpg: not an image"),
        "{}",
        stderr(&output)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2);
    // missing models name the install script
    let output = coastwatch(&["vision", "ocr", folder, "--models", "/no/models"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("scripts/install-ocr-models.sh"),
        "{}",
        stderr(&output)
    );
    let output = coastwatch(&["vision", "ocr", "/no/such.png"]);
    assert_eq!(output.status.code(), Some(2));
}

/// A truck driving away down a road, filmed whole by a zoomed road camera beside it (the
/// demo's checkpoint camera): its rear number, 0.3 m high, is some 30–40 px in a crop of
/// 600–800 px. The detector misses text that small in a crop that large at its first size;
/// the reader's second, closer look finds it.
#[test]
fn a_trucks_rear_number_is_read_from_its_whole_view_on_a_closer_look() {
    use coastwatch_scenario::video::{ObjectKind, Renderer, SceneObject, TRUCK_WIDTH_M};
    use coastwatch_vision::ocr::{Ocr, OcrConfig, Rgb};

    if !have_ocr() {
        return;
    }
    let pose = Pose {
        lon: 121.507986,
        lat: 29.573011,
        height_m: 7.0,
        heading_deg: 337.2,
        tilt_deg: 3.95,
        hfov_deg: 8.36,
        width: 1280,
        height: 720,
    };
    let renderer = Renderer::new(pose, &geo::MultiPolygon(Vec::new()), 9).unwrap();
    let road = geodesy::destination([pose.lon, pose.lat], 261.8, 20.0);
    let models = std::env::var_os("COASTWATCH_OCR_MODELS")
        .map(PathBuf::from)
        .unwrap();
    let config = |det_zoom_side| OcrConfig {
        models: models.clone(),
        det_zoom_side,
        ..OcrConfig::default()
    };
    let (mut once, mut closer) = (
        Ocr::load(config(0)).unwrap(),
        Ocr::load(config(736)).unwrap(),
    );
    let (mut found_once, mut found_closer) = (0, 0);
    for along_m in (66..=90).step_by(3) {
        let at = geodesy::destination(road, 351.8, f64::from(along_m));
        let truck = SceneObject {
            lonlat: at,
            kind: ObjectKind::Truck {
                length_m: 10.0,
                height_m: 3.6,
            },
            heading_deg: 351.8,
            lights: true,
            marking: Some("浙B96778".into()),
        };
        let rgb = renderer.frame(1.78e9, std::slice::from_ref(&truck), false);
        // the truck's box on screen, and 10 % around it, as the cameras crop a track
        let corners: Vec<[f64; 2]> = [-5.0, 5.0]
            .into_iter()
            .flat_map(|ahead| [-1.0, 1.0].map(move |side| (ahead, side)))
            .flat_map(|(ahead, side)| [0.0, 3.6].map(move |up| (ahead, side, up)))
            .map(|(ahead, side, up)| {
                let p = geodesy::destination(at, 351.8, ahead);
                let p = geodesy::destination(p, 81.8, side * TRUCK_WIDTH_M / 2.0);
                pose.ground_to_pixel(p, up).unwrap()
            })
            .collect();
        let lo = |k: usize| corners.iter().map(|c| c[k]).fold(f64::INFINITY, f64::min);
        let hi = |k: usize| corners.iter().map(|c| c[k]).fold(0.0, f64::max);
        let margin = |k: usize| 0.1 * (hi(k) - lo(k));
        let x0 = (lo(0) - margin(0)).max(0.0) as usize;
        let x1 = (hi(0) + margin(0)).min(1280.0) as usize;
        let y0 = (lo(1) - margin(1)).max(0.0) as usize;
        let y1 = (hi(1) + margin(1)).min(720.0) as usize;
        let crop: Vec<u8> = (y0..y1)
            .flat_map(|y| {
                rgb[(y * 1280 + x0) * 3..(y * 1280 + x1) * 3]
                    .iter()
                    .copied()
            })
            .collect();
        let image = Rgb::new(x1 - x0, y1 - y0, crop).unwrap();
        let read = |ocr: &mut Ocr| {
            let lines = ocr.read(&image).unwrap();
            lines.iter().any(|l| l.text.replace('·', "") == "浙B96778")
        };
        found_once += usize::from(read(&mut once));
        found_closer += usize::from(read(&mut closer));
        println!("{along_m} m: {}×{} px", x1 - x0, y1 - y0);
    }
    println!("read at the first size {found_once} of 9, with the closer look {found_closer}");
    assert!(found_closer >= 6, "{found_closer} of 9");
    assert!(found_closer > found_once, "{found_once} {found_closer}");
}
