//! Scoring a scenario: the alerts a replay raised against the truth, per alert kind. The one
//! replay is the server's (`coastwatch_server::demo::evaluate`, behind `coastwatch scenario
//! eval`): the scenario's files through a fresh server's real ingest path, detectors and alert
//! book.
//!
//! An alert matches a truth incident when it has the same kind and subject (for an
//! encounter either vessel of the pair; for a tip a location within 1 km; for a dark vessel
//! a track of the same camera, as track ids are the video core's own) and its time
//! span `[opened, closed or last updated]` overlaps the incident's window widened by 5
//! minutes on each side. Precision is the share of alerts that match an incident, recall
//! the share of incidents matched by an alert.

use std::fmt;

use coastwatch_core::geodesy;
use coastwatch_core::model::{AlertKind, SubjectType};
use serde::{Deserialize, Serialize};

use super::Incident;

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
    /// What a `gps_off` alert's evidence says of the vehicle's terminal.
    pub terminal: Option<String>,
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
    /// Per kind, every kind a scenario plants, in the order of [`AlertKind`].
    pub kinds: Vec<KindScore>,
    /// Incidents no alert matched.
    pub misses: Vec<Incident>,
    /// Alerts that matched no incident.
    pub false_alarms: Vec<AlertRecord>,
    /// How far the camera tracks' positions lie from the truth, per range band.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub position_error: Vec<BandError>,
    /// `[range_m, error_m]` of every camera observation scored (merged across seeds).
    #[serde(skip)]
    pub camera_errors: Vec<[f64; 2]>,
}

/// The position error of camera tracks in one band of range from the camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandError {
    /// The band, e.g. `500–1000 m`.
    pub band: String,
    /// Observations in it.
    pub n: usize,
    /// Median error (m).
    pub median_m: f64,
    /// 90th percentile of the error (m).
    pub p90_m: f64,
}

/// Range bands (m) of [`BandError`].
const BANDS_M: [f64; 4] = [0.0, 500.0, 1000.0, f64::INFINITY];

impl BandError {
    /// The bands of `errors` (`[range_m, error_m]`), empty bands left out.
    pub fn bands(errors: &[[f64; 2]]) -> Vec<Self> {
        BANDS_M
            .windows(2)
            .filter_map(|w| {
                let mut e: Vec<f64> = errors
                    .iter()
                    .filter(|[r, _]| *r >= w[0] && *r < w[1])
                    .map(|[_, e]| *e)
                    .collect();
                if e.is_empty() {
                    return None;
                }
                e.sort_by(f64::total_cmp);
                let at = |q: f64| e[((e.len() - 1) as f64 * q).round() as usize];
                let band = if w[1].is_finite() {
                    format!("{:.0}–{:.0} m", w[0], w[1])
                } else {
                    format!("≥ {:.0} m", w[0])
                };
                Some(Self {
                    band,
                    n: e.len(),
                    median_m: at(0.5),
                    p90_m: at(0.9),
                })
            })
            .collect()
    }
}

/// The kinds scored: every kind the scenario plants.
pub const SCORED_KINDS: [AlertKind; 14] = [
    AlertKind::GeofenceEnter,
    AlertKind::GeofenceExit,
    AlertKind::GeofenceDwell,
    AlertKind::AisGap,
    AlertKind::Encounter,
    AlertKind::Loitering,
    AlertKind::UnregisteredLanding,
    AlertKind::IdentityAnomaly,
    AlertKind::DarkVessel,
    AlertKind::RouteDeviation,
    AlertKind::GpsOff,
    AlertKind::NightMovement,
    AlertKind::Tip,
    AlertKind::WatchlistVehicle,
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
            position_error: Vec::new(),
            camera_errors: Vec::new(),
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
            out.camera_errors.extend(&r.camera_errors);
        }
        out.position_error = BandError::bands(&out.camera_errors);
        out
    }

    /// Adds the position errors of camera observations (`[range_m, error_m]`).
    pub fn with_camera_errors(mut self, errors: Vec<[f64; 2]>) -> Self {
        self.position_error = BandError::bands(&errors);
        self.camera_errors = errors;
        self
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
        for b in &self.position_error {
            writeln!(
                f,
                "camera track position error {:<12} n {:>6}  median {:>6.0} m  p90 {:>6.0} m",
                b.band, b.n, b.median_m, b.p90_m
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

fn matches(truth: &Incident, alert: &AlertRecord) -> bool {
    if truth.kind != alert.kind {
        return false;
    }
    let subject = match truth.kind {
        AlertKind::Tip => geodesy::distance_m(truth.location, alert.location) <= TIP_MATCH_M,
        // a camera track's id is the camera's and the video core's: the truth knows the camera
        AlertKind::DarkVessel | AlertKind::IdentityAnomaly | AlertKind::WatchlistVehicle
            if truth.subject_type == SubjectType::CameraTrack =>
        {
            alert.subject_type == SubjectType::CameraTrack
                && alert.subject_id.starts_with(&truth.subject_id)
        }
        AlertKind::Encounter => {
            let pair = [Some(&truth.subject_id), truth.other_id.as_ref()];
            pair.iter()
                .flatten()
                .any(|id| **id == alert.subject_id || **id == alert.scope)
        }
        // a tracker switched off must be told from one that fell silent
        AlertKind::GpsOff if truth.terminal.is_some() => {
            truth.subject_id == alert.subject_id && truth.terminal == alert.terminal
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
        position_error: Vec::new(),
        camera_errors: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gps_off(terminal: Option<&str>) -> Incident {
        Incident {
            kind: AlertKind::GpsOff,
            subject_type: SubjectType::Vehicle,
            subject_id: "TRK-1".into(),
            start: 1000.0,
            end: 3000.0,
            location: [121.5, 29.5],
            note: String::new(),
            other_id: None,
            fence_id: None,
            terminal: terminal.map(str::to_owned),
            camera_id: None,
        }
    }

    fn raised(terminal: Option<&str>) -> AlertRecord {
        AlertRecord {
            kind: AlertKind::GpsOff,
            subject_type: SubjectType::Vehicle,
            subject_id: "TRK-1".into(),
            scope: String::new(),
            start: 1000.0,
            end: 3000.0,
            location: [121.5, 29.5],
            closed: true,
            terminal: terminal.map(str::to_owned),
        }
    }

    #[test]
    fn a_tracker_switched_off_must_be_told_from_a_silent_one() {
        let kind = |truth: Incident, alert: AlertRecord| {
            let report = score(1, &[truth], &[alert]);
            let k = report
                .kinds
                .iter()
                .find(|k| k.kind == AlertKind::GpsOff)
                .unwrap();
            (k.tp, k.fp, k.fn_)
        };
        let off = Some("positioning_off");
        assert_eq!(kind(gps_off(off), raised(off)), (1, 0, 0));
        assert_eq!(kind(gps_off(off), raised(Some("silent"))), (0, 1, 1));
        // a truth that does not say (an HTTP tracker) takes any
        assert_eq!(kind(gps_off(None), raised(Some("silent"))), (1, 0, 0));
    }
}
