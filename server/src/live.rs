//! Layers answered from the in-memory engine instead of the store: `vessels` (latest
//! positions), `vessel_tracks` (the track window of each vessel), `vehicle_routes` (the
//! route window of each vehicle) and `ais_density` (fixes held per H3 cell).

use coastwatch_spatial::model::FeatureId;
use coastwatch_spatial::store::Query;
use coastwatch_spatial::{Feature, Layer};
use geo::{BoundingRect, Coord, Intersects, LineString, Polygon, Rect};
use h3o::Resolution;
use serde_json::json;

use crate::state::AppState;

/// Whether `layer` is served from the engine.
pub fn is_live(layer: Layer) -> bool {
    matches!(
        layer,
        Layer::Vessels | Layer::VesselTracks | Layer::VehicleRoutes | Layer::AisDensity
    )
}

/// The page of `query` over a live layer, with the number of features that match in all.
pub fn page(state: &AppState, layer: Layer, query: &Query) -> (u64, Vec<Feature>) {
    let all = matching(state, layer, query);
    let matched = all.len() as u64;
    let limit = query
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let page = all
        .into_iter()
        .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
        .take(limit)
        .collect();
    (matched, page)
}

/// One feature of a live layer (the id is the MMSI, or the vehicle's feature id).
pub fn get(state: &AppState, layer: Layer, id: FeatureId) -> Option<Feature> {
    if layer == Layer::VehicleRoutes {
        return vehicle_routes(state, f64::MIN, f64::MAX)
            .into_iter()
            .find(|f| f.id == Some(id));
    }
    let engine = state
        .ingest
        .vessels()
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let mmsi = coastwatch_spatial::model::Mmsi::try_from(id.get()).ok()?;
    let vessel = engine.get(mmsi)?;
    match layer {
        Layer::Vessels => vessel.to_feature(),
        Layer::VesselTracks => vessel.track_feature(f64::MIN, f64::MAX),
        _ => None,
    }
}

/// The `ais_density` features at `resolution` (default: the engine's), within `bbox`.
pub fn density(
    state: &AppState,
    resolution: Option<Resolution>,
    bbox: Option<Rect>,
) -> Vec<Feature> {
    let engine = state
        .ingest
        .vessels()
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let resolution = resolution.map_or(engine.resolution(), |r| r.min(engine.resolution()));
    engine
        .density(resolution)
        .into_iter()
        .filter_map(|(cell, count)| {
            let ring: LineString = cell
                .boundary()
                .iter()
                .map(|ll| Coord {
                    x: ll.lng(),
                    y: ll.lat(),
                })
                .collect();
            let hexagon = Polygon::new(ring, vec![]);
            if bbox.is_some_and(|b| !b.intersects(&hexagon)) {
                return None;
            }
            let id = FeatureId::try_from(u64::from(cell) as i64).ok()?;
            let feature = Feature::new(hexagon, json!({ "h3": cell.to_string(), "count": count }))
                .with_id(id);
            Layer::AisDensity.validate(feature).ok()
        })
        .collect()
}

/// The H3 resolution whose hexagons are a few tens of pixels wide at zoom `z`.
pub fn resolution_for_zoom(z: u8) -> Resolution {
    match z {
        0..=8 => Resolution::Five,
        9..=10 => Resolution::Six,
        11..=12 => Resolution::Seven,
        13 => Resolution::Eight,
        _ => Resolution::Nine,
    }
}

fn vehicle_routes(state: &AppState, from: f64, to: f64) -> Vec<Feature> {
    let vehicles = state
        .ingest
        .pipeline
        .vehicles
        .read()
        .unwrap_or_else(|e| e.into_inner());
    vehicles
        .iter()
        .filter_map(|v| v.route_feature(from, to))
        .collect()
}

fn matching(state: &AppState, layer: Layer, query: &Query) -> Vec<Feature> {
    let engine = state
        .ingest
        .vessels()
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let (from, to) = query
        .time
        .map_or((f64::MIN, f64::MAX), |(a, b)| (a as f64, b as f64));
    let mut features: Vec<Feature> = match layer {
        Layer::Vessels => match query.bbox {
            Some(bbox) => engine
                .in_bbox(bbox)
                .filter_map(|v| v.to_feature())
                .collect(),
            None => engine.iter().filter_map(|v| v.to_feature()).collect(),
        },
        Layer::VesselTracks => engine
            .iter()
            .filter_map(|v| v.track_feature(from, to.max(from)))
            .collect(),
        Layer::AisDensity => {
            drop(engine);
            density(state, None, query.bbox)
        }
        Layer::VehicleRoutes => vehicle_routes(state, from, to.max(from)),
        _ => Vec::new(),
    };
    features.retain(|f| {
        let within_bbox = match (
            query.bbox,
            f.geometry.as_ref().and_then(|g| g.bounding_rect()),
        ) {
            (Some(bbox), Some(extent)) => {
                bbox.intersects(&extent) && f.geometry.as_ref().is_some_and(|g| g.intersects(&bbox))
            }
            _ => true,
        };
        let within_time = match (layer.time_fields(), query.time) {
            (Some((start, end)), Some((from, to))) => {
                f.properties[end].as_i64().is_some_and(|e| e >= from)
                    && f.properties[start].as_i64().is_some_and(|s| s <= to)
            }
            _ => true,
        };
        within_bbox
            && within_time
            && query
                .equals
                .iter()
                .all(|(name, value)| f.properties.get(name) == Some(value))
    });
    features.sort_by_key(|f| f.id);
    features
}
