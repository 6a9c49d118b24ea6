//! Layers answered from the in-memory engine instead of the store: `vessels` (latest
//! positions), `vessel_tracks` (the track window of each vessel), `vehicle_routes` (the
//! route window of each vehicle) and `ais_density` (fixes held per H3 cell).

use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use coastwatch_store::Query;
use geo::{BoundingRect, Coord, Intersects, LineString, Polygon, Rect};
use h3o::{CellIndex, Resolution};
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
///
/// Features are built one at a time in id order and only the page's are kept, so memory
/// grows with the page, not the layer. `vessels` without attribute filters are counted from
/// the engine's index without building their features at all.
pub fn page(state: &AppState, layer: Layer, query: &Query) -> (u64, Vec<Feature>) {
    let mut pager = Pager::new(query);
    let (from, to) = query
        .time
        .map_or((f64::MIN, f64::MAX), |(a, b)| (a as f64, b as f64));
    match layer {
        Layer::Vessels | Layer::VesselTracks => {
            let engine = state.ingest.picture().vessels();
            let mut mmsis: Vec<_> = match (layer, query.bbox) {
                (Layer::Vessels, Some(bbox)) => engine.in_bbox(bbox).map(|v| v.mmsi).collect(),
                _ => engine.iter().map(|v| v.mmsi).collect(),
            };
            mmsis.sort_unstable();
            let vessels = mmsis.into_iter().filter_map(|m| engine.get(m));
            if layer == Layer::Vessels && query.equals.is_empty() {
                // the index matched the bbox; the time is the latest fix's
                for vessel in vessels {
                    let Some(fix) = vessel.latest() else {
                        continue;
                    };
                    let seen = fix.t_epoch_s.floor() as i64;
                    if query
                        .time
                        .is_none_or(|(from, to)| (from..=to).contains(&seen))
                    {
                        pager.count_with(|| vessel.to_feature());
                    }
                }
            } else {
                for vessel in vessels {
                    let feature = match layer {
                        Layer::Vessels => vessel.to_feature(),
                        _ => vessel.track_feature(from, to.max(from)),
                    };
                    pager.offer(feature.filter(|f| keeps(layer, query, f)));
                }
            }
        }
        Layer::VehicleRoutes => {
            let vehicles = state.ingest.picture().vehicles();
            let mut all: Vec<_> = vehicles.iter().collect();
            all.sort_unstable_by_key(|v| v.feature_id);
            for vehicle in all {
                let feature = vehicle.route_feature(from, to.max(from));
                pager.offer(feature.filter(|f| keeps(layer, query, f)));
            }
        }
        Layer::AisDensity => {
            let mut cells: Vec<_> = {
                let engine = state.ingest.picture().vessels();
                engine.density(engine.resolution()).into_iter().collect()
            };
            cells.sort_unstable_by_key(|(cell, _)| u64::from(*cell));
            for (cell, count) in cells {
                let feature = density_feature(cell, count, query.bbox);
                pager.offer(feature.filter(|f| keeps(layer, query, f)));
            }
        }
        _ => {}
    }
    (pager.matched, pager.page)
}

/// A page gathered from matches that stream by in id order.
struct Pager {
    offset: u64,
    limit: u64,
    /// Matches seen so far.
    matched: u64,
    /// The matches from `offset` on, at most `limit`.
    page: Vec<Feature>,
}

impl Pager {
    fn new(query: &Query) -> Self {
        Self {
            offset: query.offset,
            limit: query.limit.unwrap_or(u64::MAX),
            matched: 0,
            page: Vec::new(),
        }
    }

    /// Counts a match, building it with `build` only when it falls on the page.
    fn count_with(&mut self, build: impl FnOnce() -> Option<Feature>) {
        if self.matched >= self.offset
            && (self.page.len() as u64) < self.limit
            && let Some(feature) = build()
        {
            self.page.push(feature);
        }
        self.matched += 1;
    }

    /// Counts `feature` when it is a match (`Some`), keeping it when it falls on the page.
    fn offer(&mut self, feature: Option<Feature>) {
        if let Some(feature) = feature {
            self.count_with(|| Some(feature));
        }
    }
}

/// One feature of a live layer (the id is the MMSI, or the vehicle's feature id).
pub fn get(state: &AppState, layer: Layer, id: FeatureId) -> Option<Feature> {
    if layer == Layer::VehicleRoutes {
        let vehicles = state.ingest.picture().vehicles();
        return vehicles
            .iter()
            .find(|v| v.feature_id == id)?
            .route_feature(f64::MIN, f64::MAX);
    }
    let engine = state.ingest.picture().vessels();
    let mmsi = coastwatch_core::model::Mmsi::try_from(id.get()).ok()?;
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
    let engine = state.ingest.picture().vessels();
    let resolution = resolution.map_or(engine.resolution(), |r| r.min(engine.resolution()));
    engine
        .density(resolution)
        .into_iter()
        .filter_map(|(cell, count)| density_feature(cell, count, bbox))
        .collect()
}

/// The `ais_density` feature of `cell`, unless it lies outside `bbox`.
fn density_feature(cell: CellIndex, count: u64, bbox: Option<Rect>) -> Option<Feature> {
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
    let feature =
        Feature::new(hexagon, json!({ "h3": cell.to_string(), "count": count })).with_id(id);
    Layer::AisDensity.validate(feature).ok()
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

/// Whether a built feature of `layer` passes the query's bbox, time and attribute filters.
fn keeps(layer: Layer, query: &Query, f: &Feature) -> bool {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pager_builds_only_the_page() {
        let query = Query {
            limit: Some(2),
            offset: 3,
            ..Query::default()
        };
        let mut pager = Pager::new(&query);
        let mut built = Vec::new();
        for n in 1..=10 {
            pager.count_with(|| {
                built.push(n);
                Some(Feature::new(geo::Point::new(0.0, 0.0), json!({ "n": n })))
            });
        }
        assert_eq!(pager.matched, 10);
        assert_eq!(built, [4, 5], "only the page's features are built");
        assert_eq!(pager.page.len(), 2);
        // far offsets count without keeping anything
        let mut far = Pager::new(&Query {
            offset: u64::MAX,
            ..Query::default()
        });
        far.offer(Some(Feature::new(geo::Point::new(0.0, 0.0), json!({}))));
        far.offer(None);
        assert_eq!((far.matched, far.page.len()), (1, 0));
    }
}
