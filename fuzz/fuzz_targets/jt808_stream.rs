//! Fuzz target: arbitrary bytes as a JT/T 808 TCP stream, pushed to a
//! `Deframer` in uneven chunks. The chunked stream must give the same
//! frames as the whole; every decoded packet re-encodes to itself, and so
//! does the platform reply to it; packages go through a small
//! `Reassembler`; every decoded message re-encodes and decodes to itself.

#![no_main]

use coastwatch_jt808::{
    Deframer, Message, PlatformResult, Reassembler, ReassemblyOptions, RegisterResult, Response,
    decode_message, decode_packet, encode, encode_8001, encode_8100,
};
use libfuzzer_sys::fuzz_target;

/// The one packet of an encoded frame.
fn decode_wire(wire: &[u8]) -> coastwatch_jt808::Packet {
    let mut d = Deframer::new();
    d.push(wire);
    let frame = d.next_frame().expect("one frame").expect("a good frame");
    assert_eq!(d.next_frame(), None);
    decode_packet(&frame).expect("an encoded packet decodes")
}

fuzz_target!(|data: &[u8]| {
    let mut whole = Deframer::new();
    whole.push(data);
    let frames: Vec<_> = whole.frames().collect();

    let mut chunked = Deframer::new();
    let mut step = data.first().map_or(1, |&b| usize::from(b) % 64 + 1);
    let mut rest = data;
    let mut pieces = Vec::new();
    while !rest.is_empty() {
        let (head, tail) = rest.split_at(step.min(rest.len()));
        chunked.push(head);
        pieces.extend(chunked.frames());
        rest = tail;
        step = step % 97 + 1;
    }
    assert_eq!(pieces, frames);
    assert_eq!(chunked.stats(), whole.stats());

    let mut reassembler = Reassembler::new(ReassemblyOptions {
        max_messages: 4,
        max_bytes: 4096,
        timeout_s: 8,
    });
    for (i, frame) in frames.into_iter().enumerate() {
        let Ok(frame) = frame else { continue };
        let Ok(packet) = decode_packet(&frame) else {
            continue;
        };
        let wire = encode(&packet.header, &packet.body).expect("a decoded packet encodes");
        assert_eq!(decode_wire(&wire), packet);

        let serial = i as u16;
        let reply = decode_wire(&encode_8001(&packet.header, serial, PlatformResult::Ok).unwrap());
        assert_eq!(
            (reply.header.serial, &reply.header.phone),
            (serial, &packet.header.phone)
        );
        assert_eq!(
            decode_message(&reply.header, &reply.body),
            Ok(Message::PlatformResponse(Response {
                reply_serial: packet.header.serial,
                reply_id: packet.header.msg_id,
                result: 0,
            }))
        );

        let Ok(Some(whole)) = reassembler.push(packet, i as u64) else {
            continue;
        };
        assert!(reassembler.buffered_bytes() <= 4096);
        let Ok(message) = decode_message(&whole.header, &whole.body) else {
            continue;
        };
        let body = message.encode_body().expect("a decoded message encodes");
        assert_eq!(decode_message(&whole.header, &body).as_ref(), Ok(&message));

        if let Message::Register(_) = message {
            let reply = decode_wire(
                &encode_8100(&whole.header, serial, RegisterResult::Ok, b"c0de").unwrap(),
            );
            assert_eq!(
                decode_message(&reply.header, &reply.body),
                Ok(Message::RegisterResponse {
                    reply_serial: whole.header.serial,
                    result: 0,
                    auth_code: b"c0de".to_vec(),
                })
            );
        }
    }
});
