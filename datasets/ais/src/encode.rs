//! Writing AIVDM sentences: the inverse of the decoder, for the simulator and the tests.
//!
//! Fields follow ITU-R M.1371-5; positions are in 1/10000 minute, speeds in 0.1 kn,
//! courses in 0.1°. Payloads longer than one sentence allows are split into fragments.

use std::fmt::Write as _;

/// Characters of payload per sentence (keeps sentences within NMEA's 82 characters).
const CHARS_PER_SENTENCE: usize = 60;

/// Bits being assembled, most significant bit first.
#[derive(Debug, Default, Clone)]
pub struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    /// Appends the low `width` bits of `value`.
    pub fn u(&mut self, value: u64, width: u32) -> &mut Self {
        for i in (0..width).rev() {
            self.bits.push((value >> i) & 1 == 1);
        }
        self
    }

    /// Appends a two's complement signed value of `width` bits.
    pub fn i(&mut self, value: i64, width: u32) -> &mut Self {
        self.u((value as u64) & ((1u64 << width) - 1), width)
    }

    /// Appends `chars` six-bit characters of `text` (upper-cased, padded with `@`).
    pub fn text(&mut self, text: &str, chars: usize) -> &mut Self {
        let mut bytes = text.bytes().map(|b| b.to_ascii_uppercase());
        for _ in 0..chars {
            let c = bytes.next().unwrap_or(b'@');
            let six = match c {
                b'@'..=b'_' => c - b'@',
                b' '..=b'?' => c,
                _ => 0,
            };
            self.u(u64::from(six), 6);
        }
        self
    }

    /// Number of bits so far.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// The armoured payload and its fill bits.
    pub fn armor(&self) -> (String, u8) {
        let fill = (6 - self.bits.len() % 6) % 6;
        let mut out = String::with_capacity(self.bits.len().div_ceil(6));
        for chunk in self.bits.chunks(6) {
            let mut v = 0u8;
            for i in 0..6 {
                v = (v << 1) | u8::from(chunk.get(i).copied().unwrap_or(false));
            }
            out.push(char::from(if v < 40 { v + 48 } else { v + 56 }));
        }
        (out, fill as u8)
    }
}

/// The NMEA checksum (XOR of the bytes between `!`/`$` and `*`).
pub fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |a, b| a ^ b)
}

/// The `!AIVDM` sentences carrying `bits` on `channel`, with `sequence_id` (0–9) for
/// multi-sentence messages.
pub fn sentences(bits: &BitWriter, channel: char, sequence_id: u8) -> Vec<String> {
    let (payload, fill) = bits.armor();
    let parts: Vec<&str> = payload
        .as_bytes()
        .chunks(CHARS_PER_SENTENCE)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let count = parts.len().max(1);
    let seq = if count > 1 {
        (sequence_id % 10).to_string()
    } else {
        String::new()
    };
    (0..count)
        .map(|i| {
            let part = parts.get(i).copied().unwrap_or_default();
            let fill = if i + 1 == count { fill } else { 0 };
            let body = format!("AIVDM,{count},{},{seq},{channel},{part},{fill}", i + 1);
            format!("!{body}*{:02X}", checksum(&body))
        })
        .collect()
}

/// Prefixes a sentence with an NMEA 4.0 tag block carrying its time (`c:`, epoch s).
pub fn with_time(sentence: &str, t_epoch_s: i64) -> String {
    let tag = format!("c:{t_epoch_s}");
    let mut out = String::with_capacity(sentence.len() + 20);
    let _ = write!(out, "\\{tag}*{:02X}\\{sentence}", checksum(&tag));
    out
}

/// A class A position report (type 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionReport {
    /// The vessel.
    pub mmsi: u32,
    /// Navigational status (0 under way, 1 at anchor, 5 moored, 15 undefined).
    pub nav_status: u8,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Speed over ground (kn).
    pub sog_kn: f64,
    /// Course over ground (deg).
    pub cog_deg: f64,
    /// True heading (deg), `None` when unknown.
    pub heading_deg: Option<f64>,
    /// UTC second of the report (0–59).
    pub second: u8,
}

impl PositionReport {
    /// The message's bits.
    pub fn bits(&self) -> BitWriter {
        let mut w = BitWriter::default();
        w.u(1, 6)
            .u(0, 2)
            .u(u64::from(self.mmsi), 30)
            .u(u64::from(self.nav_status), 4)
            .i(-128, 8) // rate of turn: not available
            .u((self.sog_kn * 10.0).round().clamp(0.0, 1022.0) as u64, 10)
            .u(0, 1)
            .i((self.lon * 600_000.0).round() as i64, 28)
            .i((self.lat * 600_000.0).round() as i64, 27)
            .u(
                (self.cog_deg.rem_euclid(360.0) * 10.0).round() as u64 % 3600,
                12,
            )
            .u(self.heading_deg.map_or(511, |h| h.round() as u64 % 360), 9)
            .u(u64::from(self.second.min(59)), 6)
            .u(0, 2)
            .u(0, 3)
            .u(0, 1)
            .u(0, 19);
        w
    }
}

/// A class B position report (type 18).
pub fn class_b_position(
    mmsi: u32,
    lon: f64,
    lat: f64,
    sog_kn: f64,
    cog_deg: f64,
    second: u8,
) -> BitWriter {
    let mut w = BitWriter::default();
    w.u(18, 6)
        .u(0, 2)
        .u(u64::from(mmsi), 30)
        .u(0, 8)
        .u((sog_kn * 10.0).round().clamp(0.0, 1022.0) as u64, 10)
        .u(0, 1)
        .i((lon * 600_000.0).round() as i64, 28)
        .i((lat * 600_000.0).round() as i64, 27)
        .u((cog_deg.rem_euclid(360.0) * 10.0).round() as u64 % 3600, 12)
        .u(511, 9)
        .u(u64::from(second.min(59)), 6)
        .u(0, 2)
        .u(1, 1) // CS unit
        .u(0, 4)
        .u(0, 1)
        .u(0, 1)
        .u(0, 20);
    w
}

/// Static and voyage data of a class A vessel (type 5).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticVoyage {
    /// The vessel.
    pub mmsi: u32,
    /// IMO number (0 when none).
    pub imo: u32,
    /// Call sign (7 characters at most).
    pub callsign: String,
    /// Name (20 characters at most).
    pub name: String,
    /// Ship-and-cargo type code.
    pub ship_type: u8,
    /// Destination (20 characters at most).
    pub destination: String,
}

impl StaticVoyage {
    /// The message's bits (424 bits, two sentences).
    pub fn bits(&self) -> BitWriter {
        let mut w = BitWriter::default();
        w.u(5, 6)
            .u(0, 2)
            .u(u64::from(self.mmsi), 30)
            .u(0, 2)
            .u(u64::from(self.imo), 30)
            .text(&self.callsign, 7)
            .text(&self.name, 20)
            .u(u64::from(self.ship_type), 8)
            .u(20, 9)
            .u(10, 9)
            .u(3, 6)
            .u(3, 6)
            .u(1, 4)
            .u(0, 4)
            .u(0, 5)
            .u(24, 5)
            .u(60, 6)
            .u(30, 8)
            .text(&self.destination, 20)
            .u(0, 1)
            .u(0, 1);
        w
    }
}

/// Class B static data: part A (name) and part B (type, call sign) of a type 24 message.
pub fn class_b_static(mmsi: u32, name: &str, ship_type: u8, callsign: &str) -> [BitWriter; 2] {
    let mut a = BitWriter::default();
    a.u(24, 6)
        .u(0, 2)
        .u(u64::from(mmsi), 30)
        .u(0, 2)
        .text(name, 20)
        .u(0, 8);
    let mut b = BitWriter::default();
    b.u(24, 6)
        .u(0, 2)
        .u(u64::from(mmsi), 30)
        .u(1, 2)
        .u(u64::from(ship_type), 8)
        .text("", 3) // vendor id
        .u(0, 4) // unit model
        .u(0, 20) // serial number
        .text(callsign, 7)
        .u(0, 30)
        .u(0, 6);
    [a, b]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decoder::{Decoder, DecoderOptions};
    use crate::messages::AisMessage;

    fn decode_all(lines: &[String]) -> Vec<AisMessage> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut out = Vec::new();
        for line in lines {
            if let Some(decoded) = decoder.feed_line(line.as_bytes()).unwrap() {
                out.push(decoded.message);
            }
        }
        out
    }

    #[test]
    fn position_reports_decode_to_what_was_encoded() {
        let report = PositionReport {
            mmsi: 412_345_678,
            nav_status: 0,
            lon: 121.612_345,
            lat: -29.587_654,
            sog_kn: 7.3,
            cog_deg: 271.4,
            heading_deg: Some(270.0),
            second: 42,
        };
        let lines = sentences(&report.bits(), 'A', 0);
        assert_eq!(lines.len(), 1);
        let timed = with_time(&lines[0], 1_780_000_000);
        let mut decoder = Decoder::new(DecoderOptions::default());
        let decoded = decoder.feed_line(timed.as_bytes()).unwrap().unwrap();
        assert_eq!(decoded.timestamp_s, Some(1_780_000_000.0));
        let v = crate::gpsd_json::to_gpsd_value(&decoded.message, None);
        assert_eq!(v["mmsi"], 412_345_678);
        assert!(
            (v["lon"].as_f64().unwrap() - 121.612_345).abs() < 2e-6,
            "{v}"
        );
        assert!(
            (v["lat"].as_f64().unwrap() + 29.587_654).abs() < 2e-6,
            "{v}"
        );
        assert_eq!(v["speed"], 7.3);
        assert_eq!(v["course"], 271.4);
        assert_eq!(v["heading"], 270);
        assert_eq!(v["second"], 42);
    }

    #[test]
    fn static_reports_span_two_sentences_and_decode() {
        let voyage = StaticVoyage {
            mmsi: 412_000_777,
            imo: 9_074_729,
            callsign: "BXYZ7".into(),
            name: "ZHE XIANG YU 88".into(),
            ship_type: 30,
            destination: "NINGBO".into(),
        };
        let lines = sentences(&voyage.bits(), 'B', 3);
        assert_eq!(lines.len(), 2);
        let messages = decode_all(&lines);
        assert_eq!(messages.len(), 1);
        let v = crate::gpsd_json::to_gpsd_value(&messages[0], None);
        assert_eq!(v["shipname"], "ZHE XIANG YU 88");
        assert_eq!(v["callsign"], "BXYZ7");
        assert_eq!(v["imo"], 9_074_729);
        assert_eq!(v["shiptype"], 30);
        assert_eq!(v["destination"], "NINGBO");
    }

    #[test]
    fn class_b_messages_decode() {
        let mut lines = sentences(
            &class_b_position(413_000_001, 121.5, 29.6, 3.2, 45.0, 7),
            'A',
            0,
        );
        let [a, b] = class_b_static(413_000_001, "MIN YU 1", 37, "BQ1");
        lines.extend(sentences(&a, 'A', 0));
        lines.extend(sentences(&b, 'A', 0));
        let messages = decode_all(&lines);
        let text: String = messages
            .iter()
            .map(|m| crate::gpsd_json::to_gpsd_value(m, None).to_string())
            .collect();
        assert!(
            text.contains(r#""type":18"#) && text.contains(r#""speed":3.2"#),
            "{text}"
        );
        assert!(text.contains(r#""shipname":"MIN YU 1""#), "{text}");
        assert!(
            text.contains(r#""callsign":"BQ1""#) && text.contains(r#""shiptype":37"#),
            "{text}"
        );
    }
}
