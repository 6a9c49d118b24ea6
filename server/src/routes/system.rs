//! `/healthz`, `/metrics` and `/openapi.json`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use coastwatch_spatial::{Layer, store::Query};
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/style.json", get(style))
}

/// Liveness and store reachability: 503 with the reason while the store cannot write
/// (disk full, database down), so that a load balancer or a supervisor sees it.
async fn healthz(State(state): State<AppState>) -> Result<axum::response::Response, AppError> {
    if let Some(reason) = state.ingest.store_failure() {
        let body = json!({ "status": "store_unavailable", "store_error": reason });
        return Ok((axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response());
    }
    let risk_points = state
        .store
        .count(Layer::RiskPoints, &Query::default())
        .await?;
    Ok(Json(
        json!({ "status": "ok", "store": state.store.describe(), "risk_points": risk_points, "version": env!("CARGO_PKG_VERSION") }),
    )
    .into_response())
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// The MapLibre style, with tile URLs on the host the client used.
async fn style(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Json<Value> {
    Json(coastwatch_style::style(&crate::extract::base_url(
        state.config.server.public_url.as_deref(),
        &headers,
    )))
}

async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::document(&state.config))
}
