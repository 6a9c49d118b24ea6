//! The detectors that fire on silence: `ais_gap` (vessels) and `gps_off` (watched vehicles).
//!
//! Both open from [`Detectors::tick`](super::Detectors::tick), located at the last fix and
//! dated by it, and close when the object reports again. An object that returns after a
//! qualifying silence before any tick noticed it gets both events at once: the gap was real.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Env, MPS_PER_KMH, MPS_PER_KN, Who, evidence, num};
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::geodesy;
use crate::model::{AlertKind, FeatureId};

/// Objects by the time of their latest sample, oldest first: what may fall silent next.
#[derive(Debug)]
pub(super) struct SilenceIndex<K> {
    by_time: BTreeSet<(i64, K)>,
}

impl<K> Default for SilenceIndex<K> {
    fn default() -> Self {
        Self {
            by_time: BTreeSet::new(),
        }
    }
}

/// A sample time as an ordered key (ms).
fn time_key(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

impl<K: Ord + Clone> SilenceIndex<K> {
    /// Moves `key` from its previous sample time (if any) to `t`.
    pub(super) fn touch(&mut self, key: &K, previous: Option<f64>, t: f64) {
        if let Some(previous) = previous {
            self.remove(key, previous);
        }
        self.by_time.insert((time_key(t), key.clone()));
    }

    /// Takes `key`, last seen at `t`, off the index.
    pub(super) fn remove(&mut self, key: &K, t: f64) {
        self.by_time.remove(&(time_key(t), key.clone()));
    }

    /// Takes off and returns the next object last seen at or before `cutoff`.
    pub(super) fn pop_due(&mut self, cutoff: f64) -> Option<K> {
        let due = self
            .by_time
            .first()
            .is_some_and(|(t, _)| *t <= time_key(cutoff));
        if due {
            self.by_time.pop_first().map(|(_, key)| key)
        } else {
            None
        }
    }
}

/// Whether a vessel last seen at `last` is in an AIS gap once silent long enough: the fix
/// lies in the watch area and `gap_dock_m` or more from every registered dock.
pub(super) fn ais_gap_starts(env: Env, last: &Sample) -> bool {
    env.ctx.in_watch_area(last.lon, last.lat)
        && env
            .ctx
            .docks()
            .nearest_m(last.lon, last.lat, env.config.gap_dock_m)
            .is_none()
}

/// Opens an AIS gap at the last fix, noticed at `now`.
pub(super) fn ais_gap_open(env: Env, who: &Who, last: &Sample, now: f64) -> AlertEvent {
    who.episode(AlertKind::AisGap, env.config.severity.ais_gap)
        .event(
            env.ctx,
            Phase::Open,
            last.t,
            last.lonlat(),
            evidence([("last_seen", num(last.t)), ("silent_s", num(now - last.t))]),
        )
}

/// Closes an AIS gap on the vessel's return at `fix`.
pub(super) fn ais_gap_close(env: Env, who: &Who, last: &Sample, fix: &Sample) -> AlertEvent {
    let gap_s = fix.t - last.t;
    let displacement_m = geodesy::distance_m(last.lonlat(), fix.lonlat());
    who.episode(AlertKind::AisGap, env.config.severity.ais_gap)
        .event(
            env.ctx,
            Phase::Close,
            fix.t,
            fix.lonlat(),
            evidence([
                ("gap_s", num(gap_s)),
                ("displacement_m", num(displacement_m)),
                ("implied_speed_kn", num(displacement_m / gap_s / MPS_PER_KN)),
            ]),
        )
}

/// Opens a `gps_off` episode at the last fix (in watch zone `zone`), noticed at `now`.
pub(super) fn gps_off_open(
    env: Env,
    who: &Who,
    last: &Sample,
    zone: Option<FeatureId>,
    now: f64,
) -> AlertEvent {
    let mut facts = evidence([("last_seen", num(last.t)), ("silent_s", num(now - last.t))]);
    if let Some(speed) = last.speed_mps {
        facts.insert("last_speed_kmh".into(), num(speed / MPS_PER_KMH));
    }
    if let Some(zone) = zone {
        facts.insert("zone_id".into(), Value::from(zone.get()));
    }
    who.episode(AlertKind::GpsOff, env.config.severity.gps_off)
        .event(env.ctx, Phase::Open, last.t, last.lonlat(), facts)
}

/// Closes a `gps_off` episode on the vehicle's return at `fix`.
pub(super) fn gps_off_close(env: Env, who: &Who, last: &Sample, fix: &Sample) -> AlertEvent {
    who.episode(AlertKind::GpsOff, env.config.severity.gps_off)
        .event(
            env.ctx,
            Phase::Close,
            fix.t,
            fix.lonlat(),
            evidence([
                ("gap_s", num(fix.t - last.t)),
                (
                    "displacement_m",
                    num(geodesy::distance_m(last.lonlat(), fix.lonlat())),
                ),
            ]),
        )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::{AlertKind, VehicleClass};

    #[test]
    fn ais_gap_opens_from_tick_and_closes_on_return() {
        let mut run = Run::new();
        for minute in 0..=10 {
            run.vessel(A, minute as f64, SEA, 6.0);
        }
        run.tick(10.0 + 29.0);
        assert_eq!(run.opens(AlertKind::AisGap), 0, "29 minutes is no gap");
        run.tick(10.0 + 30.0);
        assert_eq!(run.opens(AlertKind::AisGap), 1);
        let open = run.last(AlertKind::AisGap, crate::alerting::Phase::Open);
        assert_eq!(open.t, minutes(10.0), "dated by the last fix");
        assert_eq!(open.location, at(SEA));
        assert_eq!(open.evidence["silent_s"], 1800.0);
        assert_eq!(open.town.as_deref(), Some("Songao"));
        run.tick(10.0 + 45.0);
        run.tick(10.0 + 90.0);
        assert_eq!(run.opens(AlertKind::AisGap), 1, "one alert per episode");

        // back 2 km further east after 100 minutes
        run.vessel(A, 110.0, [5000.0, 5000.0], 6.0);
        let close = run.last(AlertKind::AisGap, Phase::Close);
        assert_eq!(close.t, minutes(110.0));
        assert_eq!(close.evidence["gap_s"], 6000.0);
        let displacement = close.evidence["displacement_m"].as_f64().unwrap();
        assert!((displacement - 2000.0).abs() < 2.0, "{displacement}");
        let implied = close.evidence["implied_speed_kn"].as_f64().unwrap();
        assert!((implied - 0.6).abs() < 0.05, "{implied}");
        assert_eq!(run.count(AlertKind::AisGap, Phase::Close), 1);
    }

    #[test]
    fn no_gap_next_to_a_registered_dock_or_outside_the_watch_area() {
        let mut run = Run::new();
        run.vessel(A, 0.0, NEAR_DOCK, 0.0);
        run.vessel(B, 0.0, OUTSIDE, 8.0);
        run.tick(60.0);
        run.vessel(A, 120.0, NEAR_DOCK, 0.0);
        run.vessel(B, 120.0, OUTSIDE, 8.0);
        assert_eq!(run.events(AlertKind::AisGap).len(), 0);
    }

    #[test]
    fn a_return_before_any_tick_opens_and_closes_at_once() {
        let mut run = Run::new();
        run.vessel(A, 0.0, SEA, 6.0);
        run.vessel(A, 29.0, SEA, 6.0);
        assert!(run.events(AlertKind::AisGap).is_empty(), "29 minutes");
        run.vessel(A, 59.5, SEA, 6.0);
        let events = run.events(AlertKind::AisGap);
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].phase, events[0].t), (Phase::Open, minutes(29.0)));
        assert_eq!(events[1].phase, Phase::Close);
        assert_eq!(events[1].evidence["gap_s"], 1830.0);
        // a tick after the return has nothing to open
        run.tick(70.0);
        assert_eq!(run.opens(AlertKind::AisGap), 1);
    }

    #[test]
    fn gps_off_after_moving_or_in_a_watch_zone() {
        let mut run = Run::new();
        // moving on the road
        run.vehicle("T1", VehicleClass::TankTruck, None, 0.0, ROAD, 40.0);
        // parked in the watch zone
        run.vehicle("T2", VehicleClass::ContainerTruck, None, 0.0, ZONE, 0.0);
        // parked on the road
        run.vehicle("T3", VehicleClass::TankTruck, None, 0.0, ROAD, 0.0);
        // moving, but not a watched class
        run.vehicle("C1", VehicleClass::Other, None, 0.0, ROAD, 40.0);
        run.tick(9.0);
        assert_eq!(run.opens(AlertKind::GpsOff), 0, "9 minutes");
        run.tick(10.0);
        let opened: Vec<_> = run
            .events(AlertKind::GpsOff)
            .iter()
            .map(|e| e.key.subject.id.clone())
            .collect();
        assert_eq!(opened, ["T1", "T2"]);
        let t2 = run.events(AlertKind::GpsOff)[1];
        assert_eq!(t2.evidence["zone_id"], 20);
        assert_eq!(
            run.events(AlertKind::GpsOff)[0].evidence["last_speed_kmh"],
            40.0
        );

        run.vehicle(
            "T1",
            VehicleClass::TankTruck,
            None,
            25.0,
            [ROAD[0] + 3000.0, ROAD[1]],
            40.0,
        );
        let close = run.last(AlertKind::GpsOff, Phase::Close);
        assert_eq!(close.key.subject.id, "T1");
        assert_eq!(close.evidence["gap_s"], 1500.0);
        let displacement = close.evidence["displacement_m"].as_f64().unwrap();
        assert!((displacement - 3000.0).abs() < 3.0, "{displacement}");
        assert_eq!(run.opens(AlertKind::GpsOff), 2);
    }
}
