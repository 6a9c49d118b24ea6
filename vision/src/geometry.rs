//! Pixel boxes, detections and the object classes the video core knows.

use serde::{Deserialize, Serialize};

/// An axis-aligned box in image pixels: top-left corner, width and height.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width (≥ 0).
    pub w: f32,
    /// Height (≥ 0).
    pub h: f32,
}

impl BBox {
    /// A box from its top-left and bottom-right corners.
    pub fn from_corners(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        Self {
            x: x1,
            y: y1,
            w: (x2 - x1).max(0.0),
            h: (y2 - y1).max(0.0),
        }
    }

    /// A box from its centre and size.
    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        Self {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w: w.max(0.0),
            h: h.max(0.0),
        }
    }

    /// Right edge.
    pub fn x2(&self) -> f32 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn y2(&self) -> f32 {
        self.y + self.h
    }

    /// Centre point.
    pub fn center(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Area in square pixels.
    pub fn area(&self) -> f32 {
        self.w * self.h
    }

    /// Area of the overlap with `other`.
    pub fn intersection(&self, other: &BBox) -> f32 {
        let w = (self.x2().min(other.x2()) - self.x.max(other.x)).max(0.0);
        let h = (self.y2().min(other.y2()) - self.y.max(other.y)).max(0.0);
        w * h
    }

    /// Intersection over union, 0 for disjoint or empty boxes.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = self.intersection(other);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    /// The box clipped to an image of `width` × `height` pixels.
    pub fn clip(&self, width: f32, height: f32) -> Self {
        let x1 = self.x.clamp(0.0, width);
        let y1 = self.y.clamp(0.0, height);
        Self::from_corners(
            x1,
            y1,
            self.x2().clamp(0.0, width),
            self.y2().clamp(0.0, height),
        )
    }
}

/// What a detection or track is, after the model's own classes are mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectClass {
    /// A boat or ship.
    Vessel,
    /// A person.
    Person,
    /// A car, truck, bus or motorcycle.
    Vehicle,
    /// Something moving that no model named (motion-only mode).
    Unknown,
}

impl ObjectClass {
    /// Every class, in a fixed order.
    pub const ALL: [ObjectClass; 4] = [
        ObjectClass::Vessel,
        ObjectClass::Person,
        ObjectClass::Vehicle,
        ObjectClass::Unknown,
    ];

    /// The name used in NDJSON, the API and config.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectClass::Vessel => "vessel",
            ObjectClass::Person => "person",
            ObjectClass::Vehicle => "vehicle",
            ObjectClass::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for ObjectClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown object class `{s}` (expected vessel, person, vehicle or unknown)")
            })
    }
}

/// One object found in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Where it is, in the frame's pixels.
    pub bbox: BBox,
    /// Confidence in 0..=1.
    pub score: f32,
    /// What it is.
    pub class: ObjectClass,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_half_overlapping_boxes() {
        let a = BBox {
            x: 0.0,
            y: 0.0,
            w: 10.0,
            h: 10.0,
        };
        let b = BBox {
            x: 5.0,
            y: 0.0,
            w: 10.0,
            h: 10.0,
        };
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.iou(&BBox { x: 20.0, ..a }), 0.0);
        assert_eq!(a.iou(&a), 1.0);
    }

    #[test]
    fn clip_keeps_boxes_inside_the_image() {
        let b = BBox {
            x: -5.0,
            y: 90.0,
            w: 20.0,
            h: 20.0,
        }
        .clip(100.0, 100.0);
        assert_eq!(
            b,
            BBox {
                x: 0.0,
                y: 90.0,
                w: 15.0,
                h: 10.0
            }
        );
    }

    #[test]
    fn classes_round_trip_through_their_names() {
        for c in ObjectClass::ALL {
            assert_eq!(c.as_str().parse::<ObjectClass>().unwrap(), c);
        }
        assert!("boat".parse::<ObjectClass>().is_err());
    }
}
