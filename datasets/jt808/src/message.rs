//! Typed messages and their decoding from a packet's body.

use crate::bytes::Reader;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::location::Location;
use crate::registration::{Authentication, Registration, RegistrationForm};

/// Message ids this crate decodes.
pub mod ids {
    /// Terminal general response.
    pub const TERMINAL_RESPONSE: u16 = 0x0001;
    /// Terminal heartbeat.
    pub const HEARTBEAT: u16 = 0x0002;
    /// Terminal logout.
    pub const LOGOUT: u16 = 0x0003;
    /// Terminal registration.
    pub const REGISTER: u16 = 0x0100;
    /// Terminal authentication.
    pub const AUTHENTICATE: u16 = 0x0102;
    /// Location report.
    pub const LOCATION: u16 = 0x0200;
    /// Batch location upload.
    pub const LOCATION_BATCH: u16 = 0x0704;
    /// Platform general response.
    pub const PLATFORM_RESPONSE: u16 = 0x8001;
    /// Terminal registration response.
    pub const REGISTER_RESPONSE: u16 = 0x8100;
}

/// A general response (`0x0001` from the terminal, `0x8001` from the
/// platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Response {
    /// Serial number of the message answered.
    pub reply_serial: u16,
    /// Id of the message answered.
    pub reply_id: u16,
    /// 0 success, 1 failure, 2 wrong message, 3 not supported (and, from
    /// the platform, 4 alarm confirmation).
    pub result: u8,
}

impl Response {
    fn decode(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            reply_serial: r.u16("reply serial number")?,
            reply_id: r.u16("reply id")?,
            result: r.u8("result")?,
        })
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.reply_serial.to_be_bytes());
        out.extend_from_slice(&self.reply_id.to_be_bytes());
        out.push(self.result);
    }
}

/// The type of a batch location upload (`0x0704`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchKind {
    /// 0: a normal batch of reports.
    Normal,
    /// 1: reports stored in a blind area (no network), sent again.
    BlindArea,
    /// Any other value.
    Other(u8),
}

impl BatchKind {
    /// The kind of type byte `b`.
    pub fn from_u8(b: u8) -> Self {
        match b {
            0 => Self::Normal,
            1 => Self::BlindArea,
            b => Self::Other(b),
        }
    }

    /// The type byte.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Normal => 0,
            Self::BlindArea => 1,
            Self::Other(b) => b,
        }
    }
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `0x0001` terminal general response.
    GeneralResponse(Response),
    /// `0x0002` heartbeat.
    Heartbeat,
    /// `0x0003` terminal logout.
    Logout,
    /// `0x0100` terminal registration.
    Register(Registration),
    /// `0x8100` registration response.
    RegisterResponse {
        /// Serial number of the registration answered.
        reply_serial: u16,
        /// 0 success, 1 vehicle already registered, 2 no such vehicle,
        /// 3 terminal already registered, 4 no such terminal.
        result: u8,
        /// Authentication code (empty unless `result` is 0).
        auth_code: Vec<u8>,
    },
    /// `0x0102` terminal authentication.
    Authenticate(Authentication),
    /// `0x0200` location report.
    Location(Location),
    /// `0x0704` batch location upload.
    LocationBatch {
        /// Normal batch or blind-area re-send.
        kind: BatchKind,
        /// The reports, in the order sent.
        items: Vec<Location>,
    },
    /// `0x8001` platform general response.
    PlatformResponse(Response),
    /// Any other message id, with its raw body.
    Other {
        /// Message id.
        id: u16,
        /// Raw body.
        body: Vec<u8>,
    },
}

impl Message {
    /// The message id.
    pub fn id(&self) -> u16 {
        match self {
            Self::GeneralResponse(_) => ids::TERMINAL_RESPONSE,
            Self::Heartbeat => ids::HEARTBEAT,
            Self::Logout => ids::LOGOUT,
            Self::Register(_) => ids::REGISTER,
            Self::RegisterResponse { .. } => ids::REGISTER_RESPONSE,
            Self::Authenticate(_) => ids::AUTHENTICATE,
            Self::Location(_) => ids::LOCATION,
            Self::LocationBatch { .. } => ids::LOCATION_BATCH,
            Self::PlatformResponse(_) => ids::PLATFORM_RESPONSE,
            Self::Other { id, .. } => *id,
        }
    }

    /// The body of this message. Layouts that differ between editions
    /// follow the message itself (the registration's form, the presence of
    /// the 2019 authentication fields). The body may exceed the 1023 bytes
    /// of one packet; [`encode`](crate::encode) refuses it then.
    pub fn encode_body(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self {
            Self::GeneralResponse(r) | Self::PlatformResponse(r) => r.encode_into(&mut out),
            Self::Heartbeat | Self::Logout => {}
            Self::Register(reg) => reg.encode_into(&mut out)?,
            Self::RegisterResponse {
                reply_serial,
                result,
                auth_code,
            } => {
                out.extend_from_slice(&reply_serial.to_be_bytes());
                out.push(*result);
                if *result == 0 {
                    out.extend_from_slice(auth_code);
                }
            }
            Self::Authenticate(auth) => auth.encode_into(&mut out)?,
            Self::Location(loc) => loc.encode_into(&mut out)?,
            Self::LocationBatch { kind, items } => {
                let count = u16::try_from(items.len()).map_err(|_| Error::BadField {
                    field: "batch count",
                })?;
                out.extend_from_slice(&count.to_be_bytes());
                out.push(kind.to_u8());
                for item in items {
                    let mut body = Vec::new();
                    item.encode_into(&mut body)?;
                    let len = u16::try_from(body.len()).map_err(|_| Error::BadField {
                        field: "batch item length",
                    })?;
                    out.extend_from_slice(&len.to_be_bytes());
                    out.extend_from_slice(&body);
                }
            }
            Self::Other { body, .. } => out.extend_from_slice(body),
        }
        Ok(out)
    }
}

/// Decodes the body of a whole message by its header's message id.
///
/// A sub-package must be reassembled first ([`Error::SubPackage`]); an
/// encrypted body cannot be decoded ([`Error::Encrypted`]). Bytes after the
/// fields a message defines are ignored, except in a location report, where
/// every byte must belong to an additional item. Unknown ids give
/// [`Message::Other`].
pub fn decode_message(header: &Header, body: &[u8]) -> Result<Message> {
    if let Some(p) = header.package {
        return Err(Error::SubPackage {
            index: p.index,
            total: p.total,
        });
    }
    if header.encryption != 0 {
        return Err(Error::Encrypted {
            method: header.encryption,
        });
    }
    Ok(match header.msg_id {
        ids::TERMINAL_RESPONSE => Message::GeneralResponse(Response::decode(body)?),
        ids::HEARTBEAT => Message::Heartbeat,
        ids::LOGOUT => Message::Logout,
        ids::REGISTER => {
            let form = RegistrationForm::detect(header.version, body.len());
            Message::Register(Registration::decode(form, body)?)
        }
        ids::REGISTER_RESPONSE => {
            let mut r = Reader::new(body);
            let reply_serial = r.u16("reply serial number")?;
            let result = r.u8("result")?;
            let auth_code = if result == 0 {
                r.rest().to_vec()
            } else {
                Vec::new()
            };
            Message::RegisterResponse {
                reply_serial,
                result,
                auth_code,
            }
        }
        ids::AUTHENTICATE => Message::Authenticate(Authentication::decode(header.version, body)?),
        ids::LOCATION => Message::Location(Location::decode(body)?),
        ids::LOCATION_BATCH => decode_batch(body)?,
        ids::PLATFORM_RESPONSE => Message::PlatformResponse(Response::decode(body)?),
        id => Message::Other {
            id,
            body: body.to_vec(),
        },
    })
}

/// A `0x0704` body: count WORD, type BYTE, then per item its length WORD
/// and a `0x0200` body.
fn decode_batch(body: &[u8]) -> Result<Message> {
    let mut r = Reader::new(body);
    let count = r.u16("batch count")?;
    let kind = BatchKind::from_u8(r.u8("batch type")?);
    // Each item takes at least its length and the basic location bytes.
    let bound = r.remaining() / (2 + crate::location::BASIC_LEN);
    let mut items = Vec::with_capacity(usize::from(count).min(bound));
    for _ in 0..count {
        let len = r.u16("batch item length")?;
        let item = r.take(usize::from(len), "batch item")?;
        items.push(Location::decode(item)?);
    }
    Ok(Message::LocationBatch { kind, items })
}
