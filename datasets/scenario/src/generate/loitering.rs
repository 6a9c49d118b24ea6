//! Planted loitering: a vessel circling slowly far from any registered dock.

use super::{Gen, MIN, SimVessel, lane_spot};
use crate::geom::{add, dist, scale, unit_of};
use crate::plan::Mode;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{AlertKind, ShipCategory};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    pub(super) fn plant_loitering(&mut self, rng: &mut Rng) -> Option<()> {
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
}
