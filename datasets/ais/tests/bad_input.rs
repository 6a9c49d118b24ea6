//! Bad input: every malformed line yields a clear `AisError`, never a panic.

use coastwatch_ais::{AisError, Decoder, DecoderOptions, FragmentTimeout};
use coastwatch_core::rng::Rng;

/// `!{body}*hh` with a correct checksum.
fn sentence(body: &str) -> String {
    let cs = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("!{body}*{cs:02X}")
}

fn first_error(lines: &[&[u8]]) -> AisError {
    let mut dec = Decoder::default();
    for l in lines {
        if let Err(e) = dec.feed_line(l) {
            return e;
        }
    }
    panic!("no error")
}

#[test]
fn bad_checksum() {
    let mut dec = Decoder::default();
    for _ in 0..16 {
        dec.feed_line(b"# padding").unwrap();
    }
    let e = dec
        .feed_line(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 17: bad checksum: expected 4A, found 4B"
    );
    assert_eq!(dec.stats().bad_checksum, 1);
    // lower-case hex is accepted
    assert!(
        dec.feed_line(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4a")
            .unwrap()
            .is_some()
    );
    // non-hex checksum
    let e = dec
        .feed_line(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*G1")
        .unwrap_err();
    assert_eq!(e.to_string(), "line 19: bad checksum field");
}

#[test]
fn truncated_sentences() {
    let full = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
    for cut in 1..full.len() {
        let e = first_error(&[&full[..cut]]);
        assert!(
            matches!(
                e,
                AisError::Truncated { .. } | AisError::NotAis { .. } | AisError::BadField { .. }
            ),
            "cut {cut}: {e}"
        );
    }
    assert_eq!(
        first_error(&[b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2"]).to_string(),
        "line 1: truncated sentence: missing checksum"
    );
    assert_eq!(
        first_error(&[b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4"]).to_string(),
        "line 1: truncated sentence: incomplete checksum"
    );
    // a payload cut short but with a valid checksum: too short for type 1
    let short = sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKc,0");
    assert_eq!(
        first_error(&[short.as_bytes()]).to_string(),
        "line 1: message type 1 has an invalid length of 102 bits"
    );
}

#[test]
fn fragment_count_and_number() {
    let zero = sentence("AIVDM,0,1,1,A,15RTgt0P,0");
    assert_eq!(
        first_error(&[zero.as_bytes()]).to_string(),
        "line 1: fragment count 0 out of range 1..=9"
    );
    let over = sentence("AIVDM,2,3,1,A,15RTgt0P,0");
    assert_eq!(
        first_error(&[over.as_bytes()]).to_string(),
        "line 1: fragment number 3 out of range 1..=2"
    );
    let zero_num = sentence("AIVDM,2,0,1,A,15RTgt0P,0");
    assert!(matches!(
        first_error(&[zero_num.as_bytes()]),
        AisError::BadFragmentNumber { number: 0, .. }
    ));
    let letters = sentence("AIVDM,x,1,1,A,15RTgt0P,0");
    assert_eq!(
        first_error(&[letters.as_bytes()]).to_string(),
        "line 1: bad fragment count field"
    );
}

#[test]
fn orphan_fragments_are_dropped_and_counted() {
    let mut dec = Decoder::new(DecoderOptions {
        fragment_timeout: FragmentTimeout::Lines(2),
        ..Default::default()
    });
    let p1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C";
    let p2 = "!AIVDM,2,2,1,A,88888888880,2*25";
    assert_eq!(
        dec.feed_line(p2.as_bytes()).unwrap_err().to_string(),
        "line 1: orphan fragment 2 of 2 dropped"
    );
    assert!(dec.feed_line(p1.as_bytes()).unwrap().is_none());
    for _ in 0..3 {
        dec.feed_line(b"# other traffic").unwrap();
    }
    // timed out: the second part is now an orphan too
    assert!(matches!(
        dec.feed_line(p2.as_bytes()),
        Err(AisError::OrphanFragment { line: 6, .. })
    ));
    assert_eq!(dec.stats().dropped_fragments, 3);
    // in time, it completes
    assert!(dec.feed_line(p1.as_bytes()).unwrap().is_none());
    assert!(dec.feed_line(p2.as_bytes()).unwrap().is_some());
    // a pending first part at the end of input is counted by finish()
    assert!(dec.feed_line(p1.as_bytes()).unwrap().is_none());
    dec.finish();
    assert_eq!(dec.stats().dropped_fragments, 4);
}

#[test]
fn non_armoured_characters() {
    for bad in ["{", "X", "x", "_", " ", "\u{7f}", "\u{e9}"] {
        let line = sentence(&format!("AIVDM,1,1,,A,15RTgt0P{bad}so;90TKcjM8h6g208CQ,0"));
        let e = first_error(&[line.as_bytes()]);
        assert!(
            matches!(e, AisError::NonArmoured { offset: 8, .. }),
            "{bad:?}: {e}"
        );
    }
    let line = sentence("AIVDM,1,1,,A,15RTgt0P{so;90TKcjM8h6g208CQ,0");
    assert_eq!(
        first_error(&[line.as_bytes()]).to_string(),
        "line 1: non-armoured character 0x7B at payload offset 8"
    );
}

#[test]
fn over_long_payloads() {
    let long = sentence(&format!("AIVDM,1,1,,A,{},0", "1".repeat(200)));
    assert_eq!(
        first_error(&[long.as_bytes()]).to_string(),
        "line 1: payload of 1200 bits exceeds the limit of 1008 bits"
    );
    // the bound also holds across fragments
    let part = |n: u8| sentence(&format!("AIVDM,3,{n},5,B,{},0", "8".repeat(80)));
    let (a, b, c) = (part(1), part(2), part(3));
    let e = first_error(&[a.as_bytes(), b.as_bytes(), c.as_bytes()]);
    assert!(
        matches!(
            e,
            AisError::PayloadTooLong {
                line: 3,
                bits: 1440,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bad_fill_bits_and_fields() {
    let fill = sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,6");
    assert_eq!(
        first_error(&[fill.as_bytes()]).to_string(),
        "line 1: fill bits 6 out of range 0..=5"
    );
    // an extra field: the last one is read as fill bits
    let many = sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0,7");
    assert!(matches!(
        first_error(&[many.as_bytes()]),
        AisError::BadFillBits { fill_bits: 7, .. }
    ));
    let many = sentence("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0,0");
    assert!(matches!(
        first_error(&[many.as_bytes()]),
        AisError::NonArmoured { byte: b',', .. }
    ));
    let chan = sentence("AIVDM,1,1,,AB,15RTgt0PAso;90TKcjM8h6g208CQ,0");
    assert_eq!(
        first_error(&[chan.as_bytes()]).to_string(),
        "line 1: bad channel field"
    );
    let part = sentence("AIVDM,1,1,,A,H42O55i18tMET00000000000000,2");
    let mut p = part.clone();
    // type 24 with part number 2: bits 38..40 sit in the 7th payload
    // character; 'p' is 0b111000, so they read 0b10
    p.replace_range(20..21, "p");
    let p = sentence(&p[1..p.len() - 3]);
    assert!(matches!(
        first_error(&[p.as_bytes()]),
        AisError::UnknownPart { part: 2, .. }
    ));
}

#[test]
fn empty_lines_garbage_and_other_nmea() {
    assert_eq!(first_error(&[b""]).to_string(), "line 1: empty line");
    assert_eq!(first_error(&[b"   \r\n"]), AisError::Empty { line: 1 });
    assert_eq!(
        first_error(&[b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"])
            .to_string(),
        "line 1: not an AIVDM/AIVDO sentence"
    );
    assert!(matches!(
        first_error(&[b"\x00\xff\xfe!\\\\*"]),
        AisError::NotAis { .. } | AisError::BadTagBlock { .. }
    ));
    assert!(
        first_error(&[b"\\unterminated tag block"])
            .to_string()
            .contains("tag block")
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut dec = Decoder::new(DecoderOptions {
        pair_type24: true,
        max_pending: 4,
        ..Default::default()
    });
    let alphabet = b"!\\$*,0123456789ABCDEFVDMOabcdefw`:;<=>?@Wc\r\n \x00\xff";
    let mut line = Vec::with_capacity(512);
    for i in 0..200_000u32 {
        line.clear();
        let len = rng.below(if i % 10 == 0 { 400 } else { 90 });
        let nmea_like = i % 2 == 0;
        for _ in 0..len {
            let b = if nmea_like {
                alphabet[rng.below(alphabet.len())]
            } else {
                rng.next_u64() as u8
            };
            line.push(b);
        }
        let _ = dec.feed_line(&line);
    }
    assert_eq!(dec.stats().lines, 200_000);
}

#[test]
fn mutated_valid_lines_never_panic() {
    // Valid sentences with random edits (with a fixed checksum half of the
    // time, so the mutation reaches the payload decoders).
    let seeds: Vec<String> = [
        "AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0",
        "AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0",
        "AIVDM,2,2,1,A,88888888880,2",
        "AIVDM,1,1,,A,H42O55i18tMET00000000000000,2",
        "AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0",
        "AIVDM,2,1,5,B,E1mg=5J1T4W0h97aRh6ba84<h2d;W:Te=eLvH50```q,0",
        "AIVDM,2,2,5,B,:D44QDlp0C1DU00,2",
        "AIVDM,1,1,,A,KCQ9r=hrFUnH7P00,0",
        "AIVDM,1,1,,B,C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220,0",
        "AIVDM,1,1,,A,91b77=h3h00nHt0Q3r@@07000<0b,0",
        "AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = Rng::new(42);
    let mut dec = Decoder::new(DecoderOptions {
        pair_type24: true,
        ..Default::default()
    });
    let pool = b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw,*!\\";
    let mut decoded = 0;
    for i in 0..100_000u32 {
        let mut body = seeds[rng.below(seeds.len())].clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            if body.is_empty() {
                break;
            }
            let at = rng.below(body.len());
            match rng.below(3) {
                0 => body[at] = pool[rng.below(pool.len())],
                1 => {
                    body.remove(at);
                }
                _ => body.insert(at, pool[rng.below(pool.len())]),
            }
        }
        let line = if i % 2 == 0 {
            let cs = body.iter().fold(0u8, |a, b| a ^ b);
            let mut l = vec![b'!'];
            l.extend_from_slice(&body);
            l.extend_from_slice(format!("*{cs:02X}").as_bytes());
            l
        } else {
            let mut l = vec![b'!'];
            l.extend_from_slice(&body);
            l.extend_from_slice(b"*00");
            l
        };
        if let Ok(Some(d)) = dec.feed_line(&line) {
            decoded += 1;
            let mut out = Vec::new();
            coastwatch_ais::gpsd_json::write_gpsd_json(&mut out, &d.message, None);
            serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
        }
    }
    assert!(
        decoded > 1000,
        "mutations should still decode often: {decoded}"
    );
}

#[test]
fn seconds_timeout_and_first_fragment_time() {
    let mut dec = Decoder::new(DecoderOptions {
        fragment_timeout: FragmentTimeout::Seconds(5.0),
        ..Default::default()
    });
    let p1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C";
    let p2 = "!AIVDM,2,2,1,A,88888888880,2*25";
    // 10 s apart: timed out
    assert!(
        dec.feed_line(format!("1565136000 {p1}").as_bytes())
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        dec.feed_line(format!("1565136010 {p2}").as_bytes()),
        Err(AisError::OrphanFragment { .. })
    ));
    // 2 s apart: complete, stamped with the first fragment's time
    assert!(
        dec.feed_line(format!("2019-08-07T00:00:00Z {p1}").as_bytes())
            .unwrap()
            .is_none()
    );
    let last = format!("2019-08-07T00:00:02Z {p2}");
    let d = dec.feed_line(last.as_bytes()).unwrap().unwrap();
    assert_eq!(d.timestamp_s, Some(1_565_136_000.0));
    assert_eq!(d.line, 4);
}
