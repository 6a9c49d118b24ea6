//! The location report (`0x0200`): the 28 basic bytes, alarm and status
//! flags, and the additional information items after them.

use crate::bcd;
use crate::bytes::Reader;
use crate::error::{Error, Result};

/// Status bit 0: ACC (ignition) on.
pub const STATUS_ACC_ON: u32 = 1 << 0;
/// Status bit 1: positioned (0 = no fix).
pub const STATUS_POSITIONED: u32 = 1 << 1;
/// Status bit 2: south latitude.
pub const STATUS_SOUTH: u32 = 1 << 2;
/// Status bit 3: west longitude.
pub const STATUS_WEST: u32 = 1 << 3;

/// Length of the basic location information before the additional items.
pub const BASIC_LEN: usize = 28;

/// One location report.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Alarm flags (see [`Alarm`]).
    pub alarm: u32,
    /// Status flags (`STATUS_*`).
    pub status: u32,
    /// Latitude in degrees, negative south (status bit 2).
    pub lat: f64,
    /// Longitude in degrees, negative west (status bit 3).
    pub lon: f64,
    /// Altitude above sea level in metres (WORD, as the standard has it).
    pub altitude_m: u16,
    /// Speed in km/h (sent in 0.1 km/h).
    pub speed_kmh: f64,
    /// Course in degrees clockwise from north (0–359).
    pub direction_deg: u16,
    /// Fix time as UTC epoch seconds (sent as GMT+8 BCD `YYMMDDhhmmss`); `None` when the
    /// terminal sent all zeros (some do while they have no fix).
    pub t_epoch_s: Option<i64>,
    /// The additional information items, in the order sent.
    pub extras: Vec<Extra>,
}

impl Location {
    /// Status bit 1: the terminal has a fix.
    pub fn positioned(&self) -> bool {
        self.status & STATUS_POSITIONED != 0
    }

    /// Status bit 0: ACC (ignition) on.
    pub fn acc_on(&self) -> bool {
        self.status & STATUS_ACC_ON != 0
    }

    /// The alarms raised, in bit order.
    pub fn alarms(&self) -> impl Iterator<Item = Alarm> + use<> {
        Alarm::from_bits(self.alarm)
    }

    /// Decodes a `0x0200` body (also one item of a `0x0704` batch).
    pub fn decode(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        let alarm = r.u32("alarm flags")?;
        let status = r.u32("status")?;
        let lat = r.u32("latitude")?;
        let lon = r.u32("longitude")?;
        let altitude_m = r.u16("altitude")?;
        let speed = r.u16("speed")?;
        let direction_deg = r.u16("direction")?;
        let t_epoch_s = match r.array("time")? {
            [0, 0, 0, 0, 0, 0] => None,
            time => Some(bcd::decode_time(time)?),
        };
        let signed = |raw: u32, negative: bool| {
            let deg = f64::from(raw) / 1e6;
            if negative { -deg } else { deg }
        };
        let mut extras = Vec::new();
        while r.remaining() > 0 {
            let id = r.u8("additional item id")?;
            let len = r.u8("additional item length")?;
            let value = r.take(usize::from(len), "additional item value")?;
            extras.push(Extra::decode(id, value));
        }
        Ok(Self {
            alarm,
            status,
            lat: signed(lat, status & STATUS_SOUTH != 0),
            lon: signed(lon, status & STATUS_WEST != 0),
            altitude_m,
            speed_kmh: f64::from(speed) / 10.0,
            direction_deg,
            t_epoch_s,
            extras,
        })
    }

    /// Appends the `0x0200` body. Status bits 2 and 3 are set from the
    /// signs of `lat` and `lon`; fails when a value does not fit its field
    /// or the time is outside 2000–2099 (GMT+8).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let mut status = self.status & !(STATUS_SOUTH | STATUS_WEST);
        if self.lat.is_sign_negative() {
            status |= STATUS_SOUTH;
        }
        if self.lon.is_sign_negative() {
            status |= STATUS_WEST;
        }
        out.extend_from_slice(&self.alarm.to_be_bytes());
        out.extend_from_slice(&status.to_be_bytes());
        out.extend_from_slice(&scaled_u32(self.lat.abs(), 1e6, "latitude")?.to_be_bytes());
        out.extend_from_slice(&scaled_u32(self.lon.abs(), 1e6, "longitude")?.to_be_bytes());
        out.extend_from_slice(&self.altitude_m.to_be_bytes());
        out.extend_from_slice(&scaled_u16(self.speed_kmh, 10.0, "speed")?.to_be_bytes());
        out.extend_from_slice(&self.direction_deg.to_be_bytes());
        match self.t_epoch_s {
            Some(t) => out.extend_from_slice(&bcd::encode_time(t)?),
            None => out.extend_from_slice(&[0; 6]),
        }
        for extra in &self.extras {
            extra.encode_into(out)?;
        }
        Ok(())
    }
}

/// `v * scale`, rounded, if it is a DWORD.
fn scaled_u32(v: f64, scale: f64, field: &'static str) -> Result<u32> {
    let x = (v * scale).round();
    if (0.0..=f64::from(u32::MAX)).contains(&x) {
        // In range and integral: the cast is exact.
        Ok(x as u32)
    } else {
        Err(Error::BadField { field })
    }
}

/// `v * scale`, rounded, if it is a WORD.
fn scaled_u16(v: f64, scale: f64, field: &'static str) -> Result<u16> {
    let x = scaled_u32(v, scale, field)?;
    u16::try_from(x).map_err(|_| Error::BadField { field })
}

/// An additional information item of a location report.
///
/// The items the standard defines are decoded when their length is the
/// standard's; any other item, or a standard one of another length, is
/// kept as [`Extra::Raw`].
#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    /// `0x01`: odometer in km (sent in 0.1 km).
    MileageKm(f64),
    /// `0x02`: fuel in litres (sent in 0.1 L).
    FuelL(f64),
    /// `0x03`: speed from the driving recorder in km/h (sent in 0.1 km/h).
    RecorderSpeedKmh(f64),
    /// `0x04`: id of an alarm event to be confirmed manually.
    ManualAlarmEvent(u16),
    /// `0x05` (2019): tyre pressures, 30 bytes, kept raw.
    TyrePressure([u8; 30]),
    /// `0x06` (2019): carriage temperature in °C; the top bit of the WORD
    /// is the sign (range ±32767).
    CarriageTemperatureC(i16),
    /// `0x11`: overspeed alarm details.
    Overspeed {
        /// Location type: 0 none, 1 circle, 2 rectangle, 3 polygon, 4 road
        /// section.
        kind: u8,
        /// Area or road section id (absent when `kind` is 0).
        area_id: Option<u32>,
    },
    /// `0x12`: area or route entry/exit alarm details.
    AreaRoute {
        /// Location type: 1 circle, 2 rectangle, 3 polygon, 4 route.
        kind: u8,
        /// Area or route id.
        id: u32,
        /// 0 in, 1 out.
        direction: u8,
    },
    /// `0x13`: road section driving time too short or too long.
    RoadSectionTime {
        /// Road section id.
        id: u32,
        /// Driving time on it in seconds.
        seconds: u16,
        /// 0 too short, 1 too long.
        result: u8,
    },
    /// `0x25`: extended vehicle signal status bits.
    VehicleSignals(u32),
    /// `0x2A`: IO status bits.
    IoStatus(u16),
    /// `0x2B`: analogue inputs, AD0 in bits 0–15, AD1 in bits 16–31.
    Analog(u32),
    /// `0x30`: wireless network signal strength.
    SignalStrength(u8),
    /// `0x31`: GNSS satellites in use.
    Satellites(u8),
    /// Any other item, as sent.
    Raw {
        /// Item id.
        id: u8,
        /// Item value.
        value: Vec<u8>,
    },
}

impl Extra {
    /// The item id.
    pub fn id(&self) -> u8 {
        match self {
            Self::MileageKm(_) => 0x01,
            Self::FuelL(_) => 0x02,
            Self::RecorderSpeedKmh(_) => 0x03,
            Self::ManualAlarmEvent(_) => 0x04,
            Self::TyrePressure(_) => 0x05,
            Self::CarriageTemperatureC(_) => 0x06,
            Self::Overspeed { .. } => 0x11,
            Self::AreaRoute { .. } => 0x12,
            Self::RoadSectionTime { .. } => 0x13,
            Self::VehicleSignals(_) => 0x25,
            Self::IoStatus(_) => 0x2A,
            Self::Analog(_) => 0x2B,
            Self::SignalStrength(_) => 0x30,
            Self::Satellites(_) => 0x31,
            Self::Raw { id, .. } => *id,
        }
    }

    /// The item `id` with `value`; never fails.
    pub fn decode(id: u8, value: &[u8]) -> Self {
        Self::decode_standard(id, value).unwrap_or_else(|| Self::Raw {
            id,
            value: value.to_vec(),
        })
    }

    fn decode_standard(id: u8, value: &[u8]) -> Option<Self> {
        let word = |v: &[u8]| Some(u16::from_be_bytes(v.try_into().ok()?));
        let dword = |v: &[u8]| Some(u32::from_be_bytes(v.try_into().ok()?));
        Some(match (id, value.len()) {
            (0x01, 4) => Self::MileageKm(f64::from(dword(value)?) / 10.0),
            (0x02, 2) => Self::FuelL(f64::from(word(value)?) / 10.0),
            (0x03, 2) => Self::RecorderSpeedKmh(f64::from(word(value)?) / 10.0),
            (0x04, 2) => Self::ManualAlarmEvent(word(value)?),
            (0x05, 30) => Self::TyrePressure(value.try_into().ok()?),
            (0x06, 2) => {
                let raw = word(value)?;
                // 15 bits of magnitude always fit an i16.
                let magnitude = (raw & 0x7fff) as i16;
                Self::CarriageTemperatureC(if raw & 0x8000 != 0 {
                    -magnitude
                } else {
                    magnitude
                })
            }
            (0x11, 1) => Self::Overspeed {
                kind: value[0],
                area_id: None,
            },
            (0x11, 5) => Self::Overspeed {
                kind: value[0],
                area_id: Some(dword(&value[1..])?),
            },
            (0x12, 6) => Self::AreaRoute {
                kind: value[0],
                id: dword(&value[1..5])?,
                direction: value[5],
            },
            (0x13, 7) => Self::RoadSectionTime {
                id: dword(&value[..4])?,
                seconds: word(&value[4..6])?,
                result: value[6],
            },
            (0x25, 4) => Self::VehicleSignals(dword(value)?),
            (0x2A, 2) => Self::IoStatus(word(value)?),
            (0x2B, 4) => Self::Analog(dword(value)?),
            (0x30, 1) => Self::SignalStrength(value[0]),
            (0x31, 1) => Self::Satellites(value[0]),
            _ => return None,
        })
    }

    /// Appends the item: id, length, value. Fails when a value does not
    /// fit its field (a raw value over 255 bytes, a negative mileage, …).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let mut value = Vec::new();
        match self {
            Self::MileageKm(km) => value.extend(scaled_u32(*km, 10.0, "mileage")?.to_be_bytes()),
            Self::FuelL(l) => value.extend(scaled_u16(*l, 10.0, "fuel")?.to_be_bytes()),
            Self::RecorderSpeedKmh(v) => {
                value.extend(scaled_u16(*v, 10.0, "recorder speed")?.to_be_bytes());
            }
            Self::ManualAlarmEvent(id) => value.extend(id.to_be_bytes()),
            Self::TyrePressure(p) => value.extend(p),
            Self::CarriageTemperatureC(t) => {
                let magnitude = t.checked_abs().ok_or(Error::BadField {
                    field: "carriage temperature",
                })?;
                // Non-negative, so it fits 15 bits.
                let mut raw = magnitude as u16;
                if *t < 0 {
                    raw |= 0x8000;
                }
                value.extend(raw.to_be_bytes());
            }
            Self::Overspeed { kind, area_id } => {
                value.push(*kind);
                if let Some(id) = area_id {
                    value.extend(id.to_be_bytes());
                }
            }
            Self::AreaRoute {
                kind,
                id,
                direction,
            } => {
                value.push(*kind);
                value.extend(id.to_be_bytes());
                value.push(*direction);
            }
            Self::RoadSectionTime {
                id,
                seconds,
                result,
            } => {
                value.extend(id.to_be_bytes());
                value.extend(seconds.to_be_bytes());
                value.push(*result);
            }
            Self::VehicleSignals(v) | Self::Analog(v) => value.extend(v.to_be_bytes()),
            Self::IoStatus(v) => value.extend(v.to_be_bytes()),
            Self::SignalStrength(v) | Self::Satellites(v) => value.push(*v),
            Self::Raw { value: v, .. } => value.extend_from_slice(v),
        }
        let len = u8::try_from(value.len()).map_err(|_| Error::BadField {
            field: "additional item length",
        })?;
        out.push(self.id());
        out.push(len);
        out.extend_from_slice(&value);
        Ok(())
    }
}

/// An alarm flag of a location report, by its bit number.
///
/// Bits 13–17 and 31 differ between editions: 13 and 14 (overspeed and
/// fatigue pre-warnings) and 31 (illegal door opening) are 2013 flags,
/// 15–17 were added in 2019 (where 31 is reserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Alarm {
    /// Bit 0: emergency alarm (SOS switch).
    Emergency = 0,
    /// Bit 1: overspeed.
    Overspeed = 1,
    /// Bit 2: fatigue driving.
    Fatigue = 2,
    /// Bit 3: danger warning.
    DangerWarning = 3,
    /// Bit 4: GNSS module fault.
    GnssModuleFault = 4,
    /// Bit 5: GNSS antenna not connected or cut.
    GnssAntennaCut = 5,
    /// Bit 6: GNSS antenna short circuit.
    GnssAntennaShort = 6,
    /// Bit 7: main power under-voltage.
    MainPowerUnderVoltage = 7,
    /// Bit 8: main power cut.
    MainPowerCut = 8,
    /// Bit 9: display fault.
    DisplayFault = 9,
    /// Bit 10: TTS module fault.
    TtsFault = 10,
    /// Bit 11: camera fault.
    CameraFault = 11,
    /// Bit 12: road transport IC card module fault.
    IcCardFault = 12,
    /// Bit 13: overspeed pre-warning.
    OverspeedWarning = 13,
    /// Bit 14: fatigue driving pre-warning.
    FatigueWarning = 14,
    /// Bit 15 (2019): illegal driving.
    IllegalDriving = 15,
    /// Bit 16 (2019): tyre pressure warning.
    TyrePressureWarning = 16,
    /// Bit 17 (2019): right-turn blind zone abnormal.
    RightTurnBlindZone = 17,
    /// Bit 18: cumulative driving time of the day exceeded.
    DrivingOvertime = 18,
    /// Bit 19: stopped too long.
    StopOvertime = 19,
    /// Bit 20: entering or leaving an area.
    AreaInOut = 20,
    /// Bit 21: entering or leaving a route.
    RouteInOut = 21,
    /// Bit 22: road section driving time too short or too long.
    RoadSectionTime = 22,
    /// Bit 23: route deviation.
    RouteDeviation = 23,
    /// Bit 24: vehicle speed sensor (VSS) fault.
    VssFault = 24,
    /// Bit 25: abnormal fuel level.
    AbnormalFuel = 25,
    /// Bit 26: vehicle stolen.
    VehicleStolen = 26,
    /// Bit 27: illegal ignition.
    IllegalIgnition = 27,
    /// Bit 28: illegal displacement.
    IllegalDisplacement = 28,
    /// Bit 29: collision (rollover too in 2019).
    Collision = 29,
    /// Bit 30: rollover.
    Rollover = 30,
    /// Bit 31 (2013): illegal door opening.
    IllegalDoorOpen = 31,
}

impl Alarm {
    /// Every alarm, in bit order.
    pub const ALL: [Self; 32] = [
        Self::Emergency,
        Self::Overspeed,
        Self::Fatigue,
        Self::DangerWarning,
        Self::GnssModuleFault,
        Self::GnssAntennaCut,
        Self::GnssAntennaShort,
        Self::MainPowerUnderVoltage,
        Self::MainPowerCut,
        Self::DisplayFault,
        Self::TtsFault,
        Self::CameraFault,
        Self::IcCardFault,
        Self::OverspeedWarning,
        Self::FatigueWarning,
        Self::IllegalDriving,
        Self::TyrePressureWarning,
        Self::RightTurnBlindZone,
        Self::DrivingOvertime,
        Self::StopOvertime,
        Self::AreaInOut,
        Self::RouteInOut,
        Self::RoadSectionTime,
        Self::RouteDeviation,
        Self::VssFault,
        Self::AbnormalFuel,
        Self::VehicleStolen,
        Self::IllegalIgnition,
        Self::IllegalDisplacement,
        Self::Collision,
        Self::Rollover,
        Self::IllegalDoorOpen,
    ];

    /// The bit number in the alarm flags.
    pub fn bit(self) -> u8 {
        self as u8
    }

    /// The alarms whose bits are set in `flags`, in bit order.
    pub fn from_bits(flags: u32) -> impl Iterator<Item = Self> {
        Self::ALL
            .into_iter()
            .filter(move |a| flags & (1 << a.bit()) != 0)
    }

    /// A snake_case name (`"emergency"`, `"gnss_antenna_cut"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Emergency => "emergency",
            Self::Overspeed => "overspeed",
            Self::Fatigue => "fatigue",
            Self::DangerWarning => "danger_warning",
            Self::GnssModuleFault => "gnss_module_fault",
            Self::GnssAntennaCut => "gnss_antenna_cut",
            Self::GnssAntennaShort => "gnss_antenna_short",
            Self::MainPowerUnderVoltage => "main_power_under_voltage",
            Self::MainPowerCut => "main_power_cut",
            Self::DisplayFault => "display_fault",
            Self::TtsFault => "tts_fault",
            Self::CameraFault => "camera_fault",
            Self::IcCardFault => "ic_card_fault",
            Self::OverspeedWarning => "overspeed_warning",
            Self::FatigueWarning => "fatigue_warning",
            Self::IllegalDriving => "illegal_driving",
            Self::TyrePressureWarning => "tyre_pressure_warning",
            Self::RightTurnBlindZone => "right_turn_blind_zone",
            Self::DrivingOvertime => "driving_overtime",
            Self::StopOvertime => "stop_overtime",
            Self::AreaInOut => "area_in_out",
            Self::RouteInOut => "route_in_out",
            Self::RoadSectionTime => "road_section_time",
            Self::RouteDeviation => "route_deviation",
            Self::VssFault => "vss_fault",
            Self::AbnormalFuel => "abnormal_fuel",
            Self::VehicleStolen => "vehicle_stolen",
            Self::IllegalIgnition => "illegal_ignition",
            Self::IllegalDisplacement => "illegal_displacement",
            Self::Collision => "collision",
            Self::Rollover => "rollover",
            Self::IllegalDoorOpen => "illegal_door_open",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_without_time_or_fix_still_decodes() {
        // alarm: antenna cut; status: ACC on, not positioned; no position, no time
        let mut body = vec![0, 0, 0, 0x20, 0, 0, 0, 0x01];
        body.extend([0; 20]);
        let l = Location::decode(&body).unwrap();
        assert_eq!(l.t_epoch_s, None);
        assert!(!l.positioned() && l.acc_on());
        assert_eq!(l.alarms().collect::<Vec<_>>(), [Alarm::GnssAntennaCut]);
        let mut again = Vec::new();
        l.encode_into(&mut again).unwrap();
        assert_eq!(again, body);
        // a time that is not zero must be a real one
        body[22..28].copy_from_slice(&[0x24, 0x13, 0x01, 0, 0, 0]);
        assert!(Location::decode(&body).is_err());
    }

    #[test]
    fn alarm_bits_are_in_order() {
        for (i, a) in Alarm::ALL.iter().enumerate() {
            assert_eq!(usize::from(a.bit()), i);
        }
        let set: Vec<_> = Alarm::from_bits(0b101 | 1 << 31).collect();
        assert_eq!(
            set,
            [Alarm::Emergency, Alarm::Fatigue, Alarm::IllegalDoorOpen]
        );
        assert_eq!(Alarm::from_bits(u32::MAX).count(), 32);
        assert_eq!(Alarm::from_bits(0).count(), 0);
        assert_eq!(Alarm::GnssAntennaCut.name(), "gnss_antenna_cut");
        let names: std::collections::HashSet<_> = Alarm::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), 32);
    }

    #[test]
    fn temperature_sign_bit() {
        assert_eq!(
            Extra::decode(0x06, &[0x80, 0x05]),
            Extra::CarriageTemperatureC(-5)
        );
        assert_eq!(
            Extra::decode(0x06, &[0x00, 0x19]),
            Extra::CarriageTemperatureC(25)
        );
        let mut out = Vec::new();
        Extra::CarriageTemperatureC(-5)
            .encode_into(&mut out)
            .unwrap();
        assert_eq!(out, [0x06, 2, 0x80, 0x05]);
        assert!(
            Extra::CarriageTemperatureC(i16::MIN)
                .encode_into(&mut out)
                .is_err()
        );
    }

    #[test]
    fn odd_lengths_stay_raw() {
        assert_eq!(
            Extra::decode(0x01, &[1, 2, 3]),
            Extra::Raw {
                id: 1,
                value: vec![1, 2, 3]
            }
        );
        assert_eq!(
            Extra::decode(0x11, &[0, 0]),
            Extra::Raw {
                id: 0x11,
                value: vec![0, 0]
            }
        );
        assert_eq!(
            Extra::decode(0x30, &[]),
            Extra::Raw {
                id: 0x30,
                value: vec![]
            }
        );
    }

    #[test]
    fn encoder_refuses_out_of_range() {
        let mut out = Vec::new();
        assert!(Extra::MileageKm(-1.0).encode_into(&mut out).is_err());
        assert!(Extra::FuelL(f64::NAN).encode_into(&mut out).is_err());
        assert!(Extra::FuelL(6553.6).encode_into(&mut out).is_err());
        assert!(
            Extra::Raw {
                id: 0xE1,
                value: vec![0; 256]
            }
            .encode_into(&mut out)
            .is_err()
        );
        assert!(out.is_empty());
    }
}
