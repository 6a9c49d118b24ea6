//! Fuzz target: arbitrary bytes, split into lines, fed to one AIS
//! `Decoder`; every decoded message goes through the gpsd JSON writer,
//! whose output must parse as one JSON object.
//!
//! Each input runs through two decoders: the default settings, and a
//! strict one (type 24 pairing, tag-block checksums, no comment skipping,
//! time-based fragment expiry, at most two messages in progress).

#![no_main]

use coastwatch_datasets::ais::gpsd_json::write_gpsd_json;
use coastwatch_datasets::ais::{Decoder, DecoderOptions, FragmentTimeout};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let strict = DecoderOptions {
        fragment_timeout: FragmentTimeout::Seconds(60.0),
        max_pending: 2,
        skip_comments: false,
        strict_tag_checksum: true,
        pair_type24: true,
    };
    let mut json = Vec::with_capacity(1024);
    for options in [DecoderOptions::default(), strict] {
        let mut decoder = Decoder::new(options);
        let mut decoded = 0u64;
        for line in data.split(|&b| b == b'\n') {
            let Ok(Some(d)) = decoder.feed_line(line) else {
                continue;
            };
            decoded += 1;
            for device in [None, Some("fuzz\"\\\u{1}é")] {
                json.clear();
                write_gpsd_json(&mut json, &d.message, device);
                match serde_json::from_slice::<serde_json::Value>(&json) {
                    Ok(v) => assert!(v.is_object(), "not an object: {v}"),
                    Err(e) => panic!(
                        "invalid gpsd JSON ({e}): {}",
                        String::from_utf8_lossy(&json)
                    ),
                }
            }
            // The lent payload must be readable over its whole length.
            let bits = d.payload.len_bits();
            let _ = d.payload.u(bits.saturating_sub(1), 1);
            let _ = d.payload.as_bytes();
        }
        decoder.finish();
        let stats = decoder.stats();
        assert_eq!(stats.decoded, decoded);
        assert!(stats.sentences <= stats.lines);
        assert!(stats.bad_checksum <= stats.errors);
    }
});
