//! The message header, whole packets, and their decoding and encoding.
//!
//! The header is, in order: message id (WORD), body properties (WORD), in
//! 2019 a protocol version (BYTE), the terminal phone number (`BCD[6]` in
//! 2013, `BCD[10]` in 2019), a serial number (WORD) and, when the message is
//! sub-packaged, the package count and 1-based index (WORD each). The body
//! follows; the check code (XOR of header and body) ends the frame.

use crate::bcd;
use crate::bytes::Reader;
use crate::error::{Error, Result};
use crate::frame::{check_code, escape};

/// Largest body of one packet: the body length field has 10 bits.
pub const MAX_BODY_LEN: usize = 0x3ff;

/// Body properties: body length, bits 0–9.
const LEN_MASK: u16 = 0x03ff;
/// Body properties: encryption method, bits 10–12.
const ENCRYPTION_SHIFT: u16 = 10;
/// Body properties: the message is sub-packaged, bit 13.
const PACKAGE_BIT: u16 = 1 << 13;
/// Body properties: version flag, bit 14 (2019 headers).
const VERSION_BIT: u16 = 1 << 14;

/// Which edition of the header a packet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// JT/T 808-2013 (and 2011): 6-byte BCD phone number, no version byte.
    V2013,
    /// JT/T 808-2019: version flag set, a protocol version byte, 10-byte BCD
    /// phone number.
    V2019 {
        /// The protocol version byte (1 for the first 2019 edition).
        protocol: u8,
    },
}

impl Version {
    /// Bytes of the BCD phone number in this edition.
    pub fn phone_bytes(self) -> usize {
        match self {
            Self::V2013 => 6,
            Self::V2019 { .. } => 10,
        }
    }

    /// Header length without sub-package fields.
    pub fn header_len(self) -> usize {
        match self {
            Self::V2013 => 12,
            Self::V2019 { .. } => 17,
        }
    }
}

/// The sub-package fields of a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Package {
    /// Number of packages of the message.
    pub total: u16,
    /// This package's index, 1-based.
    pub index: u16,
}

/// A message header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// Message id (`0x0200` location report, …).
    pub msg_id: u16,
    /// Header edition.
    pub version: Version,
    /// Encryption method, bits 10–12 of the body properties (0 none,
    /// 1 RSA).
    pub encryption: u8,
    /// Terminal phone number as its BCD digits, leading zeros kept (12 in
    /// 2013, 20 in 2019).
    pub phone: String,
    /// Message serial number.
    pub serial: u16,
    /// Sub-package fields when the message is split.
    pub package: Option<Package>,
}

impl Header {
    /// The phone number without its leading zeros (`"0"` when all zeros).
    pub fn phone_normalised(&self) -> &str {
        let trimmed = self.phone.trim_start_matches('0');
        if trimmed.is_empty() && !self.phone.is_empty() {
            "0"
        } else {
            trimmed
        }
    }

    /// The header of a reply to this message: message id `msg_id`, the same
    /// edition and phone number, serial number `serial`, unencrypted and
    /// whole.
    pub fn reply(&self, msg_id: u16, serial: u16) -> Self {
        Self {
            msg_id,
            version: self.version,
            encryption: 0,
            phone: self.phone.clone(),
            serial,
            package: None,
        }
    }

    /// Length of this header on the wire, before escaping.
    pub fn encoded_len(&self) -> usize {
        self.version.header_len() + if self.package.is_some() { 4 } else { 0 }
    }

    /// Appends the header of a body of `body_len` bytes.
    fn encode_into(&self, body_len: usize, out: &mut Vec<u8>) -> Result<()> {
        if body_len > MAX_BODY_LEN {
            return Err(Error::BodyTooLong {
                len: body_len,
                max: MAX_BODY_LEN,
            });
        }
        if self.encryption > 7 {
            return Err(Error::BadField {
                field: "encryption",
            });
        }
        // The length fits 10 bits, checked above.
        let mut props = (body_len as u16) | (u16::from(self.encryption) << ENCRYPTION_SHIFT);
        if self.package.is_some() {
            props |= PACKAGE_BIT;
        }
        if let Version::V2019 { .. } = self.version {
            props |= VERSION_BIT;
        }
        out.extend_from_slice(&self.msg_id.to_be_bytes());
        out.extend_from_slice(&props.to_be_bytes());
        if let Version::V2019 { protocol } = self.version {
            out.push(protocol);
        }
        bcd::encode_digits(out, &self.phone, self.version.phone_bytes(), "phone")?;
        out.extend_from_slice(&self.serial.to_be_bytes());
        if let Some(p) = self.package {
            out.extend_from_slice(&p.total.to_be_bytes());
            out.extend_from_slice(&p.index.to_be_bytes());
        }
        Ok(())
    }
}

/// A decoded frame: header and raw body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// The header.
    pub header: Header,
    /// The body, as sent (still encrypted or partial where the header says
    /// so).
    pub body: Vec<u8>,
}

impl Packet {
    /// The packet framed, escaped and delimited, ready to send (see
    /// [`encode`]).
    pub fn encode(&self) -> Result<Vec<u8>> {
        encode(&self.header, &self.body)
    }
}

/// Smallest frame: a 2013 header without sub-package fields and the check
/// code.
const MIN_FRAME_LEN: usize = 13;

/// Decodes an unescaped frame (without its `0x7e` delimiters, as the
/// [`Deframer`](crate::Deframer) yields it) into its header and body.
///
/// Checks, in order: the frame holds a header and check code; the check
/// code matches; the body length in the header is the number of bytes
/// between the header and the check code; the phone number is BCD.
pub fn decode_packet(frame: &[u8]) -> Result<Packet> {
    let too_short = |min| Error::TooShort {
        len: frame.len(),
        min,
    };
    let Some((&found, content)) = frame.split_last() else {
        return Err(too_short(MIN_FRAME_LEN));
    };
    if frame.len() < MIN_FRAME_LEN {
        return Err(too_short(MIN_FRAME_LEN));
    }
    let expected = check_code(content);
    if expected != found {
        return Err(Error::BadCheck { expected, found });
    }
    let mut r = Reader::new(content);
    let msg_id = r.u16("message id")?;
    let props = r.u16("body properties")?;
    let version = if props & VERSION_BIT != 0 {
        Version::V2019 {
            protocol: r.u8("protocol version")?,
        }
    } else {
        Version::V2013
    };
    let packaged = props & PACKAGE_BIT != 0;
    let header_len = version.header_len() + if packaged { 4 } else { 0 };
    if content.len() < header_len {
        return Err(too_short(header_len + 1));
    }
    let phone = bcd::decode_digits(r.take(version.phone_bytes(), "phone")?, "phone")?;
    let serial = r.u16("serial number")?;
    let package = if packaged {
        Some(Package {
            total: r.u16("package count")?,
            index: r.u16("package index")?,
        })
    } else {
        None
    };
    let body = r.rest();
    let declared = usize::from(props & LEN_MASK);
    if declared != body.len() {
        return Err(Error::BodyLength {
            declared,
            actual: body.len(),
        });
    }
    let header = Header {
        msg_id,
        version,
        // Three bits.
        encryption: ((props >> ENCRYPTION_SHIFT) & 0x7) as u8,
        phone,
        serial,
        package,
    };
    Ok(Packet {
        header,
        body: body.to_vec(),
    })
}

/// Header, body and check code, unescaped and without delimiters: what
/// [`decode_packet`] takes.
///
/// Fails when the body exceeds [`MAX_BODY_LEN`], the phone number has
/// non-digits or more digits than its edition holds, or the encryption
/// method exceeds 3 bits.
pub fn encode_unescaped(header: &Header, body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(header.encoded_len() + body.len() + 1);
    header.encode_into(body.len(), &mut out)?;
    out.extend_from_slice(body);
    out.push(check_code(&out));
    Ok(out)
}

/// A complete frame on the wire: header with the body length, the body, the
/// check code, escaped, between `0x7e` delimiters.
pub fn encode(header: &Header, body: &[u8]) -> Result<Vec<u8>> {
    Ok(escape(&encode_unescaped(header, body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_2019() -> Header {
        Header {
            msg_id: 0x0200,
            version: Version::V2019 { protocol: 1 },
            encryption: 0,
            phone: "00000000013912345678".into(),
            serial: 7,
            package: Some(Package { total: 3, index: 2 }),
        }
    }

    #[test]
    fn round_trip_2019_with_package() {
        let h = header_2019();
        let frame = encode_unescaped(&h, &[1, 2, 3]).unwrap();
        assert_eq!(frame.len(), 21 + 3 + 1);
        let p = decode_packet(&frame).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.body, [1, 2, 3]);
        assert_eq!(p.header.phone_normalised(), "13912345678");
    }

    #[test]
    fn encoder_refuses_what_does_not_fit() {
        let mut h = header_2019();
        assert!(matches!(
            encode(&h, &[0; 1024]),
            Err(Error::BodyTooLong { len: 1024, .. })
        ));
        assert!(encode(&h, &[0; 1023]).is_ok());
        h.encryption = 8;
        assert!(encode(&h, &[]).is_err());
        h.encryption = 1;
        h.phone = "1".repeat(21);
        assert!(encode(&h, &[]).is_err());
        h.phone = "12x".into();
        assert!(encode(&h, &[]).is_err());
    }

    #[test]
    fn phone_normalised_keeps_one_zero() {
        let mut h = header_2019();
        h.phone = "000000".into();
        assert_eq!(h.phone_normalised(), "0");
        h.phone = String::new();
        assert_eq!(h.phone_normalised(), "");
    }

    #[test]
    fn short_frames() {
        assert_eq!(decode_packet(&[]), Err(Error::TooShort { len: 0, min: 13 }));
        // A 2019 flag in a 13-byte frame: the check passes, the header is short.
        let mut f = vec![0x02, 0x00, 0x40, 0x00, 1, 2, 3, 4, 5, 6, 7, 8];
        f.push(check_code(&f));
        assert_eq!(decode_packet(&f), Err(Error::TooShort { len: 13, min: 18 }));
    }
}
