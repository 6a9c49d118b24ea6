//! The small image operations OCR needs on packed RGB: bilinear resizing, a text box cut out
//! and straightened, quarter and half turns, and the models' input tensors.

/// A packed 8-bit RGB image, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Rgb {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width × height × 3` bytes.
    pub data: Vec<u8>,
}

impl Rgb {
    /// An image of `width × height` from its bytes; `None` when they do not fit.
    pub fn new(width: usize, height: usize, data: Vec<u8>) -> Option<Self> {
        (width > 0 && height > 0 && data.len() == width * height * 3).then_some(Self {
            width,
            height,
            data,
        })
    }

    /// The colour at (`x`, `y`) interpolated between its four neighbours, clamped to the edge.
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let x = x.clamp(0.0, (self.width - 1) as f32);
        let y = y.clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let px = |x: usize, y: usize, c: usize| f32::from(self.data[(y * self.width + x) * 3 + c]);
        let mut out = [0.0; 3];
        for (c, value) in out.iter_mut().enumerate() {
            let top = px(x0, y0, c) * (1.0 - fx) + px(x1, y0, c) * fx;
            let bottom = px(x0, y1, c) * (1.0 - fx) + px(x1, y1, c) * fx;
            *value = top * (1.0 - fy) + bottom * fy;
        }
        out
    }

    /// This image resized to `width × height` (bilinear, pixel centres aligned).
    pub fn resized(&self, width: usize, height: usize) -> Rgb {
        let (sx, sy) = (
            self.width as f32 / width as f32,
            self.height as f32 / height as f32,
        );
        let mut data = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                let c = self.sample((x as f32 + 0.5) * sx - 0.5, (y as f32 + 0.5) * sy - 0.5);
                data.extend(c.map(|v| v.round().clamp(0.0, 255.0) as u8));
            }
        }
        Rgb {
            width,
            height,
            data,
        }
    }

    /// The quadrilateral `corners` (top-left, top-right, bottom-right, bottom-left) cut out as
    /// an upright rectangle as long and high as its sides; a box much taller than wide (a
    /// vertical line of text) is turned a quarter to read left to right.
    pub fn cut(&self, corners: [[f32; 2]; 4]) -> Rgb {
        let [tl, tr, br, bl] = corners;
        let d = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let width = d(tl, tr).max(d(bl, br)).round().max(1.0) as usize;
        let height = d(tl, bl).max(d(tr, br)).round().max(1.0) as usize;
        let mut data = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let v = (y as f32 + 0.5) / height as f32;
            for x in 0..width {
                let u = (x as f32 + 0.5) / width as f32;
                // bilinear interpolation of the corners (exact for parallelograms)
                let top = [tl[0] + (tr[0] - tl[0]) * u, tl[1] + (tr[1] - tl[1]) * u];
                let bottom = [bl[0] + (br[0] - bl[0]) * u, bl[1] + (br[1] - bl[1]) * u];
                let p = [
                    top[0] + (bottom[0] - top[0]) * v,
                    top[1] + (bottom[1] - top[1]) * v,
                ];
                data.extend(self.sample(p[0] - 0.5, p[1] - 0.5).map(|c| c.round() as u8));
            }
        }
        let cut = Rgb {
            width,
            height,
            data,
        };
        if height as f32 >= width as f32 * 1.5 {
            cut.quarter_turn()
        } else {
            cut
        }
    }

    /// Turned a quarter anticlockwise (a top-to-bottom line then reads left to right).
    pub fn quarter_turn(&self) -> Rgb {
        let (w, h) = (self.height, self.width);
        let mut data = vec![0; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                // new (x, y) comes from old (h - 1 - y, x)
                let src = (x * self.width + (self.width - 1 - y)) * 3;
                data[(y * w + x) * 3..][..3].copy_from_slice(&self.data[src..src + 3]);
            }
        }
        Rgb {
            width: w,
            height: h,
            data,
        }
    }

    /// Turned upside down.
    pub fn half_turn(&self) -> Rgb {
        let mut data = Vec::with_capacity(self.data.len());
        for px in self.data.chunks_exact(3).rev() {
            data.extend_from_slice(px);
        }
        Rgb {
            width: self.width,
            height: self.height,
            data,
        }
    }

    /// Writes the image into `out` as a planar BGR tensor of `out_w` columns (the models'
    /// channel order), normalised to (x / 255 − 0.5) / 0.5; columns past the image are left as they are
    /// (the caller zeroes the buffer: the models' padding).
    pub fn write_bgr(&self, out: &mut [f32], out_w: usize) {
        let plane = out_w * self.height;
        for y in 0..self.height {
            for x in 0..self.width.min(out_w) {
                let i = (y * self.width + x) * 3;
                for (c, channel) in [2usize, 1, 0].into_iter().enumerate() {
                    out[c * plane + y * out_w + x] =
                        (f32::from(self.data[i + channel]) / 255.0 - 0.5) / 0.5;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: usize, height: usize) -> Rgb {
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                data.extend([(x * 10) as u8, (y * 10) as u8, 7]);
            }
        }
        Rgb::new(width, height, data).unwrap()
    }

    #[test]
    fn turns_and_cuts_keep_the_pixels() {
        let img = gradient(4, 2);
        let q = img.quarter_turn();
        assert_eq!((q.width, q.height), (2, 4));
        // the top-right pixel (x 3, y 0) goes to the top-left
        assert_eq!(&q.data[..3], &[30, 0, 7]);
        assert_eq!(img.half_turn().half_turn(), img);
        let cut = img.cut([[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0]]);
        assert_eq!(cut, img, "the whole image cut out is itself");
        let tall = gradient(2, 6).cut([[0.0, 0.0], [2.0, 0.0], [2.0, 6.0], [0.0, 6.0]]);
        assert_eq!((tall.width, tall.height), (6, 2), "vertical text is turned");
        assert!(Rgb::new(2, 2, vec![0; 11]).is_none());
    }

    #[test]
    fn resizing_keeps_flat_colours_and_size() {
        let flat = Rgb::new(3, 3, [9u8, 99, 199].repeat(9)).unwrap();
        let big = flat.resized(7, 5);
        assert_eq!((big.width, big.height), (7, 5));
        assert!(big.data.chunks(3).all(|p| p == [9, 99, 199]));
    }

    #[test]
    fn tensors_are_bgr_planes_normalised_and_padded() {
        let img = Rgb::new(1, 1, vec![255, 0, 51]).unwrap();
        let mut out = vec![9.0; 3 * 2];
        img.write_bgr(&mut out, 2);
        assert_eq!(out[0], (51.0 / 255.0 - 0.5) / 0.5); // blue plane first
        assert_eq!(out[2], -1.0); // green
        assert_eq!(out[4], 1.0); // red
        assert_eq!(out[1], 9.0, "padding is left to the caller");
    }
}
