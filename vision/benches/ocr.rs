//! OCR accuracy and speed on the project's rendered test set (`tests/support/ocr_set.rs`):
//! hull numbers, plates and names, per condition and text height, whole-string and character
//! accuracy after the markings' normalisation, and milliseconds per crop (detection, angle
//! classification and recognition; the drawing by ffmpeg is not counted).
//!
//!   COASTWATCH_OCR_MODELS=$(scripts/install-ocr-models.sh) \
//!   ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh) cargo bench -p coastwatch-vision --bench ocr
//!
//! `OCR_SAMPLES` (default 24) sets the crops per row.

#[path = "../tests/support/ocr_set.rs"]
mod ocr_set;

use std::time::Duration;

use coastwatch_core::identity::markings::{edit_distance, normalize};
use coastwatch_vision::ocr::{Ocr, OcrConfig};
use ocr_set::{Condition, Sample, render, samples};

/// `sample` with its text `px` high, the crop scaled alike.
fn at_height(sample: &Sample, px: usize) -> Sample {
    let scale = px as f64 / sample.font_px as f64;
    Sample {
        font_px: px,
        // even sizes: ffmpeg's colour source is 4:2:0
        width: ((sample.width as f64 * scale / 2.0).round() as usize * 2).max(16),
        height: ((sample.height as f64 * scale / 2.0).round() as usize * 2).max(16),
        ..sample.clone()
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("OCR_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut ocr = match Ocr::load(OcrConfig::default()) {
        Ok(ocr) => ocr,
        Err(error) => {
            eprintln!("skipping the OCR bench: {error}");
            return;
        }
    };
    println!("| condition | text height | whole-string | characters | ms per crop (mean) | p95 |");
    println!("|---|---|---|---|---|---|");
    for condition in [
        Condition::Clean,
        Condition::Blur,
        Condition::Perspective,
        Condition::LowContrast,
        Condition::Night,
    ] {
        for px in [16, 24, 32, 48] {
            let (mut whole, mut chars, mut total) = (0usize, 0usize, 0usize);
            let mut times: Vec<Duration> = Vec::new();
            for sample in samples(n) {
                let sample = at_height(&sample, px);
                let image = render(&sample, condition);
                let lines = ocr.read(&image).expect("the crop is read");
                times.push(ocr.last_duration());
                let got = normalize(&lines.iter().map(|l| l.text.as_str()).collect::<String>());
                let want = normalize(&sample.text);
                let len = want.chars().count();
                whole += usize::from(got == want);
                chars += len.saturating_sub(edit_distance(&got, &want));
                total += len;
            }
            times.sort();
            let mean = times.iter().sum::<Duration>().as_secs_f64() * 1000.0 / times.len() as f64;
            let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)].as_secs_f64() * 1000.0;
            println!(
                "| {condition:?} | {px} px | {:.1} % | {:.1} % | {mean:.1} | {p95:.1} |",
                whole as f64 * 100.0 / n as f64,
                chars as f64 * 100.0 / total as f64
            );
        }
    }
}
