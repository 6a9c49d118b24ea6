//! The per-object fence state machine: debounce, hysteresis, episodes.

use std::collections::HashMap;

use rstar::AABB;
use serde_json::{Map, Value, json};

use super::shape::Zone;
use super::{Fence, FenceSet};
use crate::alerting::{AlertEvent, EpisodeKey, LocalClock, Phase, Sample, SubjectKey};
use crate::model::{AlertKind, Detect, FeatureId, ObjectKind};

/// Data seconds between two `Update`s of an open dwell episode.
pub const DWELL_UPDATE_S: f64 = 60.0;

/// Turns the fixes of moving objects into fence alert events.
///
/// One tracker holds the state of a set of objects (shard objects by id to use several
/// threads, one tracker per shard, all sharing one [`FenceSet`]). For every (object, fence)
/// pair it keeps a confirmed side and a pending run of fixes on the other side:
///
/// - a fix counts as inside when it is more than the rule's `debounce.buffer_m` inside the
///   border, as outside when more than `buffer_m` outside; in between it counts for the side
///   already confirmed (hysteresis). Before the first fix every object is outside, so an
///   object first seen inside enters once debounced;
/// - the confirmed side changes after `debounce.fixes` consecutive fixes on the new side;
///   the change is dated and placed at the first fix of that run;
/// - `enter`: an episode opens at the confirmed entry and closes at the confirmed exit;
/// - `exit`: an episode opens at the confirmed exit and closes at once (one alert per exit);
/// - `dwell`: an episode opens on the first fix (during active hours) on which the
///   confirmed stay has lasted `dwell_min`; later fixes inside update it with the growing
///   `inside_s` (at most every [`DWELL_UPDATE_S`] seconds of data time); it closes at exit;
/// - `cross` (and `enter`, for which a crossing counts as an entry): when two consecutive
///   fixes both count as outside but the straight path between them goes through the fence
///   deeper than `buffer_m`, a `geofence_enter` episode with evidence `detect: "cross"` is
///   opened and closed at once. It is placed at a point of the path inside the fence (for
///   areas the middle of the longest inside stretch, for circles and corridors the point of
///   the path closest to the centre or centre line) and dated by interpolating between the
///   two fixes;
/// - active hours: state is always tracked, but an `Open` is only raised when its own time
///   (entry, exit, crossing, or the fix that sees the dwell) falls within the rule's active
///   hours. An object that entered before the window opens raises no enter when it opens;
///   its dwell may fire on the first fix inside the window. `Update`s and `Close`s follow
///   their open episode whatever the hour.
///
/// Fixes not newer than the object's last fix are ignored. Fences only apply to objects
/// whose kind matches the rule's classes when the object comes inside (a pair already
/// tracked is followed to its end).
///
/// Memory: per object the last fix (time and place, for the out-of-order rule and for
/// crossings); per (object, fence) pair a small record only while the object is inside,
/// on a pending run or has an open episode. [`FenceTracker::forget_before`] drops objects
/// that have been silent and outside every fence.
#[derive(Debug)]
pub struct FenceTracker {
    clock: MinuteClock,
    /// The set the pairs' fence indices refer to.
    fences: Option<FenceSet>,
    objects: HashMap<SubjectKey, Track>,
    /// Scratch: candidate fence indices of the current fix.
    candidates: Vec<u32>,
    /// Scratch: crossing parameters.
    params: Vec<f64>,
}

/// The local clock, remembering its last answer: most questions are about the same UTC
/// minute (present-day time-zone offsets are whole minutes, so the local minute only
/// changes with the UTC minute).
#[derive(Debug)]
struct MinuteClock {
    clock: LocalClock,
    /// The last UTC minute asked about (epoch minutes) and its local minute of the day.
    last: (i64, u16),
}

impl MinuteClock {
    fn minute_of_day(&mut self, t: f64) -> u16 {
        let utc_minute = (t / 60.0).floor() as i64;
        if self.last.0 != utc_minute {
            self.last = (utc_minute, self.clock.minute_of_day(t));
        }
        self.last.1
    }
}

/// What a tracker remembers of one object.
#[derive(Debug)]
struct Track {
    t: f64,
    at: [f64; 2],
    pairs: Vec<Pair>,
}

/// The state of one (object, fence) pair.
#[derive(Debug, Clone)]
struct Pair {
    /// Index of the fence in the tracker's set.
    fence: u32,
    /// Confirmed side.
    inside: bool,
    /// Visited while processing the current fix.
    seen: bool,
    /// Consecutive fixes on the other side.
    run: u32,
    /// Time and place of the first fix of the run.
    run_t: f64,
    run_at: [f64; 2],
    /// Start of the confirmed stay.
    since: f64,
    enter_open: bool,
    dwell_open: bool,
    /// Time of the last dwell event.
    dwell_t: f64,
}

impl Pair {
    fn new(fence: u32) -> Self {
        Self {
            fence,
            inside: false,
            seen: true,
            run: 0,
            run_t: 0.0,
            run_at: [0.0; 2],
            since: 0.0,
            enter_open: false,
            dwell_open: false,
            dwell_t: 0.0,
        }
    }

    /// Whether the pair still needs state (open episodes only exist while inside).
    fn alive(&self) -> bool {
        self.inside || self.run > 0
    }
}

/// Where events go, with what every event of one fix shares.
struct Emitter<'a> {
    clock: &'a mut MinuteClock,
    subject: &'a SubjectKey,
    name: Option<&'a str>,
    out: &'a mut Vec<AlertEvent>,
}

impl Emitter<'_> {
    fn active(&mut self, fence: &Fence, t: f64) -> bool {
        fence
            .rule
            .active_hours
            .is_none_or(|hours| hours.contains(self.clock.minute_of_day(t)))
    }

    /// Emits an event at `(t, location)`; `detect` and `extra` go into the evidence.
    fn emit(
        &mut self,
        fence: &Fence,
        (kind, detect): (AlertKind, &str),
        phase: Phase,
        (t, location): (f64, [f64; 2]),
        extra: &[(&str, Value)],
    ) {
        let mut evidence = Map::new();
        evidence.insert("detect".into(), detect.into());
        evidence.insert("fence_name".into(), fence.name.clone().into());
        evidence.insert(
            "fence_kind".into(),
            serde_json::to_value(fence.kind).unwrap_or(Value::Null),
        );
        for (key, value) in extra {
            evidence.insert((*key).into(), value.clone());
        }
        self.out.push(AlertEvent {
            key: EpisodeKey {
                kind,
                subject: self.subject.clone(),
                scope: fence.id.to_string(),
            },
            phase,
            t,
            location,
            severity: fence.rule.severity,
            fence_id: Some(fence.id),
            town: fence.town.clone(),
            name: self.name.map(str::to_owned),
            evidence,
        });
    }
}

fn metres(value: f64) -> Value {
    json!((value * 10.0).round() / 10.0)
}

fn seconds(value: f64) -> Value {
    json!(value.round())
}

impl FenceTracker {
    /// A tracker whose active hours are read on `clock`.
    pub fn new(clock: LocalClock) -> Self {
        Self {
            clock: MinuteClock {
                clock,
                last: (i64::MIN, 0),
            },
            fences: None,
            objects: HashMap::new(),
            candidates: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Processes one fix of `subject` (an object of `kind`, called `name` when known) and
    /// appends the events it causes to `out`.
    ///
    /// When `fences` is not the set of the previous call, the state is first carried over
    /// to it as by [`FenceTracker::retain`].
    pub fn observe(
        &mut self,
        fences: &FenceSet,
        subject: &SubjectKey,
        kind: ObjectKind,
        name: Option<&str>,
        sample: &Sample,
        out: &mut Vec<AlertEvent>,
    ) {
        let (t, at) = (sample.t, sample.lonlat());
        if !(t.is_finite() && at[0].is_finite() && at[1].is_finite()) {
            return;
        }
        if !self.fences.as_ref().is_some_and(|f| f.same(fences)) {
            self.retain(fences, out);
        }
        let Self {
            clock,
            objects,
            candidates,
            params,
            ..
        } = self;
        let (track, prev) = match objects.get_mut(subject) {
            Some(track) if t <= track.t => return,
            Some(track) => {
                let prev = (track.t, track.at);
                (track, Some(prev))
            }
            None => {
                let track = Track {
                    t,
                    at,
                    pairs: Vec::new(),
                };
                (objects.entry(subject.clone()).or_insert(track), None)
            }
        };
        candidates.clear();
        let envelope = match prev {
            Some((_, a)) => AABB::from_corners(a, at),
            None => AABB::from_point(at),
        };
        fences.candidates(&envelope, candidates);
        let mut emitter = Emitter {
            clock,
            subject,
            name,
            out,
        };
        for pair in &mut track.pairs {
            pair.seen = false;
        }
        for &index in candidates.iter() {
            let fence = fences.fence(index);
            let p = fence.frame.to_xy(at);
            let buffer = fence.rule.debounce.buffer_m;
            if let Some(pair) = track.pairs.iter_mut().find(|pair| pair.fence == index) {
                pair.seen = true;
                let side = fence.geom.zone(p, buffer);
                step(pair, fence, side, t, at, &mut emitter);
                continue;
            }
            if !fence.applies_to(kind) {
                continue;
            }
            let side = fence.geom.zone(p, buffer);
            if side == Zone::Inside {
                let mut pair = Pair::new(index);
                step(&mut pair, fence, side, t, at, &mut emitter);
                if pair.alive() {
                    track.pairs.push(pair);
                }
                continue;
            }
            // No state, so the previous fix did not count as inside either: did the path
            // between them go through?
            let Some((t0, a)) =
                prev.filter(|_| fence.detects(Detect::Cross) || fence.detects(Detect::Enter))
            else {
                continue;
            };
            if let Some((s, q)) = fence.geom.crossing(fence.frame.to_xy(a), p, buffer, params) {
                let tc = t0 + s * (t - t0);
                if emitter.active(fence, tc) {
                    let location = fence.frame.to_lonlat(q);
                    let depth = [("distance_m", metres(fence.geom.signed_distance(q)))];
                    for phase in [Phase::Open, Phase::Close] {
                        emitter.emit(
                            fence,
                            (AlertKind::GeofenceEnter, "cross"),
                            phase,
                            (tc, location),
                            &depth,
                        );
                    }
                }
            }
        }
        for pair in track.pairs.iter_mut().filter(|pair| !pair.seen) {
            // Not even near the fence's buffered box: clearly outside.
            step(
                pair,
                fences.fence(pair.fence),
                Zone::Outside,
                t,
                at,
                &mut emitter,
            );
        }
        track.pairs.retain(Pair::alive);
        if track.pairs.is_empty() {
            track.pairs = Vec::new();
        }
        track.t = t;
        track.at = at;
    }

    /// Carries the state over to a new fence set: pairs follow their fence by id; the open
    /// episodes of fences that no longer exist are closed (at the object's last fix, with
    /// evidence `reason: "fence_removed"`) and their state dropped.
    pub fn retain(&mut self, fences: &FenceSet, out: &mut Vec<AlertEvent>) {
        let Some(old) = self.fences.replace(fences.clone()) else {
            return;
        };
        if old.same(fences) {
            return;
        }
        for (subject, track) in &mut self.objects {
            let mut emitter = Emitter {
                clock: &mut self.clock,
                subject,
                name: None,
                out,
            };
            track.pairs.retain_mut(|pair| {
                let fence = old.fence(pair.fence);
                if let Some(index) = fences.index_of(fence.id) {
                    pair.fence = index;
                    return true;
                }
                let extra = [
                    ("inside_s", seconds(track.t - pair.since)),
                    ("reason", "fence_removed".into()),
                ];
                for (open, what) in [
                    (pair.enter_open, (AlertKind::GeofenceEnter, "enter")),
                    (pair.dwell_open, (AlertKind::GeofenceDwell, "dwell")),
                ] {
                    if open {
                        emitter.emit(fence, what, Phase::Close, (track.t, track.at), &extra);
                    }
                }
                false
            });
        }
    }

    /// Forgets `subject` (a camera track that ended), closing its open episodes at its last
    /// fix with evidence `reason: "track_ended"`.
    pub fn forget(&mut self, subject: &SubjectKey, out: &mut Vec<AlertEvent>) {
        let (Some(track), Some(fences)) = (self.objects.remove(subject), &self.fences) else {
            return;
        };
        let mut emitter = Emitter {
            clock: &mut self.clock,
            subject,
            name: None,
            out,
        };
        for pair in &track.pairs {
            let fence = fences.fence(pair.fence);
            let extra = [
                ("inside_s", seconds(track.t - pair.since)),
                ("reason", "track_ended".into()),
            ];
            for (open, what) in [
                (pair.enter_open, (AlertKind::GeofenceEnter, "enter")),
                (pair.dwell_open, (AlertKind::GeofenceDwell, "dwell")),
            ] {
                if open {
                    emitter.emit(fence, what, Phase::Close, (track.t, track.at), &extra);
                }
            }
        }
    }

    /// Forgets objects outside every fence whose last fix is older than `t` (epoch s).
    /// Objects inside a fence or on a pending run are kept.
    pub fn forget_before(&mut self, t: f64) {
        self.objects
            .retain(|_, track| !track.pairs.is_empty() || track.t >= t);
    }

    /// The fences `subject` is confirmed inside.
    pub fn inside(&self, subject: &SubjectKey) -> impl Iterator<Item = FeatureId> {
        let pairs = self.objects.get(subject).map_or(&[][..], |t| &t.pairs[..]);
        pairs
            .iter()
            .filter(|pair| pair.inside)
            .filter_map(|pair| Some(self.fences.as_ref()?.fence(pair.fence).id))
    }

    /// The number of objects remembered (each keeps its last fix).
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// The number of (object, fence) pairs with state.
    pub fn pair_count(&self) -> usize {
        self.objects.values().map(|t| t.pairs.len()).sum()
    }
}

/// Advances one pair by a fix that lies in `zone` (relative to the fence's buffer).
fn step(pair: &mut Pair, fence: &Fence, zone: Zone, t: f64, at: [f64; 2], emitter: &mut Emitter) {
    let target = match zone {
        Zone::Inside => true,
        Zone::Outside => false,
        Zone::Near => pair.inside,
    };
    if target == pair.inside {
        pair.run = 0;
    } else {
        if pair.run == 0 {
            pair.run_t = t;
            pair.run_at = at;
        }
        pair.run += 1;
        if pair.run >= fence.rule.debounce.fixes {
            pair.run = 0;
            pair.inside = target;
            if target {
                enter(pair, fence, emitter);
            } else {
                exit(pair, fence, emitter);
            }
        }
    }
    if pair.inside {
        dwell(pair, fence, t, at, emitter);
    }
}

fn enter(pair: &mut Pair, fence: &Fence, emitter: &mut Emitter) {
    pair.since = pair.run_t;
    if fence.detects(Detect::Enter) && emitter.active(fence, pair.run_t) {
        let depth = fence.signed_distance_m(pair.run_at[0], pair.run_at[1]);
        emitter.emit(
            fence,
            (AlertKind::GeofenceEnter, "enter"),
            Phase::Open,
            (pair.run_t, pair.run_at),
            &[("distance_m", metres(depth))],
        );
        pair.enter_open = true;
    }
}

fn exit(pair: &mut Pair, fence: &Fence, emitter: &mut Emitter) {
    let (t, at) = (pair.run_t, pair.run_at);
    let stay = [("inside_s", seconds(t - pair.since))];
    if std::mem::take(&mut pair.enter_open) {
        emitter.emit(
            fence,
            (AlertKind::GeofenceEnter, "enter"),
            Phase::Close,
            (t, at),
            &stay,
        );
    }
    if std::mem::take(&mut pair.dwell_open) {
        emitter.emit(
            fence,
            (AlertKind::GeofenceDwell, "dwell"),
            Phase::Close,
            (t, at),
            &stay,
        );
    }
    if fence.detects(Detect::Exit) && emitter.active(fence, t) {
        let depth = fence.signed_distance_m(at[0], at[1]);
        let extra = [stay[0].clone(), ("distance_m", metres(depth))];
        for phase in [Phase::Open, Phase::Close] {
            let what = (AlertKind::GeofenceExit, "exit");
            emitter.emit(fence, what, phase, (t, at), &extra);
        }
    }
}

fn dwell(pair: &mut Pair, fence: &Fence, t: f64, at: [f64; 2], emitter: &mut Emitter) {
    if !fence.detects(Detect::Dwell) {
        return;
    }
    let stay = t - pair.since;
    let phase = if pair.dwell_open {
        if t - pair.dwell_t < DWELL_UPDATE_S {
            return;
        }
        Phase::Update
    } else if stay >= fence.rule.dwell_min * 60.0 && emitter.active(fence, t) {
        pair.dwell_open = true;
        Phase::Open
    } else {
        return;
    };
    pair.dwell_t = t;
    emitter.emit(
        fence,
        (AlertKind::GeofenceDwell, "dwell"),
        phase,
        (t, at),
        &[("inside_s", seconds(stay))],
    );
}
