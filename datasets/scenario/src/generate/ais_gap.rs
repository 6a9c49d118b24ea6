//! Planted AIS gaps: a vessel switching its AIS off under way.

use super::{Gen, MIN, SimVessel, lane_spot};
use crate::world::Party;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{AlertKind, ShipCategory};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    pub(super) fn plant_gap(&mut self, rng: &mut Rng) -> Option<()> {
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
            let chord_clear = crate::geom::samples(a.at, z.at, 15.0)
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
}
