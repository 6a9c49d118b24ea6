//! The OCR test set: hull numbers, number plates and vessel names, drawn by the `ffmpeg`
//! program (drawtext: FreeType) with Debian's fonts on crops coloured like hulls and plates,
//! clean or degraded. Deterministic: the same call draws the same pixels.

use std::io::Write;
use std::process::{Command, Stdio};

use coastwatch_vision::ocr::Rgb;

/// WenQuanYi Zen Hei (Debian `fonts-wqy-zenhei`): Chinese and Latin.
pub const CJK_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";
/// DejaVu Sans Bold (Debian `fonts-dejavu-core`): the Latin names painted on hulls.
pub const LATIN_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

/// What a crop shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The text, as it should be read.
    pub text: String,
    /// The font file.
    pub font: &'static str,
    /// Background and text colours (0xRRGGBB).
    pub colours: (u32, u32),
    /// Crop size (pixels).
    pub width: usize,
    /// Crop height (pixels).
    pub height: usize,
    /// Text height (pixels).
    pub font_px: usize,
}

/// How a crop is degraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// As drawn.
    Clean,
    /// Out of focus (a 2-pixel box blur).
    Blur,
    /// Seen at an angle (the far side 15 % shorter).
    Perspective,
    /// Faded paint, haze: contrast at a third.
    LowContrast,
    /// Dark, with sensor noise.
    Night,
}

impl Condition {
    fn filter(self, w: usize, h: usize) -> String {
        match self {
            Self::Clean => String::new(),
            Self::Blur => ",boxblur=2:1".into(),
            Self::Perspective => {
                let d = h as f64 * 0.15;
                format!(
                    ",perspective=x0=0:y0={d}:x1={w}:y1=0:x2=0:y2={}:x3={w}:y3={h}:sense=destination",
                    h as f64 - d
                )
            }
            Self::LowContrast => ",eq=contrast=0.33".into(),
            Self::Night => {
                ",eq=brightness=-0.2:contrast=0.5,noise=alls=24:allf=u:all_seed=7".into()
            }
        }
    }
}

const PROVINCES: [&str; 6] = ["浙", "闽", "粤", "苏", "鲁", "沪"];
const PORTS: [&str; 8] = ["岱", "象", "舟", "普", "嵊", "温", "台", "甬"];
const PLATE_LETTERS: [char; 8] = ['A', 'B', 'C', 'D', 'F', 'G', 'H', 'J'];
const NAMES: [&str; 8] = [
    "ZHE XIANG YU",
    "HAI XING",
    "MIN SHI YU",
    "XIN HAI",
    "YONG AN",
    "ZHOU SHAN",
    "DONG FANG",
    "HUA YANG",
];

/// A small deterministic generator (SplitMix64).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// `n` samples: hull numbers (`浙岱渔03318`), plates (`浙B12345`, new-energy `浙BD12345`) and
/// Latin hull names (`ZHE XIANG YU 2108`), in turn; text 40–56 px high.
pub fn samples(n: usize) -> Vec<Sample> {
    let mut mix = Mix(20_261_206);
    (0..n)
        .map(|i| match i % 4 {
            0 => Sample {
                text: format!(
                    "{}{}渔{}",
                    PROVINCES[mix.below(PROVINCES.len())],
                    PORTS[mix.below(PORTS.len())],
                    mix.digits(5)
                ),
                font: CJK_FONT,
                colours: [
                    (0x1F3A68, 0xF2F2F2),
                    (0xF0F0EA, 0x202020),
                    (0x8E1B1B, 0xF5F5F5),
                ][mix.below(3)],
                width: 520,
                height: 120,
                font_px: 52,
            },
            1 => Sample {
                text: format!(
                    "浙{}{}",
                    PLATE_LETTERS[mix.below(PLATE_LETTERS.len())],
                    mix.digits(5)
                ),
                font: CJK_FONT,
                colours: (0x1E4FA8, 0xFFFFFF), // blue plate, white characters
                width: 360,
                height: 110,
                font_px: 56,
            },
            2 => Sample {
                text: format!("浙B{}{}", ["D", "F"][mix.below(2)], mix.digits(5)),
                font: CJK_FONT,
                colours: (0x7FD08A, 0x111111), // new-energy plate: green, black characters
                width: 400,
                height: 110,
                font_px: 52,
            },
            _ => Sample {
                text: format!(
                    "{} {}",
                    NAMES[mix.below(NAMES.len())],
                    mix.below(9000) + 100
                ),
                font: LATIN_FONT,
                colours: [(0x1F3A68, 0xF2F2F2), (0xF0F0EA, 0x202020)][mix.below(2)],
                width: 560,
                height: 100,
                font_px: 40,
            },
        })
        .collect()
}

/// The crop of `sample` under `condition`, drawn by ffmpeg.
pub fn render(sample: &Sample, condition: Condition) -> Rgb {
    let dir = tempfile::tempdir().unwrap();
    let text_file = dir.path().join("text.txt");
    std::fs::File::create(&text_file)
        .unwrap()
        .write_all(sample.text.as_bytes())
        .unwrap();
    let (w, h) = (sample.width, sample.height);
    let filter = format!(
        "drawtext=fontfile={}:textfile={}:fontcolor=0x{:06X}:fontsize={}:x=(w-text_w)/2:y=(h-text_h)/2{}",
        sample.font,
        text_file.display(),
        sample.colours.1,
        sample.font_px,
        condition.filter(w, h)
    );
    let background = format!("color=c=0x{:06X}:s={w}x{h}", sample.colours.0);
    let output = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            &background,
        ])
        .args([
            "-vf",
            &filter,
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Rgb::new(w, h, output.stdout).expect("ffmpeg drew the crop at its size")
}
