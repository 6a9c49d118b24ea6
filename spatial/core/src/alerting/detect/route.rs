//! `route_deviation`: a watched vehicle outside its route corridor for `route_min_fixes`
//! consecutive fixes.
//!
//! A fix is outside when it lies farther from the corridor's centre line than half its
//! width (`corridor_width_m` when the fence has none). The episode is dated by the first
//! outside fix and closes at the first fix back inside. Vehicles without a corridor, or
//! with one the context does not know, are not checked.

use serde_json::Value;

use super::{Env, Episode, Open, Who, evidence, num};
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::model::{AlertKind, FeatureId};

/// One vehicle's run of fixes outside its corridor.
#[derive(Debug, Default)]
pub(super) struct Route {
    /// The corridor the run is measured against.
    corridor: Option<FeatureId>,
    /// Consecutive fixes outside.
    outside: u32,
    /// The first of them: time and place.
    first: Option<(f64, [f64; 2])>,
    /// Their greatest distance from the centre line (m).
    max_distance_m: f64,
    open: Option<Open>,
}

impl Route {
    /// Takes in `fix` of a vehicle that must keep to `corridor_id`.
    pub(super) fn observe(
        &mut self,
        env: Env,
        who: &Who,
        corridor_id: Option<FeatureId>,
        fix: &Sample,
        out: &mut Vec<AlertEvent>,
    ) {
        if corridor_id != self.corridor {
            self.end(env, who, fix, out);
            self.corridor = corridor_id;
        }
        let Some(id) = corridor_id else {
            return;
        };
        let Some(distance_m) = env.ctx.corridor_distance_m(id, fix.lon, fix.lat) else {
            return;
        };
        let half_width_m = env
            .ctx
            .corridor_half_width_m(id)
            .unwrap_or(env.config.corridor_width_m / 2.0);
        if distance_m <= half_width_m {
            self.end(env, who, fix, out);
            return;
        }

        self.outside += 1;
        let (start, location) = *self.first.get_or_insert((fix.t, fix.lonlat()));
        self.max_distance_m = self.max_distance_m.max(distance_m);
        let facts = evidence([
            ("distance_m", num(distance_m)),
            ("max_distance_m", num(self.max_distance_m)),
            ("fixes_outside", Value::from(self.outside)),
            ("half_width_m", num(half_width_m)),
        ]);
        let episode = episode(env, who, id);
        match &mut self.open {
            None if self.outside >= env.config.route_min_fixes => {
                self.open = Some(Open::new(start, fix.t));
                out.push(episode.event(env.ctx, Phase::Open, start, location, facts));
            }
            Some(open) if open.update_due(fix.t, env.config) => {
                open.last_event = fix.t;
                out.push(episode.event(env.ctx, Phase::Update, fix.t, fix.lonlat(), facts));
            }
            _ => {}
        }
    }

    /// Ends the run at `fix`, closing its episode if one is open.
    fn end(&mut self, env: Env, who: &Who, fix: &Sample, out: &mut Vec<AlertEvent>) {
        if let (Some(open), Some(id)) = (self.open.take(), self.corridor) {
            out.push(episode(env, who, id).event(
                env.ctx,
                Phase::Close,
                fix.t,
                fix.lonlat(),
                evidence([
                    ("duration_s", num(fix.t - open.start)),
                    ("fixes_outside", Value::from(self.outside)),
                    ("max_distance_m", num(self.max_distance_m)),
                ]),
            ));
        }
        self.outside = 0;
        self.first = None;
        self.max_distance_m = 0.0;
    }
}

/// The episode of corridor `id`: scoped and tagged by it.
fn episode<'a>(env: Env, who: &Who<'a>, id: FeatureId) -> Episode<'a> {
    who.episode(
        AlertKind::RouteDeviation,
        env.config.severity.route_deviation,
    )
    .scoped(id.to_string(), Some(id))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::{AlertKind, VehicleClass};

    fn drive(run: &mut Run, class: VehicleClass, minute: f64, off_m: f64) {
        let xy = [ROAD[0] + 500.0 * minute, ROAD[1] - off_m];
        run.vehicle("T1", class, Some(id(CORRIDOR)), minute, xy, 30.0);
    }

    #[test]
    fn two_fixes_outside_the_corridor_are_a_deviation() {
        let mut run = Run::new();
        drive(&mut run, VehicleClass::TankTruck, 0.0, 0.0);
        drive(&mut run, VehicleClass::TankTruck, 1.0, 20.0);
        // one fix outside, then back: jitter
        drive(&mut run, VehicleClass::TankTruck, 2.0, 40.0);
        drive(&mut run, VehicleClass::TankTruck, 3.0, 10.0);
        assert!(run.events(AlertKind::RouteDeviation).is_empty());

        drive(&mut run, VehicleClass::TankTruck, 4.0, 60.0);
        drive(&mut run, VehicleClass::TankTruck, 5.0, 200.0);
        drive(&mut run, VehicleClass::TankTruck, 6.0, 150.0);
        assert_eq!(run.opens(AlertKind::RouteDeviation), 1);
        let open = run.last(AlertKind::RouteDeviation, Phase::Open);
        assert_eq!(open.t, minutes(4.0), "dated by the first fix outside");
        assert_eq!(open.evidence["fixes_outside"], 2);
        assert_eq!(open.evidence["max_distance_m"], 200.0);
        assert_eq!(open.fence_id, Some(id(CORRIDOR)));
        assert_eq!(open.key.scope, CORRIDOR.to_string());

        drive(&mut run, VehicleClass::TankTruck, 7.0, 5.0);
        let close = run.last(AlertKind::RouteDeviation, Phase::Close);
        assert_eq!(close.t, minutes(7.0));
        assert_eq!(close.evidence["fixes_outside"], 3);
        assert_eq!(close.evidence["max_distance_m"], 200.0);
        assert_eq!(close.evidence["duration_s"], 180.0);
        assert_eq!(run.opens(AlertKind::RouteDeviation), 1);
    }

    #[test]
    fn only_watched_classes_with_a_known_corridor() {
        let mut run = Run::new();
        for minute in 0..10 {
            drive(&mut run, VehicleClass::Other, minute as f64, 300.0);
        }
        for minute in 0..10 {
            let xy = [ROAD[0], ROAD[1] - 300.0];
            run.vehicle(
                "T2",
                VehicleClass::ContainerTruck,
                Some(id(999)),
                minute as f64,
                xy,
                30.0,
            );
            run.vehicle(
                "T3",
                VehicleClass::ContainerTruck,
                None,
                minute as f64,
                xy,
                30.0,
            );
        }
        assert!(run.events(AlertKind::RouteDeviation).is_empty());
    }
}
