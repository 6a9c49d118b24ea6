//! Fuzz target: arbitrary bytes as a whole NMEA stream through
//! `ndjson::decode_to_ndjson`, read in small uneven pieces so that lines
//! straddle reads. Every output line must parse as a JSON object, every
//! error line must name a line number, and the counters must add up.

#![no_main]

use std::io::{self, Read};

use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
use libfuzzer_sys::fuzz_target;

/// A reader that hands out at most `step` bytes per read, varying it.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.step = self.step % 97 + 1;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let step = data.first().map_or(1, |&b| b as usize % 64 + 1);
    for report_not_ais in [false, true] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let options = NdjsonOptions {
            report_not_ais,
            device: Some("fuzz"),
            ..NdjsonOptions::default()
        };
        let stats = decode_to_ndjson(Trickle { data, step }, &mut out, &mut err, options)
            .expect("in-memory I/O does not fail");
        let mut objects = 0u64;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap_or_else(|e| {
                panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(line))
            });
            assert!(v.is_object());
            objects += 1;
        }
        assert_eq!(objects, stats.decoded);
        let err = String::from_utf8(err).expect("error lines are UTF-8");
        for line in err.lines() {
            assert!(line.starts_with("line "), "{line}");
        }
        let lines = data.split(|&b| b == b'\n').count() as u64
            - u64::from(data.last() == Some(&b'\n') || data.is_empty());
        assert_eq!(stats.lines, lines);
    }
});
