use jiff::Timestamp;

use super::*;

const FRAME_MS: i64 = 100;

fn at(frame: u64) -> Timestamp {
    Timestamp::from_millisecond(1_700_000_000_000 + frame as i64 * FRAME_MS).unwrap()
}

fn det(cx: f32, cy: f32, size: f32, score: f32, class: ObjectClass) -> Detection {
    Detection {
        bbox: BBox::from_center(cx, cy, size, size),
        score,
        class,
    }
}

fn vessel(cx: f32, cy: f32, score: f32) -> Detection {
    det(cx, cy, 40.0, score, ObjectClass::Vessel)
}

/// Uniform noise in −1..=1, reproducible.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 % 2001) as f32 / 1000.0 - 1.0
    }
}

fn ids(out: &[TrackOutput]) -> Vec<u64> {
    out.iter().map(|o| o.id).collect()
}

/// A box moving right by 4 px a frame from x = 100; seen unless `hidden(frame)`, scored by
/// `score(frame)`. Returns every frame's output.
fn run_mover(
    tracker: &mut Tracker,
    frames: u64,
    hidden: impl Fn(u64) -> bool,
    score: impl Fn(u64) -> f32,
) -> Vec<Vec<TrackOutput>> {
    (0..frames)
        .map(|i| {
            let dets = if hidden(i) {
                vec![]
            } else {
                vec![vessel(100.0 + 4.0 * i as f32, 200.0, score(i))]
            };
            tracker.update(i, at(i), &dets)
        })
        .collect()
}

#[test]
fn a_noisy_moving_box_keeps_one_id() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut noise = Noise(7);
    for i in 0..100u64 {
        let (cx, cy) = (100.0 + 3.0 * i as f32, 200.0 + i as f32);
        let truth = BBox::from_center(cx, cy, 40.0, 30.0);
        let bbox = BBox {
            x: truth.x + 2.0 * noise.next(),
            y: truth.y + 2.0 * noise.next(),
            w: truth.w + 2.0 * noise.next(),
            h: truth.h + 2.0 * noise.next(),
        };
        let dets = [Detection {
            bbox,
            score: 0.9,
            class: ObjectClass::Vessel,
        }];
        let out = tracker.update(i, at(i), &dets);
        if i < 2 {
            assert!(out.is_empty(), "frame {i}");
            continue;
        }
        assert_eq!(ids(&out), vec![1], "frame {i}");
        let (fx, fy) = out[0].bbox.center();
        assert!(
            (fx - cx).abs() < 3.0 && (fy - cy).abs() < 3.0,
            "frame {i}: off by ({}, {})",
            fx - cx,
            fy - cy
        );
        assert_eq!(out[0].hits as u64, i + 1);
    }
    assert_eq!(tracker.tracks().len(), 1);
}

#[test]
fn crossing_boxes_keep_their_ids_through_an_occlusion() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut noise = Noise(11);
    let a = |i: u64| (100.0 + 4.0 * i as f32, 200.0);
    let b = |i: u64| (500.0 - 4.0 * i as f32, 215.0);
    let mut id_of = std::collections::BTreeMap::new();
    for i in 0..100u64 {
        let mut dets = vec![];
        let (ax, ay) = a(i);
        dets.push(vessel(ax + noise.next(), ay + noise.next(), 0.9));
        // They meet at frame 50; B is hidden behind A for frames 44..=56.
        if !(44..=56).contains(&i) {
            let (bx, by) = b(i);
            dets.push(vessel(bx + noise.next(), by + noise.next(), 0.8));
        }
        for o in tracker.update(i, at(i), &dets) {
            let (_, cy) = o.bbox.center();
            let near_a = (cy - 200.0).abs() < (cy - 215.0).abs();
            let truth = if near_a { "a" } else { "b" };
            assert_eq!(
                *id_of.entry(o.id).or_insert(truth),
                truth,
                "frame {i}: id {} switched",
                o.id
            );
        }
    }
    assert_eq!(id_of.len(), 2, "{id_of:?}");
    let live = tracker.tracks();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|s| s.hits > 80 && !s.lost));
}

#[test]
fn low_score_detections_carry_a_track_through_occlusion() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let scores = |i: u64| if (20..30).contains(&i) { 0.2 } else { 0.9 };
    let outs = run_mover(&mut tracker, 50, |_| false, scores);
    for (i, out) in outs.iter().enumerate().skip(2) {
        assert_eq!(ids(out), vec![1], "frame {i}");
    }
    assert!((outs[25][0].score - 0.2).abs() < 1e-6);
}

#[test]
fn low_score_detections_alone_start_nothing() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let outs = run_mover(&mut tracker, 20, |_| false, |_| 0.4);
    assert!(outs.iter().all(Vec::is_empty));
    assert!(tracker.tracks().is_empty());
}

#[test]
fn a_track_survives_gaps_up_to_max_misses() {
    for gap in [10, 30] {
        let mut tracker = Tracker::new(TrackerConfig::default());
        let hidden = |i: u64| (20..20 + gap).contains(&i);
        let outs = run_mover(&mut tracker, 60 + gap, hidden, |_| 0.9);
        for (i, out) in outs.iter().enumerate().skip(2) {
            let expected = if hidden(i as u64) { vec![] } else { vec![1] };
            assert_eq!(ids(out), expected, "gap {gap}, frame {i}");
        }
    }
}

#[test]
fn a_lost_track_ends_after_max_misses() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    run_mover(&mut tracker, 10, |_| false, |_| 0.9);
    // Last match at frame 9; frames 10..=39 are 30 misses.
    for i in 10..=39 {
        assert!(tracker.update(i, at(i), &[]).is_empty());
        assert!(tracker.ended().is_empty(), "frame {i}");
        let live = tracker.tracks();
        assert!(live.len() == 1 && live[0].lost, "frame {i}");
    }
    tracker.update(40, at(40), &[]);
    let ended = tracker.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(
        (ended[0].id, ended[0].last_frame, ended[0].hits),
        (1, 9, 10)
    );
    assert!(tracker.tracks().is_empty());
    tracker.update(41, at(41), &[]);
    assert!(tracker.ended().is_empty(), "ended is per update");
}

#[test]
fn skipped_frames_count_as_misses() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    run_mover(&mut tracker, 10, |_| false, |_| 0.9);
    // The next update comes 20 frames later, where constant velocity puts the box.
    let out = tracker.update(29, at(29), &[vessel(100.0 + 4.0 * 29.0, 200.0, 0.9)]);
    assert_eq!(ids(&out), vec![1]);
    tracker.update(60, at(60), &[]);
    assert_eq!(tracker.ended().len(), 1);
}

#[test]
fn nothing_is_output_before_min_hits() {
    for min_hits in [1, 3, 5] {
        let config = TrackerConfig {
            min_hits,
            ..TrackerConfig::default()
        };
        let mut tracker = Tracker::new(config);
        let outs = run_mover(&mut tracker, 8, |_| false, |_| 0.9);
        let first = outs.iter().position(|o| !o.is_empty()).unwrap();
        assert_eq!(first as u32, min_hits.max(1) - 1);
        let o = &outs[first][0];
        assert_eq!(
            (o.id, o.hits, o.first_frame, o.first_seen),
            (1, min_hits.max(1), 0, at(0))
        );
        assert_eq!(o.last_seen, at(first as u64));
    }
}

#[test]
fn a_tentative_track_dies_at_its_first_miss() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let outs = run_mover(&mut tracker, 10, |i| i == 2, |_| 0.9);
    // Hits at 0 and 1, a miss at 2, then a fresh start at 3 confirmed at 5 as id 1.
    assert!(outs[..5].iter().all(Vec::is_empty));
    assert_eq!(ids(&outs[5]), vec![1]);
    assert_eq!((outs[5][0].first_frame, outs[5][0].hits), (3, 3));
}

#[test]
fn a_one_frame_false_positive_never_becomes_a_track() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    for i in 0..20u64 {
        let mut dets = vec![vessel(100.0 + 4.0 * i as f32, 200.0, 0.9)];
        if i == 0 || i == 10 {
            dets.push(vessel(600.0, 400.0, 0.95));
        }
        let out = tracker.update(i, at(i), &dets);
        assert!(out.iter().all(|o| o.id == 1), "frame {i}: {:?}", ids(&out));
    }
    assert_eq!(tracker.tracks().len(), 1);
    // The next real object gets the next id: the false positives took none.
    for i in 20..23u64 {
        let dets = [
            vessel(100.0 + 4.0 * i as f32, 200.0, 0.9),
            vessel(600.0, 400.0, 0.9),
        ];
        let out = tracker.update(i, at(i), &dets);
        if i == 22 {
            assert_eq!(ids(&out), vec![1, 2]);
        }
    }
}

#[test]
fn the_class_follows_the_score_weighted_majority() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut classes = vec![];
    for i in 0..12u64 {
        // Person ×3 at 0.9 (2.7), then vessel at 0.6: 3.0 > 2.7 after five, at frame 7 (a plain
        // count would switch at frame 6).
        let (class, score) = if i < 3 {
            (ObjectClass::Person, 0.9)
        } else {
            (ObjectClass::Vessel, 0.6)
        };
        let out = tracker.update(i, at(i), &[det(100.0, 100.0, 40.0, score, class)]);
        if let Some(o) = out.first() {
            assert_eq!(o.id, 1, "a class change does not break the match");
            classes.push((i, o.class));
        }
    }
    for (i, class) in classes {
        let expected = if i < 7 {
            ObjectClass::Person
        } else {
            ObjectClass::Vessel
        };
        assert_eq!(class, expected, "frame {i}");
    }
}

#[test]
fn ids_are_never_reused() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut seen = vec![];
    let mut frame = 0;
    for _life in 0..4 {
        for _ in 0..10 {
            for o in tracker.update(frame, at(frame), &[vessel(300.0, 300.0, 0.9)]) {
                if seen.last() != Some(&o.id) {
                    seen.push(o.id);
                }
            }
            frame += 1;
        }
        frame += 40; // Long enough for the track to end.
        tracker.update(frame, at(frame), &[]);
        assert_eq!(tracker.ended().len(), 1);
        frame += 1;
    }
    assert_eq!(seen, vec![1, 2, 3, 4]);
    for frame in 1000..1003 {
        tracker.update(frame, at(frame), &[vessel(50.0, 50.0, 0.9)]);
    }
    assert_eq!(
        tracker.finish().iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![5]
    );
    assert!(tracker.tracks().is_empty());
    for i in 0..3 {
        let out = tracker.update(i, at(i), &[vessel(50.0, 50.0, 0.9)]);
        if i == 2 {
            assert_eq!(ids(&out), vec![6], "finish keeps the id counter");
        }
    }
}

#[test]
fn best_marks_the_frame_with_the_largest_area_times_score() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut outputs = vec![];
    for i in 0..40u64 {
        // The box grows to frame 20 and shrinks after; the score dips at 15..18 and peaks at 24.
        let size = 40.0 + 2.0 * (20.0 - (i as f32 - 20.0).abs());
        let score = match i {
            15..=18 => 0.55,
            24 => 1.0,
            _ => 0.8,
        };
        let out = tracker.update(
            i,
            at(i),
            &[det(200.0, 200.0, size, score, ObjectClass::Vessel)],
        );
        outputs.extend(out.into_iter().map(|o| (i, o)));
    }
    let value = |o: &TrackOutput| o.bbox.area() * o.score;
    let mut best_so_far = f32::NEG_INFINITY;
    for (i, o) in &outputs {
        assert_eq!(o.best, value(o) > best_so_far, "frame {i}");
        best_so_far = best_so_far.max(value(o));
    }
    let (argmax, _) = outputs
        .iter()
        .max_by(|a, b| value(&a.1).total_cmp(&value(&b.1)))
        .unwrap();
    let last_best = outputs.iter().rfind(|(_, o)| o.best).unwrap().0;
    assert_eq!(last_best, *argmax);
    assert!(
        (19..=24).contains(argmax),
        "the peak is near frame 20: {argmax}"
    );
    assert_eq!(tracker.tracks()[0].best_frame, *argmax);
}

#[test]
fn best_stays_on_the_first_of_equal_frames() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let bests: Vec<bool> = (0..10)
        .flat_map(|i| tracker.update(i, at(i), &[vessel(80.0, 80.0, 0.9)]))
        .map(|o| o.best)
        .collect();
    assert_eq!(bests.len(), 8);
    assert_eq!(bests.iter().filter(|&&b| b).count(), 1, "{bests:?}");
    assert!(bests[0]);
}

#[test]
fn config_defaults_and_validation() {
    let config: TrackerConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config, TrackerConfig::default());
    assert_eq!(config.validate(), Ok(()));
    let config: TrackerConfig = serde_json::from_str(r#"{"min_hits": 5}"#).unwrap();
    assert_eq!((config.min_hits, config.max_misses), (5, 30));
    assert!(serde_json::from_str::<TrackerConfig>(r#"{"min_hit": 5}"#).is_err());
    let bad = TrackerConfig {
        low_score: 0.7,
        ..TrackerConfig::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(TrackerConfigError::LowAboveHigh { .. })
    ));
    let bad = TrackerConfig {
        match_iou: f32::NAN,
        ..TrackerConfig::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(TrackerConfigError::OutOfRange {
            name: "match_iou",
            ..
        })
    ));
}

#[test]
fn outputs_serialize_with_rfc3339_times() {
    let mut tracker = Tracker::new(TrackerConfig {
        min_hits: 1,
        ..TrackerConfig::default()
    });
    let out = tracker.update(0, at(0), &[vessel(50.0, 50.0, 0.9)]);
    let json = serde_json::to_value(&out[0]).unwrap();
    assert_eq!(json["first_seen"], "2023-11-14T22:13:20Z");
    assert_eq!(json["class"], "vessel");
    let back: TrackOutput = serde_json::from_value(json).unwrap();
    assert_eq!(back, out[0]);
}

#[test]
fn unusable_detections_are_ignored() {
    let mut tracker = Tracker::new(TrackerConfig {
        min_hits: 1,
        ..TrackerConfig::default()
    });
    let dets = [
        vessel(f32::NAN, 50.0, 0.9),
        vessel(50.0, 50.0, f32::NAN),
        det(50.0, 50.0, 0.0, 0.9, ObjectClass::Vessel),
    ];
    assert!(tracker.update(0, at(0), &dets).is_empty());
}
