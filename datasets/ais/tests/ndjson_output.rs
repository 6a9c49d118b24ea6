//! `decode_to_ndjson`'s output does not change: the gpsd sample and the Kystverket sample
//! print what they printed before it decoded blocks in parallel (golden files), and a
//! multi-block mix of both, with bad lines and comments, and a stream of fragments in every
//! order, print what one decoder fed every line in order prints, whatever the number of
//! workers and the reassembly settings.
//!
//! The golden files were printed by `coastwatch ais decode` before the change; see
//! `tests/golden/README.md`.

use coastwatch_ais::gpsd_json::write_gpsd_json;
use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
use coastwatch_ais::{AisError, Decoder, DecoderOptions, DecoderStats, FragmentTimeout};

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
    decode_with(input, workers, NdjsonOptions::default().decoder)
}

fn decode_with(
    input: &[u8],
    workers: usize,
    decoder: DecoderOptions,
) -> (Vec<u8>, Vec<u8>, DecoderStats) {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let options = NdjsonOptions {
        workers,
        decoder,
        ..NdjsonOptions::default()
    };
    let stats = decode_to_ndjson(input, &mut out, &mut errors, options).unwrap();
    (out, errors, stats)
}

/// One decoder fed every line in order: what `decode_to_ndjson` must equal.
fn reference(input: &[u8]) -> (Vec<u8>, Vec<u8>, DecoderStats) {
    reference_with(input, NdjsonOptions::default().decoder)
}

fn reference_with(input: &[u8], options: DecoderOptions) -> (Vec<u8>, Vec<u8>, DecoderStats) {
    let mut decoder = Decoder::new(options);
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

/// An NMEA sentence with its checksum, and a tag block with time `t` when given.
fn sentence(fields: &str, t: Option<u64>) -> String {
    let sum = |s: &str| s.bytes().fold(0u8, |a, b| a ^ b);
    let tag = t.map_or(String::new(), |t| {
        let c = format!("c:{t}");
        format!("\\{c}*{:02X}\\", sum(&c))
    });
    format!("{tag}!{fields}*{:02X}", sum(fields))
}

#[test]
fn fragments_in_every_order_print_what_one_decoder_prints() {
    // the two-sentence messages of the Kystverket sample, as (payload, fill bits) pairs
    let lines: Vec<String> = String::from_utf8(shared("kystverket/Ais1000Lines.nm4"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit('\\').next().unwrap().to_owned())
        .collect();
    let part = |l: &str| {
        let f: Vec<&str> = l.split(['*', ',']).collect();
        (f[5].to_owned(), f[6].to_owned())
    };
    let pairs: Vec<_> = lines
        .windows(2)
        .filter(|w| w[0].contains(",2,1,") && w[1].contains(",2,2,"))
        .map(|w| (part(&w[0]), part(&w[1])))
        .collect();
    let single = lines.iter().find(|l| l.contains(",1,1,")).unwrap().clone();
    assert!(pairs.len() > 50, "{}", pairs.len());

    // a stream of whole, broken, reordered, repeated and interleaved fragments
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut input = String::new();
    let mut t = 1_700_000_000;
    while input.len() < 1 << 20 {
        let ((p1, f1), (p2, f2)) = &pairs[next(pairs.len() as u64) as usize];
        let seq = ["", "0", "1", "7"][next(4) as usize];
        let channel = ["A", "B", ""][next(3) as usize];
        t += next(3);
        let time = (next(2) == 0).then_some(t);
        let one = sentence(&format!("AIVDM,2,1,{seq},{channel},{p1},{f1}"), time);
        let two = sentence(&format!("AIVDM,2,2,{seq},{channel},{p2},{f2}"), time);
        let other = format!("{single}\n# a comment");
        let order: &[&str] = match next(8) {
            0..=2 => &[&one, &two],
            3 => &[&one],
            4 => &[&two],
            5 => &[&two, &one],
            6 => &[&one, &other, &two],
            _ => &[&one, &one, &two],
        };
        for line in order {
            input.push_str(line);
            input.push('\n');
        }
    }
    let settings = [
        DecoderOptions::default(),
        DecoderOptions {
            fragment_timeout: FragmentTimeout::Lines(1),
            max_pending: 2,
            ..DecoderOptions::default()
        },
        DecoderOptions {
            fragment_timeout: FragmentTimeout::Seconds(2.0),
            max_pending: 3,
            pair_type24: true,
            ..DecoderOptions::default()
        },
    ];
    for options in settings {
        let expected = reference_with(input.as_bytes(), options);
        assert!(
            expected.2.decoded > 5_000 && expected.2.dropped_fragments > 1_000,
            "{:?}",
            expected.2
        );
        for workers in [0, 1, 3] {
            let got = decode_with(input.as_bytes(), workers, options);
            assert_eq!(
                got.2, expected.2,
                "counters, {workers} workers, {options:?}"
            );
            assert!(
                got.1 == expected.1,
                "errors, {workers} workers, {options:?}"
            );
            assert!(
                got.0 == expected.0,
                "output, {workers} workers, {options:?}"
            );
        }
    }
}
