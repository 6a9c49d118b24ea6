//! The generator: background traffic, planted vessel incidents, and the emission of events.

mod ais_gap;
mod background;
mod checkpoint;
mod dark;
mod encounter;
mod fence_entry;
mod finish;
mod identity;
mod landing;
mod loitering;
mod reading;

use std::collections::{BTreeSet, HashMap};

use crate::error::{Result, ScenarioError};
use crate::geom::{Polyline, Xy, bearing, dist};
use crate::nmea::VesselSpec;
use crate::plan::{Builder, Mode, Track};
use crate::trucks::TruckSim;
use crate::world::{LaneKind, World, ship_type_of};
use crate::{District, Incident, Scenario, ScenarioConfig};
use coastwatch_core::identity::{IdentityFlag, mmsi_problem};
use coastwatch_core::model::{AlertKind, FeatureId, ShipCategory, SubjectType};
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
    /// What a vessel's hull shows where it is not its AIS name (`None`: nothing).
    hulls: HashMap<u32, Option<String>>,
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
        hulls: HashMap::new(),
    };
    let root = Rng::new(config.seed);
    g.plant_vessels(&root);
    g.background_vessels(&mut root.fork(2));
    g.plan_trucks(&root);
    let scene = g.film(district, config, &mut root.fork(18));
    Ok(g.finish(&mut root.fork(9), district, scene))
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
            terminal: None,
            camera_id: None,
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
    use coastwatch_core::identity::imo_valid;

    #[test]
    fn imo_numbers_are_valid() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            assert!(imo_valid(valid_imo(&mut rng)));
        }
    }
}
