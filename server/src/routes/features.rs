//! Features CRUD in GeoJSON: `/api/v1/{layer}` and `/api/v1/{layer}/{id}` for the editable
//! layers (`risk_points`, `cameras`, `geofences`, `vehicles`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use coastwatch_spatial::model::FeatureId;
use coastwatch_spatial::{BodyError, Feature, Layer, store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Caller, Role};
use crate::error::AppError;
use crate::extract::{JsonBody, parse_bbox};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/{layer}", get(list).post(create))
        .route(
            "/api/v1/{layer}/{id}",
            get(read).put(replace).delete(remove),
        )
}

/// The roles that may write `layer`.
pub fn write_roles(layer: Layer) -> &'static [Role] {
    match layer {
        Layer::RiskPoints | Layer::Cameras => &[Role::Planner],
        Layer::Geofences => &[Role::Planner, Role::Dispatcher],
        Layer::Vehicles => &[Role::Dispatcher],
        _ => &[],
    }
}

fn editable_layer(name: &str) -> Result<Layer, AppError> {
    name.parse::<Layer>()
        .ok()
        .filter(|l| l.editable())
        .ok_or_else(|| {
            let editable: Vec<_> = Layer::ALL
                .iter()
                .filter(|l| l.editable())
                .map(|l| l.name())
                .collect();
            AppError::NotFound(format!(
                "no editable layer {name:?}; editable layers: {}",
                editable.join(", ")
            ))
        })
}

fn feature_id(text: &str) -> Result<FeatureId, AppError> {
    text.parse()
        .map_err(|e: coastwatch_spatial::ModelError| AppError::bad_request(e.to_string()))
}

/// Query parameters of a listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    bbox: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(layer): Path<String>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    caller.require_read()?;
    let layer = editable_layer(&layer)?;
    let Query(params) = params.map_err(|e| AppError::bad_request(e.body_text()))?;
    let query = store::Query {
        bbox: params.bbox.as_deref().map(parse_bbox).transpose()?,
        limit: params.limit,
        offset: params.offset.unwrap_or(0),
        ..store::Query::default()
    };
    let features = state.store.query(layer, &query).await?;
    Ok(geojson_response(StatusCode::OK, collection(&features)))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(layer): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, AppError> {
    let layer = editable_layer(&layer)?;
    caller.require(write_roles(layer))?;
    let (features, single) = parse_features(body)?;
    let stored: Vec<Feature> = features
        .iter()
        .map(|f| Feature {
            id: None,
            ..f.clone()
        })
        .collect();
    let ids = state.store.insert(layer, stored).await?;
    state.layer_changed(layer).await?;
    let mut created = Vec::with_capacity(ids.len());
    for id in &ids {
        created.push(
            state
                .store
                .get(layer, *id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("{layer} {id} vanished after insert")))?,
        );
    }
    let mut response = if single {
        geojson_response(StatusCode::CREATED, created[0].to_geojson())
    } else {
        geojson_response(StatusCode::CREATED, collection(&created))
    };
    if single && let Ok(location) = format!("/api/v1/{layer}/{}", ids[0]).parse() {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller.require_read()?;
    let layer = editable_layer(&layer)?;
    let id = feature_id(&id)?;
    let feature = state
        .store
        .get(layer, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{layer} has no feature {id}")))?;
    Ok(geojson_response(StatusCode::OK, feature.to_geojson()))
}

async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path((layer, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, AppError> {
    let layer = editable_layer(&layer)?;
    caller.require(write_roles(layer))?;
    let id = feature_id(&id)?;
    let (mut features, single) = parse_features(body)?;
    if !single {
        return Err(AppError::bad_request(
            "PUT takes one GeoJSON Feature, not a FeatureCollection",
        ));
    }
    let feature = features.remove(0);
    if feature.id.is_some_and(|given| given != id) {
        return Err(AppError::bad_request(format!(
            "body id {} differs from the id {id} in the path",
            feature.id.map_or(0, FeatureId::get)
        )));
    }
    if !state.store.replace(layer, id, feature).await? {
        return Err(AppError::NotFound(format!("{layer} has no feature {id}")));
    }
    state.layer_changed(layer).await?;
    let stored = state
        .store
        .get(layer, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{layer} has no feature {id}")))?;
    Ok(geojson_response(StatusCode::OK, stored.to_geojson()))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((layer, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let layer = editable_layer(&layer)?;
    caller.require(write_roles(layer))?;
    let id = feature_id(&id)?;
    if state.store.delete(layer, id).await? {
        state.layer_changed(layer).await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("{layer} has no feature {id}")))
    }
}

/// Parses a GeoJSON Feature or FeatureCollection body; `true` when it was a single Feature.
fn parse_features(body: Value) -> Result<(Vec<Feature>, bool), AppError> {
    Feature::from_geojson_body(body).map_err(|e| match e {
        BodyError::Feature { index, .. } => {
            AppError::BadRequest(e.to_string(), Some(json!({ "feature": index })))
        }
        e => AppError::bad_request(e.to_string()),
    })
}

/// A GeoJSON FeatureCollection of `features`.
pub fn collection(features: &[Feature]) -> Value {
    json!({ "type": "FeatureCollection", "features": features.iter().map(Feature::to_geojson).collect::<Vec<_>>() })
}

/// A JSON response with the GeoJSON media type.
pub fn geojson_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        Json(body),
    )
        .into_response()
}
