//! The command platform's service: cases shared between agencies, red and yellow cards of
//! towns, villages and risk points, inspections of risk points, the rewards of public tips,
//! and the audit log that records every action.
//!
//! The rules are `coastwatch_core::command`'s; this module reads what they need from the
//! store and writes what they decide, each change in one transaction with its audit entry.
//! Writes of cases, cards and inspections take one lock (`writer`), so that ids and
//! read-modify-write steps never race; tips are alerts and change through the alert book.

use std::collections::HashMap;
use std::sync::Arc;

use coastwatch_core::alerting::LocalClock;
use coastwatch_core::alerting::book::alert_json;
use coastwatch_core::command::{
    self as rules, CardRules, CaseAction, CommandError, Reward, RewardAction, Trigger,
};
use coastwatch_core::geodesy::distance_m;
use coastwatch_core::model::{
    Agency, AlertKind, Area, AreaKind, Card, CardReason, CardRecord, CardStatus, CardUnit, Case,
    CaseOutcome, FeatureId, Inspection, InspectionResult, NonNegative, RiskPoint,
};
use coastwatch_core::{Feature, Layer};
use coastwatch_store::{AuditEntry, Changes, Query, Store};
use geo::{Contains, Geometry, InteriorPoint, Point};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::alerts::Alerts;
use crate::auth::{Role, User};
use crate::config::CommandConfig;
use crate::error::AppError;

/// Alerts open longer than this without acknowledgement earn their unit a yellow card.
const ACK_DEADLINE_S: i64 = 24 * 3600;
/// An alert this close to a risk point counts as the risk point's.
const SITE_RADIUS_M: f64 = 500.0;
/// An inspection may be recorded this long after the visit.
const MAX_INSPECTION_AGE_S: i64 = 30 * 86_400;
/// A phone's clock may run this far ahead of the server's.
const CLOCK_SLACK_S: i64 = 120;

/// An audit entry of `user` doing `action` to feature `id` of `layer`.
pub fn audit(
    user: &str,
    action: &str,
    layer: Layer,
    id: FeatureId,
    before: Option<Value>,
    after: Option<Value>,
    at: i64,
) -> AuditEntry {
    audit_of(
        user,
        action,
        format!("{layer}/{}", id.get()),
        before,
        after,
        at,
    )
}

/// An audit entry of `user` doing `action` to `target` (`layer/id`, `watchlist/plate`).
pub fn audit_of(
    user: &str,
    action: &str,
    target: String,
    before: Option<Value>,
    after: Option<Value>,
    at: i64,
) -> AuditEntry {
    AuditEntry {
        id: 0,
        at,
        user: user.to_owned(),
        action: action.to_owned(),
        target,
        before,
        after,
    }
}

/// A case, card or inspection as the API shows it: `id`, the attributes, `location`.
pub fn case_json(feature: &Feature) -> Value {
    alert_json(feature)
}

fn refused(error: CommandError) -> AppError {
    match error {
        CommandError::Invalid(e) => AppError::bad_request(e.to_string()),
        CommandError::Conflict(message) => AppError::Conflict(message),
    }
}

fn record<R: serde::de::DeserializeOwned>(feature: &Feature) -> Result<R, AppError> {
    serde_json::from_value(Value::Object(feature.properties.clone())).map_err(|e| {
        AppError::Internal(format!(
            "stored feature {:?} does not read back: {e}",
            feature.id
        ))
    })
}

fn feature_of<R: serde::Serialize>(
    record: &R,
    geometry: Option<Geometry>,
    id: FeatureId,
) -> Feature {
    let properties = match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        _ => Default::default(),
    };
    Feature {
        id: Some(id),
        geometry,
        properties,
    }
}

fn lonlat(feature: &Feature) -> Option<[f64; 2]> {
    match &feature.geometry {
        Some(Geometry::Point(p)) => Some([p.x(), p.y()]),
        Some(other) => other.interior_point().map(|p| [p.x(), p.y()]),
        None => None,
    }
}

/// What a new case starts with (checked by [`Command::open_case`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewCase {
    /// What it is about.
    pub title: String,
    /// The agency that leads it.
    pub lead_agency: Option<Agency>,
    /// Its town (default: the risk point's, or the town at its location).
    pub town: Option<String>,
    /// Where (default: the risk point's or the first alert's location).
    pub location: Option<[f64; 2]>,
    /// The risk point it is attributed to.
    pub risk_point_id: Option<FeatureId>,
    /// Alerts it groups.
    pub alerts: Vec<FeatureId>,
    /// A first note.
    pub note: Option<String>,
}

/// An inspection as a grid officer's phone sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewInspection {
    /// The risk point visited.
    pub risk_point_id: FeatureId,
    /// Where the phone was.
    pub location: [f64; 2],
    /// When the visit took place (epoch s).
    pub t: i64,
    /// What was found.
    pub findings: String,
    /// The verdict.
    pub result: InspectionResult,
    /// Photos taken there (JPEG).
    #[serde(with = "byte_strings")]
    pub photos: Vec<Vec<u8>>,
}

/// Photos cross the cluster as byte strings, not as lists of numbers.
mod byte_strings {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    pub fn serialize<S: Serializer>(photos: &[Vec<u8>], to: S) -> Result<S::Ok, S::Error> {
        to.collect_seq(photos.iter().map(|p| Bytes::new(p)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let photos = Vec::<ByteBuf>::deserialize(from)?;
        Ok(photos.into_iter().map(ByteBuf::into_vec).collect())
    }
}

/// A write of the command platform, as a route takes it. The single process applies it
/// itself ([`Command::apply`]); in a cluster the leading core does, so that ids and
/// read-modify-write steps are taken by one writer (see `cluster::actions`).
#[derive(Debug, Serialize, Deserialize)]
pub enum Write {
    /// [`Command::open_case`].
    OpenCase(NewCase),
    /// [`Command::act_on_case`]; closing a case applies the card rules after it.
    ActOnCase {
        /// The case.
        id: FeatureId,
        /// The step.
        action: CaseAction,
    },
    /// [`Command::set_yellow`].
    SetYellow {
        /// The kind of unit carded.
        unit: CardUnit,
        /// The unit (an area or risk point id).
        unit_id: FeatureId,
        /// Why.
        reason: String,
    },
    /// [`Command::rectify`].
    Rectify {
        /// The card.
        id: FeatureId,
        /// What was done.
        rectification: String,
    },
    /// [`Command::record_inspection`].
    RecordInspection(NewInspection),
    /// [`Command::verify_tip`].
    VerifyTip {
        /// The tip.
        id: FeatureId,
        /// The case it led to.
        case_id: FeatureId,
    },
    /// [`Command::reward`].
    Reward {
        /// The tip.
        id: FeatureId,
        /// The step.
        action: RewardAction,
    },
    /// [`Command::refresh_cards`], as every read of the cards does first.
    RefreshCards,
}

/// What a [`Write`] gave: the changed record as the API shows it (`null` for
/// [`Write::RefreshCards`]) and the layers written.
#[derive(Debug, Serialize, Deserialize)]
pub struct Written {
    /// The record written.
    pub record: Value,
    /// The layers written.
    pub layers: Vec<Layer>,
}

/// The column of a risk point's row the card rules write: a planner's edit of the others,
/// made while the rules ran, stays.
const SITE_CARD: &[&str] = &["card"];

/// Photos one inspection may carry.
pub const MAX_PHOTOS: usize = 4;

/// The command platform's writer and readers.
#[derive(Clone)]
pub struct Command {
    store: Arc<dyn Store>,
    alerts: Alerts,
    settings: Arc<CommandConfig>,
    clock: LocalClock,
    writer: Arc<Mutex<()>>,
}

impl Command {
    /// The service over `store`, with tips changed through `alerts`.
    pub fn new(
        store: Arc<dyn Store>,
        alerts: Alerts,
        settings: CommandConfig,
        clock: LocalClock,
    ) -> Self {
        Self {
            store,
            alerts,
            settings: Arc::new(settings),
            clock,
            writer: Arc::new(Mutex::new(())),
        }
    }

    /// Applies `write` for `user`; `town_at` names the town at a location.
    ///
    /// # Errors
    /// What the step was refused with, or the store's failure.
    pub async fn apply(
        &self,
        user: &User,
        write: Write,
        town_at: impl Fn([f64; 2]) -> Option<String>,
    ) -> Result<Written, AppError> {
        let now = || crate::clock::now_epoch_s() as i64;
        let (record, layers) = match write {
            Write::OpenCase(new) => (
                case_json(&self.open_case(user, new, town_at).await?),
                vec![Layer::Cases],
            ),
            Write::ActOnCase { id, action } => {
                let closing = matches!(action, CaseAction::Close { .. });
                let case = case_json(&self.act_on_case(user, id, action).await?);
                let mut layers = vec![Layer::Cases];
                if closing {
                    // a closed case may clear a card; a failure waits for the next refresh
                    match self.refresh_cards(now()).await {
                        Ok(carded) => layers.extend(carded),
                        Err(error) => tracing::warn!(%error, "cards not refreshed"),
                    }
                }
                (case, layers)
            }
            Write::SetYellow {
                unit,
                unit_id,
                reason,
            } => (
                case_json(&self.set_yellow(user, unit, unit_id, &reason).await?),
                vec![Layer::Cards, Layer::RiskPoints],
            ),
            Write::Rectify { id, rectification } => (
                case_json(&self.rectify(user, id, &rectification).await?),
                vec![Layer::Cards, Layer::RiskPoints],
            ),
            Write::RecordInspection(new) => (
                case_json(&self.record_inspection(user, new).await?),
                vec![Layer::Inspections],
            ),
            Write::VerifyTip { id, case_id } => (
                self.verify_tip(user, id, case_id).await?,
                vec![Layer::Cases],
            ),
            Write::Reward { id, action } => (self.reward(user, id, action).await?, vec![]),
            Write::RefreshCards => (Value::Null, self.refresh_cards(now()).await?),
        };
        Ok(Written { record, layers })
    }

    fn card_rules(&self) -> CardRules {
        CardRules {
            rectification_days: i64::from(self.settings.rectification_days),
        }
    }

    /// The id the next feature of `layer` gets (call with the writer lock held).
    async fn next_id(&self, layer: Layer) -> Result<FeatureId, AppError> {
        let last = self
            .store
            .query(
                layer,
                &Query {
                    limit: Some(1),
                    newest_first: true,
                    ..Query::default()
                },
            )
            .await?;
        let next = last.first().and_then(|f| f.id).map_or(1, |id| id.get() + 1);
        FeatureId::try_from(next).map_err(|e| AppError::Internal(e.to_string()))
    }

    async fn get(&self, layer: Layer, id: FeatureId) -> Result<Feature, AppError> {
        self.store.get(layer, id).await?.ok_or_else(|| {
            AppError::NotFound(format!("no {} {id}", layer.name().trim_end_matches('s')))
        })
    }

    async fn all(&self, layer: Layer) -> Result<Vec<Feature>, AppError> {
        Ok(self.store.query(layer, &Query::default()).await?)
    }

    // ---- cases ----

    /// Opens a case for `user`; `town_at` names the town at a location.
    pub async fn open_case(
        &self,
        user: &User,
        new: NewCase,
        town_at: impl Fn([f64; 2]) -> Option<String>,
    ) -> Result<Feature, AppError> {
        let lead = match (new.lead_agency, user.scope.agency) {
            (Some(lead), Some(mine)) if lead != mine => {
                return Err(AppError::Forbidden(format!(
                    "user {:?} of {} opens cases led by its own agency, not {}",
                    user.name,
                    rules::agency_name(mine),
                    rules::agency_name(lead)
                )));
            }
            (Some(lead), _) | (None, Some(lead)) => lead,
            (None, None) => {
                return Err(AppError::bad_request(
                    "lead_agency is required: coast_guard, police, customs, agriculture, market or transport",
                ));
            }
        };
        let risk_point =
            match new.risk_point_id {
                Some(id) => Some(self.store.get(Layer::RiskPoints, id).await?.ok_or_else(
                    || AppError::bad_request(format!("risk_point_id {id}: no such risk point")),
                )?),
                None => None,
            };
        let mut alerts = Vec::new();
        for id in &new.alerts {
            let alert = self
                .store
                .get(Layer::Alerts, *id)
                .await?
                .ok_or_else(|| AppError::bad_request(format!("alerts: no alert {id}")))?;
            alerts.push(alert);
        }
        let location = new
            .location
            .or_else(|| risk_point.as_ref().and_then(lonlat))
            .or_else(|| alerts.first().and_then(lonlat));
        let town = new
            .town
            .or_else(|| {
                risk_point
                    .as_ref()
                    .and_then(|r| r.properties["town"].as_str().map(str::to_owned))
            })
            .or_else(|| location.and_then(&town_at))
            .or_else(|| user.scope.town.clone());
        if !user.scope.acts_in_town(town.as_deref()) {
            return Err(AppError::Forbidden(format!(
                "user {:?} acts for {}, not {}",
                user.name,
                user.scope.town.as_deref().unwrap_or_default(),
                town.as_deref().unwrap_or("the centre")
            )));
        }
        let now = crate::clock::now_epoch_s().floor() as i64;
        let mut case =
            rules::open_case(&new.title, lead, town, new.note, &user.name, now).map_err(refused)?;
        case.risk_point_id = new.risk_point_id;
        case.links.alerts = new.alerts;
        case.links.alerts.dedup();
        let _writing = self.writer.lock().await;
        let id = self.next_id(Layer::Cases).await?;
        let feature = Layer::Cases
            .validate(feature_of(
                &case,
                location.map(|[x, y]| Point::new(x, y).into()),
                id,
            ))
            .map_err(|e| AppError::bad_request(e.to_string()))?;
        self.store_case(user, "case.open", None, &feature, now)
            .await?;
        Ok(feature)
    }

    async fn store_case(
        &self,
        user: &User,
        action: &str,
        before: Option<&Feature>,
        after: &Feature,
        now: i64,
    ) -> Result<(), AppError> {
        let id = after
            .id
            .ok_or_else(|| AppError::Internal("a case without id".into()))?;
        let mut changes = Changes {
            audit: vec![audit(
                &user.name,
                action,
                Layer::Cases,
                id,
                before.map(case_json),
                Some(case_json(after)),
                now,
            )],
            ..Changes::default()
        };
        changes.upsert(Layer::Cases, vec![after.clone()]);
        self.store.commit(changes).await?;
        self.alerts.feed.publish_cases(std::slice::from_ref(after));
        Ok(())
    }

    /// Case `id` if `user` may see it.
    pub async fn case(&self, user: Option<&User>, id: FeatureId) -> Result<Feature, AppError> {
        let feature = self.get(Layer::Cases, id).await?;
        let case: Case = record(&feature)?;
        if let Some(user) = user
            && !user.scope.sees_case(&case)
        {
            return Err(AppError::Forbidden(format!(
                "case {id} is not shared with {}",
                user.scope
                    .agency
                    .map(rules::agency_name)
                    .unwrap_or_default()
            )));
        }
        Ok(feature)
    }

    /// The cases `user` may see, newest first, filtered by `status`, `agency` and `town`.
    pub async fn cases(
        &self,
        user: Option<&User>,
        equals: Vec<(String, Value)>,
        agency: Option<Agency>,
    ) -> Result<Vec<Feature>, AppError> {
        let query = Query {
            equals,
            newest_first: true,
            ..Query::default()
        };
        let mut out = Vec::new();
        for feature in self.store.query(Layer::Cases, &query).await? {
            let case: Case = record(&feature)?;
            let seen = user.is_none_or(|u| u.scope.sees_case(&case));
            let involved =
                agency.is_none_or(|a| case.lead_agency == a || case.supporting.contains(&a));
            if seen && involved {
                out.push(feature);
            }
        }
        Ok(out)
    }

    /// Takes `action` on case `id` for `user`.
    pub async fn act_on_case(
        &self,
        user: &User,
        id: FeatureId,
        action: CaseAction,
    ) -> Result<Feature, AppError> {
        if let CaseAction::Link { links } = &action {
            for alert in links.alerts.iter().chain(&links.tips) {
                self.store
                    .get(Layer::Alerts, *alert)
                    .await?
                    .ok_or_else(|| AppError::bad_request(format!("links: no alert {alert}")))?;
            }
            for inspection in &links.inspections {
                self.store
                    .get(Layer::Inspections, *inspection)
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_request(format!("links: no inspection {inspection}"))
                    })?;
            }
        }
        let _writing = self.writer.lock().await;
        let before = self.case(Some(user), id).await?;
        let mut case: Case = record(&before)?;
        if !user.scope.acts_on_case(&case) {
            return Err(AppError::Forbidden(format!(
                "user {:?} may read case {id} but not act on it: it is led by {}{}",
                user.name,
                rules::agency_name(case.lead_agency),
                case.town
                    .as_deref()
                    .map_or_else(String::new, |t| format!(" in {t}"))
            )));
        }
        let name = match &action {
            CaseAction::Investigate { .. } => "case.investigate",
            CaseAction::Note { .. } => "case.note",
            CaseAction::Link { .. } => "case.link",
            CaseAction::Handover { .. } => "case.handover",
            CaseAction::Close { .. } => "case.close",
        };
        let now = crate::clock::now_epoch_s().floor() as i64;
        rules::act_on_case(&mut case, action, &user.name, now).map_err(refused)?;
        let after = feature_of(&case, before.geometry.clone(), id);
        self.store_case(user, name, Some(&before), &after, now)
            .await?;
        Ok(after)
    }

    // ---- tips and rewards ----

    async fn tip_feature(&self, id: FeatureId) -> Result<Feature, AppError> {
        let alert = self.get(Layer::Alerts, id).await?;
        if alert.properties["kind"] != json!(AlertKind::Tip) {
            return Err(AppError::NotFound(format!("alert {id} is not a tip")));
        }
        Ok(alert)
    }

    /// Tip `id` as `user` may see it: with the reporter's contact for admins only.
    pub async fn tip(&self, user: Option<&User>, id: FeatureId) -> Result<Value, AppError> {
        let alert = self.tip_feature(id).await?;
        let mut out = alert_json(&alert);
        if user.is_some_and(|u| u.roles.contains(&Role::Admin))
            && let Some(key) = alert.properties["subject"]["id"].as_str()
        {
            out["contact"] = json!(self.store.tip_contact(key).await?);
        }
        Ok(out)
    }

    /// Marks tip `id` verified: it led to case `case_id` (which `user` acts on), and the case
    /// links it.
    pub async fn verify_tip(
        &self,
        user: &User,
        id: FeatureId,
        case_id: FeatureId,
    ) -> Result<Value, AppError> {
        self.tip_feature(id).await?;
        let _writing = self.writer.lock().await;
        let before = self.case(Some(user), case_id).await?;
        let mut case: Case = record(&before)?;
        if !user.scope.acts_on_case(&case) {
            return Err(AppError::Forbidden(format!(
                "user {:?} does not act on case {case_id}",
                user.name
            )));
        }
        let now = crate::clock::now_epoch_s().floor() as i64;
        if !case.links.tips.contains(&id) {
            let mut links = coastwatch_core::model::CaseLinks::default();
            links.tips.push(id);
            rules::act_on_case(&mut case, CaseAction::Link { links }, &user.name, now)
                .map_err(refused)?;
        }
        let after_case = feature_of(&case, before.geometry.clone(), case_id);
        let mut with_case = Changes {
            audit: vec![audit(
                &user.name,
                "case.link",
                Layer::Cases,
                case_id,
                Some(case_json(&before)),
                Some(case_json(&after_case)),
                now,
            )],
            ..Changes::default()
        };
        with_case.upsert(Layer::Cases, vec![after_case.clone()]);
        let tip = self
            .alerts
            .change_with(id, user, "tip.verify", with_case, |tip, now| {
                if !tip.properties["evidence"]["reward"].is_null() {
                    return Err(AppError::Conflict(format!("tip {id} is already verified")));
                }
                set_reward(tip, &Reward::verified(case_id, &user.name, now))
            })
            .await?;
        self.alerts.feed.publish_cases(&[after_case]);
        Ok(alert_json(&tip))
    }

    /// Takes a reward step on tip `id`: a dispatcher proposes, an admin approves and pays.
    pub async fn reward(
        &self,
        user: &User,
        id: FeatureId,
        action: RewardAction,
    ) -> Result<Value, AppError> {
        if !matches!(action, RewardAction::Propose(_)) && !user.roles.contains(&Role::Admin) {
            return Err(AppError::Forbidden(format!(
                "user {:?}: only an admin approves and pays rewards",
                user.name
            )));
        }
        self.tip_feature(id).await?;
        let step = match action {
            RewardAction::Propose(_) => "reward.propose",
            RewardAction::Approve => "reward.approve",
            RewardAction::Pay(_) => "reward.pay",
        };
        let tip = self
            .alerts
            .change_with(id, user, step, Changes::default(), |tip, now| {
                let stored = &tip.properties["evidence"]["reward"];
                if stored.is_null() {
                    return Err(AppError::Conflict(format!(
                        "tip {id} is not verified: link it to a case first (POST /api/v1/tips/{id}/verify)"
                    )));
                }
                let mut reward: Reward = serde_json::from_value(stored.clone())
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                reward.step(action, &user.name, now).map_err(refused)?;
                set_reward(tip, &reward)
            })
            .await?;
        Ok(alert_json(&tip))
    }

    /// The rewards paid in local calendar year `year`: tip id, case, amount, paid at.
    pub async fn ledger(&self, year: i32) -> Result<Vec<Value>, AppError> {
        let tips = self
            .store
            .query(
                Layer::Alerts,
                &Query {
                    equals: vec![("kind".into(), json!("tip"))],
                    ..Query::default()
                },
            )
            .await?;
        let mut rows = Vec::new();
        for tip in tips {
            let Ok(reward) =
                serde_json::from_value::<Reward>(tip.properties["evidence"]["reward"].clone())
            else {
                continue;
            };
            let Some(paid_at) = reward.paid_at() else {
                continue;
            };
            if self.clock.year(paid_at) == year {
                rows.push(json!({
                    "tip_id": tip.id.map(FeatureId::get),
                    "case_id": reward.case_id.get(),
                    "amount_yuan": reward.amount_yuan,
                    "paid_at": paid_at,
                    "town": tip.properties["town"],
                }));
            }
        }
        Ok(rows)
    }

    // ---- inspections ----

    /// Records a grid officer's visit: refused when it lies in the future, is older than 30
    /// days, or the phone was farther from the site than `inspection_max_distance_m`.
    pub async fn record_inspection(
        &self,
        user: &User,
        new: NewInspection,
    ) -> Result<Feature, AppError> {
        let now = crate::clock::now_epoch_s().floor() as i64;
        if new.t > now + CLOCK_SLACK_S {
            return Err(AppError::bad_request(format!(
                "t {} is {} s in the future; record a visit after it took place",
                new.t,
                new.t - now
            )));
        }
        if new.t < now - MAX_INSPECTION_AGE_S {
            return Err(AppError::bad_request(format!(
                "t {} is more than 30 days ago; record visits within 30 days",
                new.t
            )));
        }
        let [lon, lat] = new.location;
        if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
            return Err(AppError::bad_request(format!(
                "location {lon}, {lat} is not a lon/lat in range"
            )));
        }
        let site = self
            .store
            .get(Layer::RiskPoints, new.risk_point_id)
            .await?
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "risk_point_id {}: no such risk point",
                    new.risk_point_id
                ))
            })?;
        let town = site.properties["town"].as_str();
        if !user.scope.acts_in_town(town) {
            return Err(AppError::Forbidden(format!(
                "user {:?} inspects in {}; risk point {} is in {}",
                user.name,
                user.scope.town.as_deref().unwrap_or_default(),
                new.risk_point_id,
                town.unwrap_or("no town")
            )));
        }
        let at = lonlat(&site)
            .ok_or_else(|| AppError::Internal("a risk point without a place".into()))?;
        let distance = distance_m(new.location, at);
        let max = self.settings.inspection_max_distance_m;
        if distance > max {
            return Err(AppError::BadRequest(
                format!(
                    "the recorded position is {distance:.0} m from risk point {}; an inspection is recorded at the site (within {max:.0} m)",
                    new.risk_point_id
                ),
                Some(json!({"distance_m": distance.round(), "max_distance_m": max})),
            ));
        }
        if new.photos.len() > MAX_PHOTOS {
            return Err(AppError::bad_request(format!(
                "{} photos; an inspection carries at most {MAX_PHOTOS}",
                new.photos.len()
            )));
        }
        let inspection = Inspection {
            risk_point_id: new.risk_point_id,
            inspector: user.name.clone(),
            t: new.t,
            findings: new.findings,
            result: new.result,
            distance_m: NonNegative::try_from(distance.round())
                .map_err(|e| AppError::Internal(e.to_string()))?,
            recorded_at: now,
            photos: new.photos.len() as u32,
        };
        let _writing = self.writer.lock().await;
        let id = self.next_id(Layer::Inspections).await?;
        let feature = Layer::Inspections
            .validate(feature_of(
                &inspection,
                Some(Point::new(lon, lat).into()),
                id,
            ))
            .map_err(|e| AppError::bad_request(e.to_string()))?;
        let mut changes = Changes {
            audit: vec![audit(
                &user.name,
                "inspection.record",
                Layer::Inspections,
                id,
                None,
                Some(case_json(&feature)),
                now,
            )],
            photos: new
                .photos
                .into_iter()
                .enumerate()
                .map(|(n, jpeg)| coastwatch_store::Photo {
                    inspection_id: id,
                    n: n as u32,
                    jpeg,
                })
                .collect(),
            ..Changes::default()
        };
        changes.upsert(Layer::Inspections, vec![feature.clone()]);
        self.store.commit(changes).await?;
        Ok(feature)
    }

    /// Risk points whose next inspection is due before `now`, most overdue first.
    pub async fn overdue_inspections(&self, now: i64) -> Result<Vec<Value>, AppError> {
        let sites = self.all(Layer::RiskPoints).await?;
        let inspections = self.all(Layer::Inspections).await?;
        Ok(overdue(&sites, &inspections, &self.settings, now)
            .into_iter()
            .map(|o| {
                json!({
                    "risk_point_id": o.site.id.map(FeatureId::get),
                    "name": o.site.properties["name"],
                    "kind": o.site.properties["kind"],
                    "town": o.site.properties["town"],
                    "last_inspected": o.last,
                    "due": o.due,
                    "overdue_days": o.due.map(|due| (now - due) / 86_400),
                })
            })
            .collect())
    }

    // ---- cards ----

    /// Applies the card rules at `now`: issues the cards that conditions call for, expires
    /// last year's red cards and sets each risk point's `card`. Returns the layers written.
    pub async fn refresh_cards(&self, now: i64) -> Result<Vec<Layer>, AppError> {
        let _writing = self.writer.lock().await;
        let areas = self.all(Layer::Areas).await?;
        let sites = self.all(Layer::RiskPoints).await?;
        let cases = self.all(Layer::Cases).await?;
        let inspections = self.all(Layer::Inspections).await?;
        let open_alerts = self
            .store
            .query(
                Layer::Alerts,
                &Query {
                    equals: vec![("status".into(), json!("open"))],
                    ..Query::default()
                },
            )
            .await?;
        let (towns, coverage) = crate::coverage::town_and_site_coverage(self.store.as_ref())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let units = Units::new(&areas, &sites);
        let mut triggers = Vec::new();
        for feature in &cases {
            let case: Case = record(feature)?;
            if case.outcome != Some(CaseOutcome::Confirmed) {
                continue;
            }
            for unit in units.of_case(&case, feature) {
                triggers.push(unit.trigger(
                    CardReason::ConfirmedCase,
                    Some(case.title.clone()),
                    feature.id,
                    case.updated_at,
                ));
            }
        }
        for site in coverage.iter().filter(|s| !s.covered) {
            if let Some(unit) = units.site(site.id) {
                triggers.push(unit.trigger(
                    CardReason::NotCovered,
                    Some(format!("{:?}", site.reason).to_lowercase()),
                    None,
                    now,
                ));
            }
        }
        for town in &towns {
            if let (Some(pct), Some(unit)) = (
                town.risk_point_coverage_pct,
                town.town.as_deref().and_then(|t| units.town(t)),
            ) && pct < 80.0
            {
                triggers.push(unit.trigger(
                    CardReason::LowCoverage,
                    Some(format!("{pct:.0}")),
                    None,
                    now,
                ));
            }
        }
        for late in overdue(&sites, &inspections, &self.settings, now) {
            if let Some(unit) = late.site.id.and_then(|id| units.site(id.get())) {
                let detail = match late.last {
                    Some(t) => ((now - t) / 86_400).to_string(),
                    None => "never".into(),
                };
                triggers.push(unit.trigger(CardReason::InspectionOverdue, Some(detail), None, now));
            }
        }
        let mut waiting: std::collections::BTreeMap<(CardUnit, i64), usize> = Default::default();
        for alert in &open_alerts {
            let opened = alert.properties["opened_at"].as_i64().unwrap_or(now);
            if now - opened <= ACK_DEADLINE_S {
                continue;
            }
            for unit in units.of_alert(alert) {
                *waiting.entry((unit.unit, unit.id.get())).or_default() += 1;
            }
        }
        for ((kind, id), count) in waiting {
            if let Some(unit) = units.find(kind, id) {
                triggers.push(unit.trigger(
                    CardReason::UnacknowledgedAlerts,
                    Some(count.to_string()),
                    None,
                    now,
                ));
            }
        }

        let stored = self.stored_cards().await?;
        let changes = rules::reconcile(&stored, &triggers, now, self.card_rules(), |t| {
            self.clock.year(t)
        });
        let mut next = self.next_id(Layer::Cards).await?.get();
        let mut cards = Vec::new();
        let mut audit_log = Vec::new();
        let mut after: Vec<(FeatureId, CardRecord)> = stored.clone();
        for (id, card) in changes {
            let id = match id {
                Some(id) => id,
                None => {
                    let id =
                        FeatureId::try_from(next).map_err(|e| AppError::Internal(e.to_string()))?;
                    next += 1;
                    id
                }
            };
            let geometry = units
                .find(card.unit, card.unit_id.get())
                .and_then(|u| u.location)
                .map(|[x, y]| Point::new(x, y).into());
            let feature = feature_of(&card, geometry, id);
            let action = if card.status == CardStatus::Active {
                "card.issue"
            } else {
                "card.expire"
            };
            audit_log.push(audit(
                "rules",
                action,
                Layer::Cards,
                id,
                None,
                Some(case_json(&feature)),
                now,
            ));
            after.retain(|(i, _)| *i != id);
            after.push((id, card));
            cards.push(feature);
        }
        let site_cards = self.site_card_updates(&sites, &after);
        let mut written = Vec::new();
        let mut commit = Changes {
            audit: audit_log,
            ..Changes::default()
        };
        if !cards.is_empty() {
            written.push(Layer::Cards);
            commit.upsert(Layer::Cards, cards);
        }
        if !site_cards.is_empty() {
            written.push(Layer::RiskPoints);
            commit.refresh(Layer::RiskPoints, site_cards, SITE_CARD);
        }
        if !commit.is_empty() {
            self.store.commit(commit).await?;
        }
        Ok(written)
    }

    async fn stored_cards(&self) -> Result<Vec<(FeatureId, CardRecord)>, AppError> {
        self.all(Layer::Cards)
            .await?
            .iter()
            .map(|f| {
                let id =
                    f.id.ok_or_else(|| AppError::Internal("a card without id".into()))?;
                Ok((id, record(f)?))
            })
            .collect()
    }

    /// The risk points whose `card` differs from the worst card in force.
    fn site_card_updates(
        &self,
        sites: &[Feature],
        cards: &[(FeatureId, CardRecord)],
    ) -> Vec<Feature> {
        sites
            .iter()
            .filter_map(|site| {
                let id = site.id?;
                let card = rules::current_card(
                    cards
                        .iter()
                        .map(|(_, c)| c)
                        .filter(|c| c.unit == CardUnit::RiskPoint && c.unit_id == id),
                );
                let mut point: RiskPoint = record(site).ok()?;
                if point.card == card {
                    return None;
                }
                point.card = card;
                Some(feature_of(&point, site.geometry.clone(), id))
            })
            .collect()
    }

    /// Every unit's card now: unit, current card, award eligibility and its cards (history).
    pub async fn cards(&self, now: i64) -> Result<Vec<Value>, AppError> {
        let areas = self.all(Layer::Areas).await?;
        let sites = self.all(Layer::RiskPoints).await?;
        let cards = self.all(Layer::Cards).await?;
        let units = Units::new(&areas, &sites);
        let year = self.clock.year(now);
        // each unit's cards, read once
        let mut by_unit: HashMap<(CardUnit, FeatureId), Vec<(&Feature, CardRecord)>> =
            HashMap::new();
        for feature in &cards {
            if let Ok(card) = record::<CardRecord>(feature) {
                by_unit
                    .entry((card.unit, card.unit_id))
                    .or_default()
                    .push((feature, card));
            }
        }
        let mut out = Vec::new();
        for unit in units.all() {
            let mine = by_unit.remove(&(unit.unit, unit.id)).unwrap_or_default();
            let card = rules::current_card(mine.iter().map(|(_, c)| c));
            let red_this_year = mine
                .iter()
                .any(|(_, c)| c.color == Card::Red && self.clock.year(c.issued_at) == year);
            let history: Vec<Value> = mine
                .iter()
                .map(|(f, c)| {
                    let mut json = case_json(f);
                    json["overdue"] = json!(rules::overdue(c, now));
                    json
                })
                .collect();
            out.push(json!({
                "unit": unit.unit,
                "unit_id": unit.id.get(),
                "name": unit.name,
                "town": unit.town,
                "card": card,
                "overdue": mine.iter().any(|(_, c)| rules::overdue(c, now)),
                "award_eligible": !red_this_year,
                "location": unit.location.map(|[x, y]| json!({"type": "Point", "coordinates": [x, y]})),
                "cards": history,
            }));
        }
        Ok(out)
    }

    /// Clears yellow card `id` with what was done (`user` must act in the unit's town).
    pub async fn rectify(
        &self,
        user: &User,
        id: FeatureId,
        what_was_done: &str,
    ) -> Result<Feature, AppError> {
        let _writing = self.writer.lock().await;
        let before = self.get(Layer::Cards, id).await?;
        let mut card: CardRecord = record(&before)?;
        if !user.scope.acts_in_town(card.town.as_deref()) {
            return Err(AppError::Forbidden(format!(
                "user {:?} acts for {}; card {id} is {}'s",
                user.name,
                user.scope.town.as_deref().unwrap_or_default(),
                card.town.as_deref().unwrap_or("the centre")
            )));
        }
        let now = crate::clock::now_epoch_s().floor() as i64;
        rules::rectify(&mut card, what_was_done, now).map_err(refused)?;
        let after = feature_of(&card, before.geometry.clone(), id);
        self.write_card(user, "card.rectify", Some(&before), after, now)
            .await
    }

    /// An admin's yellow card for a unit, with a reason.
    pub async fn set_yellow(
        &self,
        user: &User,
        unit: CardUnit,
        unit_id: FeatureId,
        reason: &str,
    ) -> Result<Feature, AppError> {
        if reason.trim().is_empty() {
            return Err(AppError::bad_request("reason: an admin's card says why"));
        }
        let _writing = self.writer.lock().await;
        let areas = self.all(Layer::Areas).await?;
        let sites = self.all(Layer::RiskPoints).await?;
        let units = Units::new(&areas, &sites);
        let target = units.find(unit, unit_id.get()).ok_or_else(|| {
            AppError::bad_request(format!(
                "no {} {unit_id}",
                serde_json::to_value(unit)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ))
        })?;
        let now = crate::clock::now_epoch_s().floor() as i64;
        let trigger = target.trigger(
            CardReason::Manual,
            Some(reason.trim().to_owned()),
            None,
            now,
        );
        let card = rules::issue(&trigger, now, self.card_rules(), &user.name);
        let id = self.next_id(Layer::Cards).await?;
        let geometry = target.location.map(|[x, y]| Point::new(x, y).into());
        self.write_card(
            user,
            "card.issue",
            None,
            feature_of(&card, geometry, id),
            now,
        )
        .await
    }

    async fn write_card(
        &self,
        user: &User,
        action: &str,
        before: Option<&Feature>,
        after: Feature,
        now: i64,
    ) -> Result<Feature, AppError> {
        let id = after
            .id
            .ok_or_else(|| AppError::Internal("a card without id".into()))?;
        let after = Layer::Cards
            .validate(after)
            .map_err(|e| AppError::bad_request(e.to_string()))?;
        let mut stored = self.stored_cards().await?;
        stored.retain(|(i, _)| *i != id);
        stored.push((id, record(&after)?));
        let sites = self.all(Layer::RiskPoints).await?;
        let mut changes = Changes {
            audit: vec![audit(
                &user.name,
                action,
                Layer::Cards,
                id,
                before.map(case_json),
                Some(case_json(&after)),
                now,
            )],
            ..Changes::default()
        };
        changes.upsert(Layer::Cards, vec![after.clone()]);
        changes.refresh(
            Layer::RiskPoints,
            self.site_card_updates(&sites, &stored),
            SITE_CARD,
        );
        self.store.commit(changes).await?;
        Ok(after)
    }
}

fn set_reward(tip: &mut Feature, reward: &Reward) -> Result<(), AppError> {
    let value = serde_json::to_value(reward).map_err(|e| AppError::Internal(e.to_string()))?;
    match tip.properties.get_mut("evidence") {
        Some(Value::Object(evidence)) => {
            evidence.insert("reward".into(), value);
            Ok(())
        }
        _ => Err(AppError::Internal("a tip without evidence".into())),
    }
}

/// A risk point whose inspection is due.
struct Overdue<'a> {
    site: &'a Feature,
    last: Option<i64>,
    due: Option<i64>,
}

fn overdue<'a>(
    sites: &'a [Feature],
    inspections: &[Feature],
    settings: &CommandConfig,
    now: i64,
) -> Vec<Overdue<'a>> {
    let mut last: HashMap<i64, i64> = Default::default();
    for inspection in inspections {
        if let (Some(site), Some(t)) = (
            inspection.properties["risk_point_id"].as_i64(),
            inspection.properties["t"].as_i64(),
        ) {
            let entry = last.entry(site).or_insert(t);
            *entry = (*entry).max(t);
        }
    }
    let mut out: Vec<Overdue> = sites
        .iter()
        .filter_map(|site| {
            let point: RiskPoint = record(site).ok()?;
            let last = site.id.and_then(|id| last.get(&id.get()).copied());
            let due = last.map(|t| t + i64::from(settings.interval_days(point.kind)) * 86_400);
            due.is_none_or(|d| d < now)
                .then_some(Overdue { site, last, due })
        })
        .collect();
    out.sort_by_key(|o| o.due.unwrap_or(i64::MIN));
    out
}

/// One accountable unit.
#[derive(Debug, Clone)]
struct Unit {
    unit: CardUnit,
    id: FeatureId,
    name: String,
    town: Option<String>,
    location: Option<[f64; 2]>,
    shape: Option<Geometry>,
}

impl Unit {
    fn trigger(
        &self,
        reason: CardReason,
        detail: Option<String>,
        case_id: Option<FeatureId>,
        since: i64,
    ) -> Trigger {
        Trigger {
            unit: self.unit,
            unit_id: self.id,
            unit_name: self.name.clone(),
            town: self.town.clone(),
            reason,
            detail,
            case_id,
            since,
        }
    }

    fn contains(&self, at: [f64; 2]) -> bool {
        match &self.shape {
            Some(shape) => shape.contains(&Point::new(at[0], at[1])),
            None => self
                .location
                .is_some_and(|l| distance_m(l, at) <= SITE_RADIUS_M),
        }
    }
}

/// The towns, villages and risk points of the district.
struct Units {
    units: Vec<Unit>,
}

impl Units {
    fn new(areas: &[Feature], sites: &[Feature]) -> Self {
        let mut units = Vec::new();
        let town_shapes: Vec<(String, Geometry)> = areas
            .iter()
            .filter_map(|f| {
                let area: Area = record(f).ok()?;
                (area.kind == AreaKind::Town).then(|| Some((area.name, f.geometry.clone()?)))?
            })
            .collect();
        for feature in areas {
            let (Some(id), Ok(area)) = (feature.id, record::<Area>(feature)) else {
                continue;
            };
            let unit = match area.kind {
                AreaKind::Town => CardUnit::Town,
                AreaKind::Village => CardUnit::Village,
                _ => continue,
            };
            let location = lonlat(feature);
            let town = match unit {
                CardUnit::Town => Some(area.name.clone()),
                _ => location.and_then(|[x, y]| {
                    town_shapes
                        .iter()
                        .find(|(_, shape)| shape.contains(&Point::new(x, y)))
                        .map(|(name, _)| name.clone())
                }),
            };
            units.push(Unit {
                unit,
                id,
                name: area.name,
                town,
                location,
                shape: feature.geometry.clone(),
            });
        }
        for feature in sites {
            let (Some(id), Ok(point)) = (feature.id, record::<RiskPoint>(feature)) else {
                continue;
            };
            units.push(Unit {
                unit: CardUnit::RiskPoint,
                id,
                name: point.name,
                town: point.town,
                location: lonlat(feature),
                shape: None,
            });
        }
        Self { units }
    }

    fn all(&self) -> &[Unit] {
        &self.units
    }

    fn find(&self, unit: CardUnit, id: i64) -> Option<&Unit> {
        self.units
            .iter()
            .find(|u| u.unit == unit && u.id.get() == id)
    }

    fn site(&self, id: i64) -> Option<&Unit> {
        self.find(CardUnit::RiskPoint, id)
    }

    fn town(&self, name: &str) -> Option<&Unit> {
        self.units
            .iter()
            .find(|u| u.unit == CardUnit::Town && u.name == name)
    }

    /// The units a confirmed case counts against: its risk point, its town, and the village
    /// it lies in.
    fn of_case(&self, case: &Case, feature: &Feature) -> Vec<&Unit> {
        let at = lonlat(feature);
        self.units
            .iter()
            .filter(|u| match u.unit {
                CardUnit::RiskPoint => case.risk_point_id == Some(u.id),
                CardUnit::Town => case.town.as_deref() == Some(u.name.as_str()),
                CardUnit::Village => at.is_some_and(|at| u.contains(at)),
            })
            .collect()
    }

    /// The units an alert belongs to: its town, the village and risk points where it is.
    fn of_alert(&self, alert: &Feature) -> Vec<&Unit> {
        let at = lonlat(alert);
        let town = alert.properties["town"].as_str();
        self.units
            .iter()
            .filter(|u| match u.unit {
                CardUnit::Town => town == Some(u.name.as_str()),
                _ => at.is_some_and(|at| u.contains(at)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inspection_crosses_the_cluster_with_its_photos_as_bytes() {
        let photo: Vec<u8> = (0..100_000u32).map(|n| (n % 251) as u8).collect();
        let write = Write::RecordInspection(NewInspection {
            risk_point_id: FeatureId::try_from(7).unwrap(),
            location: [121.6, 29.6],
            t: 1_800_000_000,
            findings: "log book kept".into(),
            result: InspectionResult::Ok,
            photos: vec![photo.clone(), vec![0xFF, 0xD8]],
        });
        let mut sent = Vec::new();
        ciborium::into_writer(&write, &mut sent).unwrap();
        // a list of numbers would take up to twice the photo
        assert!(sent.len() < photo.len() + 200, "{} bytes", sent.len());
        let Write::RecordInspection(back) = ciborium::from_reader(sent.as_slice()).unwrap() else {
            panic!("another write came back");
        };
        assert_eq!(back.photos, [photo, vec![0xFF, 0xD8]]);
        assert_eq!(back.findings, "log book kept");
    }
}
