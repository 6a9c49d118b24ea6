//! Typed AIS messages (ITU-R M.1371-5) and their decoding from payload bits.
//!
//! # Units
//! Names carry units: `_deg` degrees (WGS84 for positions), `_kn` knots,
//! `_m` metres, `_deg_min` degrees per minute. `None` stands for the
//! standard's "not available" value (longitude 181, latitude 91, speed
//! 102.3 kn, course 360, heading 511, …). Values outside the valid range
//! that are not the "not available" marker are kept as transmitted.

use super::bits::{AisText, BitReader};
use super::error::AisError;

pub use coastwatch_core::model::Mmsi;

/// Fields common to every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Message type, 1..=27 (0 and 28..=63 are undefined but decoded).
    pub msg_type: u8,
    /// Repeat indicator, 0..=3.
    pub repeat: u8,
    /// Source station.
    pub mmsi: Mmsi,
}

/// Rate of turn of a class A position report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateOfTurn {
    /// Turning left at more than 5° per 30 s, no turn indicator.
    FastLeft,
    /// Turning right at more than 5° per 30 s, no turn indicator.
    FastRight,
    /// Rate from the turn indicator, degrees per minute (negative: left).
    DegPerMin(f64),
}

impl RateOfTurn {
    /// Decodes the raw 8-bit signed field; `None` for -128 (not available).
    pub fn from_raw(raw: i8) -> Option<Self> {
        match raw {
            -128 => None,
            -127 => Some(Self::FastLeft),
            127 => Some(Self::FastRight),
            r => {
                let v = (r as f64 / 4.733).powi(2);
                Some(Self::DegPerMin(if r < 0 { -v } else { v }))
            }
        }
    }
}

/// Ship dimensions from the position reference point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dimensions {
    /// Reference point to bow, m (511: 511 m or more).
    pub to_bow_m: u16,
    /// Reference point to stern, m (511: 511 m or more).
    pub to_stern_m: u16,
    /// Reference point to port side, m (63: 63 m or more).
    pub to_port_m: u8,
    /// Reference point to starboard side, m (63: 63 m or more).
    pub to_starboard_m: u8,
}

impl Dimensions {
    fn read(r: &BitReader<'_>, at: usize) -> Self {
        Self {
            to_bow_m: r.u(at, 9) as u16,
            to_stern_m: r.u(at + 9, 9) as u16,
            to_port_m: r.u(at + 18, 6) as u8,
            to_starboard_m: r.u(at + 24, 6) as u8,
        }
    }
}

/// Types 1, 2, 3: class A position report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// Navigational status 0..=15 (see [`nav_status_text`](super::gpsd_json::nav_status_text)).
    pub nav_status: u8,
    /// Rate of turn; `None` when not available.
    pub turn: Option<RateOfTurn>,
    /// Speed over ground, knots (102.2 means 102.2 kn or more).
    pub sog_kn: Option<f32>,
    /// True for a DGNSS-quality fix (better than 10 m).
    pub position_accuracy: bool,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Course over ground, degrees.
    pub cog_deg: Option<f32>,
    /// True heading, degrees.
    pub heading_deg: Option<u16>,
    /// UTC second of the fix (60: n/a, 61..=63: special).
    pub utc_second: u8,
    /// Special manoeuvre indicator.
    pub maneuver: u8,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status (19 bits).
    pub radio: u32,
}

/// Types 4 and 11: base station report / UTC date response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaseStationReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// UTC year (0: n/a).
    pub year: u16,
    /// UTC month (0: n/a).
    pub month: u8,
    /// UTC day (0: n/a).
    pub day: u8,
    /// UTC hour (24: n/a).
    pub hour: u8,
    /// UTC minute (60: n/a).
    pub minute: u8,
    /// UTC second (60: n/a).
    pub second: u8,
    /// True for a DGNSS-quality fix.
    pub position_accuracy: bool,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Type of position fixing device (see [`epfd_text`](super::gpsd_json::epfd_text)).
    pub epfd: u8,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status (19 bits).
    pub radio: u32,
}

impl BaseStationReport {
    /// The reported UTC time as Unix seconds, when all parts are valid.
    pub fn utc_epoch_s(&self) -> Option<i64> {
        let ok = (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.year > 0
            && self.hour < 24
            && self.minute < 60
            && self.second < 60;
        ok.then(|| {
            super::nmea::days_from_civil(self.year as i64, self.month as i64, self.day as i64)
                * 86_400
                + self.hour as i64 * 3600
                + self.minute as i64 * 60
                + self.second as i64
        })
    }
}

/// Estimated time of arrival (month 0, day 0, hour 24, minute 60: n/a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eta {
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
}

/// Type 5: static and voyage related data of a class A ship.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticVoyageData {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// AIS version indicator.
    pub ais_version: u8,
    /// IMO ship number; `None` when 0.
    pub imo: Option<u32>,
    /// Call sign.
    pub callsign: AisText<7>,
    /// Ship name.
    pub shipname: AisText<20>,
    /// Ship and cargo type code (see [`ship_type_text`](super::gpsd_json::ship_type_text)).
    pub ship_type: u8,
    /// Dimensions.
    pub dimensions: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// Estimated time of arrival.
    pub eta: Eta,
    /// Maximum present static draught, m; `None` when 0.
    pub draught_m: Option<f32>,
    /// Destination.
    pub destination: AisText<20>,
    /// True when data terminal equipment is NOT ready (the `dte` bit).
    pub dte: bool,
}

/// Type 9: standard SAR aircraft position report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SarAircraftReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// Altitude, m (4094: 4094 m or higher).
    pub altitude_m: Option<u16>,
    /// Speed over ground, knots (1022: 1022 kn or more).
    pub sog_kn: Option<u16>,
    /// True for a DGNSS-quality fix.
    pub position_accuracy: bool,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Course over ground, degrees.
    pub cog_deg: Option<f32>,
    /// UTC second of the fix.
    pub utc_second: u8,
    /// Regional reserved bits.
    pub regional: u8,
    /// Data terminal not ready flag.
    pub dte: bool,
    /// Assigned mode flag.
    pub assigned: bool,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status (20 bits).
    pub radio: u32,
}

/// Type 18: standard class B position report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassBPositionReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// Regional reserved bits 38..46.
    pub reserved: u8,
    /// Speed over ground, knots.
    pub sog_kn: Option<f32>,
    /// True for a DGNSS-quality fix.
    pub position_accuracy: bool,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Course over ground, degrees.
    pub cog_deg: Option<f32>,
    /// True heading, degrees.
    pub heading_deg: Option<u16>,
    /// UTC second of the fix.
    pub utc_second: u8,
    /// Regional reserved bits 139..141.
    pub regional: u8,
    /// Carrier-sense unit flag.
    pub cs: bool,
    /// Display flag.
    pub display: bool,
    /// DSC flag.
    pub dsc: bool,
    /// Whole-band flag.
    pub band: bool,
    /// Message 22 flag.
    pub msg22: bool,
    /// Assigned mode flag.
    pub assigned: bool,
    /// RAIM flag.
    pub raim: bool,
    /// Radio status (20 bits).
    pub radio: u32,
}

/// Type 19: extended class B position report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassBExtendedReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// Regional reserved bits 38..46.
    pub reserved: u8,
    /// Speed over ground, knots.
    pub sog_kn: Option<f32>,
    /// True for a DGNSS-quality fix.
    pub position_accuracy: bool,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Course over ground, degrees.
    pub cog_deg: Option<f32>,
    /// True heading, degrees.
    pub heading_deg: Option<u16>,
    /// UTC second of the fix.
    pub utc_second: u8,
    /// Regional reserved bits 139..143.
    pub regional: u8,
    /// Ship name.
    pub shipname: AisText<20>,
    /// Ship and cargo type code.
    pub ship_type: u8,
    /// Dimensions.
    pub dimensions: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// RAIM flag.
    pub raim: bool,
    /// Data terminal not ready flag.
    pub dte: bool,
    /// Assigned mode flag.
    pub assigned: bool,
}

/// Type 21: aid-to-navigation report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AidToNavigationReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// Type of aid (see [`aid_type_text`](super::gpsd_json::aid_type_text)).
    pub aid_type: u8,
    /// Name, with the name extension appended.
    pub name: AisText<34>,
    /// True for a DGNSS-quality fix.
    pub position_accuracy: bool,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Dimensions.
    pub dimensions: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// UTC second of the fix.
    pub utc_second: u8,
    /// True when the aid is off its charted position.
    pub off_position: bool,
    /// Regional reserved bits.
    pub regional: u8,
    /// RAIM flag.
    pub raim: bool,
    /// True for a virtual aid.
    pub virtual_aid: bool,
    /// Assigned mode flag.
    pub assigned: bool,
}

/// Part B of a type 24 message (and of a paired report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticDataPartB {
    /// Ship and cargo type code.
    pub ship_type: u8,
    /// Vendor id (7 characters in ITU-R M.1371-3, 3 since -4).
    pub vendor_id: AisText<7>,
    /// Unit model code (M.1371-4).
    pub model: u8,
    /// Unit serial number (M.1371-4).
    pub serial: u32,
    /// Call sign.
    pub callsign: AisText<7>,
    /// Dimensions, or the mother ship's MMSI for an auxiliary craft.
    pub dimensions_or_mothership: DimensionsOrMothership,
}

/// Bits 132..162 of a type 24 part B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimensionsOrMothership {
    /// Ship dimensions.
    Dimensions(Dimensions),
    /// MMSI of the mother ship of an auxiliary craft (MMSI 98xxxxxxx).
    Mothership(Mmsi),
}

/// Type 24: class B static data report, part A, part B, or both paired
/// (see [`StaticDataPairer`](super::StaticDataPairer)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticDataReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// Ship name (part A).
    pub shipname: Option<AisText<20>>,
    /// The rest (part B).
    pub part_b: Option<StaticDataPartB>,
}

impl StaticDataReport {
    /// `'A'`, `'B'`, or `None` when both parts are present.
    pub fn part(&self) -> Option<char> {
        match (&self.shipname, &self.part_b) {
            (Some(_), None) => Some('A'),
            (None, Some(_)) => Some('B'),
            _ => None,
        }
    }
}

/// Type 27: long-range AIS broadcast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongRangeReport {
    /// Type, repeat, MMSI.
    pub header: Header,
    /// True for a DGNSS-quality fix.
    pub position_accuracy: bool,
    /// RAIM flag.
    pub raim: bool,
    /// Navigational status.
    pub nav_status: u8,
    /// Longitude, degrees (1/10 minute resolution).
    pub lon_deg: Option<f64>,
    /// Latitude, degrees (1/10 minute resolution).
    pub lat_deg: Option<f64>,
    /// Speed over ground, whole knots.
    pub sog_kn: Option<u8>,
    /// Course over ground, whole degrees.
    pub cog_deg: Option<u16>,
    /// True when the position is NOT from a GNSS fix (`gnss` bit set = not current).
    pub gnss: bool,
}

/// A decoded AIS message: one variant per type family.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum AisMessage {
    /// Types 1, 2, 3.
    Position(PositionReport),
    /// Types 4, 11.
    BaseStation(BaseStationReport),
    /// Type 5.
    StaticVoyage(StaticVoyageData),
    /// Type 9.
    SarAircraft(SarAircraftReport),
    /// Type 18.
    ClassBPosition(ClassBPositionReport),
    /// Type 19.
    ClassBExtended(ClassBExtendedReport),
    /// Type 21.
    AidToNavigation(AidToNavigationReport),
    /// Type 24.
    StaticData(StaticDataReport),
    /// Type 27.
    LongRange(LongRangeReport),
    /// Every other type: only the header is decoded.
    Other(Header),
}

impl AisMessage {
    /// Type, repeat and MMSI.
    pub fn header(&self) -> &Header {
        match self {
            Self::Position(m) => &m.header,
            Self::BaseStation(m) => &m.header,
            Self::StaticVoyage(m) => &m.header,
            Self::SarAircraft(m) => &m.header,
            Self::ClassBPosition(m) => &m.header,
            Self::ClassBExtended(m) => &m.header,
            Self::AidToNavigation(m) => &m.header,
            Self::StaticData(m) => &m.header,
            Self::LongRange(m) => &m.header,
            Self::Other(h) => h,
        }
    }

    /// Message type.
    pub fn msg_type(&self) -> u8 {
        self.header().msg_type
    }

    /// Source MMSI.
    pub fn mmsi(&self) -> Mmsi {
        self.header().mmsi
    }

    /// Longitude and latitude in degrees, when the message has a valid position.
    pub fn position_deg(&self) -> Option<(f64, f64)> {
        let (lon, lat) = match self {
            Self::Position(m) => (m.lon_deg, m.lat_deg),
            Self::BaseStation(m) => (m.lon_deg, m.lat_deg),
            Self::SarAircraft(m) => (m.lon_deg, m.lat_deg),
            Self::ClassBPosition(m) => (m.lon_deg, m.lat_deg),
            Self::ClassBExtended(m) => (m.lon_deg, m.lat_deg),
            Self::AidToNavigation(m) => (m.lon_deg, m.lat_deg),
            Self::LongRange(m) => (m.lon_deg, m.lat_deg),
            _ => return None,
        };
        match (lon, lat) {
            (Some(lon), Some(lat))
                if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
            {
                Some((lon, lat))
            }
            _ => None,
        }
    }

    /// Decodes a de-armoured payload.
    ///
    /// Lengths follow gpsd's checks (e.g. type 1-3: 163..=204 bits, type 5:
    /// at least 420 bits). Errors carry line 0.
    ///
    /// ```
    /// use coastwatch_ais::{AisMessage, PayloadBits};
    /// let mut bits = PayloadBits::new();
    /// bits.push_armored(b"15RTgt0PAso;90TKcjM8h6g208CQ", 0).unwrap();
    /// let AisMessage::Position(p) = AisMessage::decode(&bits.reader()).unwrap() else { panic!() };
    /// assert_eq!(p.header.mmsi.get(), 371_798_000);
    /// assert_eq!(p.sog_kn, Some(12.3));
    /// assert_eq!(p.heading_deg, Some(215));
    /// ```
    pub fn decode(r: &BitReader<'_>) -> Result<Self, AisError> {
        let len = r.len_bits();
        let msg_type = r.u(0, 6) as u8;
        if len < 38 {
            return Err(AisError::BadLength {
                line: 0,
                msg_type,
                bits: len,
            });
        }
        let header = Header {
            msg_type,
            repeat: r.u(6, 2) as u8,
            mmsi: Mmsi::from_bits(r.u(8, 30)),
        };
        let check = |ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(AisError::BadLength {
                    line: 0,
                    msg_type,
                    bits: len,
                })
            }
        };
        Ok(match msg_type {
            1..=3 => {
                check((163..=204).contains(&len))?;
                Self::Position(PositionReport {
                    header,
                    nav_status: r.u(38, 4) as u8,
                    turn: RateOfTurn::from_raw(r.i(42, 8) as i8),
                    sog_kn: speed_tenths(r.u(50, 10)),
                    position_accuracy: r.flag(60),
                    lon_deg: lon_1e4min(r.i(61, 28)),
                    lat_deg: lat_1e4min(r.i(89, 27)),
                    cog_deg: course_tenths(r.u(116, 12)),
                    heading_deg: heading(r.u(128, 9)),
                    utc_second: r.u(137, 6) as u8,
                    maneuver: r.u(143, 2) as u8,
                    raim: r.flag(148),
                    // gpsd reads what is there of a short (163-bit) report
                    radio: if len >= 168 {
                        r.u(149, 19)
                    } else {
                        r.u(149, (len - 149) as u32)
                    },
                })
            }
            4 | 11 => {
                check(len >= 168)?;
                Self::BaseStation(BaseStationReport {
                    header,
                    year: r.u(38, 14) as u16,
                    month: r.u(52, 4) as u8,
                    day: r.u(56, 5) as u8,
                    hour: r.u(61, 5) as u8,
                    minute: r.u(66, 6) as u8,
                    second: r.u(72, 6) as u8,
                    position_accuracy: r.flag(78),
                    lon_deg: lon_1e4min(r.i(79, 28)),
                    lat_deg: lat_1e4min(r.i(107, 27)),
                    epfd: r.u(134, 4) as u8,
                    raim: r.flag(148),
                    radio: r.u(149, 19),
                })
            }
            5 => {
                check(len >= 420)?;
                let imo = r.u(40, 30);
                let draught = r.u(294, 8);
                Self::StaticVoyage(StaticVoyageData {
                    header,
                    ais_version: r.u(38, 2) as u8,
                    imo: (imo != 0).then_some(imo),
                    callsign: r.text(70, 7),
                    shipname: r.text(112, 20),
                    ship_type: r.u(232, 8) as u8,
                    dimensions: Dimensions::read(r, 240),
                    epfd: r.u(270, 4) as u8,
                    eta: Eta {
                        month: r.u(274, 4) as u8,
                        day: r.u(278, 5) as u8,
                        hour: r.u(283, 5) as u8,
                        minute: r.u(288, 6) as u8,
                    },
                    draught_m: (draught != 0).then_some(draught as f32 / 10.0),
                    destination: r.text(302, 20),
                    dte: r.flag(422),
                })
            }
            9 => {
                check(len >= 168)?;
                let alt = r.u(38, 12);
                let sog = r.u(50, 10);
                Self::SarAircraft(SarAircraftReport {
                    header,
                    altitude_m: (alt != 4095).then_some(alt as u16),
                    sog_kn: (sog != 1023).then_some(sog as u16),
                    position_accuracy: r.flag(60),
                    lon_deg: lon_1e4min(r.i(61, 28)),
                    lat_deg: lat_1e4min(r.i(89, 27)),
                    cog_deg: course_tenths(r.u(116, 12)),
                    utc_second: r.u(128, 6) as u8,
                    regional: r.u(134, 8) as u8,
                    dte: r.flag(142),
                    assigned: r.flag(146),
                    raim: r.flag(147),
                    radio: r.u(148, 20),
                })
            }
            18 => {
                check(len >= 168)?;
                Self::ClassBPosition(ClassBPositionReport {
                    header,
                    reserved: r.u(38, 8) as u8,
                    sog_kn: speed_tenths(r.u(46, 10)),
                    position_accuracy: r.flag(56),
                    lon_deg: lon_1e4min(r.i(57, 28)),
                    lat_deg: lat_1e4min(r.i(85, 27)),
                    cog_deg: course_tenths(r.u(112, 12)),
                    heading_deg: heading(r.u(124, 9)),
                    utc_second: r.u(133, 6) as u8,
                    regional: r.u(139, 2) as u8,
                    cs: r.flag(141),
                    display: r.flag(142),
                    dsc: r.flag(143),
                    band: r.flag(144),
                    msg22: r.flag(145),
                    assigned: r.flag(146),
                    raim: r.flag(147),
                    radio: r.u(148, 20),
                })
            }
            19 => {
                check(len >= 312)?;
                Self::ClassBExtended(ClassBExtendedReport {
                    header,
                    reserved: r.u(38, 8) as u8,
                    sog_kn: speed_tenths(r.u(46, 10)),
                    position_accuracy: r.flag(56),
                    lon_deg: lon_1e4min(r.i(57, 28)),
                    lat_deg: lat_1e4min(r.i(85, 27)),
                    cog_deg: course_tenths(r.u(112, 12)),
                    heading_deg: heading(r.u(124, 9)),
                    utc_second: r.u(133, 6) as u8,
                    regional: r.u(139, 4) as u8,
                    shipname: r.text(143, 20),
                    ship_type: r.u(263, 8) as u8,
                    dimensions: Dimensions::read(r, 271),
                    epfd: r.u(301, 4) as u8,
                    raim: r.flag(305),
                    dte: r.flag(306),
                    assigned: r.flag(307),
                })
            }
            21 => {
                check((272..=368).contains(&len))?;
                let mut name: AisText<34> = r.text_untrimmed(43, 20);
                if name.len() == 20 && len > 272 {
                    let ext: AisText<14> = r.text(272, (len - 272) / 6);
                    name.extend(ext.as_str());
                }
                name.trim_end();
                Self::AidToNavigation(AidToNavigationReport {
                    header,
                    aid_type: r.u(38, 5) as u8,
                    name,
                    position_accuracy: r.flag(163),
                    lon_deg: lon_1e4min(r.i(164, 28)),
                    lat_deg: lat_1e4min(r.i(192, 27)),
                    dimensions: Dimensions::read(r, 219),
                    epfd: r.u(249, 4) as u8,
                    utc_second: r.u(253, 6) as u8,
                    off_position: r.flag(259),
                    regional: r.u(260, 8) as u8,
                    raim: r.flag(268),
                    virtual_aid: r.flag(269),
                    assigned: r.flag(270),
                })
            }
            24 => match r.u(38, 2) {
                0 => {
                    check((160..=168).contains(&len))?;
                    Self::StaticData(StaticDataReport {
                        header,
                        shipname: Some(r.text(40, 20)),
                        part_b: None,
                    })
                }
                1 => {
                    check(len >= 168)?;
                    let dimensions_or_mothership = if header.mmsi.is_auxiliary() {
                        DimensionsOrMothership::Mothership(Mmsi::from_bits(r.u(132, 30)))
                    } else {
                        DimensionsOrMothership::Dimensions(Dimensions::read(r, 132))
                    };
                    Self::StaticData(StaticDataReport {
                        header,
                        shipname: None,
                        part_b: Some(StaticDataPartB {
                            ship_type: r.u(40, 8) as u8,
                            vendor_id: r.text(48, 7),
                            model: r.u(66, 4) as u8,
                            serial: r.u(70, 20),
                            callsign: r.text(90, 7),
                            dimensions_or_mothership,
                        }),
                    })
                }
                part => {
                    return Err(AisError::UnknownPart {
                        line: 0,
                        part: part as u8,
                    });
                }
            },
            27 => {
                check((96..=168).contains(&len))?;
                let lon = r.i(44, 18);
                let lat = r.i(62, 17);
                let sog = r.u(79, 6);
                let cog = r.u(85, 9);
                Self::LongRange(LongRangeReport {
                    header,
                    position_accuracy: r.flag(38),
                    raim: r.flag(39),
                    nav_status: r.u(40, 4) as u8,
                    lon_deg: (lon != 181 * 600).then_some(lon as f64 / 600.0),
                    lat_deg: (lat != 91 * 600).then_some(lat as f64 / 600.0),
                    sog_kn: (sog != 63).then_some(sog as u8),
                    cog_deg: (cog != 511).then_some(cog as u16),
                    gnss: r.flag(94),
                })
            }
            _ => Self::Other(header),
        })
    }
}

/// Longitude in 1/10000 minute; `None` for 181°.
#[inline]
fn lon_1e4min(raw: i32) -> Option<f64> {
    (raw != 181 * 600_000).then_some(raw as f64 / 600_000.0)
}

/// Latitude in 1/10000 minute; `None` for 91°.
#[inline]
fn lat_1e4min(raw: i32) -> Option<f64> {
    (raw != 91 * 600_000).then_some(raw as f64 / 600_000.0)
}

/// Speed in 1/10 knot; `None` for 1023.
#[inline]
fn speed_tenths(raw: u32) -> Option<f32> {
    (raw != 1023).then_some(raw as f32 / 10.0)
}

/// Course in 1/10 degree; `None` for 3600.
#[inline]
fn course_tenths(raw: u32) -> Option<f32> {
    (raw != 3600).then_some(raw as f32 / 10.0)
}

/// Heading in degrees; `None` for 511.
#[inline]
fn heading(raw: u32) -> Option<u16> {
    (raw != 511).then_some(raw as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PayloadBits;

    fn decode(payload: &[u8], fill: u8) -> Result<AisMessage, AisError> {
        let mut b = PayloadBits::new();
        b.push_armored(payload, fill)?;
        AisMessage::decode(&b.reader())
    }

    #[test]
    fn type1_not_available_values() {
        let AisMessage::Position(p) = decode(b"16SteH0P00Jt63hHaa6SagvJ087r", 0).unwrap() else {
            panic!()
        };
        assert_eq!(p.turn, None);
        assert_eq!(p.heading_deg, None);
        assert_eq!(p.sog_kn, Some(0.0));
        assert!((p.lon_deg.unwrap() + 70.7582).abs() < 1e-9);
    }

    #[test]
    fn type5_strings() {
        let m = decode(
            b"55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880",
            2,
        )
        .unwrap();
        let AisMessage::StaticVoyage(s) = m else {
            panic!()
        };
        assert_eq!(s.shipname, "EVER DIADEM");
        assert_eq!(s.callsign, "3FOF8");
        assert_eq!(s.destination, "NEW YORK");
        assert_eq!(s.imo, Some(9_134_270));
        assert_eq!(s.draught_m, Some(12.2));
        assert_eq!(s.dimensions.to_bow_m, 225);
    }

    #[test]
    fn short_messages_are_rejected() {
        assert!(matches!(
            decode(b"15RTgt0PAso;90TKcjM8h6g2", 0),
            Err(AisError::BadLength {
                msg_type: 1,
                bits: 144,
                ..
            })
        ));
        assert!(matches!(
            decode(b"15RT", 0),
            Err(AisError::BadLength { bits: 24, .. })
        ));
    }

    #[test]
    fn other_types_keep_the_header() {
        let m = decode(b"702R5`hwCjq8", 0).unwrap();
        assert_eq!(
            m,
            AisMessage::Other(Header {
                msg_type: 7,
                repeat: 0,
                mmsi: Mmsi::from_bits(2_655_651)
            })
        );
    }
}
