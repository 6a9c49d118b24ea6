//! OGC API – Features, Part 1: Core, with GeoJSON: `/ogc`, `/ogc/conformance`,
//! `/ogc/collections[/{layer}[/items[/{id}]]]`. Every layer is a collection.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use coastwatch_core::layer::FieldType;
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use coastwatch_store as store;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{BaseUrl, page_bounds, parse_bbox};
use crate::live;
use crate::routes::features::geojson_response;
use crate::state::AppState;

/// Items per page when the client does not say (the largest is `server.max_page_features`).
const DEFAULT_LIMIT: u64 = 100;

const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(landing))
        .route("/ogc/", get(landing))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/collections", get(collections))
        .route("/ogc/collections/{layer}", get(collection))
        .route("/ogc/collections/{layer}/items", get(items))
        .route("/ogc/collections/{layer}/items/{id}", get(item))
}

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": ty, "title": title })
}

fn layer_named(name: &str) -> Result<Layer, AppError> {
    name.parse::<Layer>()
        .map_err(|e| AppError::NotFound(e.to_string()))
}

/// Only `f=json` (and the named parameters) are understood; anything else is a 400, as the
/// standard asks.
fn check_params(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), AppError> {
    for (key, value) in params {
        if key == "f" {
            if !matches!(value.as_str(), "json" | "geojson") {
                return Err(AppError::bad_request(format!(
                    "format f={value} is not offered; use f=json"
                )));
            }
        } else if !allowed.contains(&key.as_str()) {
            return Err(AppError::bad_request(format!(
                "unknown query parameter {key:?}; this resource takes {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// The checks of a read without query parameters.
fn plain_read(caller: &Caller, params: &HashMap<String, String>) -> Result<(), AppError> {
    caller.require_read()?;
    check_params(params, &[])
}

async fn landing(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    plain_read(&caller, &params)?;
    Ok(Json(json!({
        "title": format!("coastwatch — {}", state.config.district.name),
        "description": "Coastal anti-smuggling monitoring layers: risk points, cameras, coverage, geofences, vessels, vehicles, alerts.",
        "links": [
            link(format!("{base}/ogc"), "self", "application/json", "this document"),
            link(format!("{base}/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the API definition"),
            link(format!("{base}/ogc/conformance"), "conformance", "application/json", "conformance classes"),
            link(format!("{base}/ogc/collections"), "data", "application/json", "the layers"),
        ]
    })))
}

async fn conformance(
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    caller.require_read()?;
    check_params(&params, &[])?;
    Ok(Json(json!({ "conformsTo": CONFORMANCE })))
}

fn describe(state: &AppState, base: &str, layer: Layer) -> Value {
    let [w, s, e, n] = state.config.district.bbox;
    let queryables: serde_json::Map<String, Value> = layer
        .fields()
        .iter()
        .map(|f| (f.name.to_owned(), Value::from(f.ty.json_name())))
        .collect();
    let mut extent = json!({ "spatial": { "bbox": [[w, s, e, n]], "crs": CRS84 } });
    if layer.time_fields().is_some() {
        extent["temporal"] = json!({ "interval": [[null, null]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian" });
    }
    json!({
        "id": layer.name(),
        "title": layer.name(),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "properties": queryables,
        "links": [
            link(format!("{base}/ogc/collections/{layer}"), "self", "application/json", "this collection"),
            link(format!("{base}/ogc/collections/{layer}/items"), "items", "application/geo+json", "the features"),
            link(format!("{base}/tiles/{layer}"), "related", "application/json", "vector tiles (TileJSON)"),
        ]
    })
}

async fn collections(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    plain_read(&caller, &params)?;
    let list: Vec<Value> = Layer::ALL
        .iter()
        .map(|l| describe(&state, &base, *l))
        .collect();
    Ok(Json(json!({
        "links": [link(format!("{base}/ogc/collections"), "self", "application/json", "this document")],
        "collections": list,
    })))
}

async fn collection(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    plain_read(&caller, &params)?;
    let layer = layer_named(&layer)?;
    Ok(Json(describe(&state, &base, layer)))
}

async fn items(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let layer = layer_named(&layer)?;
    caller.require_layer(layer)?;
    let filterable: Vec<&str> = layer
        .fields()
        .iter()
        .filter(|f| f.ty != FieldType::Json)
        .map(|f| f.name)
        .collect();
    let mut allowed = vec!["bbox", "limit", "offset", "datetime", "bbox-crs"];
    allowed.extend(&filterable);
    check_params(&params, &allowed)?;

    let (limit, offset) = page_bounds(
        params.get("limit").map(String::as_str),
        params.get("offset").map(String::as_str),
        DEFAULT_LIMIT,
        state.config.server.max_page_features,
    )?;
    if let Some(crs) = params.get("bbox-crs").filter(|c| c.as_str() != CRS84) {
        return Err(AppError::bad_request(format!(
            "bbox-crs {crs} is not supported; use {CRS84}"
        )));
    }
    let mut equals = Vec::new();
    for name in filterable {
        if let Some(text) = params.get(name) {
            let field = layer.field(name).expect("listed above");
            let value = match field.ty {
                FieldType::Integer => text
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| AppError::bad_request(format!("{name} must be an integer")))?,
                FieldType::Real => text
                    .parse::<f64>()
                    .map(Value::from)
                    .map_err(|_| AppError::bad_request(format!("{name} must be a number")))?,
                FieldType::Bool => text
                    .parse::<bool>()
                    .map(Value::from)
                    .map_err(|_| AppError::bad_request(format!("{name} must be true or false")))?,
                _ => Value::from(text.as_str()),
            };
            equals.push((name.to_owned(), value));
        }
    }
    let query = store::Query {
        bbox: params.get("bbox").map(|b| parse_bbox(b)).transpose()?,
        time: params
            .get("datetime")
            .map(|d| parse_datetime(d))
            .transpose()?,
        equals,
        limit: Some(limit),
        offset,
        newest_first: false,
    };
    if query.time.is_some() && layer.time_fields().is_none() {
        return Err(AppError::bad_request(format!(
            "{layer} has no time attribute; datetime cannot filter it"
        )));
    }
    let (matched, features) = if live::is_live(layer) {
        live::page(&state, layer, &query)
    } else {
        (
            state.store.count(layer, &query).await?,
            state.store.query(layer, &query).await?,
        )
    };

    let page_url = |offset: u64| {
        let mut pairs: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| *k != "offset" && *k != "limit")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("limit".into(), limit.to_string()));
        pairs.push(("offset".into(), offset.to_string()));
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        format!("{base}/ogc/collections/{layer}/items?{}", query.join("&"))
    };
    let mut links = vec![
        link(
            page_url(offset),
            "self",
            "application/geo+json",
            "this page",
        ),
        link(
            format!("{base}/ogc/collections/{layer}"),
            "collection",
            "application/json",
            "the collection",
        ),
    ];
    if offset + (features.len() as u64) < matched {
        links.push(link(
            page_url(offset + limit),
            "next",
            "application/geo+json",
            "next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            "application/geo+json",
            "previous page",
        ));
    }
    let body = json!({
        "type": "FeatureCollection",
        "features": features.iter().map(Feature::to_geojson).collect::<Vec<_>>(),
        "numberMatched": matched,
        "numberReturned": features.len(),
        "timeStamp": now_rfc3339(),
        "links": links,
    });
    Ok(geojson_response(StatusCode::OK, body))
}

async fn item(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((layer, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    plain_read(&caller, &params)?;
    let layer = layer_named(&layer)?;
    caller.require_layer(layer)?;
    let id: FeatureId = id
        .parse()
        .map_err(|_| AppError::NotFound(format!("{layer} has no feature {id:?}")))?;
    let feature = if live::is_live(layer) {
        live::get(&state, layer, id)
    } else {
        state.store.get(layer, id).await?
    };
    let feature =
        feature.ok_or_else(|| AppError::NotFound(format!("{layer} has no feature {id}")))?;
    let mut body = feature.to_geojson();
    body["links"] = json!([
        link(
            format!("{base}/ogc/collections/{layer}/items/{id}"),
            "self",
            "application/geo+json",
            "this feature"
        ),
        link(
            format!("{base}/ogc/collections/{layer}"),
            "collection",
            "application/json",
            "the collection"
        ),
    ]);
    Ok(geojson_response(StatusCode::OK, body).into_response())
}

/// Parses an RFC 3339 instant or interval (`a/b`, either end `..` or empty) into epoch seconds.
fn parse_datetime(text: &str) -> Result<(i64, i64), AppError> {
    let instant = |part: &str, open: i64| -> Result<i64, AppError> {
        if part.is_empty() || part == ".." {
            return Ok(open);
        }
        part.parse::<jiff::Timestamp>()
            .map(|t| t.as_second())
            .map_err(|e| {
                AppError::bad_request(format!("datetime {part:?} is not an RFC 3339 time: {e}"))
            })
    };
    match text.split_once('/') {
        Some((from, to)) => {
            let (from, to) = (instant(from, i64::MIN)?, instant(to, i64::MAX)?);
            if from > to {
                return Err(AppError::bad_request(format!(
                    "datetime interval {text:?} ends before it starts"
                )));
            }
            Ok((from, to))
        }
        None => {
            let t = instant(text, 0)?;
            Ok((t, t))
        }
    }
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| String::new(), |t| t.to_string())
}

fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(
            parse_datetime("2026-01-01T00:00:00Z").unwrap(),
            (1_767_225_600, 1_767_225_600)
        );
        assert_eq!(
            parse_datetime("../2026-01-01T00:00:00Z").unwrap().0,
            i64::MIN
        );
        assert!(parse_datetime("2026-02-01T00:00:00Z/2026-01-01T00:00:00Z").is_err());
        assert!(parse_datetime("yesterday").is_err());
    }
}
