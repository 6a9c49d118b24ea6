//! Vector tiles in martin's URL shape: `/tiles/catalog`, `/tiles/{source}` (TileJSON 3.0.0)
//! and `/tiles/{source}/{z}/{x}/{y}` (MVT). A source is a layer name or a comma-separated
//! list of them (a composite tile). Empty tiles answer 204; tiles carry a strong ETag.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use coastwatch_spatial::store::Query;
use coastwatch_spatial::{Feature, Layer};
use coastwatch_tiles::mvt::{TileEncoder, Value};
use coastwatch_tiles::tilejson::{TileJson, VectorLayer};
use coastwatch_tiles::{TileCoord, mercator_m_to_lon_lat};
use geo::{Coord, Rect};
use serde_json::{Map, json};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::base_url;
use crate::live;
use crate::state::AppState;

/// Highest zoom offered in TileJSON.
const MAX_ZOOM: u8 = 22;
/// Tile buffer (of 4096 units) fetched around a tile so clipped shapes join up.
const BUFFER_FRACTION: f64 = 64.0 / 4096.0;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tiles/catalog", get(catalog))
        .route("/tiles/{source}", get(tilejson))
        .route("/tiles/{source}/{z}/{x}/{y}", get(tile))
}

fn sources(text: &str) -> Result<Vec<Layer>, AppError> {
    text.split(',')
        .map(|name| {
            name.parse::<Layer>()
                .map_err(|e| AppError::NotFound(e.to_string()))
        })
        .collect()
}

async fn catalog(caller: Caller) -> Result<Json<serde_json::Value>, AppError> {
    caller.require_read()?;
    let tiles: Map<String, serde_json::Value> = Layer::ALL
        .iter()
        .map(|l| (l.name().to_owned(), json!({ "content_type": "application/x-protobuf", "description": format!("{l} layer") })))
        .collect();
    Ok(Json(json!({ "tiles": tiles })))
}

async fn tilejson(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(source): Path<String>,
) -> Result<Json<TileJson>, AppError> {
    caller.require_read()?;
    let layers = sources(&source)?;
    let base = base_url(state.config.server.public_url.as_deref(), &headers);
    let mut doc = TileJson::new(vec![format!("{base}/tiles/{source}/{{z}}/{{x}}/{{y}}")]);
    doc.vector_layers = layers
        .iter()
        .map(|layer| {
            layer
                .fields()
                .iter()
                .fold(VectorLayer::new(layer.name()), |v, f| {
                    v.with_field(f.name, f.ty.json_name())
                })
        })
        .collect();
    let [w, s, e, n] = state.config.district.bbox;
    doc.bounds = Some([w, s, e, n]);
    doc.center = Some([(w + e) / 2.0, (s + n) / 2.0, 11.0]);
    doc.minzoom = Some(0);
    doc.maxzoom = Some(MAX_ZOOM);
    doc.name = Some(source);
    Ok(Json(doc))
}

/// `?from=&to=` (epoch s) limit track layers to a time window.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileParams {
    from: Option<i64>,
    to: Option<i64>,
}

async fn tile(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((source, z, x, y)): Path<(String, String, String, String)>,
    params: Result<axum::extract::Query<TileParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    caller.require_read()?;
    let layers = sources(&source)?;
    let axum::extract::Query(params) = params.map_err(|e| AppError::bad_request(e.body_text()))?;
    let window = match (params.from, params.to) {
        (None, None) => None,
        (from, to) => {
            let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
            if from > to {
                return Err(AppError::bad_request(format!(
                    "from {from} is after to {to}"
                )));
            }
            Some((from, to))
        }
    };
    let coord =
        TileCoord::from_path_parts(&z, &x, &y).map_err(|e| AppError::bad_request(e.to_string()))?;
    let mut encoder = TileEncoder::new(coord);
    // layers the store encodes itself (PostGIS), appended after ours: MVT layers concatenate
    let mut from_store = Vec::new();
    for layer in &layers {
        // the time window applies to the layers that have time
        let time = window.filter(|_| layer.time_fields().is_some());
        let query = Query {
            bbox: Some(buffered_bounds(coord)),
            time,
            ..Query::default()
        };
        let features = if *layer == Layer::AisDensity {
            let resolution = live::resolution_for_zoom(coord.z().get());
            live::density(&state, Some(resolution), query.bbox)
        } else if live::is_live(*layer) {
            live::page(&state, *layer, &query).1
        } else if let Some(bytes) = state
            .store
            .mvt_layer(*layer, coord.z().get(), coord.x(), coord.y(), time)
            .await?
        {
            from_store.extend(bytes);
            continue;
        } else {
            state.store.query(*layer, &query).await?
        };
        for feature in &features {
            add(&mut encoder, *layer, feature);
        }
    }
    let cache = if layers.iter().any(|l| live::is_live(*l)) {
        "public, max-age=5"
    } else {
        "public, max-age=300"
    };
    let mut bytes = encoder.encode();
    bytes.extend(from_store);
    if bytes.is_empty() {
        return Ok((StatusCode::NO_CONTENT, [(CACHE_CONTROL, cache)]).into_response());
    }
    let etag = format!("\"{:016x}\"", fnv1a(&bytes));
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag.as_str()), (CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (CONTENT_TYPE, "application/x-protobuf"),
            (ETAG, etag.as_str()),
            (CACHE_CONTROL, cache),
        ],
        Body::from(bytes),
    )
        .into_response())
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
    let properties = feature.properties.iter().filter_map(|(k, v)| {
        let value = match v {
            serde_json::Value::Null => return None,
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                Value::String(v.to_string())
            }
            other => Value::from_json(other)?,
        };
        Some((k.as_str(), value))
    });
    let id = feature.id.map(|id| id.get() as u64);
    if let Err(error) = encoder
        .layer(layer.name())
        .add_feature(id, geometry, properties)
    {
        tracing::warn!(%layer, ?id, %error, "feature left out of tile");
    }
}

/// FNV-1a over the tile bytes: a stable strong ETag.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
