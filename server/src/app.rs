//! The HTTP application: every route, middleware and the fallback.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::routes;
use crate::state::AppState;

/// The whole HTTP application over `state`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.server.body_limit_bytes;
    Router::new()
        .merge(routes::system::router())
        .merge(routes::web::router())
        .merge(routes::features::router())
        .merge(routes::ogc::router())
        .merge(routes::ingest::router())
        .merge(routes::tiles::router())
        .merge(routes::alerts::router())
        .merge(routes::command::router())
        .merge(routes::watchlist::router())
        .merge(routes::coverage::router())
        .fallback(|| async { AppError::NotFound("no such route; see /openapi.json".into()) })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(middleware::map_response(stamp_time))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            state.config.server.body_timeout_s,
        )))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            crate::cors::Cors::new(&state.config.server),
            crate::cors::cors,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Tells clients the server's clock (`X-Coastwatch-Time`, epoch s): it runs fast in the demo,
/// and the web map asks for tracks relative to it.
async fn stamp_time(mut response: axum::response::Response) -> axum::response::Response {
    let now = format!("{:.3}", crate::clock::now_epoch_s());
    if let Ok(value) = now.parse() {
        response.headers_mut().insert("x-coastwatch-time", value);
    }
    response
}
