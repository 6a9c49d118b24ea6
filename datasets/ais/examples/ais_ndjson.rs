//! Decodes NMEA AIS from a file or stdin to gpsd NDJSON on stdout, errors
//! on stderr: the core of `coastwatch ais decode`, for measuring against
//! `gpsdecode -j` without the full server build.
//!
//! `cargo run --release -p coastwatch-ais --example ais_ndjson -- FILE|-`

use std::io::{self, Read};

use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};

fn main() -> io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".into());
    let input: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&path)?)
    };
    let stats = decode_to_ndjson(
        input,
        io::stdout().lock(),
        io::stderr().lock(),
        NdjsonOptions::default(),
    )?;
    eprintln!(
        "lines {} decoded {} errors {} bad checksum {} dropped fragments {}",
        stats.lines, stats.decoded, stats.errors, stats.bad_checksum, stats.dropped_fragments
    );
    Ok(())
}
