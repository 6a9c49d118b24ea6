//! Features CRUD in GeoJSON: `/api/v1/{layer}` and `/api/v1/{layer}/{id}` for the editable
//! layers (`risk_points`, `cameras`, `geofences`, `vehicles`).
//!
//! Limits: a listing returns at most `server.max_page_features` features (also its default
//! page); a written geometry has at most `server.max_geometry_vertices` vertices. Bodies are
//! parsed and validated on a blocking thread, and a write with many vertices is stored from
//! one too, so that checking a large fence (quadratic in its vertices) never holds an async
//! worker.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use coastwatch_core::model::FeatureId;
use coastwatch_core::{BodyError, Feature, Layer};
use coastwatch_store as store;
use geo::CoordsIter;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Caller, Role};
use crate::error::AppError;
use crate::extract::{BodyKind, BodyLimit, check_texts, json_body, page_bounds, parse_bbox};
use crate::state::AppState;

/// Above this many vertices in a body, the store write (which validates the geometries
/// again) runs on a blocking thread too.
const BLOCKING_VERTICES: usize = 1_000;

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
        .map_err(|e: coastwatch_core::ModelError| AppError::bad_request(e.to_string()))
}

/// Query parameters of a listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    bbox: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
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
    let max = state.config.server.max_page_features;
    let (limit, offset) = page_bounds(params.limit.as_deref(), params.offset.as_deref(), max, max)?;
    let query = store::Query {
        bbox: params.bbox.as_deref().map(parse_bbox).transpose()?,
        limit: Some(limit),
        offset,
        ..store::Query::default()
    };
    let features = state.store.query(layer, &query).await?;
    Ok(geojson_response(StatusCode::OK, collection(&features)))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(layer): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let layer = editable_layer(&layer)?;
    let user = caller.require(write_roles(layer))?;
    let (features, single, vertices) = read_features(&state, layer, request).await?;
    let stored: Vec<Feature> = features
        .into_iter()
        .map(|f| Feature { id: None, ..f })
        .collect();
    let (store, sent) = (state.store.clone(), stored.clone());
    let ids = off_runtime_if(vertices > BLOCKING_VERTICES, async move {
        store.insert(layer, sent).await
    })
    .await?;
    // stored from here on: nothing after this may turn the answer into an error (a client
    // would send the features again and store them twice)
    state.layer_written(layer).await;
    let mut created = Vec::with_capacity(ids.len());
    for (id, feature) in ids.iter().zip(stored) {
        created.push(match state.store.get(layer, *id).await {
            Ok(Some(read)) => read,
            _ => feature.with_id(*id),
        });
    }
    let edits = created.iter().map(|f| (f.id, None, Some(f)));
    audited(&state, &user.name, "create", layer, edits).await;
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
    request: Request,
) -> Result<Response, AppError> {
    let layer = editable_layer(&layer)?;
    let user = caller.require(write_roles(layer))?;
    let id = feature_id(&id)?;
    let (mut features, single, vertices) = read_features(&state, layer, request).await?;
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
    let before = state.store.get(layer, id).await?;
    let (store, sent) = (state.store.clone(), feature.clone());
    let replaced = off_runtime_if(vertices > BLOCKING_VERTICES, async move {
        store.replace(layer, id, feature).await
    })
    .await?;
    if !replaced {
        return Err(AppError::NotFound(format!("{layer} has no feature {id}")));
    }
    state.layer_written(layer).await;
    let stored = match state.store.get(layer, id).await {
        Ok(Some(read)) => read,
        _ => sent.with_id(id),
    };
    let edit = (Some(id), before.as_ref(), Some(&stored));
    audited(&state, &user.name, "replace", layer, [edit]).await;
    Ok(geojson_response(StatusCode::OK, stored.to_geojson()))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((layer, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let layer = editable_layer(&layer)?;
    let user = caller.require(write_roles(layer))?;
    let id = feature_id(&id)?;
    let before = state.store.get(layer, id).await?;
    if state.store.delete(layer, id).await? {
        state.layer_written(layer).await;
        audited(
            &state,
            &user.name,
            "delete",
            layer,
            [(Some(id), before.as_ref(), None)],
        )
        .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("{layer} has no feature {id}")))
    }
}

/// Appends edits of `layer` (id, before, after) to the audit log as `{layer}.{action}`. The
/// edits are stored already, in their own transaction: a failure here is logged, not
/// answered, since a client told of an error would send the edit again.
async fn audited<'a>(
    state: &AppState,
    user: &str,
    action: &str,
    layer: Layer,
    edits: impl IntoIterator<Item = (Option<FeatureId>, Option<&'a Feature>, Option<&'a Feature>)>,
) {
    let now = crate::clock::now_epoch_s().floor() as i64;
    let audit = edits
        .into_iter()
        .filter_map(|(id, before, after)| {
            Some(crate::command::audit(
                user,
                &format!("{layer}.{action}"),
                layer,
                id?,
                before.map(Feature::to_geojson),
                after.map(Feature::to_geojson),
                now,
            ))
        })
        .collect();
    let changes = store::Changes {
        audit,
        ..store::Changes::default()
    };
    if let Err(error) = state.store.commit(changes).await {
        tracing::error!(%layer, %error, "an edit is stored but not in the audit log");
    }
}

/// Reads a feature body for `layer` under `server.body_limits.features_bytes` (the caller's
/// role is checked before), then parses and validates it on a blocking thread: the features
/// (validated), whether it was a single Feature, and the number of vertices in all.
async fn read_features(
    state: &AppState,
    layer: Layer,
    request: Request,
) -> Result<(Vec<Feature>, bool, usize), AppError> {
    let server = &state.config.server;
    let body = json_body(request, BodyLimit::of(server, BodyKind::Features)).await?;
    let limits = Limits {
        vertices: server.max_geometry_vertices,
        text_chars: server.body_limits.text_chars,
    };
    tokio::task::spawn_blocking(move || {
        let (features, single) = parse_features(body, limits)?;
        let vertices = features
            .iter()
            .filter_map(|f| f.geometry.as_ref())
            .map(CoordsIter::coords_count)
            .sum();
        let features = features
            .into_iter()
            .enumerate()
            .map(|(i, f)| layer.validate(f).map_err(|e| invalid(i, e)))
            .collect::<Result<_, _>>()?;
        Ok((features, single, vertices))
    })
    .await
    .map_err(|e| AppError::Internal(format!("feature validation failed: {e}")))?
}

/// Runs `write` on a blocking thread when `blocking` (it then holds that thread, not an async
/// worker, while the store validates geometries), else right here.
async fn off_runtime_if<T: Send + 'static>(
    blocking: bool,
    write: impl Future<Output = Result<T, coastwatch_store::StoreError>> + Send + 'static,
) -> Result<T, AppError> {
    if !blocking {
        return Ok(write.await?);
    }
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(write))
        .await
        .map_err(|e| AppError::Internal(format!("store write failed: {e}")))?
        .map_err(AppError::from)
}

/// The 400 for feature `i` of a body.
fn invalid(i: usize, error: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(
        format!("feature {i}: {error}"),
        Some(json!({ "feature": i })),
    )
}

/// What one feature of a body may hold.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Vertices of its geometry (`server.max_geometry_vertices`).
    vertices: usize,
    /// Characters of a property string (`server.body_limits.text_chars`).
    text_chars: usize,
}

/// Parses a GeoJSON Feature or FeatureCollection body; `true` when it was a single Feature.
/// A geometry with more vertices or a property string with more characters than `limits`
/// is refused.
fn parse_features(body: Value, limits: Limits) -> Result<(Vec<Feature>, bool), AppError> {
    let (features, single) = Feature::from_geojson_body(body).map_err(|e| match e {
        BodyError::Feature { index, .. } => {
            AppError::BadRequest(e.to_string(), Some(json!({ "feature": index })))
        }
        e => AppError::bad_request(e.to_string()),
    })?;
    for (i, feature) in features.iter().enumerate() {
        let vertices = feature
            .geometry
            .as_ref()
            .map_or(0, CoordsIter::coords_count);
        if vertices > limits.vertices {
            return Err(invalid(
                i,
                format!(
                    "geometry has {vertices} vertices; at most {} are accepted (server.max_geometry_vertices)",
                    limits.vertices
                ),
            ));
        }
        for (key, value) in &feature.properties {
            check_texts(&format!("properties.{key}"), value, limits.text_chars)
                .map_err(|e| invalid(i, e))?;
        }
    }
    Ok((features, single))
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
