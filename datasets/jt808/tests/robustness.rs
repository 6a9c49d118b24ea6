//! Framing and decoding under damage: escapes everywhere, bad check codes,
//! truncation, lying lengths, and thousands of random and mutated inputs.
//! Nothing may panic; damage must come back as an error.

mod common;

use coastwatch_jt808::{
    Deframer, Error, FrameError, Message, Packet, PlatformResult, Reassembler, ReassemblyOptions,
    Response, decode_message, decode_packet, encode, encode_8001, escape, unescape,
};
use common::{XorShift, deframe_one, hex, xor};

/// Unescaped frames of a few vectors of `messages.rs` (delimiters removed).
fn vectors() -> Vec<Vec<u8>> {
    [
        "7e000200000139123456780001337e",
        "7e0001000501391234567800040010810300a27e",
        "7e0100002d0139123456780000002c0133373031313142534a2d47462d303600000000000000000000003736353433323101d4c14231323334353f7e",
        "7e0102402c0100000000013912345678000108415554483132333438363631323334353637383930313256312e322e330000000000000000000000000000077e",
        "7e020000690139123456780102000001010000000301dc89d0073d8aa5000c025d005a240315102030010400000f8c020201f403020258040200071105010000000212060200000003011307000000040078012504000000032a0200012b040064003230011f31010ce103aabbcc0103010203110100ff7e",
        "7e0200404a01000000000139123456787d027d01000000000000000e01fe63ba043653d1020800000167191231235959051e000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d06028005060200193001173101094e7e",
        "7e070400450139123456780103000201001c00000000000000020154456006ce18900005006400b424010105000000220000000200000003015445c406ce18f4000604d200b5240101050030300110310108137e",
        "7e8100000b01391234567800050000004155544831323334b37e",
    ]
    .iter()
    .map(|w| deframe_one(&hex(w)))
    .collect()
}

/// Sets the last byte to the XOR of the others.
fn fix_check(content: &mut [u8]) {
    let n = content.len() - 1;
    content[n] = xor(&content[..n]);
}

/// Everything a deframer yields for `wire` pushed in the given pieces.
fn deframe_in_pieces(wire: &[u8], cuts: &[usize]) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut d = Deframer::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
        d.push(&wire[start..cut]);
        out.extend(d.frames());
        start = cut;
    }
    out
}

/// Decodes a frame fully; a decoded message must survive its own encoder.
fn decode_all(frame: &[u8]) {
    let Ok(packet) = decode_packet(frame) else {
        return;
    };
    // Header and body survive the encoder (bit 15 of the properties, which
    // is reserved, does not).
    let wire = encode(&packet.header, &packet.body).expect("a decoded packet encodes");
    assert_eq!(decode_packet(&deframe_one(&wire)).as_ref(), Ok(&packet));
    // So does the platform's reply to it.
    let reply = encode_8001(&packet.header, 9, PlatformResult::Failure).expect("a reply encodes");
    let reply = decode_packet(&deframe_one(&reply)).expect("a reply decodes");
    assert_eq!(
        (reply.header.serial, &reply.header.phone),
        (9, &packet.header.phone)
    );
    assert_eq!(
        decode_message(&reply.header, &reply.body),
        Ok(Message::PlatformResponse(Response {
            reply_serial: packet.header.serial,
            reply_id: packet.header.msg_id,
            result: 1,
        }))
    );
    let Ok(message) = decode_message(&packet.header, &packet.body) else {
        return;
    };
    check_round_trip(&packet, &message);
}

fn check_round_trip(packet: &Packet, message: &Message) {
    // Values decoded always fit their fields again.
    let body = message.encode_body().expect("a decoded message encodes");
    assert_eq!(decode_message(&packet.header, &body).as_ref(), Ok(message));
}

#[test]
fn escapes_at_every_position_round_trip() {
    for content in vectors() {
        for pos in 0..content.len() {
            for v in [0x7e, 0x7d] {
                let mut c = content.clone();
                c[pos] = v;
                let wire = escape(&c);
                let inner = &wire[1..wire.len() - 1];
                assert!(!inner.contains(&0x7e));
                assert_eq!(
                    wire.len(),
                    c.len() + 2 + c.iter().filter(|&&b| b == 0x7e || b == 0x7d).count()
                );
                assert_eq!(unescape(inner).unwrap(), c);
                // Cut the wire right after the escape byte, and everywhere else.
                for cut in [pos + 1, pos + 2, pos + 3] {
                    let cut = cut.min(wire.len());
                    assert_eq!(deframe_in_pieces(&wire, &[cut]), [Ok(c.clone())]);
                }
            }
        }
    }
}

#[test]
fn escaped_bytes_in_header_body_and_check_code_decode() {
    // A 2013 frame of message 0x0900 (raw body) whose message id, serial,
    // body and check code each hold 0x7e or 0x7d in turn.
    let base: Vec<u8> = [
        &[0x09, 0x00, 0x00, 0x04][..],
        &[0x01, 0x39, 0x12, 0x34, 0x56, 0x78],
        &[0x00, 0x05],
        &[0x10, 0x20, 0x30, 0x40],
        &[0x00],
    ]
    .concat();
    let free = [0, 1, 10, 11, 12, 13, 14, 15];
    for v in [0x7e, 0x7d] {
        for &pos in &free {
            let mut c = base.clone();
            c[pos] = v;
            fix_check(&mut c);
            let p = decode_packet(&deframe_one(&escape(&c))).unwrap();
            assert_eq!(p.body, c[12..16]);
            assert_eq!(p.header.msg_id, u16::from_be_bytes([c[0], c[1]]));
            assert_eq!(p.header.serial, u16::from_be_bytes([c[10], c[11]]));
        }
        // The check code itself: adjust the last body byte so the XOR is v.
        let mut c = base.clone();
        fix_check(&mut c);
        c[15] ^= c[16] ^ v;
        fix_check(&mut c);
        assert_eq!(c[16], v);
        let wire = escape(&c);
        assert_eq!(
            &wire[wire.len() - 3..],
            [0x7d, if v == 0x7e { 2 } else { 1 }, 0x7e]
        );
        let p = decode_packet(&deframe_one(&wire)).unwrap();
        assert_eq!(p.body, c[12..16]);
    }
}

#[test]
fn check_code_off_by_one() {
    for mut c in vectors() {
        let n = c.len() - 1;
        let expected = c[n];
        c[n] = expected.wrapping_add(1);
        assert_eq!(
            decode_packet(&c),
            Err(Error::BadCheck {
                expected,
                found: expected.wrapping_add(1)
            })
        );
    }
}

#[test]
fn every_prefix_fails_cleanly() {
    for c in vectors() {
        for n in 0..c.len() {
            assert!(decode_packet(&c[..n]).is_err(), "prefix {n} of {c:02x?}");
        }
        let wire = escape(&c);
        for n in 0..wire.len() {
            let mut d = Deframer::new();
            d.push(&wire[..n]);
            assert_eq!(d.next_frame(), None);
        }
    }
}

#[test]
fn lying_body_lengths() {
    for c in vectors() {
        let version_2019 = c[2] & 0x40 != 0;
        let header_len = if version_2019 { 17 } else { 12 };
        let actual = c.len() - header_len - 1;
        for declared in [actual + 1, actual.wrapping_sub(1), 0x3ff] {
            if declared == actual || declared > 0x3ff {
                continue;
            }
            let mut c = c.clone();
            let props = (u16::from_be_bytes([c[2], c[3]]) & !0x3ff) | declared as u16;
            c[2..4].copy_from_slice(&props.to_be_bytes());
            fix_check(&mut c);
            assert_eq!(
                decode_packet(&c),
                Err(Error::BodyLength { declared, actual })
            );
        }
    }
}

#[test]
fn body_damage_is_an_error() {
    let location = "7e020000690139123456780102000001010000000301dc89d0073d8aa5000c025d005a240315102030010400000f8c020201f403020258040200071105010000000212060200000003011307000000040078012504000000032a0200012b040064003230011f31010ce103aabbcc0103010203110100ff7e";
    let p = decode_packet(&deframe_one(&hex(location))).unwrap();
    // An item running past the end of the body, and a lone trailing byte.
    let mut body = p.body.clone();
    body.extend_from_slice(&[0x30, 0x02, 0x01]);
    assert_eq!(
        decode_message(&p.header, &body),
        Err(Error::Truncated {
            what: "additional item value"
        })
    );
    body.truncate(p.body.len() + 1);
    assert_eq!(
        decode_message(&p.header, &body),
        Err(Error::Truncated {
            what: "additional item length"
        })
    );
    // Every prefix of the basic information.
    for n in 0..28 {
        assert!(matches!(
            decode_message(&p.header, &p.body[..n]),
            Err(Error::Truncated { .. })
        ));
    }
    // A month of 13 and a non-decimal digit in the time.
    let mut body = p.body.clone();
    body[23] = 0x13;
    assert!(matches!(
        decode_message(&p.header, &body),
        Err(Error::BadTime(_))
    ));
    body[23] = 0x1a;
    assert_eq!(
        decode_message(&p.header, &body),
        Err(Error::BadBcd { field: "time" })
    );
    // A batch whose count promises more items than the body holds.
    let mut h = p.header.clone();
    h.msg_id = 0x0704;
    assert_eq!(
        decode_message(&h, &[0xff, 0xff, 0x00, 0x00]),
        Err(Error::Truncated {
            what: "batch item length"
        })
    );
    assert_eq!(
        decode_message(&h, &[0xff, 0xff, 0x00, 0x00, 0x01]),
        Err(Error::Truncated { what: "batch item" })
    );
    assert_eq!(
        decode_message(&h, &[0x00, 0x01, 0x00, 0x00, 0x00]),
        Err(Error::Truncated {
            what: "alarm flags"
        })
    );
    // An encrypted body and a sub-package are not decoded.
    h.encryption = 1;
    assert_eq!(
        decode_message(&h, &body),
        Err(Error::Encrypted { method: 1 })
    );
    h.encryption = 0;
    h.package = Some(coastwatch_jt808::Package { total: 2, index: 1 });
    assert_eq!(
        decode_message(&h, &body),
        Err(Error::SubPackage { index: 1, total: 2 })
    );
}

#[test]
fn non_decimal_phone_is_an_error() {
    let mut c = deframe_one(&hex("7e000200000139123456780001337e"));
    c[4] = 0x0a;
    fix_check(&mut c);
    assert_eq!(decode_packet(&c), Err(Error::BadBcd { field: "phone" }));
}

#[test]
fn random_streams_whole_and_in_pieces() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let vectors = vectors();
    for round in 0..3000 {
        // Random bytes, with valid frames mixed in every few rounds.
        let len = rng.below(400);
        let mut wire: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        if round % 3 == 0 {
            let v = &vectors[rng.below(vectors.len())];
            let at = rng.below(wire.len() + 1);
            wire.splice(at..at, escape(v));
        }
        let whole = deframe_in_pieces(&wire, &[]);
        let mut cuts: Vec<usize> = (0..rng.below(8))
            .map(|_| rng.below(wire.len() + 1))
            .collect();
        cuts.sort_unstable();
        assert_eq!(deframe_in_pieces(&wire, &cuts), whole, "round {round}");
        let mut reassembler = Reassembler::new(ReassemblyOptions {
            max_messages: 4,
            max_bytes: 4096,
            timeout_s: 8,
        });
        for (i, frame) in whole.into_iter().flatten().enumerate() {
            decode_all(&frame);
            if let Ok(packet) = decode_packet(&frame)
                && let Ok(Some(p)) = reassembler.push(packet, i as u64)
                && let Ok(m) = decode_message(&p.header, &p.body)
            {
                check_round_trip(&p, &m);
            }
            assert!(reassembler.buffered_bytes() <= 4096);
        }
    }
}

#[test]
fn mutated_frames_with_good_check_codes() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let vectors = vectors();
    let mut decoded = 0;
    for _ in 0..5000 {
        let mut c = vectors[rng.below(vectors.len())].clone();
        match rng.below(3) {
            // Flip a few bytes anywhere.
            0 => {
                for _ in 0..=rng.below(3) {
                    let i = rng.below(c.len());
                    c[i] = rng.byte();
                }
            }
            // Cut the body and make the length agree.
            1 => {
                let header_len = if c[2] & 0x40 != 0 { 17 } else { 12 };
                let body_len = c.len() - header_len - 1;
                let keep = rng.below(body_len + 1);
                c.drain(header_len + keep..header_len + body_len);
                let props = (u16::from_be_bytes([c[2], c[3]]) & !0x3ff) | keep as u16;
                c[2..4].copy_from_slice(&props.to_be_bytes());
            }
            // Change one body byte only, so the header stays valid.
            _ => {
                let header_len = if c[2] & 0x40 != 0 { 17 } else { 12 };
                if c.len() > header_len + 1 {
                    let i = header_len + rng.below(c.len() - header_len - 1);
                    c[i] = rng.byte();
                }
            }
        }
        fix_check(&mut c);
        if let Ok(p) = decode_packet(&c)
            && decode_message(&p.header, &p.body).is_ok()
        {
            decoded += 1;
        }
        decode_all(&c);
    }
    // The mutations reach the message decoders, not only the header checks.
    assert!(decoded > 1000, "{decoded}");
}
