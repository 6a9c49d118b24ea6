//! `unregistered_landing`: a vessel stopped (slower than `landing_max_kn`, without a break,
//! for `landing_min`) within `landing_coast_m` of the coastline and at least
//! `landing_dock_m` from every registered dock.
//!
//! A fix at or above the speed ends the stop (and closes the episode); a fix without any
//! speed, reported or derived, neither starts nor ends one. A silence of `ais_gap_min`
//! ends the stop too: where the vessel was in the dark is unknown.

use serde_json::Value;

use super::{Env, Episode, MPS_PER_KN, Open, Who, evidence, num};
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::model::AlertKind;

/// One vessel's current stop and its open episode.
#[derive(Debug, Default)]
pub(super) struct Landing {
    /// First sample of the current stop.
    since: Option<f64>,
    open: Option<Open>,
}

impl Landing {
    /// Takes in `fix`; `restart` when the vessel was silent `ais_gap_min` or more before it.
    pub(super) fn observe(
        &mut self,
        env: Env,
        who: &Who,
        fix: &Sample,
        restart: bool,
        out: &mut Vec<AlertEvent>,
    ) {
        let config = env.config;
        if restart {
            self.end(env, who, fix, "silence", out);
        }
        let Some(speed) = fix.speed_mps else {
            return;
        };
        if speed / MPS_PER_KN >= config.landing_max_kn {
            self.end(env, who, fix, "moved", out);
            return;
        }
        let since = *self.since.get_or_insert(fix.t);
        let stopped_s = fix.t - since;
        match &mut self.open {
            Some(open) if open.update_due(fix.t, config) => {
                open.last_event = fix.t;
                out.push(episode(env, who).event(
                    env.ctx,
                    Phase::Update,
                    fix.t,
                    fix.lonlat(),
                    evidence([("stopped_s", num(stopped_s))]),
                ));
            }
            None if stopped_s >= config.landing_min * 60.0 => {
                let (lon, lat) = (fix.lon, fix.lat);
                let Some(coast_m) = env
                    .ctx
                    .distance_to_coast_m(lon, lat, config.landing_coast_m)
                else {
                    return;
                };
                if env
                    .ctx
                    .docks()
                    .nearest_m(lon, lat, config.landing_dock_m)
                    .is_some()
                {
                    return;
                }
                self.open = Some(Open::new(since, fix.t));
                out.push(episode(env, who).event(
                    env.ctx,
                    Phase::Open,
                    since,
                    fix.lonlat(),
                    evidence([
                        ("stopped_s", num(stopped_s)),
                        ("coast_distance_m", num(coast_m)),
                    ]),
                ));
            }
            _ => {}
        }
    }

    /// Ends the current stop at `fix`, closing its episode for `reason` if one is open.
    fn end(&mut self, env: Env, who: &Who, fix: &Sample, reason: &str, out: &mut Vec<AlertEvent>) {
        let since = self.since.take();
        if self.open.take().is_some() {
            let stopped_s = since.map_or(0.0, |since| fix.t - since);
            out.push(episode(env, who).event(
                env.ctx,
                Phase::Close,
                fix.t,
                fix.lonlat(),
                evidence([
                    ("stopped_s", num(stopped_s)),
                    ("reason", Value::from(reason)),
                ]),
            ));
        }
    }
}

fn episode<'a>(env: Env, who: &Who<'a>) -> Episode<'a> {
    who.episode(
        AlertKind::UnregisteredLanding,
        env.config.severity.unregistered_landing,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::AlertKind;

    /// A vessel stopped at `xy` from minute 0 to `until`, one fix a minute, after
    /// arriving at 6 kn.
    fn stop(run: &mut Run, xy: [f64; 2], until: u32) {
        run.vessel(A, -1.0, xy, 6.0);
        for minute in 0..=until {
            run.vessel(A, minute as f64, xy, 0.2);
        }
    }

    #[test]
    fn a_ten_minute_stop_by_an_unregistered_shore_is_a_landing() {
        let mut run = Run::new();
        stop(&mut run, LANDING, 9);
        assert_eq!(run.opens(AlertKind::UnregisteredLanding), 0, "9 minutes");
        for minute in 10..=40 {
            run.vessel(A, minute as f64, LANDING, 0.0);
        }
        assert_eq!(run.opens(AlertKind::UnregisteredLanding), 1);
        let open = run.last(AlertKind::UnregisteredLanding, Phase::Open);
        assert_eq!(open.t, minutes(0.0), "dated by when it stopped");
        assert_eq!(open.severity, crate::model::Severity::Critical);
        let coast = open.evidence["coast_distance_m"].as_f64().unwrap();
        assert!((coast - 100.0).abs() < 1.0, "{coast}");

        run.vessel(A, 41.0, LANDING, 4.0);
        let close = run.last(AlertKind::UnregisteredLanding, Phase::Close);
        assert_eq!(close.evidence["stopped_s"], 41.0 * 60.0);
        assert_eq!(close.evidence["reason"], "moved");
        assert_eq!(run.opens(AlertKind::UnregisteredLanding), 1);
    }

    #[test]
    fn no_landing_far_from_the_coast_or_near_a_registered_dock() {
        let mut run = Run::new();
        stop(&mut run, OFFSHORE_300, 30);
        assert!(
            run.events(AlertKind::UnregisteredLanding).is_empty(),
            "300 m from the coast"
        );
        let mut run = Run::new();
        stop(&mut run, DOCK_400, 30);
        assert!(
            run.events(AlertKind::UnregisteredLanding).is_empty(),
            "400 m from a registered dock"
        );
    }

    #[test]
    fn a_moving_fix_restarts_the_stop() {
        let mut run = Run::new();
        stop(&mut run, LANDING, 6);
        run.vessel(A, 7.0, LANDING, 1.0);
        for minute in 8..=17 {
            run.vessel(A, minute as f64, LANDING, 0.0);
        }
        assert!(run.events(AlertKind::UnregisteredLanding).is_empty());
        run.vessel(A, 18.0, LANDING, 0.0);
        assert_eq!(
            run.last(AlertKind::UnregisteredLanding, Phase::Open).t,
            minutes(8.0)
        );
    }
}
