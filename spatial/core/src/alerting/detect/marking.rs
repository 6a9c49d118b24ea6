//! What cameras read on what they see ([`Reading`]), once the vote is sure enough
//! (`reading_min_confidence`):
//!
//! - a hull marking on a track matched to an AIS vessel that is neither its AIS name nor its
//!   call sign (compared in pinyin: [`markings::names_match`]) → the vessel's
//!   `identity_anomaly` gains `name_mismatch`, with both strings and the confidence;
//! - legible views of a vessel (`reading_min_reads` crops large enough to read) with nothing
//!   written on them → `no_visible_name`, on the matched vessel's `identity_anomaly`, or on the
//!   track's own when no AIS explains it (closed when the track ends);
//! - a plate on the watch list → `watchlist_vehicle`, one per track, closed when it ends;
//! - the plate of a registered vehicle whose `gps_off` is open → the sighting joins that
//!   alert's evidence (`camera_sightings`).
//!
//! Each fact is reported once per track.

use serde_json::{Map, Value, json};

use super::dark::vessel_like;
use super::identity::Identity;
use super::{DetectionContext, Detectors, Env, Phase, VehicleState, Who, evidence};
use crate::alerting::AlertEvent;
use crate::engine::{AisCandidate, CameraTrackState};
use crate::identity::markings;
use crate::model::{AlertKind, IdentityFlag};

/// Sightings kept in one `gps_off` alert's evidence, the latest.
const MAX_SIGHTINGS: usize = 20;

/// What has been reported of one camera track's readings.
#[derive(Debug, Default)]
pub(super) struct TrackMarks {
    mismatch: bool,
    no_name: bool,
    /// The track's own `identity_anomaly` (no AIS to carry it).
    identity: Option<Identity>,
    watched: bool,
    sighted: bool,
}

impl Detectors {
    /// Replaces the watch list: plates (any spelling: they are normalised) and why each is
    /// watched.
    pub fn set_watchlist(&mut self, entries: impl IntoIterator<Item = (String, String)>) {
        self.watchlist = entries
            .into_iter()
            .map(|(plate, reason)| (markings::normalize(&plate), reason))
            .collect();
    }

    /// Takes in a camera track's reading (after the dark-vessel rule saw the observation).
    pub(super) fn read_markings(
        &mut self,
        ctx: &DetectionContext,
        track: &CameraTrackState,
        candidates: &[AisCandidate],
        at_sea: bool,
        out: &mut Vec<AlertEvent>,
    ) {
        let Some(reading) = &track.reading else {
            return;
        };
        let env = Env {
            config: &self.config,
            ctx,
        };
        if reading.confidence < env.config.reading_min_confidence {
            return;
        }
        let obs = &track.latest;
        let here = obs.sample();
        // what the camera saw, with `facts`
        let seen = |facts: &[(&str, Value)]| {
            let mut seen = evidence([
                ("camera_id", json!(obs.camera_id.get())),
                ("camera_track", json!(track.key)),
                (
                    "confidence",
                    json!((f64::from(reading.confidence) * 100.0).round() / 100.0),
                ),
                ("reads", json!(reading.reads)),
            ]);
            seen.extend(facts.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            seen
        };
        // whether a registered vehicle's plate (as registered: any spelling) is `plate`
        let plate_is = |vehicle: &VehicleState, plate: &str| {
            vehicle.plate.as_deref().map(markings::normalize).as_deref() == Some(plate)
        };
        let marks = self.marks.entry(track.key.clone()).or_default();
        let matched = track
            .matched_mmsi
            .and_then(|m| candidates.iter().find(|c| c.mmsi == m.get()));

        if let Some(plate) = reading.plate() {
            if !marks.watched
                && let Some(reason) = self.watchlist.get(plate)
            {
                marks.watched = true;
                let registered = self
                    .vehicles
                    .iter()
                    .find(|(_, v)| plate_is(v, plate))
                    .map(|(id, _)| id.clone());
                let facts = seen(&[
                    ("plate", json!(plate)),
                    ("reason", json!(reason)),
                    ("vehicle_id", json!(registered)),
                ]);
                out.push(
                    Who::track_named(&track.key, Some(plate))
                        .episode(
                            AlertKind::WatchlistVehicle,
                            env.config.severity.watchlist_vehicle,
                        )
                        .event(env.ctx, Phase::Open, obs.t, obs.position, facts),
                );
            }
            if !marks.sighted
                && let Some((id, vehicle)) = self
                    .vehicles
                    .iter_mut()
                    .find(|(_, v)| v.off_open && plate_is(v, plate))
                && let Some(last) = vehicle.last
            {
                marks.sighted = true;
                vehicle.sightings.push(Value::Object(seen(&[
                    ("t", json!(obs.t.round() as i64)),
                    ("position", json!([obs.position[0], obs.position[1]])),
                ])));
                let excess = vehicle.sightings.len().saturating_sub(MAX_SIGHTINGS);
                vehicle.sightings.drain(..excess);
                let sightings = Value::Array(vehicle.sightings.clone());
                out.push(
                    Who::vehicle(id, vehicle.plate.as_deref())
                        .episode(AlertKind::GpsOff, env.config.severity.gps_off)
                        .event(
                            env.ctx,
                            Phase::Update,
                            obs.t,
                            last.lonlat(),
                            evidence([("camera_sightings", sightings)]),
                        ),
                );
            }
            return;
        }
        if !vessel_like(obs.class, at_sea) {
            return;
        }

        match (&reading.text, matched) {
            // a whole marking, read more than once: a fishing-vessel number, or a name with its
            // number (a few letters of a name prove nothing)
            (Some(read), Some(vessel))
                if !marks.mismatch
                    && reading.reads >= env.config.reading_min_reads
                    && read.chars().any(|c| c.is_ascii_digit()) =>
            {
                let named = [vessel.name.as_deref(), vessel.callsign.as_deref()]
                    .map(|ais| ais.and_then(|ais| markings::names_match(read, ais)));
                // a mismatch: it names neither, and one of them says it is another
                if named.contains(&Some(true)) || !named.contains(&Some(false)) {
                    return;
                }
                marks.mismatch = true;
                let facts = seen(&[
                    ("read", json!(read)),
                    ("ais_name", json!(vessel.name)),
                    ("ais_callsign", json!(vessel.callsign)),
                ]);
                let state = self.vessels.entry(vessel.mmsi).or_default();
                let who = Who::vessel(vessel.mmsi, state.name.as_deref());
                state.identity.observe_with(
                    env,
                    &who,
                    &here,
                    &[IdentityFlag::NameMismatch],
                    Map::from_iter([("name_mismatch".to_owned(), Value::Object(facts))]),
                    out,
                );
            }
            (None, matched) if !marks.no_name && reading.reads >= env.config.reading_min_reads => {
                marks.no_name = true;
                let facts =
                    Map::from_iter([("no_visible_name".to_owned(), Value::Object(seen(&[])))]);
                let flags = [IdentityFlag::NoVisibleName];
                match matched {
                    Some(vessel) => {
                        let state = self.vessels.entry(vessel.mmsi).or_default();
                        let who = Who::vessel(vessel.mmsi, state.name.as_deref());
                        state
                            .identity
                            .observe_with(env, &who, &here, &flags, facts, out);
                    }
                    None => {
                        let who = Who::camera_track(&track.key);
                        marks
                            .identity
                            .get_or_insert_default()
                            .observe_with(env, &who, &here, &flags, facts, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// Closes what a camera track's readings opened on the track itself, as it ends.
    pub(super) fn end_markings(
        &mut self,
        ctx: &DetectionContext,
        track: &CameraTrackState,
        out: &mut Vec<AlertEvent>,
    ) {
        let Some(marks) = self.marks.remove(&track.key) else {
            return;
        };
        let env = Env {
            config: &self.config,
            ctx,
        };
        let obs = &track.latest;
        let name = track.reading.as_ref().and_then(|r| r.text.as_deref());
        let mut close = |kind, severity| {
            out.push(
                Who::track_named(&track.key, name)
                    .episode(kind, severity)
                    .event(env.ctx, Phase::Close, obs.t, obs.position, Map::new()),
            );
        };
        if marks.watched {
            close(
                AlertKind::WatchlistVehicle,
                env.config.severity.watchlist_vehicle,
            );
        }
        if marks.identity.is_some() {
            close(
                AlertKind::IdentityAnomaly,
                env.config.severity.identity_anomaly,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dark::tests::{candidate, observe_read};
    use super::super::testkit::*;
    use crate::alerting::{Phase, SubjectKey};
    use crate::engine::{CameraTrackEngine, Reading};
    use crate::model::{AlertKind, TrackClass, VehicleClass};

    /// At sea, 1.5 km off the coast.
    const OFF: [f64; 2] = [0.0, 1500.0];

    fn read(text: Option<&str>, confidence: f32, reads: u32) -> Option<Reading> {
        Some(Reading {
            text: text.map(str::to_owned),
            confidence,
            reads,
        })
    }

    /// Observes track `s-1` of `class` for `seconds`, with `reading` from the start.
    fn watch(
        run: &mut Run,
        class: TrackClass,
        matched: bool,
        reading: Option<Reading>,
        seconds: u32,
    ) -> CameraTrackEngine {
        let mut tracks = CameraTrackEngine::new(600.0);
        let near = [candidate(A, matched)];
        for s in 0..seconds {
            let xy = [OFF[0] + f64::from(s), OFF[1]];
            let (track, r) = ("s-1", reading.clone());
            observe_read(run, &mut tracks, track, class, f64::from(s), xy, &near, r);
        }
        tracks
    }

    fn end(run: &mut Run, tracks: &CameraTrackEngine) {
        let track = tracks.get("7/s-1").unwrap().clone();
        run.detectors
            .end_camera_track(&run.ctx, &track, &mut run.out);
    }

    #[test]
    fn a_hull_number_that_is_not_the_ais_name_is_a_name_mismatch_once() {
        let mut run = Run::new();
        watch(
            &mut run,
            TrackClass::Vessel,
            true,
            read(Some("浙岱渔03318"), 0.9, 2),
            30,
        );
        let events = run.events(AlertKind::IdentityAnomaly);
        assert_eq!(events.len(), 1, "{events:#?}");
        let open = events[0];
        assert_eq!(open.phase, Phase::Open);
        assert_eq!(open.key.subject, SubjectKey::vessel(A));
        assert_eq!(open.evidence["flags"], serde_json::json!(["name_mismatch"]));
        let facts = &open.evidence["name_mismatch"];
        assert_eq!(facts["read"], "浙岱渔03318");
        assert_eq!(facts["ais_name"], "ZHE DAI YU 1");
        assert_eq!(facts["confidence"], 0.9);
        assert_eq!(facts["camera_id"], 7);
    }

    #[test]
    fn the_ais_name_in_pinyin_an_unsure_or_partial_vote_or_no_match_raise_nothing() {
        let cases = [
            (true, read(Some("浙岱渔1"), 0.9, 2)),
            (true, read(Some("浙岱渔03318"), 0.4, 2)),
            (true, read(Some("浙岱渔03318"), 0.9, 1)),
            (true, read(Some("HAITONG"), 0.9, 2)),
            (false, read(Some("浙岱渔03318"), 0.9, 2)),
        ];
        for (matched, reading) in cases {
            let mut run = Run::new();
            watch(&mut run, TrackClass::Vessel, matched, reading.clone(), 30);
            assert!(
                run.events(AlertKind::IdentityAnomaly).is_empty(),
                "{reading:?} matched {matched}"
            );
        }
    }

    #[test]
    fn legible_views_with_nothing_written_are_no_visible_name() {
        // unmatched: on the track itself, closed with it
        let mut run = Run::new();
        let tracks = watch(&mut run, TrackClass::Vessel, false, read(None, 0.8, 2), 30);
        let events = run.events(AlertKind::IdentityAnomaly);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].key.subject, SubjectKey::camera_track("7/s-1"));
        assert_eq!(
            events[0].evidence["flags"],
            serde_json::json!(["no_visible_name"])
        );
        assert_eq!(events[0].evidence["no_visible_name"]["reads"], 2);
        end(&mut run, &tracks);
        assert_eq!(run.count(AlertKind::IdentityAnomaly, Phase::Close), 1);

        // matched: on the vessel
        let mut run = Run::new();
        watch(&mut run, TrackClass::Vessel, true, read(None, 0.8, 3), 30);
        let events = run.events(AlertKind::IdentityAnomaly);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].key.subject, SubjectKey::vessel(A));

        // one read, or a person, is not enough
        for (class, reading) in [
            (TrackClass::Vessel, read(None, 0.8, 1)),
            (TrackClass::Person, read(None, 0.8, 4)),
        ] {
            let mut run = Run::new();
            watch(&mut run, class, false, reading, 30);
            assert!(
                run.events(AlertKind::IdentityAnomaly).is_empty(),
                "{class:?}"
            );
        }
    }

    #[test]
    fn a_watched_plate_raises_one_watchlist_alert_per_track() {
        let mut run = Run::new();
        run.detectors
            .set_watchlist([("浙B·12345".to_owned(), "冷链走私嫌疑".to_owned())]);
        let tracks = watch(
            &mut run,
            TrackClass::Vehicle,
            false,
            read(Some("浙B12345"), 0.7, 1),
            10,
        );
        let events = run.events(AlertKind::WatchlistVehicle);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].evidence["plate"], "浙B12345");
        assert_eq!(events[0].evidence["reason"], "冷链走私嫌疑");
        assert_eq!(events[0].name.as_deref(), Some("浙B12345"));
        end(&mut run, &tracks);
        assert_eq!(run.count(AlertKind::WatchlistVehicle, Phase::Close), 1);

        let mut run = Run::new();
        run.detectors
            .set_watchlist([("浙B54321".to_owned(), "x".to_owned())]);
        watch(
            &mut run,
            TrackClass::Vehicle,
            false,
            read(Some("浙B12345"), 0.7, 1),
            10,
        );
        assert!(run.events(AlertKind::WatchlistVehicle).is_empty());
    }

    #[test]
    fn a_silent_truck_seen_by_a_camera_adds_the_sighting_to_its_gps_off() {
        let mut run = Run::new();
        run.vehicle("T1", VehicleClass::TankTruck, None, 0.0, ROAD, 40.0);
        // seen before its GPS is missed: nothing to add to
        watch(
            &mut run,
            TrackClass::Vehicle,
            false,
            read(Some("浙B12345"), 0.8, 1),
            3,
        );
        assert!(run.events(AlertKind::GpsOff).is_empty());
        run.tick(11.0);
        assert_eq!(run.opens(AlertKind::GpsOff), 1);
        run.base = minutes(12.0);
        let mut tracks = CameraTrackEngine::new(600.0);
        for (track, s) in [("s-2", 0.0), ("s-2", 1.0), ("s-3", 5.0)] {
            let r = read(Some("浙B12345"), 0.8, 1);
            observe_read(
                &mut run,
                &mut tracks,
                track,
                TrackClass::Vehicle,
                s,
                OFF,
                &[],
                r,
            );
        }
        let updates: Vec<_> = run
            .events(AlertKind::GpsOff)
            .into_iter()
            .filter(|e| e.phase == Phase::Update)
            .collect();
        assert_eq!(updates.len(), 2, "one per track");
        assert_eq!(updates[0].key.subject, SubjectKey::vehicle("T1"));
        let sightings = updates[1].evidence["camera_sightings"].as_array().unwrap();
        assert_eq!(sightings.len(), 2);
        assert_eq!(sightings[1]["camera_track"], "7/s-3");
    }
}
