//! Ingest over HTTP, role `ingest`: `POST /api/v1/ingest/ais` (NMEA lines as text/plain),
//! `POST /api/v1/ingest/positions` (vehicle GPS fixes as a JSON array) and
//! `POST /api/v1/ingest/detections` (camera tracks of external detectors, a JSON array).

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_core::Layer;
use coastwatch_core::engine::{CameraObservation, CheckedFix, Reading, VehicleFix};
use coastwatch_core::geodesy;
use coastwatch_core::identity::markings;
use coastwatch_core::model::{FeatureId, TrackClass};
use coastwatch_store::Query;
use serde::Deserialize;

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
        .route("/api/v1/ingest/detections", post(detections))
}

/// One observation of an external detector: a track of a camera, placed on the ground.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectionIn {
    /// The camera's `cameras` feature id.
    camera_id: i64,
    /// The detector's track id (unique for the camera).
    track_id: String,
    /// `vessel`, `person`, `vehicle` or `unknown`.
    class: TrackClass,
    /// Epoch seconds, or an RFC 3339 time.
    t: serde_json::Value,
    /// Longitude (deg).
    lon: f64,
    /// Latitude (deg).
    lat: f64,
    /// Detection score, 0–1 (default 1).
    #[serde(default)]
    score: Option<f32>,
    /// One standard deviation of the range from the camera (m); default 10 % of the range.
    #[serde(default)]
    range_sigma_m: Option<f64>,
    /// One standard deviation of the bearing (deg); default 0.5.
    #[serde(default)]
    bearing_sigma_deg: Option<f64>,
    /// What the detector's OCR read on the track so far (a hull number, a name, a plate).
    #[serde(default)]
    reading: Option<ReadingIn>,
}

/// A track's reading as an external detector sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingIn {
    /// The marking its reads agreed on; absent when they found none.
    #[serde(default)]
    text: Option<String>,
    /// How sure the vote is, 0–1.
    confidence: f32,
    /// Crops read (at least 1).
    reads: u32,
}

/// Most crops one reading may stand for.
const MAX_READS: u32 = 1000;

/// Checks one detection: values in range, time within the feed limits, a known camera.
fn detection(
    item: DetectionIn,
    cameras: &HashMap<i64, [f64; 2]>,
    now: f64,
    limits: &FeedLimits,
    text_chars: usize,
) -> Result<CameraObservation, String> {
    check_text("track_id", &item.track_id, text_chars).map_err(|e| e.to_string())?;
    if item.track_id.trim().is_empty() {
        return Err("track_id must not be empty".into());
    }
    // the same checks as a vehicle fix: time, position
    let fix = VehicleFix {
        vehicle_id: item.track_id.clone(),
        t: item.t,
        lon: item.lon,
        lat: item.lat,
        speed_kmh: None,
        heading_deg: None,
    };
    let Update::Vehicle { sample, .. } = checked(fix, now, limits)? else {
        unreachable!("checked() makes vehicle updates")
    };
    let camera_id = FeatureId::try_from(item.camera_id)
        .map_err(|_| format!("camera_id {} is not a feature id", item.camera_id))?;
    let camera = *cameras
        .get(&item.camera_id)
        .ok_or_else(|| format!("no camera {} in the cameras layer", item.camera_id))?;
    let in_range = |v: Option<f64>, what: &str, max: f64| match v {
        Some(v) if !(v.is_finite() && v > 0.0 && v <= max) => {
            Err(format!("{what} {v} is outside 0..{max}"))
        }
        _ => Ok(v),
    };
    let position = [sample.lon, sample.lat];
    let range_m = geodesy::distance_m(camera, position);
    let range_sigma_m = in_range(item.range_sigma_m, "range_sigma_m", 100_000.0)?
        .unwrap_or((range_m * 0.1).max(10.0));
    let bearing_sigma_deg =
        in_range(item.bearing_sigma_deg, "bearing_sigma_deg", 180.0)?.unwrap_or(0.5);
    let score = match item.score {
        Some(s) if !(s.is_finite() && (0.0..=1.0).contains(&s)) => {
            return Err(format!("score {s} is outside 0..1"));
        }
        s => s.unwrap_or(1.0),
    };
    let reading = match item.reading {
        None => None,
        Some(r) => {
            if !(r.confidence.is_finite() && (0.0..=1.0).contains(&r.confidence)) {
                return Err(format!(
                    "reading.confidence {} is outside 0..1",
                    r.confidence
                ));
            }
            if !(1..=MAX_READS).contains(&r.reads) {
                return Err(format!(
                    "reading.reads {} is outside 1..{MAX_READS}",
                    r.reads
                ));
            }
            let text = match r.text {
                Some(text) => {
                    check_text("reading.text", &text, text_chars).map_err(|e| e.to_string())?;
                    Some(markings::normalize(&text)).filter(|t| !t.is_empty())
                }
                None => None,
            };
            Some(Reading {
                text,
                confidence: r.confidence,
                reads: r.reads,
            })
        }
    };
    Ok(CameraObservation {
        camera_id,
        track_id: item.track_id,
        class: item.class,
        t: sample.t,
        camera,
        position,
        range_m,
        bearing_deg: geodesy::bearing_deg(camera, position),
        range_sigma_m,
        range_nearer_m: 0.0,
        range_farther_m: 0.0,
        bearing_sigma_deg,
        score,
        bbox: None,
        reading,
    })
}

/// Stores a batch of camera-track observations from an external detector, all or nothing:
/// every one must name a camera of the `cameras` layer, lie in range and in time, and be
/// newer than its track's previous observation. Answers once they are durable.
async fn detections(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<serde_json::Value>, AppError> {
    let items = json_array(
        &state,
        &caller,
        request,
        "{camera_id, track_id, class, t, lon, lat, score?, range_sigma_m?, bearing_sigma_deg?}",
    )
    .await?;
    let text_chars = state.config.server.body_limits.text_chars;
    let cameras: HashMap<i64, [f64; 2]> = state
        .store
        .query(Layer::Cameras, &Query::default())
        .await?
        .iter()
        .filter_map(|f| match (f.id, &f.geometry) {
            (Some(id), Some(geo::Geometry::Point(p))) => Some((id.get(), [p.x(), p.y()])),
            _ => None,
        })
        .collect();
    let now = now_epoch_s();
    let updates = {
        let tracks = state.ingest.picture().camera_tracks();
        let mut latest: HashMap<String, f64> = HashMap::new();
        all_or_nothing(items, "detections", |item| {
            let obs = serde_json::from_value::<DetectionIn>(item)
                .map_err(|e| e.to_string())
                .and_then(|item| {
                    detection(item, &cameras, now, &state.ingest.limits, text_chars)
                })?;
            let key = obs.key();
            let previous = latest
                .get(&key)
                .copied()
                .or_else(|| tracks.get(&key).map(|t| t.latest.t));
            if let Some(previous) = previous.filter(|p| obs.t <= *p) {
                return Err(format!(
                    "observation at {} is not newer than the track's observation at {previous}",
                    obs.t
                ));
            }
            latest.insert(key, obs.t);
            Ok(Update::CameraTrack {
                observation: obs,
                frame: None,
            })
        })?
    };
    store(&state, updates).await
}

/// The JSON array body of a batch route (role `ingest`), items shaped as `shape`.
async fn json_array(
    state: &AppState,
    caller: &Caller,
    request: Request,
    shape: &str,
) -> Result<Vec<serde_json::Value>, AppError> {
    caller.require(&[Role::Ingest])?;
    let limit = BodyLimit::of(&state.config.server, BodyKind::Ingest);
    match json_body(request, limit).await? {
        serde_json::Value::Array(items) => Ok(items),
        _ => Err(AppError::bad_request(format!(
            "expected a JSON array of {shape}"
        ))),
    }
}

/// Stores a checked batch and answers how many it held, once they are durable.
async fn store(
    state: &AppState,
    updates: Vec<Update>,
) -> Result<Json<serde_json::Value>, AppError> {
    let accepted = updates.len();
    state.ingest.submit(updates).await?;
    Ok(Json(serde_json::json!({ "accepted": accepted })))
}

/// Checks every item of a batch with `check`, all or nothing: when any is refused, the batch
/// is, with each problem and the item's index.
fn all_or_nothing(
    items: Vec<serde_json::Value>,
    what: &str,
    mut check: impl FnMut(serde_json::Value) -> Result<Update, String>,
) -> Result<Vec<Update>, AppError> {
    let mut updates = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match check(item) {
            Ok(update) => updates.push(update),
            Err(error) => problems.push(serde_json::json!({ "index": index, "error": error })),
        }
    }
    if problems.is_empty() {
        return Ok(updates);
    }
    Err(AppError::BadRequest(
        format!(
            "{} of the {what} are refused; nothing was stored",
            problems.len()
        ),
        Some(serde_json::json!({ "problems": problems })),
    ))
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
    let items = json_array(
        &state,
        &caller,
        request,
        "{vehicle_id, t, lon, lat, speed_kmh?, heading_deg?}",
    )
    .await?;
    let text_chars = state.config.server.body_limits.text_chars;
    let now = now_epoch_s();
    let updates = {
        let vehicles = state.ingest.picture().vehicles();
        let mut latest: HashMap<String, f64> = HashMap::new();
        all_or_nothing(items, "fixes", |item| {
            let fix = serde_json::from_value::<VehicleFix>(item).map_err(|e| e.to_string())?;
            check_text("vehicle_id", &fix.vehicle_id, text_chars).map_err(|e| e.to_string())?;
            let update = checked(fix, now, &state.ingest.limits)?;
            let Update::Vehicle {
                vehicle_id, sample, ..
            } = &update
            else {
                unreachable!("checked() makes vehicle updates")
            };
            match latest.get(vehicle_id) {
                Some(&previous) if sample.t <= previous => Err(format!(
                    "fix at {} is not newer than the vehicle's fix at {previous} earlier in the batch",
                    sample.t
                )),
                _ => vehicles
                    .check(vehicle_id, sample.t)
                    .map_err(|e| e.to_string()),
            }?;
            latest.insert(vehicle_id.clone(), sample.t);
            Ok(update)
        })?
    };
    store(&state, updates).await
}
