//! Alerts: the book of ongoing episodes, their persistence, and live delivery.
//!
//! Every change of an alert (raised, updated, acknowledged, …) is stored first and then
//! published on the [`AlertFeed`] as one numbered event. Subscribers (SSE, WebSocket)
//! resume after the last event they saw: the feed keeps the recent events, so a
//! reconnecting client misses nothing and sees nothing twice. Event numbers start from the
//! boot time in microseconds, so they keep growing across restarts. Webhooks get the same
//! events through their own outboxes, written ahead of the store ([`crate::webhooks`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use coastwatch_core::alerting::book::{self, Action, ActionBody, ActionError, AlertBook};
use coastwatch_core::alerting::{AlertEvent, EpisodeKey, Phase, SubjectKey};
use coastwatch_core::command::Scope;
use coastwatch_core::model::{Agency, AlertKind, Case, FeatureId, Severity, SubjectType};
use coastwatch_core::{Feature, Layer};
use coastwatch_store::StoreError;
use coastwatch_store::{Changes, Query, Snapshot, Store, TipContact};
use coastwatch_vision::snapshot::Evidence;
use serde_json::{Map, json};
use tokio::sync::broadcast;

use crate::clock::now_epoch_s;
use crate::error::AppError;

/// Events kept for clients that resume: at most this many…
const KEEP_EVENTS: usize = 100_000;
/// …and at most this many bytes of alert JSON, however large the alerts are.
const KEEP_BYTES: usize = 64 << 20;

/// What a feed event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// An alert (SSE event `alert`).
    Alert,
    /// A case of the command platform (SSE event `case`).
    Case,
}

impl Topic {
    /// The SSE event name and the WebSocket frame's key.
    pub fn name(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Case => "case",
        }
    }
}

/// One alert or case change as delivered: its event number and the object's JSON (in a
/// cluster, the rest crosses the events stream as CBOR and the stream numbers it).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct AlertMessage {
    /// Event number (SSE `id`), increasing.
    #[serde(skip)]
    pub seq: u64,
    /// Alert or case.
    pub topic: Topic,
    /// A case's lead and supporting agencies (who of the agencies may see it).
    pub agencies: Vec<Agency>,
    /// The alert's town, for town subscriptions.
    pub town: Option<String>,
    /// The alert's kind.
    pub kind: String,
    /// The alert as JSON (the API shape).
    pub json: String,
}

impl AlertMessage {
    /// Event `seq` carrying `alert`.
    pub fn new(seq: u64, alert: &Feature) -> Self {
        Self {
            seq,
            topic: Topic::Alert,
            agencies: Vec::new(),
            town: alert.properties["town"].as_str().map(str::to_owned),
            kind: alert.properties["kind"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            json: book::alert_json(alert).to_string(),
        }
    }

    /// Event `seq` carrying `case` (a feature of the `cases` layer).
    pub fn case(seq: u64, case: &Feature) -> Self {
        let record: Option<Case> = serde_json::from_value(case.properties.clone().into()).ok();
        Self {
            seq,
            topic: Topic::Case,
            agencies: record
                .map(|c| std::iter::once(c.lead_agency).chain(c.supporting).collect())
                .unwrap_or_default(),
            town: case.properties["town"].as_str().map(str::to_owned),
            kind: "case".into(),
            json: crate::command::case_json(case).to_string(),
        }
    }

    /// Whether a subscriber of `town` (all towns when `None`) wants this event.
    pub fn for_town(&self, town: Option<&str>) -> bool {
        town.is_none_or(|t| self.town.as_deref() == Some(t))
    }

    /// Whether a user of `scope` may see it: every alert; a case its agency takes part in.
    pub fn visible_to(&self, scope: &Scope) -> bool {
        self.topic == Topic::Alert || scope.agency.is_none_or(|a| self.agencies.contains(&a))
    }
}

/// What a new subscriber gets: the events it missed, then the live ones.
pub struct Subscription {
    /// Events after the one the subscriber last saw, oldest first.
    pub backlog: Vec<Arc<AlertMessage>>,
    /// `false` when the subscriber's last event is older than what is kept (it should
    /// reload the alert list).
    pub complete: bool,
    /// Events from now on.
    pub live: broadcast::Receiver<Arc<AlertMessage>>,
    /// The number the first live event gets.
    pub next: u64,
}

/// The numbered stream of alert changes.
///
/// In a cluster the changes a node publishes go to the events stream instead
/// ([`forward_to`](Self::forward_to)), and every node's feed takes them back from there
/// numbered by the stream ([`receive`](Self::receive)), so that every API node gives an event
/// the same number.
pub struct AlertFeed {
    recent: Mutex<Recent>,
    sender: broadcast::Sender<Arc<AlertMessage>>,
    keep_bytes: usize,
    /// Where published changes go in a cluster.
    outlet: std::sync::OnceLock<tokio::sync::mpsc::Sender<AlertMessage>>,
}

/// The events kept for resuming subscribers.
struct Recent {
    /// The number the next event published here gets (the webhooks' event ids).
    next: u64,
    /// In a cluster: the number of the next event the stream gives.
    mirrored: Option<u64>,
    /// The kept events, oldest first.
    messages: VecDeque<Arc<AlertMessage>>,
    /// Bytes of JSON in `messages`.
    bytes: usize,
}

impl Default for AlertFeed {
    fn default() -> Self {
        Self::keeping(KEEP_BYTES)
    }
}

impl AlertFeed {
    /// A feed that keeps at most `keep_bytes` of alert JSON (and 100,000 events) for resuming
    /// subscribers. Numbers start at the boot time in microseconds, so they grow across
    /// restarts.
    fn keeping(keep_bytes: usize) -> Self {
        let next = (crate::clock::wall_epoch_s() * 1e6) as u64;
        Self {
            recent: Mutex::new(Recent {
                next,
                mirrored: None,
                messages: VecDeque::new(),
                bytes: 0,
            }),
            sender: broadcast::channel(4096).0,
            keep_bytes,
            outlet: std::sync::OnceLock::new(),
        }
    }

    /// From now on, sends what is published to `outlet` (the events stream) instead of to
    /// the subscribers, who get the events [`receive`](Self::receive)d back.
    pub fn forward_to(&self, outlet: tokio::sync::mpsc::Sender<AlertMessage>) {
        let _ = self.outlet.set(outlet);
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .mirrored = Some(1);
    }

    /// Event `seq` of the events stream, for the subscribers; ignored when it is not newer
    /// than the last one received (a consumer that starts again).
    pub fn receive(&self, seq: u64, mut message: AlertMessage) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.mirrored.is_some_and(|next| seq < next) {
            return;
        }
        recent.mirrored = Some(seq + 1);
        message.seq = seq;
        self.keep(&mut recent, Arc::new(message));
    }

    /// Keeps `message` for resuming subscribers and sends it to the live ones.
    fn keep(&self, recent: &mut Recent, message: Arc<AlertMessage>) {
        recent.bytes += message.json.len();
        recent.messages.push_back(message.clone());
        while recent.messages.len() > KEEP_EVENTS || recent.bytes > self.keep_bytes {
            let Some(oldest) = recent.messages.pop_front() else {
                break;
            };
            recent.bytes -= oldest.json.len();
        }
        // no receivers is fine: nobody is listening
        let _ = self.sender.send(message);
    }

    /// Numbers and publishes the changed alerts.
    pub fn publish(&self, alerts: &[Feature]) {
        self.publish_as(alerts, AlertMessage::new);
    }

    /// Numbers and publishes the changed cases.
    pub fn publish_cases(&self, cases: &[Feature]) {
        self.publish_as(cases, AlertMessage::case);
    }

    fn publish_as(&self, features: &[Feature], message: fn(u64, &Feature) -> AlertMessage) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        for feature in features {
            let seq = recent.next;
            recent.next += 1;
            let message = message(seq, feature);
            match self.outlet.get() {
                Some(outlet) => {
                    // bounded: a stream that cannot keep up loses the live event, not the alert
                    if outlet.try_send(message).is_err() {
                        tracing::error!("events stream behind: a live event was not sent");
                    }
                }
                None => self.keep(&mut recent, Arc::new(message)),
            }
        }
    }

    /// Subscribes to the events after event `after`; `None` means only new events.
    pub fn subscribe(&self, after: Option<u64>) -> Subscription {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let live = self.sender.subscribe();
        let next = recent.mirrored.unwrap_or(recent.next);
        let Some(after) = after else {
            return Subscription {
                backlog: Vec::new(),
                complete: true,
                live,
                next,
            };
        };
        let oldest = recent.messages.front().map_or(next, |m| m.seq);
        let start = recent.messages.partition_point(|m| m.seq <= after);
        Subscription {
            backlog: recent.messages.range(start..).cloned().collect(),
            complete: after + 1 >= oldest,
            live,
            next,
        }
    }

    /// The number the next event will have for subscribers.
    pub fn next_seq(&self) -> u64 {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.mirrored.unwrap_or(recent.next)
    }

    /// The number the next change published here gets (in a single process the same as
    /// [`next_seq`](Self::next_seq); the webhooks' event ids).
    pub fn next_published(&self) -> u64 {
        self.recent.lock().unwrap_or_else(|e| e.into_inner()).next
    }
}

/// The alert service: one writer at a time over the book and the store.
#[derive(Clone)]
pub struct Alerts {
    book: Arc<tokio::sync::Mutex<AlertBook>>,
    store: Arc<dyn Store>,
    /// The live stream of changes.
    pub feed: Arc<AlertFeed>,
    /// The webhooks' outboxes, written ahead of the store.
    webhooks: crate::webhooks::Outboxes,
}

impl Alerts {
    /// An empty book over `store`; [`reload`](Self::reload), which the picture's rebuild runs
    /// at start, reads the stored alerts (ids and ongoing episodes) into it.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            book: Arc::new(tokio::sync::Mutex::new(AlertBook::restore(Vec::new()))),
            store,
            feed: Arc::new(AlertFeed::default()),
            webhooks: crate::webhooks::Outboxes::default(),
        }
    }

    /// Reads the book anew from the store (after a failed write, so that it holds only what
    /// is stored).
    pub async fn reload(&self) -> Result<(), StoreError> {
        let stored = self.store.query(Layer::Alerts, &Query::default()).await?;
        *self.book.lock().await = AlertBook::restore(stored);
        Ok(())
    }

    /// Publishes again the stored alerts last changed at or after `since` (epoch s), in the
    /// order they changed; returns how many. A core that takes the lead sends so what its
    /// predecessor stored but may have died before publishing: the cluster's events stream
    /// keeps one copy of a change it already has (same bytes within its duplicate window).
    pub async fn publish_stored_since(&self, since: i64) -> Result<usize, StoreError> {
        let _book = self.book.lock().await;
        let updated_at = |alert: &Feature| alert.properties["updated_at"].as_i64();
        // alerts whose span reaches `since`: those changed since
        let changed_since = Query {
            time: Some((since, i64::MAX)),
            ..Query::default()
        };
        let mut recent = self.store.query(Layer::Alerts, &changed_since).await?;
        recent.sort_by_key(|alert| (updated_at(alert), alert.id));
        self.feed.publish(&recent);
        Ok(recent.len())
    }

    /// Puts every later change also into the webhooks' `outboxes`.
    pub fn with_webhooks(mut self, outboxes: crate::webhooks::Outboxes) -> Self {
        self.webhooks = outboxes;
        self
    }

    /// Stores `changes` and publishes `changed` (in them), with the webhooks' outboxes
    /// written ahead and settled after (see [`crate::webhooks`]). Call with the book locked.
    async fn store_and_publish(
        &self,
        changes: Changes,
        changed: &[Feature],
    ) -> Result<(), StoreError> {
        let prepared = self
            .webhooks
            .prepare(self.feed.next_published(), changed)
            .await;
        let stored = self.store.commit(changes).await;
        if stored.is_ok() {
            self.feed.publish(changed);
        }
        self.webhooks.settle(prepared, stored.is_ok()).await;
        stored
    }

    /// Folds detector events into alerts, stores the changed ones and publishes them;
    /// returns them.
    pub async fn record(&self, events: Vec<AlertEvent>) -> Result<Vec<Feature>, StoreError> {
        self.commit(events, Changes::default(), HashMap::new())
            .await
    }

    /// Like [`record`](Self::record), storing `changes` in the same transaction, with the
    /// evidence `pictures` of the episodes they open (a camera's frame and crop).
    pub async fn commit(
        &self,
        events: Vec<AlertEvent>,
        mut changes: Changes,
        mut pictures: HashMap<EpisodeKey, Evidence>,
    ) -> Result<Vec<Feature>, StoreError> {
        if events.is_empty() {
            if !changes.is_empty() {
                self.store.commit(changes).await?;
            }
            return Ok(Vec::new());
        }
        // the book stays locked until the alerts are published, so that a dispatcher's
        // action on one of them is published after it
        let mut book = self.book.lock().await;
        let mut order: Vec<FeatureId> = Vec::new();
        let mut changed: HashMap<FeatureId, Feature> = HashMap::new();
        for event in events {
            let picture = match event.phase {
                Phase::Open => pictures.remove(&event.key),
                _ => None,
            };
            let Some(feature) = book.apply(event) else {
                continue;
            };
            let Some(id) = feature.id else { continue };
            if let Some(picture) = picture {
                changes.snapshots.push(Snapshot {
                    alert_id: id,
                    frame_jpeg: picture.frame_jpeg,
                    crop_jpeg: picture.crop_jpeg,
                });
            }
            if changed.insert(id, feature).is_none() {
                order.push(id);
            }
        }
        let changed: Vec<Feature> = order.iter().filter_map(|id| changed.remove(id)).collect();
        changes.upsert(Layer::Alerts, changed.clone());
        if let Err(error) = self.store_and_publish(changes, &changed).await {
            // the book took in what was not stored: read it back as it is stored
            match self.store.query(Layer::Alerts, &Query::default()).await {
                Ok(stored) => *book = AlertBook::restore(stored),
                Err(read) => tracing::error!(%read, "the alert book cannot be reread"),
            }
            return Err(error);
        }
        Ok(changed)
    }

    /// Raises a `tip` alert: a public report of what was seen at `location` at time `t`.
    pub async fn tip(
        &self,
        location: [f64; 2],
        text: &str,
        reporter: Option<String>,
        t: f64,
        town: Option<String>,
    ) -> Result<Feature, AppError> {
        let mut evidence = Map::new();
        evidence.insert("text".into(), json!(text));
        let key = format!("tip-{}", (crate::clock::wall_epoch_s() * 1e6) as u64);
        // the contact is kept apart, for admins: the alert is read by everyone
        let changes = Changes {
            contacts: reporter
                .map(|contact| TipContact {
                    tip: key.clone(),
                    contact,
                })
                .into_iter()
                .collect(),
            ..Changes::default()
        };
        let open = AlertEvent {
            key: EpisodeKey {
                kind: AlertKind::Tip,
                subject: SubjectKey {
                    kind: SubjectType::Area,
                    id: key,
                },
                scope: String::new(),
            },
            phase: Phase::Open,
            t,
            location,
            severity: Severity::Warning,
            fence_id: None,
            town,
            name: Some("public tip".into()),
            evidence,
        };
        // a tip is a single report: its episode opens and ends at once
        let close = AlertEvent {
            phase: Phase::Close,
            evidence: Map::new(),
            ..open.clone()
        };
        self.commit(vec![open, close], changes, HashMap::new())
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("the tip alert was not raised".into()))
    }

    /// Applies a dispatcher's `action` by `user` to alert `id`.
    pub async fn act(
        &self,
        id: FeatureId,
        action: Action,
        body: ActionBody,
        user: &crate::auth::User,
    ) -> Result<Feature, AppError> {
        let name = format!("alert.{}", action.name());
        self.change_with(id, user, &name, Changes::default(), |feature, now| {
            book::act(feature, action, body, &user.name, now).map_err(|e| match e {
                ActionError::Invalid(e) => AppError::bad_request(e.to_string()),
                ActionError::Resolved(_) => AppError::Conflict(e.to_string()),
            })
        })
        .await
    }

    /// Changes alert `id` with `change` (given the feature and the time) for `user`, who must
    /// act in the alert's town; stores it with the audit entry `{action}` (`alert.ack`, …) and
    /// `with` in one transaction, and publishes it. Nothing is stored when `change` fails.
    pub async fn change_with(
        &self,
        id: FeatureId,
        user: &crate::auth::User,
        action: &str,
        with: Changes,
        change: impl FnOnce(&mut Feature, i64) -> Result<(), AppError>,
    ) -> Result<Feature, AppError> {
        let mut book = self.book.lock().await;
        let mut feature = match book.get(id) {
            Some(feature) => feature.clone(),
            None => self
                .store
                .get(Layer::Alerts, id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no alert {id}")))?,
        };
        let town = feature.properties["town"].as_str();
        if !user.scope.acts_in_town(town) {
            return Err(AppError::Forbidden(format!(
                "user {:?} acts for {}; alert {id} is {}",
                user.name,
                user.scope.town.as_deref().unwrap_or("the whole district"),
                town.map_or_else(|| "the centre's".to_owned(), |t| format!("in {t}"))
            )));
        }
        let before = book::alert_json(&feature);
        let now = now_epoch_s().floor() as i64;
        change(&mut feature, now)?;
        let mut changes = with;
        changes.audit.push(crate::command::audit(
            &user.name,
            action,
            Layer::Alerts,
            id,
            Some(before),
            Some(book::alert_json(&feature)),
            now,
        ));
        changes.upsert(Layer::Alerts, vec![feature.clone()]);
        self.store_and_publish(changes, std::slice::from_ref(&feature))
            .await?;
        book.replace(feature.clone());
        Ok(feature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;
    use serde_json::json;

    fn alert(id: i64, town: &str) -> Feature {
        Feature::new(
            Point::new(121.6, 29.6),
            json!({"kind": "tip", "town": town}),
        )
        .with_id(FeatureId::try_from(id).unwrap())
    }

    #[test]
    fn resume_gets_exactly_the_missed_events() {
        let feed = AlertFeed::default();
        let first = feed.next_seq();
        feed.publish(&[alert(1, "Chunhu"), alert(2, "Qiucun"), alert(3, "Chunhu")]);
        let all = feed.subscribe(Some(first - 1));
        assert!(all.complete);
        assert_eq!(all.backlog.len(), 3);
        let after_one = feed.subscribe(Some(first));
        let seqs: Vec<u64> = after_one.backlog.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![first + 1, first + 2]);
        assert!(after_one.backlog[0].for_town(Some("Qiucun")));
        assert!(!after_one.backlog[0].for_town(Some("Chunhu")));
        assert!(after_one.backlog[0].for_town(None));
        let too_old = feed.subscribe(Some(first - 100));
        assert!(!too_old.complete, "events before the kept ones are lost");
        let mut live = feed.subscribe(None);
        assert!(live.backlog.is_empty());
        feed.publish(&[alert(4, "Songao")]);
        assert_eq!(live.live.try_recv().unwrap().seq, first + 3);
    }

    /// The kept events are bounded in bytes, not only in number: large alerts cannot make
    /// the feed hold more memory than its budget.
    #[test]
    fn kept_events_stay_within_the_byte_budget() {
        // two-digit ids: every event has the same size
        let one = book::alert_json(&alert(10, "Chunhu")).to_string().len();
        let feed = AlertFeed::keeping(10 * one);
        let first = feed.next_seq();
        for id in 10..35 {
            feed.publish(&[alert(id, "Chunhu")]);
        }
        let kept = feed.subscribe(Some(first - 1));
        assert!(!kept.complete, "the oldest events were let go");
        assert_eq!(kept.backlog.len(), 10);
        assert_eq!(kept.backlog[0].seq, first + 15);
        let bytes: usize = kept.backlog.iter().map(|m| m.json.len()).sum();
        assert!(bytes <= 10 * one);
    }
}
