//! The command platform: cases across agencies, red and yellow cards, inspections of risk
//! points, the rewards of public tips and the audit log. The rules are in
//! `server/src/command.rs`; here are the routes, their bodies and their roles.

use axum::extract::{Path, Query as QueryParams, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use coastwatch_core::Layer;
use coastwatch_core::command::{CaseAction, RewardAction};
use coastwatch_core::model::{
    Agency, CardUnit, CaseLinks, CaseOutcome, CaseStatus, FeatureId, Goods, InspectionResult,
};
use coastwatch_store::Query;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::{Caller, Role, User};
use crate::clock::now_epoch_s;
use crate::command::{NewCase, NewInspection, Write, case_json};
use crate::error::AppError;
use crate::extract::{BodyKind, BodyLimit, check_texts, json_body};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", get(list_cases).post(open_case))
        .route("/api/v1/cases/{id}", get(read_case))
        .route("/api/v1/cases/{id}/{action}", post(act_on_case))
        .route("/api/v1/cards", get(cards).post(set_yellow))
        .route("/api/v1/cards/{id}/rectify", post(rectify))
        .route(
            "/api/v1/inspections",
            get(list_inspections).post(record_inspection),
        )
        .route("/api/v1/inspections/overdue", get(overdue_inspections))
        .route("/api/v1/inspections/{id}/photos/{file}", get(photo))
        .route("/api/v1/tips/{id}", get(read_tip))
        .route("/api/v1/tips/{id}/verify", post(verify_tip))
        .route("/api/v1/tips/{id}/reward", post(reward))
        .route("/api/v1/rewards", get(rewards))
        .route("/api/v1/audit", get(audit))
}

fn id_of(what: &str, text: &str) -> Result<FeatureId, AppError> {
    text.parse::<i64>()
        .ok()
        .and_then(|n| FeatureId::try_from(n).ok())
        .ok_or_else(|| {
            AppError::bad_request(format!("{what} id {text:?} is not a positive integer"))
        })
}

pub(crate) fn params<T>(
    params: Result<QueryParams<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, AppError> {
    params
        .map(|QueryParams(p)| p)
        .map_err(|e| AppError::bad_request(e.body_text()))
}

/// Reads a small JSON body of the command platform (after the role check), its free texts
/// bounded by `server.body_limits.text_chars`.
async fn body<T: DeserializeOwned>(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<T, AppError> {
    body_within(state, request, BodyKind::Alerts).await
}

/// [`body`] under the limit of `kind`.
async fn body_within<T: DeserializeOwned>(
    state: &AppState,
    request: axum::extract::Request,
    kind: BodyKind,
) -> Result<T, AppError> {
    let server = &state.config.server;
    let mut value = json_body(request, BodyLimit::of(server, kind)).await?;
    // photos are pictures, not free text: checked as JPEG instead
    let photos = value.as_object_mut().and_then(|o| o.remove("photos"));
    check_texts("body", &value, server.body_limits.text_chars)?;
    if let (Some(photos), Some(object)) = (photos, value.as_object_mut()) {
        object.insert("photos".into(), photos);
    }
    crate::extract::typed(value)
}

// ---- cases ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFilter {
    status: Option<CaseStatus>,
    agency: Option<Agency>,
    town: Option<String>,
}

async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    filter: Result<QueryParams<CaseFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Value>>, AppError> {
    let filter = params(filter)?;
    caller.require_read()?;
    let mut equals = Vec::new();
    if let Some(status) = filter.status {
        equals.push(("status".into(), json!(status)));
    }
    if let Some(town) = filter.town {
        equals.push(("town".into(), json!(town)));
    }
    let cases = state
        .command
        .cases(caller.user(), equals, filter.agency)
        .await?;
    Ok(Json(cases.iter().map(case_json).collect()))
}

/// A new case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenCase {
    title: String,
    #[serde(default)]
    lead_agency: Option<Agency>,
    #[serde(default)]
    town: Option<String>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    risk_point_id: Option<FeatureId>,
    #[serde(default)]
    alerts: Vec<FeatureId>,
    #[serde(default)]
    note: Option<String>,
}

async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let open: OpenCase = body(&state, request).await?;
    let location = match (open.lon, open.lat) {
        (Some(lon), Some(lat))
            if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
        {
            Some([lon, lat])
        }
        (None, None) => None,
        _ => {
            return Err(AppError::bad_request(
                "lon and lat go together, as a longitude and latitude in range",
            ));
        }
    };
    let new = NewCase {
        title: open.title,
        lead_agency: open.lead_agency,
        town: open.town,
        location,
        risk_point_id: open.risk_point_id,
        alerts: open.alerts,
        note: open.note,
    };
    let case = state.write_command(user, Write::OpenCase(new)).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

async fn read_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.require_read()?;
    let case = state
        .command
        .case(caller.user(), id_of("case", &id)?)
        .await?;
    Ok(Json(case_json(&case)))
}

/// The body of a case step; which fields apply depends on the step.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseStep {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    to: Option<Agency>,
    #[serde(default)]
    outcome: Option<CaseOutcome>,
    #[serde(default)]
    goods: Option<Goods>,
    #[serde(default)]
    alerts: Vec<FeatureId>,
    #[serde(default)]
    tips: Vec<FeatureId>,
    #[serde(default)]
    inspections: Vec<FeatureId>,
}

async fn act_on_case(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<Json<Value>, AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let id = id_of("case", &id)?;
    if !["investigate", "note", "link", "handover", "close"].contains(&action.as_str()) {
        return Err(AppError::NotFound(format!(
            "no case action {action:?}; use investigate, note, link, handover or close"
        )));
    }
    let step: CaseStep = body(&state, request).await?;
    let note = step.note.unwrap_or_default();
    let action = match action.as_str() {
        "investigate" => CaseAction::Investigate { note: Some(note) },
        "note" => CaseAction::Note { note },
        "link" => CaseAction::Link {
            links: CaseLinks {
                alerts: step.alerts,
                tips: step.tips,
                inspections: step.inspections,
            },
        },
        "handover" => CaseAction::Handover {
            to: step.to.ok_or_else(|| {
                AppError::bad_request("to: the agency that takes the case over is required")
            })?,
            note,
        },
        _ => CaseAction::Close {
            outcome: step.outcome.ok_or_else(|| {
                AppError::bad_request("outcome is required: confirmed, no_violation or other")
            })?,
            goods: step.goods,
            note,
        },
    };
    let write = Write::ActOnCase { id, action };
    Ok(Json(state.write_command(user, write).await?))
}

// ---- cards ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFilter {
    unit: Option<CardUnit>,
    card: Option<coastwatch_core::model::Card>,
    town: Option<String>,
}

async fn cards(
    State(state): State<AppState>,
    caller: Caller,
    filter: Result<QueryParams<CardFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Value>>, AppError> {
    let filter = params(filter)?;
    caller.require_read()?;
    let now = now_epoch_s() as i64;
    // the rules run on every read too (by the writer), so that the answer is current
    let reader = caller.user().cloned().unwrap_or_else(User::anonymous);
    state.write_command(&reader, Write::RefreshCards).await?;
    let all = state.command.cards(now).await?;
    Ok(Json(
        all.into_iter()
            .filter(|c| filter.unit.is_none_or(|u| c["unit"] == json!(u)))
            .filter(|c| filter.card.is_none_or(|k| c["card"] == json!(k)))
            .filter(|c| filter.town.as_deref().is_none_or(|t| c["town"] == json!(t)))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualCard {
    unit: CardUnit,
    unit_id: FeatureId,
    reason: String,
}

async fn set_yellow(
    State(state): State<AppState>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = caller.require(&[Role::Admin])?;
    let manual: ManualCard = body(&state, request).await?;
    let write = Write::SetYellow {
        unit: manual.unit,
        unit_id: manual.unit_id,
        reason: manual.reason,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.write_command(user, write).await?),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rectification {
    rectification: String,
}

async fn rectify(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Json<Value>, AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let id = id_of("card", &id)?;
    let done: Rectification = body(&state, request).await?;
    let write = Write::Rectify {
        id,
        rectification: done.rectification,
    };
    Ok(Json(state.write_command(user, write).await?))
}

// ---- inspections ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectionFilter {
    risk_point_id: Option<FeatureId>,
    since: Option<i64>,
}

async fn list_inspections(
    State(state): State<AppState>,
    caller: Caller,
    filter: Result<QueryParams<InspectionFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Value>>, AppError> {
    let filter = params(filter)?;
    caller.require_read()?;
    let query = Query {
        equals: filter
            .risk_point_id
            .map(|id| ("risk_point_id".to_owned(), json!(id)))
            .into_iter()
            .collect(),
        time: filter.since.map(|s| (s, i64::MAX)),
        newest_first: true,
        limit: Some(10_000),
        ..Query::default()
    };
    let found = state.store.query(Layer::Inspections, &query).await?;
    Ok(Json(found.iter().map(case_json).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordInspection {
    risk_point_id: FeatureId,
    lon: f64,
    lat: f64,
    /// When the visit took place (epoch s; default now).
    #[serde(default)]
    t: Option<i64>,
    findings: String,
    #[serde(default)]
    result: Option<InspectionResult>,
    /// JPEG photos, base64 (at most 4, 2 MiB each).
    #[serde(default)]
    photos: Vec<String>,
}

async fn record_inspection(
    State(state): State<AppState>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let visit: RecordInspection = body_within(&state, request, BodyKind::Features).await?;
    let photos = decode_photos(&visit.photos)?;
    let new = NewInspection {
        risk_point_id: visit.risk_point_id,
        location: [visit.lon, visit.lat],
        t: visit.t.unwrap_or_else(|| now_epoch_s() as i64),
        findings: visit.findings,
        result: visit.result.unwrap_or(InspectionResult::Ok),
        photos,
    };
    let inspection = state
        .write_command(user, Write::RecordInspection(new))
        .await?;
    Ok((StatusCode::CREATED, Json(inspection)))
}

/// The photos of an inspection body: base64 JPEGs (a `data:` URL prefix is allowed), each at
/// most [`coastwatch_store::MAX_PHOTO_BYTES`].
fn decode_photos(photos: &[String]) -> Result<Vec<Vec<u8>>, AppError> {
    use base64::Engine as _;
    photos
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let text = text
                .split_once("base64,")
                .map_or(text.as_str(), |(_, data)| data);
            let jpeg = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|e| AppError::bad_request(format!("photos[{i}] is not base64: {e}")))?;
            if !jpeg.starts_with(&[0xFF, 0xD8]) {
                return Err(AppError::bad_request(format!("photos[{i}] is not a JPEG")));
            }
            if jpeg.len() > coastwatch_store::MAX_PHOTO_BYTES {
                return Err(AppError::bad_request(format!(
                    "photos[{i}] has {} bytes, more than {}",
                    jpeg.len(),
                    coastwatch_store::MAX_PHOTO_BYTES
                )));
            }
            Ok(jpeg)
        })
        .collect()
}

/// `GET /api/v1/inspections/{id}/photos/{n}.jpg`.
async fn photo(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller.require_read()?;
    let id = id_of("inspection", &id)?;
    let n: u32 = file
        .strip_suffix(".jpg")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            AppError::NotFound(format!("no photo {file:?}; photos are 0.jpg, 1.jpg…"))
        })?;
    let jpeg = state
        .store
        .photo(id, n)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("inspection {id} has no photo {n}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        jpeg,
    )
        .into_response())
}

async fn overdue_inspections(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Value>>, AppError> {
    caller.require_read()?;
    Ok(Json(
        state
            .command
            .overdue_inspections(now_epoch_s() as i64)
            .await?,
    ))
}

// ---- tips and rewards ----

async fn read_tip(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.require_read()?;
    Ok(Json(
        state.command.tip(caller.user(), id_of("tip", &id)?).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Verify {
    case_id: FeatureId,
}

async fn verify_tip(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Json<Value>, AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let id = id_of("tip", &id)?;
    let verify: Verify = body(&state, request).await?;
    let write = Write::VerifyTip {
        id,
        case_id: verify.case_id,
    };
    Ok(Json(state.write_command(user, write).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RewardStep {
    Propose,
    Approve,
    Pay,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RewardBody {
    action: RewardStep,
    #[serde(default)]
    amount_yuan: Option<u64>,
    /// When it was paid (epoch s; default now).
    #[serde(default)]
    paid_at: Option<i64>,
}

async fn reward(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Json<Value>, AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let id = id_of("tip", &id)?;
    let step: RewardBody = body(&state, request).await?;
    let action = match step.action {
        RewardStep::Propose => RewardAction::Propose(
            step.amount_yuan
                .ok_or_else(|| AppError::bad_request("amount_yuan: a proposal names the amount"))?,
        ),
        RewardStep::Approve => RewardAction::Approve,
        RewardStep::Pay => RewardAction::Pay(step.paid_at.unwrap_or_else(|| now_epoch_s() as i64)),
    };
    let write = Write::Reward { id, action };
    Ok(Json(state.write_command(user, write).await?))
}

/// Output of the admin's lists: JSON (default) or CSV.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerParams {
    year: Option<i32>,
    #[serde(default)]
    format: Format,
}

async fn rewards(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<QueryParams<LedgerParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Admin])?;
    let query = params(query)?;
    let clock = coastwatch_core::alerting::LocalClock::new(&state.config.district.timezone)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let year = query
        .year
        .unwrap_or_else(|| clock.year(now_epoch_s() as i64));
    let rows = state.command.ledger(year).await?;
    Ok(table(
        query.format,
        &format!("rewards-{year}.csv"),
        &["tip_id", "case_id", "amount_yuan", "paid_at", "town"],
        rows,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    since: Option<i64>,
    limit: Option<u64>,
    #[serde(default)]
    format: Format,
}

async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<QueryParams<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Admin])?;
    let query = params(query)?;
    let entries = state
        .store
        .audit(
            query.since.unwrap_or(0),
            query.limit.unwrap_or(10_000).min(100_000),
        )
        .await?;
    let rows = entries
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap_or_default())
        .collect();
    Ok(table(
        query.format,
        "audit.csv",
        &["id", "at", "user", "action", "target", "before", "after"],
        rows,
    ))
}

/// `rows` as a JSON array, or as CSV with `columns` (values that are not strings or numbers
/// written as JSON), quoted where needed.
pub(crate) fn table(format: Format, file: &str, columns: &[&str], rows: Vec<Value>) -> Response {
    if format == Format::Json {
        return Json(rows).into_response();
    }
    let cell = |value: &Value| {
        let text = match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    let mut csv = columns.join(",");
    csv.push_str("\r\n");
    for row in &rows {
        let line: Vec<String> = columns.iter().map(|c| cell(&row[*c])).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        csv,
    )
        .into_response()
}
