//! Planted identity anomalies: a bad MMSI, no static report, a bad IMO or an empty name.

use super::{Gen, MIN, SimVessel, lane_spot};
use crate::plan::Builder;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::identity::{IdentityFlag, imo_valid};
use coastwatch_core::model::{AlertKind, ShipCategory};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    pub(super) fn plant_identity(&mut self, rng: &mut Rng, k: usize) -> Option<()> {
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
}
