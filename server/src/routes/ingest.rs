//! `POST /api/v1/ingest/ais`: NMEA lines as text/plain, role `ingest`.

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use coastwatch_datasets::ais::decoder::{Decoder, DecoderOptions};

use crate::auth::{Caller, Role};
use crate::error::AppError;
use crate::extract::read_body;
use crate::ingest::LineReport;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/ingest/ais", post(ais))
}

/// Decodes and stores the lines; answers once they are durable. Multi-sentence messages must
/// be whole within one request. 400 when no line of the body is usable AIS.
async fn ais(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<LineReport>, AppError> {
    caller.require(&[Role::Ingest])?;
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain");
    if !content_type.starts_with("text/") {
        return Err(AppError::UnsupportedMediaType(format!(
            "expected text/plain NMEA lines, got {content_type}"
        )));
    }
    let body = read_body(request, &()).await?;
    let mut decoder = Decoder::new(DecoderOptions::default());
    let report = state
        .ingest
        .lines("http", &mut decoder, &body)
        .await
        .map_err(AppError::Internal)?;
    if report.decoded == 0 && report.errors > 0 {
        return Err(AppError::BadRequest(
            format!(
                "no AIS message could be decoded from {} lines",
                report.lines
            ),
            Some(serde_json::json!({ "problems": report.problems })),
        ));
    }
    Ok(Json(report))
}
