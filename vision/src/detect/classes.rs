//! Model class names and their mapping onto [`ObjectClass`].

use crate::geometry::ObjectClass;

/// The 80 COCO class names in the order COCO-trained detectors output them.
#[rustfmt::skip]
pub const COCO80: [&str; 80] = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
];

/// What a model class name becomes, case-insensitively: boat, ship, vessel → `Vessel`; person,
/// pedestrian → `Person`; car, truck, bus, motorcycle (motorbike), bicycle, vehicle → `Vehicle`.
/// Every other class (train, airplane, animals, objects…) is dropped: `None`.
pub fn map_class(name: &str) -> Option<ObjectClass> {
    match name.trim().to_ascii_lowercase().as_str() {
        "boat" | "ship" | "vessel" => Some(ObjectClass::Vessel),
        "person" | "pedestrian" => Some(ObjectClass::Person),
        "car" | "truck" | "bus" | "motorcycle" | "motorbike" | "bicycle" | "vehicle" => {
            Some(ObjectClass::Vehicle)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coco_classes_map_onto_the_three_kinds() {
        let mapped: Vec<_> = COCO80
            .iter()
            .enumerate()
            .filter_map(|(i, n)| map_class(n).map(|c| (i, c)))
            .collect();
        use ObjectClass::*;
        assert_eq!(
            mapped,
            [
                (0, Person),
                (1, Vehicle),
                (2, Vehicle),
                (3, Vehicle),
                (5, Vehicle),
                (7, Vehicle),
                (8, Vessel)
            ]
        );
        assert_eq!(map_class(" Ship "), Some(Vessel));
        assert_eq!(map_class("train"), None);
    }
}
