//! The scenario simulator on the synthetic district and on the embedded demo district:
//! determinism, valid sentences and fixes, clean background traffic, every planted kind in
//! the truth, the files round trip, and the detectors' score on the scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_ais::messages::AisMessage;
use coastwatch_core::alerting::FenceSet;
use coastwatch_core::geodesy::distance_m;
use coastwatch_core::identity::mmsi_problem;
use coastwatch_core::model::{AlertKind, ObjectKind, ShipCategory, SubjectType};
use coastwatch_core::{Feature, Layer};
use coastwatch_scenario::eval::SCORED_KINDS;
use coastwatch_scenario::{District, Scenario, ScenarioConfig, SimEvent, generate};
use geo::{Contains, Geometry, Point};

fn config(seed: u64) -> ScenarioConfig {
    ScenarioConfig {
        seed,
        ..ScenarioConfig::default()
    }
}

fn synthetic() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(District::synthetic)
}

fn demo() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(|| District::demo().unwrap())
}

fn scenario(demo_district: bool) -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    static D: OnceLock<Scenario> = OnceLock::new();
    if demo_district {
        D.get_or_init(|| generate(demo(), &config(1)).unwrap())
    } else {
        S.get_or_init(|| generate(synthetic(), &config(1)).unwrap())
    }
}

/// Every decoded message with its tag-block time.
fn decoded(s: &Scenario) -> Vec<(f64, AisMessage)> {
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut out = Vec::new();
    for (i, event) in s.events.iter().enumerate() {
        if let SimEvent::Nmea { t, line } = event {
            match decoder.feed_line(line.as_bytes()) {
                Ok(Some(d)) => {
                    assert_eq!(d.timestamp_s, Some(*t), "line {i}: {line}");
                    out.push((*t, d.message));
                }
                Ok(None) => {}
                Err(e) => panic!("line {i} does not decode: {e}: {line}"),
            }
        }
    }
    out
}

/// A decoded position: time, lon/lat, speed (kn), navigational status.
type Position = (f64, [f64; 2], f64, u8);

/// The subjects the truth names (both vessels of an encounter).
fn planted(s: &Scenario) -> BTreeSet<String> {
    s.truth
        .iter()
        .flat_map(|i| [Some(i.subject_id.clone()), i.other_id.clone()])
        .flatten()
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_scenario_and_another_seed_another() {
    let a = scenario(false);
    let b = generate(synthetic(), &config(1)).unwrap();
    assert_eq!(a.events, b.events);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.vehicles, b.vehicles);
    let c = generate(synthetic(), &config(2)).unwrap();
    assert_ne!(a.truth, c.truth);
    let subjects = |s: &Scenario| -> BTreeSet<String> {
        s.truth.iter().map(|i| i.subject_id.clone()).collect()
    };
    assert_ne!(subjects(a), subjects(&c));
}

#[test]
fn every_kind_is_planted() {
    for demo_district in [false, true] {
        let s = scenario(demo_district);
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        let kinds: BTreeSet<AlertKind> = s.truth.iter().map(|i| i.kind).collect();
        for kind in SCORED_KINDS {
            assert!(
                kinds.contains(&kind),
                "{kind:?} missing (demo: {demo_district})"
            );
        }
        for i in &s.truth {
            assert!(
                i.start <= i.end && i.start >= s.start && i.end <= s.end,
                "{i:?}"
            );
            if i.kind == AlertKind::Encounter {
                assert!(
                    i.other_id.as_ref().is_some_and(|o| *o > i.subject_id),
                    "{i:?}"
                );
            }
            if i.kind == AlertKind::Tip {
                assert_eq!(
                    (i.subject_type, i.subject_id.as_str()),
                    (SubjectType::Area, "tip")
                );
            }
        }
    }
}

#[test]
fn sentences_decode_in_time_order_with_every_message_type() {
    let s = scenario(true);
    let times: Vec<f64> = s.events.iter().map(SimEvent::t).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "events out of order"
    );
    assert!(
        times
            .iter()
            .all(|t| t.fract() == 0.0 && *t >= s.start && *t <= s.end)
    );
    let messages = decoded(s);
    let types: BTreeSet<u8> = messages.iter().map(|(_, m)| m.header().msg_type).collect();
    assert_eq!(types, BTreeSet::from([1, 2, 3, 5, 18, 24]));
    // about 100k sentences for 10 h and 60 vessels
    let (nmea, fixes, tips) = s.counts();
    assert!((50_000..250_000).contains(&nmea), "{nmea}");
    assert!(fixes > 1000 && tips >= 1, "{fixes} {tips}");
}

#[test]
fn background_vessels_are_clean() {
    for demo_district in [false, true] {
        let s = scenario(demo_district);
        let district = if demo_district { demo() } else { synthetic() };
        let planted = planted(s);
        let fences = FenceSet::compile(&s.geography.geofences).unwrap();
        let docks: Vec<([f64; 2], bool)> = district
            .risk_points
            .iter()
            .filter(|f| f.properties["kind"] == "dock")
            .filter_map(|f| match &f.geometry {
                Some(Geometry::Point(p)) => {
                    Some(([p.x(), p.y()], f.properties["registered"] == true))
                }
                _ => None,
            })
            .collect();
        let near_dock = |at: [f64; 2], m: f64, registered_only: bool| {
            docks
                .iter()
                .any(|(d, reg)| (*reg || !registered_only) && distance_m(*d, at) <= m)
        };
        let on_land = |at: [f64; 2]| {
            district.land.iter().any(|f| match &f.geometry {
                Some(Geometry::Polygon(p)) => p.contains(&Point::new(at[0], at[1])),
                Some(Geometry::MultiPolygon(p)) => p.contains(&Point::new(at[0], at[1])),
                _ => false,
            })
        };
        // per background vessel: positions, first static report, names, IMO
        let mut positions: BTreeMap<u32, Vec<Position>> = BTreeMap::new();
        let mut statics: BTreeMap<u32, (f64, String, Option<u8>)> = BTreeMap::new();
        for (t, m) in decoded(s) {
            let mmsi = m.header().mmsi.get();
            if planted.contains(&mmsi.to_string()) {
                continue;
            }
            match &m {
                AisMessage::Position(p) => positions.entry(mmsi).or_default().push((
                    t,
                    [p.lon_deg.unwrap(), p.lat_deg.unwrap()],
                    f64::from(p.sog_kn.unwrap()),
                    p.nav_status,
                )),
                AisMessage::ClassBPosition(p) => positions.entry(mmsi).or_default().push((
                    t,
                    [p.lon_deg.unwrap(), p.lat_deg.unwrap()],
                    f64::from(p.sog_kn.unwrap()),
                    15,
                )),
                AisMessage::StaticVoyage(v) => {
                    assert!(
                        v.imo
                            .is_none_or(|imo| imo == 0 || coastwatch_core::identity::imo_valid(imo))
                    );
                    statics.entry(mmsi).or_insert((
                        t,
                        v.shipname.as_str().to_owned(),
                        Some(v.ship_type),
                    ));
                }
                AisMessage::StaticData(d) => {
                    if let Some(name) = &d.shipname {
                        statics
                            .entry(mmsi)
                            .or_insert((t, name.as_str().to_owned(), None));
                    }
                }
                _ => {}
            }
        }
        assert!(positions.len() >= 40, "{}", positions.len());
        for (mmsi, fixes) in &positions {
            assert_eq!(mmsi_problem(*mmsi), None, "{mmsi}");
            let (t_static, name, _) = statics
                .get(mmsi)
                .unwrap_or_else(|| panic!("{mmsi} sends no static report"));
            assert!(t_static - fixes[0].0 <= 60.0, "{mmsi}: static report late");
            assert!(
                !name.trim_matches(['@', ' ']).is_empty(),
                "{mmsi}: empty name"
            );
            for w in fixes.windows(2) {
                let ((t0, a, _, _), (t1, _, _, _)) = (w[0], w[1]);
                assert!(
                    t1 - t0 < 20.0 * 60.0 || near_dock(a, 300.0, true),
                    "{mmsi}: silent {} s at {a:?}",
                    t1 - t0
                );
            }
            for &(t, at, sog, status) in fixes {
                let moored = near_dock(at, 300.0, true);
                assert!(sog > 3.0 || moored, "{mmsi}: {sog} kn at {at:?}, {t}");
                assert!(status != 5 || moored, "{mmsi}: moored away from a dock");
                assert!(
                    !on_land(at) || near_dock(at, 100.0, false),
                    "{mmsi}: on land at {at:?}"
                );
                let inside: Vec<_> = fences
                    .containing(at[0], at[1])
                    .filter(|f| {
                        f.applies_to(ObjectKind::Vessel(ShipCategory::Other))
                            || f.applies_to(ObjectKind::Vessel(ShipCategory::Tanker))
                    })
                    .map(|f| f.id())
                    .collect();
                assert!(
                    inside.is_empty(),
                    "{mmsi}: inside fences {inside:?} at {at:?}"
                );
            }
        }
    }
}

#[test]
fn trucks_keep_to_their_corridors_unless_planted_and_validate() {
    for demo_district in [false, true] {
        let s = scenario(demo_district);
        let fences = FenceSet::compile(&s.geography.geofences).unwrap();
        let deviating: BTreeSet<String> = s
            .truth
            .iter()
            .filter(|i| i.kind == AlertKind::RouteDeviation)
            .map(|i| i.subject_id.clone())
            .collect();
        assert!(!deviating.is_empty());
        let mut corridor = BTreeMap::new();
        for f in &s.vehicles {
            let v: Feature = Layer::Vehicles.validate(f.clone()).unwrap();
            assert_eq!(&v, f, "vehicles are stored normalized");
            assert!(f.id.is_some());
            corridor.insert(
                f.properties["vehicle_id"].as_str().unwrap().to_owned(),
                f.properties["corridor_id"].as_i64(),
            );
        }
        let mut last: BTreeMap<&str, f64> = BTreeMap::new();
        for e in &s.events {
            let SimEvent::VehicleFix {
                t,
                vehicle_id,
                positioned: true,
                lon,
                lat,
                speed_kmh,
                heading_deg,
            } = e
            else {
                continue;
            };
            assert!((0.0..360.0).contains(heading_deg) && *speed_kmh >= 0.0);
            let Some(Some(cid)) = corridor.get(vehicle_id) else {
                assert!(
                    corridor.contains_key(vehicle_id),
                    "{vehicle_id} is not registered"
                );
                continue;
            };
            if let Some(prev) = last.insert(vehicle_id, *t) {
                assert!(*t > prev);
                assert!(
                    t - prev <= 600.0 || deviating.contains(vehicle_id),
                    "{vehicle_id} silent at {t}"
                );
            }
            if deviating.contains(vehicle_id) {
                continue;
            }
            let id = coastwatch_core::model::FeatureId::try_from(*cid).unwrap();
            let fence = fences.get(id).unwrap();
            let half = s
                .geography
                .geofences
                .iter()
                .find(|g| g.id == Some(id))
                .unwrap()
                .properties["width_m"]
                .as_f64()
                .unwrap()
                / 2.0;
            let d = fence.distance_to_centre_line_m(*lon, *lat).unwrap();
            assert!(
                d <= half - 10.0 + 0.01,
                "{vehicle_id} {d:.1} m off corridor {cid} at {t}"
            );
        }
    }
}

#[test]
fn files_round_trip() {
    let s = scenario(false);
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path()).unwrap();
    for name in coastwatch_scenario::SCENARIO_FILES {
        assert!(dir.path().join(name).exists(), "{name}");
    }
    let back = Scenario::read(dir.path()).unwrap();
    assert_eq!((back.seed, back.start, back.end), (s.seed, s.start, s.end));
    assert_eq!(back.events.len(), s.events.len());
    assert!(
        back.events == s.events,
        "events differ after the round trip"
    );
    assert_eq!(back.truth, s.truth);
    assert_eq!(back.vehicles, s.vehicles);
    assert_eq!(back.geography.geofences.len(), s.geography.geofences.len());
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap())
            .unwrap();
    let first = &truth["incidents"][0];
    assert!(first["subject"]["type"].is_string() && first["subject"]["id"].is_string());
    assert!(first["window"].as_array().is_some_and(|w| w.len() == 2));
    assert!(first["location"].as_array().is_some_and(|w| w.len() == 2));
    let csv = std::fs::read_to_string(dir.path().join("vehicle_fixes.csv")).unwrap();
    assert!(csv.starts_with("vehicle_id,t,lon,lat,speed_kmh,heading_deg,positioned\n"));
    // the same reports as the terminals send them: one JT/T 808 frame per line
    let hex = std::fs::read_to_string(dir.path().join("vehicle_terminals.hex")).unwrap();
    assert_eq!(hex.lines().count(), csv.lines().count() - 1);
    assert!(
        hex.lines()
            .all(|l| l.starts_with("7e0200") && l.ends_with("7e"))
    );
    // a broken line says where
    std::fs::write(
        dir.path().join("vehicle_fixes.csv"),
        "vehicle_id,t,lon,lat,speed_kmh,heading_deg,positioned\nTRK-001,x,1,2,3,4,1\n",
    )
    .unwrap();
    let err = Scenario::read(dir.path()).unwrap_err().to_string();
    assert!(err.contains("vehicle_fixes.csv:2"), "{err}");
}

#[test]
fn short_or_daytime_runs_skip_what_does_not_fit() {
    // 12:00 to 15:00 local: no night, so no night movement and no night-only fence alert
    let day = ScenarioConfig {
        start_epoch_s: coastwatch_scenario::DEFAULT_START_EPOCH_S - 6 * 3600,
        hours: 3.0,
        vessels: 30,
        trucks: 6,
        ..ScenarioConfig::default()
    };
    let s = generate(demo(), &day).unwrap();
    assert!(
        s.notes.iter().any(|n| n.contains("night_movement")),
        "{:?}",
        s.notes
    );
    assert!(s.truth.iter().all(|i| i.kind != AlertKind::NightMovement));
    assert!(s.truth.iter().any(|i| i.kind == AlertKind::Encounter));
    assert!(s.events.iter().all(|e| e.t() >= s.start && e.t() <= s.end));
    // (the replay's score on this run: tests/tests/scenario.rs)
    // half an hour: next to nothing fits, and nothing breaks
    let short = ScenarioConfig {
        hours: 0.5,
        ..day.clone()
    };
    let s = generate(synthetic(), &short).unwrap();
    assert!(s.notes.len() >= 8, "{:?}", s.notes);
    assert!(s.events.iter().all(|e| e.t() >= s.start && e.t() <= s.end));
    let bad = ScenarioConfig { hours: 0.0, ..day };
    assert!(generate(synthetic(), &bad).is_err());
}

#[test]
fn pacing_compresses_time() {
    let s = scenario(false);
    let (offset, event) = s.paced(10.0).last().unwrap();
    assert!((offset.as_secs_f64() - (event.t() - s.start) / 10.0).abs() < 1e-6);
}

#[test]
fn a_zoomed_camera_films_a_hull_that_is_not_its_ais_name_and_one_without_a_name_by_day() {
    let s = scenario(true);
    let reader = s
        .cameras
        .cameras
        .iter()
        .find(|c| c.name.contains("PTZ"))
        .expect("a zoomed PTZ camera");
    assert!(reader.pose.hfov_deg < 10.0);
    let read: Vec<_> = s
        .truth
        .iter()
        .filter(|i| i.kind == AlertKind::IdentityAnomaly && i.camera_id == Some(reader.feature_id))
        .collect();
    assert_eq!(read.len(), 2, "{read:?}");
    let (mismatch, blank) = (read[0], read[1]);
    assert_eq!(mismatch.subject_type, SubjectType::Vessel);
    assert_eq!(blank.subject_type, SubjectType::CameraTrack);
    assert_eq!(blank.subject_id, format!("{}/", reader.feature_id));
    for due in [mismatch, blank] {
        assert!(
            reader
                .clips
                .iter()
                .any(|[a, b]| *a <= due.start && *b >= due.end),
            "{due:?} is not filmed"
        );
    }
    // the AIS vessel shows a number that is not its name; the boat without AIS shows none
    let mmsi: u32 = mismatch.subject_id.parse().unwrap();
    let vessel = s
        .cameras
        .tracks
        .iter()
        .find(|t| t.mmsi == Some(mmsi))
        .unwrap();
    let painted = vessel.marking.as_deref().unwrap();
    assert!(painted.starts_with("浙岱渔"), "{painted}");
    assert!(mismatch.note.contains(painted));
    let unnamed = s
        .cameras
        .tracks
        .iter()
        .find(|t| t.id.starts_with("blank-"))
        .unwrap();
    assert_eq!((unnamed.mmsi, unnamed.marking.as_deref()), (None, None));
    // every other AIS vessel carries its own name
    let named = s
        .cameras
        .tracks
        .iter()
        .filter(|t| t.mmsi.is_some_and(|m| m != mmsi))
        .all(|t| t.marking.is_some());
    assert!(named);
}

#[test]
fn a_checkpoint_camera_films_a_watched_truck_driving_away_by_day() {
    let s = scenario(true);
    let scene = &s.cameras;
    let checkpoint = scene
        .cameras
        .iter()
        .find(|c| c.name.contains("checkpoint"))
        .expect("a checkpoint camera");
    assert!(checkpoint.pose.hfov_deg < 15.0, "{:?}", checkpoint.pose);
    let trucks: Vec<_> = scene.tracks.iter().filter(|t| t.truck).collect();
    assert_eq!(trucks.len(), 1);
    let (truck, plate) = (trucks[0], trucks[0].marking.as_deref().unwrap());
    assert_eq!(truck.mmsi, None);
    // its plate is on the watch list, and its truth is the checkpoint camera's track
    assert_eq!(scene.watchlist.len(), 1);
    assert_eq!(scene.watchlist[0].plate, plate);
    let due: Vec<_> = s
        .truth
        .iter()
        .filter(|i| i.kind == AlertKind::WatchlistVehicle)
        .collect();
    assert_eq!(due.len(), 1, "{due:?}");
    let due = due[0];
    assert_eq!(due.subject_type, SubjectType::CameraTrack);
    assert_eq!(due.subject_id, format!("{}/", checkpoint.feature_id));
    assert_eq!(due.camera_id, Some(checkpoint.feature_id));
    assert!(due.note.contains(plate));
    assert!(
        checkpoint
            .clips
            .iter()
            .any(|[a, b]| *a <= due.start && *b >= due.end),
        "{due:?} is not filmed"
    );
    // in view and driving away from the camera (it shows its rear) while due, by day
    let camera = [checkpoint.pose.lon, checkpoint.pose.lat];
    let mut t = due.start;
    while t <= due.end {
        let seen = truck.at(t).expect("on the road");
        assert!(checkpoint.sees(seen.lonlat, 0.0), "{t}");
        let ahead = truck.at(t + 1.0).unwrap();
        assert!(distance_m(camera, ahead.lonlat) > distance_m(camera, seen.lonlat));
        t += 1.0;
    }
    let hour = ((due.start / 3600.0 + 8.0) % 24.0).floor();
    assert!((6.0..19.0).contains(&hour), "{hour}");
    // a truck is no dark vessel
    assert!(
        s.truth
            .iter()
            .filter(|i| i.kind == AlertKind::DarkVessel)
            .all(|i| !i.note.contains(&truck.id))
    );
}

#[test]
fn the_demo_cameras_film_the_dark_boats_in_short_clips() {
    let s = scenario(true);
    let scene = &s.cameras;
    // two sea cameras, the PTZ camera zoomed to read hulls, a checkpoint's to read plates
    assert_eq!(scene.cameras.len(), 4, "{:?}", s.notes);
    let dark: Vec<_> = scene
        .tracks
        .iter()
        .filter(|t| t.id.starts_with("dark-"))
        .collect();
    assert_eq!(dark.len(), 3);
    let truths: Vec<_> = s
        .truth
        .iter()
        .filter(|i| i.kind == AlertKind::DarkVessel)
        .collect();
    assert!(truths.len() >= dark.len(), "{truths:?}");
    for track in &dark {
        // every planted boat is due while a camera sees it, and a clip films it
        let due = truths
            .iter()
            .find(|i| i.note.contains(&track.id))
            .unwrap_or_else(|| panic!("{} has no truth", track.id));
        let camera = scene
            .cameras
            .iter()
            .find(|c| due.subject_id == format!("{}/", c.feature_id))
            .expect("a camera");
        assert!(due.end - due.start >= 20.0);
        assert!(
            camera
                .clips
                .iter()
                .any(|[a, b]| *a <= due.start && *b >= due.end),
            "{due:?}"
        );
    }
    // AIS vessels pass the cameras too, and the clips are a small part of the night
    assert!(scene.tracks.iter().any(|t| t.mmsi.is_some()));
    for camera in &scene.cameras {
        let filmed: f64 = camera.clips.iter().map(|[a, b]| b - a).sum();
        println!(
            "{}: {} clips, {:.0} min filmed",
            camera.name,
            camera.clips.len(),
            filmed / 60.0
        );
        assert!(filmed < 0.5 * (s.end - s.start), "{filmed}");
    }
}
