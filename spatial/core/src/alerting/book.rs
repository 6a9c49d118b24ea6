//! The alert book: one alert per episode, and the lifecycle dispatchers drive.
//!
//! Detector events are folded into alerts: `Open` raises an alert (or updates it when the
//! episode already has one), `Update` merges evidence, `Close` marks the episode over. The
//! book keeps the alerts of ongoing episodes in memory; everything else lives in the store.

use std::collections::{HashMap, HashSet};

use geo::Point;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{AlertEvent, EpisodeKey, Phase, SubjectKey};
use crate::model::{Alert, AlertStatus, FeatureId, HistoryEntry, Subject};
use crate::{Feature, Layer, ModelError};

/// Evidence key holding the episode scope, so that episodes survive a restart.
const SCOPE: &str = "scope";
/// Evidence key telling whether the episode is still going on.
const ONGOING: &str = "ongoing";

/// Alerts of ongoing episodes, keyed by episode.
#[derive(Debug, Default)]
pub struct AlertBook {
    episodes: HashMap<EpisodeKey, FeatureId>,
    ongoing: HashMap<FeatureId, Feature>,
    /// Every stored alert's episode and opening time: an episode replayed after a restart
    /// (same key, same start) is already stored and is not raised again.
    stored: HashSet<(EpisodeKey, i64)>,
    /// Replayed episodes that are already stored; their events are dropped until they close.
    replayed: HashSet<EpisodeKey>,
    next_id: i64,
}

impl AlertBook {
    /// A book that picks up where `stored` (the `alerts` layer) left off: new ids follow
    /// the highest stored one, and unresolved ongoing episodes continue.
    pub fn restore(stored: Vec<Feature>) -> Self {
        let mut book = Self {
            next_id: 1,
            ..Self::default()
        };
        for feature in stored {
            let Some(id) = feature.id else { continue };
            book.next_id = book.next_id.max(id.get() + 1);
            let Some(key) = episode_key(&feature) else {
                continue;
            };
            let p = &feature.properties;
            book.stored
                .insert((key.clone(), p["opened_at"].as_i64().unwrap_or_default()));
            let ongoing = p["evidence"][ONGOING].as_bool() == Some(true);
            if ongoing && p["status"] != "resolved" {
                book.episodes.insert(key, id);
                book.ongoing.insert(id, feature);
            }
        }
        book
    }

    /// Folds one detector event in; returns the alert it changed, if any.
    pub fn apply(&mut self, event: AlertEvent) -> Option<Feature> {
        let t = event.t.floor() as i64;
        if self.replayed.contains(&event.key) {
            if event.phase == Phase::Close {
                self.replayed.remove(&event.key);
            }
            return None;
        }
        let existing = self.episodes.get(&event.key).copied();
        match (event.phase, existing) {
            (Phase::Open, None) if self.stored.contains(&(event.key.clone(), t)) => {
                self.replayed.insert(event.key);
                None
            }
            (Phase::Open, None) => {
                let id = FeatureId::try_from(self.next_id).ok()?;
                self.next_id += 1;
                let mut evidence = event.evidence;
                evidence.insert(ONGOING.into(), Value::Bool(true));
                if !event.key.scope.is_empty() {
                    evidence.insert(SCOPE.into(), Value::String(event.key.scope.clone()));
                }
                let alert = Alert {
                    kind: event.key.kind,
                    severity: event.severity,
                    status: AlertStatus::Open,
                    opened_at: t,
                    updated_at: t,
                    subject: Subject {
                        kind: event.key.subject.kind,
                        id: event.key.subject.id.clone(),
                        name: event.name,
                    },
                    town: event.town,
                    fence_id: event.fence_id,
                    evidence,
                    history: Vec::new(),
                };
                let properties = serde_json::to_value(alert).ok()?;
                let feature =
                    Feature::new(Point::new(event.location[0], event.location[1]), properties)
                        .with_id(id);
                self.episodes.insert(event.key, id);
                self.ongoing.insert(id, feature.clone());
                Some(feature)
            }
            (_, None) => None,
            (phase, Some(id)) => {
                let feature = self.ongoing.get_mut(&id)?;
                let p = &mut feature.properties;
                if let Some(evidence) = p.get_mut("evidence").and_then(Value::as_object_mut) {
                    evidence.extend(event.evidence);
                    if phase == Phase::Close {
                        evidence.insert(ONGOING.into(), Value::Bool(false));
                        evidence.insert("ended_at".into(), json!(t));
                    }
                }
                let updated = p["updated_at"].as_i64().unwrap_or(t).max(t);
                p.insert("updated_at".into(), json!(updated));
                if p["subject"]["name"].is_null()
                    && let Some(name) = event.name
                {
                    p["subject"]["name"] = Value::String(name);
                }
                let feature = feature.clone();
                if phase == Phase::Close {
                    self.forget(id);
                }
                Some(feature)
            }
        }
    }

    /// The alert of an ongoing episode.
    pub fn get(&self, id: FeatureId) -> Option<&Feature> {
        self.ongoing.get(&id)
    }

    /// Takes a changed alert (after a dispatcher's action): kept while its episode goes
    /// on, forgotten once resolved (later evidence of that episode is then dropped).
    pub fn replace(&mut self, feature: Feature) {
        let Some(id) = feature.id else { return };
        if !self.ongoing.contains_key(&id) {
            return;
        }
        if feature.properties["status"] == "resolved" {
            self.forget(id);
        } else {
            self.ongoing.insert(id, feature);
        }
    }

    fn forget(&mut self, id: FeatureId) {
        self.ongoing.remove(&id);
        self.episodes.retain(|_, v| *v != id);
    }

    /// Number of ongoing episodes.
    pub fn ongoing(&self) -> usize {
        self.ongoing.len()
    }
}

/// The episode an alert belongs to, read back from its properties.
fn episode_key(feature: &Feature) -> Option<EpisodeKey> {
    let p = &feature.properties;
    Some(EpisodeKey {
        kind: serde_json::from_value(p["kind"].clone()).ok()?,
        subject: SubjectKey {
            kind: serde_json::from_value(p["subject"]["type"].clone()).ok()?,
            id: p["subject"]["id"].as_str()?.to_owned(),
        },
        scope: p["evidence"][SCOPE].as_str().unwrap_or_default().to_owned(),
    })
}

/// What a dispatcher does to an alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Free-text note (required to resolve).
    #[serde(default)]
    pub note: Option<String>,
    /// Who takes it over (required to assign).
    #[serde(default)]
    pub assignee: Option<String>,
    /// How it ended (required to resolve): `confirmed`, `false_alarm` or `other`.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// The lifecycle actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Acknowledge: someone is looking.
    Ack,
    /// Hand over to a named person.
    Assign,
    /// Close with an outcome and a note.
    Resolve,
}

impl Action {
    /// The action named in the route (`ack`, `assign`, `resolve`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ack" => Some(Self::Ack),
            "assign" => Some(Self::Assign),
            "resolve" => Some(Self::Resolve),
            _ => None,
        }
    }

    /// The action's name in the route.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ack => "ack",
            Self::Assign => "assign",
            Self::Resolve => "resolve",
        }
    }
}

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The body lacks something or has a wrong value.
    #[error(transparent)]
    Invalid(#[from] ModelError),
    /// The alert is already resolved.
    #[error("alert {0} is already resolved")]
    Resolved(i64),
}

/// Applies `action` by `user` at `now` (epoch s) to an `alerts` feature, appending to its
/// history.
pub fn act(
    feature: &mut Feature,
    action: Action,
    body: ActionBody,
    user: &str,
    now: i64,
) -> Result<(), ActionError> {
    let mut alert: Alert = serde_json::from_value(feature.properties.clone().into())
        .map_err(|e| ModelError::invalid("alert", e.to_string()))?;
    if alert.status == AlertStatus::Resolved {
        return Err(ActionError::Resolved(feature.id.map_or(0, FeatureId::get)));
    }
    let note = body.note.filter(|n| !n.trim().is_empty());
    let mut entry = HistoryEntry {
        at: now,
        by: user.to_owned(),
        action: String::new(),
        note: note.clone(),
        assignee: None,
        outcome: None,
    };
    match action {
        Action::Ack => {
            entry.action = "ack".into();
            if alert.status == AlertStatus::Open {
                alert.status = AlertStatus::Acknowledged;
            }
        }
        Action::Assign => {
            let assignee = body
                .assignee
                .filter(|a| !a.trim().is_empty())
                .ok_or_else(|| ModelError::invalid("assignee", "assign needs an assignee"))?;
            entry.action = "assign".into();
            entry.assignee = Some(assignee);
            alert.status = AlertStatus::Assigned;
        }
        Action::Resolve => {
            let outcome = body.outcome.ok_or_else(|| {
                ModelError::invalid(
                    "outcome",
                    "resolve needs an outcome: confirmed, false_alarm or other",
                )
            })?;
            if !["confirmed", "false_alarm", "other"].contains(&outcome.as_str()) {
                return Err(ModelError::invalid(
                    "outcome",
                    format!("{outcome:?} is not confirmed, false_alarm or other"),
                )
                .into());
            }
            if note.is_none() {
                return Err(ModelError::invalid("note", "resolve needs a note").into());
            }
            entry.action = "resolve".into();
            entry.outcome = Some(outcome);
            alert.status = AlertStatus::Resolved;
        }
    }
    alert.history.push(entry);
    alert.updated_at = alert.updated_at.max(now);
    feature.properties = match serde_json::to_value(alert) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Ok(())
}

/// The alert as the API shows it: `id`, the attributes, and `location` as a GeoJSON Point.
pub fn alert_json(feature: &Feature) -> Value {
    let mut out = feature.properties.clone();
    out.insert("id".into(), json!(feature.id.map(FeatureId::get)));
    let location = match &feature.geometry {
        Some(geo::Geometry::Point(p)) => json!({"type": "Point", "coordinates": [p.x(), p.y()]}),
        _ => Value::Null,
    };
    out.insert("location".into(), location);
    Value::Object(out)
}

/// Validates an alert feature (the book only builds valid ones; this guards the store).
pub fn validate(feature: Feature) -> Result<Feature, ModelError> {
    Layer::Alerts.validate(feature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlertKind, Severity};

    fn event(phase: Phase, t: f64, scope: &str, evidence: Value) -> AlertEvent {
        AlertEvent {
            key: EpisodeKey {
                kind: AlertKind::Encounter,
                subject: SubjectKey::vessel(412_000_001),
                scope: scope.into(),
            },
            phase,
            t,
            location: [121.6, 29.6],
            severity: Severity::Critical,
            fence_id: None,
            town: Some("Chunhu".into()),
            name: None,
            evidence: evidence.as_object().cloned().unwrap(),
        }
    }

    #[test]
    fn one_alert_per_episode() {
        let mut book = AlertBook::restore(Vec::new());
        let opened = book
            .apply(event(
                Phase::Open,
                100.0,
                "412000002",
                json!({"duration_s": 0}),
            ))
            .unwrap();
        assert!(validate(opened.clone()).is_ok());
        let again = book
            .apply(event(
                Phase::Open,
                160.0,
                "412000002",
                json!({"duration_s": 60}),
            ))
            .unwrap();
        assert_eq!(
            again.id, opened.id,
            "a repeated open updates the same alert"
        );
        let other = book
            .apply(event(Phase::Open, 170.0, "412000003", json!({})))
            .unwrap();
        assert_ne!(other.id, opened.id, "another scope is another episode");
        let closed = book
            .apply(event(
                Phase::Close,
                2000.0,
                "412000002",
                json!({"duration_s": 1900}),
            ))
            .unwrap();
        assert_eq!(closed.properties["evidence"]["duration_s"], 1900);
        assert_eq!(closed.properties["evidence"]["ongoing"], false);
        assert_eq!(closed.properties["opened_at"], 100);
        assert_eq!(closed.properties["updated_at"], 2000);
        assert!(
            book.apply(event(Phase::Update, 2100.0, "412000002", json!({})))
                .is_none(),
            "a closed episode takes no more updates"
        );
        let next = book
            .apply(event(Phase::Open, 3000.0, "412000002", json!({})))
            .unwrap();
        assert_ne!(next.id, opened.id, "a new episode gets a new alert");
        assert_eq!(book.ongoing(), 2);
    }

    #[test]
    fn restore_continues_ongoing_episodes() {
        let mut book = AlertBook::restore(Vec::new());
        let a = book
            .apply(event(Phase::Open, 100.0, "412000002", json!({})))
            .unwrap();
        let mut restored = AlertBook::restore(vec![a.clone()]);
        let again = restored
            .apply(event(Phase::Update, 200.0, "412000002", json!({"x": 1})))
            .unwrap();
        assert_eq!(again.id, a.id);
        let fresh = restored
            .apply(event(Phase::Open, 300.0, "412000009", json!({})))
            .unwrap();
        assert_eq!(fresh.id.unwrap().get(), a.id.unwrap().get() + 1);
        let closed = book
            .apply(event(Phase::Close, 400.0, "412000002", json!({})))
            .unwrap();
        let mut replay = AlertBook::restore(vec![closed]);
        assert!(
            replay
                .apply(event(Phase::Open, 100.0, "412000002", json!({})))
                .is_none(),
            "a stored episode replayed after a restart is not raised again"
        );
        assert!(
            replay
                .apply(event(Phase::Update, 200.0, "412000002", json!({})))
                .is_none()
        );
        assert!(
            replay
                .apply(event(Phase::Close, 400.0, "412000002", json!({})))
                .is_none()
        );
        assert!(
            replay
                .apply(event(Phase::Open, 500.0, "412000002", json!({})))
                .is_some(),
            "a later episode is new"
        );
    }

    #[test]
    fn lifecycle() {
        let mut book = AlertBook::restore(Vec::new());
        let mut a = book
            .apply(event(Phase::Open, 100.0, "", json!({})))
            .unwrap();
        let body = |note: Option<&str>, assignee: Option<&str>, outcome: Option<&str>| ActionBody {
            note: note.map(Into::into),
            assignee: assignee.map(Into::into),
            outcome: outcome.map(Into::into),
        };
        act(&mut a, Action::Ack, body(None, None, None), "dan", 150).unwrap();
        assert_eq!(a.properties["status"], "acknowledged");
        assert!(act(&mut a, Action::Assign, body(None, None, None), "dan", 160).is_err());
        act(
            &mut a,
            Action::Assign,
            body(None, Some("li"), None),
            "dan",
            160,
        )
        .unwrap();
        assert_eq!(a.properties["status"], "assigned");
        assert!(
            act(
                &mut a,
                Action::Resolve,
                body(Some("x"), None, Some("maybe")),
                "li",
                170
            )
            .is_err()
        );
        assert!(
            act(
                &mut a,
                Action::Resolve,
                body(None, None, Some("confirmed")),
                "li",
                170
            )
            .is_err()
        );
        act(
            &mut a,
            Action::Resolve,
            body(Some("boarded"), None, Some("confirmed")),
            "li",
            170,
        )
        .unwrap();
        assert_eq!(a.properties["status"], "resolved");
        let history = a.properties["history"].as_array().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[2]["by"], "li");
        assert_eq!(history[2]["outcome"], "confirmed");
        assert!(matches!(
            act(&mut a, Action::Ack, body(None, None, None), "dan", 180),
            Err(ActionError::Resolved(_))
        ));
        book.replace(a.clone());
        assert_eq!(book.ongoing(), 0, "a resolved alert leaves the book");
        let json = alert_json(&a);
        assert_eq!(json["location"]["coordinates"], json!([121.6, 29.6]));
        assert_eq!(json["subject"]["type"], "vessel");
        assert_eq!(json["id"], a.id.unwrap().get());
    }
}
