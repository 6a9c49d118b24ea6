//! Sub-packaged messages: out of order, duplicated, interleaved, expired,
//! and over the bounds.

mod common;

use coastwatch_jt808::{
    Error, Extra, Header, Location, Message, Package, Packet, Reassembler, ReassemblyOptions,
    Version, decode_message, decode_packet, encode,
};

fn package(phone: &str, msg_id: u16, serial: u16, total: u16, index: u16, body: &[u8]) -> Packet {
    Packet {
        header: Header {
            msg_id,
            version: Version::V2019 { protocol: 1 },
            encryption: 0,
            phone: phone.into(),
            serial,
            package: Some(Package { total, index }),
        },
        body: body.to_vec(),
    }
}

#[test]
fn out_of_order_and_duplicated() {
    let mut r = Reassembler::default();
    let p = |i: u16, body: &[u8]| package("013912345678", 0x0801, 100 + i - 1, 3, i, body);
    assert_eq!(r.push(p(3, b"ghi"), 0).unwrap(), None);
    assert_eq!(r.push(p(1, b"abc"), 1).unwrap(), None);
    assert_eq!(r.push(p(1, b"abc"), 2).unwrap(), None);
    assert_eq!(r.push(p(3, b"ghi"), 2).unwrap(), None);
    assert_eq!(r.in_progress(), 1);
    let whole = r.push(p(2, b"def"), 3).unwrap().unwrap();
    assert_eq!(whole.body, b"abcdefghi");
    assert_eq!(whole.header.serial, 100);
    assert_eq!(whole.header.package, None);
    assert_eq!(whole.header.msg_id, 0x0801);
    assert_eq!(r.in_progress(), 0);
    assert_eq!(r.buffered_bytes(), 0);
    let stats = r.stats();
    assert_eq!(
        (stats.completed, stats.duplicates, stats.dropped),
        (1, 2, 0)
    );
    // A late duplicate starts a new message, which never completes.
    assert_eq!(r.push(p(2, b"def"), 4).unwrap(), None);
    assert_eq!(r.in_progress(), 1);
}

#[test]
fn whole_packets_pass_through() {
    let mut r = Reassembler::default();
    let mut p = package("1", 0x0200, 1, 1, 1, b"x");
    p.header.package = None;
    assert_eq!(r.push(p.clone(), 0).unwrap(), Some(p));
    // A message of one package is complete at once.
    let one = package("1", 0x0200, 9, 1, 1, b"y");
    let out = r.push(one, 0).unwrap().unwrap();
    assert_eq!((out.body.as_slice(), out.header.serial), (&b"y"[..], 9));
}

#[test]
fn serial_numbers_wrap() {
    let mut r = Reassembler::default();
    assert_eq!(
        r.push(package("7", 0x0801, 0x0000, 2, 2, b"b"), 0).unwrap(),
        None
    );
    let whole = r
        .push(package("7", 0x0801, 0xffff, 2, 1, b"a"), 0)
        .unwrap()
        .unwrap();
    assert_eq!(
        (whole.body.as_slice(), whole.header.serial),
        (&b"ab"[..], 0xffff)
    );
}

#[test]
fn interleaved_messages_stay_apart() {
    let mut r = Reassembler::default();
    // Same phone and id, two messages (first serials 10 and 20); another phone.
    assert_eq!(
        r.push(package("1", 0x0801, 10, 2, 1, b"A1"), 0).unwrap(),
        None
    );
    assert_eq!(
        r.push(package("1", 0x0801, 21, 2, 2, b"B2"), 0).unwrap(),
        None
    );
    assert_eq!(
        r.push(package("2", 0x0801, 11, 2, 2, b"C2"), 0).unwrap(),
        None
    );
    assert_eq!(r.in_progress(), 3);
    let a = r
        .push(package("1", 0x0801, 11, 2, 2, b"A2"), 0)
        .unwrap()
        .unwrap();
    assert_eq!(a.body, b"A1A2");
    let b = r
        .push(package("1", 0x0801, 20, 2, 1, b"B1"), 0)
        .unwrap()
        .unwrap();
    assert_eq!(b.body, b"B1B2");
    assert_eq!(r.in_progress(), 1);
}

#[test]
fn bad_indexes() {
    let mut r = Reassembler::default();
    assert_eq!(
        r.push(package("1", 1, 1, 2, 0, b""), 0),
        Err(Error::BadPackage { index: 0, total: 2 })
    );
    assert_eq!(
        r.push(package("1", 1, 1, 2, 3, b""), 0),
        Err(Error::BadPackage { index: 3, total: 2 })
    );
    assert_eq!(
        r.push(package("1", 1, 1, 0, 1, b""), 0),
        Err(Error::BadPackage { index: 1, total: 0 })
    );
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn idle_messages_expire() {
    let mut r = Reassembler::new(ReassemblyOptions {
        timeout_s: 10,
        ..Default::default()
    });
    assert_eq!(r.push(package("1", 1, 1, 2, 1, b"a"), 100).unwrap(), None);
    assert_eq!(r.expire(110), 0);
    assert_eq!(r.expire(111), 1);
    assert_eq!(r.stats().dropped, 1);
    // The second half alone starts over.
    assert_eq!(r.push(package("1", 1, 2, 2, 2, b"b"), 112).unwrap(), None);
    // Activity keeps a message alive.
    assert_eq!(r.push(package("1", 1, 2, 2, 2, b"b"), 120).unwrap(), None);
    let whole = r
        .push(package("1", 1, 1, 2, 1, b"a"), 130)
        .unwrap()
        .unwrap();
    assert_eq!(whole.body, b"ab");
}

#[test]
fn bounded_messages_and_bytes() {
    let mut r = Reassembler::new(ReassemblyOptions {
        max_messages: 2,
        max_bytes: 200,
        timeout_s: 60,
    });
    for phone in ["1", "2", "3"] {
        assert_eq!(r.push(package(phone, 1, 1, 2, 1, b"x"), 0).unwrap(), None);
    }
    // The least recently active ("1") made room.
    assert_eq!(r.in_progress(), 2);
    assert_eq!(r.push(package("1", 1, 2, 2, 2, b"y"), 0).unwrap(), None);
    assert!(r.push(package("3", 1, 2, 2, 2, b"y"), 0).unwrap().is_some());
    // One message over the byte bound is refused and dropped.
    let big = [0u8; 150];
    assert_eq!(r.push(package("4", 1, 1, 3, 1, &big), 0).unwrap(), None);
    assert!(matches!(
        r.push(package("4", 1, 2, 3, 2, &big), 0),
        Err(Error::MessageTooLarge { .. })
    ));
    assert!(r.buffered_bytes() <= 200);
    // Bytes evict the others first.
    let mut r = Reassembler::new(ReassemblyOptions {
        max_messages: 10,
        max_bytes: 200,
        timeout_s: 60,
    });
    assert_eq!(r.push(package("1", 1, 1, 2, 1, &big), 0).unwrap(), None);
    assert_eq!(r.push(package("2", 1, 1, 2, 1, &big), 0).unwrap(), None);
    assert_eq!(r.in_progress(), 1);
    assert!(r.buffered_bytes() <= 200);
    // Many empty packages use up the bound too.
    let mut r = Reassembler::new(ReassemblyOptions {
        max_messages: 10,
        max_bytes: 1000,
        timeout_s: 60,
    });
    let mut refused = false;
    for i in 1..=200 {
        refused |= r.push(package("1", 1, i, 60000, i, b""), 0).is_err();
    }
    assert!(refused);
    assert!(r.buffered_bytes() <= 1000);
}

#[test]
fn a_location_split_over_frames() {
    let location = Location {
        alarm: 0,
        status: 2,
        lat: 22.3,
        lon: 114.17,
        altitude_m: 5,
        speed_kmh: 10.0,
        direction_deg: 180,
        t_epoch_s: Some(1_704_056_400),
        extras: vec![Extra::SignalStrength(16), Extra::Satellites(8)],
    };
    let body = Message::Location(location.clone()).encode_body().unwrap();
    let (first, second) = body.split_at(13);
    let mut wire = Vec::new();
    for (index, part) in [(2, second), (1, first)] {
        let p = package(
            "00000000013912345678",
            0x0200,
            40 + index - 1,
            2,
            index,
            part,
        );
        wire.extend(encode(&p.header, &p.body).unwrap());
    }
    let mut d = coastwatch_jt808::Deframer::new();
    d.push(&wire);
    let mut r = Reassembler::default();
    let mut done = Vec::new();
    while let Some(frame) = d.next_frame() {
        let packet = decode_packet(&frame.unwrap()).unwrap();
        assert!(matches!(
            decode_message(&packet.header, &packet.body),
            Err(Error::SubPackage { total: 2, .. })
        ));
        done.extend(r.push(packet, 0).unwrap());
    }
    let [whole] = done.as_slice() else {
        panic!("{done:?}")
    };
    assert_eq!(whole.header.serial, 40);
    assert_eq!(
        decode_message(&whole.header, &whole.body).unwrap(),
        Message::Location(location)
    );
}
