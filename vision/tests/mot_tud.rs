//! The metrics on the MOTChallenge sequences TUD-Campus and TUD-Stadtmitte against the values
//! motmetrics 1.4.0 and TrackEval 1.3.0 compute on the same files.
//!
//! The data is not in the repository: `vision/scripts/fetch-mot-data.sh DIR` fetches it, and
//! `COASTWATCH_MOT_DATA=DIR` points this test at it.

use std::path::{Path, PathBuf};

use coastwatch_vision::metrics::{
    EvalOptions, Sequence, SequenceMetrics, evaluate, overall, render_table,
};

/// The data directory, or `None` (with a note) outside CI when none is configured.
fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("COASTWATCH_MOT_DATA") {
        Some(dir) => Some(dir.into()),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but COASTWATCH_MOT_DATA is not set")
        }
        None => {
            eprintln!(
                "skipping the TUD metrics test: COASTWATCH_MOT_DATA is not set \
                 (vision/scripts/fetch-mot-data.sh DIR fetches the data)"
            );
            None
        }
    }
}

fn read(path: &Path) -> Sequence {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Sequence::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reference values for one row.
struct Expected {
    name: &'static str,
    // motmetrics
    idf1: f64,
    idp: f64,
    idr: f64,
    recall: f64,
    precision: f64,
    counts: [usize; 8], // GT, MT, PT, ML, FP, FN, IDs, FM
    mota: f64,
    motp: f64,
    totals: [usize; 3], // num_objects, num_predictions, num_matches
    // TrackEval
    hota: [f64; 8], // HOTA, DetA, AssA, LocA, DetRe, DetPr, AssRe, AssPr
}

// CLEAR MOT and identity values: motmetrics 1.4.0 (PyPI wheel), its test
// `tests/test_metrics.py::test_motchallenge_files` — `loadtxt` with default options,
// `utils.compare_to_groundtruth(gt, test, "iou", distth=0.5)`, `compute_many(...,
// generate_overall=True)`. The first fifteen numbers of each row are that test's `expected`
// table; num_objects, num_predictions and num_matches were printed by the same computation
// (numpy 1.26.4, pandas 2.1.4, scipy 1.17.1).
//
// HOTA values: TrackEval 1.3.0 (PyPI), `trackeval.Evaluator` with
// `datasets.MotChallenge2DBox` (BENCHMARK "MOT15", SPLIT_TO_EVAL "train", the motmetrics files
// as `gt/gt.txt` and tracker `data/<seq>.txt`, seqinfo.ini seqLength 71 and 179) and
// `metrics.HOTA()`; each value is `numpy.mean` of the per-alpha array, OVERALL is
// `COMBINED_SEQ` (numpy 2.4.6, scipy 1.17.1). TrackEval's CLEAR and Identity metrics gave the
// same MOTA, switches, fragmentations, MT/PT/ML, FP, FN and IDF1 as motmetrics on these files.
const EXPECTED: [Expected; 3] = [
    Expected {
        name: "TUD-Campus",
        idf1: 0.557659,
        idp: 0.729730,
        idr: 0.451253,
        recall: 0.582173,
        precision: 0.941441,
        counts: [8, 1, 6, 1, 13, 150, 7, 7],
        mota: 0.526462,
        motp: 0.277201,
        totals: [359, 222, 202],
        hota: [
            0.391397, 0.418047, 0.369121, 0.770052, 0.441577, 0.714083, 0.383225, 0.754050,
        ],
    },
    Expected {
        name: "TUD-Stadtmitte",
        idf1: 0.644619,
        idp: 0.819760,
        idr: 0.531142,
        recall: 0.608997,
        precision: 0.939920,
        counts: [10, 5, 4, 1, 45, 452, 7, 6],
        mota: 0.564014,
        motp: 0.345904,
        totals: [1156, 749, 697],
        hota: [
            0.397849, 0.392268, 0.408841, 0.737521, 0.413131, 0.637622, 0.449219, 0.631203,
        ],
    },
    Expected {
        name: "OVERALL",
        idf1: 0.624296,
        idp: 0.799176,
        idr: 0.512211,
        recall: 0.602640,
        precision: 0.940268,
        counts: [18, 6, 10, 2, 58, 602, 14, 13],
        mota: 0.555116,
        motp: 0.330177,
        totals: [1515, 971, 899],
        hota: [
            0.399957, 0.397683, 0.412450, 0.732480, 0.419871, 0.655103, 0.450665, 0.692211,
        ],
    },
];

fn check(got: &SequenceMetrics, want: &Expected) {
    assert_eq!(got.name, want.name);
    let near = |what: &str, g: f64, w: f64| {
        assert!(
            (g - w).abs() <= 1e-3,
            "{}: {what} is {g}, expected {w}",
            want.name
        );
    };
    near("IDF1", got.idf1, want.idf1);
    near("IDP", got.idp, want.idp);
    near("IDR", got.idr, want.idr);
    near("recall", got.recall, want.recall);
    near("precision", got.precision, want.precision);
    near("MOTA", got.mota, want.mota);
    near("MOTP", got.motp, want.motp);
    let counts = [
        got.num_unique_objects,
        got.mostly_tracked,
        got.partially_tracked,
        got.mostly_lost,
        got.num_false_positives,
        got.num_misses,
        got.num_switches,
        got.num_fragmentations,
    ];
    assert_eq!(
        counts, want.counts,
        "{}: GT MT PT ML FP FN IDs FM",
        want.name
    );
    let totals = [got.num_objects, got.num_predictions, got.num_matches];
    assert_eq!(
        totals, want.totals,
        "{}: objects predictions matches",
        want.name
    );
    let hota = [
        got.hota, got.det_a, got.ass_a, got.loc_a, got.det_re, got.det_pr, got.ass_re, got.ass_pr,
    ];
    let names = [
        "HOTA", "DetA", "AssA", "LocA", "DetRe", "DetPr", "AssRe", "AssPr",
    ];
    for ((name, g), w) in names.iter().zip(hota).zip(want.hota) {
        near(name, g, w);
    }
}

#[test]
fn tud_sequences_match_motmetrics_and_trackeval() {
    let Some(dir) = data_dir() else {
        return;
    };
    let options = EvalOptions::default();
    let rows: Vec<SequenceMetrics> = EXPECTED[..2]
        .iter()
        .map(|e| {
            let gt = read(&dir.join(e.name).join("gt.txt"));
            let test = read(&dir.join(e.name).join("test.txt"));
            evaluate(&gt, &test, &options).with_name(e.name)
        })
        .collect();
    let all = overall(&rows);
    println!(
        "{}",
        render_table(&[rows[0].clone(), rows[1].clone(), all.clone()])
    );
    for (got, want) in rows.iter().chain([&all]).zip(&EXPECTED) {
        check(got, want);
    }
}
