//! A small valid feature of every layer, set in Xiangshan Bay, for tests and examples.

use geo::{Geometry, LineString, MultiPolygon, Point, Polygon, coord};
use serde_json::{Value, json};

use crate::{Feature, Layer};

fn square(lon: f64, lat: f64, size_deg: f64) -> Polygon {
    Polygon::new(
        LineString::from(vec![
            coord! { x: lon, y: lat },
            coord! { x: lon + size_deg, y: lat },
            coord! { x: lon + size_deg, y: lat + size_deg },
            coord! { x: lon, y: lat + size_deg },
            coord! { x: lon, y: lat },
        ]),
        vec![],
    )
}

fn line(points: &[(f64, f64)]) -> Geometry {
    LineString::from(points.to_vec()).into()
}

/// A valid feature of `layer` (already normalized, without id); `n` varies its position.
pub fn sample(layer: Layer, n: u32) -> Feature {
    let dx = f64::from(n) * 0.001;
    let (geometry, properties): (Geometry, Value) = match layer {
        Layer::RiskPoints => (
            Point::new(121.52 + dx, 29.58).into(),
            json!({"kind": "dock", "name": format!("Pier {n}"), "registered": n.is_multiple_of(2), "town": "Chunhu", "card": "none"}),
        ),
        Layer::Cameras => (
            Point::new(121.55 + dx, 29.60).into(),
            json!({"name": format!("CAM-{n:03}"), "height_m": 18.5, "heading_deg": 135.0, "hfov_deg": 60.0,
                   "range_m": 3000.0, "near_range_m": 20.0, "ptz": false, "agency": "police", "town": "Qiucun"}),
        ),
        Layer::CameraCoverage => (
            MultiPolygon(vec![square(121.55 + dx, 29.60, 0.01)]).into(),
            json!({"camera_id": n + 1, "area_m2": 1_000_000.0}),
        ),
        Layer::CoverageGaps => (
            square(121.6 + dx, 29.5, 0.002).into(),
            json!({"h3": "8a309a4b1a0ffff", "reason": "terrain"}),
        ),
        Layer::Geofences => (
            square(121.62 + dx, 29.55, 0.02).into(),
            json!({"name": format!("Restricted {n}"), "kind": "restricted_sea", "town": "Songao",
                   "rule": {"classes": ["vessel:tanker", "vessel:fishing"], "detect": ["enter", "dwell"],
                            "active_hours": {"start": "22:00", "end": "05:00"}, "dwell_min": 15.0,
                            "severity": "critical", "debounce": {"fixes": 3, "buffer_m": 25.0}}}),
        ),
        Layer::Vessels => (
            Point::new(121.63 + dx, 29.56).into(),
            json!({"mmsi": 412_345_678 + n, "name": "ZHE XIANG YU 1", "callsign": "BXYZ", "imo": 9_134_270,
                   "ship_type": 30, "sog_kn": 7.5, "cog_deg": 81.2, "heading_deg": 80.0, "nav_status": 0,
                   "last_seen": 1_790_000_000 + i64::from(n), "flags": ["no_static"]}),
        ),
        Layer::VesselTracks => (
            line(&[
                (121.60 + dx, 29.55),
                (121.61 + dx, 29.56),
                (121.63 + dx, 29.56),
            ]),
            json!({"mmsi": 412_345_678, "t_start": 1_790_000_000 + i64::from(n) * 600, "t_end": 1_790_000_300 + i64::from(n) * 600}),
        ),
        Layer::Vehicles => (
            Point::new(121.45 + dx, 29.62).into(),
            json!({"vehicle_id": format!("TRK-{n}"), "plate": "ZB-12345", "class": "tank_truck", "corridor_id": 1,
                   "town": "Chunhu", "speed_kmh": 54.0, "heading_deg": 270.0, "last_seen": 1_790_000_000}),
        ),
        Layer::VehicleRoutes => (
            line(&[(121.45 + dx, 29.62), (121.46 + dx, 29.625)]),
            json!({"vehicle_id": format!("TRK-{n}"), "t_start": 1_790_000_000, "t_end": 1_790_000_120}),
        ),
        Layer::CameraTracks => (
            line(&[(121.56 + dx, 29.61), (121.565 + dx, 29.612)]),
            json!({"camera_id": 1, "class": "vessel", "matched_mmsi": null, "t_start": 1_790_000_000, "t_end": 1_790_000_030}),
        ),
        Layer::Alerts => (
            Point::new(121.64 + dx, 29.57).into(),
            json!({"kind": "encounter", "severity": "warning", "status": "open", "opened_at": 1_790_000_000,
                   "updated_at": 1_790_001_800, "subject": {"type": "vessel", "id": "412345678", "name": "ZHE XIANG YU 1"},
                   "town": "Songao", "fence_id": null, "evidence": {"duration_s": 1800, "min_distance_m": 120.5, "other_mmsi": 412_000_001},
                   "history": [{"at": 1_790_001_000, "by": "dispatcher1", "action": "ack", "note": "watching"}]}),
        ),
        Layer::Coastline => (
            line(&[
                (121.40 + dx, 29.60),
                (121.42 + dx, 29.61),
                (121.43 + dx, 29.63),
            ]),
            json!({"town": "Chunhu", "source": "GSHHG f"}),
        ),
        Layer::Areas => (
            MultiPolygon(vec![square(121.40 + dx, 29.45, 0.1)]).into(),
            json!({"name": format!("Town {n}"), "kind": "town"}),
        ),
        Layer::AisDensity => (
            square(121.6 + dx, 29.6, 0.003).into(),
            json!({"h3": "8a309a4b1a0ffff", "count": 42 + n}),
        ),
    };
    layer
        .validate(Feature::new(geometry, properties))
        .expect("samples are valid")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_layer_has_a_valid_sample() {
        for layer in crate::Layer::ALL {
            let f = super::sample(*layer, 3);
            for field in layer.fields() {
                assert!(
                    f.properties.contains_key(field.name),
                    "{layer}.{} missing from the normalized record",
                    field.name
                );
            }
            assert_eq!(
                f.properties.len(),
                layer.fields().len(),
                "{layer}: record and schema disagree"
            );
        }
    }
}
