//! The truth the rules derive from emitted fixes: fence alerts (by the fence rules of the
//! district) and the vehicle rules (`route_deviation`, `gps_off`, `night_movement`, with
//! the default thresholds).
//!
//! This is an independent reading of the rules of PRODUCT.md and the fence rule data, not
//! a call into the detectors: a fix is inside a fence when it lies more than the debounce
//! buffer inside, outside when more than the buffer outside (in between it keeps its side);
//! a side changes after `debounce.fixes` fixes in a row, dated by the first; an object first
//! seen inside enters; `dwell` fires once the stay reaches `dwell_min`; a straight path
//! between two outside fixes through the interior is a crossing (an entry); alerts are
//! raised only within the rule's active hours and for the classes it names.

use coastwatch_core::model::{AlertKind, Detect, FeatureId, ObjectKind, SubjectType, VehicleClass};

use super::Incident;
use super::world::World;

/// One emitted vessel position with what the fence rules see of the vessel then.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VesselObs {
    pub(crate) t: f64,
    pub(crate) lonlat: [f64; 2],
    pub(crate) kind: ObjectKind,
}

/// One emitted vehicle fix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VehicleObs {
    pub(crate) t: f64,
    pub(crate) lonlat: [f64; 2],
    pub(crate) speed_kmh: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Outside,
    Near,
}

/// One (object, fence) pair.
#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    inside: bool,
    run: u32,
    run_t: f64,
    run_at: [f64; 2],
    since: f64,
    /// Indices into the output of the open enter and dwell alerts.
    enter: Option<usize>,
    dwell: Option<usize>,
}

struct FenceRun<'a> {
    world: &'a World,
    subject_type: SubjectType,
    subject: &'a str,
    planted: Option<&'a str>,
    out: &'a mut Vec<Incident>,
}

impl FenceRun<'_> {
    fn push(
        &mut self,
        kind: AlertKind,
        fence: FeatureId,
        window: (f64, f64),
        at: [f64; 2],
        what: &str,
    ) -> usize {
        let name = self.world.fences.get(fence).map_or("", |f| f.name());
        let note = match self.planted {
            Some(p) => format!("{what} fence {fence} ({name}); planted: {p}"),
            None => format!("{what} fence {fence} ({name}); derived from the fence rules"),
        };
        self.out.push(Incident {
            kind,
            subject_type: self.subject_type,
            subject_id: self.subject.to_owned(),
            start: window.0,
            end: window.1,
            location: at,
            note,
            other_id: None,
            fence_id: Some(fence.get()),
            terminal: None,
            camera_id: None,
        });
        self.out.len() - 1
    }

    fn run(&mut self, fixes: &[(f64, [f64; 2], ObjectKind)]) {
        let w = self.world;
        let mut pairs: Vec<Option<Pair>> = vec![None; w.fence_info.len()];
        let mut prev: Option<(f64, [f64; 2])> = None;
        for &(t, at, kind) in fixes {
            let p = w.xy(at);
            for (k, info) in w.fence_info.iter().enumerate() {
                let Some(fence) = w.fences.get(info.id) else {
                    continue;
                };
                let buffer = info.buffer_m;
                let near_box = p[0] >= info.min[0]
                    && p[1] >= info.min[1]
                    && p[0] <= info.max[0]
                    && p[1] <= info.max[1];
                let side = if near_box {
                    let d = fence.signed_distance_m(at[0], at[1]);
                    if d > buffer {
                        Side::Inside
                    } else if d < -buffer {
                        Side::Outside
                    } else {
                        Side::Near
                    }
                } else {
                    Side::Outside
                };
                if let Some(pair) = &mut pairs[k] {
                    self.step(pair, info.id, side, t, at);
                } else if fence.applies_to(kind) {
                    if side == Side::Inside {
                        let mut pair = Pair::default();
                        self.step(&mut pair, info.id, side, t, at);
                        pairs[k] = Some(pair);
                    } else if let Some((t0, a)) = prev
                        && (fence.detects(Detect::Cross) || fence.detects(Detect::Enter))
                    {
                        self.crossing(info.id, buffer, (t0, a), (t, at));
                    }
                }
                if pairs[k].is_some_and(|pair| !pair.inside && pair.run == 0) {
                    pairs[k] = None;
                }
            }
            prev = Some((t, at));
        }
        // episodes still open end with the last fix
        if let Some((t, _)) = prev {
            for pair in pairs.iter().flatten() {
                for i in [pair.enter, pair.dwell].into_iter().flatten() {
                    self.out[i].end = t;
                }
            }
        }
    }

    fn step(&mut self, pair: &mut Pair, fence: FeatureId, side: Side, t: f64, at: [f64; 2]) {
        let w = self.world;
        let Some(f) = w.fences.get(fence) else {
            return;
        };
        let target = match side {
            Side::Inside => true,
            Side::Outside => false,
            Side::Near => pair.inside,
        };
        if target == pair.inside {
            pair.run = 0;
        } else {
            if pair.run == 0 {
                pair.run_t = t;
                pair.run_at = at;
            }
            pair.run += 1;
            if pair.run >= f.rule().debounce.fixes {
                pair.run = 0;
                pair.inside = target;
                let (rt, ra) = (pair.run_t, pair.run_at);
                if target {
                    pair.since = rt;
                    if f.detects(Detect::Enter) && w.fence_active(fence, rt) {
                        pair.enter = Some(self.push(
                            AlertKind::GeofenceEnter,
                            fence,
                            (rt, rt),
                            ra,
                            "enters",
                        ));
                    }
                } else {
                    for i in [pair.enter.take(), pair.dwell.take()].into_iter().flatten() {
                        self.out[i].end = rt;
                    }
                    if f.detects(Detect::Exit) && w.fence_active(fence, rt) {
                        self.push(AlertKind::GeofenceExit, fence, (rt, rt), ra, "leaves");
                    }
                }
            }
        }
        if pair.inside {
            for i in [pair.enter, pair.dwell].into_iter().flatten() {
                self.out[i].end = t;
            }
            if pair.dwell.is_none()
                && f.detects(Detect::Dwell)
                && t - pair.since >= f.rule().dwell_min * 60.0
                && w.fence_active(fence, t)
            {
                pair.dwell =
                    Some(self.push(AlertKind::GeofenceDwell, fence, (t, t), at, "dwells in"));
            }
        }
    }

    /// A straight path between two fixes outside through the interior deeper than the buffer.
    fn crossing(
        &mut self,
        fence: FeatureId,
        buffer: f64,
        (t0, a): (f64, [f64; 2]),
        (t1, b): (f64, [f64; 2]),
    ) {
        let w = self.world;
        let Some(f) = w.fences.get(fence) else {
            return;
        };
        let (pa, pb) = (w.xy(a), w.xy(b));
        let info_hit = w
            .fence_info
            .iter()
            .find(|i| i.id == fence)
            .is_some_and(|i| {
                pa[0].max(pb[0]) >= i.min[0]
                    && pa[0].min(pb[0]) <= i.max[0]
                    && pa[1].max(pb[1]) >= i.min[1]
                    && pa[1].min(pb[1]) <= i.max[1]
            });
        if !info_hit {
            return;
        }
        // dated and placed at the middle of the stretch deeper than the buffer
        let n = (super::geom::dist(pa, pb) / 5.0).ceil().max(1.0) as usize;
        let at = |s: f64| [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s];
        let deep: Vec<f64> = (1..n)
            .map(|k| k as f64 / n as f64)
            .filter(|&s| {
                let q = at(s);
                f.signed_distance_m(q[0], q[1]) > buffer
            })
            .collect();
        let (Some(first), Some(last)) = (deep.first(), deep.last()) else {
            return;
        };
        let s = (first + last) / 2.0;
        let tc = t0 + s * (t1 - t0);
        if w.fence_active(fence, tc) {
            self.push(AlertKind::GeofenceEnter, fence, (tc, tc), at(s), "crosses");
        }
    }
}

/// Appends the fence alerts a vessel's positions call for.
pub(crate) fn fence_truth(
    world: &World,
    subject_type: SubjectType,
    subject: &str,
    fixes: &[VesselObs],
    planted: Option<&str>,
    out: &mut Vec<Incident>,
) {
    let fixes: Vec<(f64, [f64; 2], ObjectKind)> =
        fixes.iter().map(|o| (o.t, o.lonlat, o.kind)).collect();
    FenceRun {
        world,
        subject_type,
        subject,
        planted,
        out,
    }
    .run(&fixes);
}

/// Appends the fence alerts a vehicle's fixes call for.
pub(crate) fn fence_truth_vehicle(
    world: &World,
    vehicle_id: &str,
    class: VehicleClass,
    fixes: &[VehicleObs],
    planted: Option<&str>,
    out: &mut Vec<Incident>,
) {
    let fixes: Vec<(f64, [f64; 2], ObjectKind)> = fixes
        .iter()
        .map(|o| (o.t, o.lonlat, ObjectKind::Vehicle(class)))
        .collect();
    FenceRun {
        world,
        subject_type: SubjectType::Vehicle,
        subject: vehicle_id,
        planted,
        out,
    }
    .run(&fixes);
}

/// Appends the `route_deviation`, `gps_off` and `night_movement` alerts a watched vehicle's
/// fixes call for (default thresholds), up to the end of the run `end`.
#[expect(clippy::too_many_arguments, reason = "the facts of one vehicle")]
pub(crate) fn vehicle_truth(
    world: &World,
    vehicle_id: &str,
    class: VehicleClass,
    corridor: Option<FeatureId>,
    fixes: &[VehicleObs],
    off_reports: &[f64],
    end: f64,
    planted: Option<&str>,
    out: &mut Vec<Incident>,
) {
    let config = &world.detect;
    if !config.watched_classes.contains(&class) || fixes.is_empty() {
        return;
    }
    let note = |what: String| match planted {
        Some(p) => format!("{what}; planted: {p}"),
        None => format!("{what}; derived from the rules"),
    };
    // what the terminal did in a silence of fixes
    let terminal = |from: f64, to: f64| {
        let reporting = off_reports.iter().any(|t| *t > from && *t < to);
        if reporting {
            "positioning_off"
        } else {
            "silent"
        }
    };
    let mut push = |kind: AlertKind,
                    window: (f64, f64),
                    at: [f64; 2],
                    what: String,
                    terminal: Option<&str>| {
        out.push(Incident {
            kind,
            subject_type: SubjectType::Vehicle,
            subject_id: vehicle_id.to_owned(),
            start: window.0,
            end: window.1,
            location: at,
            note: note(what),
            other_id: None,
            fence_id: corridor
                .filter(|_| kind == AlertKind::RouteDeviation)
                .map(FeatureId::get),
            terminal: terminal.map(str::to_owned),
            camera_id: None,
        });
    };
    let ctx = &world.ctx;
    // route_deviation: route_min_fixes fixes in a row outside the corridor
    if let Some(id) = corridor
        && ctx
            .corridor_distance_m(id, fixes[0].lonlat[0], fixes[0].lonlat[1])
            .is_some()
    {
        let half = ctx
            .corridor_half_width_m(id)
            .unwrap_or(config.corridor_width_m / 2.0);
        let mut run: Vec<&VehicleObs> = Vec::new();
        for fix in fixes {
            let d = ctx
                .corridor_distance_m(id, fix.lonlat[0], fix.lonlat[1])
                .unwrap_or(0.0);
            if d > half {
                run.push(fix);
                continue;
            }
            if run.len() >= config.route_min_fixes as usize {
                let what = format!("{} fixes outside corridor {id}", run.len());
                push(
                    AlertKind::RouteDeviation,
                    (run[0].t, fix.t),
                    run[0].lonlat,
                    what,
                    None,
                );
            }
            run.clear();
        }
        if run.len() >= config.route_min_fixes as usize {
            let last = fixes[fixes.len() - 1].t;
            let what = format!("{} fixes outside corridor {id}", run.len());
            push(
                AlertKind::RouteDeviation,
                (run[0].t, last),
                run[0].lonlat,
                what,
                None,
            );
        }
    }
    // gps_off: silent gps_off_min after a fix that was moving or in a watch zone
    let moving = |f: &VehicleObs| f.speed_kmh >= config.moving_kmh;
    let zone = |f: &VehicleObs| ctx.watch_zone_at(f.lonlat[0], f.lonlat[1]);
    let off_s = config.gps_off_min * 60.0;
    let mut gaps: Vec<(&VehicleObs, f64)> = fixes
        .windows(2)
        .filter(|w| w[1].t - w[0].t >= off_s)
        .map(|w| (&w[0], w[1].t))
        .collect();
    let last = &fixes[fixes.len() - 1];
    if end - last.t >= off_s {
        gaps.push((last, end));
    }
    for (fix, back) in gaps {
        if moving(fix) || zone(fix).is_some() {
            let cause = terminal(fix.t, back);
            let what = match cause {
                "silent" => format!("tracker silent {:.0} min", (back - fix.t) / 60.0),
                _ => format!(
                    "positioning switched off {:.0} min, the terminal reporting without a fix",
                    (back - fix.t) / 60.0
                ),
            };
            push(
                AlertKind::GpsOff,
                (fix.t, back),
                fix.lonlat,
                what,
                Some(cause),
            );
        }
    }
    // night_movement: moving in a watch zone during the night, one episode per stretch
    let mut open: Option<(FeatureId, f64, f64, [f64; 2])> = None;
    let mut episodes = Vec::new();
    for fix in fixes {
        let night = config.night_hours.contains(world.minute(fix.t));
        let here = zone(fix).filter(|_| night && moving(fix));
        match (&mut open, here) {
            (Some((z, _, last, _)), Some(h)) if *z == h => *last = fix.t,
            _ => {
                episodes.extend(open.take());
                if let Some(h) = here {
                    open = Some((h, fix.t, fix.t, fix.lonlat));
                }
            }
        }
    }
    episodes.extend(open);
    for (z, t0, t1, at) in episodes {
        push(
            AlertKind::NightMovement,
            (t0, t1),
            at,
            format!("moving in watch zone {z} at night"),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use coastwatch_core::alerting::{FenceTracker, LocalClock, Phase, Sample, SubjectKey};
    use coastwatch_core::model::ShipCategory;

    use super::*;
    use crate::District;
    use crate::world::TIME_ZONE;

    /// The fence alerts (kind, fence, start) the real tracker opens on `fixes`.
    fn tracker_opens(
        world: &World,
        fixes: &[(f64, [f64; 2], ObjectKind)],
    ) -> Vec<(AlertKind, i64, f64)> {
        let mut tracker = FenceTracker::new(LocalClock::new(TIME_ZONE).unwrap());
        let mut out = Vec::new();
        let subject = SubjectKey::vessel(412_000_001);
        for &(t, at, kind) in fixes {
            let sample = Sample {
                t,
                lon: at[0],
                lat: at[1],
                speed_mps: None,
            };
            tracker.observe(&world.fences, &subject, kind, None, &sample, &mut out);
        }
        let mut opens: Vec<_> = out
            .iter()
            .filter(|e| e.phase == Phase::Open)
            .map(|e| {
                (
                    e.key.kind,
                    e.fence_id.map_or(0, FeatureId::get),
                    e.t.round(),
                )
            })
            .collect();
        opens.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
        opens
    }

    fn truth_opens(
        world: &World,
        fixes: &[(f64, [f64; 2], ObjectKind)],
    ) -> Vec<(AlertKind, i64, f64)> {
        let mut out = Vec::new();
        FenceRun {
            world,
            subject_type: SubjectType::Vessel,
            subject: "412000001",
            planted: None,
            out: &mut out,
        }
        .run(fixes);
        let mut opens: Vec<_> = out
            .iter()
            .map(|i| (i.kind, i.fence_id.unwrap_or(0), i.start.round()))
            .collect();
        opens.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
        opens
    }

    /// Fixes every `step` s along the straight legs through `points` (frame metres of the
    /// synthetic district, its origin at x = -1000 m of the district drawing) at `speed`.
    fn track(
        world: &World,
        t0: f64,
        points: &[[f64; 2]],
        speed: f64,
        step: f64,
        kind: ObjectKind,
    ) -> Vec<(f64, [f64; 2], ObjectKind)> {
        let line =
            crate::geom::Polyline::new(points.iter().map(|p| [p[0] + 1000.0, p[1]]).collect())
                .unwrap();
        let n = (line.len() / speed / step) as usize;
        (0..=n)
            .map(|k| {
                let s = k as f64 * step * speed;
                (t0 + k as f64 * step, world.lonlat(line.at(s)), kind)
            })
            .collect()
    }

    #[test]
    fn the_truth_reads_the_fence_rules_as_the_tracker_does() {
        let world = World::build(&District::synthetic()).unwrap();
        let tanker = ObjectKind::Vessel(ShipCategory::Tanker);
        // 18:00 local
        let t0 = 1_780_308_000.0;
        // into the exercise area (fence 1: enter + dwell 15 min), round, and out
        let mut loop_pts = vec![[7000.0, -2000.0], [10000.0, -2000.0]];
        for _ in 0..6 {
            loop_pts.extend([
                [10500.0, -2500.0],
                [10000.0, -3000.0],
                [9500.0, -2500.0],
                [10000.0, -2000.0],
            ]);
        }
        loop_pts.push([13000.0, -2000.0]);
        let fixes = track(&world, t0, &loop_pts, 2.0, 20.0, tanker);
        let opens = truth_opens(&world, &fixes);
        assert_eq!(opens, tracker_opens(&world, &fixes));
        let kinds: Vec<AlertKind> = opens.iter().map(|o| o.0).collect();
        assert_eq!(kinds, [AlertKind::GeofenceEnter, AlertKind::GeofenceDwell]);

        // a jump across the no-landing shore (fence 3) between two fixes is a crossing
        let fixes = track(
            &world,
            t0,
            &[[200.0, -3500.0], [200.0, -1500.0]],
            10.0,
            200.0,
            tanker,
        );
        let opens = truth_opens(&world, &fixes);
        assert_eq!(opens.len(), 1, "{opens:?}");
        let real = tracker_opens(&world, &fixes);
        assert_eq!((opens[0].0, opens[0].1), (real[0].0, real[0].1));
        assert!((opens[0].2 - real[0].2).abs() <= 5.0, "{opens:?} {real:?}");

        // the night closure (fence 2: tankers and fishing boats, 22:00-05:00): nothing at
        // 18:00, an entry at 23:00, nothing for cargo ships
        let path = [
            [12500.0, 6000.0],
            [14000.0, 6000.0],
            [14000.0, 6500.0],
            [12500.0, 6500.0],
        ];
        for (t, kind, n) in [
            (t0, tanker, 0),
            (t0 + 5.0 * 3600.0, tanker, 1),
            (
                t0 + 5.0 * 3600.0,
                ObjectKind::Vessel(ShipCategory::Cargo),
                0,
            ),
        ] {
            let fixes = track(&world, t, &path, 3.0, 30.0, kind);
            let opens = truth_opens(&world, &fixes);
            assert_eq!(opens, tracker_opens(&world, &fixes));
            assert_eq!(opens.len(), n, "{opens:?}");
        }
    }
}
