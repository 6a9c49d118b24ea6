//! `decode_to_ndjson`'s output does not change: the gpsd sample and the Kystverket sample
//! print what they printed before it decoded blocks in parallel (golden files), and a
//! multi-block mix of both, with bad lines and comments, prints what one decoder fed every
//! line in order prints, whatever the number of workers.
//!
//! The golden files were printed by `coastwatch ais decode` before the change; see
//! `tests/golden/README.md`.

use coastwatch_ais::gpsd_json::write_gpsd_json;
use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
use coastwatch_ais::{AisError, Decoder, DecoderStats};

fn shared(path: &str) -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/ais/");
    std::fs::read(format!("{dir}{path}")).unwrap()
}

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/golden/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Output, error lines and counters.
fn decode(input: &[u8], workers: usize) -> (Vec<u8>, Vec<u8>, DecoderStats) {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let options = NdjsonOptions {
        workers,
        ..NdjsonOptions::default()
    };
    let stats = decode_to_ndjson(input, &mut out, &mut errors, options).unwrap();
    (out, errors, stats)
}

/// One decoder fed every line in order: what `decode_to_ndjson` must equal.
fn reference(input: &[u8]) -> (Vec<u8>, Vec<u8>, DecoderStats) {
    let options = NdjsonOptions::default();
    let mut decoder = Decoder::new(options.decoder);
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let text = input.strip_suffix(b"\n").unwrap_or(input);
    for line in text.split(|&b| b == b'\n') {
        match decoder.feed_line(line) {
            Ok(Some(d)) => {
                write_gpsd_json(&mut out, &d.message, None);
                out.push(b'\n');
            }
            Ok(None) | Err(AisError::Empty { .. } | AisError::NotAis { .. }) => {}
            Err(e) => errors.extend(format!("{e}\n").into_bytes()),
        }
    }
    decoder.finish();
    (out, errors, decoder.stats())
}

#[test]
fn the_samples_print_what_they_printed_before() {
    for (input, expected) in [
        ("gpsd/sample.aivdm", "gpsd_sample.ndjson"),
        ("kystverket/Ais1000Lines.nm4", "kystverket.ndjson"),
    ] {
        for workers in [0, 2] {
            let (out, _, _) = decode(&shared(input), workers);
            assert!(
                out == golden(expected),
                "{input} with {workers} workers differs from {expected}"
            );
        }
    }
}

#[test]
fn many_blocks_print_what_one_decoder_prints() {
    let gpsd = shared("gpsd/sample.aivdm");
    let kystverket = shared("kystverket/Ais1000Lines.nm4");
    let mut input = Vec::new();
    let mut round = 0;
    // more than a few 512 KiB blocks, so that multi-sentence messages, type 24 parts and
    // bad lines fall on both sides of block edges
    while input.len() < 3 << 20 {
        input.extend_from_slice(if round % 3 == 0 { &gpsd } else { &kystverket });
        if input.last() != Some(&b'\n') {
            input.push(b'\n');
        }
        input.extend_from_slice(b"# a comment\n!AIVDM,1,1,,A,15RT,0*00\n\n$GPGGA,1,2\n");
        round += 1;
    }
    let expected = reference(&input);
    assert!(
        expected.2.decoded > 20_000 && expected.2.errors > 100,
        "{:?}",
        expected.2
    );
    for workers in [0, 1, 3] {
        let got = decode(&input, workers);
        assert_eq!(got.2, expected.2, "counters with {workers} workers");
        assert!(got.1 == expected.1, "error lines with {workers} workers");
        assert!(got.0 == expected.0, "output with {workers} workers");
    }
}
