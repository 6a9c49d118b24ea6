//! Ingest over HTTP, role `ingest`: `POST /api/v1/ingest/ais` (NMEA lines as text/plain)
//! and `POST /api/v1/ingest/positions` (vehicle GPS fixes as a JSON array).

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_core::engine::{CheckedFix, VehicleFix};

use crate::auth::{Caller, Role};
use crate::clock::now_epoch_s;
use crate::error::AppError;
use crate::extract::{BodyKind, BodyLimit, check_text, json_body, read_body};
use crate::ingest::{FeedLimits, LineReport, Update};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ingest/ais", post(ais))
        .route("/api/v1/ingest/positions", post(positions))
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
    let body = read_body(
        request,
        BodyLimit::of(&state.config.server, BodyKind::Ingest),
    )
    .await?;
    let mut decoder = Decoder::new(DecoderOptions::default());
    let report = state.ingest.lines("http", &mut decoder, &body).await?;
    if report.decoded == report.dropped && report.errors + report.dropped > 0 {
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

/// Checks one fix against its ranges and the server's clock; the engine check (known
/// vehicle, newer than its latest fix) comes after.
fn checked(fix: VehicleFix, now: f64, limits: &FeedLimits) -> Result<Update, String> {
    let CheckedFix {
        vehicle_id,
        sample,
        heading_deg,
    } = fix.check().map_err(|e| e.to_string())?;
    let t = sample.t;
    if t > now + limits.max_future_s {
        return Err(format!(
            "t {t} is {:.0} s in the future (ais.max_future_s: {})",
            t - now,
            limits.max_future_s
        ));
    }
    if t < now - limits.max_age_s {
        return Err(format!(
            "t {t} is {:.0} s in the past (ais.max_age_s: {})",
            now - t,
            limits.max_age_s
        ));
    }
    Ok(Update::Vehicle {
        vehicle_id,
        sample,
        heading_deg,
    })
}

/// Stores a batch of vehicle fixes, all or nothing: every fix must name a registered
/// vehicle, lie in range, not be in the future, and be newer than the vehicle's previous
/// fix (in the store or earlier in the batch). Answers once the fixes are durable.
async fn positions(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<serde_json::Value>, AppError> {
    caller.require(&[Role::Ingest])?;
    let server = &state.config.server;
    let body = json_body(request, BodyLimit::of(server, BodyKind::Ingest)).await?;
    let text_chars = server.body_limits.text_chars;
    let serde_json::Value::Array(items) = body else {
        return Err(AppError::bad_request(
            "expected a JSON array of {vehicle_id, t, lon, lat, speed_kmh?, heading_deg?}",
        ));
    };
    let now = now_epoch_s();
    let mut updates = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    {
        let vehicles = state.ingest.picture().vehicles();
        let mut latest: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
        for (index, item) in items.into_iter().enumerate() {
            let update = serde_json::from_value::<VehicleFix>(item)
                .map_err(|e| e.to_string())
                .and_then(|fix| {
                    check_text("vehicle_id", &fix.vehicle_id, text_chars)
                        .map_err(|e| e.to_string())?;
                    checked(fix, now, &state.ingest.limits)
                })
                .and_then(|update| {
                    let Update::Vehicle { vehicle_id, sample, .. } = &update else {
                        unreachable!("checked() makes vehicle updates")
                    };
                    match latest.get(vehicle_id) {
                        Some(&previous) if sample.t <= previous => Err(format!(
                            "fix at {} is not newer than the vehicle's fix at {previous} earlier in the batch",
                            sample.t
                        )),
                        _ => vehicles.check(vehicle_id, sample.t).map_err(|e| e.to_string()),
                    }?;
                    latest.insert(vehicle_id.clone(), sample.t);
                    Ok(update)
                });
            match update {
                Ok(update) => updates.push(update),
                Err(error) => problems.push(serde_json::json!({ "index": index, "error": error })),
            }
        }
    }
    if !problems.is_empty() {
        return Err(AppError::BadRequest(
            format!(
                "{} of the fixes are refused; nothing was stored",
                problems.len()
            ),
            Some(serde_json::json!({ "problems": problems })),
        ));
    }
    let accepted = updates.len();
    state.ingest.submit(updates).await?;
    Ok(Json(serde_json::json!({ "accepted": accepted })))
}
