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

pub mod markings;
pub mod mid;

use mid::{MmsiKind, mid_country, mmsi_kind};

use crate::engine::VesselState;

pub use crate::model::IdentityFlag;

/// Highest plausible speed between two positions of one vessel, knots.
pub const MAX_PLAUSIBLE_SPEED_KN: f64 = 50.0;

/// How long after its first position a vessel has to send a static
/// report (type 5 or 24), seconds.
pub const STATIC_REPORT_WINDOW_S: f64 = 30.0 * 60.0;

/// How strict the speed and static-report checks are (`detectors.identity_speed_kn` and
/// `detectors.identity_static_min`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Highest plausible speed between two positions, knots.
    pub max_speed_kn: f64,
    /// How long after its first position a vessel has to send a static report, seconds.
    pub static_report_s: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_speed_kn: MAX_PLAUSIBLE_SPEED_KN,
            static_report_s: STATIC_REPORT_WINDOW_S,
        }
    }
}

pub use crate::geodesy::{EARTH_RADIUS_M, METRES_PER_NMI};

/// Checks an MMSI: [`MmsiFormat`](IdentityFlag::MmsiFormat) when it
/// fits no ITU-R M.585 format (see [`mmsi_kind`]),
/// [`UnknownMid`](IdentityFlag::UnknownMid) when its format carries a
/// MID (ship, group, coast, SAR aircraft, handheld, auxiliary craft, aid to
/// navigation) that is not allocated, `None` otherwise.
///
/// Device numbers (AIS-SART, MOB, EPIRB-AIS, AMRD) carry no MID and pass.
///
/// ```
/// use coastwatch_core::identity::{IdentityFlag, mmsi_problem};
/// assert_eq!(mmsi_problem(257_005_300), None);
/// assert_eq!(mmsi_problem(123_456_789), Some(IdentityFlag::MmsiFormat));
/// assert_eq!(mmsi_problem(1_234_567_890), Some(IdentityFlag::MmsiFormat));
/// assert_eq!(mmsi_problem(222_000_001), Some(IdentityFlag::UnknownMid));
/// ```
pub fn mmsi_problem(mmsi: u32) -> Option<IdentityFlag> {
    match mmsi_kind(mmsi) {
        MmsiKind::Invalid => Some(IdentityFlag::MmsiFormat),
        kind => match kind.mid() {
            Some(mid) if mid_country(mid).is_none() => Some(IdentityFlag::UnknownMid),
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
/// use coastwatch_core::identity::imo_valid;
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

/// [`EmptyName`](IdentityFlag::EmptyName) when `name` holds nothing but
/// spaces and `@` (the six-bit padding character), or nothing at all.
///
/// ```
/// use coastwatch_core::identity::{IdentityFlag, name_problem};
/// assert_eq!(name_problem("EVER DIADEM"), None);
/// assert_eq!(name_problem("@@@@@@@@@@@@@@@@@@@@"), Some(IdentityFlag::EmptyName));
/// assert_eq!(name_problem("   "), Some(IdentityFlag::EmptyName));
/// ```
pub fn name_problem(name: &str) -> Option<IdentityFlag> {
    name.bytes()
        .all(|b| b == b' ' || b == b'@')
        .then_some(IdentityFlag::EmptyName)
}

/// Great-circle (haversine) distance between two `(lon_deg, lat_deg)`
/// points on a sphere of radius [`EARTH_RADIUS_M`], nautical miles.
///
/// ```
/// use coastwatch_core::identity::haversine_nmi;
/// // One degree of latitude is about 60 nmi.
/// let d = haversine_nmi((10.0, 59.0), (10.0, 60.0));
/// assert!((d - 60.04).abs() < 0.01);
/// ```
pub fn haversine_nmi(a: (f64, f64), b: (f64, f64)) -> f64 {
    crate::geodesy::distance_m([a.0, a.1], [b.0, b.1]) / METRES_PER_NMI
}

/// Speed implied by moving between two fixes `(lon_deg, lat_deg, t_s)`,
/// knots: the [haversine distance](haversine_nmi) over the absolute time
/// between them, so the order of the fixes does not matter.
///
/// Two fixes at the same time give 0 when they are at the same place and
/// infinity otherwise; a NaN input gives NaN.
///
/// ```
/// use coastwatch_core::identity::implied_speed_kn;
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

/// How far apart two reports of a vessel standing still may lie, metres: the GNSS error of
/// each and the offset between antennas.
pub const POSITION_NOISE_M: f64 = 100.0;

/// How far a report's time may be off, seconds: a fix without a source time is stamped on
/// arrival, and receivers and aggregators forward reports late and in bursts.
pub const TIME_NOISE_S: f64 = 2.0;

/// [`ImpossibleSpeed`](IdentityFlag::ImpossibleSpeed) when no vessel under
/// `max_speed_kn` could have moved between the two fixes, even with each
/// position off by [`POSITION_NOISE_M`] together and the times by [`TIME_NOISE_S`]: so two
/// reports a few metres apart that arrived in one burst are not a jump, a teleport of
/// kilometres is.
///
/// ```
/// use coastwatch_core::identity::{IdentityFlag, speed_problem};
/// // 1° of latitude in 60 min: 60 kn.
/// assert_eq!(speed_problem((5.0, 60.0, 0.0), (5.0, 61.0, 3600.0), 50.0), Some(IdentityFlag::ImpossibleSpeed));
/// // The same in 2 h: 30 kn.
/// assert_eq!(speed_problem((5.0, 60.0, 0.0), (5.0, 61.0, 7200.0), 50.0), None);
/// assert_eq!(speed_problem((5.0, 60.0, 0.0), (5.0, 61.0, 7200.0), 25.0), Some(IdentityFlag::ImpossibleSpeed));
/// // 20 m between two reports stamped on arrival in the same millisecond.
/// assert_eq!(speed_problem((5.0, 60.0, 0.0), (5.0, 60.00018, 0.001), 50.0), None);
/// ```
pub fn speed_problem(
    a: (f64, f64, f64),
    b: (f64, f64, f64),
    max_speed_kn: f64,
) -> Option<IdentityFlag> {
    let moved_m = crate::geodesy::distance_m([a.0, a.1], [b.0, b.1]) - POSITION_NOISE_M;
    let reach_m = max_speed_kn * METRES_PER_NMI / 3600.0 * ((b.2 - a.2).abs() + TIME_NOISE_S);
    (moved_m > reach_m).then_some(IdentityFlag::ImpossibleSpeed)
}

/// [`NoStaticReport`](IdentityFlag::NoStaticReport) when, at `now_t_s`,
/// more than `window_s` have passed since the first
/// position (`first_position_t_s`) and no static report arrived by the end
/// of that window (`first_static_t_s` is `None` or later).
///
/// A static report received before the first position counts.
///
/// ```
/// use coastwatch_core::identity::{IdentityFlag, static_report_problem};
/// assert_eq!(static_report_problem(0.0, None, 1000.0, 1800.0), None); // still waiting
/// assert_eq!(static_report_problem(0.0, None, 1801.0, 1800.0), Some(IdentityFlag::NoStaticReport));
/// assert_eq!(static_report_problem(0.0, Some(600.0), 5000.0, 1800.0), None);
/// ```
pub fn static_report_problem(
    first_position_t_s: f64,
    first_static_t_s: Option<f64>,
    now_t_s: f64,
    window_s: f64,
) -> Option<IdentityFlag> {
    let deadline_s = first_position_t_s + window_s;
    let in_time = first_static_t_s.is_some_and(|t| t <= deadline_s);
    (!in_time && now_t_s > deadline_s).then_some(IdentityFlag::NoStaticReport)
}

/// The identity problems a vessel shows (PRODUCT.md `identity_anomaly`), judged at its latest
/// report: MMSI format and MID, IMO check digit, empty name, no static report in time after
/// the first position, and a jump between its two latest fixes too fast (`limits`: by
/// default 30 min and 50 kn).
pub fn identity_flags(vessel: &VesselState, limits: Limits) -> Vec<IdentityFlag> {
    let mut problems = Vec::new();
    problems.extend(mmsi_problem(vessel.mmsi.get()));
    if vessel.info.imo.is_some_and(|imo| !imo_valid(imo)) {
        problems.push(IdentityFlag::BadImo);
    }
    problems.extend(vessel.info.name.as_deref().and_then(name_problem));
    if let (Some(first), Some(latest)) = (vessel.first_fix, vessel.latest()) {
        problems.extend(static_report_problem(
            first,
            vessel.first_static,
            latest.t_epoch_s,
            limits.static_report_s,
        ));
    }
    let mut newest = vessel.track.iter().rev();
    if let (Some(b), Some(a)) = (newest.next(), newest.next()) {
        problems.extend(speed_problem(
            (a.lon, a.lat, a.t_epoch_s),
            (b.lon, b.lat, b.t_epoch_s),
            limits.max_speed_kn,
        ));
    }
    problems
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
            assert_eq!(mmsi_problem(bad), Some(IdentityFlag::MmsiFormat), "{bad}");
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
                Some(IdentityFlag::UnknownMid),
                "{unknown}"
            );
        }
        // Unallocated MIDs in the other forms.
        assert_eq!(mmsi_problem(2_170_001), Some(IdentityFlag::UnknownMid));
        assert_eq!(mmsi_problem(992_170_001), Some(IdentityFlag::UnknownMid));
        assert_eq!(mmsi_problem(111_217_001), Some(IdentityFlag::UnknownMid));
        // Boundaries of the ship station form.
        assert_eq!(mmsi_problem(201_000_000), None);
        assert_eq!(mmsi_problem(200_999_999), Some(IdentityFlag::UnknownMid));
        assert_eq!(mmsi_problem(775_999_999), None);
        assert_eq!(mmsi_problem(776_000_000), Some(IdentityFlag::UnknownMid));
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
                Some(IdentityFlag::EmptyName),
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
        // One degree of latitude in 71 min: 50.7 kn; in 72 min 50.03 kn, which the
        // tolerances (100 m, 2 s) take for 50 kn; in 73 min 49.3 kn.
        let b71 = (5.0, 61.0, 1_000.0 + 71.0 * 60.0);
        let b72 = (5.0, 61.0, 1_000.0 + 72.0 * 60.0);
        let b73 = (5.0, 61.0, 1_000.0 + 73.0 * 60.0);
        let v72 = implied_speed_kn(a, b72);
        let v73 = implied_speed_kn(a, b73);
        assert!((v72 - 50.034).abs() < 1e-3, "{v72}");
        assert!((v73 - 49.348).abs() < 1e-3, "{v73}");
        assert_eq!(
            speed_problem(a, b71, MAX_PLAUSIBLE_SPEED_KN),
            Some(IdentityFlag::ImpossibleSpeed)
        );
        assert_eq!(speed_problem(a, b72, MAX_PLAUSIBLE_SPEED_KN), None);
        assert_eq!(speed_problem(a, b73, MAX_PLAUSIBLE_SPEED_KN), None);
        // Order does not matter.
        assert_eq!(implied_speed_kn(b72, a), v72);
        assert_eq!(
            speed_problem(b71, a, MAX_PLAUSIBLE_SPEED_KN),
            Some(IdentityFlag::ImpossibleSpeed)
        );
        // Same time: same place is 0, elsewhere infinite.
        assert_eq!(implied_speed_kn(a, a), 0.0);
        assert_eq!(implied_speed_kn(a, (5.0, 60.001, a.2)), f64::INFINITY);
        assert_eq!(speed_problem(a, a, MAX_PLAUSIBLE_SPEED_KN), None);
        // … but at the same time, 111 m apart is noise and 1 km a jump.
        assert_eq!(
            speed_problem(a, (5.0, 60.001, a.2), MAX_PLAUSIBLE_SPEED_KN),
            None
        );
        assert_eq!(
            speed_problem(a, (5.0, 60.01, a.2), MAX_PLAUSIBLE_SPEED_KN),
            Some(IdentityFlag::ImpossibleSpeed)
        );
        // Standing still for an hour.
        assert_eq!(implied_speed_kn(a, (a.0, a.1, a.2 + 3600.0)), 0.0);
        // NaN propagates and is not flagged.
        assert!(implied_speed_kn(a, (f64::NAN, 60.0, 0.0)).is_nan());
        assert_eq!(
            speed_problem(a, (f64::NAN, 60.0, 0.0), MAX_PLAUSIBLE_SPEED_KN),
            None
        );
    }

    #[test]
    fn static_report_rules() {
        let first = 10_000.0;
        let deadline = first + STATIC_REPORT_WINDOW_S;
        // Within the window: not yet a problem, whatever arrived.
        assert_eq!(
            static_report_problem(first, None, deadline, STATIC_REPORT_WINDOW_S),
            None
        );
        // Window over, nothing received.
        assert_eq!(
            static_report_problem(first, None, deadline + 1.0, STATIC_REPORT_WINDOW_S),
            Some(IdentityFlag::NoStaticReport)
        );
        // Received on the deadline, or before the first position.
        assert_eq!(
            static_report_problem(
                first,
                Some(deadline),
                deadline + 99.0,
                STATIC_REPORT_WINDOW_S
            ),
            None
        );
        assert_eq!(
            static_report_problem(
                first,
                Some(first - 60.0),
                deadline + 99.0,
                STATIC_REPORT_WINDOW_S
            ),
            None
        );
        // Received, but late.
        assert_eq!(
            static_report_problem(
                first,
                Some(deadline + 1.0),
                deadline + 99.0,
                STATIC_REPORT_WINDOW_S
            ),
            Some(IdentityFlag::NoStaticReport)
        );
    }

    fn vessel(
        mmsi: i64,
        imo: Option<u32>,
        name: &str,
        static_at: Option<f64>,
        fixes: &[(f64, f64, f64)],
    ) -> VesselState {
        use crate::engine::{Fix, VesselEngine, VesselInfo, VesselUpdate};
        use crate::model::Mmsi;
        let mut engine = VesselEngine::new(7200.0, h3o::Resolution::Nine);
        let mmsi = Mmsi::try_from(mmsi).unwrap();
        for &(t, lon, lat) in fixes {
            let fix = Fix {
                t_epoch_s: t,
                lon,
                lat,
                sog_kn: None,
                cog_deg: None,
                heading_deg: None,
                nav_status: None,
            };
            engine.apply(VesselUpdate::Position { mmsi, fix });
        }
        if let Some(t) = static_at {
            let info = VesselInfo {
                name: Some(name.into()),
                imo,
                ..VesselInfo::default()
            };
            engine.apply(VesselUpdate::Static {
                mmsi,
                t_epoch_s: t,
                info,
            });
        }
        engine.get(mmsi).unwrap().clone()
    }

    #[test]
    fn identity_flags_follow_the_rules() {
        // 10 kn for 10 minutes is 1.667 nmi, about 0.0278 deg of latitude
        let calm = [(0.0, 121.6, 29.5), (600.0, 121.6, 29.5278)];
        assert_eq!(
            identity_flags(
                &vessel(412_345_678, Some(9_134_270), "ZHE YU 1", Some(300.0), &calm),
                Limits::default()
            ),
            vec![]
        );

        let flags = identity_flags(
            &vessel(
                12_345,
                Some(9_134_271),
                "",
                None,
                &[(0.0, 121.6, 29.5), (1900.0, 121.6, 29.5)],
            ),
            Limits::default(),
        );
        assert!(flags.contains(&IdentityFlag::MmsiFormat), "{flags:?}");
        assert!(flags.contains(&IdentityFlag::NoStaticReport), "{flags:?}");

        let flags = identity_flags(
            &vessel(412_345_678, Some(9_134_271), "@@@@", Some(10.0), &calm),
            Limits::default(),
        );
        assert_eq!(flags, vec![IdentityFlag::BadImo, IdentityFlag::EmptyName]);

        // 5 km in one minute is about 162 kn
        let jump = [(0.0, 121.6, 29.5), (60.0, 121.6, 29.545)];
        assert_eq!(
            identity_flags(
                &vessel(412_345_678, None, "X", Some(0.0), &jump),
                Limits::default()
            ),
            vec![IdentityFlag::ImpossibleSpeed]
        );
        // a static report 29 minutes after the first position is in time; 31 is not
        let late = |t| {
            identity_flags(
                &vessel(
                    412_345_678,
                    None,
                    "X",
                    Some(t),
                    &[(0.0, 121.6, 29.5), (3600.0, 121.6, 29.52)],
                ),
                Limits::default(),
            )
        };
        assert_eq!(late(29.0 * 60.0), vec![]);
        assert_eq!(late(31.0 * 60.0), vec![IdentityFlag::NoStaticReport]);
    }
}
