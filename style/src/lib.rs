//! The MapLibre GL style (spec v8) for every coastwatch layer: colours by kind and severity.
//!
//! Three vector sources: `static` (store layers, long cache), `command` (cases, cards and
//! inspections, read per tile) and `live` (engine layers, short cache), all served by
//! coastwatch's `/tiles` routes. No glyphs or sprites are needed, so
//! the style works offline.
//!
//! The crate also carries the web map that uses the style ([`web`]): the MapLibre GL JS
//! bundle built by `scripts/build-web.sh`, embedded at build time.

use coastwatch_core::Layer;
use serde_json::{Value, json};

pub mod web;
pub use web::{asset, index_html};

/// Layers of the `static` source, drawn bottom to top.
pub const STATIC_LAYERS: [Layer; 8] = [
    Layer::Areas,
    Layer::Coastline,
    Layer::AisDensity,
    Layer::CoverageGaps,
    Layer::CameraCoverage,
    Layer::Geofences,
    Layer::RiskPoints,
    Layer::Cameras,
];

/// Layers of the `command` source (the command platform's cards, inspections and cases:
/// read from the store for each tile, never cached), drawn bottom to top.
pub const COMMAND_LAYERS: [Layer; 3] = [Layer::Cards, Layer::Inspections, Layer::Cases];

/// Layers of the `live` source, drawn bottom to top.
pub const LIVE_LAYERS: [Layer; 6] = [
    Layer::VehicleRoutes,
    Layer::VesselTracks,
    Layer::CameraTracks,
    Layer::Vehicles,
    Layer::Vessels,
    Layer::Alerts,
];

fn source(base_url: &str, layers: &[Layer]) -> Value {
    let names: Vec<&str> = layers.iter().map(|l| l.name()).collect();
    json!({
        "type": "vector",
        "tiles": [format!("{base_url}/tiles/{}/{{z}}/{{x}}/{{y}}", names.join(","))],
        "minzoom": 0,
        "maxzoom": 22,
    })
}

fn layer(id: &str, kind: &str, source: &str, source_layer: Layer, paint: Value) -> Value {
    json!({ "id": id, "type": kind, "source": source, "source-layer": source_layer.name(), "paint": paint })
}

/// `layer` drawing only the features that pass `filter`.
fn filtered(mut layer: Value, filter: Value) -> Value {
    layer["filter"] = filter;
    layer
}

/// A `match` expression on a property, with a fallback colour.
fn by(property: &str, pairs: &[(&str, &str)], fallback: &str) -> Value {
    let mut expression = vec![json!("match"), json!(["get", property])];
    for (value, colour) in pairs {
        expression.push(json!(value));
        expression.push(json!(colour));
    }
    expression.push(json!(fallback));
    Value::Array(expression)
}

/// The style, with tile URLs under `base_url` (e.g. `http://localhost:8080`).
pub fn style(base_url: &str) -> Value {
    let severity = by(
        "severity",
        &[
            ("critical", "#d7191c"),
            ("warning", "#fdae61"),
            ("info", "#2b83ba"),
        ],
        "#fdae61",
    );
    let risk_kind = by(
        "kind",
        &[
            ("dock", "#1f78b4"),
            ("oil_depot", "#e31a1c"),
            ("cold_store", "#a6cee3"),
            ("shipyard", "#6a3d9a"),
            ("warehouse", "#b15928"),
            ("truck_firm", "#ff7f00"),
            ("crane_firm", "#fdbf6f"),
            ("fuel_point", "#fb9a99"),
            ("anchorage", "#33a02c"),
        ],
        "#777777",
    );
    let fence_kind = by(
        "kind",
        &[
            ("restricted_sea", "#d7191c"),
            ("no_landing_shore", "#f46d43"),
            ("route_corridor", "#4575b4"),
            ("watch_zone", "#fee090"),
        ],
        "#999999",
    );
    let track_class = by(
        "class",
        &[
            ("vessel", "#6a51a3"),
            ("person", "#e7298a"),
            ("vehicle", "#d95f02"),
        ],
        "#252525",
    );
    let layers = vec![
        json!({ "id": "background", "type": "background", "paint": { "background-color": "#dfe9f2" } }),
        // land over the sea-coloured background; towns and villages tinted, the district
        // (the whole watch area) only outlined
        filtered(
            layer(
                "land",
                "fill",
                "static",
                Layer::Areas,
                json!({ "fill-color": "#f4f1e8" }),
            ),
            json!(["==", ["get", "kind"], "land"]),
        ),
        filtered(
            layer(
                "areas-fill",
                "fill",
                "static",
                Layer::Areas,
                json!({ "fill-color": by("kind", &[("town", "#c7b98f"), ("village", "#8c6d31")], "#c7b98f"), "fill-opacity": 0.12 }),
            ),
            json!(["in", ["get", "kind"], ["literal", ["town", "village"]]]),
        ),
        // land has no outline: the coastline draws its edge
        filtered(
            layer(
                "areas-outline",
                "line",
                "static",
                Layer::Areas,
                json!({ "line-color": "#8c8c8c", "line-dasharray": [2, 2] }),
            ),
            json!(["!=", ["get", "kind"], "land"]),
        ),
        layer(
            "coastline",
            "line",
            "static",
            Layer::Coastline,
            json!({ "line-color": "#4a6b82", "line-width": 1.2 }),
        ),
        layer(
            "ais-density",
            "fill",
            "static",
            Layer::AisDensity,
            json!({ "fill-color": ["interpolate", ["linear"], ["get", "count"], 1, "#ffffcc", 50, "#fd8d3c", 500, "#800026"], "fill-opacity": 0.5 }),
        ),
        layer(
            "coverage-gaps",
            "fill",
            "static",
            Layer::CoverageGaps,
            json!({ "fill-color": by("reason", &[("range", "#fdae61"), ("fov", "#fee08b"), ("terrain", "#d73027")], "#cccccc"), "fill-opacity": 0.35 }),
        ),
        layer(
            "camera-coverage",
            "fill",
            "static",
            Layer::CameraCoverage,
            json!({ "fill-color": "#1a9850", "fill-opacity": 0.2 }),
        ),
        layer(
            "geofences-fill",
            "fill",
            "static",
            Layer::Geofences,
            json!({ "fill-color": fence_kind.clone(), "fill-opacity": 0.2 }),
        ),
        layer(
            "geofences-line",
            "line",
            "static",
            Layer::Geofences,
            json!({ "line-color": fence_kind, "line-width": 2 }),
        ),
        layer(
            "vehicle-routes",
            "line",
            "live",
            Layer::VehicleRoutes,
            json!({ "line-color": "#ff7f00", "line-width": 2 }),
        ),
        layer(
            "vessel-tracks",
            "line",
            "live",
            Layer::VesselTracks,
            json!({ "line-color": "#225ea8", "line-width": 1.5, "line-opacity": 0.7 }),
        ),
        // tracks seen by a camera, coloured by class: solid when AIS explains them, dashed
        // when not (two layers: a data-driven dash pattern is not drawn by MapLibre Native)
        filtered(
            layer(
                "camera-tracks",
                "line",
                "live",
                Layer::CameraTracks,
                json!({ "line-color": track_class.clone(), "line-width": 2.5 }),
            ),
            json!(["has", "matched_mmsi"]),
        ),
        filtered(
            layer(
                "camera-tracks-unmatched",
                "line",
                "live",
                Layer::CameraTracks,
                json!({ "line-color": track_class, "line-width": 2.5, "line-dasharray": [2, 1.5] }),
            ),
            json!(["!", ["has", "matched_mmsi"]]),
        ),
        // a card is a halo around its unit: red or yellow while in force
        filtered(
            layer(
                "cards",
                "circle",
                "command",
                Layer::Cards,
                json!({ "circle-color": by("color", &[("red", "#d7191c"), ("yellow", "#fec44f")], "#fec44f"),
                        "circle-radius": ["match", ["get", "unit"], "risk_point", 11, 22], "circle-opacity": 0.45,
                        "circle-stroke-color": by("color", &[("red", "#a50f15"), ("yellow", "#d95f0e")], "#d95f0e"),
                        "circle-stroke-width": 2 }),
            ),
            json!(["==", ["get", "status"], "active"]),
        ),
        layer(
            "risk-points",
            "circle",
            "static",
            Layer::RiskPoints,
            json!({ "circle-color": risk_kind, "circle-radius": 5, "circle-stroke-width": 2,
                    "circle-stroke-color": ["case", ["get", "registered"], "#ffffff", "#d7191c"] }),
        ),
        layer(
            "cameras",
            "circle",
            "static",
            Layer::Cameras,
            json!({ "circle-color": "#1a9850", "circle-radius": 4, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 }),
        ),
        layer(
            "inspections",
            "circle",
            "command",
            Layer::Inspections,
            json!({ "circle-color": by("result", &[("issues", "#e6550d")], "#31a354"), "circle-radius": 3,
                    "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 }),
        ),
        layer(
            "cases",
            "circle",
            "command",
            Layer::Cases,
            json!({ "circle-color": by("status", &[("closed", "#969696"), ("handed_over", "#8856a7")], "#e34a33"),
                    "circle-radius": 7, "circle-stroke-color": "#000000", "circle-stroke-width": 2 }),
        ),
        layer(
            "vehicles",
            "circle",
            "live",
            Layer::Vehicles,
            json!({ "circle-color": by("class", &[("tank_truck", "#e31a1c"), ("container_truck", "#ff7f00")], "#999999"), "circle-radius": 5 }),
        ),
        layer(
            "vessels",
            "circle",
            "live",
            Layer::Vessels,
            json!({ "circle-color": "#225ea8", "circle-radius": 4, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 }),
        ),
        layer(
            "alerts",
            "circle",
            "live",
            Layer::Alerts,
            json!({ "circle-color": severity, "circle-radius": 9, "circle-opacity": 0.8, "circle-stroke-color": "#000000", "circle-stroke-width": 1 }),
        ),
    ];
    json!({
        "version": 8,
        "name": "coastwatch",
        "center": [121.6, 29.575],
        "zoom": 11,
        "sources": {
            "static": source(base_url, &STATIC_LAYERS),
            "command": source(base_url, &COMMAND_LAYERS),
            "live": source(base_url, &LIVE_LAYERS),
        },
        "layers": layers,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_layer_is_drawn_from_its_source() {
        let style = style("http://localhost:8080");
        let layers = style["layers"].as_array().unwrap();
        let ids: HashSet<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), layers.len(), "layer ids are unique");
        for data_layer in Layer::ALL {
            let drawn: Vec<&Value> = layers
                .iter()
                .filter(|l| l["source-layer"] == data_layer.name())
                .collect();
            assert!(!drawn.is_empty(), "{data_layer} is not drawn");
            let expected = if STATIC_LAYERS.contains(data_layer) {
                "static"
            } else if COMMAND_LAYERS.contains(data_layer) {
                "command"
            } else {
                "live"
            };
            assert!(
                drawn.iter().all(|l| l["source"] == expected),
                "{data_layer} drawn from the wrong source"
            );
        }
        assert!(
            style["sources"]["live"]["tiles"][0]
                .as_str()
                .unwrap()
                .starts_with("http://localhost:8080/tiles/vehicle_routes,")
        );
    }

    #[test]
    fn camera_tracks_are_solid_when_ais_explains_them_and_dashed_when_not() {
        let style = style("http://localhost:8080");
        let tracks: Vec<&Value> = style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["source-layer"] == Layer::CameraTracks.name())
            .collect();
        let [matched, unmatched] = tracks[..] else {
            panic!("two camera track layers: {tracks:?}")
        };
        assert_eq!(matched["filter"], json!(["has", "matched_mmsi"]));
        assert!(matched["paint"].get("line-dasharray").is_none());
        assert_eq!(unmatched["filter"], json!(["!", ["has", "matched_mmsi"]]));
        assert!(unmatched["paint"]["line-dasharray"].is_array());
        for layer in [matched, unmatched] {
            assert_eq!(layer["type"], "line");
            assert_eq!(layer["paint"]["line-color"][1], json!(["get", "class"]));
            assert!(layer["paint"]["line-width"].as_f64().unwrap() >= 2.0);
        }
    }
}
