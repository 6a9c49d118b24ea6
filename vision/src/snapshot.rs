//! Evidence pictures of a camera alert, as JPEG: the frame with the object's box drawn, and
//! the crop of the object.
//!
//! [`evidence`] never panics and always gives two JPEGs, whatever the box (outside the frame,
//! empty, not a number) or the frame (short buffer, no pixels). Scaling is a box filter:
//! each output pixel is the mean of the source pixels it covers (nearest when enlarging).

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::frame::Frame;
use crate::geometry::BBox;

/// Widest evidence frame (px); a wider frame is scaled down, keeping its aspect.
const FRAME_MAX_WIDTH_PX: u32 = 1280;
/// Tallest evidence frame (px), the tallest frame a source gives; a taller one (portrait) is
/// scaled down too, keeping its aspect.
const FRAME_MAX_HEIGHT_PX: u32 = 2160;
/// JPEG quality of the frame (1–100).
const FRAME_QUALITY: u8 = 80;
/// Chroma sampling of the frame: 4:2:0, half the work.
const FRAME_SAMPLING: SamplingFactor = SamplingFactor::R_4_2_0;
/// JPEG quality of the crop (1–100).
const CROP_QUALITY: u8 = 90;
/// Chroma sampling of the crop: 4:4:4, every detail of the object.
const CROP_SAMPLING: SamplingFactor = SamplingFactor::R_4_4_4;
/// Qualities tried in turn, for both pictures, while they exceed the size limit.
const FALLBACK_QUALITIES: [u8; 3] = [50, 25, 10];
/// Margin of the crop around the box, on each side, as a fraction of the box's width (left
/// and right) and height (top and bottom).
const CROP_MARGIN: f64 = 0.2;
/// Side of the crop taken from the frame's centre when the box misses the frame (px).
const CROP_FALLBACK_PX: u32 = 64;
/// Shortest side of a crop (px): a smaller crop is enlarged to it.
const CROP_MIN_SIDE_PX: u32 = 64;
/// Longest side of a crop (px): a larger crop is reduced to it, and an enlarged one stops there.
const CROP_MAX_SIDE_PX: u32 = 1280;
/// Colour of the drawn box: pure red shows on both sea and sky.
const BOX_RGB: [u8; 3] = [255, 0, 0];
/// Side of the black pictures given for a frame without pixels (px).
const BLANK_SIDE_PX: u32 = 64;

/// Most bytes the two pictures take together: 4 MiB, what the store takes
/// (`coastwatch_store::MAX_SNAPSHOT_BYTES`).
pub const MAX_EVIDENCE_BYTES: usize = 4 * 1024 * 1024;

/// The two evidence pictures of an alert, JPEG-encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The whole frame, at most 1280 px wide (and 2160 px tall), with the object's box drawn
    /// in red; quality 80, 4:2:0 chroma.
    pub frame_jpeg: Vec<u8>,
    /// The box with a 20 % margin on each side, clipped to the frame, enlarged so that its
    /// shorter side is at least 64 px (reduced so that its longer side is at most 1280 px),
    /// no box drawn; quality 90, full chroma.
    pub crop_jpeg: Vec<u8>,
}

impl Evidence {
    /// Bytes of both pictures.
    pub fn len_bytes(&self) -> usize {
        self.frame_jpeg.len() + self.crop_jpeg.len()
    }

    /// Black 64×64 pictures: for a frame without pixels, or when nothing else fits.
    fn blank() -> Self {
        let blank = Rgb::black(BLANK_SIDE_PX, BLANK_SIDE_PX);
        Self {
            frame_jpeg: encode(&blank, FRAME_QUALITY, FRAME_SAMPLING),
            crop_jpeg: encode(&blank, CROP_QUALITY, CROP_SAMPLING),
        }
    }
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evidence")
            .field("frame_jpeg_bytes", &self.frame_jpeg.len())
            .field("crop_jpeg_bytes", &self.crop_jpeg.len())
            .finish()
    }
}

/// The evidence pictures of the object at `bbox` (frame pixels) in `frame`.
///
/// A box partly outside the frame is clipped to it. A box with nothing inside the frame (wholly
/// outside, zero width or height, a NaN or infinite coordinate) draws nothing, and its crop is
/// the frame's centre 64×64 (the whole frame when smaller, then enlarged). Only the frame's
/// whole rows are read: a buffer shorter than `width * height * 3` gives a shorter picture,
/// and a frame without a single row gives black 64×64 pictures.
///
/// The pictures take at most [`MAX_EVIDENCE_BYTES`] together: beyond it (pure noise in a
/// tall frame comes near) both are encoded again at qualities 50, 25 and 10, and should even
/// that not fit, black 64×64 pictures are given.
pub fn evidence(frame: &Frame, bbox: BBox) -> Evidence {
    evidence_within(frame, bbox, MAX_EVIDENCE_BYTES)
}

/// [`evidence`] with at most `max_bytes` (black 64×64 pictures when nothing else fits).
fn evidence_within(frame: &Frame, bbox: BBox, max_bytes: usize) -> Evidence {
    let Some(source) = Source::of(frame) else {
        return Evidence::blank();
    };
    let inside = source.clip(bbox);
    let picture = source.frame_picture(inside);
    let crop = source.crop_picture(bbox, inside);

    let qualities = std::iter::once((FRAME_QUALITY, CROP_QUALITY))
        .chain(FALLBACK_QUALITIES.into_iter().map(|q| (q, q)));
    for (frame_quality, crop_quality) in qualities {
        let evidence = Evidence {
            frame_jpeg: encode(&picture, frame_quality, FRAME_SAMPLING),
            crop_jpeg: encode(&crop, crop_quality, CROP_SAMPLING),
        };
        if evidence.len_bytes() <= max_bytes {
            return evidence;
        }
    }
    Evidence::blank()
}

/// `width` × `height` times `scale`, rounded, at least 1 and at most the caps (px).
fn scaled(width: u32, height: u32, scale: f64, max_w: u32, max_h: u32) -> (u32, u32) {
    let side = |len: u32, max: u32| {
        let v = (f64::from(len) * scale).round();
        // `as` saturates (and gives 0 for NaN); the clamp keeps the result in 1..=max
        (v as u32).clamp(1, max)
    };
    (side(width, max_w), side(height, max_h))
}

/// A rectangle of whole pixels, non-empty, inside the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Region {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

/// The frame's readable pixels: whole rows only, at least one, at least one pixel wide.
struct Source<'a> {
    width: u32,
    height: u32,
    rgb: &'a [u8],
}

impl<'a> Source<'a> {
    fn of(frame: &'a Frame) -> Option<Self> {
        let stride = usize::try_from(frame.width).ok()?.checked_mul(3)?;
        if stride == 0 {
            return None;
        }
        let rows = (frame.rgb.len() / stride).min(usize::try_from(frame.height).ok()?);
        if rows == 0 {
            return None;
        }
        Some(Self {
            width: frame.width,
            height: u32::try_from(rows).ok()?,
            rgb: &frame.rgb[..rows * stride],
        })
    }

    /// The whole frame, scaled to fit 1280 × 2160, with the part `inside` of the box drawn.
    fn frame_picture(&self, inside: Option<[f64; 4]>) -> Rgb {
        let whole = Region {
            x: 0,
            y: 0,
            w: self.width,
            h: self.height,
        };
        let scale = 1f64
            .min(f64::from(FRAME_MAX_WIDTH_PX) / f64::from(self.width))
            .min(f64::from(FRAME_MAX_HEIGHT_PX) / f64::from(self.height));
        let (w, h) = scaled(
            self.width,
            self.height,
            scale,
            FRAME_MAX_WIDTH_PX,
            FRAME_MAX_HEIGHT_PX,
        );
        let mut picture = self.resample(whole, w, h);
        if let Some([x1, y1, x2, y2]) = inside {
            let sx = f64::from(w) / f64::from(self.width);
            let sy = f64::from(h) / f64::from(self.height);
            picture.outline([x1 * sx, y1 * sy, x2 * sx, y2 * sy]);
        }
        picture
    }

    /// The box with its margin (the frame's centre when nothing of it is `inside`), scaled
    /// to a shorter side of at least 64 px and a longer one of at most 1280 px.
    fn crop_picture(&self, bbox: BBox, inside: Option<[f64; 4]>) -> Rgb {
        let region = match inside {
            Some(_) => self.margin_region(bbox),
            None => self.centre_region(),
        };
        let short = region.w.min(region.h);
        let long = region.w.max(region.h);
        let scale = (f64::from(CROP_MIN_SIDE_PX) / f64::from(short))
            .max(1.0)
            .min(f64::from(CROP_MAX_SIDE_PX) / f64::from(long));
        let (w, h) = scaled(
            region.w,
            region.h,
            scale,
            CROP_MAX_SIDE_PX,
            CROP_MAX_SIDE_PX,
        );
        self.resample(region, w, h)
    }

    /// The part of `bbox` inside the frame as `[x1, y1, x2, y2]` (px), or `None` when
    /// nothing of it is (or a coordinate is not a finite number).
    fn clip(&self, bbox: BBox) -> Option<[f64; 4]> {
        let [x, y, w, h] = [bbox.x, bbox.y, bbox.w, bbox.h].map(f64::from);
        if ![x, y, w, h].iter().all(|v| v.is_finite()) {
            return None;
        }
        let x1 = x.max(0.0);
        let y1 = y.max(0.0);
        let x2 = (x + w).min(f64::from(self.width));
        let y2 = (y + h).min(f64::from(self.height));
        (x2 > x1 && y2 > y1).then_some([x1, y1, x2, y2])
    }

    /// `bbox` with its margin, clipped and rounded out to whole pixels. Only for a box that
    /// [`clip`](Self::clip) finds inside, so the region is not empty.
    fn margin_region(&self, bbox: BBox) -> Region {
        let [x, y, w, h] = [bbox.x, bbox.y, bbox.w, bbox.h].map(f64::from);
        let (mx, my) = (w * CROP_MARGIN, h * CROP_MARGIN);
        let (width, height) = (f64::from(self.width), f64::from(self.height));
        let x1 = (x - mx).clamp(0.0, width).floor();
        let y1 = (y - my).clamp(0.0, height).floor();
        let x2 = (x + w + mx).clamp(0.0, width).ceil();
        let y2 = (y + h + my).clamp(0.0, height).ceil();
        // whole numbers within 0..=side, so the casts are exact; at least one pixel each way
        let x = (x1 as u32).min(self.width - 1);
        let y = (y1 as u32).min(self.height - 1);
        Region {
            x,
            y,
            w: (x2 as u32).clamp(x + 1, self.width) - x,
            h: (y2 as u32).clamp(y + 1, self.height) - y,
        }
    }

    /// The frame's centre 64×64, or as much of it as the frame has.
    fn centre_region(&self) -> Region {
        let w = self.width.min(CROP_FALLBACK_PX);
        let h = self.height.min(CROP_FALLBACK_PX);
        Region {
            x: (self.width - w) / 2,
            y: (self.height - h) / 2,
            w,
            h,
        }
    }

    /// `region` scaled to `out_w` × `out_h` (px, at least 1 each) with a box filter.
    fn resample(&self, region: Region, out_w: u32, out_h: u32) -> Rgb {
        let stride = self.width as usize * 3;
        let (x0, w) = (region.x as usize, region.w as usize);
        let mut data = Vec::with_capacity(out_w as usize * out_h as usize * 3);
        if (region.w, region.h) == (out_w, out_h) {
            for y in region.y as usize..region.y as usize + region.h as usize {
                let row = y * stride;
                data.extend_from_slice(&self.rgb[row + x0 * 3..row + (x0 + w) * 3]);
            }
            return Rgb {
                width: out_w,
                height: out_h,
                data,
            };
        }
        let cols = spans(region.x, region.w, out_w);
        let rows = spans(region.y, region.h, out_h);
        for &(ya, yb) in &rows {
            for &(xa, xb) in &cols {
                let mut sum = [0u64; 3];
                for y in ya..yb {
                    let row = &self.rgb[y * stride + xa * 3..y * stride + xb * 3];
                    for px in row.chunks_exact(3) {
                        sum[0] += u64::from(px[0]);
                        sum[1] += u64::from(px[1]);
                        sum[2] += u64::from(px[2]);
                    }
                }
                let n = ((yb - ya) * (xb - xa)) as u64;
                data.extend(sum.map(|s| ((s + n / 2) / n) as u8));
            }
        }
        Rgb {
            width: out_w,
            height: out_h,
            data,
        }
    }
}

/// The source pixels `[start, end)` each of `n` output pixels covers, for `len` source
/// pixels from `offset`: at least one each, together all of them.
fn spans(offset: u32, len: u32, n: u32) -> Vec<(usize, usize)> {
    let (offset, len, n) = (u64::from(offset), u64::from(len), u64::from(n));
    (0..n)
        .map(|i| {
            let start = offset + i * len / n;
            let end = (offset + (i + 1) * len / n).max(start + 1);
            (start as usize, end as usize)
        })
        .collect()
}

/// A picture being made: packed 8-bit RGB, row-major.
struct Rgb {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl Rgb {
    fn black(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            data: vec![0; width as usize * height as usize * 3],
        }
    }

    /// Draws the rectangle `[x1, y1, x2, y2]` (px, inside the picture) in [`BOX_RGB`], 2 px
    /// thick: each line covers its edge pixel and the neighbour that makes an even-aligned
    /// pair, so that it fills whole 2×2 blocks of 4:2:0 chroma and stays pure red.
    fn outline(&mut self, [x1, y1, x2, y2]: [f64; 4]) {
        // edge pixels: the first and last column and row the box covers
        let left = x1.floor() as i64;
        let top = y1.floor() as i64;
        let right = (x2.ceil() as i64 - 1).max(left);
        let bottom = (y2.ceil() as i64 - 1).max(top);
        let pair = |edge: i64| (edge & !1, (edge & !1) + 1);
        let [(l1, l2), (r1, r2), (t1, t2), (b1, b2)] = [left, right, top, bottom].map(pair);
        self.fill(l1, t1, r2, t2);
        self.fill(l1, b1, r2, b2);
        self.fill(l1, t1, l2, b2);
        self.fill(r1, t1, r2, b2);
    }

    /// Paints the pixels from (`x1`, `y1`) to (`x2`, `y2`) inclusive, clipped to the picture.
    fn fill(&mut self, x1: i64, y1: i64, x2: i64, y2: i64) {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (x1, x2) = (x1.clamp(0, w), (x2 + 1).clamp(0, w));
        let (y1, y2) = (y1.clamp(0, h), (y2 + 1).clamp(0, h));
        for y in y1..y2 {
            let row = (y * w) as usize * 3;
            for px in self.data[row + x1 as usize * 3..row + x2 as usize * 3].chunks_exact_mut(3) {
                px.copy_from_slice(&BOX_RGB);
            }
        }
    }
}

/// The picture as a baseline JPEG. Empty only if the encoder refuses it, which the sizes made
/// here (1 to 2160 px a side, whole buffers) rule out.
fn encode(picture: &Rgb, quality: u8, sampling: SamplingFactor) -> Vec<u8> {
    let mut jpeg = Vec::new();
    let (Ok(width), Ok(height)) = (u16::try_from(picture.width), u16::try_from(picture.height))
    else {
        tracing::error!(picture.width, picture.height, "evidence picture too large");
        return jpeg;
    };
    let mut encoder = Encoder::new(&mut jpeg, quality);
    encoder.set_sampling_factor(sampling);
    if let Err(error) = encoder.encode(&picture.data, width, height, ColorType::Rgb) {
        tracing::error!(%error, "evidence picture not encoded");
        jpeg.clear();
    }
    jpeg
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    const GREY: [u8; 3] = [128, 128, 128];
    const BLUE: [u8; 3] = [30, 90, 200];

    /// A grey frame with a blue rectangle at (`x`, `y`), `w` × `h` px.
    fn scene(width: u32, height: u32, [x, y, w, h]: [u32; 4]) -> Frame {
        let mut rgb = GREY.repeat(width as usize * height as usize);
        for row in y..y + h {
            for col in x..x + w {
                let i = (row as usize * width as usize + col as usize) * 3;
                rgb[i..i + 3].copy_from_slice(&BLUE);
            }
        }
        Frame {
            index: 0,
            t: Timestamp::UNIX_EPOCH,
            width,
            height,
            rgb,
        }
    }

    fn bbox(x: f32, y: f32, w: f32, h: f32) -> BBox {
        BBox { x, y, w, h }
    }

    /// A decoded JPEG.
    struct Decoded {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    }

    impl Decoded {
        fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
        }

        fn size(&self) -> (u32, u32) {
            (self.width, self.height)
        }

        /// Mean colour of the pixels in `x1..x2` × `y1..y2`.
        fn mean(&self, [x1, y1, x2, y2]: [u32; 4]) -> [f64; 3] {
            let mut sum = [0f64; 3];
            for y in y1..y2 {
                for x in x1..x2 {
                    for (s, v) in sum.iter_mut().zip(self.pixel(x, y)) {
                        *s += f64::from(v);
                    }
                }
            }
            sum.map(|s| s / f64::from((x2 - x1) * (y2 - y1)))
        }

        fn red_pixels(&self) -> usize {
            self.rgb.chunks_exact(3).filter(|p| reddish(p)).count()
        }
    }

    fn decode(jpeg: &[u8]) -> Decoded {
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "JPEG SOI marker");
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        let rgb = decoder.decode().expect("a valid JPEG");
        let info = decoder.info().expect("header read");
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
        Decoded {
            width: u32::from(info.width),
            height: u32::from(info.height),
            rgb,
        }
    }

    fn decode_both(evidence: &Evidence) -> (Decoded, Decoded) {
        (decode(&evidence.frame_jpeg), decode(&evidence.crop_jpeg))
    }

    /// Red enough to be the drawn box after JPEG (a corner rings the most).
    fn reddish(p: &[u8]) -> bool {
        p[0] >= 150 && p[1] <= 80 && p[2] <= 80
    }

    fn near(p: [u8; 3], want: [u8; 3], tolerance: u8) -> bool {
        p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= tolerance)
    }

    #[test]
    fn the_box_is_drawn_in_red_around_an_untouched_object() {
        let frame = scene(1280, 720, [400, 300, 200, 120]);
        let (picture, crop) = decode_both(&evidence(&frame, bbox(400.0, 300.0, 200.0, 120.0)));
        assert_eq!(picture.size(), (1280, 720), "not scaled");
        for (x, y) in [
            (400, 360),
            (599, 360),
            (500, 300),
            (500, 419),
            (400, 300),
            (599, 419),
        ] {
            let p = picture.pixel(x, y);
            assert!(reddish(&p), "box edge at ({x}, {y}) is {p:?}");
        }
        for (x, y) in [(500, 360), (420, 320), (580, 400)] {
            let p = picture.pixel(x, y);
            assert!(near(p, BLUE, 6), "inside the box at ({x}, {y}): {p:?}");
        }
        for (x, y) in [(100, 100), (1200, 700), (380, 360), (500, 280)] {
            let p = picture.pixel(x, y);
            assert!(near(p, GREY, 6), "outside the box at ({x}, {y}): {p:?}");
        }
        assert_eq!(crop.red_pixels(), 0, "no box drawn on the crop");
    }

    #[test]
    fn the_crop_is_the_object_with_its_margin() {
        let frame = scene(640, 480, [200, 150, 100, 60]);
        let (_, crop) = decode_both(&evidence(&frame, bbox(200.0, 150.0, 100.0, 60.0)));
        // 20 px left and right, 12 px above and below
        assert_eq!(crop.size(), (140, 84));
        let object = crop.mean([22, 14, 118, 70]);
        for (got, want) in object.iter().zip(BLUE) {
            assert!((got - f64::from(want)).abs() < 3.0, "object {object:?}");
        }
        // the whole crop: the object's share of the area in blue, the rest grey
        let share = (100.0 * 60.0) / (140.0 * 84.0);
        let all = crop.mean([0, 0, 140, 84]);
        for ((got, blue), grey) in all.iter().zip(BLUE).zip(GREY) {
            let want = share * f64::from(blue) + (1.0 - share) * f64::from(grey);
            assert!((got - want).abs() < 3.0, "crop mean {all:?}");
        }
    }

    #[test]
    fn frames_are_scaled_to_1280_wide_and_crops_to_64_at_least() {
        let cases = [
            // frame size, box, frame picture size, crop size
            ((1920, 1080), [900, 500, 100, 50], (1280, 720), (140, 70)),
            ((3840, 2160), [0, 0, 3840, 2160], (1280, 720), (1280, 720)),
            ((640, 480), [10, 10, 10, 5], (640, 480), (128, 64)),
            ((1080, 3840), [500, 1900, 50, 50], (608, 2160), (70, 70)),
            // 1250..1290 × 680..720 clipped: 30 × 40, enlarged 64/30 times
            ((1280, 720), [1270, 700, 100, 100], (1280, 720), (64, 85)),
            ((1280, 720), [-50, -50, 100, 100], (1280, 720), (70, 70)),
            ((100_000, 1), [0, 0, 100_000, 1], (1280, 1), (1280, 1)),
        ];
        for (size, [x, y, w, h], picture_size, crop_size) in cases {
            let frame = scene(size.0, size.1, [0, 0, 0, 0]);
            let b = bbox(x as f32, y as f32, w as f32, h as f32);
            let (picture, crop) = decode_both(&evidence(&frame, b));
            assert_eq!(picture.size(), picture_size, "{size:?} {b:?}");
            assert_eq!(crop.size(), crop_size, "{size:?} {b:?}");
        }
    }

    #[test]
    fn a_scaled_frame_keeps_the_box_on_the_object() {
        let frame = scene(1920, 1080, [600, 450, 300, 180]);
        let (picture, _) = decode_both(&evidence(&frame, bbox(600.0, 450.0, 300.0, 180.0)));
        assert_eq!(picture.size(), (1280, 720));
        // the object is at 400..600 × 300..420 once scaled by 2/3
        assert!(
            reddish(&picture.pixel(400, 360)),
            "{:?}",
            picture.pixel(400, 360)
        );
        assert!(
            reddish(&picture.pixel(500, 419)),
            "{:?}",
            picture.pixel(500, 419)
        );
        assert!(near(picture.pixel(500, 360), BLUE, 6));
    }

    #[test]
    fn boxes_that_miss_the_frame_draw_nothing_and_crop_its_centre() {
        let frame = scene(640, 480, [288, 208, 64, 64]);
        let nan = f32::NAN;
        let inf = f32::INFINITY;
        let missing = [
            bbox(300.0, 200.0, 0.0, 0.0),
            bbox(300.0, 200.0, 50.0, 0.0),
            bbox(300.0, 200.0, -50.0, 40.0),
            bbox(nan, 200.0, 50.0, 40.0),
            bbox(300.0, nan, 50.0, 40.0),
            bbox(300.0, 200.0, nan, 40.0),
            bbox(300.0, 200.0, 50.0, nan),
            bbox(-inf, 0.0, inf, 10.0),
            bbox(inf, inf, 1.0, 1.0),
            bbox(700.0, 100.0, 50.0, 50.0),
            bbox(-100.0, -100.0, 50.0, 50.0),
            bbox(1e30, 1e30, 1e30, 1e30),
            bbox(f32::MAX, f32::MAX, f32::MAX, f32::MAX),
            bbox(-f32::MAX, -f32::MAX, 10.0, 10.0),
        ];
        for b in missing {
            let (picture, crop) = decode_both(&evidence(&frame, b));
            assert_eq!(picture.size(), (640, 480), "{b:?}");
            assert_eq!(picture.red_pixels(), 0, "{b:?} drew a box");
            assert_eq!(crop.size(), (64, 64), "{b:?}");
            assert!(near(crop.pixel(32, 32), BLUE, 6), "{b:?}: the centre");
        }
    }

    #[test]
    fn huge_boxes_are_clipped_to_the_frame() {
        let frame = scene(640, 480, [0, 0, 0, 0]);
        for b in [
            bbox(-1e30, -1e30, 1e31, 1e31),
            bbox(-1e38, -1e38, f32::MAX, f32::MAX),
            bbox(0.0, 0.0, f32::MAX, f32::MAX),
        ] {
            let (picture, crop) = decode_both(&evidence(&frame, b));
            assert_eq!(crop.size(), (640, 480), "{b:?}: the whole frame");
            assert!(reddish(&picture.pixel(0, 240)), "{b:?}: the frame's edge");
            assert!(near(picture.pixel(320, 240), GREY, 6), "{b:?}");
        }
        // a box of a fraction of a pixel still has a pixel
        let (_, crop) = decode_both(&evidence(&frame, bbox(10.2, 10.2, 0.3, 0.3)));
        assert_eq!(crop.size(), (64, 64));
    }

    #[test]
    fn odd_frames_give_pictures_too() {
        let frame = |width, height, len| Frame {
            index: 0,
            t: Timestamp::UNIX_EPOCH,
            width,
            height,
            rgb: vec![200; len],
        };
        let cases = [
            // frame, picture size, crop size
            (frame(0, 0, 0), (64, 64), (64, 64)),
            (frame(0, 480, 0), (64, 64), (64, 64)),
            (frame(640, 0, 0), (64, 64), (64, 64)),
            (frame(640, 480, 0), (64, 64), (64, 64)),
            (frame(640, 480, 100), (64, 64), (64, 64)),
            (frame(u32::MAX, u32::MAX, 30), (64, 64), (64, 64)),
            (frame(640, 480, 640 * 3 * 100 + 7), (640, 100), (64, 64)),
            (frame(64, 48, 64 * 48 * 3 * 2), (64, 48), (85, 64)),
            (frame(1, 1, 3), (1, 1), (64, 64)),
            (frame(3, 2, 18), (3, 2), (96, 64)),
        ];
        for (f, picture_size, crop_size) in cases {
            for b in [bbox(300.0, 40.0, 20.0, 20.0), bbox(0.0, 0.0, 1.0, 1.0)] {
                let (picture, crop) = decode_both(&evidence(&f, b));
                assert_eq!(picture.size(), picture_size, "{f:?} {b:?}");
                if b.x > 0.0 {
                    assert_eq!(crop.size(), crop_size, "{f:?} {b:?}");
                }
            }
        }
    }

    /// A frame as hard to compress as it gets: every byte random.
    fn noise(width: u32, height: u32) -> Frame {
        let mut rng = coastwatch_core::rng::Rng::new(7);
        Frame {
            index: 0,
            t: Timestamp::UNIX_EPOCH,
            width,
            height,
            rgb: (0..width as usize * height as usize * 3)
                .map(|_| rng.next_u64() as u8)
                .collect(),
        }
    }

    #[test]
    fn even_noise_stays_within_what_the_store_takes() {
        // the tall frames come near: 2.6 MB at the first try
        for (w, h) in [(3840, 2160), (2160, 3840), (1280, 2160)] {
            let frame = noise(w, h);
            let e = evidence(&frame, bbox(0.0, 0.0, w as f32, h as f32));
            assert!(e.len_bytes() <= MAX_EVIDENCE_BYTES, "{w}×{h}: {e:?}");
        }
    }

    #[test]
    fn too_large_pictures_are_encoded_again_smaller() {
        let frame = noise(1280, 720);
        let b = bbox(400.0, 300.0, 200.0, 120.0);
        let full = evidence(&frame, b);
        for max_bytes in [full.len_bytes(), full.len_bytes() / 3] {
            let e = evidence_within(&frame, b, max_bytes);
            assert!(e.len_bytes() <= max_bytes, "{e:?} over {max_bytes}");
            let (picture, crop) = decode_both(&e);
            assert_eq!(picture.size(), (1280, 720), "the same pictures");
            assert_eq!(crop.size(), (280, 168));
        }
        let nothing_fits = evidence_within(&frame, b, 100);
        assert_eq!(nothing_fits, Evidence::blank());
        assert_eq!(decode(&nothing_fits.frame_jpeg).size(), (64, 64));
    }

    /// `cargo test -p coastwatch-vision --release --lib snapshot -- --ignored --nocapture`
    #[test]
    #[ignore = "a timing to read, not a check"]
    fn time_a_1280x720_evidence_pair() {
        let frame = noise(1280, 720);
        let mut smooth = scene(1280, 720, [400, 300, 200, 120]);
        // a sea-and-sky-like picture: gradients with a little texture
        for (i, px) in smooth.rgb.chunks_exact_mut(3).enumerate() {
            let (x, y) = ((i % 1280) as u32, (i / 1280) as u32);
            px[0] = px[0].wrapping_add((x / 10) as u8 ^ (y % 7) as u8);
            px[2] = px[2].wrapping_add((y / 6) as u8);
        }
        for (name, frame) in [("noise", &frame), ("smooth", &smooth)] {
            let b = bbox(400.0, 300.0, 200.0, 120.0);
            let _ = evidence(frame, b);
            let runs = 50;
            let start = std::time::Instant::now();
            let mut bytes = 0;
            for _ in 0..runs {
                bytes = evidence(frame, b).len_bytes();
            }
            let each = start.elapsed() / runs;
            println!("{name} 1280×720: {each:?} per evidence pair, {bytes} bytes");
        }
    }
}
