//! Fuzz target: dispatcher actions on an alert
//! (`POST /api/v1/alerts/{id}/{ack|assign|resolve}`), a sequence of them on
//! one alert the book raised, each body parsed as the route parses it
//! (blank: no fields; else JSON, then `ActionBody`) and applied with
//! `book::act`.
//!
//! Input: steps separated by a 0xFF byte (never in UTF-8 JSON); a step's
//! first byte picks the action (low two bits) and the clock (the rest, from
//! 2 h before the alert opened to 4 h after), the remaining bytes are the body.
//!
//! Checks, beyond "no panic", against a model of the lifecycle:
//! - an action on a resolved alert is refused as `Resolved`; a refused action
//!   leaves the alert unchanged;
//! - ack always succeeds (open becomes acknowledged), assign succeeds exactly
//!   when the assignee is not blank, resolve exactly when the outcome is one of
//!   `confirmed`, `false_alarm`, `other` and the note is not blank;
//! - a success appends one history entry (when, who, what, the note, the
//!   assignee or outcome), keeps `updated_at` the latest time seen and never
//!   before `opened_at`, and leaves a feature that is a valid alert (it
//!   validates to itself and round-trips through GeoJSON) and whose API JSON
//!   shows its id, status and location.

#![no_main]

use coastwatch_core::alerting::book::{
    Action, ActionBody, ActionError, AlertBook, act, alert_json,
};
use coastwatch_core::alerting::{AlertEvent, EpisodeKey, Phase, SubjectKey};
use coastwatch_core::model::{AlertKind, Severity};
use coastwatch_core::{Feature, Layer};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const OPENED: i64 = 1_790_000_000;
const USER: &str = "dispatcher-1";

/// The body as the route reads it: `None` when it is refused (400).
fn parse_body(bytes: &[u8]) -> Option<ActionBody> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some(ActionBody::default());
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    serde_json::from_value(value).ok()
}

fn not_blank(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.trim().is_empty())
}

/// An alert as the book raises it for an encounter.
fn raised() -> Feature {
    let mut book = AlertBook::restore(Vec::new());
    let evidence = json!({"distance_m": 40.0, "duration_s": 600});
    book.apply(AlertEvent {
        key: EpisodeKey {
            kind: AlertKind::Encounter,
            subject: SubjectKey::vessel(412_000_001),
            scope: "412000002".into(),
        },
        phase: Phase::Open,
        t: OPENED as f64,
        location: [121.6, 29.6],
        severity: Severity::Critical,
        fence_id: None,
        town: Some("Chunhu".into()),
        name: Some("ZHE XIANG YU 1".into()),
        evidence: evidence.as_object().cloned().unwrap_or_default(),
    })
    .expect("an open event raises an alert")
}

fuzz_target!(|data: &[u8]| {
    let mut alert = raised();
    let id = alert.id.expect("a raised alert has an id");
    let mut latest = OPENED;
    for step in data.split(|&b| b == 0xFF).take(32) {
        let Some((&pick, body)) = step.split_first() else {
            continue;
        };
        let Some(body) = parse_body(body) else {
            continue;
        };
        let action = match pick & 3 {
            0 | 3 => Action::Ack,
            1 => Action::Assign,
            _ => Action::Resolve,
        };
        let now = OPENED - 7_200 + i64::from(pick >> 2) * 340;
        let before = alert.clone();
        let status = before.properties["status"].clone();
        let history_len = before.properties["history"].as_array().map_or(0, Vec::len);
        let expect_ok = status != "resolved"
            && match action {
                Action::Ack => true,
                Action::Assign => not_blank(&body.assignee).is_some(),
                Action::Resolve => {
                    body.outcome
                        .as_deref()
                        .is_some_and(|o| ["confirmed", "false_alarm", "other"].contains(&o))
                        && not_blank(&body.note).is_some()
                }
            };
        let result = act(&mut alert, action, body.clone(), USER, now);
        assert_eq!(
            result.is_ok(),
            expect_ok,
            "{action:?} on a {status} alert with {body:?}: {result:?}"
        );
        let Ok(()) = result else {
            assert_eq!(alert, before, "a refused action changes nothing");
            if status == "resolved" {
                assert!(matches!(result, Err(ActionError::Resolved(n)) if n == id.get()));
            }
            continue;
        };
        latest = latest.max(now);
        let p = &alert.properties;
        let expected_status = match action {
            Action::Ack if status == "open" => "acknowledged",
            Action::Ack => status.as_str().unwrap_or_default(),
            Action::Assign => "assigned",
            Action::Resolve => "resolved",
        };
        assert_eq!(p["status"], expected_status);
        assert_eq!(p["updated_at"], latest);
        assert_eq!(p["opened_at"], OPENED);
        let history = p["history"].as_array().expect("history is a list");
        assert_eq!(
            history.len(),
            history_len + 1,
            "one history entry per action"
        );
        let entry = &history[history_len];
        assert_eq!(entry["at"], now);
        assert_eq!(entry["by"], USER);
        let (name, note) = match action {
            Action::Ack => ("ack", not_blank(&body.note)),
            Action::Assign => ("assign", not_blank(&body.note)),
            Action::Resolve => ("resolve", not_blank(&body.note)),
        };
        assert_eq!(entry["action"], name);
        assert_eq!(entry["note"].as_str(), note);
        if action == Action::Assign {
            assert_eq!(entry["assignee"].as_str(), body.assignee.as_deref());
        }
        if action == Action::Resolve {
            assert_eq!(entry["outcome"].as_str(), body.outcome.as_deref());
        }
        for (key, value) in before.properties.iter() {
            if !["status", "updated_at", "history"].contains(&key.as_str()) {
                assert_eq!(p.get(key), Some(value), "{key} is kept");
            }
        }
        let valid = Layer::Alerts
            .validate(alert.clone())
            .unwrap_or_else(|e| panic!("an acted-on alert is valid: {e}"));
        assert_eq!(valid, alert, "an acted-on alert is already normalized");
        let back = Feature::from_geojson(alert.to_geojson())
            .unwrap_or_else(|e| panic!("the GeoJSON of an alert parses: {e}"));
        assert_eq!(back, alert, "the alert round-trips through GeoJSON");
        let shown = alert_json(&alert);
        assert_eq!(shown["id"], id.get());
        assert_eq!(shown["status"], expected_status);
        assert_eq!(shown["location"]["coordinates"], json!([121.6, 29.6]));
    }
});
