//! Pure identity checks behind the `identity_anomaly` alert: MMSI format
//! and MID (ITU-R M.585), IMO check digit, empty names, a missing static
//! report, and speeds two positions imply.
//!
//! Every function here looks at values only; keeping per-vessel state
//! (first position, last position, static report seen) is the caller's
//! job.
//!
//! # Units
//! Positions are `(lon_deg, lat_deg, t_s)`: WGS84 degrees and seconds
//! (any epoch, as long as both points share it). Distances are nautical
//! miles (1852 m), speeds knots.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::mid::{MmsiKind, mid_country, mmsi_kind};

/// What is wrong with a vessel's identity or reports.
///
/// Serialises as a snake_case string (`"mmsi_format"`, `"bad_imo"`, …),
/// the same text as [`as_str`](Self::as_str).
///
/// ```
/// use coastwatch_datasets::ais::identity::IdentityProblem;
/// let p = IdentityProblem::UnknownMid;
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#""unknown_mid""#);
/// assert_eq!(p.as_str(), "unknown_mid");
/// assert_eq!(p.to_string(), "MMSI carries an unallocated MID");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentityProblem {
    /// The MMSI fits none of the ITU-R M.585 formats (e.g. not nine
    /// digits).
    MmsiFormat,
    /// The MMSI's Maritime Identification Digits are not allocated.
    UnknownMid,
    /// The IMO number is not seven digits or fails its check digit.
    BadImo,
    /// The name is empty, or only `@` padding and spaces.
    EmptyName,
    /// No static report (type 5 or 24) within
    /// [`STATIC_REPORT_WINDOW_S`] of the first position.
    NoStaticReport,
    /// Two positions of one MMSI imply more than
    /// [`MAX_PLAUSIBLE_SPEED_KN`].
    ImpossibleSpeed,
}

impl IdentityProblem {
    /// Every problem, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::MmsiFormat,
        Self::UnknownMid,
        Self::BadImo,
        Self::EmptyName,
        Self::NoStaticReport,
        Self::ImpossibleSpeed,
    ];

    /// The snake_case name, as serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MmsiFormat => "mmsi_format",
            Self::UnknownMid => "unknown_mid",
            Self::BadImo => "bad_imo",
            Self::EmptyName => "empty_name",
            Self::NoStaticReport => "no_static_report",
            Self::ImpossibleSpeed => "impossible_speed",
        }
    }
}

impl fmt::Display for IdentityProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MmsiFormat => "MMSI is not a valid 9-digit ITU-R M.585 number",
            Self::UnknownMid => "MMSI carries an unallocated MID",
            Self::BadImo => "IMO number fails its check digit",
            Self::EmptyName => "name is empty",
            Self::NoStaticReport => "no static report within 30 min of the first position",
            Self::ImpossibleSpeed => "two positions imply more than 50 kn",
        })
    }
}

/// Highest plausible speed between two positions of one vessel, knots.
pub const MAX_PLAUSIBLE_SPEED_KN: f64 = 50.0;

/// How long after its first position a vessel has to send a static
/// report (type 5 or 24), seconds.
pub const STATIC_REPORT_WINDOW_S: f64 = 30.0 * 60.0;

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres in one nautical mile.
pub const METRES_PER_NMI: f64 = 1852.0;

/// Checks an MMSI: [`MmsiFormat`](IdentityProblem::MmsiFormat) when it
/// fits no ITU-R M.585 format (see [`mmsi_kind`]),
/// [`UnknownMid`](IdentityProblem::UnknownMid) when its format carries a
/// MID (ship, group, coast, SAR aircraft, handheld, auxiliary craft, aid to
/// navigation) that is not allocated, `None` otherwise.
///
/// Device numbers (AIS-SART, MOB, EPIRB-AIS, AMRD) carry no MID and pass.
///
/// ```
/// use coastwatch_datasets::ais::identity::{IdentityProblem, mmsi_problem};
/// assert_eq!(mmsi_problem(257_005_300), None);
/// assert_eq!(mmsi_problem(123_456_789), Some(IdentityProblem::MmsiFormat));
/// assert_eq!(mmsi_problem(1_234_567_890), Some(IdentityProblem::MmsiFormat));
/// assert_eq!(mmsi_problem(222_000_001), Some(IdentityProblem::UnknownMid));
/// ```
pub fn mmsi_problem(mmsi: u32) -> Option<IdentityProblem> {
    match mmsi_kind(mmsi) {
        MmsiKind::Invalid => Some(IdentityProblem::MmsiFormat),
        kind => match kind.mid() {
            Some(mid) if mid_country(mid).is_none() => Some(IdentityProblem::UnknownMid),
            _ => None,
        },
    }
}

/// True when `imo` is a seven-digit IMO ship number whose last digit
/// equals the sum of the first six digits weighted 7, 6, 5, 4, 3, 2,
/// modulo 10.
///
/// AIS sends 0 for "no IMO number"; that is not valid here, so callers
/// should skip it (the decoder already maps it to `None`).
///
/// ```
/// use coastwatch_datasets::ais::identity::imo_valid;
/// assert!(imo_valid(9_134_270)); // EVER DIADEM
/// assert!(!imo_valid(9_134_271));
/// assert!(!imo_valid(981_346_200)); // nine digits
/// ```
pub const fn imo_valid(imo: u32) -> bool {
    if imo < 1_000_000 || imo > 9_999_999 {
        return false;
    }
    let check = imo % 10;
    let mut rest = imo / 10;
    let mut weight = 2;
    let mut sum = 0;
    while weight <= 7 {
        sum += (rest % 10) * weight;
        rest /= 10;
        weight += 1;
    }
    sum % 10 == check
}

/// [`EmptyName`](IdentityProblem::EmptyName) when `name` holds nothing but
/// spaces and `@` (the six-bit padding character), or nothing at all.
///
/// ```
/// use coastwatch_datasets::ais::identity::{IdentityProblem, name_problem};
/// assert_eq!(name_problem("EVER DIADEM"), None);
/// assert_eq!(name_problem("@@@@@@@@@@@@@@@@@@@@"), Some(IdentityProblem::EmptyName));
/// assert_eq!(name_problem("   "), Some(IdentityProblem::EmptyName));
/// ```
pub fn name_problem(name: &str) -> Option<IdentityProblem> {
    name.bytes()
        .all(|b| b == b' ' || b == b'@')
        .then_some(IdentityProblem::EmptyName)
}

/// Great-circle (haversine) distance between two `(lon_deg, lat_deg)`
/// points on a sphere of radius [`EARTH_RADIUS_M`], nautical miles.
///
/// ```
/// use coastwatch_datasets::ais::identity::haversine_nmi;
/// // One degree of latitude is about 60 nmi.
/// let d = haversine_nmi((10.0, 59.0), (10.0, 60.0));
/// assert!((d - 60.04).abs() < 0.01);
/// ```
pub fn haversine_nmi(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let s_lat = ((lat2 - lat1) / 2.0).sin();
    let s_lon = ((lon2 - lon1) / 2.0).sin();
    let h = s_lat * s_lat + lat1.cos() * lat2.cos() * s_lon * s_lon;
    // Rounding can push h a hair above 1 for antipodal points; clamp keeps NaN.
    let central_rad = 2.0 * h.sqrt().clamp(0.0, 1.0).asin();
    central_rad * EARTH_RADIUS_M / METRES_PER_NMI
}

/// Speed implied by moving between two fixes `(lon_deg, lat_deg, t_s)`,
/// knots: the [haversine distance](haversine_nmi) over the absolute time
/// between them, so the order of the fixes does not matter.
///
/// Two fixes at the same time give 0 when they are at the same place and
/// infinity otherwise; a NaN input gives NaN.
///
/// ```
/// use coastwatch_datasets::ais::identity::implied_speed_kn;
/// // One degree of latitude in one hour.
/// let v = implied_speed_kn((5.0, 60.0, 0.0), (5.0, 61.0, 3600.0));
/// assert!((v - 60.04).abs() < 0.01);
/// ```
pub fn implied_speed_kn(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
    let dist_nmi = haversine_nmi((a.0, a.1), (b.0, b.1));
    let dt_h = (b.2 - a.2).abs() / 3600.0;
    if dt_h == 0.0 {
        if dist_nmi == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        dist_nmi / dt_h
    }
}

/// [`ImpossibleSpeed`](IdentityProblem::ImpossibleSpeed) when the two
/// fixes imply more than [`MAX_PLAUSIBLE_SPEED_KN`] (see
/// [`implied_speed_kn`]).
///
/// ```
/// use coastwatch_datasets::ais::identity::{IdentityProblem, speed_problem};
/// // 1° of latitude in 60 min: 60 kn.
/// assert_eq!(speed_problem((5.0, 60.0, 0.0), (5.0, 61.0, 3600.0)), Some(IdentityProblem::ImpossibleSpeed));
/// // The same in 2 h: 30 kn.
/// assert_eq!(speed_problem((5.0, 60.0, 0.0), (5.0, 61.0, 7200.0)), None);
/// ```
pub fn speed_problem(a: (f64, f64, f64), b: (f64, f64, f64)) -> Option<IdentityProblem> {
    (implied_speed_kn(a, b) > MAX_PLAUSIBLE_SPEED_KN).then_some(IdentityProblem::ImpossibleSpeed)
}

/// [`NoStaticReport`](IdentityProblem::NoStaticReport) when, at `now_t_s`,
/// more than [`STATIC_REPORT_WINDOW_S`] have passed since the first
/// position (`first_position_t_s`) and no static report arrived by the end
/// of that window (`first_static_t_s` is `None` or later).
///
/// A static report received before the first position counts.
///
/// ```
/// use coastwatch_datasets::ais::identity::{IdentityProblem, static_report_problem};
/// assert_eq!(static_report_problem(0.0, None, 1000.0), None); // still waiting
/// assert_eq!(static_report_problem(0.0, None, 1801.0), Some(IdentityProblem::NoStaticReport));
/// assert_eq!(static_report_problem(0.0, Some(600.0), 5000.0), None);
/// ```
pub fn static_report_problem(
    first_position_t_s: f64,
    first_static_t_s: Option<f64>,
    now_t_s: f64,
) -> Option<IdentityProblem> {
    let deadline_s = first_position_t_s + STATIC_REPORT_WINDOW_S;
    let in_time = first_static_t_s.is_some_and(|t| t <= deadline_s);
    (!in_time && now_t_s > deadline_s).then_some(IdentityProblem::NoStaticReport)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmsi_rules() {
        // Valid: ship, coast, AtoN, MOB, SAR aircraft.
        for ok in [
            209_445_000,
            353_136_000,
            2_655_651,
            992_572_511,
            972_158_237,
            111_232_506,
            23_112_345,
        ] {
            assert_eq!(mmsi_problem(ok), None, "{ok}");
        }
        // Not nine digits / no format.
        for bad in [
            0,
            1,
            12_345,
            99_999_999,
            123_456_789,
            1_000_000_000,
            u32::MAX,
        ] {
            assert_eq!(
                mmsi_problem(bad),
                Some(IdentityProblem::MmsiFormat),
                "{bad}"
            );
        }
        // Unallocated MIDs 217, 222, 260, 300, 800-style forms.
        for unknown in [
            217_000_001,
            222_000_001,
            260_123_456,
            300_000_000,
            799_999_999,
        ] {
            assert_eq!(
                mmsi_problem(unknown),
                Some(IdentityProblem::UnknownMid),
                "{unknown}"
            );
        }
        // Unallocated MIDs in the other forms.
        assert_eq!(mmsi_problem(2_170_001), Some(IdentityProblem::UnknownMid));
        assert_eq!(mmsi_problem(992_170_001), Some(IdentityProblem::UnknownMid));
        assert_eq!(mmsi_problem(111_217_001), Some(IdentityProblem::UnknownMid));
        // Boundaries of the ship station form.
        assert_eq!(mmsi_problem(201_000_000), None);
        assert_eq!(mmsi_problem(200_999_999), Some(IdentityProblem::UnknownMid));
        assert_eq!(mmsi_problem(775_999_999), None);
        assert_eq!(mmsi_problem(776_000_000), Some(IdentityProblem::UnknownMid));
    }

    #[test]
    fn imo_rules() {
        // Real IMO numbers from the Kystverket sample and elsewhere.
        for ok in [
            9_134_270, 9_166_364, 8_719_102, 9_570_618, 7_432_044, 6_912_530, 9_811_000,
        ] {
            assert!(imo_valid(ok), "{ok}");
        }
        // One digit off in the check digit or elsewhere.
        for bad in [9_134_271, 9_134_279, 9_166_365, 9_166_464, 8_719_103] {
            assert!(!imo_valid(bad), "{bad}");
        }
        // Wrong length: 0, six digits, eight and nine digits.
        for bad in [0, 999_999, 123_456, 10_000_000, 981_346_200, u32::MAX] {
            assert!(!imo_valid(bad), "{bad}");
        }
        // Smallest and largest seven-digit numbers with a good check digit.
        assert!(imo_valid(1_000_007)); // 1*7 = 7
        assert!(!imo_valid(1_000_000));
        assert!(imo_valid(9_999_993)); // 9*27 = 243
        assert!(!imo_valid(9_999_997));
    }

    #[test]
    fn name_rules() {
        for empty in [
            "",
            " ",
            "                    ",
            "@",
            "@@@@@@@@@@@@@@@@@@@@",
            "@@ @ ",
        ] {
            assert_eq!(
                name_problem(empty),
                Some(IdentityProblem::EmptyName),
                "{empty:?}"
            );
        }
        for ok in ["A", "EVER DIADEM", " X ", "@A@", "SEA       LEOPARD", "0"] {
            assert_eq!(name_problem(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn haversine_values() {
        let deg_nmi = EARTH_RADIUS_M * std::f64::consts::PI / 180.0 / METRES_PER_NMI;
        assert!((deg_nmi - 60.0406).abs() < 1e-4);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.max(1.0);
        // Along a meridian and along the equator, one degree.
        assert!(close(haversine_nmi((3.0, 10.0), (3.0, 11.0)), deg_nmi));
        assert!(close(haversine_nmi((0.0, 0.0), (1.0, 0.0)), deg_nmi));
        // Across the antimeridian.
        assert!(close(haversine_nmi((179.5, 0.0), (-179.5, 0.0)), deg_nmi));
        // Symmetric, zero for the same point.
        let (p, q) = ((10.7, 59.9), (5.3, 60.4));
        assert_eq!(haversine_nmi(p, q), haversine_nmi(q, p));
        assert_eq!(haversine_nmi(p, p), 0.0);
        // Oslo to Bergen: about 305 km, 165 nmi.
        let d = haversine_nmi(p, q);
        assert!((160.0..170.0).contains(&d), "{d}");
        // Antipodes: half the circumference.
        let half = EARTH_RADIUS_M * std::f64::consts::PI / METRES_PER_NMI;
        assert!(close(haversine_nmi((0.0, 0.0), (180.0, 0.0)), half));
        assert!(close(haversine_nmi((20.0, 90.0), (-40.0, -90.0)), half));
    }

    #[test]
    fn implied_speed_values() {
        let a = (5.0, 60.0, 1_000.0);
        // One degree of latitude in 72 min: just over 50 kn.
        let b72 = (5.0, 61.0, 1_000.0 + 72.0 * 60.0);
        let b73 = (5.0, 61.0, 1_000.0 + 73.0 * 60.0);
        let v72 = implied_speed_kn(a, b72);
        let v73 = implied_speed_kn(a, b73);
        assert!((v72 - 50.034).abs() < 1e-3, "{v72}");
        assert!((v73 - 49.348).abs() < 1e-3, "{v73}");
        assert_eq!(
            speed_problem(a, b72),
            Some(IdentityProblem::ImpossibleSpeed)
        );
        assert_eq!(speed_problem(a, b73), None);
        // Order does not matter.
        assert_eq!(implied_speed_kn(b72, a), v72);
        assert_eq!(
            speed_problem(b72, a),
            Some(IdentityProblem::ImpossibleSpeed)
        );
        // Same time: same place is 0, elsewhere infinite.
        assert_eq!(implied_speed_kn(a, a), 0.0);
        assert_eq!(implied_speed_kn(a, (5.0, 60.001, a.2)), f64::INFINITY);
        assert_eq!(speed_problem(a, a), None);
        // Standing still for an hour.
        assert_eq!(implied_speed_kn(a, (a.0, a.1, a.2 + 3600.0)), 0.0);
        // NaN propagates and is not flagged.
        assert!(implied_speed_kn(a, (f64::NAN, 60.0, 0.0)).is_nan());
        assert_eq!(speed_problem(a, (f64::NAN, 60.0, 0.0)), None);
    }

    #[test]
    fn static_report_rules() {
        let first = 10_000.0;
        let deadline = first + STATIC_REPORT_WINDOW_S;
        // Within the window: not yet a problem, whatever arrived.
        assert_eq!(static_report_problem(first, None, deadline), None);
        // Window over, nothing received.
        assert_eq!(
            static_report_problem(first, None, deadline + 1.0),
            Some(IdentityProblem::NoStaticReport)
        );
        // Received on the deadline, or before the first position.
        assert_eq!(
            static_report_problem(first, Some(deadline), deadline + 99.0),
            None
        );
        assert_eq!(
            static_report_problem(first, Some(first - 60.0), deadline + 99.0),
            None
        );
        // Received, but late.
        assert_eq!(
            static_report_problem(first, Some(deadline + 1.0), deadline + 99.0),
            Some(IdentityProblem::NoStaticReport)
        );
    }

    #[test]
    fn problem_names_and_serde() {
        for p in IdentityProblem::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            let back: IdentityProblem = serde_json::from_str(&json).unwrap();
            assert_eq!(back, p);
            assert!(!p.to_string().is_empty());
        }
        assert_eq!(
            IdentityProblem::ALL.map(IdentityProblem::as_str),
            [
                "mmsi_format",
                "unknown_mid",
                "bad_imo",
                "empty_name",
                "no_static_report",
                "impossible_speed"
            ]
        );
        assert_eq!(
            IdentityProblem::BadImo.to_string(),
            "IMO number fails its check digit"
        );
    }
}
