//! `encounter`: two vessels within `encounter_distance_m` of each other for
//! `encounter_min`, both slower than `encounter_max_kn` and both `encounter_dock_m` or more
//! from every registered dock.
//!
//! The latest positions of eligible vessels (slow, away from docks) are kept in an R*-tree.
//! Each eligible fix looks for neighbours whose latest fix is recent (within
//! [`FRESH_S`]) and close; each such pair's closeness is tracked from its first
//! observation. A fix that no longer finds a partner (separated, fast, near a dock, or the
//! partner's fix grew stale) ends the pair. One episode per pair: the subject is the lower
//! MMSI and the scope the other one.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::{Map, Value};

use super::{Env, Episode, MPS_PER_KN, Open, Who, evidence, num};
use crate::alerting::context::envelope_around;
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::geodesy;
use crate::model::AlertKind;

/// A neighbour's latest fix counts as "now" when at most this old (s); a pair not seen
/// together for longer has broken off.
const FRESH_S: f64 = 600.0;

/// Vessel names by MMSI, for the events.
type Names<'n> = dyn Fn(u32) -> Option<&'n str> + 'n;

/// Slow vessels' latest positions and the pairs they form.
#[derive(Debug, Default)]
pub(super) struct Encounters {
    index: RTree<GeomWithData<[f64; 2], u32>>,
    latest: HashMap<u32, Latest>,
    pairs: HashMap<(u32, u32), Pair>,
    partners: HashMap<u32, Vec<u32>>,
}

/// An eligible vessel's latest fix, as held in the index.
#[derive(Debug, Clone, Copy)]
struct Latest {
    at: [f64; 2],
    t: f64,
}

/// Two vessels seen close together without a break.
#[derive(Debug, Clone, Copy)]
struct Pair {
    /// First and latest time they were seen close.
    start: f64,
    last: f64,
    distance_m: f64,
    min_distance_m: f64,
    /// Midway between them at the latest observation.
    location: [f64; 2],
    open: Option<Open>,
}

/// A neighbour found close to a fix.
#[derive(Debug, Clone, Copy)]
struct Near {
    other: u32,
    distance_m: f64,
    midpoint: [f64; 2],
}

impl Encounters {
    /// Takes in `fix` of vessel `mmsi` (its speed filled in).
    pub(super) fn observe<'n>(
        &mut self,
        env: Env,
        mmsi: u32,
        fix: &Sample,
        names: &Names<'n>,
        out: &mut Vec<AlertEvent>,
    ) {
        let config = env.config;
        self.unindex(mmsi);
        let eligible = fix
            .speed_mps
            .is_some_and(|v| v < config.encounter_max_kn * MPS_PER_KN)
            && env
                .ctx
                .docks()
                .nearest_m(fix.lon, fix.lat, config.encounter_dock_m)
                .is_none();
        let near = if eligible {
            let near = self.neighbours(env, mmsi, fix);
            self.index.insert(GeomWithData::new(fix.lonlat(), mmsi));
            self.latest.insert(
                mmsi,
                Latest {
                    at: fix.lonlat(),
                    t: fix.t,
                },
            );
            near
        } else {
            Vec::new()
        };

        let ended: Vec<u32> = self
            .partners
            .get(&mmsi)
            .into_iter()
            .flatten()
            .copied()
            .filter(|other| !near.iter().any(|n| n.other == *other))
            .collect();
        for other in ended {
            self.end(env, pair_key(mmsi, other), fix.t, names, out);
        }
        for near in near {
            self.confirm(env, mmsi, near, fix.t, names, out);
        }
    }

    /// Ends the pairs not seen together for [`FRESH_S`] at data time `now` (both vessels
    /// fell silent) and forgets stale positions.
    pub(super) fn sweep<'n>(
        &mut self,
        env: Env,
        now: f64,
        names: &Names<'n>,
        out: &mut Vec<AlertEvent>,
    ) {
        let stale: Vec<u32> = self
            .latest
            .iter()
            .filter(|(_, latest)| now - latest.t > FRESH_S)
            .map(|(mmsi, _)| *mmsi)
            .collect();
        for mmsi in stale {
            self.unindex(mmsi);
        }
        let mut ended: Vec<(u32, u32)> = self
            .pairs
            .iter()
            .filter(|(_, pair)| now - pair.last > FRESH_S)
            .map(|(key, _)| *key)
            .collect();
        ended.sort_unstable();
        for key in ended {
            self.end(env, key, now, names, out);
        }
    }

    fn unindex(&mut self, mmsi: u32) {
        if let Some(old) = self.latest.remove(&mmsi) {
            self.index.remove(&GeomWithData::new(old.at, mmsi));
        }
    }

    /// Eligible vessels with a recent fix within `encounter_distance_m` of `fix`.
    fn neighbours(&self, env: Env, mmsi: u32, fix: &Sample) -> Vec<Near> {
        let max_m = env.config.encounter_distance_m;
        let at = fix.lonlat();
        self.index
            .locate_in_envelope(&envelope_around(at, max_m))
            .filter(|e| e.data != mmsi)
            .filter_map(|e| {
                let other = self.latest.get(&e.data)?;
                if (fix.t - other.t).abs() > FRESH_S {
                    return None;
                }
                let distance_m = geodesy::distance_m(at, other.at);
                (distance_m <= max_m).then(|| Near {
                    other: e.data,
                    distance_m,
                    midpoint: [(at[0] + other.at[0]) / 2.0, (at[1] + other.at[1]) / 2.0],
                })
            })
            .collect()
    }

    /// Records that `mmsi` and `near.other` were close at `t`; opens or updates the pair's
    /// episode.
    fn confirm<'n>(
        &mut self,
        env: Env,
        mmsi: u32,
        near: Near,
        t: f64,
        names: &Names<'n>,
        out: &mut Vec<AlertEvent>,
    ) {
        let key = pair_key(mmsi, near.other);
        if self.pairs.get(&key).is_some_and(|p| t - p.last > FRESH_S) {
            self.end(env, key, t, names, out);
        }
        let pair = match self.pairs.entry(key) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                self.partners.entry(key.0).or_default().push(key.1);
                self.partners.entry(key.1).or_default().push(key.0);
                entry.insert(Pair {
                    start: t,
                    last: t,
                    distance_m: near.distance_m,
                    min_distance_m: near.distance_m,
                    location: near.midpoint,
                    open: None,
                })
            }
        };
        pair.last = t;
        pair.distance_m = near.distance_m;
        pair.min_distance_m = pair.min_distance_m.min(near.distance_m);
        pair.location = near.midpoint;

        let episode = episode(env, key, names);
        match &mut pair.open {
            None if t - pair.start >= env.config.encounter_min * 60.0 => {
                pair.open = Some(Open::new(pair.start, t));
                let facts = facts(key, pair);
                out.push(episode.event(env.ctx, Phase::Open, pair.start, pair.location, facts));
            }
            Some(open) if open.update_due(t, env.config) => {
                open.last_event = t;
                let facts = facts(key, pair);
                out.push(episode.event(env.ctx, Phase::Update, t, pair.location, facts));
            }
            _ => {}
        }
    }

    /// Forgets pair `key` at `t`, closing its episode if one is open.
    fn end<'n>(
        &mut self,
        env: Env,
        key: (u32, u32),
        t: f64,
        names: &Names<'n>,
        out: &mut Vec<AlertEvent>,
    ) {
        let Some(pair) = self.pairs.remove(&key) else {
            return;
        };
        for (a, b) in [(key.0, key.1), (key.1, key.0)] {
            if let Some(list) = self.partners.get_mut(&a) {
                list.retain(|x| *x != b);
                if list.is_empty() {
                    self.partners.remove(&a);
                }
            }
        }
        if pair.open.is_some() {
            let mut facts = facts(key, &pair);
            facts.insert("end".into(), num(pair.last));
            out.push(episode(env, key, names).event(
                env.ctx,
                Phase::Close,
                t,
                pair.location,
                facts,
            ));
        }
    }
}

/// The key of a pair: the lower MMSI first.
fn pair_key(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

/// The episode of pair `key`: about the lower MMSI, scoped by the other.
fn episode<'a>(env: Env, key: (u32, u32), names: &Names<'a>) -> Episode<'a> {
    Who::vessel(key.0, names(key.0))
        .episode(AlertKind::Encounter, env.config.severity.encounter)
        .scoped(key.1.to_string(), None)
}

fn facts(key: (u32, u32), pair: &Pair) -> Map<String, Value> {
    evidence([
        ("other_mmsi", Value::from(key.1)),
        ("start", num(pair.start)),
        ("duration_s", num(pair.last - pair.start)),
        ("distance_m", num(pair.distance_m)),
        ("min_distance_m", num(pair.min_distance_m)),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::AlertKind;

    const C: u32 = 412_000_003;

    /// `A` at `a` and `B` at `b`, both at `kn`, one fix a minute each (B 10 s after A).
    fn together(run: &mut Run, from: u32, to: u32, a: [f64; 2], b: [f64; 2], kn: f64) {
        for minute in from..=to {
            run.vessel(A, minute as f64, a, kn);
            run.vessel(B, minute as f64 + 1.0 / 6.0, b, kn);
        }
    }

    const A_AT: [f64; 2] = SEA;
    const B_AT: [f64; 2] = [SEA[0] + 300.0, SEA[1]];

    #[test]
    fn thirty_minutes_together_at_sea_is_an_encounter() {
        let mut run = Run::new();
        together(&mut run, 0, 29, A_AT, B_AT, 1.0);
        assert_eq!(run.opens(AlertKind::Encounter), 0, "29 minutes");
        together(&mut run, 30, 60, A_AT, B_AT, 1.0);
        assert_eq!(run.opens(AlertKind::Encounter), 1, "one alert per episode");
        let open = run.last(AlertKind::Encounter, Phase::Open);
        assert_eq!(open.key.subject.id, A.to_string());
        assert_eq!(open.key.scope, B.to_string());
        assert_eq!(
            open.t,
            minutes(1.0 / 6.0),
            "dated by the first sighting together"
        );
        assert_eq!(open.evidence["other_mmsi"], B);
        assert_eq!(open.evidence["duration_s"], 1800.0);
        let d = open.evidence["min_distance_m"].as_f64().unwrap();
        assert!((d - 300.0).abs() < 1.0, "{d}");
        assert!(run.count(AlertKind::Encounter, Phase::Update) >= 1);

        // B leaves at speed
        run.vessel(B, 61.0, B_AT, 8.0);
        let close = run.last(AlertKind::Encounter, Phase::Close);
        assert_eq!(close.t, minutes(61.0));
        assert_eq!(close.key.scope, B.to_string());
        assert_eq!(close.evidence["duration_s"], 3600.0);
        assert!(close.evidence["min_distance_m"].as_f64().unwrap() < 301.0);
        assert_eq!(run.count(AlertKind::Encounter, Phase::Close), 1);
        // later fixes of A alone change nothing
        let before = run.events(AlertKind::Encounter).len();
        run.vessel(A, 62.0, A_AT, 1.0);
        assert_eq!(run.events(AlertKind::Encounter).len(), before);
    }

    #[test]
    fn no_encounter_near_a_dock_fast_or_apart() {
        let mut run = Run::new();
        together(
            &mut run,
            0,
            60,
            NEAR_DOCK,
            [NEAR_DOCK[0] + 200.0, NEAR_DOCK[1]],
            0.5,
        );
        assert!(
            run.events(AlertKind::Encounter).is_empty(),
            "600 m from a registered dock"
        );
        let mut run = Run::new();
        together(&mut run, 0, 60, A_AT, B_AT, 2.5);
        assert!(run.events(AlertKind::Encounter).is_empty(), "2.5 kn");
        let mut run = Run::new();
        together(&mut run, 0, 60, A_AT, [A_AT[0] + 600.0, A_AT[1]], 1.0);
        assert!(run.events(AlertKind::Encounter).is_empty(), "600 m apart");
    }

    #[test]
    fn a_break_restarts_the_pair() {
        let mut run = Run::new();
        together(&mut run, 0, 20, A_AT, B_AT, 1.0);
        // B wanders 1 km off for a fix
        run.vessel(B, 21.0, [B_AT[0] + 1000.0, B_AT[1]], 1.0);
        together(&mut run, 22, 50, A_AT, B_AT, 1.0);
        assert!(
            run.events(AlertKind::Encounter).is_empty(),
            "under 30 minutes since the break"
        );
        together(&mut run, 51, 53, A_AT, B_AT, 1.0);
        assert_eq!(run.opens(AlertKind::Encounter), 1);
    }

    #[test]
    fn silent_pairs_close_on_tick_and_three_vessels_make_pairs() {
        let mut run = Run::new();
        for minute in 0..=40 {
            run.vessel(A, minute as f64, A_AT, 1.0);
            run.vessel(B, minute as f64 + 0.1, B_AT, 1.0);
            run.vessel(C, minute as f64 + 0.2, [SEA[0], SEA[1] + 300.0], 1.0);
        }
        let scopes: Vec<_> = run
            .events(AlertKind::Encounter)
            .iter()
            .filter(|e| e.phase == Phase::Open)
            .map(|e| (e.key.subject.id.clone(), e.key.scope.clone()))
            .collect();
        assert_eq!(scopes.len(), 3, "{scopes:?}");
        assert!(scopes.contains(&(A.to_string(), C.to_string())));
        assert!(scopes.contains(&(B.to_string(), C.to_string())));
        run.tick(45.0);
        assert_eq!(
            run.count(AlertKind::Encounter, Phase::Close),
            0,
            "5 minutes of silence"
        );
        run.tick(51.0);
        assert_eq!(run.count(AlertKind::Encounter, Phase::Close), 3);
    }
}
