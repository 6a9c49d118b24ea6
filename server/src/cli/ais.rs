//! `coastwatch ais decode` and `coastwatch ais replay`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_ais::engine::vessel_updates;
use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
use coastwatch_server::{AppState, ingest};
use coastwatch_store::Store;

use super::{CliError, CliResult, StoreArg, check_speed, load_config, open_store};

/// Decodes `file` (`-` for standard input) to gpsd-style NDJSON; bad lines go to stderr, and
/// make it fail when `strict`.
pub fn decode(file: &Path, strict: bool) -> CliResult {
    let input: Box<dyn std::io::Read> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(file)
                .map_err(|e| CliError::input(format!("cannot read {}: {e}", file.display())))?,
        )
    };
    let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let stderr = std::io::BufWriter::new(std::io::stderr().lock());
    let stats = match decode_to_ndjson(input, stdout, stderr, NdjsonOptions::default()) {
        Ok(stats) => stats,
        // the reader went away (`| head`): not a failure
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    eprintln!(
        "{} lines, {} messages decoded, {} bad lines ({} bad checksums), {} fragments dropped",
        stats.lines, stats.decoded, stats.errors, stats.bad_checksum, stats.dropped_fragments
    );
    if strict && stats.errors > 0 {
        return Err(CliError::input(format!(
            "{} bad lines in {} (--strict)",
            stats.errors,
            file.display()
        )));
    }
    Ok(())
}

/// Feeds the NMEA log `file` through the ingest path on the file's own clock (`speed` times
/// real time, or as fast as it goes) and prints the alerts it raised, each in its final state.
pub async fn replay(file: &Path, speed: Option<f64>, store: &StoreArg) -> CliResult {
    if let Some(speed) = speed {
        check_speed(speed)?;
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::input(format!("cannot read {}: {e}", file.display())))?;
    let config = load_config(store.config.as_deref())?;
    let store: Arc<dyn Store> = Arc::from(open_store(store).await?);
    let state = AppState::start(config, store.clone()).await?;
    let first_event = state.alerts.feed.next_seq();
    let mut decoder = Decoder::new(DecoderOptions::default());
    let started = Instant::now();
    let mut clock: Option<(f64, Instant)> = None;
    let mut batch = Vec::new();
    let mut last_t = 0.0;
    let submit = |batch: Vec<ingest::Update>| {
        let state = state.clone();
        async move { state.ingest.submit(batch).await.map_err(|e| anyhow!(e)) }
    };
    for (number, line) in text.lines().enumerate() {
        let decoded = match decoder.feed_line(line.as_bytes()) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => continue,
            Err(error) => {
                if !line.trim().is_empty() {
                    eprintln!("{}:{}: {error}", file.display(), number + 1);
                }
                continue;
            }
        };
        // messages without a time of their own take the last one seen
        let t = decoded.timestamp_s.unwrap_or(last_t);
        last_t = t;
        if let Some(speed) = speed {
            let (t0, wall0) = *clock.get_or_insert((t, Instant::now()));
            let due = wall0 + Duration::from_secs_f64(((t - t0) / speed).max(0.0));
            if due > Instant::now() {
                submit(std::mem::take(&mut batch)).await?;
                tokio::time::sleep_until(due.into()).await;
            }
        }
        batch.extend(vessel_updates(&decoded.message, t).map(ingest::Update::Vessel));
        if batch.len() >= 1000 {
            submit(std::mem::take(&mut batch)).await?;
        }
    }
    submit(batch).await?;
    let stats = decoder.stats();
    print_final_alerts(&state, first_event);
    let (vessels, named) = {
        let engine = state.ingest.picture().vessels();
        (
            engine.len(),
            engine.iter().filter(|v| v.info.name.is_some()).count(),
        )
    };
    eprintln!(
        "replayed {} lines in {:.2} s: {} messages, {} bad lines, {vessels} vessels ({named} named)",
        stats.lines,
        started.elapsed().as_secs_f64(),
        stats.decoded,
        stats.errors
    );
    state.close().await;
    Ok(())
}

/// Prints every alert changed since event `first` once, in its final state, as NDJSON.
fn print_final_alerts(state: &AppState, first: u64) {
    let events = state.alerts.feed.subscribe(first.checked_sub(1)).backlog;
    let mut last_of: std::collections::BTreeMap<i64, String> = Default::default();
    for message in &events {
        let id = serde_json::from_str::<serde_json::Value>(&message.json)
            .ok()
            .and_then(|v| v["id"].as_i64())
            .unwrap_or_default();
        last_of.insert(id, message.json.clone());
    }
    for json in last_of.values() {
        println!("{json}");
    }
}
