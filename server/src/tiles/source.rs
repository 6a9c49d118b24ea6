//! The one tile builder: the layers of a source encoded as one MVT tile, live layers from the
//! engines, static ones from their copy in memory (`tiles::index`) or else from the store
//! (PostGIS encodes its own with `ST_AsMVT`). The HTTP route and `coastwatch tiles export` both
//! build through it.

use coastwatch_core::{Feature, Layer};
use coastwatch_store::{Query, Store, StoreError};
use coastwatch_tiles::mvt::{TileEncoder, Value};
use coastwatch_tiles::{TileCoord, mercator_m_to_lon_lat};
use geo::{Coord, Rect};

use crate::live;
use crate::state::AppState;

/// Tile buffer (of 4096 units) fetched around a tile so clipped shapes join up.
pub const BUFFER_FRACTION: f64 = 64.0 / 4096.0;

/// A tile whose encoding passed the size limit while it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    /// The limit it passed (bytes).
    pub limit: usize,
}

/// Encodes tile `coord` of `layers` (in that order: MVT layers concatenate) as MVT bytes;
/// an empty tile is an empty vector. The one tile builder of the HTTP route and of
/// `coastwatch tiles export`, which takes tiles of any size.
///
/// Store layers come from `store` (PostGIS encodes them itself with `ST_AsMVT`); the live
/// layers come from the engine of `live` when given, else from their stored copy (`ais_density`
/// has none). `window` (epoch s) limits the layers that have time.
pub async fn build_tile(
    store: &dyn Store,
    live: Option<&AppState>,
    layers: &[Layer],
    coord: TileCoord,
    window: Option<(i64, i64)>,
) -> Result<Vec<u8>, StoreError> {
    // nothing in memory is larger than usize::MAX bytes: the inner result is always Ok
    Ok(
        build_tile_within(store, live, layers, coord, window, TileLimits::NONE)
            .await?
            .unwrap_or_default(),
    )
}

/// What one tile may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileLimits {
    /// Bytes of the encoded tile; building stops past them ([`TooLarge`]).
    pub bytes: usize,
    /// Alerts in the tile: the newest ones. Alerts accumulate for ever (an AIS outage raises
    /// one per vessel), and a tile must not read them all.
    pub alerts: u64,
}

impl TileLimits {
    /// No limits (`coastwatch tiles export` writes whole layers).
    pub const NONE: Self = Self {
        bytes: usize::MAX,
        alerts: u64::MAX,
    };
}

/// [`build_tile`] within `limits`: it gives up with [`TooLarge`] as soon as the tile passes
/// `limits.bytes`, and takes only the newest `limits.alerts` alerts.
pub async fn build_tile_within(
    store: &dyn Store,
    live: Option<&AppState>,
    layers: &[Layer],
    coord: TileCoord,
    window: Option<(i64, i64)>,
    limits: TileLimits,
) -> Result<Result<Vec<u8>, TooLarge>, StoreError> {
    let max_bytes = limits.bytes;
    let too_large = Err(TooLarge { limit: max_bytes });
    let mut encoder = TileEncoder::new(coord);
    // layers the store encodes itself (PostGIS), appended after ours: MVT layers concatenate
    let mut from_store = Vec::new();
    for layer in layers {
        // the time window applies to the layers that have time
        let time = window.filter(|_| layer.time_fields().is_some());
        let alerts = *layer == Layer::Alerts;
        let query = Query {
            bbox: Some(buffered_bounds(coord)),
            time,
            limit: alerts.then_some(limits.alerts),
            newest_first: alerts,
            ..Query::default()
        };
        let features = match live.filter(|_| live::is_live(*layer)) {
            Some(state) if *layer == Layer::AisDensity => {
                let resolution = live::resolution_for_zoom(coord.z().get());
                live::density(state, Some(resolution), query.bbox)
            }
            Some(state) => live::page(state, *layer, &query).1,
            None if *layer == Layer::AisDensity => Vec::new(),
            None => {
                // a static layer held in memory (see `tiles::index`)
                let held = match live {
                    Some(state) if time.is_none() => {
                        let index = &state.tile_index;
                        index.layer(&state.store, &state.tile_cache, *layer).await?
                    }
                    _ => None,
                };
                if let Some(held) = held {
                    for feature in held.within(buffered_bounds(coord)) {
                        if let Err(error) = encoder.layer(layer.name()).add_feature_interned(
                            feature.id,
                            &feature.geometry,
                            &feature.tags,
                            held.tables(),
                        ) {
                            tracing::warn!(%layer, id = feature.id, %error, "feature left out of tile");
                        }
                        if encoder.size_hint().saturating_add(from_store.len()) > max_bytes {
                            return Ok(too_large);
                        }
                    }
                    continue;
                }
                let encoded = if alerts {
                    None
                } else {
                    store.mvt_layer(*layer, coord, time).await?
                };
                if let Some(bytes) = encoded {
                    from_store.extend(bytes);
                    if from_store.len() > max_bytes {
                        return Ok(too_large);
                    }
                    continue;
                }
                store.query(*layer, &query).await?
            }
        };
        for feature in &features {
            add(&mut encoder, *layer, feature);
            if encoder.size_hint().saturating_add(from_store.len()) > max_bytes {
                return Ok(too_large);
            }
        }
    }
    let mut bytes = encoder.encode();
    bytes.extend(from_store);
    if bytes.len() > max_bytes {
        return Ok(too_large);
    }
    Ok(Ok(bytes))
}

/// The tile's lon/lat bounds grown by the encoder's buffer.
fn buffered_bounds(coord: TileCoord) -> Rect {
    let m = coord.bounds_mercator_m();
    let pad = (m.max().x - m.min().x) * BUFFER_FRACTION;
    let min = mercator_m_to_lon_lat(Coord {
        x: m.min().x - pad,
        y: m.min().y - pad,
    });
    let max = mercator_m_to_lon_lat(Coord {
        x: m.max().x + pad,
        y: m.max().y + pad,
    });
    Rect::new(
        Coord {
            x: min.x.max(-180.0),
            y: min.y.max(-90.0),
        },
        Coord {
            x: max.x.min(180.0),
            y: max.y.min(90.0),
        },
    )
}

fn add(encoder: &mut TileEncoder, layer: Layer, feature: &Feature) {
    let Some(geometry) = &feature.geometry else {
        return;
    };
    let properties = feature
        .properties
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), tile_value(v)?)));
    let id = feature.id.map(|id| id.get() as u64);
    if let Err(error) = encoder
        .layer(layer.name())
        .add_feature(id, geometry, properties)
    {
        tracing::warn!(%layer, ?id, %error, "feature left out of tile");
    }
}

/// A property as a tile holds it: arrays and objects as JSON text; nulls left out.
pub(crate) fn tile_value(json: &serde_json::Value) -> Option<Value> {
    match json {
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            Some(Value::String(json.to_string()))
        }
        other => Value::from_json(other),
    }
}
