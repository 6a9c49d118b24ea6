//! `loitering`: a vessel whose mean speed over the last `loiter_min` stays below
//! `loiter_max_kn`, away from registered docks and anchorages.
//!
//! Speeds are averaged per time bucket (a twelfth of the window, aligned on the epoch) and
//! the window's mean is the mean of its buckets' means, so a vessel that reports more often
//! when it moves does not weigh its fast minutes more; twelve small buckets keep the memory
//! per vessel fixed. The vessel's history must span the whole window: a silence of
//! `ais_gap_min` starts it afresh.

use std::collections::VecDeque;

use serde_json::Value;

use super::{Env, Episode, MPS_PER_KN, Open, Who, evidence, num};
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::model::AlertKind;

/// Buckets per window.
const BUCKETS: i64 = 12;
/// An open loitering episode closes when the mean speed reaches this multiple of the
/// threshold.
const CLOSE_FACTOR: f64 = 1.25;

/// One vessel's recent speeds and its open episode.
#[derive(Debug, Default)]
pub(super) struct Loitering {
    /// First sample of the unbroken history.
    since: Option<f64>,
    buckets: VecDeque<Bucket>,
    open: Option<Open>,
}

/// Speeds (kn) reported within one bucket of time.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    index: i64,
    sum_kn: f64,
    count: u32,
}

impl Loitering {
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
        let window_s = config.loiter_min * 60.0;
        if restart {
            self.since = None;
            self.buckets.clear();
            if self.open.is_some() {
                out.push(self.close(env, who, fix, "silence"));
            }
        }
        // the whole window must be spent away from docks and anchorages: time near one
        // (a vessel moored for hours, then leaving slowly) does not count
        let (lon, lat, max_m) = (fix.lon, fix.lat, config.loiter_dock_m);
        let near = if env.ctx.docks().nearest_m(lon, lat, max_m).is_some() {
            Some("dock")
        } else if env.ctx.anchorages().nearest_m(lon, lat, max_m).is_some() {
            Some("anchorage")
        } else {
            None
        };
        if near.is_some() {
            self.since = None;
            self.buckets.clear();
        }
        let since = *self.since.get_or_insert(fix.t);
        if let Some(speed) = fix.speed_mps {
            self.add(fix.t, speed / MPS_PER_KN, window_s);
        }
        let mean_kn = self.mean_kn();
        // hysteresis: an open episode ends only well above the threshold, so a mean that
        // hovers at it does not close and reopen the episode
        let limit = if self.open.is_some() {
            config.loiter_max_kn * CLOSE_FACTOR
        } else {
            config.loiter_max_kn
        };
        let slow = fix.t - since >= window_s && mean_kn.is_some_and(|m| m < limit);
        let mean = mean_kn.map_or(Value::Null, num);

        match (&mut self.open, slow && near.is_none()) {
            (None, true) => {
                let start = since.max(fix.t - window_s);
                self.open = Some(Open::new(start, fix.t));
                out.push(episode(env, who).event(
                    env.ctx,
                    Phase::Open,
                    start,
                    fix.lonlat(),
                    evidence([
                        ("duration_s", num(fix.t - start)),
                        ("mean_sog_kn", mean),
                        ("window_min", num(config.loiter_min)),
                    ]),
                ));
            }
            (Some(open), true) => {
                if open.update_due(fix.t, config) {
                    open.last_event = fix.t;
                    let duration = fix.t - open.start;
                    out.push(episode(env, who).event(
                        env.ctx,
                        Phase::Update,
                        fix.t,
                        fix.lonlat(),
                        evidence([("duration_s", num(duration)), ("mean_sog_kn", mean)]),
                    ));
                }
            }
            (Some(_), false) => {
                let reason = near.unwrap_or("speed");
                let mut close = self.close(env, who, fix, reason);
                close.evidence.insert("mean_sog_kn".into(), mean);
                out.push(close);
            }
            (None, false) => {}
        }
    }

    /// Adds a speed (kn) sampled at `t` and forgets the buckets that left the window.
    fn add(&mut self, t: f64, speed_kn: f64, window_s: f64) {
        let bucket_s = (window_s / BUCKETS as f64).max(1.0);
        let index = (t / bucket_s).floor() as i64;
        match self.buckets.back_mut() {
            Some(last) if last.index == index => {
                last.sum_kn += speed_kn;
                last.count += 1;
            }
            _ => self.buckets.push_back(Bucket {
                index,
                sum_kn: speed_kn,
                count: 1,
            }),
        }
        while self
            .buckets
            .front()
            .is_some_and(|b| b.index <= index - BUCKETS)
        {
            self.buckets.pop_front();
        }
    }

    /// The mean of the bucket means (kn).
    fn mean_kn(&self) -> Option<f64> {
        if self.buckets.is_empty() {
            return None;
        }
        let sum: f64 = self
            .buckets
            .iter()
            .map(|b| b.sum_kn / f64::from(b.count))
            .sum();
        Some(sum / self.buckets.len() as f64)
    }

    /// Ends the open episode at `fix` for `reason` (`speed`, `dock`, `anchorage`, `silence`).
    fn close(&mut self, env: Env, who: &Who, fix: &Sample, reason: &str) -> AlertEvent {
        let start = self.open.take().map_or(fix.t, |open| open.start);
        episode(env, who).event(
            env.ctx,
            Phase::Close,
            fix.t,
            fix.lonlat(),
            evidence([
                ("duration_s", num(fix.t - start)),
                ("reason", Value::from(reason)),
            ]),
        )
    }
}

fn episode<'a>(env: Env, who: &Who<'a>) -> Episode<'a> {
    who.episode(AlertKind::Loitering, env.config.severity.loitering)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::AlertKind;

    /// A vessel drifting at 1 kn at `xy` for `minutes` minutes, one fix a minute.
    fn drift(run: &mut Run, xy: [f64; 2], minutes: u32) {
        for minute in 0..=minutes {
            run.vessel(A, minute as f64, xy, 1.0);
        }
    }

    #[test]
    fn an_hour_of_slow_drift_away_from_docks_is_loitering() {
        let mut run = Run::new();
        drift(&mut run, SEA, 59);
        assert_eq!(run.opens(AlertKind::Loitering), 0, "59 minutes");
        for minute in 60..=90 {
            run.vessel(A, minute as f64, SEA, 1.0);
        }
        assert_eq!(
            run.opens(AlertKind::Loitering),
            1,
            "updated, not opened again"
        );
        let open = run.last(AlertKind::Loitering, Phase::Open);
        assert_eq!(
            open.t,
            minutes(0.0),
            "dated by the start of the slow window"
        );
        assert_eq!(open.evidence["mean_sog_kn"], 1.0);
        assert_eq!(open.evidence["duration_s"], 3600.0);
        assert!(run.count(AlertKind::Loitering, Phase::Update) >= 1);

        // it speeds away: the mean rises above 2 kn within a few buckets
        for minute in 91..=120 {
            run.vessel(A, minute as f64, SEA, 12.0);
        }
        assert_eq!(run.count(AlertKind::Loitering, Phase::Close), 1);
        let close = run.last(AlertKind::Loitering, Phase::Close);
        assert_eq!(close.evidence["reason"], "speed");
        assert!(close.evidence["mean_sog_kn"].as_f64().unwrap() >= 2.0);
        assert!(close.evidence["duration_s"].as_f64().unwrap() > 5400.0);
    }

    #[test]
    fn a_mean_hovering_at_the_threshold_does_not_flap() {
        let mut run = Run::new();
        drift(&mut run, SEA, 70);
        assert_eq!(run.opens(AlertKind::Loitering), 1);
        // the mean climbs to about 2.1 kn and wavers there: still one open episode
        for minute in 71..=200 {
            let kn = if minute % 2 == 0 { 1.9 } else { 2.3 };
            run.vessel(A, minute as f64, SEA, kn);
        }
        assert_eq!(run.opens(AlertKind::Loitering), 1);
        assert_eq!(run.count(AlertKind::Loitering, Phase::Close), 0);
        for minute in 201..=260 {
            run.vessel(A, minute as f64, SEA, 12.0);
        }
        assert_eq!(
            run.count(AlertKind::Loitering, Phase::Close),
            1,
            "well above it closes"
        );
    }

    #[test]
    fn time_moored_at_a_dock_does_not_count() {
        let mut run = Run::new();
        for minute in 0..=180 {
            run.vessel(A, minute as f64, NEAR_DOCK, 0.0);
        }
        // leaves slowly: 1.5 kn ≈ 46 m a minute, out past the 1 km exemption in ~10 min
        for minute in 181..=230 {
            let xy = [NEAR_DOCK[0], NEAR_DOCK[1] + 46.0 * (minute - 180) as f64];
            run.vessel(A, minute as f64, xy, 1.5);
        }
        assert_eq!(
            run.opens(AlertKind::Loitering),
            0,
            "the hour moored at the dock is not an hour of loitering"
        );
    }

    #[test]
    fn no_loitering_near_an_anchorage_or_when_fast() {
        let mut run = Run::new();
        drift(&mut run, NEAR_ANCHORAGE, 120);
        assert!(run.events(AlertKind::Loitering).is_empty());
        let mut run = Run::new();
        for minute in 0..=120 {
            run.vessel(A, minute as f64, SEA, 2.5);
        }
        assert!(run.events(AlertKind::Loitering).is_empty());
    }

    #[test]
    fn derived_speed_and_silence_restart() {
        let mut run = Run::new();
        // no reported speed: 30 m a minute is about 1 kn
        for minute in 0..=60 {
            let xy = [SEA[0] + 30.0 * minute as f64, SEA[1]];
            run.vessel_at(A, minutes(minute as f64), xy, None);
        }
        assert_eq!(run.opens(AlertKind::Loitering), 1);

        // after a 40-minute silence the history starts afresh
        let mut run = Run::new();
        drift(&mut run, SEA, 30);
        for minute in 70..=129 {
            run.vessel(A, minute as f64, SEA, 1.0);
        }
        assert_eq!(
            run.opens(AlertKind::Loitering),
            0,
            "59 minutes since the return"
        );
        run.vessel(A, 130.0, SEA, 1.0);
        assert_eq!(run.opens(AlertKind::Loitering), 1);
    }
}
