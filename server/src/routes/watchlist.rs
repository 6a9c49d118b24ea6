//! The watch list of number plates: a camera that reads one raises `watchlist_vehicle`.
//!
//! - `GET /api/v1/watchlist` (`?format=csv`): the list, by plate (dispatchers, admins).
//! - `POST /api/v1/watchlist`: adds plates or replaces their reasons — one `{"plate", "reason"}`,
//!   an array of them, or a CSV import (`Content-Type: text/csv`, lines `plate,reason`, an
//!   optional header). All or nothing: a line that is not a Chinese plate refuses the request
//!   with its line number. At most `command.watchlist_max` plates are watched.
//! - `DELETE /api/v1/watchlist/{plate}`: takes a plate off.
//!
//! Plates are stored normalised (`浙B·12345` → `浙B12345`). Every change is one commit with its
//! audit entries, and the detectors read the new list at once.

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Path, Query as QueryParams, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::{Json, Router};
use coastwatch_core::identity::markings::{self, Marking};
use coastwatch_store::{Changes, WatchChange, WatchEntry};
use serde::Deserialize;
use serde_json::{Value, json};

use super::command::{Format, params, table};
use crate::auth::{Caller, Role};
use crate::clock::now_epoch_s;
use crate::command::audit_of;
use crate::error::AppError;
use crate::extract::{BodyKind, BodyLimit, check_text, read_body};
use crate::state::AppState;

/// Changes of the list, one at a time (its bound is checked against what is stored).
static WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/watchlist", get(list).post(add))
        .route("/api/v1/watchlist/{plate}", delete(remove))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    #[serde(default)]
    format: Format,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<QueryParams<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Dispatcher])?;
    let query = params(query)?;
    let rows = state
        .store
        .watchlist()
        .await?
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap_or_default())
        .collect();
    Ok(table(
        query.format,
        "watchlist.csv",
        &["plate", "reason", "added_by", "added_at"],
        rows,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Watch {
    plate: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Watches {
    One(Watch),
    Many(Vec<Watch>),
}

async fn add(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = caller.require(&[Role::Dispatcher])?.name.clone();
    let csv = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/csv"));
    let limit = BodyLimit::of(&state.config.server, BodyKind::Features);
    let body = read_body(request, limit).await?;
    let watches = if csv {
        csv_rows(&body)?
    } else {
        match serde_json::from_slice::<Watches>(&body) {
            Ok(Watches::One(one)) => vec![(1, one)],
            Ok(Watches::Many(many)) => (1..).zip(many).collect(),
            Err(e) => return Err(AppError::bad_request(format!("body: {e}"))),
        }
    };
    let text_chars = state.config.server.body_limits.text_chars;
    let at = now_epoch_s() as i64;
    // by plate: a plate given twice keeps its last reason
    let mut by_plate: BTreeMap<String, WatchEntry> = BTreeMap::new();
    for (n, watch) in watches {
        let entry = checked(watch, text_chars, &user, at)
            .map_err(|e| AppError::bad_request(format!("entry {n}: {e}")))?;
        by_plate.insert(entry.plate.clone(), entry);
    }
    let entries: Vec<WatchEntry> = by_plate.into_values().collect();
    if entries.is_empty() {
        return Err(AppError::bad_request("no plates in the body"));
    }
    // the list is bounded: the detectors hold it in memory
    let _guard = WRITER.lock().await;
    let listed: HashSet<String> = state
        .store
        .watchlist()
        .await?
        .into_iter()
        .map(|e| e.plate)
        .collect();
    let new = entries
        .iter()
        .filter(|e| !listed.contains(&e.plate))
        .count();
    let max = state.config.command.watchlist_max;
    if listed.len() + new > max {
        return Err(AppError::Conflict(format!(
            "the watch list would hold {} plates, more than command.watchlist_max ({max})",
            listed.len() + new
        )));
    }
    let changes = Changes {
        audit: entries
            .iter()
            .map(|e| {
                audit_of(
                    &user,
                    "watchlist.add",
                    target(&e.plate),
                    None,
                    Some(json!(e)),
                    at,
                )
            })
            .collect(),
        watchlist: entries.iter().cloned().map(WatchChange::Put).collect(),
        ..Changes::default()
    };
    state.store.commit(changes).await?;
    state.watchlist_written().await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"watched": entries.len(), "plates": entries.iter().map(|e| &e.plate).collect::<Vec<_>>()}),
        ),
    ))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(plate): Path<String>,
) -> Result<StatusCode, AppError> {
    let user = caller.require(&[Role::Dispatcher])?.name.clone();
    let plate = markings::normalize(&plate);
    let _guard = WRITER.lock().await;
    let Some(listed) = state
        .store
        .watchlist()
        .await?
        .into_iter()
        .find(|e| e.plate == plate)
    else {
        return Err(AppError::NotFound(format!(
            "{plate} is not on the watch list"
        )));
    };
    let at = now_epoch_s() as i64;
    state
        .store
        .commit(Changes {
            audit: vec![audit_of(
                &user,
                "watchlist.remove",
                target(&plate),
                Some(json!(listed)),
                None,
                at,
            )],
            watchlist: vec![WatchChange::Remove(plate)],
            ..Changes::default()
        })
        .await?;
    state.watchlist_written().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One entry checked: a Chinese plate, a reason.
fn checked(watch: Watch, text_chars: usize, user: &str, at: i64) -> Result<WatchEntry, String> {
    let plate = match markings::parse(&watch.plate) {
        Some(plate @ Marking::Plate { .. }) => plate.text(),
        _ => {
            return Err(format!(
                "{:?} is not a Chinese number plate (province, city letter, 5 or 6 characters: 浙B12345)",
                watch.plate
            ));
        }
    };
    let reason = watch.reason.trim();
    if reason.is_empty() {
        return Err("reason is empty".into());
    }
    check_text("reason", reason, text_chars).map_err(|e| e.to_string())?;
    Ok(WatchEntry {
        plate,
        reason: reason.to_owned(),
        added_by: user.to_owned(),
        added_at: at,
    })
}

/// The rows of a CSV import, numbered by line: `plate,reason` (the reason may be quoted and
/// hold commas); a first line `plate,reason` is a header.
fn csv_rows(body: &[u8]) -> Result<Vec<(usize, Watch)>, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| AppError::bad_request(format!("the CSV is not UTF-8: {e}")))?;
    let mut rows = Vec::new();
    for (n, line) in (1..).zip(text.lines()) {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || (n == 1 && line.eq_ignore_ascii_case("plate,reason")) {
            continue;
        }
        let Some((plate, reason)) = line.split_once(',') else {
            return Err(AppError::bad_request(format!(
                "line {n}: expected plate,reason"
            )));
        };
        let reason = reason.trim();
        let reason = reason
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .map_or_else(|| reason.to_owned(), |r| r.replace("\"\"", "\""));
        rows.push((
            n,
            Watch {
                plate: plate.trim().to_owned(),
                reason,
            },
        ));
    }
    Ok(rows)
}

/// The audit target of a watched plate.
fn target(plate: &str) -> String {
    format!("watchlist/{plate}")
}
