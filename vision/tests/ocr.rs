//! OCR against the real PP-OCR models (`scripts/install-ocr-models.sh`) and ONNX Runtime, on a
//! test set this project makes: hull numbers, number plates and vessel names drawn by `ffmpeg`
//! (drawtext, FreeType) with Debian's fonts (WenQuanYi Zen Hei for Chinese, DejaVu Sans for
//! Latin) on hull- and plate-coloured crops, clean and degraded (blur, perspective, low
//! contrast, night noise). Without the models, the fonts or ONNX Runtime each test prints
//! "skipping" and passes, except under `CI=true`, where it fails.

#[path = "support/ocr_set.rs"]
mod ocr_set;

use std::path::{Path, PathBuf};

use coastwatch_core::identity::markings::{edit_distance, normalize};
use coastwatch_vision::ocr::{Ocr, OcrConfig, OcrError, Rgb};
use ocr_set::{Condition, Sample, render, samples};

/// The OCR models' folder, when everything the tests need is here.
fn ready(test: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let models = OcrConfig::default().models;
    let mut missing = Vec::new();
    if !models.join(coastwatch_vision::ocr::REC_MODEL).is_file() {
        missing.push(format!(
            "the OCR models in {} (export COASTWATCH_OCR_MODELS=$(scripts/install-ocr-models.sh))",
            models.display()
        ));
    }
    if std::env::var_os("ORT_DYLIB_PATH").is_none_or(|v| v.is_empty()) {
        missing.push(
            "ORT_DYLIB_PATH (export ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh))".into(),
        );
    }
    for font in [ocr_set::CJK_FONT, ocr_set::LATIN_FONT] {
        if !Path::new(font).is_file() {
            missing.push(format!("{font} (scripts/install-deps.sh --test)"));
        }
    }
    if missing.is_empty() {
        return Some(models);
    }
    assert!(!ci, "{test}: CI=true but missing {missing:?}");
    println!("skipping {test}: missing {}", missing.join(", "));
    None
}

fn ocr(models: PathBuf) -> Ocr {
    Ocr::load(OcrConfig {
        models,
        ..OcrConfig::default()
    })
    .unwrap()
}

/// The text read in a crop, its lines joined and normalised as markings are compared
/// (separators and spaces dropped, traditional forms simplified).
fn read(ocr: &mut Ocr, image: &Rgb) -> String {
    let lines: String = ocr
        .read(image)
        .unwrap()
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    normalize(&lines)
}

/// Whole-string and character accuracy over `set`.
fn score(ocr: &mut Ocr, set: &[(Sample, Rgb)]) -> (f64, f64, Vec<String>) {
    let (mut whole, mut chars, mut total) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for (sample, image) in set {
        let want = normalize(&sample.text);
        let got = read(ocr, image);
        let n = want.chars().count();
        whole += usize::from(got == want);
        chars += n.saturating_sub(edit_distance(&got, &want));
        total += n;
        if got != want {
            misses.push(format!("{want} → {got}"));
        }
    }
    (
        whole as f64 / set.len() as f64,
        chars as f64 / total as f64,
        misses,
    )
}

#[test]
fn clean_hull_numbers_plates_and_names_are_read_whole() {
    let Some(models) = ready("clean_hull_numbers_plates_and_names_are_read_whole") else {
        return;
    };
    let mut ocr = ocr(models);
    let set: Vec<(Sample, Rgb)> = samples(40)
        .into_iter()
        .map(|s| {
            let image = render(&s, Condition::Clean);
            (s, image)
        })
        .collect();
    let (whole, chars, misses) = score(&mut ocr, &set);
    println!(
        "clean: whole {:.1} %, characters {:.1} %, misses {misses:?}",
        whole * 100.0,
        chars * 100.0
    );
    assert!(
        whole >= 0.95,
        "whole-string accuracy {whole:.3} on clean crops: {misses:?}"
    );
}

#[test]
fn degraded_crops_are_still_mostly_read() {
    let Some(models) = ready("degraded_crops_are_still_mostly_read") else {
        return;
    };
    let mut ocr = ocr(models);
    for condition in [
        Condition::Blur,
        Condition::Perspective,
        Condition::LowContrast,
        Condition::Night,
    ] {
        let set: Vec<(Sample, Rgb)> = samples(16)
            .into_iter()
            .map(|s| {
                let image = render(&s, condition);
                (s, image)
            })
            .collect();
        let (whole, chars, misses) = score(&mut ocr, &set);
        println!(
            "{condition:?}: whole {:.1} %, characters {:.1} %, misses {misses:?}",
            whole * 100.0,
            chars * 100.0
        );
        assert!(
            chars >= 0.8,
            "{condition:?}: character accuracy {chars:.3}: {misses:?}"
        );
    }
}

#[test]
fn bad_input_is_refused_clearly() {
    let Some(models) = ready("bad_input_is_refused_clearly") else {
        return;
    };
    // an empty crop
    let mut ocr = ocr(models.clone());
    let empty = Rgb {
        width: 0,
        height: 0,
        data: Vec::new(),
    };
    let error = ocr.read(&empty).unwrap_err();
    assert!(matches!(error, OcrError::Empty { .. }), "{error}");
    // a crop without text reads as nothing
    let sea = Rgb::new(200, 80, [40u8, 80, 120].repeat(200 * 80)).unwrap();
    assert!(ocr.read(&sea).unwrap().is_empty());

    // a recogniser whose dictionary has two characters more than its output: one character
    // of the stored dictionary turned into three line breaks (the same bytes, so the model's
    // encoding stays valid)
    let dir = tempfile::tempdir().unwrap();
    for file in [
        coastwatch_vision::ocr::DET_MODEL,
        coastwatch_vision::ocr::CLS_MODEL,
    ] {
        std::fs::copy(models.join(file), dir.path().join(file)).unwrap();
    }
    let mut rec = std::fs::read(models.join(coastwatch_vision::ocr::REC_MODEL)).unwrap();
    let needle = "\n渔\n".as_bytes();
    let at = rec
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the dictionary holds 渔");
    rec[at + 1..at + 4].copy_from_slice(b"\n\n\n");
    std::fs::write(dir.path().join(coastwatch_vision::ocr::REC_MODEL), rec).unwrap();
    let error = Ocr::load(OcrConfig {
        models: dir.path().to_path_buf(),
        ..OcrConfig::default()
    })
    .err()
    .expect("a dictionary that does not fit");
    let text = error.to_string();
    assert!(
        matches!(error, OcrError::Dictionary { .. }) && text.contains("classes"),
        "{text}"
    );

    // a missing model names the install script
    let error = Ocr::load(OcrConfig {
        models: PathBuf::from("/no/models"),
        ..OcrConfig::default()
    })
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("scripts/install-ocr-models.sh"), "{error}");
}

#[test]
fn an_image_full_of_text_is_read_only_up_to_max_lines() {
    let Some(models) = ready("an_image_full_of_text_is_read_only_up_to_max_lines") else {
        return;
    };
    let page = Sample {
        text: (0..12)
            .map(|i| format!("浙B{:05}", 10_000 + i * 1111))
            .collect::<Vec<_>>()
            .join("\n"),
        font: ocr_set::CJK_FONT,
        colours: (0xFFFFFF, 0x000000),
        width: 360,
        height: 720,
        font_px: 40,
    };
    let image = render(&page, Condition::Clean);
    let mut all = ocr(models.clone());
    assert!(
        all.read(&image).unwrap().len() >= 10,
        "the lines are there to read"
    );
    let mut bounded = Ocr::load(OcrConfig {
        models,
        max_lines: 5,
        ..OcrConfig::default()
    })
    .unwrap();
    assert_eq!(bounded.read(&image).unwrap().len(), 5);
}

/// ffmpeg renders what the test set says: crops of the size asked, with text on them.
#[test]
fn the_test_set_is_rendered() {
    if ready("the_test_set_is_rendered").is_none() {
        return;
    }
    let sample = &samples(1)[0];
    let image = render(sample, Condition::Clean);
    assert_eq!((image.width, image.height), (sample.width, sample.height));
    let distinct: std::collections::HashSet<&[u8]> = image.data.chunks(3).collect();
    assert!(distinct.len() > 2, "text was drawn");
}

/// A boat with its hull number crosses a camera's view, and a blank one after it: the motion
/// pipeline follows each, each is read a few times in its 6 s of view, and the vote gives the
/// number for the first and a legible nothing for the second.
#[test]
fn a_track_is_read_a_few_times_and_voted() {
    use coastwatch_vision::Frame;
    use coastwatch_vision::ocr::vote::{TrackReadings, VoteConfig};
    use coastwatch_vision::pipeline::{Pipeline, PipelineConfig};

    let Some(models) = ready("a_track_is_read_a_few_times_and_voted") else {
        return;
    };
    let mut ocr = ocr(models);
    let hull = |text: &str, height: usize| {
        render(
            &Sample {
                text: text.into(),
                font: ocr_set::CJK_FONT,
                colours: (0x1F3A68, 0xF2F2F2),
                width: 320,
                height,
                font_px: 34,
            },
            Condition::Clean,
        )
    };
    // the blank hull is tall enough for a blank read to count
    let boats = [hull("浙岱渔03318", 90), hull("", 130)];
    let (w, h) = (960usize, 360usize);
    let mut pipeline = Pipeline::new(PipelineConfig::default(), None);
    let mut readings = TrackReadings::new(VoteConfig::default());
    let mut read_ids = std::collections::BTreeMap::new();
    for index in 0..80u64 {
        // a still sea; the first boat crosses in frames 10–39, the second in 50–79
        let mut rgb = vec![0u8; w * h * 3];
        for px in rgb.chunks_exact_mut(3) {
            px.copy_from_slice(&[70, 96, 112]);
        }
        let (boat, step) = match index {
            10..40 => (Some(&boats[0]), index - 10),
            50..80 => (Some(&boats[1]), index - 50),
            _ => (None, 0),
        };
        if let Some(boat) = boat {
            let x0 = 20 + step as usize * 20;
            for y in 0..boat.height {
                for x in 0..boat.width.min(w - x0) {
                    let (from, to) = ((y * boat.width + x) * 3, ((140 + y) * w + x0 + x) * 3);
                    rgb[to..to + 3].copy_from_slice(&boat.data[from..from + 3]);
                }
            }
        }
        let frame = Frame {
            index,
            t: jiff::Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_millis(index as i64 * 200),
            width: w as u32,
            height: h as u32,
            rgb,
        };
        let report = pipeline.process(&frame).unwrap();
        let t = index as f64 * 0.2;
        for track in &report.tracks {
            if readings.wants(track.id, &track.bbox, t, (w as u32, h as u32)) {
                let crop = coastwatch_vision::pipeline::crop(&frame, track.id, track.bbox);
                let image = Rgb::new(crop.width as usize, crop.height as usize, crop.rgb.clone());
                let lines = ocr.read(&image.unwrap()).unwrap();
                readings.add(&crop, &track.bbox, t, &lines);
            }
        }
        for track in &report.tracks {
            if let Some(reading) = readings.reading(track.id) {
                read_ids.insert(track.id, reading);
            }
        }
    }
    let votes: Vec<_> = read_ids.values().collect();
    assert_eq!(votes.len(), 2, "{votes:?}");
    assert_eq!(votes[0].text.as_deref(), Some("浙岱渔03318"), "{votes:?}");
    assert!(votes[0].confidence >= 0.5, "{votes:?}");
    assert!((1..=3).contains(&votes[0].reads), "{votes:?}");
    assert_eq!(votes[1].text, None, "{votes:?}");
    assert!(votes[1].reads >= 2, "legible and read again: {votes:?}");
}
