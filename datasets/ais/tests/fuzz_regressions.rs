//! Regression inputs for the AIS decoder fuzz targets (`fuzz/`), checked
//! with the same oracles as the targets, on stable Rust:
//!
//! - `decode_lines`: no panic; every decoded message's gpsd JSON parses as
//!   an object; counters add up. Run raw, with checksums repaired, and with
//!   strict settings.
//! - `decode_stream`: `decode_to_ndjson` over a reader that hands out small
//!   uneven pieces: one JSON object per decoded message, one `line N: …`
//!   per bad line, every input line counted.
//!
//! The first fuzzing campaign (20 minutes, 3.05 M executions over both
//! targets, see `fuzz/README.md`) found no crash, panic or invalid JSON.
//! The inputs here are the shared samples plus hand-made edge cases near
//! every limit the decoder has (payload size, fragment count, text
//! capacity, buffer growth, time parsing). A future finding goes here as
//! `finding_<what>` with its minimised input.

use std::io::{self, Read};

use coastwatch_ais::gpsd_json::write_gpsd_json;
use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
use coastwatch_ais::{Decoder, DecoderOptions, FragmentTimeout, MAX_PAYLOAD_BITS};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, &b| a ^ b)
}

/// `!{body}*hh` with the right checksum.
fn sentence(body: &str) -> String {
    format!("!{body}*{:02X}", xor(body.as_bytes()))
}

/// `\{tag}*hh\` with the right checksum.
fn tag(tag: &str) -> String {
    format!("\\{tag}*{:02X}\\", xor(tag.as_bytes()))
}

/// The fuzz target's checksum repair: tag blocks and sentence get their
/// right checksums, as the parser reads the line.
fn repair(line: &[u8]) -> Vec<u8> {
    let mut out = line.to_vec();
    let put_hex = |buf: &mut Vec<u8>, at: usize, sum: u8| {
        for (k, digit) in [HEX[(sum >> 4) as usize], HEX[(sum & 15) as usize]]
            .into_iter()
            .enumerate()
        {
            match buf.get_mut(at + k) {
                Some(b) => *b = digit,
                None => buf.push(digit),
            }
        }
    };
    let Some(mut pos) = out.iter().position(|&b| matches!(b, b'!' | b'\\' | b'$')) else {
        return out;
    };
    while out.get(pos) == Some(&b'\\') {
        let Some(len) = out[pos + 1..].iter().position(|&b| b == b'\\') else {
            return out;
        };
        let end = pos + 1 + len;
        if let Some(s) = out[pos + 1..end].iter().position(|&b| b == b'*') {
            let star = pos + 1 + s;
            if star + 3 == end {
                let sum = xor(&out[pos + 1..star]);
                put_hex(&mut out, star + 1, sum);
            }
        }
        pos = end + 1;
    }
    if matches!(out.get(pos), Some(b'!' | b'$'))
        && let Some(s) = out[pos + 1..].iter().position(|&b| b == b'*')
    {
        let star = pos + 1 + s;
        let sum = xor(&out[pos + 1..star]);
        put_hex(&mut out, star + 1, sum);
    }
    out
}

/// The `decode_lines` oracle for one decoder; returns the messages decoded.
fn run_lines(data: &[u8], options: DecoderOptions, repaired: bool) -> u64 {
    let mut decoder = Decoder::new(options);
    let mut json = Vec::new();
    let mut decoded = 0;
    for raw in data.split(|&b| b == b'\n') {
        let fixed;
        let line = if repaired {
            fixed = repair(raw);
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
            write_gpsd_json(&mut json, &d.message, device);
            let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!(
                    "invalid gpsd JSON ({e}): {}",
                    String::from_utf8_lossy(&json)
                )
            });
            assert!(v.is_object());
        }
        let bits = d.payload.len_bits();
        assert!(bits <= MAX_PAYLOAD_BITS);
        let _ = d.payload.u(bits.saturating_sub(1), 1);
        let _ = d.message.position_deg();
    }
    decoder.finish();
    let stats = decoder.stats();
    assert_eq!(stats.decoded, decoded);
    assert!(stats.sentences <= stats.lines);
    assert!(stats.bad_checksum <= stats.errors);
    decoded
}

/// A reader handing out at most `step` bytes per read, varying it.
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

/// The `decode_stream` oracle; returns the messages decoded.
fn run_stream(data: &[u8], step: usize) -> u64 {
    let mut decoded = None;
    for report_not_ais in [false, true] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let options = NdjsonOptions {
            report_not_ais,
            device: Some("fuzz"),
            ..NdjsonOptions::default()
        };
        let stats = decode_to_ndjson(Trickle { data, step }, &mut out, &mut err, options).unwrap();
        let objects = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap())
            .inspect(|v| assert!(v.is_object()))
            .count() as u64;
        assert_eq!(objects, stats.decoded);
        for line in String::from_utf8(err).unwrap().lines() {
            assert!(line.starts_with("line "), "{line}");
        }
        let lines = data.split(|&b| b == b'\n').count() as u64
            - u64::from(data.last() == Some(&b'\n') || data.is_empty());
        assert_eq!(stats.lines, lines);
        assert_eq!(*decoded.get_or_insert(stats.decoded), stats.decoded);
    }
    decoded.unwrap_or(0)
}

/// Every oracle over `data`; returns what the default decoder decoded.
fn check(data: &[u8]) -> u64 {
    let strict = DecoderOptions {
        fragment_timeout: FragmentTimeout::Seconds(60.0),
        max_pending: 2,
        skip_comments: false,
        strict_tag_checksum: true,
        pair_type24: true,
    };
    let n = run_lines(data, DecoderOptions::default(), false);
    run_lines(data, DecoderOptions::default(), true);
    run_lines(data, strict, true);
    for step in [1, 7, 64] {
        run_stream(data, step);
    }
    n
}

fn lines(items: &[String]) -> Vec<u8> {
    let mut out = items.join("\n").into_bytes();
    out.push(b'\n');
    out
}

#[test]
fn shared_samples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/ais");
    let gpsd = std::fs::read(format!("{dir}/gpsd/sample.aivdm")).unwrap();
    let kyst = std::fs::read(format!("{dir}/kystverket/Ais1000Lines.nm4")).unwrap();
    assert!(check(&gpsd) > 50);
    assert!(check(&kyst) > 800);
}

#[test]
fn payload_at_and_over_the_size_limit() {
    // 168 characters = 1008 bits (the limit) over three fragments: decoded
    // as type 8 (header only).
    let chunk = "8".to_owned() + &"0".repeat(55);
    let rest = "0".repeat(56);
    let ok = lines(&[
        sentence(&format!("AIVDM,3,1,4,A,{chunk},0")),
        sentence(&format!("AIVDM,3,2,4,A,{rest},0")),
        sentence(&format!("AIVDM,3,3,4,A,{rest},0")),
    ]);
    assert_eq!(check(&ok), 1);
    // One character more: rejected, no panic.
    let over = lines(&[
        sentence(&format!("AIVDM,3,1,4,A,{chunk},0")),
        sentence(&format!("AIVDM,3,2,4,A,{rest},0")),
        sentence(&format!("AIVDM,3,3,4,A,{rest}0,0")),
    ]);
    assert_eq!(check(&over), 0);
    // Nine fragments of 80 characters each, and a single 1000-character one.
    let big = "w".repeat(80);
    let nine: Vec<String> = (1..=9)
        .map(|k| sentence(&format!("AIVDM,9,{k},1,B,{big},0")))
        .collect();
    assert_eq!(check(&lines(&nine)), 0);
    let huge = sentence(&format!("AIVDM,1,1,,A,1{},0", "w".repeat(1000)));
    assert_eq!(check(huge.as_bytes()), 0);
}

#[test]
fn fragment_fields_out_of_range() {
    let inputs = [
        sentence("AIVDM,0,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,10,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,2,3,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,2,1,999,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,2,1,-1,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,1,1,,AB,15RTgt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,6"),
        sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,99"),
        sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ"),
        sentence("AIVDM,1,1,,A,,0"),
        sentence("AIVDM,1,1,,A,0,5"),
        sentence("AIVDM,1,1,,A,x,0"),
        sentence("AIVDM,1,1,,A,15RT gt0PAso;90TKcjM8h6g208CQ,0"),
        sentence("AIVDM,,,,,,"),
        sentence("AIVDM"),
        "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*".to_owned(),
        "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4".to_owned(),
        "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*ZZ".to_owned(),
    ];
    assert_eq!(check(&lines(&inputs)), 0);
}

#[test]
fn many_interleaved_fragments() {
    // 40 first fragments (over the default bound of 32 in progress), then
    // their second fragments in reverse, on both channels.
    let first = "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8";
    let mut items = Vec::new();
    for k in 0..40 {
        let ch = if k % 2 == 0 { 'A' } else { 'B' };
        items.push(sentence(&format!("AIVDM,2,1,{},{ch},{first},0", k % 10)));
    }
    for k in (0..40).rev() {
        let ch = if k % 2 == 0 { 'A' } else { 'B' };
        items.push(sentence(&format!(
            "AIVDM,2,2,{},{ch},88888888880,2",
            k % 10
        )));
    }
    // Second fragments with no first, and a restart mid-message.
    items.push(sentence("AIVDM,3,3,5,A,88888888880,2"));
    items.push(sentence(&format!("AIVDM,3,1,5,A,{first},0")));
    items.push(sentence(&format!("AIVDM,3,1,5,A,{first},0")));
    items.push(sentence("AIVDM,3,2,5,A,88888888880,2"));
    check(&lines(&items));
}

#[test]
fn text_fields_at_capacity() {
    // Type 21 at its longest (368 bits): 20-character name plus a
    // 16-character extension, more than the 14 the extension can hold.
    // Type 5 with every text field full of '"' and '\' (need escaping).
    let mut items = Vec::new();
    let aton_head = "E>jHC=c6:W2h22R`@1:WdP00000Opa@H?KTcP10888e?N0";
    let ext = "w".repeat(61 - aton_head.len().min(61));
    items.push(sentence(&format!("AIVDM,1,1,,A,{aton_head}{ext},4")));
    // 6-bit value 34 is '"' ('R' armoured), 60 is '<' ... 28 is '\' ('L').
    let quotes = "R".repeat(70);
    items.push(sentence(&format!("AIVDM,1,1,,A,5{quotes},2")));
    let slashes = "L".repeat(70);
    items.push(sentence(&format!("AIVDM,1,1,,A,5{slashes},2")));
    // Type 24 part A and part B of the same MMSI, names of escapes.
    items.push(sentence(&format!(
        "AIVDM,1,1,,A,H42O55i{},2",
        "L".repeat(20)
    )));
    items.push(sentence(&format!(
        "AIVDM,1,1,,A,H42O55l{},0",
        "R".repeat(21)
    )));
    // Type 19 full of backslashes.
    items.push(sentence(&format!("AIVDM,1,1,,B,C{},0", "L".repeat(51))));
    assert!(check(&lines(&items)) >= 4);
}

#[test]
fn times_and_tag_blocks() {
    let body = "AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0";
    let s = sentence(body);
    let inputs = [
        format!("{}{s}", tag("c:1565218798")),
        format!("{}{s}", tag("c:1565218798123")),
        format!("{}{s}", tag("c:-1")),
        format!("{}{s}", tag("c:99999999999999999999999999")),
        format!("{}{s}", tag("c:1e308")),
        format!("{}{s}", tag("c:nan")),
        format!("{}{s}", tag("c:")),
        format!("{}{s}", tag("s:")),
        format!("{}{}{s}", tag("s:a"), tag("c:1,s:b")),
        format!("\\c:1*\\{s}"),
        format!("\\c:1*5\\{s}"),
        format!("\\c:1{s}"),
        format!("\\\\{s}"),
        "\\".to_owned(),
        "\\\\".to_owned(),
        format!("1565136000.25 {s}"),
        format!("99999999999999999999999 {s}"),
        format!("-1 {s}"),
        format!("2019-08-07T00:00:00Z {s}"),
        format!("9999-99-99T99:99:99Z {s}"),
        format!("2019-02-29T24:60:61.999999999Z {s}"),
        format!("T {s}"),
        format!("{s},1565136000"),
        format!("{s},1e400"),
        format!("{s},-"),
        format!("{s}garbage after"),
    ];
    assert!(check(&lines(&inputs)) >= 10);
    // Non-UTF-8 source station and raw bytes around the sentence.
    let mut raw = b"\\s:\xff\xfe".to_vec();
    raw.extend_from_slice(format!("*00\\{s}\n\x00\x01\x7f").as_bytes());
    raw.push(0xff);
    raw.extend_from_slice(format!("{s}\n").as_bytes());
    check(&raw);
}

#[test]
fn line_endings_and_long_lines() {
    let s = sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0");
    // CR LF, CR alone, blank lines, comments, no final newline.
    let mixed = format!("{s}\r\n\r\n{s}\r{s}\n# comment\n   \n{s}");
    check(mixed.as_bytes());
    // A line longer than the 256 KiB read buffer, between good lines.
    let long = format!("{s}\n!AIVDM,{}\n{s}\n", "x".repeat(600 * 1024));
    assert_eq!(check(long.as_bytes()), 2);
    // Only newlines; nothing at all.
    assert_eq!(check(&[b'\n'; 1000]), 0);
    assert_eq!(check(b""), 0);
}
