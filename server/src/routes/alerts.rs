//! Alerts: list, live stream (SSE and WebSocket), dispatcher actions, public tips and the
//! town scorecards.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query as QueryParams, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use coastwatch_core::Layer;
use coastwatch_core::alerting::book::{Action, ActionBody, alert_json};
use coastwatch_core::model::{AlertKind, AlertStatus, Card, FeatureId};
use coastwatch_store::Query;
use futures_util::{Stream, StreamExt, stream};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::alerts::{AlertMessage, Subscription};
use crate::auth::{Caller, Role};
use crate::clock::now_epoch_s;
use crate::error::AppError;
use crate::extract::{BodyKind, BodyLimit, check_text, json_body, parse_bbox, read_body, typed};
use crate::state::AppState;
use coastwatch_core::command::Scope;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts/stream", get(sse))
        .route("/api/v1/alerts/ws", get(websocket))
        .route("/api/v1/alerts/{id}", get(read))
        .route("/api/v1/alerts/{id}/{action}", get(picture).post(act))
        .route("/api/v1/tips", post(tip))
        .route("/api/v1/scorecards", get(scorecards))
}

/// Filters of the alert list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    status: Option<String>,
    kind: Option<String>,
    town: Option<String>,
    /// Only alerts changed at or after this time (epoch s).
    since: Option<i64>,
    bbox: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    /// Accepted (and ignored) so that a page can send its token the same way everywhere.
    access_token: Option<String>,
}

/// Checks that `value` is a name of the text enum `T`.
fn known<T: for<'de> Deserialize<'de>>(what: &str, value: &str) -> Result<(), AppError> {
    serde_json::from_value::<T>(Value::String(value.to_owned()))
        .map(|_| ())
        .map_err(|_| AppError::bad_request(format!("unknown {what} {value:?}")))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<QueryParams<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Value>>, AppError> {
    let QueryParams(params) = params.map_err(|e| AppError::bad_request(e.body_text()))?;
    authorize_read(&state, &caller, params.access_token.as_deref())?;
    let mut query = Query {
        bbox: params.bbox.as_deref().map(parse_bbox).transpose()?,
        time: params.since.map(|since| (since, i64::MAX)),
        limit: Some(params.limit.unwrap_or(1000).min(10_000)),
        offset: params.offset.unwrap_or(0),
        ..Query::default()
    };
    if let Some(status) = &params.status {
        known::<AlertStatus>("status", status)?;
        query.equals.push(("status".into(), json!(status)));
    }
    if let Some(kind) = &params.kind {
        known::<AlertKind>("kind", kind)?;
        query.equals.push(("kind".into(), json!(kind)));
    }
    if let Some(town) = &params.town {
        query.equals.push(("town".into(), json!(town)));
    }
    let alerts = state.store.query(Layer::Alerts, &query).await?;
    Ok(Json(alerts.iter().map(alert_json).collect()))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.require_read()?;
    let id = alert_id(&id)?;
    let alert = state
        .store
        .get(Layer::Alerts, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no alert {id}")))?;
    Ok(Json(alert_json(&alert)))
}

/// `GET /api/v1/alerts/{id}/snapshot.jpg` (the camera's frame with the object's box) and
/// `/crop.jpg` (the object): the evidence of an alert raised from a camera, read as the alert
/// is.
async fn picture(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller.require_read()?;
    let id = alert_id(&id)?;
    let crop = match name.as_str() {
        "snapshot.jpg" => false,
        "crop.jpg" => true,
        _ => return Err(AppError::NotFound(format!("no {name} of alerts"))),
    };
    let snapshot = state
        .store
        .snapshot(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("alert {id} has no snapshot")))?;
    let jpeg = if crop {
        snapshot.crop_jpeg
    } else {
        snapshot.frame_jpeg
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        jpeg,
    )
        .into_response())
}

fn alert_id(text: &str) -> Result<FeatureId, AppError> {
    text.parse::<i64>()
        .ok()
        .and_then(|n| FeatureId::try_from(n).ok())
        .ok_or_else(|| {
            AppError::bad_request(format!("alert id {text:?} is not a positive integer"))
        })
}

async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<Json<Value>, AppError> {
    let user = caller.require(&[Role::Dispatcher])?;
    let action = Action::parse(&action).ok_or_else(|| {
        AppError::NotFound(format!(
            "no alert action {action:?}; use ack, assign or resolve"
        ))
    })?;
    let id = alert_id(&id)?;
    let server = &state.config.server;
    let bytes = read_body(request, BodyLimit::of(server, BodyKind::Alerts)).await?;
    let body: ActionBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        typed(
            serde_json::from_slice(&bytes)
                .map_err(|e| AppError::bad_request(format!("body is not valid JSON: {e}")))?,
        )?
    };
    for (field, text) in [
        ("note", &body.note),
        ("assignee", &body.assignee),
        ("outcome", &body.outcome),
    ] {
        if let Some(text) = text {
            check_text(field, text, server.body_limits.text_chars)?;
        }
    }
    // in a cluster the leading core, which holds the open episodes, applies it
    match &state.cluster {
        Some(cluster) => Ok(Json(cluster.act(id, action, body, user).await?)),
        None => Ok(Json(alert_json(
            &state.alerts.act(id, action, body, user).await?,
        ))),
    }
}

/// Who may read the stream: the bearer token, or `access_token` for clients that cannot
/// send headers (EventSource, WebSocket in browsers). Returns the reader's scope (the whole
/// district for open reads).
fn authorize_read(
    state: &AppState,
    caller: &Caller,
    token: Option<&str>,
) -> Result<Scope, AppError> {
    let caller = match (caller.user(), token) {
        (None, Some(token)) => state.tokens.caller(token, caller.peer())?,
        _ => caller.clone(),
    };
    caller.require_read()?;
    Ok(caller.user().map(|u| u.scope.clone()).unwrap_or_default())
}

/// Parameters of the live stream.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamParams {
    /// Only alerts of this town.
    town: Option<String>,
    /// Resume after this event (the SSE `Last-Event-ID` header wins when both are sent).
    last_event_id: Option<u64>,
    access_token: Option<String>,
}

fn stream_params(
    params: Result<QueryParams<StreamParams>, axum::extract::rejection::QueryRejection>,
) -> Result<StreamParams, AppError> {
    params
        .map(|QueryParams(p)| p)
        .map_err(|e| AppError::bad_request(e.body_text()))
}

/// The events a subscriber gets, in order: the backlog (or, when the subscriber's last event
/// is no longer kept, a snapshot of the open alerts), then live events, with the number the
/// first live event gets. The stream ends when the subscriber falls too far behind; it then
/// reconnects and resumes.
async fn messages(
    state: &AppState,
    params: &StreamParams,
    scope: Scope,
) -> Result<(u64, impl Stream<Item = Arc<AlertMessage>> + use<>), AppError> {
    let Subscription {
        backlog,
        complete,
        live,
        next,
    } = state.alerts.feed.subscribe(params.last_event_id);
    let town = params.town.clone();
    // the backlog is shared with the feed, not copied: a lagging subscriber costs pointers
    let mut first: Vec<Arc<AlertMessage>> = Vec::new();
    if !complete {
        // resume point lost (restart or long absence): the current state of every
        // unresolved alert, numbered just before the backlog
        let seq = backlog
            .first()
            .map_or(state.alerts.feed.next_seq(), |m| m.seq)
            - 1;
        let open = state.store.query(Layer::Alerts, &Query::default()).await?;
        first.extend(
            open.iter()
                .filter(|a| a.properties["status"] != "resolved")
                .filter(|a| town.is_none() || a.properties["town"].as_str() == town.as_deref())
                .map(|a| Arc::new(AlertMessage::new(seq, a))),
        );
    }
    // live events already in the backlog, or (a feed still catching up with the events
    // stream) at or before the subscriber's last, are not sent again
    let seen = backlog.last().map(|m| m.seq).max(params.last_event_id);
    first.extend(
        backlog
            .into_iter()
            .filter(|m| m.for_town(town.as_deref()) && m.visible_to(&scope)),
    );
    // a lagging subscriber's stream ends; the client reconnects and resumes
    let live = stream::unfold(live, move |mut live| async move {
        match live.recv().await {
            Ok(message) => Some((message, live)),
            Err(RecvError::Lagged(_) | RecvError::Closed) => None,
        }
    })
    .filter(move |m: &Arc<AlertMessage>| {
        let wanted =
            m.for_town(town.as_deref()) && m.visible_to(&scope) && seen.is_none_or(|l| m.seq > l);
        async move { wanted }
    });
    Ok((next, stream::iter(first).chain(live)))
}

async fn sse(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    params: Result<QueryParams<StreamParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let mut params = stream_params(params)?;
    let scope = authorize_read(&state, &caller, params.access_token.as_deref())?;
    if let Some(id) = headers.get("last-event-id") {
        params.last_event_id = Some(
            id.to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| AppError::bad_request("Last-Event-ID must be an event number"))?,
        );
    }
    let (next, events) = messages(&state, &params, scope).await?;
    // a new subscriber first gets an event with only an id, where its stream starts: a
    // browser keeps it as its last event id, so that reconnecting (to this node or, in a
    // cluster, another) it resumes from there even if no alert came meanwhile
    let start = params
        .last_event_id
        .is_none()
        .then(|| Event::default().id(next.saturating_sub(1).to_string()));
    let events = events.map(|message| {
        Event::default()
            .event(message.topic.name())
            .id(message.seq.to_string())
            .data(&message.json)
    });
    let events = stream::iter(start).chain(events).map(Ok);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn websocket(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<QueryParams<StreamParams>, axum::extract::rejection::QueryRejection>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let params = stream_params(params)?;
    let scope = authorize_read(&state, &caller, params.access_token.as_deref())?;
    let (_, events) = messages(&state, &params, scope).await?;
    // clients only send pings and close frames: a larger frame closes the connection as
    // soon as its header is read, before its payload is buffered
    let max_bytes = state.config.server.body_limits.websocket_message_bytes;
    Ok(upgrade
        .max_message_size(max_bytes)
        .max_frame_size(max_bytes)
        .on_upgrade(move |socket| send_all(socket, events))
        .into_response())
}

/// Sends each event as a text frame `{"id": <event number>, "alert": {...}}` (or `"case"`).
async fn send_all(mut socket: WebSocket, events: impl Stream<Item = Arc<AlertMessage>>) {
    let mut events = std::pin::pin!(events);
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(message) = event else { break };
                let frame = format!(
                    r#"{{"id":{},"{}":{}}}"#,
                    message.seq,
                    message.topic.name(),
                    message.json
                );
                if socket.send(Message::Text(frame.into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// A public report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TipBody {
    lon: f64,
    lat: f64,
    /// What the reporter saw.
    text: String,
    /// Who reported (phone, name), when given.
    #[serde(default)]
    reporter: Option<String>,
    /// When it was seen (epoch s; default now).
    #[serde(default)]
    t: Option<i64>,
}

async fn tip(
    State(state): State<AppState>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    caller.require(&[Role::Dispatcher, Role::Ingest])?;
    let server = &state.config.server;
    let body: TipBody = typed(json_body(request, BodyLimit::of(server, BodyKind::Alerts)).await?)?;
    check_text("text", &body.text, server.body_limits.text_chars)?;
    if let Some(reporter) = &body.reporter {
        check_text("reporter", reporter, server.body_limits.text_chars)?;
    }
    if !((-180.0..=180.0).contains(&body.lon) && (-90.0..=90.0).contains(&body.lat)) {
        return Err(AppError::bad_request(format!(
            "location {}, {} is not a lon/lat in range",
            body.lon, body.lat
        )));
    }
    if body.text.trim().is_empty() {
        return Err(AppError::bad_request("text must say what was seen"));
    }
    let t = body.t.map_or_else(now_epoch_s, |t| t as f64);
    let town = state
        .ingest
        .picture()
        .with_monitor(|m| m.town_at(body.lon, body.lat));
    let location = [body.lon, body.lat];
    // in a cluster the leading core, which numbers alerts, raises it
    let alert = match &state.cluster {
        Some(cluster) => {
            cluster
                .tip(location, &body.text, body.reporter, t, town)
                .await?
        }
        None => alert_json(
            &state
                .alerts
                .tip(location, &body.text, body.reporter, t, town)
                .await?,
        ),
    };
    Ok((axum::http::StatusCode::CREATED, Json(alert)))
}

/// The period of a scorecard.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScorecardParams {
    /// Start of the period (epoch s; default 30 days ago).
    since: Option<i64>,
    access_token: Option<String>,
}

async fn scorecards(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<QueryParams<ScorecardParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let QueryParams(params) = params.map_err(|e| AppError::bad_request(e.body_text()))?;
    authorize_read(&state, &caller, params.access_token.as_deref())?;
    let now = now_epoch_s() as i64;
    let since = params.since.unwrap_or(now - 30 * 86_400);
    let areas = state
        .store
        .query(
            Layer::Areas,
            &Query {
                equals: vec![("kind".into(), json!("town"))],
                ..Query::default()
            },
        )
        .await?;
    let alerts = state
        .store
        .query(
            Layer::Alerts,
            &Query {
                time: Some((since, i64::MAX)),
                ..Query::default()
            },
        )
        .await?;
    let coverage = crate::coverage::town_coverage(state.store.as_ref()).await?;
    // the command platform's card of each town (cases confirmed there, cards set by hand…)
    let units = state.command.cards(now).await?;
    let cards: Vec<Value> = areas
        .iter()
        .filter_map(|a| a.properties["name"].as_str())
        .map(|town| {
            let figures = coverage.iter().find(|c| c.town.as_deref() == Some(town));
            let mut card = crate::scorecard::card(town, &alerts, since, now, figures);
            if let Some(unit) = units
                .iter()
                .find(|u| u["unit"] == "town" && u["name"] == town)
            {
                let of = |v: &Value| serde_json::from_value::<Card>(v.clone()).unwrap_or_default();
                card["card"] = json!(of(&card["card"]).max(of(&unit["card"])));
                card["award_eligible"] = unit["award_eligible"].clone();
            }
            card
        })
        .collect();
    Ok(Json(
        json!({ "since": since, "until": now, "towns": cards }),
    ))
}
