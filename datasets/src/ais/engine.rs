//! Turning decoded AIS messages into updates of the vessel engine.

use coastwatch_spatial::engine::{Fix, VesselInfo, VesselState, VesselUpdate};
use coastwatch_spatial::model::Mmsi;

use super::bits::AisText;
use super::identity::{self, IdentityProblem};
use super::messages::AisMessage;

/// An `f32` value sent in tenths (speed, course) as the nearest `f64` tenth, so that 12.3
/// stays 12.3 and not 12.300000190734863.
fn tenths(value: f32) -> f64 {
    (f64::from(value) * 10.0).round() / 10.0
}

fn trimmed<const N: usize>(t: &AisText<N>) -> String {
    t.as_str().trim_end_matches(['@', ' ']).trim().to_owned()
}

/// Optional text: `None` when empty.
fn text<const N: usize>(t: &AisText<N>) -> Option<String> {
    Some(trimmed(t)).filter(|s| !s.is_empty())
}

/// A ship name as sent: an empty name stays `Some("")` so the identity check can see it.
fn name<const N: usize>(t: &AisText<N>) -> Option<String> {
    Some(trimmed(t))
}

/// The engine update a message carries, stamped `t_epoch_s` (the reception time): positions
/// from types 1–3, 18, 19 and 27; static data from types 5, 19 and 24. Other messages
/// (base stations, aids to navigation, SAR aircraft, binary messages) carry none.
pub fn vessel_update(message: &AisMessage, t_epoch_s: f64) -> Option<VesselUpdate> {
    let mmsi = Mmsi::try_from(i64::from(message.mmsi().get())).ok()?;
    let position = |lon: Option<f64>,
                    lat: Option<f64>,
                    sog: Option<f64>,
                    cog: Option<f64>,
                    heading: Option<u16>,
                    status: Option<u8>| {
        Some(VesselUpdate::Position {
            mmsi,
            fix: Fix {
                t_epoch_s,
                lon: lon?,
                lat: lat?,
                sog_kn: sog,
                cog_deg: cog,
                heading_deg: heading.map(f64::from),
                nav_status: status,
            },
        })
    };
    let info = |info: VesselInfo| {
        Some(VesselUpdate::Static {
            mmsi,
            t_epoch_s,
            info,
        })
    };
    match message {
        AisMessage::Position(m) => position(
            m.lon_deg,
            m.lat_deg,
            m.sog_kn.map(tenths),
            m.cog_deg.map(tenths),
            m.heading_deg,
            Some(m.nav_status),
        ),
        AisMessage::ClassBPosition(m) => position(
            m.lon_deg,
            m.lat_deg,
            m.sog_kn.map(tenths),
            m.cog_deg.map(tenths),
            m.heading_deg,
            None,
        ),
        AisMessage::LongRange(m) => position(
            m.lon_deg,
            m.lat_deg,
            m.sog_kn.map(f64::from),
            m.cog_deg.map(f64::from),
            None,
            Some(m.nav_status),
        ),
        AisMessage::StaticVoyage(m) => info(VesselInfo {
            name: name(&m.shipname),
            callsign: text(&m.callsign),
            imo: m.imo.filter(|&imo| imo > 0),
            ship_type: Some(m.ship_type),
            destination: text(&m.destination),
        }),
        // Type 19 carries both: the position goes to the track, the name is taken by a
        // second update (see `vessel_updates`).
        AisMessage::ClassBExtended(m) => position(
            m.lon_deg,
            m.lat_deg,
            m.sog_kn.map(tenths),
            m.cog_deg.map(tenths),
            m.heading_deg,
            None,
        ),
        AisMessage::StaticData(m) => info(VesselInfo {
            name: m.shipname.as_ref().map(trimmed),
            callsign: m.part_b.as_ref().and_then(|b| text(&b.callsign)),
            ship_type: m.part_b.as_ref().map(|b| b.ship_type),
            ..VesselInfo::default()
        }),
        _ => None,
    }
}

/// Every engine update a message carries (type 19 carries a position and static data).
pub fn vessel_updates(message: &AisMessage, t_epoch_s: f64) -> impl Iterator<Item = VesselUpdate> {
    let extra =
        match message {
            AisMessage::ClassBExtended(m) => Mmsi::try_from(i64::from(m.header.mmsi.get()))
                .ok()
                .map(|mmsi| VesselUpdate::Static {
                    mmsi,
                    t_epoch_s,
                    info: VesselInfo {
                        name: text(&m.shipname),
                        ship_type: Some(m.ship_type),
                        ..VesselInfo::default()
                    },
                }),
            _ => None,
        };
    vessel_update(message, t_epoch_s).into_iter().chain(extra)
}

/// The identity problems a vessel shows (PRODUCT.md `identity_anomaly`), judged at its latest
/// report: MMSI format and MID, IMO check digit, empty name, no static report within 30 min
/// of the first position, and a jump between its two latest fixes faster than 50 kn.
pub fn identity_flags(vessel: &VesselState) -> Vec<IdentityProblem> {
    let mut problems = Vec::new();
    problems.extend(identity::mmsi_problem(vessel.mmsi.get()));
    if vessel.info.imo.is_some_and(|imo| !identity::imo_valid(imo)) {
        problems.push(IdentityProblem::BadImo);
    }
    problems.extend(vessel.info.name.as_deref().and_then(identity::name_problem));
    if let (Some(first), Some(latest)) = (vessel.first_fix, vessel.latest()) {
        problems.extend(identity::static_report_problem(
            first,
            vessel.first_static,
            latest.t_epoch_s,
        ));
    }
    let n = vessel.track.len();
    if n >= 2 {
        let (a, b) = (vessel.track[n - 2], vessel.track[n - 1]);
        problems.extend(identity::speed_problem(
            (a.lon, a.lat, a.t_epoch_s),
            (b.lon, b.lat, b.t_epoch_s),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ais::decoder::{Decoder, DecoderOptions};

    fn decode_all(lines: &[&str]) -> Vec<VesselUpdate> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut out = Vec::new();
        for line in lines {
            if let Ok(Some(decoded)) = decoder.feed_line(line.as_bytes()) {
                out.extend(vessel_updates(
                    &decoded.message,
                    decoded.timestamp_s.unwrap_or(0.0),
                ));
            }
        }
        out
    }

    #[test]
    fn positions_and_static_reports() {
        let updates = decode_all(&[
            "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
            "!AIVDM,2,2,1,A,88888888880,2*25",
        ]);
        assert!(
            matches!(&updates[0], VesselUpdate::Position { mmsi, fix } if mmsi.get() == 371_798_000 && (fix.lat - 48.3816333).abs() < 1e-6 && fix.sog_kn == Some(12.3))
        );
        match &updates[1] {
            VesselUpdate::Static { mmsi, info, .. } => {
                assert_eq!(mmsi.get(), 351_759_000);
                assert_eq!(info.name.as_deref(), Some("EVER DIADEM"));
                assert_eq!(info.callsign.as_deref(), Some("3FOF8"));
                assert_eq!(info.imo, Some(9_134_270));
                assert_eq!(info.destination.as_deref(), Some("NEW YORK"));
            }
            other => panic!("expected static data, got {other:?}"),
        }
    }

    fn vessel(
        mmsi: i64,
        imo: Option<u32>,
        name: &str,
        static_at: Option<f64>,
        fixes: &[(f64, f64, f64)],
    ) -> VesselState {
        use coastwatch_spatial::engine::VesselEngine;
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
            identity_flags(&vessel(
                412_345_678,
                Some(9_134_270),
                "ZHE YU 1",
                Some(300.0),
                &calm
            )),
            vec![]
        );

        let flags = identity_flags(&vessel(
            12_345,
            Some(9_134_271),
            "",
            None,
            &[(0.0, 121.6, 29.5), (1900.0, 121.6, 29.5)],
        ));
        assert!(flags.contains(&IdentityProblem::MmsiFormat), "{flags:?}");
        assert!(
            flags.contains(&IdentityProblem::NoStaticReport),
            "{flags:?}"
        );

        let flags = identity_flags(&vessel(
            412_345_678,
            Some(9_134_271),
            "@@@@",
            Some(10.0),
            &calm,
        ));
        assert_eq!(
            flags,
            vec![IdentityProblem::BadImo, IdentityProblem::EmptyName]
        );

        // 5 km in one minute is about 162 kn
        let jump = [(0.0, 121.6, 29.5), (60.0, 121.6, 29.545)];
        assert_eq!(
            identity_flags(&vessel(412_345_678, None, "X", Some(0.0), &jump)),
            vec![IdentityProblem::ImpossibleSpeed]
        );
        // a static report 29 minutes after the first position is in time; 31 is not
        let late = |t| {
            identity_flags(&vessel(
                412_345_678,
                None,
                "X",
                Some(t),
                &[(0.0, 121.6, 29.5), (3600.0, 121.6, 29.52)],
            ))
        };
        assert_eq!(late(29.0 * 60.0), vec![]);
        assert_eq!(late(31.0 * 60.0), vec![IdentityProblem::NoStaticReport]);
    }
}
