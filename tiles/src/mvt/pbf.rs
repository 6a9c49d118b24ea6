//! The few protobuf wire-format pieces MVT needs: varints, zigzag, fixed-width
//! numbers and length-delimited fields, for writing and for bounds-checked reading.

use std::fmt;

/// Protobuf wire type of a varint field.
pub(crate) const VARINT: u8 = 0;
/// Protobuf wire type of an 8-byte little-endian field.
pub(crate) const FIXED64: u8 = 1;
/// Protobuf wire type of a length-delimited field.
pub(crate) const LEN: u8 = 2;
/// Protobuf wire type of a 4-byte little-endian field.
pub(crate) const FIXED32: u8 = 5;

/// Appends `value` as a base-128 varint.
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// Appends a field key (field number and wire type).
pub(crate) fn put_key(buf: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(buf, (u64::from(field) << 3) | u64::from(wire_type));
}

/// Appends a length-delimited field.
pub(crate) fn put_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(buf, field, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Appends a varint field.
pub(crate) fn put_varint_field(buf: &mut Vec<u8>, field: u32, value: u64) {
    put_key(buf, field, VARINT);
    put_varint(buf, value);
}

/// Appends a packed repeated `uint32` field (nothing when `values` is empty).
pub(crate) fn put_packed(buf: &mut Vec<u8>, field: u32, values: &[u32]) {
    if values.is_empty() {
        return;
    }
    let len: usize = values.iter().map(|v| varint_len(u64::from(*v))).sum();
    put_key(buf, field, LEN);
    put_varint(buf, len as u64);
    for v in values {
        put_varint(buf, u64::from(*v));
    }
}

/// Number of bytes `value` takes as a varint.
pub(crate) fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Zigzag-encodes a 32-bit signed integer.
pub(crate) fn zigzag32(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

/// Zigzag-decodes a 32-bit integer.
pub(crate) fn unzigzag32(value: u32) -> i32 {
    ((value >> 1) as i32) ^ -((value & 1) as i32)
}

/// Zigzag-encodes a 64-bit signed integer.
pub(crate) fn zigzag64(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Zigzag-decodes a 64-bit integer.
pub(crate) fn unzigzag64(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// What is wrong with the protobuf bytes themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireProblem {
    /// The message ends inside a field.
    Truncated,
    /// A varint runs longer than ten bytes or past 64 bits.
    VarintTooLong,
    /// A wire type that MVT never uses (groups, or an undefined number).
    UnsupportedWireType(u8),
    /// A field number of zero.
    ZeroFieldNumber,
    /// A known field arrives with a wire type other than its declared one.
    WrongWireType {
        /// The field's name in `vector_tile.proto`.
        field: &'static str,
        /// The wire type found.
        found: u8,
        /// The wire type the field is declared with.
        expected: u8,
    },
    /// A packed `uint32` holds a number above `u32::MAX`.
    Uint32Overflow {
        /// The field's name in `vector_tile.proto`.
        field: &'static str,
    },
}

impl fmt::Display for WireProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireProblem::Truncated => f.write_str("message is truncated"),
            WireProblem::VarintTooLong => f.write_str("varint is longer than 64 bits"),
            WireProblem::UnsupportedWireType(t) => write!(f, "wire type {t} is not supported"),
            WireProblem::ZeroFieldNumber => f.write_str("field number 0 is invalid"),
            WireProblem::WrongWireType {
                field,
                found,
                expected,
            } => write!(
                f,
                "field {field} has wire type {found} ({}), expected {expected} ({})",
                wire_type_name(*found),
                wire_type_name(*expected)
            ),
            WireProblem::Uint32Overflow { field } => {
                write!(
                    f,
                    "field {field} holds a number that does not fit in 32 bits"
                )
            }
        }
    }
}

fn wire_type_name(wire_type: u8) -> &'static str {
    match wire_type {
        VARINT => "varint",
        FIXED64 => "64-bit",
        LEN => "length-delimited",
        FIXED32 => "32-bit",
        _ => "unsupported",
    }
}

/// One field's payload as read from the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// A varint.
    Varint(u64),
    /// Eight little-endian bytes.
    Fixed64(u64),
    /// Length-delimited bytes.
    Bytes(&'a [u8]),
    /// Four little-endian bytes.
    Fixed32(u32),
}

impl Payload<'_> {
    /// The wire type this payload came with.
    pub(crate) fn wire_type(&self) -> u8 {
        match self {
            Payload::Varint(_) => VARINT,
            Payload::Fixed64(_) => FIXED64,
            Payload::Bytes(_) => LEN,
            Payload::Fixed32(_) => FIXED32,
        }
    }
}

/// A bounds-checked cursor over a protobuf message.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Whether every byte has been consumed.
    pub(crate) fn is_done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Reads one varint.
    pub(crate) fn varint(&mut self) -> Result<u64, WireProblem> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let byte = *self.buf.get(self.pos).ok_or(WireProblem::Truncated)?;
            self.pos += 1;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err(WireProblem::VarintTooLong);
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireProblem::VarintTooLong)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], WireProblem> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.buf.len())
            .ok_or(WireProblem::Truncated)?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// Reads the next field: its number and payload.
    pub(crate) fn field(&mut self) -> Result<(u64, Payload<'a>), WireProblem> {
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 {
            return Err(WireProblem::ZeroFieldNumber);
        }
        let payload = match (key & 7) as u8 {
            VARINT => Payload::Varint(self.varint()?),
            FIXED64 => {
                let bytes = self.take(8)?;
                let mut raw = [0u8; 8];
                raw.copy_from_slice(bytes);
                Payload::Fixed64(u64::from_le_bytes(raw))
            }
            LEN => {
                let len = self.varint()?;
                let len = usize::try_from(len).map_err(|_| WireProblem::Truncated)?;
                Payload::Bytes(self.take(len)?)
            }
            FIXED32 => {
                let bytes = self.take(4)?;
                let mut raw = [0u8; 4];
                raw.copy_from_slice(bytes);
                Payload::Fixed32(u32::from_le_bytes(raw))
            }
            other => return Err(WireProblem::UnsupportedWireType(other)),
        };
        Ok((number, payload))
    }
}

/// Appends the `uint32` values of a repeated field, packed or not, to `out`.
pub(crate) fn read_uint32s(
    payload: Payload<'_>,
    field: &'static str,
    out: &mut Vec<u32>,
) -> Result<(), WireProblem> {
    let to_u32 = |v: u64| u32::try_from(v).map_err(|_| WireProblem::Uint32Overflow { field });
    match payload {
        Payload::Varint(v) => out.push(to_u32(v)?),
        Payload::Bytes(bytes) => {
            let mut reader = Reader::new(bytes);
            while !reader.is_done() {
                out.push(to_u32(reader.varint()?)?);
            }
        }
        other => {
            return Err(WireProblem::WrongWireType {
                field,
                found: other.wire_type(),
                expected: LEN,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(buf.len(), varint_len(v));
            let mut r = Reader::new(&buf);
            assert_eq!(r.varint(), Ok(v));
            assert!(r.is_done());
        }
    }

    #[test]
    fn bad_varints_are_errors() {
        assert_eq!(Reader::new(&[0x80]).varint(), Err(WireProblem::Truncated));
        assert_eq!(
            Reader::new(&[0xff; 11]).varint(),
            Err(WireProblem::VarintTooLong)
        );
        let mut ten = vec![0xff; 9];
        ten.push(0x02);
        assert_eq!(Reader::new(&ten).varint(), Err(WireProblem::VarintTooLong));
    }

    #[test]
    fn zigzag_matches_the_spec_table() {
        for (n, z) in [(0, 0), (-1, 1), (1, 2), (-2, 3), (i32::MAX, u32::MAX - 1)] {
            assert_eq!(zigzag32(n), z);
            assert_eq!(unzigzag32(z), n);
        }
        assert_eq!(unzigzag32(u32::MAX), i32::MIN);
        for n in [0, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag64(zigzag64(n)), n);
        }
    }

    #[test]
    fn length_past_the_end_is_truncated() {
        let mut r = Reader::new(&[0x0a, 0x05, b'a']);
        assert!(matches!(r.field(), Err(WireProblem::Truncated)));
        let mut r = Reader::new(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        assert!(matches!(r.field(), Err(WireProblem::Truncated)));
    }
}
