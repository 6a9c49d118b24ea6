//! Behaviour detectors: AIS gaps, encounters, loitering, unregistered landings and identity
//! anomalies of vessels; route deviations, trackers switched off and night movement of
//! watched vehicles; terminal alarms of vehicles; dark vessels seen by cameras (PRODUCT.md,
//! "Alerts").
//!
//! [`Detectors`] holds the per-object state of every detector. Feed it each object's
//! samples in time order ([`Detectors::observe_vessel`], [`Detectors::observe_vehicle`])
//! and call [`Detectors::tick`] often with the data clock for the checks that fire on
//! silence. Every rule is an episode: one `Open` event when it begins (its `t` is when the
//! behaviour began), `Update`s with fresh evidence at most every
//! [`update_min`](DetectorConfig::update_min), and one `Close` when it ends.
//!
//! Samples at or before the object's latest sample time (out of order, duplicates) are
//! ignored by every detector. A sample without speed gets the speed implied by its
//! displacement from the object's previous sample.

mod config;
mod dark;
mod encounter;
mod identity;
mod landing;
mod loitering;
mod marking;
mod night;
mod route;
mod silence;
mod terminal;
#[cfg(test)]
mod testkit;

use std::collections::HashMap;

use serde_json::{Map, Value};

pub use config::{DetectorConfig, Severities};
pub use terminal::TerminalReport;

use super::context::DetectionContext;
use super::{AlertEvent, EpisodeKey, LocalClock, Phase, Sample, SubjectKey};
use crate::engine::{AisCandidate, CameraTrackState};
use crate::geodesy;
use crate::geodesy::{MPS_PER_KMH, MPS_PER_KN};
use crate::model::{AlertKind, FeatureId, IdentityFlag, Severity, VehicleClass};
use dark::DarkTrack;
use encounter::Encounters;
use identity::Identity;
use landing::Landing;
use loitering::Loitering;
use marking::TrackMarks;
use night::Night;
use route::Route;
use silence::SilenceIndex;
use terminal::TerminalState;

/// Data time (s) between two sweeps of the encounter pairs in [`Detectors::tick`].
const SWEEP_S: f64 = 60.0;

/// The per-object state of every behaviour detector.
///
/// Per object it keeps a fixed, small state (about 200 bytes, plus up to 16 loitering
/// buckets of 24 bytes for a vessel) and an entry in a time-ordered index of last fixes;
/// slow vessels away from docks also sit in an R*-tree for encounters. Objects are kept
/// for as long as the detectors live.
#[derive(Debug, Default)]
pub struct Detectors {
    config: DetectorConfig,
    vessels: HashMap<u32, VesselState>,
    vehicles: HashMap<String, VehicleState>,
    vessel_silence: SilenceIndex<u32>,
    vehicle_silence: SilenceIndex<String>,
    encounters: Encounters,
    last_sweep: Option<f64>,
    dark: HashMap<String, DarkTrack>,
    terminals: HashMap<String, TerminalState>,
    /// What was reported of each camera track's readings.
    marks: HashMap<String, TrackMarks>,
    /// Watched plates (normalised) and why.
    watchlist: HashMap<String, String>,
}

/// What the detectors remember of one vessel.
#[derive(Debug, Default)]
struct VesselState {
    /// The latest sample, its speed filled in when derived.
    last: Option<Sample>,
    name: Option<Box<str>>,
    gap_open: bool,
    identity: Identity,
    loitering: Loitering,
    landing: Landing,
}

/// What the detectors remember of one watched vehicle.
#[derive(Debug, Default)]
struct VehicleState {
    /// The latest sample, its speed filled in when derived.
    last: Option<Sample>,
    plate: Option<Box<str>>,
    /// The watch zone of the latest sample.
    zone: Option<FeatureId>,
    /// Whether the latest sample can start a `gps_off` episode: moving or in a zone.
    off_candidate: bool,
    off_open: bool,
    /// Camera sightings while `gps_off` is open.
    sightings: Vec<Value>,
    route: Route,
    night: Night,
}

impl Detectors {
    /// Detectors with thresholds `config` (see [`DetectorConfig::check`]) and no state.
    pub fn new(config: DetectorConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The thresholds in use.
    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Takes in one AIS position of vessel `mmsi`: `name` from its static report, `flags`
    /// the identity flags the AIS core has raised for it. Runs `ais_gap` (closing on
    /// return), `identity_anomaly`, `loitering`, `unregistered_landing` and `encounter`
    /// and appends their events to `out`. No vessel rule depends on local time yet; the
    /// clock is taken so that both observe calls read alike.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per fix, each argument a separate fact of it"
    )]
    pub fn observe_vessel(
        &mut self,
        ctx: &DetectionContext,
        _clock: &LocalClock,
        mmsi: u32,
        name: Option<&str>,
        flags: &[IdentityFlag],
        sample: &Sample,
        out: &mut Vec<AlertEvent>,
    ) {
        let Some(sample) = checked(sample) else {
            return;
        };
        let env = Env {
            config: &self.config,
            ctx,
        };
        let state = self.vessels.entry(mmsi).or_default();
        let prev = state.last;
        if prev.is_some_and(|p| sample.t <= p.t) {
            return;
        }
        let fix = with_speed(&sample, prev.as_ref());
        state.last = Some(fix);
        if let Some(name) = name
            && state.name.as_deref() != Some(name)
        {
            state.name = Some(name.into());
        }
        let who = Who::vessel(mmsi, state.name.as_deref());

        let gap_s = env.config.ais_gap_min * 60.0;
        if let Some(prev) = &prev {
            let silent = fix.t - prev.t >= gap_s;
            if !state.gap_open && silent && silence::ais_gap_starts(env, prev) {
                out.push(silence::ais_gap_open(env, &who, prev, fix.t));
                state.gap_open = true;
            }
            if state.gap_open {
                out.push(silence::ais_gap_close(env, &who, prev, &fix));
            }
        }
        state.gap_open = false;
        self.vessel_silence.touch(&mmsi, prev.map(|p| p.t), fix.t);

        state.identity.observe(env, &who, &fix, flags, out);
        let restart = prev.is_some_and(|p| fix.t - p.t >= gap_s);
        state.loitering.observe(env, &who, &fix, restart, out);
        state.landing.observe(env, &who, &fix, restart, out);

        let vessels = &self.vessels;
        self.encounters.observe(
            env,
            mmsi,
            &fix,
            &|m| vessels.get(&m).and_then(|v| v.name.as_deref()),
            out,
        );
    }

    /// Takes in one GPS fix of vehicle `vehicle_id` (`plate`, `class`, the route corridor
    /// fence it must keep to). Vehicles of classes not in
    /// [`watched_classes`](DetectorConfig::watched_classes) are not watched (and forgotten
    /// if they were). Runs `gps_off` (closing on return), `route_deviation` and
    /// `night_movement` and appends their events to `out`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per fix, each argument a separate fact of it"
    )]
    pub fn observe_vehicle(
        &mut self,
        ctx: &DetectionContext,
        clock: &LocalClock,
        vehicle_id: &str,
        plate: Option<&str>,
        class: VehicleClass,
        corridor_id: Option<FeatureId>,
        sample: &Sample,
        out: &mut Vec<AlertEvent>,
    ) {
        if !self.config.watched_classes.contains(&class) {
            if let Some(last) = self.vehicles.remove(vehicle_id).and_then(|s| s.last) {
                self.vehicle_silence.remove(&vehicle_id.to_owned(), last.t);
            }
            return;
        }
        let Some(sample) = checked(sample) else {
            return;
        };
        let env = Env {
            config: &self.config,
            ctx,
        };
        if !self.vehicles.contains_key(vehicle_id) {
            self.vehicles
                .insert(vehicle_id.to_owned(), VehicleState::default());
        }
        let Some(state) = self.vehicles.get_mut(vehicle_id) else {
            return;
        };
        let prev = state.last;
        if prev.is_some_and(|p| sample.t <= p.t) {
            return;
        }
        let fix = with_speed(&sample, prev.as_ref());
        state.last = Some(fix);
        if let Some(plate) = plate
            && state.plate.as_deref() != Some(plate)
        {
            state.plate = Some(plate.into());
        }
        let who = Who::vehicle(vehicle_id, state.plate.as_deref());
        let moving = is_moving(env.config, &fix);
        let zone = ctx.watch_zone_at(fix.lon, fix.lat);

        if let Some(prev) = &prev {
            let silent = fix.t - prev.t >= env.config.gps_off_min * 60.0;
            if !state.off_open && silent && state.off_candidate {
                let mut open = silence::gps_off_open(env, &who, prev, state.zone, fix.t);
                if let Some(terminal) = self.terminals.get(vehicle_id) {
                    open.evidence.extend(terminal.gps_off_facts(prev.t));
                }
                out.push(open);
                state.off_open = true;
            }
            if state.off_open {
                out.push(silence::gps_off_close(env, &who, prev, &fix));
            }
        }
        state.off_open = false;
        state.sightings.clear();
        state.off_candidate = moving || zone.is_some();
        state.zone = zone;
        self.vehicle_silence
            .touch(&vehicle_id.to_owned(), prev.map(|p| p.t), fix.t);

        state.route.observe(env, &who, corridor_id, &fix, out);
        let moving_in = zone.filter(|_| moving);
        state.night.observe(env, &who, clock, &fix, moving_in, out);
    }

    /// Takes in a report of vehicle `vehicle_id`'s terminal (`at`: its latest fix): runs
    /// `vehicle_alarm`, and remembers the contact for `gps_off`.
    pub fn observe_terminal(
        &mut self,
        ctx: &DetectionContext,
        vehicle_id: &str,
        plate: Option<&str>,
        at: Option<[f64; 2]>,
        report: &TerminalReport,
        out: &mut Vec<AlertEvent>,
    ) {
        if !report.t.is_finite() {
            return;
        }
        let env = Env {
            config: &self.config,
            ctx,
        };
        let who = Who::vehicle(vehicle_id, plate);
        self.terminals
            .entry(vehicle_id.to_owned())
            .or_default()
            .observe(env, &who, report, at, out);
    }

    /// Takes in the latest observation of a camera track with the AIS vessels around it
    /// (`at_sea`: its ground position lies at sea). Runs `dark_vessel`; links a new
    /// episode to the `ais_gap` of a vessel that fell silent nearby; then what the camera
    /// read on it (`marking.rs`).
    pub fn observe_camera_track(
        &mut self,
        ctx: &DetectionContext,
        track: &CameraTrackState,
        candidates: &[AisCandidate],
        at_sea: bool,
        out: &mut Vec<AlertEvent>,
    ) {
        self.read_markings(ctx, track, candidates, at_sea, out);
        let env = Env {
            config: &self.config,
            ctx,
        };
        let dark = self.dark.entry(track.key.clone()).or_default();
        let was_open = dark.open.is_some();
        dark.observe(env, track, candidates, at_sea, out);
        if was_open || dark.open.is_none() {
            return;
        }
        let silent = self.vessels.iter().find(|(_, v)| {
            v.gap_open
                && v.last.is_some_and(|l| {
                    geodesy::distance_m(l.lonlat(), dark.at) <= env.config.dark_link_m
                })
        });
        if let Some((&mmsi, vessel)) = silent
            && let Some(last) = vessel.last
        {
            dark.linked = Some(mmsi);
            dark::link(
                env,
                &track.key,
                dark.at,
                mmsi,
                last.lonlat(),
                track.latest.t,
                out,
            );
        }
    }

    /// The camera track `key` ended (no longer observed): closes its episodes.
    pub fn end_camera_track(
        &mut self,
        ctx: &DetectionContext,
        track: &CameraTrackState,
        out: &mut Vec<AlertEvent>,
    ) {
        let env = Env {
            config: &self.config,
            ctx,
        };
        if let Some(mut dark) = self.dark.remove(&track.key) {
            dark.end(env, &track.key, out);
        }
        self.end_markings(ctx, track, out);
    }

    /// Runs the checks that fire on silence at data time `now` (the newest sample time of
    /// a replay, the wall clock live): opens `ais_gap` and `gps_off` episodes and ends
    /// encounters whose vessels both fell silent. Cheap when nothing is due: silent objects
    /// come off a time-ordered index, and encounter pairs are swept once a minute of data
    /// time.
    pub fn tick(&mut self, ctx: &DetectionContext, now: f64, out: &mut Vec<AlertEvent>) {
        if !now.is_finite() {
            return;
        }
        let env = Env {
            config: &self.config,
            ctx,
        };

        let cutoff = now - env.config.ais_gap_min * 60.0;
        while let Some(mmsi) = self.vessel_silence.pop_due(cutoff) {
            let Some(state) = self.vessels.get_mut(&mmsi) else {
                continue;
            };
            if let Some(last) = &state.last
                && !state.gap_open
                && silence::ais_gap_starts(env, last)
            {
                let who = Who::vessel(mmsi, state.name.as_deref());
                out.push(silence::ais_gap_open(env, &who, last, now));
                state.gap_open = true;
                // a camera may be watching the boat that went silent
                let near = self.dark.iter_mut().find(|(_, d)| {
                    d.open.is_some()
                        && d.linked.is_none()
                        && geodesy::distance_m(d.at, last.lonlat()) <= env.config.dark_link_m
                });
                if let Some((key, dark)) = near {
                    dark.linked = Some(mmsi);
                    dark::link(env, key, dark.at, mmsi, last.lonlat(), now, out);
                }
            }
        }

        let cutoff = now - env.config.gps_off_min * 60.0;
        while let Some(id) = self.vehicle_silence.pop_due(cutoff) {
            let Some(state) = self.vehicles.get_mut(&id) else {
                continue;
            };
            if let Some(last) = &state.last
                && !state.off_open
                && state.off_candidate
            {
                let who = Who::vehicle(&id, state.plate.as_deref());
                let mut open = silence::gps_off_open(env, &who, last, state.zone, now);
                if let Some(terminal) = self.terminals.get(&id) {
                    open.evidence.extend(terminal.gps_off_facts(last.t));
                }
                out.push(open);
                state.off_open = true;
            }
        }

        if self.last_sweep.is_none_or(|t| now - t >= SWEEP_S) {
            self.last_sweep = Some(now);
            let vessels = &self.vessels;
            self.encounters.sweep(
                env,
                now,
                &|m| vessels.get(&m).and_then(|v| v.name.as_deref()),
                out,
            );
        }
    }
}

/// The thresholds and the geography, as every detector reads them.
#[derive(Debug, Clone, Copy)]
struct Env<'a> {
    config: &'a DetectorConfig,
    ctx: &'a DetectionContext,
}

/// The object an event is about.
#[derive(Debug, Clone, Copy)]
struct Who<'a> {
    subject: Subject<'a>,
    name: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
enum Subject<'a> {
    Vessel(u32),
    Vehicle(&'a str),
    CameraTrack(&'a str),
}

impl<'a> Who<'a> {
    fn vessel(mmsi: u32, name: Option<&'a str>) -> Self {
        Self {
            subject: Subject::Vessel(mmsi),
            name,
        }
    }

    fn vehicle(id: &'a str, plate: Option<&'a str>) -> Self {
        Self {
            subject: Subject::Vehicle(id),
            name: plate,
        }
    }

    fn camera_track(key: &'a str) -> Self {
        Self::track_named(key, None)
    }

    fn track_named(key: &'a str, name: Option<&'a str>) -> Self {
        Self {
            subject: Subject::CameraTrack(key),
            name,
        }
    }

    /// An episode of this object, without scope or fence.
    fn episode(&self, kind: AlertKind, severity: Severity) -> Episode<'a> {
        Episode {
            who: *self,
            kind,
            severity,
            scope: String::new(),
            fence_id: None,
        }
    }
}

/// Everything about an episode's events but phase, time, place and evidence.
#[derive(Debug)]
struct Episode<'a> {
    who: Who<'a>,
    kind: AlertKind,
    severity: Severity,
    scope: String,
    fence_id: Option<FeatureId>,
}

impl Episode<'_> {
    /// The same episode told apart by `scope`, about fence `fence_id`.
    fn scoped(self, scope: String, fence_id: Option<FeatureId>) -> Self {
        Self {
            scope,
            fence_id,
            ..self
        }
    }

    fn event(
        &self,
        ctx: &DetectionContext,
        phase: Phase,
        t: f64,
        location: [f64; 2],
        evidence: Map<String, Value>,
    ) -> AlertEvent {
        let subject = match self.who.subject {
            Subject::Vessel(mmsi) => SubjectKey::vessel(mmsi),
            Subject::Vehicle(id) => SubjectKey::vehicle(id),
            Subject::CameraTrack(key) => SubjectKey::camera_track(key),
        };
        AlertEvent {
            key: EpisodeKey {
                kind: self.kind,
                subject,
                scope: self.scope.clone(),
            },
            phase,
            t,
            location,
            severity: self.severity,
            fence_id: self.fence_id,
            town: ctx.town_at(location[0], location[1]).map(str::to_owned),
            name: self.who.name.map(str::to_owned),
            evidence,
        }
    }
}

/// An open episode: when it began and when its last event was sent.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Open {
    start: f64,
    last_event: f64,
}

impl Open {
    fn new(start: f64, t: f64) -> Self {
        Self {
            start,
            last_event: t,
        }
    }

    /// Whether an update is due at `t`; whoever sends it sets `last_event`.
    fn update_due(&self, t: f64, config: &DetectorConfig) -> bool {
        t - self.last_event >= config.update_min * 60.0
    }
}

/// Evidence from `(name, value)` pairs.
fn evidence<const N: usize>(items: [(&str, Value); N]) -> Map<String, Value> {
    items
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// A number for evidence, to 0.1 (null when not finite).
fn num(x: f64) -> Value {
    serde_json::Number::from_f64((x * 10.0).round() / 10.0).map_or(Value::Null, Value::Number)
}

/// The sample if its time and position are usable, with an unusable speed dropped.
fn checked(sample: &Sample) -> Option<Sample> {
    let usable = sample.t.is_finite()
        && (-180.0..=180.0).contains(&sample.lon)
        && (-90.0..=90.0).contains(&sample.lat);
    usable.then(|| Sample {
        speed_mps: sample.speed_mps.filter(|v| v.is_finite() && *v >= 0.0),
        ..*sample
    })
}

/// The sample with its speed implied by the displacement from `prev` when it has none.
fn with_speed(sample: &Sample, prev: Option<&Sample>) -> Sample {
    let speed_mps = sample.speed_mps.or_else(|| {
        let prev = prev?;
        let dt = sample.t - prev.t;
        (dt > 0.0).then(|| geodesy::distance_m(prev.lonlat(), sample.lonlat()) / dt)
    });
    Sample {
        speed_mps,
        ..*sample
    }
}

/// Whether a vehicle sample is moving (at or above `moving_kmh`).
fn is_moving(config: &DetectorConfig, fix: &Sample) -> bool {
    fix.speed_mps
        .is_some_and(|v| v / MPS_PER_KMH >= config.moving_kmh)
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;

    #[test]
    fn out_of_order_and_duplicate_samples_are_ignored() {
        let mut run = Run::new();
        for minute in 0..=12 {
            run.vessel(A, minute as f64, LANDING, 0.0);
        }
        assert_eq!(run.opens(AlertKind::UnregisteredLanding), 1);
        // a duplicate and an older sample, both moving fast, change nothing
        run.vessel(A, 12.0, LANDING, 10.0);
        run.vessel(A, 5.0, LANDING, 10.0);
        run.vessel(A, 13.0, LANDING, 0.0);
        assert_eq!(run.count(AlertKind::UnregisteredLanding, Phase::Close), 0);
        // the gap opens from the tick; an old sample is no return
        run.tick(13.0 + 30.0);
        assert_eq!(run.opens(AlertKind::AisGap), 1);
        run.vessel(A, 10.0, LANDING, 0.0);
        assert_eq!(run.count(AlertKind::AisGap, Phase::Close), 0);
        run.vessel(A, 50.0, LANDING, 0.0);
        assert_eq!(run.count(AlertKind::AisGap, Phase::Close), 1);

        // a vehicle outside its corridor: an older fix inside does not close the episode
        let corridor = Some(id(CORRIDOR));
        let off = [ROAD[0], ROAD[1] - 100.0];
        run.vehicle("T1", VehicleClass::TankTruck, corridor, 0.0, off, 30.0);
        run.vehicle("T1", VehicleClass::TankTruck, corridor, 1.0, off, 30.0);
        run.vehicle("T1", VehicleClass::TankTruck, corridor, 0.5, ROAD, 30.0);
        run.vehicle("T1", VehicleClass::TankTruck, corridor, 1.0, ROAD, 30.0);
        assert_eq!(run.opens(AlertKind::RouteDeviation), 1);
        assert_eq!(run.count(AlertKind::RouteDeviation, Phase::Close), 0);
    }

    #[test]
    fn speed_is_derived_from_displacement_when_missing() {
        let prev = Sample {
            t: T0,
            lon: 121.6,
            lat: 29.6,
            speed_mps: None,
        };
        let next = Sample {
            t: T0 + 100.0,
            lat: 29.6 + geodesy::lat_deg(250.0),
            ..prev
        };
        let derived = with_speed(&next, Some(&prev)).speed_mps.unwrap();
        assert!((derived - 2.5).abs() < 1e-6, "{derived}");
        assert_eq!(with_speed(&next, None).speed_mps, None);
        let reported = Sample {
            speed_mps: Some(1.0),
            ..next
        };
        assert_eq!(with_speed(&reported, Some(&prev)).speed_mps, Some(1.0));
        let broken = Sample {
            lon: f64::NAN,
            ..next
        };
        assert!(checked(&broken).is_none());
    }

    #[test]
    fn events_carry_town_name_and_default_severities() {
        let mut run = Run::new();
        run.detectors = Detectors::new(DetectorConfig::default());
        run.named_vessel(A, "ZHE XIANG YU 1", 0.0, SEA, 5.0, &[IdentityFlag::BadImo]);
        let event = &run.out[0];
        assert_eq!(event.key.kind, AlertKind::IdentityAnomaly);
        assert_eq!(event.severity, Severity::Info);
        assert_eq!(event.town.as_deref(), Some("Songao"));
        assert_eq!(event.name.as_deref(), Some("ZHE XIANG YU 1"));
        assert_eq!(event.key.subject, SubjectKey::vessel(A));
    }

    #[test]
    fn per_object_state_stays_small() {
        // inline size; on the heap a vessel adds at most 16 loitering buckets (24 bytes
        // each), its name and its flags
        assert!(
            size_of::<VesselState>() <= 256,
            "{}",
            size_of::<VesselState>()
        );
        assert!(
            size_of::<VehicleState>() <= 256,
            "{}",
            size_of::<VehicleState>()
        );
    }

    #[test]
    fn tick_is_harmless_when_nothing_is_known() {
        let mut run = Run::new();
        run.tick(0.0);
        run.tick(-100.0);
        run.detectors.tick(&run.ctx, f64::NAN, &mut run.out);
        assert!(run.out.is_empty());
    }
}
