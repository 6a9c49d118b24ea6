//! Vessels' identities and reports as AIVDM sentences with tag-block times.

use coastwatch_ais::encode::{
    BitWriter, StaticVoyage, class_b_position, class_b_static, sentences, with_time,
};

/// Who a vessel is, as its AIS says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VesselSpec {
    pub(crate) mmsi: u32,
    /// Class B transponder (types 18 and 24) instead of class A (types 1–3 and 5).
    pub(crate) class_b: bool,
    pub(crate) ship_type: u8,
    pub(crate) name: String,
    pub(crate) callsign: String,
    /// IMO number, 0 for none.
    pub(crate) imo: u32,
    pub(crate) destination: String,
    /// Whether it sends static reports at all.
    pub(crate) sends_static: bool,
}

/// One position report as sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Report {
    pub(crate) t: f64,
    /// Longitude and latitude, already at the 1/10000 minute AIS resolution.
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) sog_kn: f64,
    pub(crate) cog_deg: f64,
    pub(crate) heading_deg: Option<f64>,
    pub(crate) nav_status: u8,
    /// 1, 2 or 3 for class A.
    pub(crate) msg_type: u8,
}

/// A coordinate at AIS resolution (1/600 000 degree), as the decoder returns it.
pub(crate) fn ais_deg(x: f64) -> f64 {
    (x * 600_000.0).round() / 600_000.0
}

/// The bits of a class A position report of type 1, 2 or 3 (ITU-R M.1371-5 table 45).
fn class_a_bits(mmsi: u32, r: &Report) -> BitWriter {
    let mut w = BitWriter::default();
    w.u(u64::from(r.msg_type), 6)
        .u(0, 2)
        .u(u64::from(mmsi), 30)
        .u(u64::from(r.nav_status), 4)
        .i(-128, 8)
        .u((r.sog_kn * 10.0).round().clamp(0.0, 1022.0) as u64, 10)
        .u(0, 1)
        .i((r.lon * 600_000.0).round() as i64, 28)
        .i((r.lat * 600_000.0).round() as i64, 27)
        .u(
            (r.cog_deg.rem_euclid(360.0) * 10.0).round() as u64 % 3600,
            12,
        )
        .u(r.heading_deg.map_or(511, |h| h.round() as u64 % 360), 9)
        .u((r.t.rem_euclid(60.0)) as u64, 6)
        .u(0, 2)
        .u(0, 3)
        .u(0, 1)
        .u(0, 19);
    w
}

/// Channels and sequence ids of the sentences written so far.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    count: u64,
    sequence: u8,
}

impl Writer {
    fn channel(&mut self) -> char {
        self.count += 1;
        if self.count.is_multiple_of(2) {
            'B'
        } else {
            'A'
        }
    }

    fn sequence(&mut self) -> u8 {
        self.sequence = self.sequence % 9 + 1;
        self.sequence
    }

    fn timed(t: f64, lines: Vec<String>) -> Vec<String> {
        lines.iter().map(|l| with_time(l, t as i64)).collect()
    }

    /// The sentence of a position report.
    pub(crate) fn position(&mut self, spec: &VesselSpec, r: &Report) -> Vec<String> {
        let bits = if spec.class_b {
            class_b_position(
                spec.mmsi,
                r.lon,
                r.lat,
                r.sog_kn,
                r.cog_deg,
                r.t.rem_euclid(60.0) as u8,
            )
        } else {
            class_a_bits(spec.mmsi, r)
        };
        let channel = self.channel();
        Self::timed(r.t, sentences(&bits, channel, 0))
    }

    /// The sentences of a static report at `t`: type 5 (two sentences) for class A,
    /// type 24 parts A and B for class B.
    pub(crate) fn statics(&mut self, spec: &VesselSpec, t: f64) -> Vec<String> {
        let channel = self.channel();
        if spec.class_b {
            let [a, b] = class_b_static(spec.mmsi, &spec.name, spec.ship_type, &spec.callsign);
            let mut out = sentences(&a, channel, 0);
            out.extend(sentences(&b, channel, 0));
            Self::timed(t, out)
        } else {
            let voyage = StaticVoyage {
                mmsi: spec.mmsi,
                imo: spec.imo,
                callsign: spec.callsign.clone(),
                name: spec.name.clone(),
                ship_type: spec.ship_type,
                destination: spec.destination.clone(),
            };
            let sequence = self.sequence();
            Self::timed(t, sentences(&voyage.bits(), channel, sequence))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coastwatch_ais::decoder::{Decoder, DecoderOptions};
    use coastwatch_ais::messages::AisMessage;

    #[test]
    fn every_report_decodes_with_its_time() {
        let spec = VesselSpec {
            mmsi: 412_123_456,
            class_b: false,
            ship_type: 80,
            name: "HAI XUN YOU 3".into(),
            callsign: "BQRT7".into(),
            imo: 9_134_270,
            destination: "NINGBO".into(),
            sends_static: true,
        };
        let report = Report {
            t: 1_780_308_017.0,
            lon: ais_deg(121.812_345_6),
            lat: ais_deg(29.512_345_6),
            sog_kn: 9.3,
            cog_deg: 181.2,
            heading_deg: Some(182.0),
            nav_status: 0,
            msg_type: 3,
        };
        let mut w = Writer::default();
        let mut lines = w.position(&spec, &report);
        lines.extend(w.statics(&spec, report.t + 3.0));
        let b = VesselSpec {
            class_b: true,
            ship_type: 37,
            ..spec.clone()
        };
        lines.extend(w.position(&b, &report));
        lines.extend(w.statics(&b, report.t + 5.0));
        assert_eq!(lines.len(), 6);
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut types = Vec::new();
        for line in &lines {
            assert!(line.starts_with("\\c:17803080"), "{line}");
            if let Some(d) = decoder.feed_line(line.as_bytes()).unwrap() {
                assert!(d.timestamp_s.unwrap() >= report.t);
                if let AisMessage::Position(p) = &d.message {
                    assert_eq!(p.lon_deg, Some(report.lon));
                    assert_eq!(p.lat_deg, Some(report.lat));
                }
                types.push(d.message.header().msg_type);
            }
        }
        assert_eq!(types, [3, 5, 18, 24, 24]);
    }
}
