//! `night_movement`: a watched vehicle moving (at least `moving_kmh`) inside a watch zone
//! during `night_hours` of the district's local time.
//!
//! One episode per stretch of night movement in one zone (scope: the zone id). It closes
//! at the first fix that does not qualify: stopped, out of the zone, or after the night.

use super::{Env, Episode, MPS_PER_KMH, Open, Who, evidence, num};
use crate::alerting::{AlertEvent, LocalClock, Phase, Sample};
use crate::model::{AlertKind, FeatureId};

/// One vehicle's open night-movement episode and its zone.
#[derive(Debug, Default)]
pub(super) struct Night {
    open: Option<(FeatureId, Open)>,
}

impl Night {
    /// Takes in `fix`; `moving_in` is the watch zone the vehicle is moving in, if any.
    pub(super) fn observe(
        &mut self,
        env: Env,
        who: &Who,
        clock: &LocalClock,
        fix: &Sample,
        moving_in: Option<FeatureId>,
        out: &mut Vec<AlertEvent>,
    ) {
        let night = env.config.night_hours.contains(clock.minute_of_day(fix.t));
        let zone = moving_in.filter(|_| night);
        let speed_kmh = num(fix.speed_mps.unwrap_or(0.0) / MPS_PER_KMH);

        if let Some((open_zone, open)) = &mut self.open {
            if zone == Some(*open_zone) {
                if open.update_due(fix.t, env.config) {
                    open.last_event = fix.t;
                    out.push(episode(env, who, *open_zone).event(
                        env.ctx,
                        Phase::Update,
                        fix.t,
                        fix.lonlat(),
                        evidence([
                            ("duration_s", num(fix.t - open.start)),
                            ("speed_kmh", speed_kmh),
                        ]),
                    ));
                }
                return;
            }
            out.push(episode(env, who, *open_zone).event(
                env.ctx,
                Phase::Close,
                fix.t,
                fix.lonlat(),
                evidence([("duration_s", num(fix.t - open.start))]),
            ));
            self.open = None;
        }
        if let Some(zone) = zone {
            self.open = Some((zone, Open::new(fix.t, fix.t)));
            out.push(episode(env, who, zone).event(
                env.ctx,
                Phase::Open,
                fix.t,
                fix.lonlat(),
                evidence([
                    ("zone_id", zone.get().into()),
                    ("speed_kmh", speed_kmh),
                    ("local_minute", clock.minute_of_day(fix.t).into()),
                ]),
            ));
        }
    }
}

/// The episode in watch zone `zone`: scoped and tagged by it.
fn episode<'a>(env: Env, who: &Who<'a>, zone: FeatureId) -> Episode<'a> {
    who.episode(AlertKind::NightMovement, env.config.severity.night_movement)
        .scoped(zone.to_string(), Some(zone))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::{LocalClock, Phase};
    use crate::model::{AlertKind, VehicleClass};

    fn patrol(run: &mut Run, from: f64, to: f64, xy: [f64; 2], kmh: f64) {
        let mut minute = from;
        while minute <= to {
            run.vehicle("T1", VehicleClass::TankTruck, None, minute, xy, kmh);
            minute += 1.0;
        }
    }

    #[test]
    fn moving_in_a_watch_zone_at_local_night() {
        let mut run = Run::new();
        run.clock = LocalClock::new("Asia/Shanghai").unwrap();
        run.base = NIGHT_2230_SHANGHAI;
        patrol(&mut run, 0.0, 20.0, ZONE, 20.0);
        assert_eq!(
            run.opens(AlertKind::NightMovement),
            1,
            "updated, not opened again"
        );
        let open = run.last(AlertKind::NightMovement, Phase::Open);
        assert_eq!(open.t, minutes_from(NIGHT_2230_SHANGHAI, 0.0));
        assert_eq!(open.key.scope, ZONE_ID.to_string());
        assert_eq!(open.fence_id, Some(id(ZONE_ID)));
        assert_eq!(open.evidence["local_minute"], 22 * 60 + 30);
        assert!(run.count(AlertKind::NightMovement, Phase::Update) >= 1);

        patrol(&mut run, 21.0, 25.0, ZONE, 0.0);
        let close = run.last(AlertKind::NightMovement, Phase::Close);
        assert_eq!(close.t, minutes_from(NIGHT_2230_SHANGHAI, 21.0));
        assert_eq!(close.evidence["duration_s"], 21.0 * 60.0);
        assert_eq!(run.count(AlertKind::NightMovement, Phase::Close), 1);
    }

    #[test]
    fn no_alert_by_day_outside_a_zone_or_for_utc_evenings() {
        // 10:30 in Shanghai
        let mut run = Run::new();
        run.clock = LocalClock::new("Asia/Shanghai").unwrap();
        run.base = NIGHT_2230_SHANGHAI - 12.0 * 3600.0;
        patrol(&mut run, 0.0, 20.0, ZONE, 20.0);
        assert!(run.events(AlertKind::NightMovement).is_empty());
        // at night, but on the road outside the zone
        let mut run = Run::new();
        run.clock = LocalClock::new("Asia/Shanghai").unwrap();
        run.base = NIGHT_2230_SHANGHAI;
        patrol(&mut run, 0.0, 20.0, ROAD, 20.0);
        assert!(run.events(AlertKind::NightMovement).is_empty());
        // the same instant is 14:30 in UTC: local time decides
        let mut run = Run::new();
        run.base = NIGHT_2230_SHANGHAI;
        patrol(&mut run, 0.0, 20.0, ZONE, 20.0);
        assert!(run.events(AlertKind::NightMovement).is_empty());
    }

    #[test]
    fn the_episode_ends_with_the_night() {
        let mut run = Run::new();
        run.clock = LocalClock::new("Asia/Shanghai").unwrap();
        // 04:50 local
        run.base = NIGHT_2230_SHANGHAI + (6.0 * 60.0 + 20.0) * 60.0;
        patrol(&mut run, 0.0, 15.0, ZONE, 20.0);
        let phases: Vec<_> = run
            .events(AlertKind::NightMovement)
            .iter()
            .map(|e| e.phase)
            .collect();
        assert_eq!(phases, [Phase::Open, Phase::Update, Phase::Close]);
        assert_eq!(
            run.last(AlertKind::NightMovement, Phase::Close).t,
            minutes_from(run.base, 10.0),
            "05:00 is day"
        );
    }
}
