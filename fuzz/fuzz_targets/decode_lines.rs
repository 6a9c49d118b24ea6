//! Fuzz target: arbitrary bytes, split into lines, fed to an AIS
//! `Decoder`; every decoded message goes through the gpsd JSON writer,
//! whose output must parse as one JSON object.
//!
//! Each input runs three times, each time through one fresh decoder:
//!
//! 1. the lines as they are, default settings;
//! 2. the lines with their sentence and tag-block checksums repaired (so
//!    that mutations reach the payload decoder instead of stopping at the
//!    checksum), default settings;
//! 3. the repaired lines, strict settings: type 24 pairing, tag-block
//!    checksums enforced, no comment skipping, time-based fragment expiry,
//!    at most two messages in progress.

#![no_main]

use coastwatch_ais::gpsd_json::write_gpsd_json;
use coastwatch_ais::{Decoder, DecoderOptions, FragmentTimeout};
use libfuzzer_sys::fuzz_target;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, &b| a ^ b)
}

/// Writes `sum` as two hex digits at `at` (appending what does not fit).
fn put_hex(buf: &mut Vec<u8>, at: usize, sum: u8) {
    for (k, digit) in [HEX[(sum >> 4) as usize], HEX[(sum & 15) as usize]]
        .into_iter()
        .enumerate()
    {
        match buf.get_mut(at + k) {
            Some(b) => *b = digit,
            None => buf.push(digit),
        }
    }
}

/// Copies `line` into `out` with the checksums of its tag blocks and of
/// its sentence set to the right values, following the parser's reading
/// of a line: an optional time prefix, tag blocks `\…*hh\`, then the
/// sentence `!…*hh`.
fn repair(line: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(line);
    let Some(mut pos) = out.iter().position(|&b| matches!(b, b'!' | b'\\' | b'$')) else {
        return;
    };
    while out.get(pos) == Some(&b'\\') {
        let Some(len) = out[pos + 1..].iter().position(|&b| b == b'\\') else {
            return;
        };
        let end = pos + 1 + len;
        if let Some(s) = out[pos + 1..end].iter().position(|&b| b == b'*') {
            let star = pos + 1 + s;
            if star + 3 == end {
                let sum = xor(&out[pos + 1..star]);
                put_hex(out, star + 1, sum);
            }
        }
        pos = end + 1;
    }
    if matches!(out.get(pos), Some(b'!' | b'$'))
        && let Some(s) = out[pos + 1..].iter().position(|&b| b == b'*')
    {
        let star = pos + 1 + s;
        let sum = xor(&out[pos + 1..star]);
        put_hex(out, star + 1, sum);
    }
}

fn run(data: &[u8], options: DecoderOptions, repaired: bool, json: &mut Vec<u8>) {
    let mut decoder = Decoder::new(options);
    let mut fixed = Vec::new();
    let mut decoded = 0u64;
    for raw in data.split(|&b| b == b'\n') {
        let line = if repaired {
            repair(raw, &mut fixed);
            &fixed[..]
        } else {
            raw
        };
        let Ok(Some(d)) = decoder.feed_line(line) else {
            continue;
        };
        decoded += 1;
        for device in [None, Some("fuzz\"\\\u{1}é")] {
            json.clear();
            write_gpsd_json(json, &d.message, device);
            match serde_json::from_slice::<serde_json::Value>(json) {
                Ok(v) => assert!(v.is_object(), "not an object: {v}"),
                Err(e) => panic!("invalid gpsd JSON ({e}): {}", String::from_utf8_lossy(json)),
            }
        }
        // The lent payload must be readable over its whole length.
        let bits = d.payload.len_bits();
        let _ = d.payload.u(bits.saturating_sub(1), 1);
        let _ = d.payload.as_bytes();
        let _ = d.message.position_deg();
    }
    decoder.finish();
    let stats = decoder.stats();
    assert_eq!(stats.decoded, decoded);
    assert!(stats.sentences <= stats.lines);
    assert!(stats.bad_checksum <= stats.errors);
}

fuzz_target!(|data: &[u8]| {
    let strict = DecoderOptions {
        fragment_timeout: FragmentTimeout::Seconds(60.0),
        max_pending: 2,
        skip_comments: false,
        strict_tag_checksum: true,
        pair_type24: true,
    };
    let mut json = Vec::with_capacity(1024);
    run(data, DecoderOptions::default(), false, &mut json);
    run(data, DecoderOptions::default(), true, &mut json);
    run(data, strict, true, &mut json);
});
