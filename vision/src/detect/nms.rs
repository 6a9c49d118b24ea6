//! Non-maximum suppression, per object class.

use crate::geometry::Detection;

/// Keeps, per [`ObjectClass`](crate::ObjectClass), the strongest of every group of boxes that
/// overlap by more than `iou`; with `containment`, a box also goes when that share of its area
/// lies inside a stronger one (tile seams cut objects into pieces). Returns the kept detections,
/// strongest first.
pub fn nms(mut dets: Vec<Detection>, iou: f32, containment: Option<f32>) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::with_capacity(dets.len().min(64));
    for d in dets {
        let suppressed = kept.iter().any(|k| {
            k.class == d.class
                && (k.bbox.iou(&d.bbox) > iou
                    || containment.is_some_and(|c| {
                        d.bbox.area() > 0.0 && k.bbox.intersection(&d.bbox) / d.bbox.area() > c
                    }))
        });
        if !suppressed {
            kept.push(d);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{BBox, ObjectClass};

    fn det(x: f32, w: f32, score: f32, class: ObjectClass) -> Detection {
        Detection {
            bbox: BBox {
                x,
                y: 0.0,
                w,
                h: 10.0,
            },
            score,
            class,
        }
    }

    #[test]
    fn overlapping_boxes_of_one_class_collapse_to_the_strongest() {
        use ObjectClass::*;
        let out = nms(
            vec![
                det(0.0, 10.0, 0.5, Person),
                det(1.0, 10.0, 0.9, Person),  // IoU 0.82 with the first
                det(1.0, 10.0, 0.4, Vessel),  // another class: kept
                det(30.0, 10.0, 0.3, Person), // apart: kept
            ],
            0.5,
            None,
        );
        let scores: Vec<f32> = out.iter().map(|d| d.score).collect();
        assert_eq!(scores, [0.9, 0.4, 0.3]);
    }

    #[test]
    fn containment_drops_pieces_of_a_larger_box() {
        let whole = det(0.0, 100.0, 0.8, ObjectClass::Vessel);
        let piece = det(60.0, 40.0, 0.6, ObjectClass::Vessel); // IoU 0.4, fully inside
        assert_eq!(nms(vec![whole, piece], 0.5, None).len(), 2);
        assert_eq!(nms(vec![piece, whole], 0.5, Some(0.8)), [whole]);
    }
}
