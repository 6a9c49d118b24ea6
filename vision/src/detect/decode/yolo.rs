//! YOLOv5, YOLOv8/11 and end-to-end (YOLOv10, RT-DETR) outputs.

use super::{Candidate, Params};
use crate::geometry::BBox;

/// YOLOv5: `rows` rows of `5 + C` values: centre x, centre y, width, height (input pixels),
/// objectness, then C class probabilities; score = objectness × class probability.
pub fn decode_yolov5(data: &[f32], rows: usize, p: &Params) -> Vec<Candidate> {
    let width = data.len() / rows.max(1);
    data.chunks_exact(width)
        .take(rows)
        .filter(|r| r[4] >= p.score)
        .filter_map(|r| {
            let (class, score) = p.best(r[5..].iter().copied(), r[4])?;
            Some(Candidate {
                bbox: BBox::from_center(r[0], r[1], r[2], r[3]),
                score,
                class,
            })
        })
        .collect()
}

/// YOLOv8/YOLO11: `4 + C` values per box (centre x, centre y, width, height, C class scores), no
/// objectness. `transposed` is the usual export, `[1, 4 + C, N]` (one row per value); otherwise
/// `[1, N, 4 + C]`.
pub fn decode_yolov8(data: &[f32], n: usize, transposed: bool, p: &Params) -> Vec<Candidate> {
    let width = data.len() / n.max(1);
    let at = |i: usize, k: usize| {
        if transposed {
            data[k * n + i]
        } else {
            data[i * width + k]
        }
    };
    (0..n)
        .filter_map(|i| {
            let (class, score) = p.best((4..width).map(|k| at(i, k)), 1.0)?;
            let bbox = BBox::from_center(at(i, 0), at(i, 1), at(i, 2), at(i, 3));
            Some(Candidate { bbox, score, class })
        })
        .collect()
}

/// End-to-end models (NMS inside): `rows` rows of x1, y1, x2, y2, score, class index.
/// Coordinates are input pixels, or normalised to 0..1 of the input (`input_w`, `input_h`): they
/// count as normalised when every row that passes the score threshold has x2 and y2 ≤ 1.01.
pub fn decode_e2e(
    data: &[f32],
    rows: usize,
    input_w: u32,
    input_h: u32,
    p: &Params,
) -> Vec<Candidate> {
    let kept: Vec<&[f32]> = data
        .chunks_exact(6)
        .take(rows)
        .filter(|r| {
            r[4] >= p.score && r[5] >= 0.0 && p.wanted.get(r[5].round() as usize) == Some(&true)
        })
        .collect();
    let normalised = kept.iter().all(|r| r[2] <= 1.01 && r[3] <= 1.01);
    let (sx, sy) = if normalised {
        (input_w as f32, input_h as f32)
    } else {
        (1.0, 1.0)
    };
    kept.into_iter()
        .map(|r| Candidate {
            bbox: BBox::from_corners(r[0] * sx, r[1] * sy, r[2] * sx, r[3] * sy),
            score: r[4],
            class: r[5].round() as usize,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{all, assert_box};
    use super::*;

    #[test]
    fn yolov5_multiplies_objectness_and_class() {
        // 3 rows, 2 classes
        let data = [
            100.0, 50.0, 20.0, 10.0, 0.9, 0.1, 0.8, // class 1, score 0.72
            10.0, 10.0, 4.0, 4.0, 0.2, 0.9, 0.9, // objectness too low
            200.0, 200.0, 40.0, 40.0, 0.8, 0.5, 0.25, // class 0, score 0.4
        ];
        let wanted = all(2);
        let c = decode_yolov5(
            &data,
            3,
            &Params {
                score: 0.3,
                wanted: &wanted,
            },
        );
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].class, c[1].class), (1, 0));
        assert!((c[0].score - 0.72).abs() < 1e-6 && (c[1].score - 0.4).abs() < 1e-6);
        assert_box(c[0].bbox, 90.0, 45.0, 110.0, 55.0);
        // an unwanted class gives way to the best wanted one
        let c = decode_yolov5(
            &data,
            3,
            &Params {
                score: 0.05,
                wanted: &[true, false],
            },
        );
        assert_eq!((c[0].class, c.len()), (0, 3));
    }

    #[test]
    fn yolov8_reads_the_transposed_layout() {
        // 2 boxes, 2 classes: rows cx, cy, w, h, c0, c1
        let t = [
            50.0, 300.0, // cx
            60.0, 310.0, // cy
            10.0, 20.0, // w
            30.0, 40.0, // h
            0.1, 0.7, // class 0
            0.6, 0.2, // class 1
        ];
        let wanted = all(2);
        let p = Params {
            score: 0.5,
            wanted: &wanted,
        };
        let c = decode_yolov8(&t, 2, true, &p);
        assert_eq!(
            (c[0].class, c[0].score, c[1].class, c[1].score),
            (1, 0.6, 0, 0.7)
        );
        assert_box(c[0].bbox, 45.0, 45.0, 55.0, 75.0);
        assert_box(c[1].bbox, 290.0, 290.0, 310.0, 330.0);
        // the same boxes row by row
        let rows = [
            50.0, 60.0, 10.0, 30.0, 0.1, 0.6, 300.0, 310.0, 20.0, 40.0, 0.7, 0.2,
        ];
        assert_eq!(decode_yolov8(&rows, 2, false, &p), c);
    }

    #[test]
    fn e2e_takes_pixels_or_normalised_coordinates() {
        let px = [
            10.0, 20.0, 110.0, 220.0, 0.9, 2.0, 0.0, 0.0, 5.0, 5.0, 0.1, 0.0,
        ];
        let wanted = all(3);
        let p = Params {
            score: 0.5,
            wanted: &wanted,
        };
        let c = decode_e2e(&px, 2, 640, 480, &p);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].class, c[0].score), (2, 0.9));
        assert_box(c[0].bbox, 10.0, 20.0, 110.0, 220.0);
        let norm = [0.25, 0.5, 0.5, 1.0, 0.8, 0.0];
        let c = decode_e2e(&norm, 1, 640, 480, &p);
        assert_box(c[0].bbox, 160.0, 240.0, 320.0, 480.0);
        // class indices outside the model's classes are ignored
        assert!(decode_e2e(&[0.0, 0.0, 9.0, 9.0, 0.9, 7.0], 1, 640, 480, &p).is_empty());
    }
}
