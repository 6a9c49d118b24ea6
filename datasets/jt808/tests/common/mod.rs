//! Helpers shared by the integration tests.

#![allow(dead_code)]

use coastwatch_jt808::{Deframer, Message, Packet, decode_message, decode_packet};

/// Bytes of a hex string.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The one frame in `wire`, unescaped, through a [`Deframer`].
pub fn deframe_one(wire: &[u8]) -> Vec<u8> {
    let mut d = Deframer::new();
    d.push(wire);
    let frame = d.next_frame().expect("a frame").expect("a good frame");
    assert_eq!(d.next_frame(), None);
    frame
}

/// The packet and message of the one frame in the hex `wire`.
pub fn decode_wire(wire: &str) -> (Packet, Message) {
    let packet = decode_packet(&deframe_one(&hex(wire))).expect("a good packet");
    let message = decode_message(&packet.header, &packet.body).expect("a good message");
    (packet, message)
}

/// XOR check code, computed here independently of the crate.
pub fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// Deterministic xorshift64 generator.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random byte, often a delimiter or escape.
    pub fn byte(&mut self) -> u8 {
        match self.below(8) {
            0 => 0x7e,
            1 => 0x7d,
            _ => self.next_u64() as u8,
        }
    }
}
