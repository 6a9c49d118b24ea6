//! Every supported message decoded from frames worked out from the
//! standard's layouts (`tests/vectors.py`, not this crate's encoder), in
//! its 2013 and 2019 forms, and the platform replies checked byte for byte.

mod common;

use coastwatch_jt808::{
    Alarm, AuthDetails, BatchKind, Extra, Message, Package, PlatformResult, RegisterResult,
    RegistrationForm, Response, Version, decode_message, encode_8001, encode_8100,
};
use common::{decode_wire, hex};

const HEARTBEAT_2013: &str = "7e000200000139123456780001337e";
const HEARTBEAT_2019: &str = "7e0002400001000000000139123456780002717e";
const LOGOUT_2013: &str = "7e000300000139123456780003307e";
const LOGOUT_2019: &str = "7e0003400001000000000139123456780003717e";
const TERMINAL_RESPONSE_2013: &str = "7e0001000501391234567800040010810300a27e";
const TERMINAL_RESPONSE_2019: &str = "7e00014005010000000001391234567800040011830003e07e";
const PLATFORM_RESPONSE_2013: &str = "7e8001000501391234567800090102020004b87e";
const PLATFORM_RESPONSE_2019: &str = "7e80014005010000000001391234567800090102070401fd7e";
const REGISTER_2013: &str = "7e0100002d0139123456780000002c0133373031313142534a2d47462d303600000000000000000000003736353433323101d4c14231323334353f7e";
const REGISTER_2019: &str = "7e0100405501000000000139123456780000002100644d414e55463030303031314a542d323031392d4d4f44454c000000000000000000000000000000000049443432000000000000000000000000000000000000000000000000000002d5e3413838383838002c7e";
const REGISTER_2011: &str = "7e010000210139123456780000000b0000373031313147462d30360000003132333435363701bea9413132333435517e";
const AUTH_2013: &str = "7e0102000801391234567800014155544831323334367e";
const AUTH_2019: &str = "7e0102402c0100000000013912345678000108415554483132333438363631323334353637383930313256312e322e330000000000000000000000000000077e";
const LOCATION_2013: &str = "7e020000690139123456780102000001010000000301dc89d0073d8aa5000c025d005a240315102030010400000f8c020201f403020258040200071105010000000212060200000003011307000000040078012504000000032a0200012b040064003230011f31010ce103aabbcc0103010203110100ff7e";
const LOCATION_2019: &str = "7e0200404a01000000000139123456787d027d01000000000000000e01fe63ba043653d1020800000167191231235959051e000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d06028005060200193001173101094e7e";
const BATCH_2013: &str = "7e070400450139123456780103000201001c00000000000000020154456006ce18900005006400b424010105000000220000000200000003015445c406ce18f4000604d200b5240101050030300110310108137e";
const BATCH_2019: &str = "7e0704402101000000000139123456780104000100001c00000000000000020154456006ce18900005006400b42401010500008d7e";
const REPLY_8100_2013: &str = "7e8100000b01391234567800050000004155544831323334b37e";
const REPLY_8100_2019: &str = "7e8100400301000000000139123456780006000004f17e";
const REPLY_8001_2013: &str = "7e800100050139123456787d02000102020000cb7e";
const REPLY_8001_2019: &str = "7e80014005010000000001391234567800077d027d01020002f17e";

const PHONE_2013: &str = "013912345678";
const PHONE_2019: &str = "00000000013912345678";
const V2019: Version = Version::V2019 { protocol: 1 };

#[test]
fn heartbeat_and_logout() {
    for (wire, id, version, phone, serial, message) in [
        (
            HEARTBEAT_2013,
            2,
            Version::V2013,
            PHONE_2013,
            1,
            Message::Heartbeat,
        ),
        (HEARTBEAT_2019, 2, V2019, PHONE_2019, 2, Message::Heartbeat),
        (
            LOGOUT_2013,
            3,
            Version::V2013,
            PHONE_2013,
            3,
            Message::Logout,
        ),
        (LOGOUT_2019, 3, V2019, PHONE_2019, 3, Message::Logout),
    ] {
        let (p, m) = decode_wire(wire);
        assert_eq!(p.header.msg_id, id);
        assert_eq!(p.header.version, version);
        assert_eq!(p.header.phone, phone);
        assert_eq!(p.header.phone_normalised(), "13912345678");
        assert_eq!(p.header.serial, serial);
        assert_eq!(p.header.encryption, 0);
        assert_eq!(p.header.package, None);
        assert!(p.body.is_empty());
        assert_eq!(m, message);
        assert_eq!(m.id(), id);
    }
}

#[test]
fn general_responses() {
    let cases = [
        (
            TERMINAL_RESPONSE_2013,
            Message::GeneralResponse(Response {
                reply_serial: 0x10,
                reply_id: 0x8103,
                result: 0,
            }),
        ),
        (
            TERMINAL_RESPONSE_2019,
            Message::GeneralResponse(Response {
                reply_serial: 0x11,
                reply_id: 0x8300,
                result: 3,
            }),
        ),
        (
            PLATFORM_RESPONSE_2013,
            Message::PlatformResponse(Response {
                reply_serial: 0x102,
                reply_id: 0x0200,
                result: 4,
            }),
        ),
        (
            PLATFORM_RESPONSE_2019,
            Message::PlatformResponse(Response {
                reply_serial: 0x102,
                reply_id: 0x0704,
                result: 1,
            }),
        ),
    ];
    for (wire, expected) in cases {
        assert_eq!(decode_wire(wire).1, expected);
    }
}

#[test]
fn registration_2013() {
    let (p, m) = decode_wire(REGISTER_2013);
    assert_eq!(p.header.version, Version::V2013);
    let Message::Register(r) = m else {
        panic!("{m:?}")
    };
    assert_eq!(r.form, RegistrationForm::V2013);
    assert_eq!((r.province, r.city), (44, 307));
    assert_eq!(r.manufacturer, b"70111");
    assert_eq!(r.model, b"BSJ-GF-06\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(r.model_text(), "BSJ-GF-06");
    assert_eq!(r.terminal_id_text(), "7654321");
    assert_eq!(r.plate_colour, 1);
    assert_eq!(r.plate, b"\xd4\xc1B12345");
    assert_eq!(r.plate_text(), "粤B12345");
}

#[test]
fn registration_2019() {
    let (p, m) = decode_wire(REGISTER_2019);
    assert_eq!(p.header.version, V2019);
    let Message::Register(r) = m else {
        panic!("{m:?}")
    };
    assert_eq!(r.form, RegistrationForm::V2019);
    assert_eq!((r.province, r.city), (33, 100));
    assert_eq!(r.manufacturer_text(), "MANUF000011");
    assert_eq!(r.model.len(), 30);
    assert_eq!(r.model_text(), "JT-2019-MODEL");
    assert_eq!(r.terminal_id.len(), 30);
    assert_eq!(r.terminal_id_text(), "ID42");
    assert_eq!(r.plate_colour, 2);
    // 2019 STRINGs end with a NUL; it stays in the raw bytes only.
    assert_eq!(r.plate, b"\xd5\xe3A88888\0");
    assert_eq!(r.plate_text(), "浙A88888");
}

#[test]
fn registration_2011() {
    let (_, m) = decode_wire(REGISTER_2011);
    let Message::Register(r) = m else {
        panic!("{m:?}")
    };
    assert_eq!(r.form, RegistrationForm::V2011);
    assert_eq!((r.province, r.city), (11, 0));
    assert_eq!(r.model, b"GF-06\0\0\0");
    assert_eq!(r.terminal_id_text(), "1234567");
    assert_eq!(r.plate_text(), "京A12345");
}

#[test]
fn registration_responses() {
    let (p, m) = decode_wire(REPLY_8100_2013);
    assert_eq!(p.header.serial, 5);
    assert_eq!(
        m,
        Message::RegisterResponse {
            reply_serial: 0,
            result: 0,
            auth_code: b"AUTH1234".to_vec()
        }
    );
    let (_, m) = decode_wire(REPLY_8100_2019);
    assert_eq!(
        m,
        Message::RegisterResponse {
            reply_serial: 0,
            result: 4,
            auth_code: Vec::new()
        }
    );
}

#[test]
fn authentication() {
    let (_, m) = decode_wire(AUTH_2013);
    let Message::Authenticate(a) = m else {
        panic!("{m:?}")
    };
    assert_eq!(a.auth_code, b"AUTH1234");
    assert_eq!(a.auth_code_text(), "AUTH1234");
    assert_eq!(a.details, None);

    let (_, m) = decode_wire(AUTH_2019);
    let Message::Authenticate(a) = m else {
        panic!("{m:?}")
    };
    assert_eq!(a.auth_code, b"AUTH1234");
    let mut software_version = [0; 20];
    software_version[..6].copy_from_slice(b"V1.2.3");
    assert_eq!(
        a.details,
        Some(AuthDetails {
            imei: *b"866123456789012",
            software_version
        })
    );
}

#[test]
fn location_2013_with_every_standard_item() {
    let (p, m) = decode_wire(LOCATION_2013);
    assert_eq!(p.header.serial, 0x0102);
    let Message::Location(l) = m else {
        panic!("{m:?}")
    };
    assert_eq!(
        l.alarms().collect::<Vec<_>>(),
        [Alarm::Emergency, Alarm::MainPowerCut]
    );
    assert!(l.positioned() && l.acc_on());
    assert_eq!((l.lat, l.lon), (31.230416, 121.473701));
    assert_eq!(l.altitude_m, 12);
    assert_eq!(l.speed_kmh, 60.5);
    assert_eq!(l.direction_deg, 90);
    // 2024-03-15 10:20:30 GMT+8.
    assert_eq!(l.t_epoch_s, Some(1_710_469_230));
    assert_eq!(
        l.extras,
        [
            Extra::MileageKm(398.0),
            Extra::FuelL(50.0),
            Extra::RecorderSpeedKmh(60.0),
            Extra::ManualAlarmEvent(7),
            Extra::Overspeed {
                kind: 1,
                area_id: Some(2)
            },
            Extra::AreaRoute {
                kind: 2,
                id: 3,
                direction: 1
            },
            Extra::RoadSectionTime {
                id: 4,
                seconds: 120,
                result: 1
            },
            Extra::VehicleSignals(3),
            Extra::IoStatus(1),
            Extra::Analog(0x0064_0032),
            Extra::SignalStrength(31),
            Extra::Satellites(12),
            Extra::Raw {
                id: 0xE1,
                value: vec![0xAA, 0xBB, 0xCC]
            },
            // A mileage of the wrong length stays raw.
            Extra::Raw {
                id: 0x01,
                value: vec![1, 2, 3]
            },
            Extra::Overspeed {
                kind: 0,
                area_id: None
            },
        ]
    );
}

#[test]
fn location_2019_south_west_with_2019_items() {
    let (p, m) = decode_wire(LOCATION_2019);
    // The serial 0x7e7d travels escaped.
    assert_eq!(p.header.serial, 0x7e7d);
    let Message::Location(l) = m else {
        panic!("{m:?}")
    };
    assert_eq!(l.alarms().count(), 0);
    assert!(l.positioned() && !l.acc_on());
    assert_eq!((l.lat, l.lon), (-33.44889, -70.669265));
    assert_eq!(
        (l.altitude_m, l.speed_kmh, l.direction_deg),
        (520, 0.0, 359)
    );
    // 2019-12-31 23:59:59 GMT+8.
    assert_eq!(l.t_epoch_s, Some(1_577_807_999));
    let tyres: [u8; 30] = std::array::from_fn(|i| i as u8);
    assert_eq!(
        l.extras,
        [
            Extra::TyrePressure(tyres),
            Extra::CarriageTemperatureC(-5),
            Extra::CarriageTemperatureC(25),
            Extra::SignalStrength(23),
            Extra::Satellites(9),
        ]
    );
}

#[test]
fn location_batches() {
    let (_, m) = decode_wire(BATCH_2013);
    let Message::LocationBatch { kind, items } = m else {
        panic!("{m:?}")
    };
    assert_eq!(kind, BatchKind::BlindArea);
    assert_eq!(items.len(), 2);
    let (a, b) = (&items[0], &items[1]);
    assert_eq!(
        (a.lat, a.lon, a.speed_kmh, a.direction_deg),
        (22.3, 114.17, 10.0, 180)
    );
    assert!(a.positioned() && !a.acc_on());
    // 2024-01-01 05:00:00 GMT+8 is still 2023 in UTC.
    assert_eq!(a.t_epoch_s, Some(1_704_056_400));
    assert!(a.extras.is_empty());
    assert_eq!(b.alarms().collect::<Vec<_>>(), [Alarm::Overspeed]);
    assert_eq!(
        (b.lat, b.lon, b.speed_kmh, b.altitude_m),
        (22.3001, 114.1701, 123.4, 6)
    );
    assert_eq!(b.t_epoch_s, Some(1_704_056_430));
    assert_eq!(b.extras, [Extra::SignalStrength(16), Extra::Satellites(8)]);

    let (p, m) = decode_wire(BATCH_2019);
    assert_eq!(p.header.version, V2019);
    let Message::LocationBatch {
        kind,
        items: items19,
    } = m
    else {
        panic!("{m:?}")
    };
    assert_eq!(kind, BatchKind::Normal);
    assert_eq!(items19, [items[0].clone()]);
}

#[test]
fn unknown_ids_are_kept_raw() {
    let (mut p, _) = decode_wire(AUTH_2013);
    p.header.msg_id = 0x0900;
    assert_eq!(
        decode_message(&p.header, &p.body).unwrap(),
        Message::Other {
            id: 0x0900,
            body: b"AUTH1234".to_vec()
        }
    );
}

#[test]
fn reply_encoders_byte_for_byte() {
    let (reg13, _) = decode_wire(REGISTER_2013);
    assert_eq!(
        encode_8100(&reg13.header, 5, RegisterResult::Ok, b"AUTH1234").unwrap(),
        hex(REPLY_8100_2013)
    );
    let (reg19, _) = decode_wire(REGISTER_2019);
    // No code travels with a refusal.
    assert_eq!(
        encode_8100(
            &reg19.header,
            6,
            RegisterResult::NoSuchTerminal,
            b"AUTH1234"
        )
        .unwrap(),
        hex(REPLY_8100_2019)
    );
    let (loc13, _) = decode_wire(LOCATION_2013);
    assert_eq!(
        encode_8001(&loc13.header, 0x7e00, PlatformResult::Ok).unwrap(),
        hex(REPLY_8001_2013)
    );
    let (loc19, _) = decode_wire(LOCATION_2019);
    assert_eq!(
        encode_8001(&loc19.header, 7, PlatformResult::BadMessage).unwrap(),
        hex(REPLY_8001_2019)
    );
}

#[test]
fn replies_to_a_package_are_whole() {
    let (mut p, _) = decode_wire(LOCATION_2013);
    p.header.package = Some(Package { total: 2, index: 1 });
    p.header.encryption = 1;
    let (plain, _) = decode_wire(LOCATION_2013);
    assert_eq!(
        encode_8001(&p.header, 0x7e00, PlatformResult::Ok).unwrap(),
        encode_8001(&plain.header, 0x7e00, PlatformResult::Ok).unwrap()
    );
}

#[test]
fn every_vector_round_trips_through_the_encoder() {
    for wire in [
        HEARTBEAT_2013,
        HEARTBEAT_2019,
        LOGOUT_2013,
        LOGOUT_2019,
        TERMINAL_RESPONSE_2013,
        TERMINAL_RESPONSE_2019,
        PLATFORM_RESPONSE_2013,
        PLATFORM_RESPONSE_2019,
        REGISTER_2013,
        REGISTER_2019,
        REGISTER_2011,
        AUTH_2013,
        AUTH_2019,
        LOCATION_2013,
        LOCATION_2019,
        BATCH_2013,
        BATCH_2019,
        REPLY_8100_2013,
        REPLY_8100_2019,
        REPLY_8001_2013,
        REPLY_8001_2019,
    ] {
        let (p, m) = decode_wire(wire);
        assert_eq!(m.id(), p.header.msg_id);
        let body = m.encode_body().unwrap();
        assert_eq!(body, p.body, "{wire}");
        assert_eq!(
            coastwatch_jt808::encode(&p.header, &body).unwrap(),
            hex(wire)
        );
    }
}
