//! Turning decoded AIS messages into updates of the vessel engine.

use coastwatch_core::engine::{Fix, VesselInfo, VesselUpdate};

use super::bits::AisText;
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
    let mmsi = message.mmsi();
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
    let extra = match message {
        AisMessage::ClassBExtended(m) => Some(VesselUpdate::Static {
            mmsi: m.header.mmsi,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decoder::{Decoder, DecoderOptions};

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
}
