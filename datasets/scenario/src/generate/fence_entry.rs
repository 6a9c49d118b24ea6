//! Planted geofence entries: a vessel entering a fence and circling inside.

use super::{Gen, MIN, SimVessel};
use crate::geom::{add, dist};
use crate::plan::Mode;
use crate::world::CATEGORIES;
use coastwatch_core::alerting::fences::FenceShape;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{Detect, ObjectKind, ShipCategory};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    pub(super) fn plant_fence_entry(&mut self, rng: &mut Rng) -> Option<()> {
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
}
