//! Vector tiles in martin's URL shape: `/tiles/catalog`, `/tiles/{source}` (TileJSON 3.0.0)
//! and `/tiles/{source}/{z}/{x}/{y}` (MVT). A source is a layer name or a comma-separated
//! list of them (a composite tile). Empty tiles answer 204; tiles carry a strong ETag per
//! encoding and come gzip-compressed when the client accepts it.
//!
//! A composite source is normalised: its layers deduplicated and put in [`Layer::ALL`] order,
//! so `a,b`, `b,a` and `a,a,b` are the same tile. At most `server.max_tile_layers` distinct
//! layers are accepted, and a tile whose encoding passes `server.max_tile_bytes` is refused
//! with 400 (building stops there).
//!
//! Tiles of sources made only of static layers ([`crate::tiles::cache::STATIC_LAYERS`]) are
//! kept in the [`crate::tiles::cache::TileCache`] and rebuilt after a write to one of their
//! layers; [`crate::tiles::build_tile`] is the one tile builder, shared with `coastwatch tiles
//! export`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use coastwatch_core::Layer;
use coastwatch_tiles::TileCoord;
use coastwatch_tiles::tilejson::{TileJson, VectorLayer};
use serde_json::{Map, json};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::BaseUrl;
use crate::live;
use crate::state::AppState;
use crate::tiles::cache::EncodedTile;
use crate::tiles::{TileLimits, TooLarge, build_tile_within};

/// Response header telling whether a static tile came from the tile cache (`hit`) or was
/// built (`miss`); absent for sources that are not cached.
pub const X_TILE_CACHE: HeaderName = HeaderName::from_static("x-tile-cache");
/// Highest zoom offered in TileJSON.
const MAX_ZOOM: u8 = 22;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tiles/catalog", get(catalog))
        .route("/tiles/{source}", get(tilejson))
        .route("/tiles/{source}/{z}/{x}/{y}", get(tile))
}

/// The layers of a source: deduplicated, in [`Layer::ALL`] order, at most `max` of them.
fn sources(text: &str, max: usize) -> Result<Vec<Layer>, AppError> {
    let named = text
        .split(',')
        .map(|name| {
            name.parse::<Layer>()
                .map_err(|e| AppError::NotFound(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let layers = Layer::in_order(named);
    if layers.len() > max {
        return Err(AppError::bad_request(format!(
            "the source lists {} layers; a tile may combine at most {max} (server.max_tile_layers)",
            layers.len()
        )));
    }
    Ok(layers)
}

/// The normalised source text of `layers`.
fn source_name(layers: &[Layer]) -> String {
    layers
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(",")
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
    BaseUrl(base): BaseUrl,
    Path(source): Path<String>,
) -> Result<Json<TileJson>, AppError> {
    caller.require_read()?;
    let layers = sources(&source, state.config.server.max_tile_layers)?;
    let source = source_name(&layers);
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
    let layers = sources(&source, state.config.server.max_tile_layers)?;
    for layer in &layers {
        caller.require_layer(*layer)?;
    }
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
    let cache_control = if layers.iter().any(|l| live::is_live(*l)) {
        "public, max-age=5"
    } else {
        "public, max-age=300"
    };
    let limits = TileLimits {
        bytes: state.config.server.max_tile_bytes,
        alerts: state.config.server.max_tile_alerts,
    };
    let build = || async {
        match build_tile_within(
            state.store.as_ref(),
            Some(&state),
            &layers,
            coord,
            window,
            limits,
        )
        .await?
        {
            Ok(bytes) => Ok(bytes),
            Err(TooLarge { limit }) => Err(AppError::bad_request(format!(
                "tile {}/{}/{} of {} is larger than {limit} bytes (server.max_tile_bytes); \
                 ask for a higher zoom or fewer layers",
                coord.z().get(),
                coord.x(),
                coord.y(),
                source_name(&layers),
            ))),
        }
    };
    let cache = &state.tile_cache;
    let (tile, cached) = match cache.key(&layers, coord, window) {
        Some(key) => match cache.get(&key) {
            Some(tile) => (tile, Some("hit")),
            None => {
                // the generation before reading: a write meanwhile leaves the entry stale
                let generation = cache.generation(&key);
                let tile = Arc::new(EncodedTile::new(build().await?));
                if !tile.is_empty() {
                    tile.gzip();
                }
                cache.insert(key, generation, tile.clone());
                (tile, Some("miss"))
            }
        },
        None => (Arc::new(EncodedTile::served_once(build().await?)), None),
    };
    Ok(respond(&tile, &headers, cache_control, cached))
}

/// The response for `tile`: 204 when empty, 304 when the client's ETag matches, else the MVT
/// bytes, gzip-compressed when the client accepts it (each encoding has its own strong ETag).
fn respond(
    tile: &EncodedTile,
    headers: &HeaderMap,
    cache_control: &'static str,
    cached: Option<&'static str>,
) -> Response {
    let mut response = if tile.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let gzip = accepts_gzip(headers);
        let mut response = if etag_matches(headers, tile) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let body = if gzip { tile.gzip() } else { tile.raw() };
            let mut response = Body::from(body.clone()).into_response();
            let out = response.headers_mut();
            out.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-protobuf"),
            );
            if gzip {
                out.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        };
        let out = response.headers_mut();
        out.insert(ETAG, tile.etag(gzip).clone());
        out.insert(VARY, HeaderValue::from_static("accept-encoding"));
        response
    };
    let out = response.headers_mut();
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Some(cached) = cached {
        out.insert(X_TILE_CACHE, HeaderValue::from_static(cached));
    }
    response
}

/// Whether `Accept-Encoding` lets us send gzip (`gzip`, `x-gzip` or `*`, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            ["gzip", "x-gzip", "*"]
                .iter()
                .any(|c| coding.eq_ignore_ascii_case(c))
                && !refused
        })
}

/// Whether `If-None-Match` names either encoding of the tile (weak comparison, as RFC 9110
/// asks for this header) or is `*`.
fn etag_matches(headers: &HeaderMap, tile: &EncodedTile) -> bool {
    let (raw, gzip) = (tile.etag(false).as_bytes(), tile.etag(true).as_bytes());
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| {
            let t = t.trim();
            t.strip_prefix("W/").unwrap_or(t).as_bytes()
        })
        .any(|t| t == b"*" || t == raw || t == gzip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_deduplicated_sorted_and_capped() {
        let layers = sources("geofences,risk_points,geofences,risk_points", 2).unwrap();
        assert_eq!(layers, [Layer::RiskPoints, Layer::Geofences]);
        assert_eq!(source_name(&layers), "risk_points,geofences");
        let many = vec!["coastline"; 1000].join(",");
        assert_eq!(sources(&many, 1).unwrap(), [Layer::Coastline]);
        let all: Vec<&str> = Layer::ALL.iter().map(|l| l.name()).collect();
        assert_eq!(
            sources(
                &all.join(","),
                crate::config::ServerConfig::default().max_tile_layers
            )
            .unwrap()
            .len(),
            Layer::ALL.len(),
            "every layer once is within the default"
        );
        assert!(
            sources("risk_points,cameras,areas", 2)
                .unwrap_err()
                .to_string()
                .contains("server.max_tile_layers")
        );
        assert!(matches!(
            sources("risk_points,boats", 2),
            Err(AppError::NotFound(_))
        ));
    }
}
