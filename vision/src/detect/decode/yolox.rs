//! YOLOX outputs, raw grid or decoded.

use super::{Candidate, Params};
use crate::geometry::BBox;

/// The strides of YOLOX's three output levels.
pub const YOLOX_STRIDES: [u32; 3] = [8, 16, 32];

/// YOLOX: `rows` rows of `5 + C` values: box, objectness, C class probabilities; score =
/// objectness × class probability. Rows run over the stride-8, 16 and 32 grids, row-major.
///
/// Raw exports give x, y as offsets in grid cells and w, h as logs: centre = (offset + cell) ×
/// stride, size = exp(v) × stride. Exports made with `decode_in_inference` give input pixels.
/// The rule: the output is already decoded when some centre x exceeds a quarter of the input
/// width (raw offsets stay within a few cells; decoded centres span the input).
pub fn decode_yolox(
    data: &[f32],
    rows: usize,
    input_w: u32,
    input_h: u32,
    p: &Params,
) -> Vec<Candidate> {
    let width = data.len() / rows.max(1);
    let rows: Vec<&[f32]> = data.chunks_exact(width).take(rows).collect();
    let decoded = rows.iter().any(|r| r[0] > input_w as f32 / 4.0);
    let grid = grid(input_w, input_h);
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r[4] >= p.score)
        .filter_map(|(i, r)| {
            let (class, score) = p.best(r[5..].iter().copied(), r[4])?;
            let bbox = if decoded {
                BBox::from_center(r[0], r[1], r[2], r[3])
            } else {
                let (gx, gy, s) = *grid.get(i)?;
                BBox::from_center(
                    (r[0] + gx) * s,
                    (r[1] + gy) * s,
                    r[2].exp() * s,
                    r[3].exp() * s,
                )
            };
            Some(Candidate { bbox, score, class })
        })
        .collect()
}

/// Cell (x, y) and stride of every row of a raw YOLOX output.
fn grid(input_w: u32, input_h: u32) -> Vec<(f32, f32, f32)> {
    YOLOX_STRIDES
        .iter()
        .flat_map(|&s| {
            let (gw, gh) = (input_w / s, input_h / s);
            (0..gh).flat_map(move |y| (0..gw).map(move |x| (x as f32, y as f32, s as f32)))
        })
        .collect()
}

/// Rows of a raw YOLOX output for this input size.
pub fn yolox_rows(input_w: u32, input_h: u32) -> usize {
    YOLOX_STRIDES
        .iter()
        .map(|s| ((input_w / s) * (input_h / s)) as usize)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{all, assert_box};
    use super::*;

    /// A 64×64 input has 64 + 16 + 4 = 84 rows; one class.
    fn raw_with(row: usize, values: [f32; 6]) -> Vec<f32> {
        let mut d = vec![0.0; 84 * 6];
        d[row * 6..row * 6 + 6].copy_from_slice(&values);
        d
    }

    #[test]
    fn raw_grid_outputs_are_decoded_per_stride() {
        assert_eq!(yolox_rows(64, 64), 84);
        let wanted = all(1);
        let p = Params {
            score: 0.3,
            wanted: &wanted,
        };
        // stride 16 level starts at row 64; row 64 + 1 * 4 + 2 is cell (2, 1)
        let d = raw_with(70, [0.5, 0.25, 1f32.ln(), 2f32.ln(), 0.9, 0.5]);
        let c = decode_yolox(&d, 84, 64, 64, &p);
        assert_eq!(c.len(), 1);
        assert!((c[0].score - 0.45).abs() < 1e-6);
        // centre (2.5 × 16, 1.25 × 16) = (40, 20), size 16 × 32
        assert_box(c[0].bbox, 32.0, 4.0, 48.0, 36.0);
    }

    #[test]
    fn decoded_outputs_are_recognised_and_kept() {
        let wanted = all(1);
        let p = Params {
            score: 0.3,
            wanted: &wanted,
        };
        let mut d = raw_with(3, [40.0, 20.0, 16.0, 32.0, 0.9, 0.5]);
        d[83 * 6] = 60.0; // a decoded export has centres across the input
        let c = decode_yolox(&d, 84, 64, 64, &p);
        assert_eq!(c.len(), 1);
        assert_box(c[0].bbox, 32.0, 4.0, 48.0, 36.0);
    }
}
