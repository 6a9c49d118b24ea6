//! `/healthz`, `/metrics`, `/openapi.json` and `/style.json`.
//!
//! What each shows when reads are closed (`auth.open_reads = false`) to a caller without a
//! read token:
//! - `/healthz` answers, so that load balancers and probes need no token, but only
//!   `{"status": "ok"}` (or `"store_unavailable"` with 503): the store's location and error,
//!   counts and version are for readers.
//! - `/metrics` needs a read token (Prometheus sends one with `authorization`): its counters
//!   tell how much data and traffic there is.
//! - `/openapi.json` and `/style.json` stay open: they describe the API and the map's look
//!   (layer names, colours, tile URLs) and hold no data; the data behind them needs a token.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::BaseUrl;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/api/v1/vision/cameras", get(cameras))
        .route("/api/v1/vision/cameras/{id}/frame.jpg", get(camera_frame))
        .route("/style.json", get(style))
}

/// Liveness and store health: 503 while the store cannot write (disk full, database down), as
/// the ingest writer last found it, so that a load balancer or a supervisor sees it. It reads
/// nothing from the store: it answers at once however busy the store's pool is. The details
/// (the store's error and location, the version) only for callers who may read.
async fn healthz(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::response::Response, AppError> {
    let reader = caller.require_read().is_ok();
    if let Some(reason) = state.ingest.store_failure() {
        let body = if reader {
            json!({ "status": "store_unavailable", "store_error": reason })
        } else {
            json!({ "status": "store_unavailable" })
        };
        return Ok((axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response());
    }
    if !reader {
        return Ok(Json(json!({ "status": "ok" })).into_response());
    }
    let cameras: serde_json::Map<String, Value> = state
        .cameras
        .statuses()
        .into_iter()
        .map(|c| (c.id, json!(c.state)))
        .collect();
    Ok(Json(json!({ "status": "ok", "store": state.store.describe(), "version": env!("CARGO_PKG_VERSION"), "cameras": cameras }))
    .into_response())
}

/// The cameras the video core runs: state, last error, frame counts (never their URLs, which
/// carry passwords); a read token is needed when reads are closed.
async fn cameras(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, AppError> {
    caller.require_read()?;
    Ok(Json(json!({ "cameras": state.cameras.statuses() })))
}

/// `GET /api/v1/vision/cameras/{id}/frame.jpg`: the camera's latest frame (404 before the
/// first).
async fn camera_frame(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<axum::response::Response, AppError> {
    caller.require_read()?;
    let frame = state
        .cameras
        .latest_frame(&id)
        .ok_or_else(|| AppError::NotFound(format!("camera {id:?} has no frame")))?;
    let jpeg = tokio::task::spawn_blocking(move || coastwatch_vision::snapshot::frame_jpeg(&frame))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        jpeg,
    )
        .into_response())
}

/// Prometheus metrics; a read token is needed when reads are closed.
async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, AppError> {
    caller.require_read()?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    ))
}

/// The MapLibre style, with tile URLs under the base URL (see [`BaseUrl`]); open to all.
async fn style(BaseUrl(base): BaseUrl) -> Json<Value> {
    Json(coastwatch_style::style(&base))
}

/// The OpenAPI document; open to all.
async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::document(&state.config))
}
