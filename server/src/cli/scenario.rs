//! `coastwatch scenario export` and `coastwatch scenario eval`.

use std::path::Path;

use coastwatch_scenario::{District, ScenarioConfig, generate};
use coastwatch_server::Config;

use super::{CliError, CliResult};

/// Writes the demo scenario of `seed`, `hours` long, to the folder `out`.
pub fn export(out: &Path, seed: u64, hours: f64) -> CliResult {
    if !(hours.is_finite() && hours > 0.0 && hours <= 240.0) {
        return Err(CliError::input(format!(
            "--hours {hours} must be between 0 and 240"
        )));
    }
    let scenario = generate(
        &District::demo()?,
        &ScenarioConfig {
            seed,
            hours,
            ..ScenarioConfig::default()
        },
    )?;
    scenario.write(out)?;
    let (lines, fixes, tips) = scenario.counts();
    eprintln!(
        "wrote {}: {lines} AIS lines, {fixes} vehicle fixes, {tips} tips, {} planted alerts",
        out.display(),
        scenario.truth.len()
    );
    for note in &scenario.notes {
        eprintln!("note: {note}");
    }
    Ok(())
}

/// Replays the scenario folder `dir` through a fresh server and prints the scores.
pub async fn eval(dir: &Path, json: bool) -> CliResult {
    if !dir.join("truth.json").is_file() {
        return Err(CliError::input(format!(
            "{} is not a scenario folder (no truth.json; write one with `coastwatch scenario export`)",
            dir.display()
        )));
    }
    let report = coastwatch_server::demo::evaluate(dir, Config::default()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}
