//! Whole-stream decoding to gpsd NDJSON, for `coastwatch ais decode`.

use std::io::{self, Read, Write};

use super::decoder::{Decoder, DecoderOptions, DecoderStats};
use super::error::AisError;
use super::gpsd_json::write_gpsd_json;

/// Settings of [`decode_to_ndjson`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NdjsonOptions<'a> {
    /// Decoder settings. Set `pair_type24` for gpsdecode's type 24 records.
    pub decoder: DecoderOptions,
    /// Value of the `device` member; left out when `None`.
    pub device: Option<&'a str>,
    /// Also report empty lines and non-AIS lines (e.g. `$GPGGA`) as errors.
    pub report_not_ais: bool,
}

impl Default for NdjsonOptions<'_> {
    fn default() -> Self {
        Self {
            decoder: DecoderOptions {
                pair_type24: true,
                ..DecoderOptions::default()
            },
            device: None,
            report_not_ais: false,
        }
    }
}

const CHUNK: usize = 256 * 1024;
/// Longest line passed to the decoder; the rest of a longer line is skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Reads NMEA lines from `input` and writes one gpsd JSON object per
/// decoded message (one per line) to `out`, and one line per bad input
/// line (`line 17: bad checksum: expected 5C, found 5D`) to `errors`.
///
/// Reads and writes in large blocks; nothing is allocated per line.
///
/// ```
/// use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
/// let input = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n!AIVDM,1,1,,A,15RT,0*00\n";
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let stats = decode_to_ndjson(&input[..], &mut out, &mut err, NdjsonOptions::default()).unwrap();
/// assert_eq!(stats.decoded, 1);
/// assert!(String::from_utf8(out).unwrap().starts_with(r#"{"class":"AIS","type":1,"#));
/// assert!(String::from_utf8(err).unwrap().starts_with("line 2: bad checksum"));
/// ```
pub fn decode_to_ndjson<R: Read, W: Write, E: Write>(
    mut input: R,
    mut out: W,
    mut errors: E,
    options: NdjsonOptions<'_>,
) -> io::Result<DecoderStats> {
    let mut decoder = Decoder::new(options.decoder);
    let mut buf = vec![0u8; CHUNK];
    let mut json = Vec::with_capacity(CHUNK + 4096);
    let mut filled = 0usize;
    let mut eof = false;
    // inside a line longer than MAX_LINE_BYTES: drop bytes up to its newline
    let mut skipping = false;
    while !eof {
        if filled == buf.len() {
            // No newline in a whole buffer: report the line once (as an over-long
            // sentence) and skip the rest of it, so memory stays bounded.
            handle(
                &mut decoder,
                &buf[..MAX_LINE_BYTES],
                &mut json,
                &mut errors,
                &options,
            )?;
            filled = 0;
            skipping = true;
        }
        let n = match input.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            eof = true;
        }
        filled += n;
        let mut start = 0;
        if skipping {
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(pos) => {
                    start = pos + 1;
                    skipping = false;
                }
                None => {
                    filled = 0;
                    continue;
                }
            }
        }
        while let Some(pos) = memchr::memchr(b'\n', &buf[start..filled]) {
            let line = &buf[start..start + pos];
            handle(&mut decoder, line, &mut json, &mut errors, &options)?;
            start += pos + 1;
        }
        if eof && start < filled {
            let line = &buf[start..filled];
            handle(&mut decoder, line, &mut json, &mut errors, &options)?;
            start = filled;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if json.len() >= CHUNK {
            out.write_all(&json)?;
            json.clear();
        }
    }
    decoder.finish();
    out.write_all(&json)?;
    out.flush()?;
    errors.flush()?;
    Ok(decoder.stats())
}

fn handle<E: Write>(
    decoder: &mut Decoder,
    line: &[u8],
    json: &mut Vec<u8>,
    errors: &mut E,
    options: &NdjsonOptions<'_>,
) -> io::Result<()> {
    match decoder.feed_line(line) {
        Ok(Some(d)) => {
            write_gpsd_json(json, &d.message, options.device);
            json.push(b'\n');
        }
        Ok(None) => {}
        Err(AisError::Empty { .. } | AisError::NotAis { .. }) if !options.report_not_ais => {}
        Err(e) => writeln!(errors, "{e}")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one byte slice in small pieces, like a slow pipe.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(4096);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_endless_line_is_reported_once_and_skipped() {
        let good = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n";
        let mut input = good.to_vec();
        input.extend_from_slice(b"!AIVDM,1,1,,A,");
        input.extend(std::iter::repeat_n(b'0', 3 * CHUNK + 17));
        input.push(b'\n');
        input.extend_from_slice(good);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let stats = decode_to_ndjson(
            Trickle(&input),
            &mut out,
            &mut err,
            NdjsonOptions::default(),
        )
        .unwrap();
        assert_eq!(
            stats.decoded, 2,
            "the lines around the long one are decoded"
        );
        assert_eq!(
            String::from_utf8(err).unwrap().lines().count(),
            1,
            "one report for the long line"
        );
    }
}
