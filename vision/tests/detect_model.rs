//! The detector against the real ONNX Runtime and the shipped NanoDet model, on footage from
//! Debian's `opencv-doc` decoded by the `ffmpeg` program. Without `ORT_DYLIB_PATH` (or the
//! footage) each test prints "skipping" and passes, except under `CI=true`, where it fails.

use std::path::Path;
use std::process::Command;

use coastwatch_vision::detect::{DetectError, Detector, DetectorConfig, Device, Tile};
use coastwatch_vision::{BBox, Detection, Frame, ObjectClass};

const BOAT: &str = "/usr/share/doc/opencv-doc/opencv4/html/boat.jpg";
const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

/// Whether the test can run: ONNX Runtime and the `files` are there.
fn ready(test: &str, files: &[&str]) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let mut missing: Vec<String> = files
        .iter()
        .filter(|f| !Path::new(f).is_file())
        .map(|f| f.to_string())
        .collect();
    if std::env::var_os("ORT_DYLIB_PATH").is_none_or(|v| v.is_empty()) {
        missing.push(
            "ORT_DYLIB_PATH (export ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh))".into(),
        );
    }
    if missing.is_empty() {
        return true;
    }
    assert!(!ci, "{test}: CI=true but missing {missing:?}");
    println!("skipping {test}: missing {}", missing.join(", "));
    false
}

/// Frame `n` of a video (or the image) as packed RGB, through the `ffmpeg` program.
fn ffmpeg_frame(path: &str, n: u32) -> Frame {
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            path,
        ])
        .output()
        .expect("ffprobe runs");
    let dims = String::from_utf8(probe.stdout).unwrap();
    let (w, h) = dims.trim().split_once(',').expect("width,height");
    let (width, height): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
    let select = format!("select=eq(n\\,{n})");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", path, "-vf", &select, "-frames:v", "1"])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        .output()
        .expect("ffmpeg runs");
    assert_eq!(
        out.stdout.len(),
        (width * height * 3) as usize,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Frame {
        index: n as u64,
        t: jiff::Timestamp::UNIX_EPOCH,
        width,
        height,
        rgb: out.stdout,
    }
}

fn of(dets: &[Detection], class: ObjectClass) -> Vec<Detection> {
    dets.iter().filter(|d| d.class == class).copied().collect()
}

#[test]
fn finds_the_tall_ship_in_the_harbour_panorama_with_tiling() {
    if !ready(
        "finds_the_tall_ship_in_the_harbour_panorama_with_tiling",
        &[BOAT],
    ) {
        return;
    }
    let frame = ffmpeg_frame(BOAT, 0);
    assert_eq!((frame.width, frame.height), (1024, 253));
    // NanoDet-m is weak on boats (see vision/models/README.md): a low threshold
    let config = DetectorConfig {
        score: 0.15,
        ..Default::default()
    };
    let mut tiled = Detector::load(&config).unwrap();
    let vessels = of(&tiled.detect(&frame).unwrap(), ObjectClass::Vessel);
    println!(
        "tiled ({} runs, {:?}): {vessels:?}",
        tiled.last_runs(),
        tiled.last_inference()
    );
    assert_eq!(tiled.last_runs(), 5);
    // the tall ship stands at the left, x ≈ 30..110, y ≈ 50..150
    let ship = BBox {
        x: 30.0,
        y: 50.0,
        w: 80.0,
        h: 100.0,
    };
    assert!(
        vessels
            .iter()
            .any(|v| v.bbox.intersection(&ship) > 0.5 * v.bbox.area()),
        "{vessels:?}"
    );

    let mut whole = Detector::load(&DetectorConfig {
        tile: Tile::Off,
        ..config
    })
    .unwrap();
    let untiled = of(&whole.detect(&frame).unwrap(), ObjectClass::Vessel);
    println!("untiled: {} vessel(s): {untiled:?}", untiled.len());
}

#[test]
fn finds_pedestrians_in_vtest() {
    if !ready("finds_pedestrians_in_vtest", &[VTEST]) {
        return;
    }
    let frame = ffmpeg_frame(VTEST, 100);
    assert_eq!((frame.width, frame.height), (768, 576));
    let mut det = Detector::load(&DetectorConfig::default()).unwrap();
    assert_eq!((det.input_size(), det.device()), ((416, 416), Device::Cpu));
    let found = det.detect(&frame).unwrap();
    let people = of(&found, ObjectClass::Person);
    println!(
        "{} people in {:?}: {people:?}",
        people.len(),
        det.last_inference()
    );
    // the people in frame 100, boxed by eye on the rendered frame (x, y, w, h)
    let truth = [
        (347.0, 196.0, 32.0, 76.0),
        (377.0, 180.0, 31.0, 78.0),
        (430.0, 185.0, 20.0, 72.0), // half behind the sign
        (493.0, 149.0, 23.0, 72.0),
        (519.0, 151.0, 21.0, 69.0),
        (589.0, 154.0, 31.0, 82.0),
        (222.0, 62.0, 15.0, 35.0), // far away, top left
    ]
    .map(|(x, y, w, h)| BBox { x, y, w, h });
    let hits = truth
        .iter()
        .filter(|t| people.iter().any(|p| p.bbox.iou(t) > 0.5))
        .count();
    assert!(
        hits >= 5,
        "{hits} of {} people found: {people:?}",
        truth.len()
    );
    for p in people.iter().filter(|p| p.score >= 0.5) {
        let b = p.bbox;
        assert!(
            b.x >= 0.0 && b.y >= 0.0 && b.x2() <= 768.0 && b.y2() <= 576.0,
            "{b:?}"
        );
        assert!(
            (25.0..250.0).contains(&b.h) && (1.5..5.0).contains(&(b.h / b.w)),
            "not person-shaped: {b:?}"
        );
    }
    for (i, a) in people.iter().enumerate() {
        for b in &people[i + 1..] {
            assert!(a.bbox.iou(&b.bbox) <= 0.45, "NMS left {a:?} and {b:?}");
        }
    }

    // the same person again through a region around it: boxes come back in frame pixels
    let best = people[0].bbox;
    let region = BBox {
        x: best.x - 80.0,
        y: best.y - 60.0,
        w: best.w + 160.0,
        h: best.h + 120.0,
    };
    let again = of(
        &det.detect_region(&frame, region).unwrap(),
        ObjectClass::Person,
    );
    println!("region {region:?}: {again:?}");
    assert!(
        again.iter().any(|p| p.bbox.iou(&best) > 0.5),
        "{again:?} vs {best:?}"
    );
    assert!(
        again
            .iter()
            .all(|p| p.bbox.x >= region.x && p.bbox.x2() <= region.x2() + 1.0)
    );
}

#[test]
fn cuda_falls_back_to_the_cpu_when_the_runtime_lacks_it() {
    if !ready("cuda_falls_back_to_the_cpu_when_the_runtime_lacks_it", &[]) {
        return;
    }
    let det = Detector::load(&DetectorConfig {
        device: Device::Cuda,
        ..Default::default()
    })
    .unwrap();
    println!("device: {:?}", det.device());
}

#[test]
fn a_text_file_named_onnx_is_refused() {
    if !ready("a_text_file_named_onnx_is_refused", &[]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, "this is not a model\n").unwrap();
    let e = Detector::load(&DetectorConfig {
        model: path,
        ..Default::default()
    })
    .unwrap_err();
    println!("{e}");
    assert!(matches!(e, DetectError::NotOnnx { .. }), "{e:?}");
    assert!(e.to_string().contains("not a valid ONNX model"));
}

#[test]
fn a_model_with_the_wrong_outputs_is_refused_naming_the_shape() {
    if !ready(
        "a_model_with_the_wrong_outputs_is_refused_naming_the_shape",
        &[],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.onnx");
    std::fs::write(&path, identity_model(&[1, 3, 64, 64])).unwrap();
    let e = Detector::load(&DetectorConfig {
        model: path,
        ..Default::default()
    })
    .unwrap_err();
    println!("{e}");
    assert!(matches!(e, DetectError::Outputs { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("[1, 3, 64, 64]") && msg.contains("nanodet") && msg.contains("[1, N, 80]"),
        "{msg}"
    );
}

/// A minimal ONNX model, `y = Identity(x)` with float `x`, `y` of `shape`, written as protobuf by
/// hand (ModelProto: ir_version 8, opset 13).
fn identity_model(shape: &[u64]) -> Vec<u8> {
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn int(field: u64, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(field << 3, &mut out);
        varint(v, &mut out);
        out
    }
    fn bytes(field: u64, b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint((field << 3) | 2, &mut out);
        varint(b.len() as u64, &mut out);
        out.extend_from_slice(b);
        out
    }
    let dims: Vec<u8> = shape.iter().flat_map(|&d| bytes(1, &int(1, d))).collect();
    let tensor_type = [int(1, 1), bytes(2, &dims)].concat(); // elem_type FLOAT, shape
    let value =
        |name: &str| [bytes(1, name.as_bytes()), bytes(2, &bytes(1, &tensor_type))].concat();
    let node = [
        bytes(1, b"x"),
        bytes(2, b"y"),
        bytes(3, b"id"),
        bytes(4, b"Identity"),
    ]
    .concat();
    let graph = [
        bytes(1, &node),
        bytes(2, b"g"),
        bytes(11, &value("x")),
        bytes(12, &value("y")),
    ]
    .concat();
    let opset = [bytes(1, b""), int(2, 13)].concat();
    [
        int(1, 8),
        bytes(2, b"coastwatch-test"),
        bytes(7, &graph),
        bytes(8, &opset),
    ]
    .concat()
}
