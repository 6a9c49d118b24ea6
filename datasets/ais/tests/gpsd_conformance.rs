//! Conformance against gpsd: decode gpsd's `sample.aivdm` regression input
//! and compare every record of the fully decoded types with gpsd's golden
//! `gpsdecode -j` output (`sample.aivdm.js.chk`), field by field.
//!
//! Fixtures: `shared/data/ais/gpsd/`, from the gpsd project's `test/`
//! directory (BSD-2-clause, see `COPYING` there).

use coastwatch_ais::gpsd_json::write_gpsd_json;
use coastwatch_ais::{AisError, Decoder, DecoderOptions};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/ais/gpsd/sample.aivdm"
);
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/ais/gpsd/sample.aivdm.js.chk"
);

/// Message types this decoder decodes in full.
const FULL_TYPES: &[u64] = &[1, 2, 3, 4, 5, 9, 18, 19, 21, 24, 27];

/// Deliberate differences from gpsd: (field, reason). A field listed here
/// may be missing on one side or differ in value.
const ALLOWED_DIFFERENCES: &[(&str, &str)] = &[(
    "device",
    "gpsdecode names its input \"stdin\"; coastwatch leaves `device` out \
     unless the caller passes one (the conformance run passes none)",
)];

/// A flat JSON object as (key, raw value text) in order.
type Record = Vec<(String, String)>;

/// Splits a flat JSON object into keys and raw value texts; the records of
/// the types compared here hold no nested values.
fn flat_fields(line: &str) -> Record {
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert!(v.is_object(), "not an object: {line}");
    let b = line.trim().as_bytes();
    assert_eq!((b[0], b[b.len() - 1]), (b'{', b'}'), "{line}");
    let mut out = Vec::new();
    let mut i = 1;
    let string_end = |mut j: usize| {
        // j is just after an opening quote
        while b[j] != b'"' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        j
    };
    while i < b.len() - 1 {
        assert_eq!(b[i], b'"', "key expected at {i}: {line}");
        let k_end = string_end(i + 1);
        let key = line[i + 1..k_end].to_string();
        assert_eq!(b[k_end + 1], b':', "{line}");
        let v_start = k_end + 2;
        let v_end = if b[v_start] == b'"' {
            string_end(v_start + 1) + 1
        } else {
            let mut j = v_start;
            while b[j] != b',' && b[j] != b'}' {
                assert!(b[j] != b'{' && b[j] != b'[', "nested value in {line}");
                j += 1;
            }
            j
        };
        out.push((key, line[v_start..v_end].to_string()));
        i = v_end + 1;
    }
    out
}

fn get<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
    r.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn is_number(s: &str) -> bool {
    s.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Equal at gpsd's printed precision: a number printed with `d` decimals by
/// gpsd must be within half a unit of the last digit.
fn same_value(ours: &str, gpsd: &str) -> bool {
    if ours == gpsd {
        return true;
    }
    if is_number(ours) && is_number(gpsd) {
        let decimals = gpsd.split_once('.').map_or(0, |(_, f)| f.len());
        let tol = 0.5 * 10f64.powi(-(decimals as i32)) + 1e-12;
        let (a, b): (f64, f64) = (ours.parse().unwrap(), gpsd.parse().unwrap());
        return (a - b).abs() <= tol;
    }
    false
}

fn our_records() -> (Vec<String>, Vec<AisError>) {
    our_records_with_device(None)
}

fn our_records_with_device(device: Option<&str>) -> (Vec<String>, Vec<AisError>) {
    let text = std::fs::read(SAMPLE).expect("gpsd sample.aivdm");
    // gpsdecode emits a type 24 report only once parts A and B are paired.
    let mut dec = Decoder::new(DecoderOptions {
        pair_type24: true,
        ..DecoderOptions::default()
    });
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        match dec.feed_line(line) {
            Ok(Some(d)) => {
                let mut json = Vec::new();
                write_gpsd_json(&mut json, &d.message, device);
                out.push(String::from_utf8(json).unwrap());
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (out, errors)
}

fn type_of(line: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["type"].as_u64().unwrap()
}

#[test]
fn matches_gpsdecode_on_fully_decoded_types() {
    let (ours, _) = our_records();
    let golden = std::fs::read_to_string(GOLDEN).expect("gpsd sample.aivdm.js.chk");
    let golden: Vec<&str> = golden
        .lines()
        .filter(|l| !l.trim().is_empty() && FULL_TYPES.contains(&type_of(l)))
        .collect();
    let ours: Vec<&String> = ours
        .iter()
        .filter(|l| FULL_TYPES.contains(&type_of(l)))
        .collect();

    let allowed = |k: &str| ALLOWED_DIFFERENCES.iter().any(|(f, _)| *f == k);
    let mut problems = Vec::new();
    if ours.len() != golden.len() {
        problems.push(format!(
            "record count: ours {} vs gpsd {} (types {FULL_TYPES:?})",
            ours.len(),
            golden.len()
        ));
    }
    let mut fields_compared = 0;
    for (n, (o, g)) in ours.iter().zip(&golden).enumerate() {
        let (o, g) = (flat_fields(o), flat_fields(g));
        let label = format!(
            "record {n} (type {}, mmsi {})",
            get(&g, "type").unwrap_or("?"),
            get(&g, "mmsi").unwrap_or("?")
        );
        for (k, gv) in &g {
            match get(&o, k) {
                Some(ov) if same_value(ov, gv) => fields_compared += 1,
                Some(ov) if !allowed(k) => {
                    problems.push(format!("{label}: {k}: ours {ov} vs gpsd {gv}"));
                }
                None if !allowed(k) => problems.push(format!("{label}: {k}: missing (gpsd {gv})")),
                _ => {}
            }
        }
        for (k, ov) in &o {
            if get(&g, k).is_none() && !allowed(k) {
                problems.push(format!("{label}: {k}: extra field (ours {ov})"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences from gpsd:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "gpsd conformance: {} records, {fields_compared} fields equal",
        golden.len()
    );
    assert!(golden.len() >= 25, "too few records compared");
}

#[test]
fn every_golden_record_has_a_counterpart_by_type_and_mmsi() {
    // Also the types decoded only to the header: same messages, same order.
    let (ours, _) = our_records();
    let golden = std::fs::read_to_string(GOLDEN).unwrap();
    let key = |l: &str| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (
            v["type"].as_u64().unwrap(),
            v["repeat"].as_u64().unwrap(),
            v["mmsi"].as_u64().unwrap(),
        )
    };
    let ours: Vec<_> = ours.iter().map(|l| key(l)).collect();
    let golden: Vec<_> = golden
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(key)
        .collect();
    // gpsd drops some malformed binary messages (types 6, 8, 25, 26 whose
    // inner lengths do not fit); we keep every header, so ours may have more.
    let mut it = ours.iter();
    for g in &golden {
        assert!(
            it.any(|o| o == g),
            "gpsd record {g:?} missing or out of order in ours"
        );
    }
}

#[test]
fn byte_identical_to_gpsdecode_with_device_stdin() {
    // With gpsdecode's device name the fully decoded records are the same
    // bytes, field order included.
    let (ours, _) = our_records_with_device(Some("stdin"));
    let golden = std::fs::read_to_string(GOLDEN).unwrap();
    let golden: Vec<&str> = golden
        .lines()
        .filter(|l| !l.trim().is_empty() && FULL_TYPES.contains(&type_of(l)))
        .collect();
    let ours: Vec<&str> = ours
        .iter()
        .map(String::as_str)
        .filter(|l| FULL_TYPES.contains(&type_of(l)))
        .collect();
    let differing: Vec<String> = ours
        .iter()
        .zip(&golden)
        .filter(|(o, g)| o != g)
        .map(|(o, g)| format!("ours: {o}\ngpsd: {g}"))
        .collect();
    assert!(differing.is_empty(), "{}", differing.join("\n"));
    assert_eq!(ours.len(), golden.len());
}

#[test]
fn errors_are_reported_with_line_numbers() {
    let (_, errors) = our_records();
    // sample.aivdm has a fragment without its '!' (not AIS), orphan type 24
    // parts are not errors, and no line has a bad checksum.
    assert!(errors.iter().all(|e| e.line() > 0));
    assert!(!errors.iter().any(AisError::is_checksum), "{errors:?}");
}
