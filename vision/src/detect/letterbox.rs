//! Fitting a frame region into the model input: resize keeping the aspect ratio, pad, normalise
//! to planar f32; and mapping boxes back.

use crate::frame::Frame;
use crate::geometry::BBox;

/// A rectangle of whole pixels in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (> 0).
    pub w: u32,
    /// Height (> 0).
    pub h: u32,
}

/// The grey that pads the letterbox, in 0..=255 before normalisation (as YOLO trains with).
pub const PAD_VALUE: f32 = 114.0;

/// How pixel values become model input values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normalize {
    /// RGB, each value / 255 (YOLOv5/v8/11, YOLOv10, RT-DETR).
    Unit,
    /// BGR, 0..=255 as is (YOLOX since 0.1.1).
    Bgr255,
    /// BGR, `(v - mean) / std` per channel, mean and std in B, G, R order (NanoDet).
    BgrMeanStd {
        /// Means of B, G, R.
        mean: [f32; 3],
        /// Standard deviations of B, G, R.
        std: [f32; 3],
    },
}

impl Normalize {
    /// NanoDet's training normalisation.
    pub const NANODET: Normalize = Normalize::BgrMeanStd {
        mean: [103.53, 116.28, 123.675],
        std: [57.375, 57.12, 58.395],
    };

    /// For each output plane: the RGB channel it reads, and `scale`, `offset` of `v * scale + offset`.
    fn planes(self) -> [(usize, f32, f32); 3] {
        match self {
            Normalize::Unit => [0, 1, 2].map(|c| (c, 1.0 / 255.0, 0.0)),
            Normalize::Bgr255 => [2, 1, 0].map(|c| (c, 1.0, 0.0)),
            Normalize::BgrMeanStd { mean, std } => {
                [0, 1, 2].map(|p| (2 - p, 1.0 / std[p], -mean[p] / std[p]))
            }
        }
    }
}

/// The placement of a frame region inside a `input_w` × `input_h` model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// The frame region that is fitted.
    pub region: Rect,
    /// Model input width in pixels.
    pub input_w: u32,
    /// Model input height in pixels.
    pub input_h: u32,
    /// Size of the resized region inside the input, in pixels.
    pub fit_w: u32,
    /// See `fit_w`.
    pub fit_h: u32,
    /// Left padding in input pixels (the resized region is centred).
    pub pad_x: u32,
    /// Top padding in input pixels.
    pub pad_y: u32,
}

impl Letterbox {
    /// The largest aspect-keeping fit of `region` into the input, centred.
    pub fn new(region: Rect, input_w: u32, input_h: u32) -> Self {
        let scale = (input_w as f32 / region.w as f32).min(input_h as f32 / region.h as f32);
        let fit_w = ((region.w as f32 * scale).round() as u32).clamp(1, input_w);
        let fit_h = ((region.h as f32 * scale).round() as u32).clamp(1, input_h);
        Self {
            region,
            input_w,
            input_h,
            fit_w,
            fit_h,
            pad_x: (input_w - fit_w) / 2,
            pad_y: (input_h - fit_h) / 2,
        }
    }

    /// Writes the region as a `[3, input_h, input_w]` planar tensor into `out` (resized and replaced).
    /// Downscaling averages over each output pixel's footprint (a triangle filter), so small
    /// objects do not alias away.
    ///
    /// # Panics
    /// If the region lies outside the frame or `frame.rgb` is shorter than `width * height * 3`.
    pub fn fill(&self, frame: &Frame, norm: Normalize, out: &mut Vec<f32>) {
        let r = self.region;
        assert!(
            r.x + r.w <= frame.width && r.y + r.h <= frame.height,
            "region outside the frame"
        );
        let (iw, ih, fw, fh) = (
            self.input_w as usize,
            self.input_h as usize,
            self.fit_w as usize,
            self.fit_h as usize,
        );
        let xs = taps(r.w as usize, fw);
        let ys = taps(r.h as usize, fh);
        // horizontal pass: region rows × fit_w × RGB
        let stride = frame.width as usize * 3;
        let mut rows = vec![0f32; r.h as usize * fw * 3];
        for (y, row) in rows.chunks_exact_mut(fw * 3).enumerate() {
            let src =
                &frame.rgb[(r.y as usize + y) * stride + r.x as usize * 3..][..r.w as usize * 3];
            for (px, tap) in row.chunks_exact_mut(3).zip(&xs) {
                for (k, w) in tap.weights.iter().enumerate() {
                    let s = &src[(tap.start + k) * 3..][..3];
                    px[0] += w * s[0] as f32;
                    px[1] += w * s[1] as f32;
                    px[2] += w * s[2] as f32;
                }
            }
        }
        let planes = norm.planes();
        out.clear();
        out.resize(3 * ih * iw, 0.0);
        for (plane, &(c, scale, offset)) in out.chunks_exact_mut(ih * iw).zip(&planes) {
            plane.fill(PAD_VALUE * scale + offset);
            for (y, tap) in ys.iter().enumerate() {
                let dst = &mut plane[(self.pad_y as usize + y) * iw + self.pad_x as usize..][..fw];
                for (x, d) in dst.iter_mut().enumerate() {
                    let v: f32 = tap
                        .weights
                        .iter()
                        .enumerate()
                        .map(|(k, w)| w * rows[((tap.start + k) * fw + x) * 3 + c])
                        .sum();
                    *d = v * scale + offset;
                }
            }
        }
    }

    /// A box in model input pixels mapped back to frame pixels, clipped to the region.
    pub fn to_frame(&self, b: BBox) -> BBox {
        let sx = self.region.w as f32 / self.fit_w as f32;
        let sy = self.region.h as f32 / self.fit_h as f32;
        let map = |v: f32, pad: u32, s: f32, origin: u32| (v - pad as f32) * s + origin as f32;
        let r = self.region;
        let x1 = map(b.x, self.pad_x, sx, r.x).clamp(r.x as f32, (r.x + r.w) as f32);
        let y1 = map(b.y, self.pad_y, sy, r.y).clamp(r.y as f32, (r.y + r.h) as f32);
        let x2 = map(b.x2(), self.pad_x, sx, r.x).clamp(r.x as f32, (r.x + r.w) as f32);
        let y2 = map(b.y2(), self.pad_y, sy, r.y).clamp(r.y as f32, (r.y + r.h) as f32);
        BBox::from_corners(x1, y1, x2, y2)
    }
}

/// The source pixels and weights that make one output pixel.
struct Tap {
    start: usize,
    weights: Vec<f32>,
}

/// Triangle-filter taps for resampling `n_in` pixels to `n_out` (bilinear when enlarging, an
/// area-like average when shrinking).
fn taps(n_in: usize, n_out: usize) -> Vec<Tap> {
    let scale = n_in as f32 / n_out as f32;
    let support = scale.max(1.0);
    (0..n_out)
        .map(|o| {
            let centre = (o as f32 + 0.5) * scale - 0.5;
            let lo = ((centre - support).floor() as isize + 1).max(0) as usize;
            let hi = ((centre + support).ceil() as isize - 1)
                .min(n_in as isize - 1)
                .max(0) as usize;
            let lo = lo.min(hi);
            let mut weights: Vec<f32> = (lo..=hi)
                .map(|i| (1.0 - (i as f32 - centre).abs() / support).max(0.0))
                .collect();
            let sum: f32 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            } else {
                weights
                    .iter_mut()
                    .for_each(|w| *w = 1.0 / (hi - lo + 1) as f32);
            }
            Tap { start: lo, weights }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Frame {
        let mut rgb = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                rgb.extend_from_slice(&f(x, y));
            }
        }
        Frame {
            index: 0,
            t: jiff::Timestamp::UNIX_EPOCH,
            width,
            height,
            rgb,
        }
    }

    fn full(f: &Frame) -> Rect {
        Rect {
            x: 0,
            y: 0,
            w: f.width,
            h: f.height,
        }
    }

    #[test]
    fn wide_frame_is_padded_top_and_bottom() {
        let f = frame(200, 100, |_, _| [255, 0, 51]);
        let lb = Letterbox::new(full(&f), 100, 100);
        assert_eq!((lb.fit_w, lb.fit_h, lb.pad_x, lb.pad_y), (100, 50, 0, 25));
        let mut t = Vec::new();
        lb.fill(&f, Normalize::Unit, &mut t);
        assert_eq!(t.len(), 3 * 100 * 100);
        let at = |c: usize, y: usize, x: usize| t[c * 10_000 + y * 100 + x];
        assert!((at(0, 50, 50) - 1.0).abs() < 1e-6);
        assert!((at(2, 50, 50) - 0.2).abs() < 1e-6);
        assert!((at(1, 10, 50) - 114.0 / 255.0).abs() < 1e-6, "padding");
        assert!((at(0, 25, 0) - 1.0).abs() < 1e-6 && (at(0, 24, 0) - 114.0 / 255.0).abs() < 1e-6);
        // BGR mean/std: plane 0 is blue
        lb.fill(&f, Normalize::NANODET, &mut t);
        assert!((t[50 * 100 + 50] - (51.0 - 103.53) / 57.375).abs() < 1e-5);
    }

    #[test]
    fn boxes_map_back_to_the_frame() {
        let f = frame(200, 100, |_, _| [0, 0, 0]);
        let lb = Letterbox::new(full(&f), 100, 100);
        let b = lb.to_frame(BBox {
            x: 10.0,
            y: 35.0,
            w: 20.0,
            h: 10.0,
        });
        assert_eq!(
            b,
            BBox {
                x: 20.0,
                y: 20.0,
                w: 40.0,
                h: 20.0
            }
        );
        // a region: offsets are added back, and boxes are clipped to the region
        let region = Rect {
            x: 50,
            y: 10,
            w: 40,
            h: 40,
        };
        let lb = Letterbox::new(region, 80, 80);
        let b = lb.to_frame(BBox {
            x: -4.0,
            y: 8.0,
            w: 24.0,
            h: 100.0,
        });
        assert_eq!(
            b,
            BBox {
                x: 50.0,
                y: 14.0,
                w: 10.0,
                h: 36.0
            }
        );
    }

    #[test]
    fn a_bright_square_lands_where_the_mapping_says() {
        // white 40×40 square at (300, 100) in a 640×480 black frame
        let f = frame(640, 480, |x, y| {
            if (300..340).contains(&x) && (100..140).contains(&y) {
                [255; 3]
            } else {
                [0; 3]
            }
        });
        let lb = Letterbox::new(full(&f), 320, 320);
        assert_eq!((lb.fit_w, lb.fit_h, lb.pad_y), (320, 240, 40));
        let mut t = Vec::new();
        lb.fill(&f, Normalize::Unit, &mut t);
        // input (150..170, 90..110) holds the square: centre white, outside black
        assert!(t[100 * 320 + 160] > 0.99);
        assert!(t[100 * 320 + 145] < 0.01 && t[100 * 320 + 175] < 0.01 && t[85 * 320 + 160] < 0.01);
        let back = lb.to_frame(BBox {
            x: 150.0,
            y: 90.0,
            w: 20.0,
            h: 20.0,
        });
        assert_eq!(
            back,
            BBox {
                x: 300.0,
                y: 100.0,
                w: 40.0,
                h: 40.0
            }
        );
    }

    #[test]
    fn shrinking_averages_thin_lines_instead_of_skipping_them() {
        // one-pixel vertical lines every 4 pixels: a 4× shrink must keep a quarter of their light
        let f = frame(400, 4, |x, _| if x % 4 == 0 { [255; 3] } else { [0; 3] });
        let lb = Letterbox::new(full(&f), 100, 100);
        let mut t = Vec::new();
        lb.fill(&f, Normalize::Unit, &mut t);
        let row = &t[lb.pad_y as usize * 100..][..100];
        for v in &row[2..98] {
            assert!((v - 0.25).abs() < 0.05, "{v}");
        }
    }
}
