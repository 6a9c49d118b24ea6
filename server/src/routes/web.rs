//! The dispatcher's web map: `GET /` (the page; `GET /inspect` the grid officers' inspection
//! page of the same bundle) and `GET /assets/{*path}` (its bundle, embedded
//! in the binary by `coastwatch-style`; nothing is fetched from elsewhere at run time).

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::error::AppError;
use crate::state::AppState;

/// Asset files are named after a hash of their content: they never change under one name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        // the grid officers' inspection page (the same bundle, another view)
        .route("/inspect", get(index))
        .route("/assets/{*path}", get(asset))
}

/// The page; revalidated on every load so a new binary's bundle is picked up at once.
async fn index() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        coastwatch_style::index_html(),
    )
}

async fn asset(Path(path): Path<String>) -> Result<impl IntoResponse, AppError> {
    let (bytes, content_type) = coastwatch_style::asset(&format!("assets/{path}"))
        .ok_or_else(|| AppError::NotFound(format!("no web asset {path:?}")))?;
    Ok((
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, IMMUTABLE)],
        bytes,
    ))
}
