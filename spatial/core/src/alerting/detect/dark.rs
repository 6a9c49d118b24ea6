//! `dark_vessel`: a boat a camera sees that no AIS vessel explains.
//!
//! Each observation of a camera track comes with the AIS vessels dead-reckoned to its time
//! ([`MatchGate::candidates`](crate::engine::MatchGate::candidates)): bearing from the
//! camera first, then range within the track's uncertainty. A track of class vessel — or a
//! motion-only track whose ground position lies at sea — that stays unmatched for
//! `dark_vessel_s` opens an episode; a match or the end of the track closes it. A track
//! once matched to AIS is that vessel and raises nothing. The episode is linked to an
//! `ais_gap` of a vessel that fell silent nearby (both alerts name each other).

use serde_json::{Value, json};

use super::{Env, Open, Who, evidence, num};
use crate::alerting::{AlertEvent, EpisodeKey, Phase, SubjectKey};
use crate::engine::{AisCandidate, CameraTrackState};
use crate::geodesy;
use crate::model::{AlertKind, TrackClass};

/// What the dark-vessel rule remembers of one camera track.
#[derive(Debug, Default)]
pub(super) struct DarkTrack {
    /// When the current unmatched run began.
    unmatched_since: Option<f64>,
    /// Matched to AIS at some point: an identified vessel.
    matched: bool,
    pub(super) open: Option<Open>,
    /// Latest estimated position and time.
    pub(super) at: [f64; 2],
    pub(super) t: f64,
    /// The `ais_gap` vessel linked to the open episode.
    pub(super) linked: Option<u32>,
}

/// Whether a track may be a vessel: recognised as one, or moving at sea unrecognised.
pub(super) fn vessel_like(class: TrackClass, at_sea: bool) -> bool {
    match class {
        TrackClass::Vessel => true,
        TrackClass::Unknown => at_sea,
        TrackClass::Person | TrackClass::Vehicle => false,
    }
}

impl DarkTrack {
    /// Takes in the track's latest observation and the AIS vessels around it.
    pub(super) fn observe(
        &mut self,
        env: Env,
        track: &CameraTrackState,
        candidates: &[AisCandidate],
        at_sea: bool,
        out: &mut Vec<AlertEvent>,
    ) {
        let obs = &track.latest;
        self.at = obs.position;
        self.t = obs.t;
        let who = Who::camera_track(&track.key);
        let episode = who.episode(AlertKind::DarkVessel, env.config.severity.dark_vessel);
        if let Some(matched) = candidates.iter().find(|c| c.in_gate) {
            self.matched = true;
            self.unmatched_since = None;
            if self.open.take().is_some() {
                let facts = evidence([("matched_mmsi", Value::from(matched.mmsi))]);
                out.push(episode.event(env.ctx, Phase::Close, obs.t, obs.position, facts));
            }
            return;
        }
        if self.matched || !vessel_like(obs.class, at_sea) {
            return;
        }
        let since = *self.unmatched_since.get_or_insert(obs.t);
        match &mut self.open {
            None if obs.t - since >= env.config.dark_vessel_s => {
                self.open = Some(Open::new(since, obs.t));
                let facts = facts(track, candidates, at_sea, since);
                out.push(episode.event(env.ctx, Phase::Open, since, obs.position, facts));
            }
            Some(open) if open.update_due(obs.t, env.config) => {
                open.last_event = obs.t;
                let facts = facts(track, candidates, at_sea, since);
                out.push(episode.event(env.ctx, Phase::Update, obs.t, obs.position, facts));
            }
            _ => {}
        }
    }

    /// The track ended: closes an open episode.
    pub(super) fn end(&mut self, env: Env, key: &str, out: &mut Vec<AlertEvent>) {
        if let Some(open) = self.open.take() {
            let facts = evidence([("seen_s", num(self.t - open.start))]);
            out.push(
                Who::camera_track(key)
                    .episode(AlertKind::DarkVessel, env.config.severity.dark_vessel)
                    .event(env.ctx, Phase::Close, self.t, self.at, facts),
            );
        }
    }
}

/// The evidence of a dark-vessel event.
fn facts(
    track: &CameraTrackState,
    candidates: &[AisCandidate],
    at_sea: bool,
    since: f64,
) -> serde_json::Map<String, Value> {
    let obs = &track.latest;
    let nearest: Vec<Value> = candidates
        .iter()
        .take(3)
        .map(|c| {
            json!({
                "mmsi": c.mmsi, "name": c.name, "age_s": num(c.age_s),
                "bearing_residual_deg": num(c.bearing_residual_deg),
                "range_residual_m": num(c.range_residual_m),
            })
        })
        .collect();
    evidence([
        ("camera_id", Value::from(obs.camera_id.get())),
        ("track_id", Value::from(obs.track_id.clone())),
        ("class", json!(obs.class)),
        (
            "motion_only_at_sea",
            Value::from(obs.class == TrackClass::Unknown && at_sea),
        ),
        ("bearing_deg", num(obs.bearing_deg)),
        ("bearing_sigma_deg", num(obs.bearing_sigma_deg)),
        ("range_m", num(obs.range_m)),
        ("range_sigma_m", num(obs.range_sigma_m)),
        ("range_nearer_m", num(obs.range_nearer_m)),
        ("range_farther_m", num(obs.range_farther_m)),
        ("estimated", json!([obs.position[0], obs.position[1]])),
        ("seen_s", num(obs.t - since)),
        ("nearest_ais", Value::from(nearest)),
    ])
}

/// The pair of events that link a `dark_vessel` episode of track `key` with the `ais_gap`
/// episode of vessel `mmsi`, `distance_m` apart, at time `t`.
pub(super) fn link(
    env: Env,
    key: &str,
    dark_at: [f64; 2],
    mmsi: u32,
    gap_at: [f64; 2],
    t: f64,
    out: &mut Vec<AlertEvent>,
) {
    let distance_m = num(geodesy::distance_m(dark_at, gap_at));
    let dark = Who::camera_track(key)
        .episode(AlertKind::DarkVessel, env.config.severity.dark_vessel)
        .event(
            env.ctx,
            Phase::Update,
            t,
            dark_at,
            evidence([
                ("ais_gap_mmsi", Value::from(mmsi)),
                ("ais_gap_distance_m", distance_m.clone()),
            ]),
        );
    let mut gap = dark.clone();
    gap.key = EpisodeKey {
        kind: AlertKind::AisGap,
        subject: SubjectKey::vessel(mmsi),
        scope: String::new(),
    };
    gap.severity = env.config.severity.ais_gap;
    gap.location = gap_at;
    gap.town = env.ctx.town_at(gap_at[0], gap_at[1]).map(str::to_owned);
    gap.name = None;
    gap.evidence = evidence([
        ("dark_vessel_track", Value::from(key)),
        ("dark_vessel_distance_m", distance_m),
    ]);
    out.push(dark);
    out.push(gap);
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::engine::{CameraObservation, CameraTrackEngine, Reading};
    use crate::geodesy;
    use crate::model::FeatureId;

    /// A camera on land, 200 m south of the coast (which runs east–west through the
    /// origin, sea to the north).
    pub(in super::super) const CAMERA: [f64; 2] = [0.0, -200.0];

    /// Observes track `track` of `class` at `xy` (metres) at second `s` after T0, with
    /// `candidates`.
    fn observe(
        run: &mut Run,
        tracks: &mut CameraTrackEngine,
        track: &str,
        class: TrackClass,
        s: f64,
        xy: [f64; 2],
        candidates: &[AisCandidate],
    ) {
        observe_read(run, tracks, track, class, s, xy, candidates, None);
    }

    /// [`observe`] with what OCR read on the track.
    #[expect(clippy::too_many_arguments, reason = "a test helper, one fact each")]
    pub(in super::super) fn observe_read(
        run: &mut Run,
        tracks: &mut CameraTrackEngine,
        track: &str,
        class: TrackClass,
        s: f64,
        xy: [f64; 2],
        candidates: &[AisCandidate],
        reading: Option<Reading>,
    ) {
        let camera = at(CAMERA);
        let position = at(xy);
        let range_m = geodesy::distance_m(camera, position);
        let obs = CameraObservation {
            camera_id: FeatureId::try_from(7).unwrap(),
            track_id: track.into(),
            class,
            t: T0 + s,
            camera,
            position,
            range_m,
            bearing_deg: geodesy::bearing_deg(camera, position),
            range_sigma_m: range_m * 0.1,
            range_nearer_m: 0.0,
            range_farther_m: 0.0,
            bearing_sigma_deg: 0.1,
            score: 0.9,
            bbox: None,
            reading,
        };
        let state = tracks.apply(obs).expect("newer");
        if let Some(matched) = candidates.iter().find(|c| c.in_gate) {
            state.matched_mmsi = crate::model::Mmsi::try_from(i64::from(matched.mmsi)).ok();
        }
        let at_sea = run.ctx.at_sea_from(camera, position, 20.0);
        run.detectors
            .observe_camera_track(&run.ctx, state, candidates, at_sea, &mut run.out);
    }

    pub(in super::super) fn candidate(mmsi: u32, in_gate: bool) -> AisCandidate {
        AisCandidate {
            mmsi,
            name: Some("ZHE DAI YU 1".into()),
            callsign: None,
            predicted: at([0.0, 1000.0]),
            age_s: 10.0,
            bearing_residual_deg: if in_gate { 0.1 } else { 8.0 },
            range_residual_m: 20.0,
            in_gate,
            gate_ratio: if in_gate { 0.2 } else { 1.6 },
        }
    }

    #[test]
    fn an_unmatched_boat_seen_for_20_s_is_one_dark_vessel_episode() {
        let (mut run, mut tracks) = (Run::new(), CameraTrackEngine::new(600.0));
        let near = [candidate(A, false)];
        for s in 0..40 {
            let xy = [f64::from(s) * 3.0, 1500.0];
            observe(
                &mut run,
                &mut tracks,
                "s-1",
                TrackClass::Vessel,
                f64::from(s),
                xy,
                &near,
            );
        }
        assert_eq!(run.opens(AlertKind::DarkVessel), 1);
        let open = run.last(AlertKind::DarkVessel, Phase::Open);
        assert_eq!(open.t, T0, "dated from the first unmatched sight");
        assert_eq!(open.key.subject, SubjectKey::camera_track("7/s-1"));
        assert_eq!(open.evidence["camera_id"], 7);
        assert_eq!(open.evidence["seen_s"], 20.0);
        assert_eq!(open.evidence["nearest_ais"][0]["mmsi"], A);
        assert!(open.evidence["range_sigma_m"].as_f64().unwrap() > 100.0);
        assert_eq!(open.town.as_deref(), Some("Songao"));
        let ended = tracks.get("7/s-1").unwrap().clone();
        run.detectors
            .end_camera_track(&run.ctx, &ended, &mut run.out);
        assert_eq!(run.count(AlertKind::DarkVessel, Phase::Close), 1);
    }

    #[test]
    fn a_boat_matched_to_ais_raises_nothing_even_when_its_match_is_lost() {
        let (mut run, mut tracks) = (Run::new(), CameraTrackEngine::new(600.0));
        for s in 0..60 {
            let matched = if s < 10 {
                vec![candidate(A, true)]
            } else {
                vec![]
            };
            observe(
                &mut run,
                &mut tracks,
                "m-1",
                TrackClass::Vessel,
                f64::from(s),
                [0.0, 1500.0],
                &matched,
            );
        }
        assert_eq!(run.opens(AlertKind::DarkVessel), 0);

        // a dark vessel that AIS explains later is closed with the match
        for s in 0..30 {
            observe(
                &mut run,
                &mut tracks,
                "m-2",
                TrackClass::Vessel,
                f64::from(s),
                [500.0, 1500.0],
                &[],
            );
        }
        assert_eq!(run.opens(AlertKind::DarkVessel), 1);
        observe(
            &mut run,
            &mut tracks,
            "m-2",
            TrackClass::Vessel,
            31.0,
            [500.0, 1500.0],
            &[candidate(B, true)],
        );
        let close = run.last(AlertKind::DarkVessel, Phase::Close);
        assert_eq!(close.evidence["matched_mmsi"], B);
    }

    #[test]
    fn unknown_movers_count_at_sea_only_and_people_never() {
        let (mut run, mut tracks) = (Run::new(), CameraTrackEngine::new(600.0));
        for s in 0..30 {
            let s = f64::from(s);
            // across the coast from the camera: at sea
            observe(
                &mut run,
                &mut tracks,
                "u-sea",
                TrackClass::Unknown,
                s,
                [0.0, 800.0],
                &[],
            );
            // on the camera's side of the coast: land
            observe(
                &mut run,
                &mut tracks,
                "u-land",
                TrackClass::Unknown,
                s,
                [300.0, -600.0],
                &[],
            );
            // at sea but within 20 m of the coast: not sure
            observe(
                &mut run,
                &mut tracks,
                "u-shore",
                TrackClass::Unknown,
                s,
                [100.0, 10.0],
                &[],
            );
            observe(
                &mut run,
                &mut tracks,
                "p-1",
                TrackClass::Person,
                s,
                [0.0, 900.0],
                &[],
            );
        }
        let opened: Vec<_> = run
            .events(AlertKind::DarkVessel)
            .iter()
            .filter(|e| e.phase == Phase::Open)
            .map(|e| e.key.subject.id.clone())
            .collect();
        assert_eq!(opened, vec!["7/u-sea".to_owned()]);
        assert_eq!(
            run.last(AlertKind::DarkVessel, Phase::Open).evidence["motion_only_at_sea"],
            true
        );
    }

    #[test]
    fn a_vessel_gone_silent_nearby_links_both_alerts() {
        let (mut run, mut tracks) = (Run::new(), CameraTrackEngine::new(600.0));
        // vessel A sails at sea, then falls silent; its gap opens after 30 min
        run.vessel(A, 0.0, [0.0, 2000.0], 6.0);
        run.vessel(A, 1.0, [0.0, 2200.0], 6.0);
        run.tick(40.0);
        assert_eq!(run.opens(AlertKind::AisGap), 1);
        // the camera sees an unmatched boat 500 m away
        for s in 0..25 {
            let t = 41.0 * 60.0 + f64::from(s);
            observe(
                &mut run,
                &mut tracks,
                "d-1",
                TrackClass::Vessel,
                t,
                [300.0, 2600.0],
                &[],
            );
        }
        let dark = run
            .events(AlertKind::DarkVessel)
            .into_iter()
            .find(|e| e.evidence.contains_key("ais_gap_mmsi"))
            .expect("linked dark_vessel");
        assert_eq!(dark.evidence["ais_gap_mmsi"], A);
        let gap = run
            .events(AlertKind::AisGap)
            .into_iter()
            .find(|e| e.phase == Phase::Update)
            .expect("linked ais_gap");
        assert_eq!(gap.evidence["dark_vessel_track"], "7/d-1");

        // the other order: the boat is dark first, the vessel's gap opens later
        let (mut run, mut tracks) = (Run::new(), CameraTrackEngine::new(600.0));
        run.vessel(B, 0.0, [2000.0, 3000.0], 6.0);
        for s in 0..30 {
            observe(
                &mut run,
                &mut tracks,
                "d-2",
                TrackClass::Vessel,
                120.0 + f64::from(s),
                [2400.0, 3300.0],
                &[],
            );
        }
        assert_eq!(run.opens(AlertKind::DarkVessel), 1);
        run.tick(31.0);
        let gap = run.last(AlertKind::AisGap, Phase::Update);
        assert_eq!(gap.evidence["dark_vessel_track"], "7/d-2");
    }
}
