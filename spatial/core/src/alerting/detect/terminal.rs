//! What a vehicle's terminal says besides its position (JT/T 808): that it is alive, whether
//! it has a fix, and its alarm bits.
//!
//! `vehicle_alarm` is one episode per vehicle while any alarm of
//! [`vehicle_alarms`](super::DetectorConfig::vehicle_alarms) is raised: opened when the first
//! is, updated when the set changes, closed when the terminal reports none of them. It sits
//! at the vehicle's latest fix (a vehicle never positioned raises nothing).
//!
//! The terminal's contacts also tell `gps_off` apart (see [`TerminalState::gps_off_facts`]):
//! a terminal that went on reporting — "not positioned", or an antenna cut — while its fixes
//! stopped had its positioning switched off; one that said nothing at all went silent.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Env, Who, evidence, num};
use crate::alerting::{AlertEvent, Phase};
use crate::model::AlertKind;

/// Alarms that mean the terminal cannot position: with them, a silence of fixes is
/// positioning switched off.
const GNSS_ALARMS: [&str; 3] = [
    "gnss_module_fault",
    "gnss_antenna_cut",
    "gnss_antenna_short",
];

/// One report of a vehicle's terminal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TerminalReport {
    /// When it was sent (epoch s), or received when the terminal gave no time.
    pub t: f64,
    /// Whether the terminal had a fix (`None`: the report does not say, as a heartbeat).
    pub positioned: Option<bool>,
    /// The alarms raised, by name (`None`: the report does not say).
    pub alarms: Option<Vec<String>>,
}

/// What the detectors remember of one vehicle's terminal.
#[derive(Debug, Default)]
pub(super) struct TerminalState {
    /// The latest report.
    contact: Option<f64>,
    /// Since when it has reported "not positioned" without a fix in between.
    unpositioned_since: Option<f64>,
    /// The alarms of its latest report that said any.
    alarms: BTreeSet<String>,
    /// The `vehicle_alarm` episode is open.
    open: bool,
}

impl TerminalState {
    /// Takes in a report; `at` is the vehicle's latest fix (where an alarm is shown).
    pub(super) fn observe(
        &mut self,
        env: Env,
        who: &Who,
        report: &TerminalReport,
        at: Option<[f64; 2]>,
        out: &mut Vec<AlertEvent>,
    ) {
        if self.contact.is_some_and(|t| report.t < t) {
            return;
        }
        self.contact = Some(report.t);
        match report.positioned {
            Some(false) => {
                self.unpositioned_since.get_or_insert(report.t);
            }
            Some(true) => self.unpositioned_since = None,
            None => {}
        }
        let Some(alarms) = &report.alarms else {
            return;
        };
        let raised: BTreeSet<String> = alarms
            .iter()
            .filter(|a| env.config.vehicle_alarms.contains(a))
            .cloned()
            .collect();
        if raised == self.alarms {
            return;
        }
        let previous = std::mem::replace(&mut self.alarms, raised);
        let Some(at) = at else {
            return;
        };
        let episode = who.episode(AlertKind::VehicleAlarm, env.config.severity.vehicle_alarm);
        let list = |set: &BTreeSet<String>| Value::from(set.iter().cloned().collect::<Vec<_>>());
        let phase = match (self.open, self.alarms.is_empty()) {
            (false, false) => Phase::Open,
            (true, false) => Phase::Update,
            (true, true) => Phase::Close,
            (false, true) => return,
        };
        self.open = phase != Phase::Close;
        let facts = evidence([
            ("alarms", list(&self.alarms)),
            (
                "cleared",
                list(&previous.difference(&self.alarms).cloned().collect()),
            ),
        ]);
        out.push(episode.event(env.ctx, phase, report.t, at, facts));
    }

    /// The evidence a `gps_off` episode of this vehicle, last fixed at `last_fix`, takes from
    /// its terminal: `terminal` is `positioning_off` when it kept reporting after that fix
    /// while not positioned or with a GNSS alarm, `reporting` when it kept reporting without
    /// saying why no fix came, `silent` when it said nothing.
    pub(super) fn gps_off_facts(&self, last_fix: f64) -> Map<String, Value> {
        let gnss: Vec<&String> = self
            .alarms
            .iter()
            .filter(|a| GNSS_ALARMS.contains(&a.as_str()))
            .collect();
        let state = match self.contact {
            Some(t) if t > last_fix => {
                if self.unpositioned_since.is_some() || !gnss.is_empty() {
                    "positioning_off"
                } else {
                    "reporting"
                }
            }
            _ => "silent",
        };
        let mut facts = evidence([("terminal", Value::from(state))]);
        if let Some(t) = self.contact.filter(|t| *t > last_fix) {
            facts.insert("last_contact".into(), num(t));
        }
        if !gnss.is_empty() {
            facts.insert(
                "gnss_alarms".into(),
                Value::from(gnss.into_iter().cloned().collect::<Vec<_>>()),
            );
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::model::VehicleClass;

    impl Run {
        /// A report of vehicle `id`'s terminal at `minute`.
        fn terminal(&mut self, id: &str, minute: f64, positioned: Option<bool>, alarms: &[&str]) {
            let report = TerminalReport {
                t: minutes_from(self.base, minute),
                positioned,
                alarms: positioned.map(|_| alarms.iter().map(|a| (*a).to_owned()).collect()),
            };
            let at = Some(at(ROAD));
            self.detectors.observe_terminal(
                &self.ctx,
                id,
                Some("ZB-12345"),
                at,
                &report,
                &mut self.out,
            );
        }
    }

    #[test]
    fn alarms_open_update_and_close_one_episode() {
        let mut run = Run::new();
        run.vehicle("T1", VehicleClass::TankTruck, None, 0.0, ROAD, 40.0);
        for (minute, alarms) in [
            (1.0, vec!["overspeed"]),
            (2.0, vec!["gnss_antenna_cut"]),
            (3.0, vec!["gnss_antenna_cut", "main_power_cut"]),
            (4.0, vec!["gnss_antenna_cut", "main_power_cut"]),
            (5.0, vec![]),
        ] {
            run.terminal("T1", minute, Some(true), &alarms);
        }
        let phases: Vec<(Phase, f64)> = run
            .events(AlertKind::VehicleAlarm)
            .iter()
            .map(|e| (e.phase, e.t))
            .collect();
        // overspeed is not a tampering alarm; the repeat changes nothing
        let t = |m: f64| minutes_from(run.base, m);
        assert_eq!(
            phases,
            [
                (Phase::Open, t(2.0)),
                (Phase::Update, t(3.0)),
                (Phase::Close, t(5.0))
            ]
        );
        let update = run.last(AlertKind::VehicleAlarm, Phase::Update);
        assert_eq!(
            update.evidence["alarms"],
            serde_json::json!(["gnss_antenna_cut", "main_power_cut"])
        );
        let close = run.last(AlertKind::VehicleAlarm, Phase::Close);
        assert_eq!(
            close.evidence["cleared"],
            serde_json::json!(["gnss_antenna_cut", "main_power_cut"])
        );
        assert_eq!(close.location, at(ROAD));
    }

    #[test]
    fn gps_off_tells_positioning_switched_off_from_silence() {
        let mut runs = Vec::new();
        for (positioned, alarms, expect) in [
            (None, &[][..], Some("reporting")),
            (Some(false), &[][..], Some("positioning_off")),
            (
                Some(true),
                &["gnss_antenna_cut"][..],
                Some("positioning_off"),
            ),
        ] {
            let mut run = Run::new();
            run.vehicle("T1", VehicleClass::TankTruck, None, 0.0, ROAD, 40.0);
            run.terminal("T1", 1.0, positioned, alarms);
            runs.push((run, expect));
        }
        // a terminal heard last with its last fix went silent; an HTTP tracker has no terminal
        let mut silent = Run::new();
        silent.terminal("T1", 0.0, Some(true), &[]);
        silent.vehicle("T1", VehicleClass::TankTruck, None, 0.0, ROAD, 40.0);
        runs.push((silent, Some("silent")));
        let mut http = Run::new();
        http.vehicle("T1", VehicleClass::TankTruck, None, 0.0, ROAD, 40.0);
        runs.push((http, None));
        for (mut run, expect) in runs {
            run.tick(12.0);
            let open = run.last(AlertKind::GpsOff, Phase::Open);
            assert_eq!(
                open.evidence.get("terminal").and_then(|v| v.as_str()),
                expect,
                "{:?}",
                open.evidence
            );
        }
    }
}
