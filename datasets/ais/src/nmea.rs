//! NMEA 0183 `!AIVDM`/`!AIVDO` sentence parsing, with NMEA 4.0 tag blocks and
//! the common timestamp wrappers around a sentence.
//!
//! Accepted shapes of a line (the sentence may start with `!` or `$`):
//!
//! ```text
//! !AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A
//! \c:1565136000,s:station*hh\!BSVDM,...*hh            tag block, c: in s or ms
//! 1565136000.25 !AIVDM,...*hh                         leading unix time
//! 2019-08-07T00:00:00Z !AIVDM,...*hh                  leading ISO 8601 UTC time
//! !AIVDM,...*hh,1565136000                            trailing unix time field
//! ```
//!
//! Everything is borrowed from the input line; nothing is allocated.

use super::error::AisError;

/// Largest fragment count (the NMEA field is one digit).
pub const MAX_FRAGMENTS: u8 = 9;

/// Tag-block and wrapper times at or above this are milliseconds.
const MILLIS_THRESHOLD: f64 = 1e11;

/// One parsed AIVDM/AIVDO sentence, borrowing from the input line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentence<'a> {
    /// Talker id, e.g. `AI`, `AB`, `BS`.
    pub talker: [u8; 2],
    /// True for `VDO` (own ship), false for `VDM`.
    pub own_ship: bool,
    /// Number of fragments of the message (1..).
    pub fragment_count: u8,
    /// 1-based number of this fragment.
    pub fragment_number: u8,
    /// Sequential message id linking the fragments, when given.
    pub sequence_id: Option<u8>,
    /// Radio channel (`A`, `B`, `1`, `2`), when given.
    pub channel: Option<u8>,
    /// The armoured payload characters.
    pub payload: &'a [u8],
    /// Fill bits to drop at the end of the payload (0..=5).
    pub fill_bits: u8,
    /// Reception time in Unix seconds from a tag block or timestamp wrapper.
    pub timestamp_s: Option<f64>,
    /// Source station from the tag block `s:` field.
    pub source: Option<&'a str>,
}

/// Settings of [`parse_line_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Reject a tag block whose checksum does not match. Off by default:
    /// real feeds get it wrong (Kystverket's `\g:1-2-9999,c:…*hh\` blocks
    /// carry the checksum of the `c:` field alone). The sentence checksum
    /// is always enforced.
    pub strict_tag_checksum: bool,
}

/// Parses one line holding an AIVDM/AIVDO sentence, with default
/// [`ParseOptions`].
///
/// `line_no` is only used in errors. The checksum is enforced; the payload
/// is not de-armoured here (see [`PayloadBits::push_armored`](super::PayloadBits::push_armored)).
///
/// ```
/// use coastwatch_ais::nmea::parse_line;
/// let s = parse_line(b"\\c:1565218798*53\\!BSVDM,1,1,,A,13mb9U0P00PRk8fT5nw>4?wj2006,0*5D", 1).unwrap();
/// assert_eq!(&s.talker, b"BS");
/// assert_eq!(s.timestamp_s, Some(1565218798.0));
/// assert_eq!(s.payload, b"13mb9U0P00PRk8fT5nw>4?wj2006");
/// ```
pub fn parse_line(line: &[u8], line_no: u64) -> Result<Sentence<'_>, AisError> {
    parse_line_with(line, line_no, ParseOptions::default())
}

/// Parses one line holding an AIVDM/AIVDO sentence; see [`parse_line`].
pub fn parse_line_with(
    line: &[u8],
    line_no: u64,
    options: ParseOptions,
) -> Result<Sentence<'_>, AisError> {
    parse(line, options).map_err(|e| e.at_line(line_no))
}

fn parse(line: &[u8], options: ParseOptions) -> Result<Sentence<'_>, AisError> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Err(AisError::Empty { line: 0 });
    }
    let mut rest = line;
    let mut timestamp_s = None;
    let mut source = None;

    if !matches!(rest[0], b'!' | b'\\' | b'$') {
        let Some(pos) = rest.iter().position(|&b| matches!(b, b'!' | b'\\' | b'$')) else {
            return Err(AisError::NotAis { line: 0 });
        };
        timestamp_s = parse_time_prefix(&rest[..pos]);
        rest = &rest[pos..];
    }
    while rest.first() == Some(&b'\\') {
        let (tag, after) = parse_tag_block(rest, options.strict_tag_checksum)?;
        if tag.timestamp_s.is_some() {
            timestamp_s = tag.timestamp_s;
        }
        if tag.source.is_some() {
            source = tag.source;
        }
        rest = after;
    }
    if rest.len() < 7 || !matches!(rest[0], b'!' | b'$') || &rest[3..5] != b"VD" || rest[6] != b','
    {
        return Err(AisError::NotAis { line: 0 });
    }
    let own_ship = match rest[5] {
        b'M' => false,
        b'O' => true,
        _ => return Err(AisError::NotAis { line: 0 }),
    };
    let talker = [rest[1], rest[2]];

    // The checksum covers everything between `!` and `*`.
    let Some((star, sum)) = find_star_xor(rest) else {
        return Err(AisError::Truncated {
            line: 0,
            what: "missing checksum",
        });
    };
    let found = match rest.get(star + 1..star + 3) {
        Some(&[h, l]) => match (hex(h), hex(l)) {
            (Some(h), Some(l)) => h << 4 | l,
            _ => {
                return Err(AisError::BadField {
                    line: 0,
                    field: "checksum",
                });
            }
        },
        _ => {
            return Err(AisError::Truncated {
                line: 0,
                what: "incomplete checksum",
            });
        }
    };
    if found != sum {
        return Err(AisError::BadChecksum {
            line: 0,
            expected: sum,
            found,
        });
    }
    // Fields: count, number, sequence id and channel are short and come
    // first; fill bits come last. Scan the head forwards and the tail
    // backwards so the payload itself is not scanned here (it cannot hold
    // a comma: de-armouring rejects one).
    let mut commas = [0usize; 7];
    let mut n_commas = 1usize;
    commas[0] = 6;
    let mut i = 7;
    while n_commas < 5 && i < star {
        if rest[i] == b',' {
            commas[n_commas] = i;
            n_commas += 1;
        }
        i += 1;
    }
    let last = rest[..star].iter().rposition(|&b| b == b',').unwrap_or(0);
    if n_commas < 5 || last <= commas[4] {
        return Err(AisError::Truncated {
            line: 0,
            what: "too few fields",
        });
    }
    commas[5] = last;
    commas[6] = star;
    let field = |k: usize| -> &[u8] { &rest[commas[k] + 1..commas[k + 1]] };
    let fragment_count = small_number(field(0)).ok_or(AisError::BadField {
        line: 0,
        field: "fragment count",
    })?;
    let fragment_number = small_number(field(1)).ok_or(AisError::BadField {
        line: 0,
        field: "fragment number",
    })?;
    if fragment_count == 0 || fragment_count > MAX_FRAGMENTS {
        return Err(AisError::BadFragmentCount {
            line: 0,
            count: fragment_count,
            max: MAX_FRAGMENTS,
        });
    }
    if fragment_number == 0 || fragment_number > fragment_count {
        return Err(AisError::BadFragmentNumber {
            line: 0,
            number: fragment_number,
            count: fragment_count,
        });
    }
    let seq = field(2);
    let sequence_id = if seq.is_empty() {
        None
    } else {
        Some(small_number(seq).ok_or(AisError::BadField {
            line: 0,
            field: "sequential message id",
        })?)
    };
    let channel = match field(3) {
        [] => None,
        [c] => Some(*c),
        _ => {
            return Err(AisError::BadField {
                line: 0,
                field: "channel",
            });
        }
    };
    let payload = field(4);
    let fill_bits = match field(5) {
        [] => 0,
        [d @ b'0'..=b'5'] => d - b'0',
        [d] if d.is_ascii_digit() => {
            return Err(AisError::BadFillBits {
                line: 0,
                fill_bits: d - b'0',
            });
        }
        _ => {
            return Err(AisError::BadField {
                line: 0,
                field: "fill bits",
            });
        }
    };
    if timestamp_s.is_none() {
        timestamp_s = parse_trailing_time(&rest[star + 3..]);
    }
    Ok(Sentence {
        talker,
        own_ship,
        fragment_count,
        fragment_number,
        sequence_id,
        channel,
        payload,
        fill_bits,
        timestamp_s,
        source,
    })
}

struct TagBlock<'a> {
    timestamp_s: Option<f64>,
    source: Option<&'a str>,
}

/// Parses `\...*hh\` at the start of `s`; returns the tag and what follows.
fn parse_tag_block(s: &[u8], strict: bool) -> Result<(TagBlock<'_>, &[u8]), AisError> {
    let mut tag = TagBlock {
        timestamp_s: None,
        source: None,
    };
    // One pass: fields end at `,`, `*` (then the checksum) or `\`.
    let mut field_start = 1;
    let mut star = None;
    let mut end = None;
    for (i, &b) in s.iter().enumerate().skip(1) {
        if matches!(b, b',' | b'*' | b'\\') {
            if star.is_none() {
                tag_field(&mut tag, &s[field_start..i])?;
            }
            match b {
                b'\\' => {
                    end = Some(i);
                    break;
                }
                b'*' => star = Some(i),
                _ => {}
            }
            field_start = i + 1;
        }
    }
    let Some(end) = end else {
        return Err(AisError::BadTagBlock {
            line: 0,
            what: "unterminated",
        });
    };
    if let Some(star) = star {
        let found = match &s[star + 1..end] {
            [h, l] => hex(*h).zip(hex(*l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        let Some(found) = found else {
            return Err(AisError::BadTagBlock {
                line: 0,
                what: "malformed checksum",
            });
        };
        if strict {
            let expected = xor_checksum(&s[1..star]);
            if expected != found {
                return Err(AisError::BadTagChecksum {
                    line: 0,
                    expected,
                    found,
                });
            }
        }
    }
    Ok((tag, &s[end + 1..]))
}

fn tag_field<'a>(tag: &mut TagBlock<'a>, item: &'a [u8]) -> Result<(), AisError> {
    match item {
        [b'c', b':', v @ ..] => {
            tag.timestamp_s = Some(parse_epoch(v).ok_or(AisError::BadTagBlock {
                line: 0,
                what: "bad c: time",
            })?);
        }
        [b's', b':', v @ ..] => tag.source = std::str::from_utf8(v).ok(),
        _ => {}
    }
    Ok(())
}

/// Position of the first `*` after the leading `!` and the XOR of the
/// bytes between them, eight bytes at a time.
#[inline]
fn find_star_xor(s: &[u8]) -> Option<(usize, u8)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const STARS: u64 = ONES * b'*' as u64;
    let mut acc = 0u64;
    let mut i = 1;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let x = w ^ STARS;
        // The lowest byte flagged here is the first `*` (exact for it).
        let hit = x.wrapping_sub(ONES) & !x & HIGHS;
        if hit != 0 {
            let k = hit.trailing_zeros() as usize / 8;
            let keep = if k == 0 { 0 } else { u64::MAX >> (64 - 8 * k) };
            return Some((i + k, fold_u64(acc ^ (w & keep))));
        }
        acc ^= w;
        i += 8;
    }
    let mut sum = fold_u64(acc);
    for (k, &b) in s.get(i..).unwrap_or_default().iter().enumerate() {
        if b == b'*' {
            return Some((i + k, sum));
        }
        sum ^= b;
    }
    None
}

#[inline]
fn fold_u64(mut acc: u64) -> u8 {
    acc ^= acc >> 32;
    acc ^= acc >> 16;
    acc ^= acc >> 8;
    acc as u8
}

/// XOR of all bytes, eight at a time.
#[inline]
pub(crate) fn xor_checksum(b: &[u8]) -> u8 {
    let mut chunks = b.chunks_exact(8);
    let mut acc = 0u64;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        acc ^= u64::from_le_bytes(w);
    }
    chunks.remainder().iter().fold(fold_u64(acc), |a, &x| a ^ x)
}

#[inline]
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// A decimal number of one to three digits that fits a `u8`.
#[inline]
fn small_number(s: &[u8]) -> Option<u8> {
    if s.is_empty() || s.len() > 3 {
        return None;
    }
    let mut v = 0u32;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as u32;
    }
    u8::try_from(v).ok()
}

/// Unix time from decimal digits with an optional fraction; values at or
/// above 1e11 are taken as milliseconds.
pub fn parse_epoch(s: &[u8]) -> Option<f64> {
    let mut int: u64 = 0;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // 18 digits cannot overflow a u64.
        if i == 18 {
            return None;
        }
        int = int * 10 + d as u64;
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let mut v = int as f64;
    if let Some(&b) = s.get(i) {
        if b != b'.' {
            return None;
        }
        let mut scale = 1.0f64;
        for &b in &s[i + 1..] {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            scale /= 10.0;
            v += d as f64 * scale;
        }
    }
    Some(if v >= MILLIS_THRESHOLD { v / 1000.0 } else { v })
}

/// Time before the sentence: Unix seconds/milliseconds or ISO 8601 UTC.
fn parse_time_prefix(prefix: &[u8]) -> Option<f64> {
    let mut p = prefix.trim_ascii();
    while let [rest @ .., b',' | b';' | b'|'] = p {
        p = rest.trim_ascii();
    }
    if let [b'"', inner @ .., b'"'] = p {
        p = inner;
    }
    parse_epoch(p).or_else(|| parse_iso8601(p))
}

/// Time in the last comma-separated field after the checksum, as some
/// receivers append (`...*5D,1565136000`). Needs at least 9 integer digits
/// so that receiver counters in the same place are not taken for times.
fn parse_trailing_time(trailing: &[u8]) -> Option<f64> {
    let t = trailing.trim_ascii();
    if t.first() != Some(&b',') {
        return None;
    }
    let last = t.rsplit(|&b| b == b',').next()?.trim_ascii();
    let int_digits = last.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_digits < 9 {
        return None;
    }
    parse_epoch(last)
}

/// `YYYY-MM-DD[T ]hh:mm:ss[.fff][Z|+hh:mm|-hh:mm]` (also `/` as date
/// separator) to Unix seconds.
pub fn parse_iso8601(s: &[u8]) -> Option<f64> {
    fn num(s: &[u8], at: usize, n: usize) -> Option<i64> {
        let d = s.get(at..at + n)?;
        let mut v = 0i64;
        for &b in d {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (b - b'0') as i64;
        }
        Some(v)
    }
    if s.len() < 19 {
        return None;
    }
    let sep_ok = matches!((s[4], s[7]), (b'-', b'-') | (b'/', b'/'))
        && matches!(s[10], b'T' | b' ')
        && s[13] == b':'
        && s[16] == b':';
    if !sep_ok {
        return None;
    }
    let (y, mo, d) = (num(s, 0, 4)?, num(s, 5, 2)?, num(s, 8, 2)?);
    let (h, mi, sec) = (num(s, 11, 2)?, num(s, 14, 2)?, num(s, 17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0.0;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        let mut scale = 1.0;
        for &b in &rest[1..1 + n] {
            scale /= 10.0;
            frac += (b - b'0') as f64 * scale;
        }
        rest = &rest[1 + n..];
    }
    let offset_s = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let body = &rest[1..];
            let (oh, om) = match body.len() {
                5 if body[2] == b':' => (num(body, 0, 2)?, num(body, 3, 2)?),
                4 => (num(body, 0, 2)?, num(body, 2, 2)?),
                2 => (num(body, 0, 2)?, 0),
                _ => return None,
            };
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Some(secs as f64 + frac)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &[u8] = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";

    #[test]
    fn plain_sentence() {
        let s = parse_line(PLAIN, 3).unwrap();
        assert_eq!(&s.talker, b"AI");
        assert!(!s.own_ship);
        assert_eq!((s.fragment_count, s.fragment_number), (1, 1));
        assert_eq!(s.sequence_id, None);
        assert_eq!(s.channel, Some(b'A'));
        assert_eq!(s.fill_bits, 0);
        assert_eq!(s.timestamp_s, None);
    }

    #[test]
    fn vdo_and_other_talkers() {
        let s = parse_line(
            b"!AIVDO,1,1,4,B,8>jR06@0Bk3:vOli;L`nwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwt1,2*0E",
            1,
        )
        .unwrap();
        assert!(s.own_ship);
        assert_eq!(s.sequence_id, Some(4));
        assert_eq!(s.fill_bits, 2);
    }

    #[test]
    fn checksum_is_enforced() {
        let mut bad = PLAIN.to_vec();
        let n = bad.len();
        bad[n - 1] = b'B';
        assert_eq!(
            parse_line(&bad, 17).unwrap_err(),
            AisError::BadChecksum {
                line: 17,
                expected: 0x4A,
                found: 0x4B
            }
        );
    }

    #[test]
    fn tag_block_seconds_milliseconds_and_source() {
        let p = std::str::from_utf8(PLAIN).unwrap();
        let tagged = |body: &str| {
            let cs = body.bytes().fold(0u8, |a, b| a ^ b);
            format!("\\{body}*{cs:02X}\\{p}")
        };
        let line = tagged("s:2573135,c:1565136000");
        let s = parse_line(line.as_bytes(), 1).unwrap();
        assert_eq!(s.timestamp_s, Some(1_565_136_000.0));
        assert_eq!(s.source, Some("2573135"));
        let line = tagged("c:1565136000123");
        let s = parse_line(line.as_bytes(), 1).unwrap();
        assert!((s.timestamp_s.unwrap() - 1_565_136_000.123).abs() < 1e-6);
        // a tag block without checksum is accepted
        let line = format!("\\c:1565136000\\{p}");
        let s = parse_line(line.as_bytes(), 1).unwrap();
        assert_eq!(s.timestamp_s, Some(1_565_136_000.0));
        // a wrong tag-block checksum is an error in strict mode only
        let mut bad = tagged("c:1565136000");
        bad.replace_range(14..16, "00");
        assert!(parse_line(bad.as_bytes(), 4).is_ok());
        let strict = ParseOptions {
            strict_tag_checksum: true,
        };
        assert!(matches!(
            parse_line_with(bad.as_bytes(), 4, strict),
            Err(AisError::BadTagChecksum {
                line: 4,
                found: 0,
                ..
            })
        ));
        assert!(matches!(
            parse_line(format!("\\c:1565136000{p}").as_bytes(), 4),
            Err(AisError::BadTagBlock { .. })
        ));
    }

    #[test]
    fn timestamp_wrappers() {
        let p = std::str::from_utf8(PLAIN).unwrap();
        let t = |l: String| parse_line(l.as_bytes(), 1).unwrap().timestamp_s;
        assert_eq!(t(format!("1565136000 {p}")), Some(1_565_136_000.0));
        assert_eq!(t(format!("1565136000.5,{p}")), Some(1_565_136_000.5));
        assert_eq!(t(format!("1565136000000 {p}")), Some(1_565_136_000.0));
        assert_eq!(
            t(format!("2019-08-07T00:00:00Z {p}")),
            Some(1_565_136_000.0)
        );
        assert_eq!(
            t(format!("2019-08-07 02:00:00+02:00 {p}")),
            Some(1_565_136_000.0)
        );
        assert_eq!(t(format!("{p},1565136000")), Some(1_565_136_000.0));
        assert_eq!(
            t(format!(
                "{p},s28089,d-103,T39.44,x147521,r08TPHI1,1242958962"
            )),
            Some(1_242_958_962.0)
        );
        assert_eq!(t(format!("{p},b003660465")), None);
        assert_eq!(t(format!("{p}\\x0d\\x0a")), None);
        assert_eq!(t(format!("garbage {p}")), None);
    }

    #[test]
    fn bad_fields() {
        let e = |l: &[u8]| parse_line(l, 9).unwrap_err();
        let fix = |body: &str| {
            let cs = body.bytes().fold(0u8, |a, b| a ^ b);
            format!("!{body}*{cs:02X}")
        };
        assert_eq!(e(b""), AisError::Empty { line: 9 });
        assert_eq!(e(b"  \r\n"), AisError::Empty { line: 9 });
        assert_eq!(e(b"$GPGGA,1,2*00"), AisError::NotAis { line: 9 });
        assert_eq!(
            e(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKc"),
            AisError::Truncated {
                line: 9,
                what: "missing checksum"
            }
        );
        assert!(matches!(
            e(fix("AIVDM,0,1,,A,15RT,0").as_bytes()),
            AisError::BadFragmentCount { count: 0, .. }
        ));
        assert!(matches!(
            e(fix("AIVDM,2,3,1,A,15RT,0").as_bytes()),
            AisError::BadFragmentNumber {
                number: 3,
                count: 2,
                ..
            }
        ));
        assert!(matches!(
            e(fix("AIVDM,2,0,1,A,15RT,0").as_bytes()),
            AisError::BadFragmentNumber { number: 0, .. }
        ));
        assert!(matches!(
            e(fix("AIVDM,1,1,,A,15RT,7").as_bytes()),
            AisError::BadFillBits { fill_bits: 7, .. }
        ));
        assert!(matches!(
            e(fix("AIVDM,1,1,,A,15RT").as_bytes()),
            AisError::Truncated {
                what: "too few fields",
                ..
            }
        ));
    }

    #[test]
    fn star_search_matches_bytewise() {
        let base = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A*";
        for n in 0..base.len() {
            let s = &base[..n];
            let want = s
                .iter()
                .skip(1)
                .position(|&b| b == b'*')
                .map(|p| (p + 1, s[1..p + 1].iter().fold(0u8, |a, b| a ^ b)));
            assert_eq!(find_star_xor(s), want, "{n}");
        }
        // a `*` right after a byte that SWAR could confuse
        let s = b"!\x01*\x00\x00\x00\x00\x00\x00\x00\x00";
        assert_eq!(find_star_xor(s), Some((2, 1)));
    }

    #[test]
    fn xor_checksum_matches_bytewise() {
        let s = b"AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0";
        for n in 0..s.len() {
            assert_eq!(xor_checksum(&s[..n]), s[..n].iter().fold(0, |a, b| a ^ b));
        }
        assert_eq!(parse_epoch(b"12.5"), Some(12.5));
        assert_eq!(parse_epoch(b"1234567890123456789"), None);
        assert_eq!(parse_epoch(b"12x"), None);
        assert_eq!(parse_epoch(b".5"), None);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(parse_iso8601(b"1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_iso8601(b"2000-03-01T00:00:00"), Some(951_868_800.0));
        assert_eq!(
            parse_iso8601(b"2019/08/07 00:00:00.250"),
            Some(1_565_136_000.25)
        );
        assert_eq!(parse_iso8601(b"2019-13-07T00:00:00"), None);
    }
}
