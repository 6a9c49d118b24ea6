//! Planted unregistered landings: a vessel stopping off the shore, and the tip that
//! reports it.

use super::{Gen, MIN, SimTip, SimVessel};
use crate::geom::{Xy, add, dist, scale, unit_of};
use crate::plan::Mode;
use crate::world::Party;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{AlertKind, FeatureId, ShipCategory, SubjectType};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
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

    pub(super) fn plant_landing(&mut self, rng: &mut Rng) -> Option<()> {
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
}
