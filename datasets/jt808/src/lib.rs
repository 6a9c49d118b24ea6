//! JT/T 808 decoding and encoding: the protocol Chinese road-transport
//! terminals use to report to a monitoring platform over TCP.
//!
//! Both the 2013 edition (and 2011 registrations) and the 2019 edition are
//! read; the edition is told by the version flag of each header.
//!
//! The pipeline is: bytes from the socket into a [`Deframer`], each frame
//! to [`decode_packet`] (check code, header, body length), sub-packages
//! through a [`Reassembler`], then [`decode_message`] to a typed
//! [`Message`]. The platform answers with [`encode_8001`] or
//! [`encode_8100`]; [`encode`] frames any header and body.
//!
//! ```
//! use coastwatch_jt808::{
//!     Deframer, Message, PlatformResult, decode_message, decode_packet, encode_8001,
//! };
//! // A 2013 heartbeat from terminal 013912345678, serial 1.
//! let wire = [
//!     0x7e, 0x00, 0x02, 0x00, 0x00, 0x01, 0x39, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x33, 0x7e,
//! ];
//! let mut deframer = Deframer::new();
//! deframer.push(&wire);
//! let frame = deframer.next_frame().unwrap().unwrap();
//! let packet = decode_packet(&frame).unwrap();
//! assert_eq!(packet.header.phone_normalised(), "13912345678");
//! assert_eq!(decode_message(&packet.header, &packet.body).unwrap(), Message::Heartbeat);
//! // The platform's general response, its own serial 0.
//! let reply = encode_8001(&packet.header, 0, PlatformResult::Ok).unwrap();
//! assert_eq!(
//!     reply,
//!     [
//!         0x7e, 0x80, 0x01, 0x00, 0x05, 0x01, 0x39, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00,
//!         0x01, 0x00, 0x02, 0x00, 0xb7, 0x7e,
//!     ]
//! );
//! ```

/// BCD phone numbers and times.
mod bcd;
/// Big-endian field reading.
mod bytes;
/// The error types.
pub mod error;
/// Delimiters, escapes, check code and the streaming deframer.
pub mod frame;
/// The message header and whole packets.
pub mod header;
/// The location report and its additional items.
pub mod location;
/// Typed messages.
pub mod message;
/// Sub-package reassembly.
pub mod reassembly;
/// Terminal registration and authentication.
pub mod registration;
/// The platform's replies.
pub mod reply;
/// The GBK text of plates and codes.
pub mod text;

pub use error::{Error, FrameError, Result};
pub use frame::{Deframer, DeframerStats, MAX_FRAME_LEN, check_code, escape, unescape};
pub use header::{
    Header, MAX_BODY_LEN, Package, Packet, Version, decode_packet, encode, encode_unescaped,
};
pub use location::{Alarm, Extra, Location};
pub use message::{BatchKind, Message, Response, decode_message};
pub use reassembly::{Reassembler, ReassemblyOptions, ReassemblyStats};
pub use registration::{AuthDetails, Authentication, Registration, RegistrationForm};
pub use reply::{PlatformResult, RegisterResult, encode_8001, encode_8100};
pub use text::decode_text;
