//! Scoring a scenario: replay it through the real detectors without a server and compare
//! the alerts with the truth, per alert kind.
//!
//! The replay takes the server's ingest step: NMEA lines go through one [`Decoder`] and
//! [`vessel_updates`], and every update through [`Picture`] (engines, identity flags,
//! monitor) with the scenario's vehicles registered; the monitor ticks every minute of data
//! time. A tip always raises a `tip`
//! alert, as `POST /api/v1/tips` does.
//!
//! An alert matches a truth incident when it has the same kind and subject (for an
//! encounter either vessel of the pair; for a tip a location within 1 km) and its time
//! span `[opened, closed or last updated]` overlaps the incident's window widened by 5
//! minutes on each side. Precision is the share of alerts that match an incident, recall
//! the share of incidents matched by an alert.

use std::collections::HashMap;
use std::fmt;

use coastwatch_core::alerting::monitor::Monitor;
use coastwatch_core::alerting::{
    AlertEvent, DetectorConfig, EpisodeKey, LocalClock, Phase, Sample,
};
use coastwatch_core::engine::{VehicleEngine, VesselEngine};
use coastwatch_core::geodesy::{self, MPS_PER_KMH};
use coastwatch_core::model::{AlertKind, SubjectType};
use coastwatch_core::picture::Picture;
use serde::{Deserialize, Serialize};

use super::error::Result;
use super::world::TIME_ZONE;
use super::{Incident, Scenario, SimEvent};
use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_ais::engine::vessel_updates;

/// Slack (s) on each side of a truth window.
pub const MATCH_SLACK_S: f64 = 300.0;
/// Greatest distance (m) between a tip alert and a truth tip.
pub const TIP_MATCH_M: f64 = 1000.0;

/// One alert episode the detectors raised in a replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// The alert kind.
    pub kind: AlertKind,
    /// What it is about.
    pub subject_type: SubjectType,
    /// Its id (MMSI, vehicle id, `tip`).
    pub subject_id: String,
    /// What tells episodes of one kind and subject apart (fence id, other MMSI).
    pub scope: String,
    /// When the episode began (epoch s).
    pub start: f64,
    /// Its last event: the close, or the latest update of an open episode (epoch s).
    pub end: f64,
    /// Where it opened (lon, lat).
    pub location: [f64; 2],
    /// Whether it closed before the end of the replay.
    pub closed: bool,
}

/// The score of one alert kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindScore {
    /// The alert kind.
    pub kind: AlertKind,
    /// Truth incidents.
    pub truths: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// Incidents matched by an alert.
    pub tp: usize,
    /// Alerts that match no incident.
    pub fp: usize,
    /// Incidents no alert matches.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Share of alerts that match an incident (1 when there are no alerts).
    pub precision: f64,
    /// Share of incidents matched (1 when there are none).
    pub recall: f64,
}

/// The score of a replay (or of several, merged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The seeds scored.
    pub seeds: Vec<u64>,
    /// Per kind, every kind but `dark_vessel` (which a scenario does not plant), in the
    /// order of [`AlertKind`].
    pub kinds: Vec<KindScore>,
    /// Incidents no alert matched.
    pub misses: Vec<Incident>,
    /// Alerts that matched no incident.
    pub false_alarms: Vec<AlertRecord>,
}

/// The kinds scored: every kind the scenario plants (all but `dark_vessel`).
pub const SCORED_KINDS: [AlertKind; 12] = [
    AlertKind::GeofenceEnter,
    AlertKind::GeofenceExit,
    AlertKind::GeofenceDwell,
    AlertKind::AisGap,
    AlertKind::Encounter,
    AlertKind::Loitering,
    AlertKind::UnregisteredLanding,
    AlertKind::IdentityAnomaly,
    AlertKind::RouteDeviation,
    AlertKind::GpsOff,
    AlertKind::NightMovement,
    AlertKind::Tip,
];

fn kind_name(kind: AlertKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Report {
    /// Whether every kind with incidents or alerts reaches both thresholds.
    pub fn passes(&self, min_precision: f64, min_recall: f64) -> bool {
        self.kinds
            .iter()
            .filter(|k| k.truths + k.alerts > 0)
            .all(|k| k.precision >= min_precision && k.recall >= min_recall)
    }

    /// The reports of several replays as one: counts added, rates recomputed.
    pub fn merge(reports: &[Report]) -> Report {
        let mut out = Report {
            seeds: Vec::new(),
            kinds: Vec::new(),
            misses: Vec::new(),
            false_alarms: Vec::new(),
        };
        for kind in SCORED_KINDS {
            let mut k = KindScore {
                kind,
                truths: 0,
                alerts: 0,
                tp: 0,
                fp: 0,
                fn_: 0,
                precision: 1.0,
                recall: 1.0,
            };
            for r in reports {
                if let Some(s) = r.kinds.iter().find(|s| s.kind == kind) {
                    k.truths += s.truths;
                    k.alerts += s.alerts;
                    k.tp += s.tp;
                    k.fp += s.fp;
                    k.fn_ += s.fn_;
                }
            }
            k.precision = rate(k.alerts - k.fp, k.alerts);
            k.recall = rate(k.tp, k.truths);
            out.kinds.push(k);
        }
        for r in reports {
            out.seeds.extend(&r.seeds);
            out.misses.extend(r.misses.iter().cloned());
            out.false_alarms.extend(r.false_alarms.iter().cloned());
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seeds: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
        writeln!(f, "seeds: {}", seeds.join(", "))?;
        writeln!(
            f,
            "{:<22} {:>6} {:>6} {:>5} {:>5} {:>5} {:>9} {:>7}",
            "kind", "truth", "alerts", "tp", "fp", "fn", "precision", "recall"
        )?;
        for k in &self.kinds {
            writeln!(
                f,
                "{:<22} {:>6} {:>6} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
                kind_name(k.kind),
                k.truths,
                k.alerts,
                k.tp,
                k.fp,
                k.fn_,
                k.precision,
                k.recall
            )?;
        }
        for m in &self.misses {
            writeln!(
                f,
                "missed: {} {} [{:.0}, {:.0}] {}",
                kind_name(m.kind),
                m.subject_id,
                m.start,
                m.end,
                m.note
            )?;
        }
        for a in &self.false_alarms {
            writeln!(
                f,
                "false alarm: {} {} {} [{:.0}, {:.0}] at {:.5}, {:.5}",
                kind_name(a.kind),
                a.subject_id,
                a.scope,
                a.start,
                a.end,
                a.location[0],
                a.location[1]
            )?;
        }
        Ok(())
    }
}

fn rate(good: usize, all: usize) -> f64 {
    if all == 0 {
        1.0
    } else {
        good as f64 / all as f64
    }
}

/// Replays `scenario` through the detectors with thresholds `config` and scores the
/// alerts against its truth.
///
/// # Errors
/// Detector thresholds that [`DetectorConfig::check`] rejects, or district layers the
/// monitor cannot compile.
pub fn evaluate(scenario: &Scenario, config: &DetectorConfig) -> Result<Report> {
    let alerts = replay(scenario, config)?;
    Ok(score(scenario.seed, &scenario.truth, &alerts))
}

/// The alert episodes the detectors raise on `scenario`.
///
/// # Errors
/// As [`evaluate`].
pub fn replay(scenario: &Scenario, config: &DetectorConfig) -> Result<Vec<AlertRecord>> {
    config.check()?;
    let clock = LocalClock::new(TIME_ZONE)?;
    let mut monitor = Monitor::new(config.clone(), clock);
    let mut events: Vec<AlertEvent> = Vec::new();
    monitor.set_geography(scenario.geography.clone(), &mut events)?;
    let mut vessels = VesselEngine::new(7200.0, h3o::Resolution::Nine);
    let mut vehicles = VehicleEngine::new(7200.0);
    for feature in &scenario.vehicles {
        vehicles.register(feature);
    }
    let mut picture = Picture {
        vessels: &mut vessels,
        vehicles: &mut vehicles,
        monitor: &mut monitor,
    };
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut tips = Vec::new();
    let mut next_tick = scenario.start + 60.0;
    for event in &scenario.events {
        while next_tick <= event.t() {
            picture.monitor.tick(next_tick, &mut events);
            next_tick += 60.0;
        }
        match event {
            SimEvent::Nmea { t, line } => {
                let decoded = match decoder.feed_line(line.as_bytes()) {
                    Ok(Some(d)) => Some((d.message, d.timestamp_s.unwrap_or(*t))),
                    _ => None,
                };
                let Some((message, t)) = decoded else {
                    continue;
                };
                for update in vessel_updates(&message, t) {
                    picture.vessel(update, &mut events);
                }
            }
            SimEvent::VehicleFix {
                t,
                vehicle_id,
                lon,
                lat,
                speed_kmh,
                heading_deg,
            } => {
                let sample = Sample {
                    t: *t,
                    lon: *lon,
                    lat: *lat,
                    speed_mps: Some(speed_kmh * MPS_PER_KMH),
                };
                // a fix of an unregistered vehicle changes nothing, as in the server
                let _ = picture.vehicle(vehicle_id, sample, Some(*heading_deg), &mut events);
            }
            SimEvent::Tip { t, lon, lat, .. } => tips.push(AlertRecord {
                kind: AlertKind::Tip,
                subject_type: SubjectType::Area,
                subject_id: "tip".into(),
                scope: String::new(),
                start: *t,
                end: *t,
                location: [*lon, *lat],
                closed: true,
            }),
        }
    }
    while next_tick <= scenario.end {
        picture.monitor.tick(next_tick, &mut events);
        next_tick += 60.0;
    }
    picture.monitor.tick(scenario.end, &mut events);

    let mut records: Vec<AlertRecord> = Vec::new();
    let mut open: HashMap<EpisodeKey, usize> = HashMap::new();
    for event in events {
        match event.phase {
            Phase::Open => {
                open.insert(event.key.clone(), records.len());
                records.push(AlertRecord {
                    kind: event.key.kind,
                    subject_type: event.key.subject.kind,
                    subject_id: event.key.subject.id.clone(),
                    scope: event.key.scope.clone(),
                    start: event.t,
                    end: event.t,
                    location: event.location,
                    closed: false,
                });
            }
            Phase::Update | Phase::Close => {
                let closing = event.phase == Phase::Close;
                let index = if closing {
                    open.remove(&event.key)
                } else {
                    open.get(&event.key).copied()
                };
                if let Some(record) = index.and_then(|i| records.get_mut(i)) {
                    record.end = record.end.max(event.t);
                    record.closed |= closing;
                }
            }
        }
    }
    records.extend(tips);
    Ok(records)
}

fn matches(truth: &Incident, alert: &AlertRecord) -> bool {
    if truth.kind != alert.kind {
        return false;
    }
    let subject = match truth.kind {
        AlertKind::Tip => geodesy::distance_m(truth.location, alert.location) <= TIP_MATCH_M,
        AlertKind::Encounter => {
            let pair = [Some(&truth.subject_id), truth.other_id.as_ref()];
            pair.iter()
                .flatten()
                .any(|id| **id == alert.subject_id || **id == alert.scope)
        }
        _ => truth.subject_type == alert.subject_type && truth.subject_id == alert.subject_id,
    };
    subject && alert.start <= truth.end + MATCH_SLACK_S && alert.end >= truth.start - MATCH_SLACK_S
}

/// Scores `alerts` against `truth` per kind.
pub fn score(seed: u64, truth: &[Incident], alerts: &[AlertRecord]) -> Report {
    let mut report = Report {
        seeds: vec![seed],
        kinds: Vec::new(),
        misses: Vec::new(),
        false_alarms: Vec::new(),
    };
    for kind in SCORED_KINDS {
        let truths: Vec<&Incident> = truth.iter().filter(|t| t.kind == kind).collect();
        let raised: Vec<&AlertRecord> = alerts.iter().filter(|a| a.kind == kind).collect();
        let found: Vec<bool> = truths
            .iter()
            .map(|t| raised.iter().any(|a| matches(t, a)))
            .collect();
        let useful: Vec<bool> = raised
            .iter()
            .map(|a| truths.iter().any(|t| matches(t, a)))
            .collect();
        let tp = found.iter().filter(|f| **f).count();
        let good = useful.iter().filter(|u| **u).count();
        report.misses.extend(
            truths
                .iter()
                .zip(&found)
                .filter(|(_, f)| !**f)
                .map(|(t, _)| (*t).clone()),
        );
        report.false_alarms.extend(
            raised
                .iter()
                .zip(&useful)
                .filter(|(_, u)| !**u)
                .map(|(a, _)| (*a).clone()),
        );
        report.kinds.push(KindScore {
            kind,
            truths: truths.len(),
            alerts: raised.len(),
            tp,
            fp: raised.len() - good,
            fn_: truths.len() - tp,
            precision: rate(good, raised.len()),
            recall: rate(tp, truths.len()),
        });
    }
    report
}
