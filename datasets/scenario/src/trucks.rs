//! Trucks: background traffic on the route corridors, planted deviations and night
//! movement, and their GPS fixes.

use coastwatch_core::model::{AlertKind, FeatureId, VehicleClass};
use coastwatch_core::{Feature, Layer};
use serde_json::json;

use super::Incident;
use super::SimEvent;
use super::generate::{Gen, round7};
use super::geom::{Xy, add, dist, samples, scale, unit_of};
use super::plan::{Builder, Mode, Track, sample};
use super::truth::{VehicleObs, fence_truth_vehicle, vehicle_truth};
use super::world::{Corridor, Party};
use coastwatch_core::rng::Rng;

const MIN: f64 = 60.0;
const KMH: f64 = 1.0 / 3.6;

/// A simulated truck.
#[derive(Debug, Clone)]
pub(crate) struct TruckSim {
    pub(crate) vehicle_id: String,
    pub(crate) plate: String,
    pub(crate) class: VehicleClass,
    /// Index into the world's corridors.
    pub(crate) corridor: Option<usize>,
    pub(crate) town: Option<String>,
    pub(crate) track: Track,
    pub(crate) planted: Option<String>,
}

impl Gen<'_> {
    pub(crate) fn plan_trucks(&mut self, root: &Rng) {
        let counts = self.config.incidents.clone();
        let mut rng = root.fork(21);
        for k in 0..counts.deviations {
            if self.plant_deviation(&mut rng).is_none() {
                self.notes.push(format!(
                    "could not plant route_deviation #{}: no corridor or day time for it",
                    k + 1
                ));
            }
        }
        let mut rng = root.fork(22);
        for k in 0..counts.night_movements {
            if self.plant_night(&mut rng).is_none() {
                self.notes.push(format!(
                    "could not plant night_movement #{}: no watch zone reachable at night in this run",
                    k + 1
                ));
            }
        }
        let mut rng = root.fork(23);
        let n = self.config.trucks.saturating_sub(self.trucks.len());
        if self.world.corridors.is_empty() && n > 0 {
            self.notes
                .push("no route corridor to drive: no background trucks".into());
            return;
        }
        for _ in 0..n {
            let ci = rng.below(self.world.corridors.len());
            let roll = rng.unit();
            let class = if roll < 0.45 {
                VehicleClass::TankTruck
            } else if roll < 0.9 {
                VehicleClass::ContainerTruck
            } else {
                VehicleClass::Other
            };
            let speed = rng.range(30.0, 60.0) * KMH;
            let c = &self.world.corridors[ci];
            let (sa, sb) = c.span;
            let night = self.night_near(self.start, self.start + 600.0);
            let s = if night {
                if rng.chance(0.5) { sa } else { sb }
            } else {
                rng.range(sa, sb)
            };
            let mut b = Builder::new(self.start, c.line.at(s), c.line.bearing_at(s));
            self.drive(&mut rng, c, &mut b, s, speed, self.end);
            self.push_truck(&mut rng, class, Some(ci), b.track, None);
        }
    }

    fn push_truck(
        &mut self,
        rng: &mut Rng,
        class: VehicleClass,
        corridor: Option<usize>,
        track: Track,
        planted: Option<String>,
    ) {
        let n = self.trucks.len() + 1;
        let letter = (b'A' + rng.below(26) as u8) as char;
        let town = corridor
            .and_then(|ci| self.world.corridors[ci].town.clone())
            .or_else(|| {
                track
                    .state_at(track.start())
                    .and_then(|s| self.world.town_at(s.at))
            });
        self.trucks.push(TruckSim {
            vehicle_id: format!("TRK-{n:03}"),
            plate: format!("浙B{letter}{:04}", rng.int(1000, 9999)),
            class,
            corridor,
            town,
            track,
            planted,
        });
    }

    /// Whether `[t0, t1]` comes within a quarter of an hour of the detectors' night.
    fn night_near(&self, t0: f64, t1: f64) -> bool {
        let h = self.world.detect.night_hours;
        let from = (h.start + 1440 - 15) % 1440;
        let to = (h.end + 15) % 1440;
        self.world.touches_hours(t0, t1, from, to)
    }

    /// Drives corridor `c` from arc length `s` (where the builder is) until `until`:
    /// to the farther end of its span, a park of 10–40 min, back, and so on; parked from
    /// night until a little after it ends. Returns the arc length reached.
    pub(crate) fn drive(
        &self,
        rng: &mut Rng,
        c: &Corridor,
        b: &mut Builder,
        mut s: f64,
        speed: f64,
        until: f64,
    ) -> f64 {
        let (sa, sb) = c.span;
        let mut guard = 0;
        while b.t < until - 1.0 && guard < 10_000 {
            guard += 1;
            if self.night_near(b.t, b.t) {
                let wake = self
                    .world
                    .next_local(b.t, (self.world.detect.night_hours.end + 15) % 1440)
                    + rng.range(1.0, 40.0).round() * MIN;
                b.stay(wake - b.t, Mode::Parked, until);
                continue;
            }
            let at_end = (s - sa).abs() < 1.0 || (s - sb).abs() < 1.0;
            if at_end {
                b.stay(rng.range(10.0, 40.0).round() * MIN, Mode::Parked, until);
                if b.t >= until - 1.0 || self.night_near(b.t, b.t) {
                    continue;
                }
            }
            let target = if (s - sa).abs() < (s - sb).abs() {
                sb
            } else {
                sa
            };
            let duration = (target - s).abs() / speed;
            if self.night_near(b.t, b.t + duration + 10.0 * MIN) {
                let wake = self.world.next_local(
                    b.t + duration + 10.0 * MIN,
                    (self.world.detect.night_hours.end + 15) % 1440,
                ) + rng.range(1.0, 40.0).round() * MIN;
                b.stay(wake - b.t, Mode::Parked, until);
                continue;
            }
            let pts = c.line.slice(s, target);
            b.go(&pts[1..], speed, Mode::Driving, until);
            s = target;
        }
        s
    }

    /// Whether a truck may be at `p` off its corridor `own`: on land, outside every other
    /// fence for vehicles and every watch zone.
    fn off_road_ok(&self, p: Xy, own: FeatureId) -> bool {
        let w = self.world;
        (!w.has_land || w.is_land(p))
            && w.fence_clear(p, 40.0, Party::Vehicle, Some(own))
            && w.watch_zone_at(p).is_none()
    }

    fn plant_deviation(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        let corridors: Vec<usize> = (0..w.corridors.len())
            .filter(|&i| w.corridors[i].span.1 - w.corridors[i].span.0 >= 3500.0)
            .collect();
        for _ in 0..300 {
            let ci = *rng.pick(&corridors)?;
            let c = &w.corridors[ci];
            let (sa, sb) = c.span;
            let l = rng.range(900.0, 1300.0);
            let s0 = rng.range(sa + 1000.0, (sb - l - 500.0).max(sa + 1000.0));
            if s0 + l > sb - 200.0 {
                continue;
            }
            let p0 = c.line.at(s0);
            let along = c.line.bearing_at(s0);
            let n = unit_of(along + 90.0 * rng.sign());
            let p1 = add(p0, scale(n, rng.range(500.0, 800.0)));
            let p2 = add(p1, scale(unit_of(along), l));
            let p3 = c.line.at(s0 + l);
            let off_ok = [(p0, p1), (p1, p2), (p2, p3)].iter().all(|&(a, z)| {
                samples(a, z, 15.0).all(|p| {
                    c.line.project(p).1 <= c.half_width_m + 5.0 || self.off_road_ok(p, c.id)
                })
            });
            // every point of the detour but its ends must be well off the corridor
            if !off_ok || c.line.project(p2).1 < 400.0 {
                continue;
            }
            let road = rng.range(35.0, 55.0) * KMH;
            let off = rng.range(15.0, 22.0) * KMH;
            let gap = rng.range(20.0, 35.0).round() * MIN;
            let before = (s0 - sa) / road;
            if self.end - 90.0 * MIN < self.start + 20.0 * MIN + before {
                continue;
            }
            let mut t0 = None;
            for _ in 0..100 {
                let t = rng
                    .range(self.start + 20.0 * MIN + before, self.end - 90.0 * MIN)
                    .round();
                if t > self.start && !self.night_near(t - before - 10.0 * MIN, t + 80.0 * MIN) {
                    t0 = Some(t);
                    break;
                }
            }
            let t0 = t0?;
            let t_dep = t0 - before;
            let mut b = Builder::new(self.start, c.line.at(sa), along);
            b.stay(t_dep - self.start, Mode::Parked, f64::INFINITY);
            let pts = c.line.slice(sa, s0);
            b.go(&pts[1..], road, Mode::Driving, f64::INFINITY);
            b.go(&[p1, p2], off, Mode::OffRoad, f64::INFINITY);
            let t_off = b.t;
            b.go(&[p3], off, Mode::OffRoad, f64::INFINITY);
            b.stay(t_off + gap - b.t, Mode::Parked, f64::INFINITY);
            b.silence(t_off, t_off + gap);
            let pts = c.line.slice(s0 + l, sb);
            b.go(&pts[1..], road, Mode::Driving, self.end);
            if b.t < self.end {
                self.drive(rng, c, &mut b, sb, road, self.end);
            }
            let class = if rng.chance(0.5) {
                VehicleClass::TankTruck
            } else {
                VehicleClass::ContainerTruck
            };
            let note = format!(
                "leaves corridor {} for {:.0} m, then its tracker is off for {:.0} min",
                c.id,
                c.line.project(p2).1,
                gap / MIN
            );
            self.push_truck(rng, class, Some(ci), b.track, Some(note));
            return Some(());
        }
        None
    }

    /// A watched truck moving in a watch zone at night: through the zone when its
    /// corridor crosses one, or out of its depot into the zone that holds the corridor's
    /// end and back; a truck without a corridor driving into a zone when no corridor
    /// reaches one.
    fn plant_night(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        // the arc lengths of each corridor that lie in a watch zone
        let options: Vec<(usize, Vec<f64>)> = (0..w.corridors.len())
            .filter_map(|i| {
                let c = &w.corridors[i];
                let n = (c.line.len() / 25.0).ceil() as usize;
                let zs: Vec<f64> = (0..=n)
                    .map(|k| k as f64 * c.line.len() / n as f64)
                    .filter(|s| w.watch_zone_at(c.line.at(*s)).is_some())
                    .collect();
                (!zs.is_empty()).then_some((i, zs))
            })
            .collect();
        let night = w.detect.night_hours;
        let (from, to) = ((night.start + 60) % 1440, (night.end + 1440 - 60) % 1440);
        let Some((ci, zs)) = rng.pick(&options).cloned() else {
            return self.plant_night_off_road(rng, from, to);
        };
        let c = &w.corridors[ci];
        let (sa, sb) = c.span;
        let through = zs.iter().any(|s| *s > sa && *s < sb);
        // the depot run: from the span end nearest the zone to the corridor's end and back
        let (near, depot) = if zs[0] < sa {
            (sa, 0.0)
        } else {
            (sb, c.line.len())
        };
        let speed = rng.range(25.0, 40.0) * KMH;
        let stop = rng.range(8.0, 15.0).round() * MIN;
        let dur = if through {
            (sb - sa) / speed
        } else {
            (sb - sa) / speed + 2.0 * (near - depot).abs() / (10.0 * KMH) + stop
        };
        let mut t_go = None;
        if self.end - dur - 20.0 * MIN < self.start + 30.0 * MIN {
            return None;
        }
        for _ in 0..200 {
            let t = rng
                .range(self.start + 30.0 * MIN, self.end - dur - 20.0 * MIN)
                .round();
            if t > self.start && w.within_hours(t, t + dur, from, to) {
                t_go = Some(t);
                break;
            }
        }
        let t_go = t_go?;
        let day_speed = rng.range(30.0, 60.0) * KMH;
        let start_night = self.night_near(self.start, self.start + 600.0);
        let s = if start_night || rng.chance(0.5) {
            if rng.chance(0.5) { sa } else { sb }
        } else {
            rng.range(sa, sb)
        };
        let mut b = Builder::new(self.start, c.line.at(s), c.line.bearing_at(s));
        let s = self.drive(rng, c, &mut b, s, day_speed, t_go);
        let s = if (s - sa).abs() < (s - sb).abs() {
            sa
        } else {
            sb
        };
        let note = if through {
            let target = if s == sa { sb } else { sa };
            let pts = c.line.slice(s, target);
            b.go(&pts[1..], speed, Mode::Driving, self.end);
            if b.t < self.end {
                self.drive(rng, c, &mut b, target, day_speed, self.end);
            }
            format!("drives corridor {} through a watch zone at night", c.id)
        } else {
            // slowly through the yard: 10-15 km/h
            let yard = rng.range(10.0, 15.0) * KMH;
            for (a, z, v, mode) in [
                (s, near, speed, Mode::Driving),
                (near, depot, yard, Mode::Yard),
            ] {
                let pts = c.line.slice(a, z);
                b.go(&pts[1..], v, mode, self.end);
            }
            b.stay(stop, Mode::Parked, self.end);
            let pts = c.line.slice(depot, near);
            b.go(&pts[1..], yard, Mode::Yard, self.end);
            if b.t < self.end {
                self.drive(rng, c, &mut b, near, day_speed, self.end);
            }
            format!(
                "drives into the watch zone at the end of corridor {} at night, stops {:.0} min and leaves",
                c.id,
                stop / MIN
            )
        };
        let class = if rng.chance(0.7) {
            VehicleClass::TankTruck
        } else {
            VehicleClass::ContainerTruck
        };
        self.push_truck(rng, class, Some(ci), b.track, Some(note));
        Some(())
    }

    fn plant_night_off_road(&mut self, rng: &mut Rng, from: u16, to: u16) -> Option<()> {
        let w = self.world;
        let zones: Vec<usize> = (0..w.fence_info.len())
            .filter(|&i| w.fence_info[i].kind == coastwatch_core::model::FenceKind::WatchZone)
            .collect();
        for _ in 0..300 {
            let info = &w.fence_info[*rng.pick(&zones)?];
            let r = rng.range(50.0, 90.0);
            let centre = [
                rng.range(info.min[0], info.max[0]),
                rng.range(info.min[1], info.max[1]),
            ];
            if w.watch_zone_at(centre) != Some(info.id)
                || w.fence_depth_m(info.id, centre) < info.buffer_m + r + 40.0
                || (w.has_land && !w.is_land(centre))
            {
                continue;
            }
            let dir = unit_of(rng.range(0.0, 360.0));
            let mut park = None;
            for k in 1..200 {
                let p = add(centre, scale(dir, k as f64 * 20.0));
                if w.watch_zone_at(p).is_none() && w.fence_clear(p, 50.0, Party::Vehicle, None) {
                    park = Some(add(p, scale(dir, 200.0)));
                    break;
                }
            }
            let Some(park) = park else {
                continue;
            };
            let path_ok = samples(park, centre, 15.0).all(|p| {
                (!w.has_land || w.is_land(p))
                    && (w.watch_zone_at(p).is_some_and(|z| z == info.id)
                        || w.watch_zone_at(p).is_none())
                    && w.fence_clear(p, 30.0, Party::Vehicle, Some(info.id))
            });
            if !path_ok || !w.fence_clear(park, 60.0, Party::Vehicle, None) {
                continue;
            }
            let speed = rng.range(15.0, 25.0) * KMH;
            let loop_s = rng.range(10.0, 15.0).round() * MIN;
            let entry = add(centre, scale(dir, r));
            let dur = 2.0 * dist(park, entry) / speed + loop_s;
            if self.end - dur - 20.0 * MIN < self.start + 30.0 * MIN {
                return None;
            }
            let mut t_go = None;
            for _ in 0..200 {
                let t = rng
                    .range(self.start + 30.0 * MIN, self.end - dur - 20.0 * MIN)
                    .round();
                if t > self.start && w.within_hours(t, t + dur, from, to) {
                    t_go = Some(t);
                    break;
                }
            }
            let t_go = t_go?;
            let mut b = Builder::new(self.start, park, 0.0);
            b.stay(t_go - self.start, Mode::Parked, f64::INFINITY);
            b.go(&[entry], speed, Mode::OffRoad, f64::INFINITY);
            b.circle(centre, speed / r, loop_s, Mode::OffRoad);
            b.go(&[park], speed, Mode::OffRoad, self.end);
            b.stay(self.end - b.t, Mode::Parked, self.end);
            let note = format!("drives round watch zone {} at night", info.id);
            self.push_truck(rng, VehicleClass::ContainerTruck, None, b.track, Some(note));
            return Some(());
        }
        None
    }
}

/// Seconds until a truck's next fix: 30–60 s driving, 20–30 s off road, 15–25 s in a
/// yard, 2–5 min parked.
fn interval_truck(mode: Mode, rng: &mut Rng) -> f64 {
    match mode {
        Mode::Parked => rng.range(120.0, 300.0),
        Mode::OffRoad => rng.range(20.0, 30.0),
        Mode::Yard => rng.range(15.0, 25.0),
        _ => rng.range(30.0, 60.0),
    }
}

/// Samples every truck into fixes (GPS noise kept inside the corridor when on it) and
/// returns the truth the vehicle rules and fences derive from them.
pub(crate) fn emit(
    g: &Gen<'_>,
    rng: &mut Rng,
    push: &mut dyn FnMut(SimEvent),
    notes: &mut Vec<String>,
) -> Vec<Incident> {
    let w = g.world;
    let mut truth = Vec::new();
    for (k, truck) in g.trucks.iter().enumerate() {
        let mut tr = rng.fork(1000 + k as u64);
        let mut fixes = sample(&truck.track, &mut tr, |s, r| interval_truck(s.mode, r));
        fixes.retain(|f| f.t >= g.start && f.t <= g.end);
        let corridor = truck.corridor.map(|ci| &w.corridors[ci]);
        let mut obs = Vec::with_capacity(fixes.len());
        let mut heading = fixes.first().map_or(0.0, |f| f.state.course);
        for fix in &fixes {
            let st = fix.state;
            let noisy = add(st.at, [tr.normal() * 3.0, tr.normal() * 3.0]);
            let at = match (corridor, st.mode) {
                (Some(c), Mode::Driving | Mode::Yard | Mode::Parked) => {
                    let [lon, lat] = w.lonlat(noisy);
                    let d = w.ctx.corridor_distance_m(c.id, lon, lat).unwrap_or(0.0);
                    if d <= c.half_width_m - 10.0 {
                        noisy
                    } else {
                        st.at
                    }
                }
                _ => noisy,
            };
            let [lon, lat] = w.lonlat(at);
            let (lon, lat) = (round7(lon), round7(lat));
            let speed_kmh = if st.mode == Mode::Parked {
                0.0
            } else {
                heading = st.course;
                ((st.speed / KMH + tr.range(-2.0, 2.0)).max(8.0) * 10.0).round() / 10.0
            };
            let heading_deg = ((heading * 10.0).round() / 10.0) % 360.0;
            push(SimEvent::VehicleFix {
                t: fix.t,
                vehicle_id: truck.vehicle_id.clone(),
                positioned: true,
                lon,
                lat,
                speed_kmh,
                heading_deg,
            });
            obs.push(VehicleObs {
                t: fix.t,
                lonlat: [lon, lat],
                speed_kmh,
            });
        }
        // half of the trackers that go off have their positioning switched off: the terminal
        // goes on reporting, without a fix; the others fall silent
        let mut off_reports = Vec::new();
        if !truck.track.silences.is_empty() && tr.chance(0.5) {
            for &(from, to) in &truck.track.silences {
                let mut t = (from + OFF_REPORT_S).floor();
                while t < to && t <= g.end {
                    off_reports.push(t);
                    push(SimEvent::VehicleFix {
                        t,
                        vehicle_id: truck.vehicle_id.clone(),
                        positioned: false,
                        lon: 0.0,
                        lat: 0.0,
                        speed_kmh: 0.0,
                        heading_deg: 0.0,
                    });
                    t += OFF_REPORT_S;
                }
            }
        }
        let corridor_id = corridor.map(|c| c.id);
        let before = truth.len();
        vehicle_truth(
            w,
            &truck.vehicle_id,
            truck.class,
            corridor_id,
            &obs,
            &off_reports,
            g.end,
            truck.planted.as_deref(),
            &mut truth,
        );
        let night_planted = truck
            .planted
            .as_deref()
            .is_some_and(|p| p.contains("at night"));
        if night_planted
            && !truth[before..]
                .iter()
                .any(|i| i.kind == AlertKind::NightMovement)
        {
            notes.push(format!(
                "{} was planted to move at night but no fix of it qualifies",
                truck.vehicle_id
            ));
        }
        fence_truth_vehicle(
            w,
            &truck.vehicle_id,
            truck.class,
            &obs,
            truck.planted.as_deref(),
            &mut truth,
        );
    }
    truth
}

/// Seconds between two reports of a terminal whose positioning is switched off.
const OFF_REPORT_S: f64 = 60.0;

/// The phone number of truck `k`'s JT/T 808 terminal.
fn terminal_phone(k: usize) -> String {
    format!("1380000{:04}", k + 1)
}

/// The `vehicles` layer features of the trucks (ids from 1, no position yet).
pub(crate) fn features(g: &Gen<'_>) -> Vec<Feature> {
    g.trucks
        .iter()
        .enumerate()
        .filter_map(|(k, t)| {
            let corridor = t.corridor.map(|ci| g.world.corridors[ci].id.get());
            let properties = json!({
                "vehicle_id": t.vehicle_id, "plate": t.plate, "class": t.class,
                "corridor_id": corridor, "terminal_id": terminal_phone(k), "town": t.town,
            });
            let id = FeatureId::try_from(k as i64 + 1).ok()?;
            let feature = Feature {
                id: Some(id),
                geometry: None,
                properties: properties.as_object().cloned().unwrap_or_default(),
            };
            Layer::Vehicles.validate(feature).ok()
        })
        .collect()
}
