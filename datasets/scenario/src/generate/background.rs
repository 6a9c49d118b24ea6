//! Background traffic: plain vessels back and forth on the lanes.

use super::{Gen, MIN, SimVessel};
use crate::plan::{Builder, Mode, Track};
use crate::world::LaneKind;
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::ShipCategory;
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    /// Plain traffic on the lanes, to make up the vessel count.
    pub(super) fn background_vessels(&mut self, rng: &mut Rng) {
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
}
