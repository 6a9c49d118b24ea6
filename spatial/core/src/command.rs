//! The rules of the command platform: who may act on what (a user's [`Scope`]), the steps of
//! a case ([`CaseAction`]), the issuing and clearing of red and yellow cards ([`reconcile`],
//! [`rectify`]) and the reward of a public tip ([`RewardAction`]). Values in, values out: the
//! server stores what these functions return.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ModelError;
use crate::model::{
    Agency, Card, CardReason, CardRecord, CardStatus, CardUnit, Case, CaseEntry, CaseOutcome,
    CaseStatus, FeatureId, Goods,
};

/// Why a step was refused.
#[derive(Debug, Error)]
pub enum CommandError {
    /// The request itself is wrong (400).
    #[error(transparent)]
    Invalid(#[from] ModelError),
    /// The object is not in a state that allows the step (409).
    #[error("{0}")]
    Conflict(String),
}

/// What a user may act on: an agency and/or a town; nothing set means the whole district.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The user's agency: it sees the cases it leads or supports and acts on those it leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<Agency>,
    /// The user's town (a sub-centre): it sees everything and acts only on its town's matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
}

impl Scope {
    /// Whether the user may act on something of `town` (a matter without a town belongs to
    /// the centre).
    pub fn acts_in_town(&self, town: Option<&str>) -> bool {
        self.town.as_deref().is_none_or(|mine| town == Some(mine))
    }

    /// Whether the user may read `case`.
    pub fn sees_case(&self, case: &Case) -> bool {
        self.agency
            .is_none_or(|a| case.lead_agency == a || case.supporting.contains(&a))
    }

    /// Whether the user may act on `case`: it sees it, it is in its town, and its agency (if
    /// any) leads it.
    pub fn acts_on_case(&self, case: &Case) -> bool {
        self.acts_in_town(case.town.as_deref()) && self.agency.is_none_or(|a| case.lead_agency == a)
    }
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CaseAction {
    /// The lead agency starts work on it.
    Investigate {
        /// What is being done.
        note: Option<String>,
    },
    /// A note for the record.
    Note {
        /// The note.
        note: String,
    },
    /// Alerts, tips or inspections join the case.
    Link {
        /// What joins (duplicates are ignored).
        links: crate::model::CaseLinks,
    },
    /// The case goes to another agency; the one that gave it keeps following it.
    Handover {
        /// The agency that takes the case.
        to: Agency,
        /// Why (required).
        note: String,
    },
    /// The case ends.
    Close {
        /// How.
        outcome: CaseOutcome,
        /// What was smuggled (confirmed only, required then).
        goods: Option<Goods>,
        /// The closing report (required).
        note: String,
    },
}

impl CaseAction {
    fn name(&self) -> &'static str {
        match self {
            Self::Investigate { .. } => "investigate",
            Self::Note { .. } => "note",
            Self::Link { .. } => "link",
            Self::Handover { .. } => "handover",
            Self::Close { .. } => "close",
        }
    }
}

fn required(what: &'static str, text: &str) -> Result<String, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        Err(ModelError::invalid(what, "must not be empty").into())
    } else {
        Ok(text.to_owned())
    }
}

/// A new case, opened by `by` at `now`.
pub fn open_case(
    title: &str,
    lead_agency: Agency,
    town: Option<String>,
    note: Option<String>,
    by: &str,
    now: i64,
) -> Result<Case, CommandError> {
    let title = required("title", title)?;
    Ok(Case {
        title,
        status: CaseStatus::Open,
        lead_agency,
        supporting: Vec::new(),
        outcome: None,
        goods: None,
        town,
        risk_point_id: None,
        opened_at: now,
        updated_at: now,
        opened_by: by.to_owned(),
        links: Default::default(),
        history: vec![CaseEntry {
            at: now,
            by: by.to_owned(),
            action: "open".into(),
            status: CaseStatus::Open,
            note: note.filter(|n| !n.trim().is_empty()),
            from: None,
            to: Some(lead_agency),
        }],
    })
}

/// Applies `action` by `by` at `now` to `case`; on error the case is unchanged.
pub fn act_on_case(
    case: &mut Case,
    action: CaseAction,
    by: &str,
    now: i64,
) -> Result<(), CommandError> {
    if case.status == CaseStatus::Closed {
        return Err(CommandError::Conflict(format!(
            "the case is closed ({}); it takes no more steps",
            serde_json::to_value(case.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )));
    }
    let mut next = case.clone();
    let mut entry = CaseEntry {
        at: now,
        by: by.to_owned(),
        action: action.name().into(),
        status: case.status,
        note: None,
        from: None,
        to: None,
    };
    match action {
        CaseAction::Investigate { note } => {
            next.status = CaseStatus::Investigating;
            entry.note = note.filter(|n| !n.trim().is_empty());
        }
        CaseAction::Note { note } => entry.note = Some(required("note", &note)?),
        CaseAction::Link { links } => {
            for (mine, new) in [
                (&mut next.links.alerts, links.alerts),
                (&mut next.links.tips, links.tips),
                (&mut next.links.inspections, links.inspections),
            ] {
                for id in new {
                    if !mine.contains(&id) {
                        mine.push(id);
                    }
                }
            }
            if next.links == case.links {
                return Err(ModelError::invalid("links", "nothing new to link").into());
            }
        }
        CaseAction::Handover { to, note } => {
            if to == case.lead_agency {
                return Err(ModelError::invalid(
                    "to",
                    format!(
                        "the case is already led by {}; hand it over to another agency",
                        agency_name(to)
                    ),
                )
                .into());
            }
            entry.note = Some(required("note", &note)?);
            entry.from = Some(case.lead_agency);
            entry.to = Some(to);
            next.supporting.retain(|a| *a != to);
            if !next.supporting.contains(&case.lead_agency) {
                next.supporting.push(case.lead_agency);
            }
            next.lead_agency = to;
            next.status = CaseStatus::HandedOver;
        }
        CaseAction::Close {
            outcome,
            goods,
            note,
        } => {
            entry.note = Some(required("note", &note)?);
            next.status = CaseStatus::Closed;
            next.outcome = Some(outcome);
            next.goods = goods;
        }
    }
    entry.status = next.status;
    next.history.push(entry);
    next.updated_at = next.updated_at.max(now);
    crate::model::Record::check(&next, None)?;
    *case = next;
    Ok(())
}

/// The snake_case name of an agency.
pub fn agency_name(agency: Agency) -> String {
    serde_json::to_value(agency)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A unit's card as the rules see it now: the worst card in force.
pub fn current_card<'a>(cards: impl IntoIterator<Item = &'a CardRecord>) -> Card {
    cards
        .into_iter()
        .filter(|c| c.status == CardStatus::Active)
        .map(|c| c.color)
        .max()
        .unwrap_or(Card::None)
}

/// A condition that calls for a card, found by the server from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// What kind of unit.
    pub unit: CardUnit,
    /// The unit's id.
    pub unit_id: FeatureId,
    /// The unit's name.
    pub unit_name: String,
    /// The town it lies in.
    pub town: Option<String>,
    /// Why; red for [`CardReason::ConfirmedCase`], yellow otherwise.
    pub reason: CardReason,
    /// Numbers or words that explain it.
    pub detail: Option<String>,
    /// The confirmed case (red).
    pub case_id: Option<FeatureId>,
    /// When the condition arose (a red card's case closing; `now` otherwise).
    pub since: i64,
}

/// How cards are issued.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardRules {
    /// Days from a yellow card to its rectification deadline; also the days after a
    /// rectification before the same condition may raise a new card.
    pub rectification_days: i64,
}

impl Default for CardRules {
    fn default() -> Self {
        Self {
            rectification_days: 30,
        }
    }
}

/// The card changes that `triggers` call for, given the stored `cards`: new cards (no id) for
/// conditions not already carded, and red cards of an earlier calendar year expired.
///
/// A condition already carries a card when one of the same unit and reason is in force, or
/// was rectified less than `rectification_days` ago (the unit has that long to show the
/// measures work); a confirmed case gives its unit one red card, ever. `year_of` gives the
/// local calendar year of an epoch second.
pub fn reconcile(
    cards: &[(FeatureId, CardRecord)],
    triggers: &[Trigger],
    now: i64,
    rules: CardRules,
    year_of: impl Fn(i64) -> i32,
) -> Vec<(Option<FeatureId>, CardRecord)> {
    let mut changes: Vec<(Option<FeatureId>, CardRecord)> = Vec::new();
    let this_year = year_of(now);
    for (id, card) in cards {
        if card.color == Card::Red
            && card.status == CardStatus::Active
            && year_of(card.issued_at) < this_year
        {
            let mut expired = card.clone();
            expired.status = CardStatus::Expired;
            expired.cleared_at = Some(now);
            changes.push((Some(*id), expired));
        }
    }
    let recheck_s = rules.rectification_days * 86_400;
    for trigger in triggers {
        let same_unit = |c: &CardRecord| {
            c.unit == trigger.unit && c.unit_id == trigger.unit_id && c.reason == trigger.reason
        };
        let mut known = cards
            .iter()
            .map(|(_, c)| c)
            .chain(changes.iter().map(|(_, c)| c));
        let carded = if trigger.reason == CardReason::ConfirmedCase {
            known.any(|c| same_unit(c) && c.case_id == trigger.case_id)
        } else {
            known.any(|c| {
                same_unit(c)
                    && (c.status == CardStatus::Active
                        || (c.status == CardStatus::Rectified
                            && c.cleared_at.is_some_and(|t| now - t < recheck_s)))
            })
        };
        if carded
            || (trigger.reason == CardReason::ConfirmedCase && year_of(trigger.since) < this_year)
        {
            continue;
        }
        changes.push((None, issue(trigger, now, rules, "rules")));
    }
    changes
}

/// A new card for `trigger`, issued by `by` at `now`.
pub fn issue(trigger: &Trigger, now: i64, rules: CardRules, by: &str) -> CardRecord {
    let red = trigger.reason == CardReason::ConfirmedCase;
    CardRecord {
        unit: trigger.unit,
        unit_id: trigger.unit_id,
        unit_name: trigger.unit_name.clone(),
        color: if red { Card::Red } else { Card::Yellow },
        reason: trigger.reason,
        detail: trigger.detail.clone(),
        issued_at: if red { trigger.since } else { now },
        deadline: (!red).then_some(now + rules.rectification_days * 86_400),
        status: CardStatus::Active,
        cleared_at: None,
        rectification: None,
        issued_by: by.to_owned(),
        case_id: trigger.case_id,
        town: trigger.town.clone(),
    }
}

/// Clears a yellow card with what was done to put things right.
pub fn rectify(card: &mut CardRecord, what_was_done: &str, now: i64) -> Result<(), CommandError> {
    let what = required("rectification", what_was_done)?;
    if card.color == Card::Red {
        return Err(CommandError::Conflict(
            "a red card stands for its year; only yellow cards are rectified".into(),
        ));
    }
    if card.status != CardStatus::Active {
        return Err(CommandError::Conflict(
            "the card is no longer in force".into(),
        ));
    }
    card.status = CardStatus::Rectified;
    card.cleared_at = Some(now);
    card.rectification = Some(what);
    Ok(())
}

/// Whether a card in force has passed its rectification deadline.
pub fn overdue(card: &CardRecord, now: i64) -> bool {
    card.status == CardStatus::Active && card.deadline.is_some_and(|d| now > d)
}

/// Where the reward of a public tip stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    /// The tip led to a case.
    Verified,
    /// An amount was proposed.
    Proposed,
    /// The amount was approved.
    Approved,
    /// The reporter was paid.
    Paid,
}

/// The reward record of a tip (kept in the tip alert's evidence; the reporter's contact is
/// kept apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reward {
    /// Where it stands.
    pub status: RewardStatus,
    /// The case the tip led to.
    pub case_id: FeatureId,
    /// Amount in yuan (from the proposal on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_yuan: Option<u64>,
    /// Each step: status, who, when.
    pub steps: Vec<RewardStep>,
}

/// One step of a reward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardStep {
    /// The status it reached.
    pub status: RewardStatus,
    /// Who.
    pub by: String,
    /// When (epoch s).
    pub at: i64,
}

/// A step of a reward after verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RewardAction {
    /// Propose an amount (yuan, more than 0).
    Propose(u64),
    /// Approve the proposed amount.
    Approve,
    /// Record the payment, made at the given epoch second.
    Pay(i64),
}

impl Reward {
    /// The reward of a tip just verified by linking it to `case_id`.
    pub fn verified(case_id: FeatureId, by: &str, now: i64) -> Self {
        Self {
            status: RewardStatus::Verified,
            case_id,
            amount_yuan: None,
            steps: vec![RewardStep {
                status: RewardStatus::Verified,
                by: by.to_owned(),
                at: now,
            }],
        }
    }

    /// When it was paid.
    pub fn paid_at(&self) -> Option<i64> {
        self.steps
            .iter()
            .find(|s| s.status == RewardStatus::Paid)
            .map(|s| s.at)
    }

    /// Takes the next step; each step follows the one before, in order.
    pub fn step(&mut self, action: RewardAction, by: &str, now: i64) -> Result<(), CommandError> {
        let (from, to, at) = match action {
            RewardAction::Propose(0) => {
                return Err(ModelError::invalid("amount_yuan", "must be more than 0").into());
            }
            RewardAction::Propose(amount) => {
                if self.status == RewardStatus::Verified || self.status == RewardStatus::Proposed {
                    self.amount_yuan = Some(amount);
                }
                (
                    [RewardStatus::Verified, RewardStatus::Proposed],
                    RewardStatus::Proposed,
                    now,
                )
            }
            RewardAction::Approve => ([RewardStatus::Proposed; 2], RewardStatus::Approved, now),
            RewardAction::Pay(at) => {
                if at > now {
                    return Err(
                        ModelError::invalid("paid_at", "a payment is recorded after it").into(),
                    );
                }
                ([RewardStatus::Approved; 2], RewardStatus::Paid, at)
            }
        };
        if !from.contains(&self.status) {
            return Err(CommandError::Conflict(format!(
                "the reward is {:?}; {:?} comes after {:?}",
                self.status, to, from[0]
            )));
        }
        self.status = to;
        self.steps.push(RewardStep {
            status: to,
            by: by.to_owned(),
            at,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> FeatureId {
        FeatureId::try_from(n).unwrap()
    }

    fn case(town: &str) -> Case {
        open_case(
            "Cold store at night",
            Agency::Police,
            Some(town.into()),
            None,
            "li",
            100,
        )
        .unwrap()
    }

    #[test]
    fn scopes_limit_what_users_see_and_act_on() {
        let qiucun = Scope {
            agency: None,
            town: Some("Qiucun".into()),
        };
        let customs = Scope {
            agency: Some(Agency::Customs),
            town: None,
        };
        let songao_case = case("Songao");
        assert!(qiucun.sees_case(&songao_case));
        assert!(!qiucun.acts_on_case(&songao_case));
        assert!(qiucun.acts_on_case(&case("Qiucun")));
        assert!(
            !qiucun.acts_in_town(None),
            "a sub-centre does not act for the centre"
        );
        assert!(Scope::default().acts_on_case(&songao_case));
        assert!(!customs.sees_case(&songao_case));
        let mut handed = songao_case.clone();
        act_on_case(
            &mut handed,
            CaseAction::Handover {
                to: Agency::Customs,
                note: "goods from abroad".into(),
            },
            "li",
            200,
        )
        .unwrap();
        assert!(customs.sees_case(&handed) && customs.acts_on_case(&handed));
        let police = Scope {
            agency: Some(Agency::Police),
            town: None,
        };
        assert!(police.sees_case(&handed), "the giver keeps following it");
        assert!(!police.acts_on_case(&handed), "but no longer leads it");
    }

    #[test]
    fn a_case_goes_through_its_steps() {
        let mut c = case("Chunhu");
        act_on_case(&mut c, CaseAction::Investigate { note: None }, "li", 150).unwrap();
        assert_eq!(c.status, CaseStatus::Investigating);
        act_on_case(
            &mut c,
            CaseAction::Handover {
                to: Agency::Customs,
                note: "frozen goods".into(),
            },
            "li",
            200,
        )
        .unwrap();
        assert_eq!(
            (c.status, c.lead_agency, c.supporting.clone()),
            (
                CaseStatus::HandedOver,
                Agency::Customs,
                vec![Agency::Police]
            )
        );
        let before = c.clone();
        let to_itself = act_on_case(
            &mut c,
            CaseAction::Handover {
                to: Agency::Customs,
                note: "x".into(),
            },
            "wu",
            250,
        );
        assert!(matches!(to_itself, Err(CommandError::Invalid(_))));
        let no_goods = act_on_case(
            &mut c,
            CaseAction::Close {
                outcome: CaseOutcome::Confirmed,
                goods: None,
                note: "seized".into(),
            },
            "wu",
            260,
        );
        assert!(matches!(no_goods, Err(CommandError::Invalid(_))));
        assert_eq!(c, before, "refused steps change nothing");
        act_on_case(
            &mut c,
            CaseAction::Close {
                outcome: CaseOutcome::Confirmed,
                goods: Some(Goods::FrozenFood),
                note: "12 t seized".into(),
            },
            "wu",
            300,
        )
        .unwrap();
        assert_eq!((c.status, c.updated_at), (CaseStatus::Closed, 300));
        assert_eq!(c.history.len(), 4);
        assert!(matches!(
            act_on_case(
                &mut c,
                CaseAction::Note {
                    note: "late".into()
                },
                "wu",
                400
            ),
            Err(CommandError::Conflict(_))
        ));
    }

    fn trigger(reason: CardReason, case_id: Option<i64>, since: i64) -> Trigger {
        Trigger {
            unit: CardUnit::RiskPoint,
            unit_id: id(7),
            unit_name: "Cold store 7".into(),
            town: Some("Chunhu".into()),
            reason,
            detail: None,
            case_id: case_id.map(id),
            since,
        }
    }

    #[test]
    fn cards_are_issued_once_cleared_and_rechecked() {
        let rules = CardRules {
            rectification_days: 10,
        };
        let year = |t: i64| 2026 + (t / (365 * 86_400)) as i32;
        let day = 86_400;
        let now = 100 * day;
        let yellow = trigger(CardReason::NotCovered, None, now);
        let red = trigger(CardReason::ConfirmedCase, Some(3), now - day);
        let issued = reconcile(&[], &[yellow.clone(), red.clone()], now, rules, year);
        assert_eq!(issued.len(), 2);
        let (_, y) = &issued[0];
        assert_eq!((y.color, y.deadline), (Card::Yellow, Some(now + 10 * day)));
        assert_eq!(
            (issued[1].1.color, issued[1].1.issued_at),
            (Card::Red, now - day)
        );
        let mut stored: Vec<(FeatureId, CardRecord)> =
            vec![(id(1), issued[0].1.clone()), (id(2), issued[1].1.clone())];
        assert_eq!(current_card(stored.iter().map(|(_, c)| c)), Card::Red);
        assert!(
            reconcile(
                &stored,
                &[yellow.clone(), red.clone()],
                now + day,
                rules,
                year
            )
            .is_empty(),
            "a condition is carded once"
        );
        assert!(overdue(&stored[0].1, now + 11 * day));
        assert!(!overdue(&stored[0].1, now + 9 * day));

        let mut red_card = stored[1].1.clone();
        assert!(matches!(
            rectify(&mut red_card, "new lock", now),
            Err(CommandError::Conflict(_))
        ));
        assert!(matches!(
            rectify(&mut stored[0].1, "  ", now),
            Err(CommandError::Invalid(_))
        ));
        rectify(&mut stored[0].1, "camera installed", now + 2 * day).unwrap();
        assert!(
            !overdue(&stored[0].1, now + 20 * day),
            "cleared cards are not overdue"
        );
        assert!(
            reconcile(
                &stored,
                std::slice::from_ref(&yellow),
                now + 5 * day,
                rules,
                year
            )
            .is_empty(),
            "a rectified condition is rechecked only after the period"
        );
        let again = reconcile(&stored, &[yellow], now + 13 * day, rules, year);
        assert_eq!(again.len(), 1, "{again:?}");
        let next_year = 366 * day;
        let expired = reconcile(&stored, &[], next_year, rules, year);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].0, Some(id(2)));
        assert_eq!(expired[0].1.status, CardStatus::Expired);
    }

    #[test]
    fn a_reward_follows_its_steps_in_order() {
        let mut reward = Reward::verified(id(5), "li", 100);
        assert!(matches!(
            reward.step(RewardAction::Approve, "admin", 110),
            Err(CommandError::Conflict(_))
        ));
        assert!(matches!(
            reward.step(RewardAction::Propose(0), "li", 110),
            Err(CommandError::Invalid(_))
        ));
        reward.step(RewardAction::Propose(5000), "li", 120).unwrap();
        reward.step(RewardAction::Approve, "admin", 130).unwrap();
        assert!(matches!(
            reward.step(RewardAction::Pay(200), "admin", 140),
            Err(CommandError::Invalid(_))
        ));
        reward.step(RewardAction::Pay(135), "admin", 140).unwrap();
        assert_eq!(
            (reward.status, reward.amount_yuan, reward.paid_at()),
            (RewardStatus::Paid, Some(5000), Some(135))
        );
        assert!(reward.step(RewardAction::Pay(140), "admin", 150).is_err());
    }
}
