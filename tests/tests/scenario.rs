//! The demo scenario end to end through the binary: export, then replay through a fresh
//! server and score the alerts against the planted incidents, on seeds the detectors were
//! not tuned on.

use std::process::Command;

use coastwatch_tests::coastwatch_bin;
use serde_json::Value;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(coastwatch_bin()).args(args).output().unwrap()
}

#[test]
fn exported_scenarios_score_well_on_untuned_seeds() {
    let dir = tempfile::tempdir().unwrap();
    for seed in ["101", "202", "303"] {
        let out = dir.path().join(seed);
        let out = out.to_str().unwrap();
        let export = run(&["scenario", "export", "--out", out, "--seed", seed]);
        assert!(
            export.status.success(),
            "{}",
            String::from_utf8_lossy(&export.stderr)
        );
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{out}/truth.json")).unwrap())
                .unwrap();
        assert_eq!(truth["seed"].to_string(), seed);

        let eval = run(&["scenario", "eval", out, "--json"]);
        assert!(
            eval.status.success(),
            "{}",
            String::from_utf8_lossy(&eval.stderr)
        );
        let report: Value = serde_json::from_slice(&eval.stdout).unwrap();
        let kinds = report["kinds"].as_array().unwrap();
        for kind in kinds {
            let name = kind["kind"].as_str().unwrap();
            assert!(
                kind["truths"].as_u64().unwrap() > 0,
                "seed {seed}: no {name} planted"
            );
            let (precision, recall) = (
                kind["precision"].as_f64().unwrap(),
                kind["recall"].as_f64().unwrap(),
            );
            assert!(
                precision >= 0.9 && recall >= 0.95,
                "seed {seed}, {name}: precision {precision}, recall {recall}; misses {}, false alarms {}",
                report["misses"],
                report["false_alarms"]
            );
        }
        assert_eq!(kinds.len(), 12, "every kind but dark_vessel is scored");
    }
}

#[test]
fn eval_of_a_folder_that_is_not_a_scenario_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let eval = run(&["scenario", "eval", dir.path().to_str().unwrap()]);
    assert_eq!(eval.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&eval.stderr).contains("truth.json"));
    let export = run(&[
        "scenario",
        "export",
        "--out",
        dir.path().to_str().unwrap(),
        "--hours",
        "0",
    ]);
    assert_eq!(export.status.code(), Some(2));
}
