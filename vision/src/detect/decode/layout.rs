//! Which decoder a model needs, checked against its output shapes.

use super::yolox::yolox_rows;
use super::{
    Candidate, Params, TensorView, decode_e2e, decode_nanodet_level, decode_nanodet_single,
    decode_yolov5, decode_yolov8, decode_yolox,
};
use crate::detect::config::Family;

/// Strides a NanoDet level may have.
const NANODET_STRIDES: [u32; 5] = [8, 16, 32, 64, 128];

/// How a model's outputs are read; found by [`Layout::from_shapes`].
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// Output 0 is `[1, N, 5 + C]`.
    Yolov5,
    /// Output 0 is `[1, 4 + C, N]` (`transposed`) or `[1, N, 4 + C]`.
    Yolov8 {
        /// Whether values run along dimension 1.
        transposed: bool,
    },
    /// Output 0 is `[1, K, 6]`.
    EndToEnd,
    /// Output 0 is `[1, N, 5 + C]` over the stride 8/16/32 grids.
    Yolox,
    /// NanoDet with a score and a distance output per stride.
    NanodetLevels(Vec<Level>),
    /// NanoDet with one `[1, N, C + 4 × bins]` output.
    NanodetSingle,
}

/// One NanoDet level: which outputs hold it, and its grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Index of the `[1, N, C]` score output.
    pub scores: usize,
    /// Index of the `[1, N, 4 × bins]` distance output.
    pub dists: usize,
    /// Input pixels per cell.
    pub stride: u32,
    /// Cells per grid row.
    pub grid_w: usize,
}

impl Layout {
    /// The layout of a `family` model whose outputs have `shapes` (−1 for a dynamic dimension)
    /// for `classes` classes and a `input_w` × `input_h` input; `Err` says what was expected.
    pub fn from_shapes(
        family: Family,
        shapes: &[Vec<i64>],
        classes: usize,
        input_w: u32,
        input_h: u32,
    ) -> Result<Layout, String> {
        let c = classes as i64;
        let first = shapes.first().map(Vec::as_slice).unwrap_or(&[]);
        let fits = |shape: &[i64], want: [Option<i64>; 3]| {
            shape.len() == 3
                && shape
                    .iter()
                    .zip(want)
                    .all(|(&d, w)| d < 0 || w.is_none_or(|w| w == d))
        };
        match family {
            Family::Yolov5 if fits(first, [Some(1), None, Some(5 + c)]) => Ok(Layout::Yolov5),
            Family::Yolov5 => Err(format!("one output [1, N, {}] (4 box + objectness + {c} classes)", 5 + c)),
            Family::Yolov8 if fits(first, [Some(1), Some(4 + c), None]) => Ok(Layout::Yolov8 { transposed: true }),
            Family::Yolov8 if fits(first, [Some(1), None, Some(4 + c)]) => Ok(Layout::Yolov8 { transposed: false }),
            Family::Yolov8 => Err(format!("one output [1, {0}, N] or [1, N, {0}] (4 box + {c} classes)", 4 + c)),
            Family::E2e if fits(first, [Some(1), None, Some(6)]) => Ok(Layout::EndToEnd),
            Family::E2e => Err("one output [1, K, 6] (x1, y1, x2, y2, score, class)".into()),
            Family::Yolox => {
                let rows = yolox_rows(input_w, input_h) as i64;
                if fits(first, [Some(1), Some(rows), Some(5 + c)]) {
                    Ok(Layout::Yolox)
                } else {
                    Err(format!(
                        "one output [1, {rows}, {}] (strides 8/16/32 at {input_w}×{input_h}; 4 box + objectness + {c} classes)",
                        5 + c
                    ))
                }
            }
            Family::Nanodet => nanodet_levels(shapes, c, input_w, input_h)
                .map(Layout::NanodetLevels)
                .or_else(|| {
                    let (n, w) = (*first.get(1)?, *first.get(2)?);
                    let ok = fits(first, [Some(1), None, None])
                        && w > c + 4
                        && (w - c) % 4 == 0
                        && (n < 0 || single_strides(n as usize, input_w, input_h).is_some());
                    ok.then_some(Layout::NanodetSingle)
                })
                .ok_or_else(|| {
                    format!(
                        "per stride [1, N, {c}] scores and [1, N, 4 × bins] distances with N = cells at stride 8/16/32/64 of {input_w}×{input_h}, or one [1, N, {c} + 4 × bins]"
                    )
                }),
        }
    }

    /// Decodes one run's outputs; `Err` gives the shapes found when they do not fit.
    pub fn decode(
        &self,
        outputs: &[TensorView],
        input_w: u32,
        input_h: u32,
        p: &Params,
    ) -> Result<Vec<Candidate>, String> {
        let c = p.wanted.len();
        let found = || {
            let shapes = outputs
                .iter()
                .map(|o| o.shape.iter().map(|&d| d as i64).collect::<Vec<_>>());
            shapes
                .map(|s| format_shape(&s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let out0 = outputs
            .first()
            .filter(|o| o.shape.len() == 3)
            .ok_or_else(found)?;
        let (d1, d2) = (out0.shape[1], out0.shape[2]);
        Ok(match self {
            Layout::Yolov5 if d2 == 5 + c => decode_yolov5(out0.data, d1, p),
            Layout::Yolov8 { transposed: true } if d1 == 4 + c => {
                decode_yolov8(out0.data, d2, true, p)
            }
            Layout::Yolov8 { transposed: false } if d2 == 4 + c => {
                decode_yolov8(out0.data, d1, false, p)
            }
            Layout::EndToEnd if d2 == 6 => decode_e2e(out0.data, d1, input_w, input_h, p),
            Layout::Yolox if d2 == 5 + c && d1 == yolox_rows(input_w, input_h) => {
                decode_yolox(out0.data, d1, input_w, input_h, p)
            }
            Layout::NanodetLevels(levels) => {
                let mut all = Vec::new();
                for l in levels {
                    let (s, d) = (
                        outputs.get(l.scores).ok_or_else(found)?,
                        outputs.get(l.dists).ok_or_else(found)?,
                    );
                    if s.shape.get(2) != Some(&c) || s.shape.get(1) != d.shape.get(1) {
                        return Err(found());
                    }
                    all.extend(decode_nanodet_level(
                        s.data,
                        d.data,
                        l.grid_w,
                        l.stride as f32,
                        0.5,
                        p,
                    ));
                }
                all
            }
            Layout::NanodetSingle if d2 > c + 4 && (d2 - c).is_multiple_of(4) => {
                let strides = single_strides(d1, input_w, input_h).ok_or_else(found)?;
                decode_nanodet_single(out0.data, d1, strides, input_w, input_h, p)
            }
            _ => return Err(found()),
        })
    }
}

/// Pairs `[1, N, C]` score outputs with `[1, N, 4 × bins]` distance outputs by N.
fn nanodet_levels(shapes: &[Vec<i64>], c: i64, input_w: u32, input_h: u32) -> Option<Vec<Level>> {
    let static3 = |s: &Vec<i64>| s.len() == 3 && s[0] == 1 && s[1] > 0 && s[2] > 0;
    let mut levels = Vec::new();
    for (i, s) in shapes
        .iter()
        .enumerate()
        .filter(|(_, s)| static3(s) && s[2] == c)
    {
        let n = s[1];
        let dists = shapes
            .iter()
            .position(|d| static3(d) && d[1] == n && d[2] != c && d[2] % 4 == 0 && d[2] >= 8)?;
        let stride = *NANODET_STRIDES
            .iter()
            .find(|&&st| (input_w.div_ceil(st) * input_h.div_ceil(st)) as i64 == n)?;
        let grid_w = input_w.div_ceil(stride) as usize;
        levels.push(Level {
            scores: i,
            dists,
            stride,
            grid_w,
        });
    }
    (!levels.is_empty() && levels.len() * 2 == shapes.len()).then_some(levels)
}

/// The NanoDet-Plus stride sets whose cells add up to `rows`.
fn single_strides(rows: usize, input_w: u32, input_h: u32) -> Option<&'static [u32]> {
    const SETS: [&[u32]; 2] = [&[8, 16, 32], &[8, 16, 32, 64]];
    SETS.into_iter().find(|set| {
        set.iter()
            .map(|&s| (input_w.div_ceil(s) * input_h.div_ceil(s)) as usize)
            .sum::<usize>()
            == rows
    })
}

/// A shape as `[1, 2704, 80]`, `?` for dynamic dimensions.
pub fn format_shape(shape: &[i64]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|&d| {
            if d < 0 {
                "?".to_string()
            } else {
                d.to_string()
            }
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Vec<Vec<i64>> {
        [
            [1, 2704, 80],
            [1, 676, 80],
            [1, 169, 80],
            [1, 2704, 44],
            [1, 676, 44],
            [1, 169, 44],
        ]
        .map(|s| s.to_vec())
        .to_vec()
    }

    #[test]
    fn the_shipped_nanodet_outputs_pair_up_by_stride() {
        let l = Layout::from_shapes(Family::Nanodet, &shipped(), 80, 416, 416).unwrap();
        let Layout::NanodetLevels(levels) = l else {
            panic!("{l:?}")
        };
        let got: Vec<_> = levels
            .iter()
            .map(|l| (l.scores, l.dists, l.stride, l.grid_w))
            .collect();
        assert_eq!(got, [(0, 3, 8, 52), (1, 4, 16, 26), (2, 5, 32, 13)]);
        // a wrong class count or input size matches nothing
        assert!(Layout::from_shapes(Family::Nanodet, &shipped(), 20, 416, 416).is_err());
        assert!(Layout::from_shapes(Family::Nanodet, &shipped(), 80, 320, 320).is_err());
        // NanoDet-Plus 416: 2704 + 676 + 169 + 49 rows of 80 + 32
        let plus = [vec![1, 3598, 112]];
        assert_eq!(
            Layout::from_shapes(Family::Nanodet, &plus, 80, 416, 416),
            Ok(Layout::NanodetSingle)
        );
    }

    #[test]
    fn yolo_shapes_are_recognised_and_wrong_ones_explained() {
        let v8 = [vec![1, 84, 8400]];
        assert_eq!(
            Layout::from_shapes(Family::Yolov8, &v8, 80, 640, 640),
            Ok(Layout::Yolov8 { transposed: true })
        );
        assert_eq!(
            Layout::from_shapes(Family::Yolov5, &[vec![1, -1, 85]], 80, 640, 640),
            Ok(Layout::Yolov5)
        );
        assert_eq!(
            Layout::from_shapes(Family::E2e, &[vec![1, 300, 6]], 80, 640, 640),
            Ok(Layout::EndToEnd)
        );
        assert_eq!(
            Layout::from_shapes(Family::Yolox, &[vec![1, 8400, 85]], 80, 640, 640),
            Ok(Layout::Yolox)
        );
        let err = Layout::from_shapes(Family::Yolov5, &v8, 80, 640, 640).unwrap_err();
        assert!(err.contains("[1, N, 85]"), "{err}");
        let err =
            Layout::from_shapes(Family::Yolox, &[vec![1, 8400, 85]], 80, 416, 416).unwrap_err();
        assert!(err.contains("[1, 3549, 85]"), "{err}");
    }

    #[test]
    fn decode_rejects_outputs_that_changed_shape() {
        let data = [0.0; 12];
        let outs = [TensorView {
            shape: &[1, 2, 6],
            data: &data,
        }];
        let wanted = [true; 80];
        let p = Params {
            score: 0.5,
            wanted: &wanted,
        };
        assert_eq!(
            Layout::Yolov5.decode(&outs, 640, 640, &p),
            Err("[1, 2, 6]".into())
        );
        assert_eq!(Layout::EndToEnd.decode(&outs, 640, 640, &p), Ok(vec![]));
        assert_eq!(format_shape(&[1i64, -1, 6]), "[1, ?, 6]");
    }
}
