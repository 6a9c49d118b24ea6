//! The generator: background traffic, planted vessel incidents, and the emission of events.

use std::collections::BTreeSet;

use coastwatch_core::alerting::fences::FenceShape;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{AlertKind, Detect, FeatureId, ObjectKind, ShipCategory, SubjectType};

use super::error::{Result, ScenarioError};
use super::geom::{Polyline, Xy, add, bearing, dist, heading_of, scale, unit_of};
use super::nmea::{Report, VesselSpec, Writer, ais_deg};
use super::plan::{Builder, Mode, Track, sample};
use super::trucks::TruckSim;
use super::truth::{VesselObs, fence_truth};
use super::world::{CATEGORIES, LaneKind, Party, World, ship_type_of};
use super::{District, Incident, Scenario, ScenarioConfig, SimEvent};
use coastwatch_core::identity::{IdentityFlag, imo_valid, mmsi_problem};
use coastwatch_core::rng::Rng;

const MIN: f64 = 60.0;

/// A simulated vessel: who it is and what it does.
#[derive(Debug, Clone)]
pub(crate) struct SimVessel {
    pub(crate) spec: VesselSpec,
    pub(crate) track: Track,
    /// What was planted on it, if anything.
    pub(crate) planted: Option<String>,
}

/// A tip to send.
#[derive(Debug, Clone)]
pub(crate) struct SimTip {
    pub(crate) t: f64,
    pub(crate) at: Xy,
    pub(crate) text: String,
}

/// The generator's state while planning.
pub(crate) struct Gen<'w> {
    pub(crate) world: &'w World,
    pub(crate) config: &'w ScenarioConfig,
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) vessels: Vec<SimVessel>,
    pub(crate) trucks: Vec<TruckSim>,
    pub(crate) tips: Vec<SimTip>,
    pub(crate) truth: Vec<Incident>,
    pub(crate) notes: Vec<String>,
    /// Places and times taken by slow incidents: `(at, from, to)`.
    sites: Vec<(Xy, f64, f64)>,
    mmsis: BTreeSet<u32>,
    serial: u32,
}

/// Generates the scenario of `config` in `district`.
///
/// # Errors
/// A configuration that cannot be used (no hours, more than three days) or a district
/// without usable lanes or with fences that do not compile.
pub fn generate(district: &District, config: &ScenarioConfig) -> Result<Scenario> {
    if !(config.hours.is_finite() && config.hours > 0.0 && config.hours <= 72.0) {
        return Err(ScenarioError::Config(format!(
            "hours {} must be more than 0 and at most 72",
            config.hours
        )));
    }
    let world = World::build(district)?;
    let start = config.start_epoch_s as f64;
    let end = start + (config.hours * 3600.0).round();
    let mut g = Gen {
        world: &world,
        config,
        start,
        end,
        vessels: Vec::new(),
        trucks: Vec::new(),
        tips: Vec::new(),
        truth: Vec::new(),
        notes: Vec::new(),
        sites: Vec::new(),
        mmsis: BTreeSet::new(),
        serial: 0,
    };
    let root = Rng::new(config.seed);
    g.plant_vessels(&root);
    g.background_vessels(&mut root.fork(2));
    g.plan_trucks(&root);
    Ok(g.finish(&mut root.fork(9), district))
}

impl Gen<'_> {
    fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    /// A fresh, valid ship-station MMSI of China (MID 412–414).
    fn new_mmsi(&mut self, rng: &mut Rng) -> u32 {
        loop {
            let mid = [412u32, 413, 414][rng.below(3)];
            let mmsi = mid * 1_000_000 + rng.int(100_000, 999_999) as u32;
            if mmsi_problem(mmsi).is_none() && self.mmsis.insert(mmsi) {
                return mmsi;
            }
        }
    }

    /// A fresh MMSI with `problem` (`MmsiFormat` or `UnknownMid`).
    fn bad_mmsi(&mut self, rng: &mut Rng, problem: IdentityFlag) -> u32 {
        loop {
            let mmsi = match problem {
                IdentityFlag::UnknownMid => {
                    rng.int(201, 775) as u32 * 1_000_000 + rng.int(0, 999_999) as u32
                }
                _ => rng.int(120_000_000, 199_999_999) as u32,
            };
            if mmsi_problem(mmsi) == Some(problem) && self.mmsis.insert(mmsi) {
                return mmsi;
            }
        }
    }

    /// A vessel identity of `category` (class B when `class_b`).
    fn spec(&mut self, rng: &mut Rng, category: ShipCategory, class_b: bool) -> VesselSpec {
        self.serial += 1;
        let n = self.serial;
        let mmsi = self.new_mmsi(rng);
        let pick = |rng: &mut Rng, xs: &[&str]| xs[rng.below(xs.len())].to_owned();
        let name = match category {
            ShipCategory::Fishing => format!("ZHE XIANG YU {:05}", rng.int(10_000, 99_999)),
            ShipCategory::Cargo => format!(
                "{} {}",
                pick(
                    rng,
                    &[
                        "XIN HAI",
                        "MIN DA",
                        "ZHOU SHAN",
                        "NING BO",
                        "HAI TONG",
                        "JIN HANG"
                    ]
                ),
                rng.int(1, 99)
            ),
            ShipCategory::Tanker => format!(
                "{} {}",
                pick(rng, &["HAI XUN YOU", "ZHE YOU", "NING YOU", "DONG HAI YOU"]),
                rng.int(1, 39)
            ),
            _ => format!(
                "{} {}",
                pick(
                    rng,
                    &["LANG HUA", "XIANG GANG", "HAI OU", "BAI LU", "SHI PU"]
                ),
                rng.int(1, 199)
            ),
        };
        let big = matches!(category, ShipCategory::Cargo | ShipCategory::Tanker);
        let imo = if big && !class_b { valid_imo(rng) } else { 0 };
        let callsign = format!("B{}{:03}", (b'A' + rng.below(26) as u8) as char, n % 1000);
        let destination = pick(
            rng,
            &["NINGBO", "ZHOUSHAN", "SHIPU", "XIANGSHAN", "SHANGHAI"],
        );
        VesselSpec {
            mmsi,
            class_b,
            ship_type: ship_type_of(category),
            name,
            callsign,
            imo,
            destination,
            sends_static: true,
        }
    }

    /// Lanes a planted vessel may use: not the approach to an unregistered dock.
    fn sea_lanes(&self) -> Vec<usize> {
        (0..self.world.lanes.len())
            .filter(|&i| !self.world.lanes[i].unregistered_dock)
            .collect()
    }

    fn lanes_of(&self, kinds: &[LaneKind]) -> Vec<usize> {
        let all = self.sea_lanes();
        let some: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| kinds.contains(&self.world.lanes[i].kind))
            .collect();
        if some.is_empty() { all } else { some }
    }

    /// A whole time in `[lo, hi]`, `None` when the range is empty.
    fn pick_time(rng: &mut Rng, lo: f64, hi: f64) -> Option<f64> {
        (hi >= lo).then(|| rng.range(lo, hi).round())
    }

    /// Whether a slow incident at `at` during `[from, to]` keeps 3 km from the others.
    fn spaced(&self, at: Xy, from: f64, to: f64) -> bool {
        self.sites
            .iter()
            .all(|(p, a, b)| *b < from || *a > to || dist(*p, at) >= 3000.0)
    }

    /// A sea place for a slow incident: water, clear of the coast and fences, far from
    /// registered docks and anchorages, in the watch area.
    fn sea_site_ok(&self, p: Xy, clearance: f64, margin: f64) -> bool {
        let w = self.world;
        w.sea_ok(p, clearance, margin, None)
            && w.dock_m(p) >= 1800.0
            && w.anchorage_m(p) >= 1800.0
            && w.in_area(p)
    }

    /// Lane points from which a straight, clear path reaches `p`, nearest first: `(lane,
    /// arc length, point)`.
    fn connections(
        &self,
        p: Xy,
        clearance: f64,
        margin: f64,
        allow: Option<FeatureId>,
        max: usize,
    ) -> Vec<(usize, f64, Xy)> {
        let w = self.world;
        let mut candidates: Vec<(f64, usize, f64)> = Vec::new();
        for i in self.sea_lanes() {
            let line = &w.lanes[i].line;
            let n = (line.len() / 250.0).ceil().max(1.0) as usize;
            for k in 0..=n {
                let s = k as f64 * line.len() / n as f64;
                let d = dist(line.at(s), p);
                if (250.0..=12_000.0).contains(&d) {
                    candidates.push((d, i, s));
                }
            }
        }
        candidates.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.total_cmp(&b.2))
        });
        let mut out = Vec::new();
        for (_, i, s) in candidates.into_iter().take(60) {
            let q = w.lanes[i].line.at(s);
            if w.sea_path_ok(&[q, p], clearance, margin, allow) {
                out.push((i, s, q));
                if out.len() >= max {
                    break;
                }
            }
        }
        out
    }

    /// A planted vessel that sails its lane from the start and reaches arc length `s` of
    /// lane `lane` at `t_at`.
    fn lane_until(&self, rng: &mut Rng, lane: usize, s: f64, t_at: f64, speed: f64) -> Builder {
        let line = &self.world.lanes[lane].line;
        let distance = (speed * (t_at - self.start)).max(0.0);
        let (mut pts, _, _) = line.walk(s, rng.sign(), distance);
        pts.reverse();
        let course = if pts.len() > 1 {
            bearing(pts[0], pts[1])
        } else {
            0.0
        };
        let mut b = Builder::new(self.start, pts[0], course);
        b.go(&pts[1..], speed, Mode::UnderWay, f64::INFINITY);
        b
    }

    /// Sails on along lane `lane` from arc length `s` (where the builder is) until the end.
    fn lane_on(&self, rng: &mut Rng, b: &mut Builder, lane: usize, s: f64, speed: f64) {
        let line = &self.world.lanes[lane].line;
        let distance = (speed * (self.end - b.t)).max(0.0);
        let (pts, _, _) = line.walk(s, rng.sign(), distance);
        b.go(&pts, speed, Mode::UnderWay, self.end);
    }

    fn add_truth(&mut self, incident: Incident) {
        self.truth.push(incident);
    }

    fn incident(
        &self,
        kind: AlertKind,
        subject: String,
        window: (f64, f64),
        at: Xy,
        note: String,
    ) -> Incident {
        Incident {
            kind,
            subject_type: SubjectType::Vessel,
            subject_id: subject,
            start: window.0,
            end: window.1,
            location: self.world.lonlat(at),
            note,
            other_id: None,
            fence_id: None,
        }
    }

    fn plant_vessels(&mut self, root: &Rng) {
        let counts = self.config.incidents.clone();
        let kinds: [(&str, usize, u64); 7] = [
            ("encounter", counts.encounters, 11),
            ("loitering", counts.loitering, 12),
            ("unregistered_landing", counts.landings, 13),
            ("geofence", counts.fence_entries, 14),
            ("ais_gap", counts.ais_gaps, 15),
            ("identity_anomaly", counts.identity, 16),
            ("unused", 0, 17),
        ];
        for (kind, count, tag) in kinds {
            let mut rng = root.fork(tag);
            for k in 0..count {
                let placed = match kind {
                    "encounter" => self.plant_encounter(&mut rng),
                    "loitering" => self.plant_loitering(&mut rng),
                    "unregistered_landing" => self.plant_landing(&mut rng),
                    "geofence" => self.plant_fence_entry(&mut rng),
                    "ais_gap" => self.plant_gap(&mut rng),
                    "identity_anomaly" => self.plant_identity(&mut rng, k),
                    _ => Some(()),
                };
                if placed.is_none() {
                    self.note(format!(
                        "could not plant {kind} #{}: no valid place or time",
                        k + 1
                    ));
                }
            }
        }
    }

    fn plant_encounter(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        let lanes = self.sea_lanes();
        for _ in 0..400 {
            let (_, line, s) = lane_spot(w, &lanes, rng)?;
            let normal = unit_of(line.bearing_at(s) + 90.0 * rng.sign());
            let site = add(line.at(s), scale(normal, rng.range(800.0, 3000.0)));
            if !self.sea_site_ok(site, 800.0, 500.0) {
                continue;
            }
            let dur = rng.range(34.0, 40.0).round() * MIN;
            let vel = scale(
                unit_of(rng.range(0.0, 360.0)),
                rng.range(0.3, 0.7) * MPS_PER_KN,
            );
            let side = scale(
                unit_of(heading_of(vel) + 90.0 * rng.sign()),
                rng.range(120.0, 280.0),
            );
            let site_b = add(site, side);
            let end_a = add(site, scale(vel, dur + 300.0));
            let end_b = add(site_b, scale(vel, dur + 300.0));
            if !(w.sea_path_ok(&[site, end_a], 700.0, 400.0, None)
                && w.sea_path_ok(&[site_b, end_b], 700.0, 400.0, None)
                && self.sea_site_ok(end_a, 700.0, 400.0)
                && self.sea_site_ok(end_b, 700.0, 400.0))
            {
                continue;
            }
            let t0 = Self::pick_time(rng, self.start + 45.0 * MIN, self.end - dur - 40.0 * MIN)?;
            if !self.spaced(site, t0 - 3600.0, t0 + dur + 3600.0) {
                continue;
            }
            let tb = t0 + rng.range(60.0, 180.0).round();
            let t1 = t0 + dur;
            let t1b = t1 + rng.range(30.0, 90.0).round();
            let at_b = add(site_b, scale(vel, tb - t0));
            let (out_a_at, out_b_at) = (
                add(site, scale(vel, dur)),
                add(site_b, scale(vel, t1b - t0)),
            );
            let ins_a = self.connections(site, 150.0, 150.0, None, 1);
            let ins_b = self.connections(at_b, 150.0, 150.0, None, 4);
            let (Some(&(la, sa, qa)), Some(&(lb, sb, qb))) = (
                ins_a.first(),
                ins_b
                    .iter()
                    .find(|(l, s, _)| *l != ins_a[0].0 || (s - ins_a[0].1).abs() > 1000.0)
                    .or(ins_b.last()),
            ) else {
                continue;
            };
            let outs_a = self.connections(out_a_at, 150.0, 150.0, None, 1);
            let outs_b = self.connections(out_b_at, 150.0, 150.0, None, 1);
            let (Some(&(loa, soa, qoa)), Some(&(lob, sob, qob))) = (outs_a.first(), outs_b.first())
            else {
                continue;
            };
            let (va, vb) = (
                rng.range(7.0, 10.0) * MPS_PER_KN,
                rng.range(8.0, 11.0) * MPS_PER_KN,
            );
            let ta_lane = t0 - dist(qa, site) / va;
            let tb_lane = tb - dist(qb, at_b) / vb;
            if ta_lane < self.start + 300.0 || tb_lane < self.start + 300.0 {
                continue;
            }
            let mut a = self.lane_until(rng, la, sa, ta_lane, va);
            a.go(&[site], va, Mode::UnderWay, f64::INFINITY);
            a.drift(vel, t1 - a.t, Mode::Slow);
            a.go(&[qoa], va, Mode::UnderWay, self.end);
            self.lane_on(rng, &mut a, loa, soa, va);
            let mut b = self.lane_until(rng, lb, sb, tb_lane, vb);
            b.go(&[at_b], vb, Mode::UnderWay, f64::INFINITY);
            b.drift(vel, t1b - b.t, Mode::Slow);
            b.go(&[qob], vb, Mode::UnderWay, self.end);
            self.lane_on(rng, &mut b, lob, sob, vb);

            let fishing_first = rng.chance(0.5);
            let (ca, cb) = if fishing_first {
                (ShipCategory::Fishing, ShipCategory::Tanker)
            } else {
                (ShipCategory::Tanker, ShipCategory::Fishing)
            };
            let spec_a = self.spec(rng, ca, false);
            let b_class_b = rng.chance(0.3);
            let spec_b = self.spec(rng, cb, b_class_b);
            let (lo, hi) = (spec_a.mmsi.min(spec_b.mmsi), spec_a.mmsi.max(spec_b.mmsi));
            let mid = add(add(site, scale(side, 0.5)), scale(vel, dur / 2.0));
            let note = format!(
                "{} and {} drift together {:.0} m apart at {:.1} kn for {:.0} min",
                spec_a.name,
                spec_b.name,
                dist(site, site_b),
                vel[0].hypot(vel[1]) / MPS_PER_KN,
                (t1 - tb) / MIN
            );
            let mut incident = self.incident(
                AlertKind::Encounter,
                lo.to_string(),
                (tb, t1),
                mid,
                note.clone(),
            );
            incident.other_id = Some(hi.to_string());
            self.add_truth(incident);
            self.sites.push((site, t0 - 1800.0, t1b + 1800.0));
            self.vessels.push(SimVessel {
                spec: spec_a,
                track: a.track,
                planted: Some(note.clone()),
            });
            self.vessels.push(SimVessel {
                spec: spec_b,
                track: b.track,
                planted: Some(note),
            });
            return Some(());
        }
        None
    }

    fn plant_loitering(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        let lanes = self.sea_lanes();
        for _ in 0..400 {
            let (_, line, s) = lane_spot(w, &lanes, rng)?;
            let normal = unit_of(line.bearing_at(s) + 90.0 * rng.sign());
            let centre = add(line.at(s), scale(normal, rng.range(800.0, 3000.0)));
            let r = rng.range(100.0, 180.0);
            if !self.sea_site_ok(centre, 700.0 + r, 400.0 + r) {
                continue;
            }
            let kn = rng.range(0.4, 0.9);
            let omega = kn * MPS_PER_KN / r * rng.sign();
            let dur = rng.range(80.0, 110.0).round() * MIN;
            let t0 = Self::pick_time(rng, self.start + 45.0 * MIN, self.end - dur - 30.0 * MIN)?;
            if !self.spaced(centre, t0 - 3600.0, t0 + dur + 3600.0) {
                continue;
            }
            let phase = rng.range(0.0, std::f64::consts::TAU);
            let entry = add(centre, [r * phase.cos(), r * phase.sin()]);
            let last = phase + omega * dur;
            let exit = add(centre, [r * last.cos(), r * last.sin()]);
            let (Some(&(li, si, qi)), Some(&(lo, so, qo))) = (
                self.connections(entry, 150.0, 150.0, None, 1).first(),
                self.connections(exit, 150.0, 150.0, None, 1).first(),
            ) else {
                continue;
            };
            let v = rng.range(6.0, 9.0) * MPS_PER_KN;
            let t_lane = t0 - dist(qi, entry) / v;
            if t_lane < self.start + 300.0 {
                continue;
            }
            let mut b = self.lane_until(rng, li, si, t_lane, v);
            b.go(&[entry], v, Mode::UnderWay, f64::INFINITY);
            b.circle(centre, omega, t0 + dur - b.t, Mode::Slow);
            b.go(&[qo], v, Mode::UnderWay, self.end);
            self.lane_on(rng, &mut b, lo, so, v);
            // leaving, the window mean stays under 2 kn for a while: no dock or anchorage
            // within reach then, or the episode would close there and open again after
            let t_leave = t0 + dur;
            let clear_after = (0..=40).all(|k| {
                b.track
                    .state_at(t_leave + k as f64 * 30.0)
                    .is_none_or(|st| w.dock_m(st.at) >= 1300.0 && w.anchorage_m(st.at) >= 1300.0)
            });
            if !clear_after {
                continue;
            }
            let class_b = rng.chance(0.4);
            let spec = self.spec(rng, ShipCategory::Fishing, class_b);
            let note = format!(
                "{} circles {:.0} m wide at {:.1} kn for {:.0} min, {:.1} km from the nearest registered dock",
                spec.name,
                2.0 * r,
                kn,
                dur / MIN,
                w.dock_m(centre) / 1000.0
            );
            let incident = self.incident(
                AlertKind::Loitering,
                spec.mmsi.to_string(),
                (t0, t0 + dur),
                centre,
                note.clone(),
            );
            self.add_truth(incident);
            self.sites.push((centre, t0 - 1800.0, t0 + dur + 1800.0));
            self.vessels.push(SimVessel {
                spec,
                track: b.track,
                planted: Some(note),
            });
            return Some(());
        }
        None
    }

    /// A place to land: half the tries at an unregistered landing place of the district
    /// (a dock that is not registered), the others anywhere on the coast. Returns the stop,
    /// the coast point it faces, the unit vector from land to sea, the coast's bearing, a
    /// point offshore to come in from, and the vessel fence it lies in, if any.
    fn landing_site(
        &self,
        rng: &mut Rng,
        total: f64,
    ) -> Option<(Xy, Xy, Xy, f64, Xy, Option<FeatureId>)> {
        let w = self.world;
        let landings: Vec<Xy> = w
            .docks
            .iter()
            .filter(|d| !d.registered)
            .map(|d| d.at)
            .collect();
        let (c, along, site) = if !landings.is_empty() && rng.chance(0.5) {
            let d = *rng.pick(&landings)?;
            let (line, s) = w
                .coast_lines
                .iter()
                .map(|l| (l, l.project(d)))
                .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
                .map(|(l, (s, _))| (l, s))?;
            (line.at(s), line.bearing_at(s), Some(d))
        } else {
            // a point of the coastline, uniformly by length
            let mut pick = rng.range(0.0, total);
            let line = w.coast_lines.iter().find(|l| {
                if pick <= l.len() {
                    true
                } else {
                    pick -= l.len();
                    false
                }
            })?;
            let s = pick.clamp(0.0, line.len());
            (line.at(s), line.bearing_at(s), None)
        };
        // the side of the coast with water
        let n = [1.0, -1.0]
            .into_iter()
            .map(|side| unit_of(along + 90.0 * side))
            .find(|n| !w.is_land(add(c, scale(*n, 60.0))) && w.is_land(add(c, scale(*n, -60.0))))?;
        let site = match site {
            Some(d) => add(d, scale(n, rng.range(5.0, 25.0))),
            None => add(c, scale(n, rng.range(40.0, 80.0))),
        };
        let off = add(c, scale(n, rng.range(350.0, 600.0)));
        let allow = w
            .fence_info
            .iter()
            .find(|f| f.for_vessels && w.fence_depth_m(f.id, site) > -(f.buffer_m + 150.0))
            .map(|f| f.id);
        Some((site, c, n, along, off, allow))
    }

    fn plant_landing(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        let total: f64 = w.coast_lines.iter().map(|l| l.len()).sum();
        if total <= 0.0 {
            return None;
        }
        for _ in 0..600 {
            let Some((site, c, n, along, off, allow)) = self.landing_site(rng, total) else {
                continue;
            };
            if w.is_land(site) {
                continue;
            }
            let coast = w.coast_m(site, 150.0);
            if !(5.0..=100.0).contains(&coast) || w.dock_m(site) < 1200.0 || !w.in_area(site) {
                continue;
            }
            if !w.sea_ok(off, 250.0, 150.0, allow)
                || !w.fence_clear(site, 150.0, Party::Vessel, allow)
                || !w.sea_path_ok(&[off, site], 5.0, 150.0, allow)
            {
                continue;
            }
            let dur = rng.range(15.0, 24.0).round() * MIN;
            let t0 = Self::pick_time(rng, self.start + 45.0 * MIN, self.end - dur - 40.0 * MIN)?;
            if !self.spaced(site, t0 - 3600.0, t0 + dur + 3600.0) {
                continue;
            }
            let Some(&(li, si, qi)) = self.connections(off, 150.0, 150.0, allow, 1).first() else {
                continue;
            };
            let v = rng.range(6.0, 9.0) * MPS_PER_KN;
            let slow = 4.0 * MPS_PER_KN;
            let t_lane = t0 - dist(off, site) / slow - dist(qi, off) / v;
            if t_lane < self.start + 300.0 {
                continue;
            }
            let mut b = self.lane_until(rng, li, si, t_lane, v);
            b.go(&[off], v, Mode::UnderWay, f64::INFINITY);
            b.go(&[site], slow, Mode::UnderWay, f64::INFINITY);
            b.stay(t0 + dur - b.t, Mode::Stopped, f64::INFINITY);
            b.go(&[off], 5.0 * MPS_PER_KN, Mode::UnderWay, self.end);
            b.go(&[qi], v, Mode::UnderWay, self.end);
            self.lane_on(rng, &mut b, li, si, v);
            let category = if rng.chance(0.5) {
                ShipCategory::Pleasure
            } else {
                ShipCategory::Fishing
            };
            let spec = self.spec(rng, category, true);
            let note = format!(
                "{} stops {:.0} m off an unregistered shore for {:.0} min, {:.1} km from the nearest registered dock",
                spec.name,
                coast,
                dur / MIN,
                w.dock_m(site) / 1000.0
            );
            let incident = self.incident(
                AlertKind::UnregisteredLanding,
                spec.mmsi.to_string(),
                (t0, t0 + dur),
                site,
                note.clone(),
            );
            self.add_truth(incident);
            // a villager calls it in
            let t_tip = t0 + rng.range(4.0, 12.0).round() * MIN;
            let tip_at = add(
                add(c, scale(n, -rng.range(50.0, 300.0))),
                scale(unit_of(along), rng.range(-150.0, 150.0)),
            );
            let text = [
                "A boat is unloading boxes on the beach, a van is waiting",
                "Men carrying drums from a small boat to the road",
                "Unlit boat landed at the shore, people unloading",
            ][rng.below(3)]
            .to_owned();
            let mut tip = self.incident(
                AlertKind::Tip,
                "tip".into(),
                (t_tip, t_tip),
                tip_at,
                format!("tip: {text}"),
            );
            tip.subject_type = SubjectType::Area;
            self.add_truth(tip);
            self.tips.push(SimTip {
                t: t_tip,
                at: tip_at,
                text,
            });
            self.sites.push((site, t0 - 1800.0, t0 + dur + 1800.0));
            self.vessels.push(SimVessel {
                spec,
                track: b.track,
                planted: Some(note),
            });
            return Some(());
        }
        None
    }

    fn plant_fence_entry(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        let fences: Vec<usize> = (0..w.fence_info.len())
            .filter(|&i| {
                let f = &w.fence_info[i];
                f.for_vessels
                    && matches!(f.shape, FenceShape::Area | FenceShape::Circle)
                    && (w.fence_detects(f.id, Detect::Enter)
                        || w.fence_detects(f.id, Detect::Dwell))
            })
            .collect();
        for _ in 0..300 {
            let info = &w.fence_info[*rng.pick(&fences)?];
            let fence = w.fences.get(info.id)?;
            let categories: Vec<ShipCategory> = CATEGORIES
                .iter()
                .copied()
                .filter(|&c| c != ShipCategory::Other && fence.applies_to(ObjectKind::Vessel(c)))
                .collect();
            let Some(&category) = rng.pick(&categories) else {
                continue;
            };
            let r = rng.range(80.0, 180.0);
            let centre = [
                rng.range(info.min[0], info.max[0]),
                rng.range(info.min[1], info.max[1]),
            ];
            if w.fence_depth_m(info.id, centre) < info.buffer_m + r + 60.0
                || !w.sea_ok(centre, r + 80.0, 150.0 + r, Some(info.id))
            {
                continue;
            }
            let rule = fence.rule();
            let stay = if rule.detect.contains(&Detect::Dwell) {
                rule.dwell_min * MIN + rng.range(6.0, 10.0).round() * MIN
            } else {
                rng.range(10.0, 18.0).round() * MIN
            };
            let mut t0 = None;
            for _ in 0..100 {
                let t =
                    Self::pick_time(rng, self.start + 45.0 * MIN, self.end - stay - 40.0 * MIN)?;
                let ok = rule.active_hours.is_none_or(|h| {
                    w.within_hours(t - 20.0 * MIN, t + stay + 10.0 * MIN, h.start, h.end)
                });
                if ok {
                    t0 = Some(t);
                    break;
                }
            }
            let Some(t0) = t0 else {
                continue;
            };
            let kn = rng.range(3.5, 5.0);
            let omega = kn * MPS_PER_KN / r * rng.sign();
            let phase = rng.range(0.0, std::f64::consts::TAU);
            let entry = add(centre, [r * phase.cos(), r * phase.sin()]);
            let last = phase + omega * stay;
            let exit = add(centre, [r * last.cos(), r * last.sin()]);
            let (Some(&(li, si, qi)), Some(&(lo, so, qo))) = (
                self.connections(entry, 150.0, 150.0, Some(info.id), 1)
                    .first(),
                self.connections(exit, 150.0, 150.0, Some(info.id), 1)
                    .first(),
            ) else {
                continue;
            };
            let v = rng.range(6.0, 9.0) * MPS_PER_KN;
            let t_lane = t0 - dist(qi, entry) / v;
            if t_lane < self.start + 300.0 {
                continue;
            }
            let mut b = self.lane_until(rng, li, si, t_lane, v);
            b.go(&[entry], v, Mode::UnderWay, f64::INFINITY);
            b.circle(centre, omega, t0 + stay - b.t, Mode::UnderWay);
            b.go(&[qo], v, Mode::UnderWay, self.end);
            self.lane_on(rng, &mut b, lo, so, v);
            let spec = self.spec(rng, category, false);
            let note = format!(
                "{} enters {} (fence {}) and circles inside for {:.0} min",
                spec.name,
                info.name,
                info.id,
                stay / MIN
            );
            self.vessels.push(SimVessel {
                spec,
                track: b.track,
                planted: Some(note),
            });
            return Some(());
        }
        None
    }

    fn plant_gap(&mut self, rng: &mut Rng) -> Option<()> {
        let w = self.world;
        let lanes = self.sea_lanes();
        for _ in 0..400 {
            let (li, line, s) = lane_spot(w, &lanes, rng)?;
            let q = line.at(s);
            if !w.in_area(q) || w.dock_m(q) < 2000.0 {
                continue;
            }
            let gap = rng.range(45.0, 90.0).round() * MIN;
            let v = rng.range(6.0, 11.0) * MPS_PER_KN;
            let t0 = Self::pick_time(rng, self.start + 40.0 * MIN, self.end - gap - 30.0 * MIN)?;
            let mut b = self.lane_until(rng, li, s, t0, v);
            self.lane_on(rng, &mut b, li, s, v);
            b.silence(t0, t0 + gap);
            let (Some(a), Some(z)) = (b.track.state_at(t0), b.track.state_at(t0 + gap)) else {
                continue;
            };
            let chord_clear = super::geom::samples(a.at, z.at, 15.0)
                .all(|p| w.fence_clear(p, 100.0, Party::Vessel, None));
            if !chord_clear {
                continue;
            }
            let category = if rng.chance(0.5) {
                ShipCategory::Fishing
            } else {
                ShipCategory::Cargo
            };
            let spec = self.spec(rng, category, false);
            let note = format!(
                "{} switches its AIS off for {:.0} min under way, {:.1} km from the nearest registered dock",
                spec.name,
                gap / MIN,
                w.dock_m(q) / 1000.0
            );
            let incident = self.incident(
                AlertKind::AisGap,
                spec.mmsi.to_string(),
                (t0, t0 + gap),
                q,
                note.clone(),
            );
            self.add_truth(incident);
            self.vessels.push(SimVessel {
                spec,
                track: b.track,
                planted: Some(note),
            });
            return Some(());
        }
        None
    }

    fn plant_identity(&mut self, rng: &mut Rng, k: usize) -> Option<()> {
        let w = self.world;
        let lanes = self.sea_lanes();
        let (li, line, s) = lane_spot(w, &lanes, rng)?;
        let hi = (self.start + 0.6 * (self.end - self.start)).min(self.end - 50.0 * MIN);
        let t_a = Self::pick_time(rng, self.start + 10.0 * MIN, hi)?;
        let v = rng.range(6.0, 11.0) * MPS_PER_KN;
        let mut b = Builder::new(t_a, line.at(s), line.bearing_at(s));
        self.lane_on(rng, &mut b, li, s, v);
        let (mut spec, window, what) = match k % 3 {
            0 => {
                let problem = if rng.chance(0.5) {
                    IdentityFlag::MmsiFormat
                } else {
                    IdentityFlag::UnknownMid
                };
                let class_b = rng.chance(0.5);
                let mut spec = self.spec(rng, ShipCategory::Fishing, class_b);
                self.mmsis.remove(&spec.mmsi);
                spec.mmsi = self.bad_mmsi(rng, problem);
                let what = format!("has MMSI {} ({problem})", spec.mmsi);
                (spec, (t_a, t_a + 5.0 * MIN), what)
            }
            1 => {
                let mut spec = self.spec(rng, ShipCategory::Cargo, false);
                spec.sends_static = false;
                let window = (t_a + 30.0 * MIN, t_a + 35.0 * MIN);
                (spec, window, "never sends a static report".to_owned())
            }
            _ => {
                let mut spec = self.spec(rng, ShipCategory::Cargo, false);
                let what = if rng.chance(0.5) {
                    let good = spec.imo;
                    spec.imo = good - good % 10 + (good % 10 + 1 + rng.below(8) as u32) % 10;
                    debug_assert!(!imo_valid(spec.imo));
                    format!("IMO {} fails its check digit", spec.imo)
                } else {
                    spec.name = String::new();
                    "sends an empty name".to_owned()
                };
                (spec, (t_a, t_a + 5.0 * MIN), what)
            }
        };
        if spec.name.is_empty() {
            spec.callsign = format!("BZ{:03}", self.serial % 1000);
        }
        let note = format!("vessel {} {what}; it appears at sea", spec.mmsi);
        let at = line.at(s);
        let incident = self.incident(
            AlertKind::IdentityAnomaly,
            spec.mmsi.to_string(),
            window,
            at,
            note.clone(),
        );
        self.add_truth(incident);
        self.vessels.push(SimVessel {
            spec,
            track: b.track,
            planted: Some(note),
        });
        Some(())
    }

    /// Plain traffic on the lanes, to make up the vessel count.
    fn background_vessels(&mut self, rng: &mut Rng) {
        let n = self.config.vessels.saturating_sub(self.vessels.len());
        for i in 0..n {
            let roll = rng.unit();
            let (category, class_b, kinds, speed, moor): (
                ShipCategory,
                bool,
                &[LaneKind],
                (f64, f64),
                bool,
            ) = if roll < 0.35 {
                (
                    ShipCategory::Fishing,
                    rng.chance(0.4),
                    &[LaneKind::Fishing],
                    (4.0, 8.0),
                    false,
                )
            } else if roll < 0.60 {
                (
                    ShipCategory::Cargo,
                    false,
                    &[LaneKind::Transit, LaneKind::Approach],
                    (8.0, 14.0),
                    true,
                )
            } else if roll < 0.75 {
                (
                    ShipCategory::Tanker,
                    false,
                    &[LaneKind::Transit, LaneKind::Approach],
                    (8.0, 13.0),
                    true,
                )
            } else {
                let c = [
                    ShipCategory::Pleasure,
                    ShipCategory::Tug,
                    ShipCategory::Passenger,
                ][rng.below(3)];
                (
                    c,
                    true,
                    &[
                        LaneKind::Transit,
                        LaneKind::Approach,
                        LaneKind::Fishing,
                        LaneKind::Anchorage,
                        LaneKind::Other,
                    ],
                    (6.0, 14.0),
                    false,
                )
            };
            let lanes = self.lanes_of(kinds);
            let Some(&li) = rng.pick(&lanes) else {
                self.note("no lane for background traffic".into());
                return;
            };
            let spec = self.spec(rng, category, class_b);
            let speed = rng.range(speed.0, speed.1) * MPS_PER_KN;
            let track = self.lane_life(&mut rng.fork(i as u64), li, speed, moor);
            self.vessels.push(SimVessel {
                spec,
                track,
                planted: None,
            });
        }
    }

    /// A background vessel's day on lane `li`: back and forth at `speed`, mooring at a
    /// registered dock at the lane's end when `moor` (AIS off for the last half hour in
    /// berth, so that its slow berth time does not count as loitering when it sails).
    fn lane_life(&self, rng: &mut Rng, li: usize, speed: f64, moor: bool) -> Track {
        let lane = &self.world.lanes[li];
        let line = &lane.line;
        let mut s = rng.range(0.0, line.len());
        let mut dir = rng.sign();
        let course = if dir > 0.0 {
            line.bearing_at(s)
        } else {
            (line.bearing_at(s) + 180.0) % 360.0
        };
        let mut b = Builder::new(self.start, line.at(s), course);
        let mut guard = 0;
        while b.t < self.end - 1.0 && guard < 10_000 {
            guard += 1;
            let target = if dir > 0.0 { line.len() } else { 0.0 };
            let pts = line.slice(s, target);
            b.go(&pts[1..], speed, Mode::UnderWay, self.end);
            if b.t >= self.end - 1.0 {
                break;
            }
            s = target;
            if line.is_loop() {
                // round the loop again
                s = line.len() - target;
                continue;
            }
            let berth = lane
                .mooring
                .filter(|m| moor && m.registered && m.at_end == (dir > 0.0));
            if let Some(m) = berth {
                let end_point = line.at(s);
                b.go(&[m.point], 4.0 * MPS_PER_KN, Mode::UnderWay, self.end);
                let total = rng.range(45.0, 120.0).round() * MIN;
                let quiet = rng.range(32.0, 40.0).round() * MIN;
                let t_in = b.t;
                b.stay(total, Mode::Moored, self.end);
                b.silence(t_in + total - quiet, t_in + total);
                b.go(&[end_point], 4.0 * MPS_PER_KN, Mode::UnderWay, self.end);
            }
            dir = -dir;
        }
        b.track
    }

    /// Samples every plan, adds noise, encodes, derives the fence and vehicle truth and
    /// sorts everything into the scenario.
    fn finish(mut self, rng: &mut Rng, district: &District) -> Scenario {
        let w = self.world;
        let mut events: Vec<(f64, u8, u64, SimEvent)> = Vec::new();
        let mut seq = 0u64;
        let mut push = |events: &mut Vec<(f64, u8, u64, SimEvent)>, e: SimEvent| {
            seq += 1;
            events.push((e.t(), e.rank(), seq, e));
        };
        let mut writer = Writer::default();
        let mut fence_incidents = Vec::new();
        for (vi, vessel) in self.vessels.iter().enumerate() {
            let mut vr = rng.fork(vi as u64);
            let spec = &vessel.spec;
            let class_b = spec.class_b;
            let mut fixes = sample(&vessel.track, &mut vr, |state, r| {
                interval_vessel(class_b, state, r)
            });
            fixes.retain(|f| f.t >= self.start && f.t <= self.end);
            let Some(first) = fixes.first() else {
                continue;
            };
            let last_t = fixes.last().map_or(first.t, |f| f.t);
            // static reports: 3 s after the first position, then every 6 min
            let mut statics = Vec::new();
            if spec.sends_static {
                let mut t = first.t + 3.0;
                while t <= last_t {
                    if !vessel.track.silences.iter().any(|(a, b)| t > *a && t < *b) {
                        statics.push(t);
                    }
                    t += 360.0;
                }
            }
            let category_from = statics.first().copied();
            let mut obs = Vec::with_capacity(fixes.len());
            let mut heading_moored = first.state.course;
            for fix in &fixes {
                let st = fix.state;
                let sigma = match st.mode {
                    Mode::UnderWay => 4.0,
                    Mode::Moored => 1.5,
                    _ => 2.0,
                };
                let at = add(st.at, [vr.normal() * sigma, vr.normal() * sigma]);
                let [lon, lat] = w.lonlat(at);
                let (lon, lat) = (ais_deg(lon), ais_deg(lat));
                let kn = st.speed / MPS_PER_KN;
                let (sog, cog, heading, status) = match st.mode {
                    Mode::Moored => {
                        let sog = if vr.chance(0.8) { 0.0 } else { 0.1 };
                        (
                            sog,
                            (heading_moored + vr.range(-20.0, 20.0)).rem_euclid(360.0),
                            heading_moored,
                            5,
                        )
                    }
                    Mode::Stopped => (
                        (vr.range(0.0, 0.2) * 10.0).round() / 10.0,
                        vr.range(0.0, 360.0),
                        st.course,
                        15,
                    ),
                    Mode::Slow => (
                        ((kn + vr.range(-0.15, 0.15)).max(0.1) * 10.0).round() / 10.0,
                        (st.course + vr.range(-8.0, 8.0)).rem_euclid(360.0),
                        (st.course + vr.range(-10.0, 10.0)).rem_euclid(360.0),
                        if class_b { 15 } else { 0 },
                    ),
                    _ => {
                        heading_moored = st.course;
                        (
                            ((kn + vr.range(-0.3, 0.3)).max(0.0) * 10.0).round() / 10.0,
                            (st.course + vr.range(-2.0, 2.0)).rem_euclid(360.0),
                            (st.course + vr.range(-3.0, 3.0)).rem_euclid(360.0),
                            0,
                        )
                    }
                };
                let msg_type = match vr.below(50) {
                    0 => 2,
                    1..=4 => 3,
                    _ => 1,
                };
                let report = Report {
                    t: fix.t,
                    lon,
                    lat,
                    sog_kn: sog,
                    cog_deg: (cog * 10.0).round() / 10.0 % 360.0,
                    heading_deg: Some(heading.round() % 360.0),
                    nav_status: status,
                    msg_type,
                };
                for line in writer.position(spec, &report) {
                    push(&mut events, SimEvent::Nmea { t: fix.t, line });
                }
                let category = if category_from.is_some_and(|c| c <= fix.t) {
                    ShipCategory::from_ais_type(spec.ship_type)
                } else {
                    ShipCategory::Other
                };
                obs.push(VesselObs {
                    t: fix.t,
                    lonlat: [lon, lat],
                    kind: ObjectKind::Vessel(category),
                });
            }
            for t in statics {
                for line in writer.statics(spec, t) {
                    push(&mut events, SimEvent::Nmea { t, line });
                }
            }
            let planted = vessel.planted.as_deref();
            fence_truth(
                w,
                SubjectType::Vessel,
                &spec.mmsi.to_string(),
                &obs,
                planted,
                &mut fence_incidents,
            );
        }

        let mut truck_notes = Vec::new();
        let truck_truth =
            super::trucks::emit(&self, rng, &mut |e| push(&mut events, e), &mut truck_notes);
        self.notes.extend(truck_notes);
        for tip in &self.tips {
            let [lon, lat] = w.lonlat(tip.at);
            push(
                &mut events,
                SimEvent::Tip {
                    t: tip.t,
                    lon: round7(lon),
                    lat: round7(lat),
                    text: tip.text.clone(),
                },
            );
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let vehicles = super::trucks::features(&self);

        let mut truth = std::mem::take(&mut self.truth);
        truth.extend(fence_incidents);
        truth.extend(truck_truth);
        for incident in &mut truth {
            incident.location = [round7(incident.location[0]), round7(incident.location[1])];
        }
        truth.sort_by(|a, b| {
            a.start
                .total_cmp(&b.start)
                .then(a.kind.cmp(&b.kind))
                .then(a.subject_id.cmp(&b.subject_id))
        });
        Scenario {
            seed: self.config.seed,
            start: self.start,
            end: self.end,
            events: events.into_iter().map(|(_, _, _, e)| e).collect(),
            truth,
            vehicles,
            geography: coastwatch_core::alerting::monitor::Geography {
                risk_points: district.risk_points.clone(),
                coastline: district.coastline.clone(),
                areas: district.areas.clone(),
                geofences: district.geofences.clone(),
            },
            notes: self.notes,
        }
    }
}

/// Seconds until a vessel's next report: class A every 10 s above 14 kn, 15 s under way,
/// 20 s when slow, 3 min moored; class B every 30 s, 3 min moored; a little jitter.
fn interval_vessel(class_b: bool, state: &super::plan::State, rng: &mut Rng) -> f64 {
    let base = match (state.mode, class_b) {
        (Mode::Moored, _) => 180.0,
        (_, true) => 30.0,
        (Mode::UnderWay, false) if state.speed / MPS_PER_KN > 14.0 => 10.0,
        (Mode::UnderWay, false) => 15.0,
        _ => 20.0,
    };
    base + rng.int(0, 3) as f64
}

/// A coordinate to 7 decimals (about 1 cm), as the files write it.
pub(crate) fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// A random IMO number with a valid check digit.
fn valid_imo(rng: &mut Rng) -> u32 {
    let body = rng.int(830_000, 999_999) as u32;
    let mut rest = body;
    let mut sum = 0;
    for weight in 2..=7 {
        sum += (rest % 10) * weight;
        rest /= 10;
    }
    body * 10 + sum % 10
}

/// A random spot on one of `lanes`: the lane's index, its line and the distance along it.
fn lane_spot<'w>(
    world: &'w World,
    lanes: &[usize],
    rng: &mut Rng,
) -> Option<(usize, &'w Polyline, f64)> {
    let li = *rng.pick(lanes)?;
    let line = &world.lanes[li].line;
    let s = rng.range(0.0, line.len());
    Some((li, line, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imo_numbers_are_valid() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            assert!(imo_valid(valid_imo(&mut rng)));
        }
    }
}
