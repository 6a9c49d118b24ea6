//! Records of the command platform: cases across agencies, inspections of risk points and the
//! red and yellow cards of accountable units. Their rules live in [`crate::command`].

use geo::Geometry;
use serde::{Deserialize, Serialize};

use super::{Card, FeatureId, NonNegative, Record, non_empty, ordered_span};
use crate::{Layer, ModelError};

text_enum!(
    /// An agency of the district that takes part in cases.
    Agency { /** 海警: the coast guard. */ CoastGuard, /** 公安: the police. */ Police, /** 海关: customs. */ Customs,
    /** 农业农村: agriculture and rural affairs (fishing vessels). */ Agriculture,
    /** 市场监管: market regulation (cold stores, fuel). */ Market, /** 交通运输: transport (trucks, ports). */ Transport }
);
text_enum!(
    /// Where a case is in its lifecycle.
    CaseStatus { /** Opened, nobody works on it yet. */ Open, /** Under investigation by its lead agency. */ Investigating,
    /** Handed to another agency, which has not taken it up yet. */ HandedOver, /** Closed with an outcome. */ Closed }
    default Open
);
text_enum!(
    /// How a case ended.
    CaseOutcome { /** Smuggling confirmed. */ Confirmed, /** Nothing unlawful found. */ NoViolation, /** Anything else. */ Other }
);
text_enum!(
    /// What was smuggled, for a confirmed case (the goods the plan names).
    Goods { /** 冻品: frozen meat and seafood. */ FrozenFood, /** 成品油: refined oil. */ RefinedOil,
    /** 香烟: cigarettes. */ Cigarettes, /** 农产品: agricultural products. */ AgriculturalProducts,
    /** 其他: anything else. */ Other }
);
text_enum!(
    /// A unit that answers for its area: a town, a village or a risk point.
    CardUnit { /** A town (`areas` of kind town). */ Town, /** A village or community (`areas` of kind village). */ Village,
    /** A "one port, two firms, three depots" site (`risk_points`). */ RiskPoint }
);
text_enum!(
    /// Why a card was issued.
    CardReason { /** Red: smuggling confirmed at or attributed to the unit. */ ConfirmedCase,
    /** Yellow: a risk point that no camera sees. */ NotCovered,
    /** Yellow: a town whose risk points are less than 80 % covered. */ LowCoverage,
    /** Yellow: a risk point whose inspection is overdue. */ InspectionOverdue,
    /** Yellow: alerts left unacknowledged for more than 24 h. */ UnacknowledgedAlerts,
    /** Yellow: set by an admin, with a reason. */ Manual }
);
text_enum!(
    /// Where a card is in its lifecycle (overdue is read from the deadline, not stored).
    CardStatus { /** In force. */ Active, /** Cleared by a recorded rectification (yellow). */ Rectified,
    /** Past its period (red: the calendar year it was issued in). */ Expired }
);
text_enum!(
    /// What an inspector found.
    InspectionResult { /** Nothing wrong. */ Ok, /** Problems found (see the findings). */ Issues }
);

/// The alerts, tips and inspections a case groups.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseLinks {
    /// Alert ids.
    #[serde(default)]
    pub alerts: Vec<FeatureId>,
    /// Tip ids (alerts of kind `tip`).
    #[serde(default)]
    pub tips: Vec<FeatureId>,
    /// Inspection ids.
    #[serde(default)]
    pub inspections: Vec<FeatureId>,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEntry {
    /// When (epoch s).
    pub at: i64,
    /// Who (the token's user).
    pub by: String,
    /// What: `open`, `investigate`, `note`, `link`, `handover`, `close`.
    pub action: String,
    /// The status after the step.
    pub status: CaseStatus,
    /// Free-text note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For a hand-over: the agency that gave the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Agency>,
    /// For a hand-over: the agency that took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Agency>,
}

/// Attributes of a `cases` feature: one matter handled across agencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case is about, in a line.
    pub title: String,
    /// Lifecycle state.
    pub status: CaseStatus,
    /// The agency that holds the case.
    pub lead_agency: Agency,
    /// Agencies that help (and those that handed the case on).
    #[serde(default)]
    pub supporting: Vec<Agency>,
    /// How it ended (closed cases only).
    #[serde(default)]
    pub outcome: Option<CaseOutcome>,
    /// What was smuggled (confirmed cases only).
    #[serde(default)]
    pub goods: Option<Goods>,
    /// The town it belongs to.
    #[serde(default)]
    pub town: Option<String>,
    /// The risk point it is attributed to.
    #[serde(default)]
    pub risk_point_id: Option<FeatureId>,
    /// When it was opened (epoch s).
    pub opened_at: i64,
    /// Last change (epoch s).
    pub updated_at: i64,
    /// Who opened it.
    pub opened_by: String,
    /// What it groups.
    #[serde(default)]
    pub links: CaseLinks,
    /// Every step, oldest first.
    #[serde(default)]
    pub history: Vec<CaseEntry>,
}

impl Record for Case {
    const LAYER: Layer = Layer::Cases;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("title", &self.title)?;
        ordered_span(self.opened_at, self.updated_at)?;
        match (self.status, self.outcome) {
            (CaseStatus::Closed, None) => {
                return Err(ModelError::invalid("outcome", "a closed case has one"));
            }
            (status, Some(_)) if status != CaseStatus::Closed => {
                return Err(ModelError::invalid("outcome", "only a closed case has one"));
            }
            _ => {}
        }
        match (self.outcome, self.goods) {
            (Some(CaseOutcome::Confirmed), None) => Err(ModelError::invalid(
                "goods",
                "a confirmed case names what was smuggled",
            )),
            (outcome, Some(_)) if outcome != Some(CaseOutcome::Confirmed) => Err(
                ModelError::invalid("goods", "only a confirmed case names goods"),
            ),
            _ => Ok(()),
        }
    }
}

/// Attributes of an `inspections` feature: one visit of a grid officer to a risk point, where
/// the officer's phone was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    /// The risk point visited.
    pub risk_point_id: FeatureId,
    /// Who inspected (the token's user).
    pub inspector: String,
    /// When the visit took place (epoch s).
    pub t: i64,
    /// What was found.
    pub findings: String,
    /// The verdict.
    pub result: InspectionResult,
    /// How far the recorded position was from the risk point (m).
    pub distance_m: NonNegative,
    /// When it was recorded (epoch s).
    pub recorded_at: i64,
    /// How many photos were taken (served at `/api/v1/inspections/{id}/photos/{n}.jpg`).
    #[serde(default)]
    pub photos: u32,
}

impl Record for Inspection {
    const LAYER: Layer = Layer::Inspections;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("inspector", &self.inspector)?;
        non_empty("findings", &self.findings)
    }
}

/// Attributes of a `cards` feature: one red or yellow card of a unit, from issue to clearing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardRecord {
    /// What kind of unit holds it.
    pub unit: CardUnit,
    /// The unit's feature id (`areas` or `risk_points`).
    pub unit_id: FeatureId,
    /// The unit's name.
    pub unit_name: String,
    /// Red or yellow.
    pub color: Card,
    /// Why.
    pub reason: CardReason,
    /// More about why, in no language so that every interface words it: `not_covered` why
    /// no camera sees the site (`range`, `fov`, `terrain`); `low_coverage` the town's
    /// risk-point coverage (%); `inspection_overdue` the days since the last inspection, or
    /// `never`; `unacknowledged_alerts` how many alerts wait; `confirmed_case` the case's title;
    /// `manual` the admin's reason.
    #[serde(default)]
    pub detail: Option<String>,
    /// When it was issued (epoch s).
    pub issued_at: i64,
    /// Rectify by then (yellow; epoch s).
    #[serde(default)]
    pub deadline: Option<i64>,
    /// Lifecycle state.
    pub status: CardStatus,
    /// When it was cleared or expired (epoch s).
    #[serde(default)]
    pub cleared_at: Option<i64>,
    /// What was done to put things right.
    #[serde(default)]
    pub rectification: Option<String>,
    /// Who issued it (`rules` when the rules did).
    pub issued_by: String,
    /// The confirmed case behind a red card.
    #[serde(default)]
    pub case_id: Option<FeatureId>,
    /// The town the unit lies in.
    #[serde(default)]
    pub town: Option<String>,
}

impl Record for CardRecord {
    const LAYER: Layer = Layer::Cards;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("unit_name", &self.unit_name)?;
        match self.color {
            Card::None => Err(ModelError::invalid("color", "a card is red or yellow")),
            Card::Yellow if self.deadline.is_none() => Err(ModelError::invalid(
                "deadline",
                "a yellow card has a rectification deadline",
            )),
            _ => Ok(()),
        }
    }
}
