//! The emission: every plan sampled, noised and encoded into the scenario's events and
//! truth.

use super::{Gen, round7};
use crate::geom::add;
use crate::nmea::{Report, Writer, ais_deg};
use crate::plan::{Mode, sample};
use crate::truth::{VesselObs, fence_truth};
use crate::{District, Scenario, SimEvent};
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::{ObjectKind, ShipCategory, SubjectType};
use coastwatch_core::rng::Rng;

impl Gen<'_> {
    /// Samples every plan, adds noise, encodes, derives the fence and vehicle truth and
    /// sorts everything into the scenario.
    pub(super) fn finish(
        mut self,
        rng: &mut Rng,
        district: &District,
        cameras: crate::cameras::CameraScene,
    ) -> Scenario {
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
            crate::trucks::emit(&self, rng, &mut |e| push(&mut events, e), &mut truck_notes);
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
        let vehicles = crate::trucks::features(&self);

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
            cameras,
        }
    }
}

/// Seconds until a vessel's next report: class A every 10 s above 14 kn, 15 s under way,
/// 20 s when slow, 3 min moored; class B every 30 s, 3 min moored; a little jitter.
fn interval_vessel(class_b: bool, state: &crate::plan::State, rng: &mut Rng) -> f64 {
    let base = match (state.mode, class_b) {
        (Mode::Moored, _) => 180.0,
        (_, true) => 30.0,
        (Mode::UnderWay, false) if state.speed / MPS_PER_KN > 14.0 => 10.0,
        (Mode::UnderWay, false) => 15.0,
        _ => 20.0,
    };
    base + rng.int(0, 3) as f64
}
