//! Planted encounters: two vessels drifting together at sea.

use super::{Gen, MIN, SimVessel, lane_spot};
use crate::geom::{add, dist, heading_of, scale, unit_of};
use crate::plan::Mode;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{AlertKind, ShipCategory};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    pub(super) fn plant_encounter(&mut self, rng: &mut Rng) -> Option<()> {
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
}
