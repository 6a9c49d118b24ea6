//! Hand-made sequences whose scores can be worked out on paper.

use super::*;

/// A 10 × 10 box at (`x`, 0), one MOTChallenge line.
fn b(frame: u64, id: i64, x: f64) -> String {
    format!("{frame},{id},{x},0,10,10,1,-1,-1,-1\n")
}

fn seq(lines: &[String]) -> Sequence {
    Sequence::parse(&lines.concat()).unwrap()
}

fn eval(gt: &[String], test: &[String]) -> SequenceMetrics {
    evaluate(&seq(gt), &seq(test), &EvalOptions::default())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn perfect_tracking_scores_one() {
    let lines: Vec<String> = (1..=3)
        .flat_map(|f| [b(f, 1, 0.0), b(f, 2, 50.0)])
        .collect();
    let m = eval(&lines, &lines);
    assert_eq!(
        (
            m.num_matches,
            m.num_switches,
            m.num_misses,
            m.num_false_positives
        ),
        (6, 0, 0, 0)
    );
    assert_eq!(
        (m.mota, m.motp, m.idf1, m.hota, m.loc_a),
        (1.0, 0.0, 1.0, 1.0, 1.0)
    );
    assert_eq!(
        (m.mostly_tracked, m.partially_tracked, m.mostly_lost),
        (2, 0, 0)
    );
}

#[test]
fn an_id_switch() {
    let gt: Vec<String> = (1..=4).map(|f| b(f, 1, 0.0)).collect();
    let test: Vec<String> = (1..=4)
        .map(|f| b(f, if f <= 2 { 7 } else { 8 }, 0.0))
        .collect();
    let m = eval(&gt, &test);
    assert_eq!(
        (m.num_matches, m.num_switches, m.num_fragmentations),
        (3, 1, 0)
    );
    assert!(close(m.mota, 0.75));
    // Only one tracker trajectory can carry the object's identity: 2 of 4 boxes each way.
    assert_eq!((m.idtp, m.idfp, m.idfn), (2, 2, 2));
    assert!(close(m.idf1, 0.5) && close(m.idp, 0.5) && close(m.idr, 0.5));
    // Every box is detected; each true positive's trajectories overlap by 2 / (4 + 2 - 2).
    assert!(close(m.det_a, 1.0) && close(m.ass_a, 0.5));
    assert!(close(m.hota, 0.5_f64.sqrt()));
}

#[test]
fn a_fragmentation_and_a_trailing_miss() {
    let gt: Vec<String> = (1..=6).map(|f| b(f, 1, 0.0)).collect();
    let test: Vec<String> = [1, 2, 4, 5].into_iter().map(|f| b(f, 7, 0.0)).collect();
    let m = eval(&gt, &test);
    // The miss in frame 3 interrupts the track; the one in frame 6 only ends it.
    assert_eq!(
        (m.num_fragmentations, m.num_misses, m.num_switches),
        (1, 2, 0)
    );
    assert_eq!(
        (m.mostly_tracked, m.partially_tracked, m.mostly_lost),
        (0, 1, 0)
    );
    assert!(close(m.recall, 4.0 / 6.0) && close(m.precision, 1.0));
}

#[test]
fn last_frames_pair_is_kept_while_close_enough() {
    // In frame 2, hypothesis 8 fits better, but 7 still overlaps (IoU 70/130) and keeps it.
    let gt = [b(1, 1, 0.0), b(2, 1, 0.0)];
    let test = [b(1, 7, 0.0), b(2, 7, 3.0), b(2, 8, 0.0)];
    let m = eval(&gt, &test);
    assert_eq!(
        (m.num_matches, m.num_switches, m.num_false_positives),
        (2, 0, 1)
    );
    assert!(close(m.motp, (1.0 - 70.0 / 130.0) / 2.0));
    // HOTA prefers 8 (TrackEval 1.3.0's `HOTA.eval_sequence` on this case: 0.527046).
    assert!((m.hota - 0.527046).abs() < 1e-6 && (m.ass_a - 5.0 / 12.0).abs() < 1e-9);
}

#[test]
fn unmatched_predictions_and_empty_frames() {
    // Frame 1: a hypothesis far from the object; frame 2: nothing; frame 3: a match;
    // frame 4: a hypothesis alone.
    let gt = [b(1, 1, 0.0), b(3, 1, 0.0)];
    let test = [b(1, 7, 100.0), b(3, 7, 0.0), b(4, 7, 0.0)];
    let m = eval(&gt, &test);
    assert_eq!(m.num_frames, 3);
    assert_eq!(
        (m.num_matches, m.num_misses, m.num_false_positives),
        (1, 1, 2)
    );
    assert!(close(m.mota, 1.0 - 3.0 / 2.0));
    assert_eq!((m.num_objects, m.num_predictions), (2, 3));
    assert!(close(m.det_a, 1.0 / 4.0));
    // One true positive; its trajectories have 2 and 3 boxes: AssA 1 / (2 + 3 - 1).
    assert!(close(m.ass_a, 0.25) && close(m.hota, 0.25));
}

#[test]
fn iou_of_exactly_the_threshold_matches() {
    let gt = [
        "1,1,0,0,10,10,1\n".to_owned(),
        "2,1,0,0,10,10,1\n".to_owned(),
    ];
    let test = [
        "1,7,0,0,10,20,1\n".to_owned(),
        "2,7,0,0,10,21,1\n".to_owned(),
    ];
    let m = eval(&gt, &test);
    assert_eq!(
        (m.num_matches, m.num_misses, m.num_false_positives),
        (1, 1, 1)
    );
    assert!(close(m.motp, 0.5));
}

#[test]
fn empty_sequences_give_nan_ratios_not_panics() {
    let gt = [b(1, 1, 0.0)];
    let m = eval(&gt, &[]);
    assert_eq!((m.num_misses, m.mostly_lost), (1, 1));
    assert_eq!((m.mota, m.recall, m.hota, m.det_a), (0.0, 0.0, 0.0, 0.0));
    assert!(m.motp.is_nan() && m.precision.is_nan());
    let m = eval(&[], &[]);
    assert_eq!(m.num_frames, 0);
    assert!(m.mota.is_nan() && m.idf1.is_nan());
    let json = serde_json::to_value(&m).unwrap();
    assert!(json["mota"].is_null());
    assert!(json.get("curves").is_none() && json.get("distance_sum").is_none());
}

#[test]
fn overall_sums_counts_and_recomputes_ratios() {
    let a = eval(&[b(1, 1, 0.0), b(2, 1, 0.0)], &[b(1, 7, 0.0)]).with_name("a");
    let b_ = eval(&[b(1, 1, 0.0)], &[b(1, 7, 0.0), b(1, 8, 40.0)]).with_name("b");
    let all = overall(&[a.clone(), b_.clone()]);
    assert_eq!(all.name, "OVERALL");
    assert_eq!(
        (all.num_objects, all.num_misses, all.num_false_positives),
        (3, 1, 1)
    );
    assert_eq!(all.num_unique_objects, 2);
    assert!(close(all.mota, 1.0 - 2.0 / 3.0));
    assert!(close(all.idf1, 2.0 * 2.0 / 6.0));
    let table = render_table(&[a, b_, all]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].contains("IDF1") && lines[0].ends_with("AssA"));
    assert!(lines[3].starts_with("OVERALL") && lines[3].contains("33.3%"));
}

#[test]
fn mot16_filter_ignores_distractors_and_zero_marked_boxes() {
    let gt = Sequence::parse(
        "1,1,0,0,10,10,1,1,1\n\
         1,2,50,0,10,10,1,7,1\n\
         1,3,100,0,10,10,0,1,1\n",
    )
    .unwrap();
    // One box on the pedestrian, one on the static person, one on the zero-marked box.
    let test = seq(&[b(1, 7, 0.0), b(1, 8, 50.0), b(1, 9, 100.0)]);
    let mot16 = EvalOptions {
        filter: GtFilter::Mot16,
        ..EvalOptions::default()
    };
    let m = evaluate(&gt, &test, &mot16);
    // The static person's box is dropped, the zero-marked ground truth too, so box 9 is an FP.
    assert_eq!((m.num_objects, m.num_predictions), (1, 2));
    assert_eq!((m.num_matches, m.num_false_positives), (1, 1));
    let m = evaluate(&gt, &test, &EvalOptions::default());
    assert_eq!(
        (m.num_objects, m.num_matches, m.num_false_positives),
        (3, 3, 0)
    );
    let drop_zero = EvalOptions {
        filter: GtFilter::DropZeroConf,
        ..EvalOptions::default()
    };
    let m = evaluate(&gt, &test, &drop_zero);
    assert_eq!(
        (m.num_objects, m.num_matches, m.num_false_positives),
        (2, 2, 1)
    );
}
