//! gpsd-compatible JSON (`gpsdecode -j`, scaled) for decoded messages.
//!
//! Field names, field order and number formats follow gpsd's
//! `json_aivdm_dump`: e.g. `"turn":"fastleft"`, `"lon":-123.3953833`
//! (7 decimals), `"speed":12.3` (1 decimal). Not-available values are
//! printed as gpsd prints them (`"lon":181.0000000`, `"heading":511`,
//! `"turn":"n/a"`).
//!
//! The `device` member is left out unless the caller passes one; gpsdecode
//! itself prints `"device":"stdin"`.
//!
//! Types without a full decoder ([`AisMessage::Other`]) print only `class`,
//! `device`, `type`, `repeat`, `mmsi` and `scaled`.
//!
//! Numbers are written with integer arithmetic from the transmitted
//! fixed-point values, which gives the same digits as C's `printf`.

use std::sync::OnceLock;

use super::messages::{
    AidToNavigationReport, AisMessage, BaseStationReport, ClassBExtendedReport,
    ClassBPositionReport, Dimensions, DimensionsOrMothership, LongRangeReport, PositionReport,
    RateOfTurn, SarAircraftReport, StaticDataReport, StaticVoyageData,
};

/// `,"name":` as bytes.
macro_rules! k {
    ($name:literal) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
}
/// Appends one gpsd JSON object for `msg` to `out` (no trailing newline).
///
/// ```
/// use coastwatch_ais::{AisMessage, PayloadBits, gpsd_json::write_gpsd_json};
/// let mut bits = PayloadBits::new();
/// bits.push_armored(b"38Id705000rRVJhE7cl9n;160000", 0).unwrap();
/// let msg = AisMessage::decode(&bits.reader()).unwrap();
/// let mut out = Vec::new();
/// write_gpsd_json(&mut out, &msg, None);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with(r#"{"class":"AIS","type":3,"repeat":0,"mmsi":563808000,"scaled":true,"status":5,"status_text":"Moored","turn":"0.00","speed":0.0"#));
/// ```
pub fn write_gpsd_json(out: &mut Vec<u8>, msg: &AisMessage, device: Option<&str>) {
    out.reserve(RECORD_CAP);
    let mut w = Writer(out);
    w.raw(b"{\"class\":\"AIS\"");
    if let Some(dev) = device.filter(|d| !d.is_empty()) {
        w.raw(k!("device"));
        w.string(dev.as_bytes());
    }
    let h = msg.header();
    w.raw(k!("type"));
    w.uint(h.msg_type as u64);
    w.raw(k!("repeat"));
    w.uint(h.repeat as u64);
    w.raw(k!("mmsi"));
    w.uint(h.mmsi.get() as u64);
    w.raw(b",\"scaled\":true");
    match msg {
        AisMessage::Position(m) => position(&mut w, m),
        AisMessage::BaseStation(m) => base_station(&mut w, m),
        AisMessage::StaticVoyage(m) => static_voyage(&mut w, m),
        AisMessage::SarAircraft(m) => sar_aircraft(&mut w, m),
        AisMessage::ClassBPosition(m) => class_b(&mut w, m),
        AisMessage::ClassBExtended(m) => class_b_extended(&mut w, m),
        AisMessage::AidToNavigation(m) => aid_to_navigation(&mut w, m),
        AisMessage::StaticData(m) => static_data(&mut w, m),
        AisMessage::LongRange(m) => long_range(&mut w, m),
        AisMessage::Other(_) => {}
    }
    w.byte(b'}');
}

/// The gpsd JSON object for `msg` as a [`serde_json::Value`].
pub fn to_gpsd_value(msg: &AisMessage, device: Option<&str>) -> serde_json::Value {
    let mut out = Vec::with_capacity(512);
    write_gpsd_json(&mut out, msg, device);
    serde_json::from_slice(&out).expect("the gpsd JSON writer emits valid JSON")
}

fn position(w: &mut Writer, m: &PositionReport) {
    w.raw(k!("status"));
    w.uint(m.nav_status as u64);
    w.raw(k!("status_text"));
    w.legend(nav_status_text(m.nav_status));
    w.raw(k!("turn"));
    match m.turn {
        None => w.raw(b"\"n/a\""),
        Some(RateOfTurn::FastLeft) => w.raw(b"\"fastleft\""),
        Some(RateOfTurn::FastRight) => w.raw(b"\"fastright\""),
        Some(RateOfTurn::DegPerMin(v)) => {
            w.raw(b"\"");
            w.raw(turn_text(v).as_bytes());
            w.raw(b"\"");
        }
    }
    w.raw(k!("speed"));
    match tenths_f32(m.sog_kn, 1023) {
        1023 => w.raw(b"\"n/a\""),
        1022 => w.raw(b"\"fast\""),
        v => w.fixed::<1>(v),
    }
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    lon_lat(w, m.lon_deg, m.lat_deg);
    w.raw(k!("course"));
    w.fixed::<1>(tenths_f32(m.cog_deg, 3600));
    w.raw(k!("heading"));
    w.uint(m.heading_deg.unwrap_or(511) as u64);
    w.raw(k!("second"));
    w.uint(m.utc_second as u64);
    w.raw(k!("maneuver"));
    w.uint(m.maneuver as u64);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("radio"));
    w.uint(m.radio as u64);
}

fn base_station(w: &mut Writer, m: &BaseStationReport) {
    w.raw(k!("timestamp"));
    w.raw(b"\"");
    w.padded(m.year as u64, 4);
    w.raw(b"-");
    w.padded(m.month as u64, 2);
    w.raw(b"-");
    w.padded(m.day as u64, 2);
    w.raw(b"T");
    w.padded(m.hour as u64, 2);
    w.raw(b":");
    w.padded(m.minute as u64, 2);
    w.raw(b":");
    w.padded(m.second as u64, 2);
    w.raw(b"Z\"");
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    lon_lat(w, m.lon_deg, m.lat_deg);
    epfd(w, m.epfd);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("radio"));
    w.uint(m.radio as u64);
}

fn static_voyage(w: &mut Writer, m: &StaticVoyageData) {
    w.raw(k!("imo"));
    w.uint(m.imo.unwrap_or(0) as u64);
    w.raw(k!("ais_version"));
    w.uint(m.ais_version as u64);
    w.raw(k!("callsign"));
    w.string(m.callsign.as_bytes());
    w.raw(k!("shipname"));
    w.string(m.shipname.as_bytes());
    ship_type(w, m.ship_type);
    dimensions(w, &m.dimensions);
    epfd(w, m.epfd);
    w.raw(k!("eta"));
    w.raw(b"\"");
    w.padded(m.eta.month as u64, 2);
    w.raw(b"-");
    w.padded(m.eta.day as u64, 2);
    w.raw(b"T");
    w.padded(m.eta.hour as u64, 2);
    w.raw(b":");
    w.padded(m.eta.minute as u64, 2);
    w.raw(b"Z\"");
    w.raw(k!("draught"));
    w.fixed::<1>(tenths_f32(m.draught_m, 0));
    w.raw(k!("destination"));
    w.string(m.destination.as_bytes());
    w.raw(k!("dte"));
    w.uint(m.dte as u64);
}

fn sar_aircraft(w: &mut Writer, m: &SarAircraftReport) {
    w.raw(k!("alt"));
    match m.altitude_m {
        None => w.raw(b"\"nan\""),
        Some(4094) => w.raw(b"\"high\""),
        Some(v) => w.uint(v as u64),
    }
    w.raw(k!("speed"));
    match m.sog_kn {
        None => w.raw(b"\"nan\""),
        Some(1022) => w.raw(b"\"fast\""),
        Some(v) => w.uint(v as u64),
    }
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    lon_lat(w, m.lon_deg, m.lat_deg);
    w.raw(k!("course"));
    w.fixed::<1>(tenths_f32(m.cog_deg, 3600));
    w.raw(k!("second"));
    w.uint(m.utc_second as u64);
    w.raw(k!("regional"));
    w.uint(m.regional as u64);
    w.raw(k!("dte"));
    w.uint(m.dte as u64);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("radio"));
    w.uint(m.radio as u64);
}

fn class_b(w: &mut Writer, m: &ClassBPositionReport) {
    w.raw(k!("reserved"));
    w.uint(m.reserved as u64);
    w.raw(k!("speed"));
    w.fixed::<1>(tenths_f32(m.sog_kn, 1023));
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    lon_lat(w, m.lon_deg, m.lat_deg);
    w.raw(k!("course"));
    w.fixed::<1>(tenths_f32(m.cog_deg, 3600));
    w.raw(k!("heading"));
    w.uint(m.heading_deg.unwrap_or(511) as u64);
    w.raw(k!("second"));
    w.uint(m.utc_second as u64);
    w.raw(k!("regional"));
    w.uint(m.regional as u64);
    w.raw(k!("cs"));
    w.bool(m.cs);
    w.raw(k!("display"));
    w.bool(m.display);
    w.raw(k!("dsc"));
    w.bool(m.dsc);
    w.raw(k!("band"));
    w.bool(m.band);
    w.raw(k!("msg22"));
    w.bool(m.msg22);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("radio"));
    w.uint(m.radio as u64);
}

fn class_b_extended(w: &mut Writer, m: &ClassBExtendedReport) {
    w.raw(k!("reserved"));
    w.uint(m.reserved as u64);
    w.raw(k!("speed"));
    w.fixed::<1>(tenths_f32(m.sog_kn, 1023));
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    lon_lat(w, m.lon_deg, m.lat_deg);
    w.raw(k!("course"));
    w.fixed::<1>(tenths_f32(m.cog_deg, 3600));
    w.raw(k!("heading"));
    w.uint(m.heading_deg.unwrap_or(511) as u64);
    w.raw(k!("second"));
    w.uint(m.utc_second as u64);
    w.raw(k!("regional"));
    w.uint(m.regional as u64);
    w.raw(k!("shipname"));
    w.string(m.shipname.as_bytes());
    ship_type(w, m.ship_type);
    dimensions(w, &m.dimensions);
    epfd(w, m.epfd);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("dte"));
    w.uint(m.dte as u64);
    w.raw(k!("assigned"));
    w.bool(m.assigned);
}

fn aid_to_navigation(w: &mut Writer, m: &AidToNavigationReport) {
    w.raw(k!("aid_type"));
    w.uint(m.aid_type as u64);
    w.raw(k!("aid_type_text"));
    w.legend(aid_type_text(m.aid_type));
    w.raw(k!("name"));
    w.string(m.name.as_bytes());
    lon_lat(w, m.lon_deg, m.lat_deg);
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    dimensions(w, &m.dimensions);
    epfd(w, m.epfd);
    w.raw(k!("second"));
    w.uint(m.utc_second as u64);
    w.raw(k!("regional"));
    w.uint(m.regional as u64);
    w.raw(k!("off_position"));
    w.bool(m.off_position);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("virtual_aid"));
    w.bool(m.virtual_aid);
}

fn static_data(w: &mut Writer, m: &StaticDataReport) {
    if let Some(part) = m.part() {
        w.raw(k!("part"));
        w.raw(if part == 'A' { b"\"A\"" } else { b"\"B\"" });
    }
    if let Some(name) = &m.shipname {
        w.raw(k!("shipname"));
        w.string(name.as_bytes());
    }
    if let Some(b) = &m.part_b {
        ship_type(w, b.ship_type);
        w.raw(k!("vendorid"));
        w.string(b.vendor_id.as_bytes());
        w.raw(k!("model"));
        w.uint(b.model as u64);
        w.raw(k!("serial"));
        w.uint(b.serial as u64);
        w.raw(k!("callsign"));
        w.string(b.callsign.as_bytes());
        match &b.dimensions_or_mothership {
            DimensionsOrMothership::Dimensions(d) => dimensions(w, d),
            DimensionsOrMothership::Mothership(mmsi) => {
                w.raw(k!("mothership_mmsi"));
                w.uint(mmsi.get() as u64);
            }
        }
    }
}

fn long_range(w: &mut Writer, m: &LongRangeReport) {
    w.raw(k!("status"));
    w.uint(m.nav_status as u64);
    w.raw(k!("status_text"));
    w.legend(nav_status_text(m.nav_status));
    w.raw(k!("accuracy"));
    w.bool(m.position_accuracy);
    // 1/10 minute: %.4f of raw / 600, i.e. raw * 50 / 3 ten-thousandths
    let lon = m.lon_deg.map_or(181 * 600, |v| round_i64(v * 600.0));
    let lat = m.lat_deg.map_or(91 * 600, |v| round_i64(v * 600.0));
    w.raw(k!("lon"));
    w.fixed::<4>(div3_round(lon * 50));
    w.raw(k!("lat"));
    w.fixed::<4>(div3_round(lat * 50));
    w.raw(k!("speed"));
    w.uint(m.sog_kn.unwrap_or(63) as u64);
    w.raw(k!("course"));
    w.uint(m.cog_deg.unwrap_or(511) as u64);
    w.raw(k!("raim"));
    w.bool(m.raim);
    w.raw(k!("gnss"));
    w.bool(m.gnss);
}

fn lon_lat(w: &mut Writer, lon: Option<f64>, lat: Option<f64>) {
    // 1/10000 minute: %.7f of raw / 600000, i.e. raw * 50 / 3 ten-millionths
    let lon = lon.map_or(181 * 600_000, |v| round_i64(v * 600_000.0));
    let lat = lat.map_or(91 * 600_000, |v| round_i64(v * 600_000.0));
    w.raw(k!("lon"));
    w.fixed::<7>(div3_round(lon * 50));
    w.raw(k!("lat"));
    w.fixed::<7>(div3_round(lat * 50));
}

fn dimensions(w: &mut Writer, d: &Dimensions) {
    w.raw(k!("to_bow"));
    w.uint(d.to_bow_m as u64);
    w.raw(k!("to_stern"));
    w.uint(d.to_stern_m as u64);
    w.raw(k!("to_port"));
    w.uint(d.to_port_m as u64);
    w.raw(k!("to_starboard"));
    w.uint(d.to_starboard_m as u64);
}

fn epfd(w: &mut Writer, v: u8) {
    w.raw(k!("epfd"));
    w.uint(v as u64);
    w.raw(k!("epfd_text"));
    w.legend(epfd_text(v));
}

fn ship_type(w: &mut Writer, v: u8) {
    w.raw(k!("shiptype"));
    w.uint(v as u64);
    w.raw(k!("shiptype_text"));
    w.legend(ship_type_text(v));
}

/// Fixed-point tenths of an optional value, `na` when absent.
#[inline]
fn tenths_f32(v: Option<f32>, na: i64) -> i64 {
    v.map_or(na, |x| round_i64(x as f64 * 10.0))
}

/// Nearest integer of a value known to be near one (no libm call).
#[inline]
fn round_i64(v: f64) -> i64 {
    (if v >= 0.0 { v + 0.5 } else { v - 0.5 }) as i64
}

/// `v / 3` rounded to nearest; `v` is never a tie (remainder 0, 1 or 2).
#[inline]
fn div3_round(v: i64) -> i64 {
    if v >= 0 { (v + 1) / 3 } else { -((-v + 1) / 3) }
}

/// gpsd's `"%.2f"` of a rate of turn.
fn turn_text(v: f64) -> &'static str {
    static TABLE: OnceLock<Vec<String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (-126i32..=126)
            .map(|r| {
                let x = (r as f64 / 4.733).powi(2);
                format!("{:.2}", if r < 0 { -x } else { x })
            })
            .collect()
    });
    // Recover the raw indicator value: v = ±(raw / 4.733)^2.
    let raw = (v.abs().sqrt() * 4.733).round() as i32 * if v < 0.0 { -1 } else { 1 };
    match table.get((raw + 126) as usize) {
        Some(s) if (-126..=126).contains(&raw) => s,
        _ => "n/a",
    }
}

/// Room reserved for a record: the longest is below 800 bytes even with every text
/// character escaped (see the tests), so one reservation serves a record.
const RECORD_CAP: usize = 1024;

/// Appends one record to the output.
struct Writer<'a>(&'a mut Vec<u8>);

/// Two-digit decimal strings "00" to "99".
static DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

impl Writer<'_> {
    #[inline]
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// Exactly `N` decimal digits of `v` (`v < 10^N`), zero-padded.
    #[inline]
    fn digits<const N: usize>(&mut self, mut v: u64) {
        let mut tmp = [b'0'; N];
        let mut i = N;
        while i >= 2 {
            let pair = DIGIT_PAIRS[(v % 100) as usize];
            tmp[i - 2] = pair[0];
            tmp[i - 1] = pair[1];
            v /= 100;
            i -= 2;
        }
        if i == 1 {
            tmp[0] = b'0' + (v % 10) as u8;
        }
        self.raw(&tmp);
    }

    #[inline]
    fn uint(&mut self, v: u64) {
        if v < 10 {
            self.byte(b'0' + v as u8);
        } else if v < 100 {
            self.raw(&DIGIT_PAIRS[v as usize]);
        } else {
            let mut b = itoa::Buffer::new();
            self.raw(b.format(v).as_bytes());
        }
    }

    #[inline]
    fn bool(&mut self, v: bool) {
        if v {
            self.raw(b"true");
        } else {
            self.raw(b"false");
        }
    }

    /// `v` zero-padded to at least `width` digits (`%0Nu`).
    #[inline]
    fn padded(&mut self, v: u64, width: usize) {
        match width {
            2 if v < 100 => self.digits::<2>(v),
            4 if v < 10_000 => self.digits::<4>(v),
            _ => {
                let mut b = itoa::Buffer::new();
                let s = b.format(v);
                for _ in s.len()..width {
                    self.byte(b'0');
                }
                self.raw(s.as_bytes());
            }
        }
    }

    /// `v / 10^D` printed with exactly `D` decimals.
    #[inline]
    fn fixed<const D: usize>(&mut self, v: i64) {
        if v < 0 {
            self.byte(b'-');
        }
        let a = v.unsigned_abs();
        let p = 10u64.pow(D as u32);
        self.uint(a / p);
        self.byte(b'.');
        self.digits::<D>(a % p);
    }

    /// A fixed legend string that needs no escaping.
    #[inline]
    fn legend(&mut self, s: &'static str) {
        self.byte(b'"');
        self.raw(s.as_bytes());
        self.byte(b'"');
    }

    /// A JSON string, escaped like gpsd's `json_stringify`.
    fn string(&mut self, bytes: &[u8]) {
        self.byte(b'"');
        self.escaped(bytes);
        self.byte(b'"');
    }

    /// String content, escaped (at most 6 bytes out per byte in).
    fn escaped(&mut self, bytes: &[u8]) {
        if bytes.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.raw(bytes);
        } else {
            for &b in bytes {
                match b {
                    b'"' | b'\\' => self.raw(&[b'\\', b]),
                    b'\n' => self.raw(b"\\n"),
                    b'\r' => self.raw(b"\\r"),
                    b'\t' => self.raw(b"\\t"),
                    0..=0x1F | 0x7F => {
                        const HEX: &[u8; 16] = b"0123456789abcdef";
                        self.raw(b"\\u00");
                        self.byte(HEX[(b >> 4) as usize]);
                        self.byte(HEX[(b & 15) as usize]);
                    }
                    _ => self.byte(b),
                }
            }
        }
    }
}

/// gpsd's text for a navigational status (types 1-3, 27).
pub fn nav_status_text(v: u8) -> &'static str {
    const T: [&str; 16] = [
        "Under way using engine",
        "At anchor",
        "Not under command",
        "Restricted maneuverability",
        "Constrained by her draught",
        "Moored",
        "Aground",
        "Engaged in fishing",
        "Under way sailing",
        "Reserved for HSC",
        "Reserved for WIG",
        "Power-driven vessel towing astern",
        "Power-driven vessel pushing ahead or towing alongside",
        "Reserved",
        "AIS-SART is active",
        "Not defined",
    ];
    T.get(v as usize).copied().unwrap_or("Not defined")
}

/// gpsd's text for an electronic position fixing device type.
pub fn epfd_text(v: u8) -> &'static str {
    const T: [&str; 16] = [
        "Undefined",
        "GPS",
        "GLONASS",
        "Combined GPS/GLONASS",
        "Loran-C",
        "Chayka",
        "Integrated navigation system",
        "Surveyed",
        "Galileo",
        "Reserved (9)",
        "Reserved (10)",
        "Reserved (11)",
        "Reserved (12)",
        "Reserved (13)",
        "Reserved (14)",
        "Internal GNSS",
    ];
    T.get(v as usize).copied().unwrap_or("INVALID EPFD")
}

macro_rules! ship_group {
    ($p:literal, $last:literal) => {
        [
            concat!($p, " - all ships of this type"),
            concat!($p, " - Hazardous category A"),
            concat!($p, " - Hazardous category B"),
            concat!($p, " - Hazardous category C"),
            concat!($p, " - Hazardous category D"),
            concat!($p, " - Reserved for future use"),
            concat!($p, " - Reserved for future use"),
            concat!($p, " - Reserved for future use"),
            concat!($p, " - Reserved for future use"),
            concat!($p, " - ", $last),
        ]
    };
}

/// gpsd's text for a ship and cargo type code.
pub fn ship_type_text(v: u8) -> &'static str {
    const WIG: [&str; 10] = ship_group!("Wing in ground (WIG)", "Reserved for future use");
    const HSC: [&str; 10] = ship_group!("High speed craft (HSC)", "No additional information");
    const PASSENGER: [&str; 10] = ship_group!("Passenger", "No additional information");
    const CARGO: [&str; 10] = ship_group!("Cargo", "No additional information");
    const TANKER: [&str; 10] = ship_group!("Tanker", "No additional information");
    const OTHER: [&str; 10] = ship_group!("Other Type", "no additional information");
    const SPECIAL: [&str; 20] = [
        "Fishing",
        "Towing",
        "Towing: length exceeds 200m or breadth exceeds 25m",
        "Dredging or underwater ops",
        "Diving ops",
        "Military ops",
        "Sailing",
        "Pleasure Craft",
        "Reserved",
        "Reserved",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ];
    const SERVICE: [&str; 10] = [
        "Pilot Vessel",
        "Search and Rescue vessel",
        "Tug",
        "Port Tender",
        "Anti-pollution equipment",
        "Law Enforcement",
        "Spare - Local Vessel",
        "Spare - Local Vessel",
        "Medical Transport",
        "Ship according to RR Resolution No. 18",
    ];
    let i = (v % 10) as usize;
    match v {
        0 => "Not available",
        1..=19 => "Reserved for future use",
        20..=29 => WIG[i],
        30..=39 => SPECIAL[i],
        40..=49 => HSC[i],
        50..=59 => SERVICE[i],
        60..=69 => PASSENGER[i],
        70..=79 => CARGO[i],
        80..=89 => TANKER[i],
        90..=99 => OTHER[i],
        _ => "INVALID SHIP TYPE",
    }
}

/// gpsd's text for an aid-to-navigation type (type 21).
pub fn aid_type_text(v: u8) -> &'static str {
    const T: [&str; 32] = [
        "Unspecified",
        "Reference point",
        "RACON",
        "Fixed offshore structure",
        "Spare, Reserved for future use.",
        "Light, without sectors",
        "Light, with sectors",
        "Leading Light Front",
        "Leading Light Rear",
        "Beacon, Cardinal N",
        "Beacon, Cardinal E",
        "Beacon, Cardinal S",
        "Beacon, Cardinal W",
        "Beacon, Port hand",
        "Beacon, Starboard hand",
        "Beacon, Preferred Channel port hand",
        "Beacon, Preferred Channel starboard hand",
        "Beacon, Isolated danger",
        "Beacon, Safe water",
        "Beacon, Special mark",
        "Cardinal Mark N",
        "Cardinal Mark E",
        "Cardinal Mark S",
        "Cardinal Mark W",
        "Port hand Mark",
        "Starboard hand Mark",
        "Preferred Channel Port hand",
        "Preferred Channel Starboard hand",
        "Isolated danger",
        "Safe Water",
        "Special Mark",
        "Light Vessel / LANBY / Rigs",
    ];
    T.get(v as usize).copied().unwrap_or("INVALID NAVAID TYPE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_matches_printf() {
        // %.7f of raw / 600000.0 for a few raw values, checked with C printf
        let f = |raw: i64| {
            let mut out = Vec::new();
            Writer(&mut out).fixed::<7>(div3_round(raw * 50));
            String::from_utf8(out).unwrap()
        };
        assert_eq!(f(-74_037_230), "-123.3953833");
        assert_eq!(f(108_600_000), "181.0000000");
        assert_eq!(f(-1), "-0.0000017");
        assert_eq!(f(0), "0.0000000");
        assert_eq!(f(2), "0.0000033");
    }

    #[test]
    fn turn_strings() {
        for raw in -126i8..=126 {
            let Some(RateOfTurn::DegPerMin(v)) = RateOfTurn::from_raw(raw) else {
                panic!()
            };
            let x = (raw as f64 / 4.733).powi(2);
            assert_eq!(turn_text(v), format!("{:.2}", if raw < 0 { -x } else { x }));
        }
        assert_eq!(turn_text(0.0), "0.00");
    }

    #[test]
    fn worst_case_records_fit_the_buffer() {
        use crate::messages::*;
        use crate::{AisText, PayloadBits};
        // every text full of control characters (6 bytes each escaped)
        let mut bits = PayloadBits::new();
        bits.push_armored(
            b"E1mg=5J1T4W0h97aRh6ba84<h2d;W:Te=eLvH50```q:D44QDlp0C1DU00",
            4,
        )
        .unwrap();
        let AisMessage::AidToNavigation(mut a) = AisMessage::decode(&bits.reader()).unwrap() else {
            panic!()
        };
        a.name = AisText::from_str_lossy(&"\u{1}".repeat(34));
        let mut bits = PayloadBits::new();
        bits.push_armored(
            b"55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880",
            2,
        )
        .unwrap();
        let AisMessage::StaticVoyage(mut v) = AisMessage::decode(&bits.reader()).unwrap() else {
            panic!()
        };
        v.callsign = AisText::from_str_lossy("\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}");
        v.shipname = AisText::from_str_lossy(&"\u{1}".repeat(20));
        v.destination = v.shipname;
        v.ship_type = 32;
        let b = StaticDataPartB {
            ship_type: 49,
            vendor_id: v.callsign,
            model: 15,
            serial: 1_048_575,
            callsign: v.callsign,
            dimensions_or_mothership: DimensionsOrMothership::Dimensions(Dimensions::default()),
        };
        let s = StaticDataReport {
            header: v.header,
            shipname: Some(v.shipname),
            part_b: Some(b),
        };
        for m in [
            AisMessage::AidToNavigation(a),
            AisMessage::StaticVoyage(v),
            AisMessage::StaticData(s),
        ] {
            let mut out = Vec::new();
            write_gpsd_json(&mut out, &m, Some(&"\"\u{2}".repeat(500)));
            let val: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(val["device"].as_str().unwrap().len(), 1000);
            // without the device, the record stays inside one reservation
            let mut out = Vec::new();
            write_gpsd_json(&mut out, &m, None);
            assert!(out.len() < 800, "{}", out.len());
            serde_json::from_slice::<serde_json::Value>(&out).unwrap();
        }
    }

    #[test]
    fn legends() {
        assert_eq!(ship_type_text(37), "Pleasure Craft");
        assert_eq!(
            ship_type_text(49),
            "High speed craft (HSC) - No additional information"
        );
        assert_eq!(ship_type_text(99), "Other Type - no additional information");
        assert_eq!(ship_type_text(100), "INVALID SHIP TYPE");
        assert_eq!(epfd_text(14), "Reserved (14)");
        assert_eq!(aid_type_text(20), "Cardinal Mark N");
    }
}
