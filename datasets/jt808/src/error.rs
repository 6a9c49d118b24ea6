//! The error types of the JT/T 808 codec.

/// Why a frame could not be cut out of the byte stream or unescaped.
///
/// A frame error spoils that one frame only: the [`Deframer`](crate::Deframer)
/// goes on with the next `0x7e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame grew past the configured bound before its closing `0x7e`;
    /// it was dropped and the rest of it skipped.
    #[error("frame longer than {max} bytes dropped")]
    TooLong {
        /// Largest unescaped frame accepted.
        max: usize,
    },
    /// `0x7d` followed by something other than `0x01` or `0x02`.
    #[error("bad escape: 0x7d followed by {}", fmt_next(*.next))]
    BadEscape {
        /// The byte after `0x7d` (`None` when the input ended).
        next: Option<u8>,
    },
    /// A `0x7e` inside the bytes given to [`unescape`](crate::unescape).
    #[error("unescaped 0x7e inside a frame")]
    StrayDelimiter,
}

fn fmt_next(next: Option<u8>) -> String {
    next.map_or_else(
        || "the end of the frame".to_owned(),
        |b| format!("0x{b:02x}"),
    )
}

/// Why a packet or message could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame itself is bad.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The frame is shorter than its header and check code.
    #[error("frame of {len} bytes is shorter than the {min} bytes of its header and check code")]
    TooShort {
        /// Length of the (unescaped) frame.
        len: usize,
        /// Length its header and check code need.
        min: usize,
    },
    /// The check code does not match the header and body.
    #[error("bad check code: expected {expected:02X}, found {found:02X}")]
    BadCheck {
        /// XOR of the header and body.
        expected: u8,
        /// The check code in the frame.
        found: u8,
    },
    /// The body length in the header does not match the bytes of the body.
    #[error("body length {declared} in the header, {actual} bytes in the frame")]
    BodyLength {
        /// Body length the header declares.
        declared: usize,
        /// Bytes between the header and the check code.
        actual: usize,
    },
    /// A BCD field holds a nibble above 9.
    #[error("bad BCD digit in the {field}")]
    BadBcd {
        /// Name of the field.
        field: &'static str,
    },
    /// A BCD time is not a real date and time.
    #[error("impossible time {0}")]
    BadTime(String),
    /// A message body ends inside a field.
    #[error("truncated message body: {what}")]
    Truncated {
        /// The field that is cut short.
        what: &'static str,
    },
    /// The body is encrypted (header bits 10–12), so it cannot be decoded.
    #[error("body encrypted with method {method}")]
    Encrypted {
        /// Bits 10–12 of the body properties (1 = RSA).
        method: u8,
    },
    /// A sub-package was given to [`decode_message`](crate::decode_message);
    /// reassemble it first.
    #[error("sub-package {index} of {total}: reassemble the message first")]
    SubPackage {
        /// 1-based package index.
        index: u16,
        /// Package count.
        total: u16,
    },
    /// A sub-package index of 0 or above the package count.
    #[error("sub-package index {index} out of range 1..={total}")]
    BadPackage {
        /// 1-based package index found.
        index: u16,
        /// Package count found.
        total: u16,
    },
    /// A message being reassembled outgrew the reassembler's byte bound.
    #[error("reassembled message of {bytes} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// Bytes the message would hold.
        bytes: usize,
        /// Bound on buffered bytes.
        max: usize,
    },
    /// A body to encode is longer than the 10-bit length field allows.
    #[error("body of {len} bytes exceeds the limit of {max}")]
    BodyTooLong {
        /// Length of the body.
        len: usize,
        /// Largest body of one packet (1023).
        max: usize,
    },
    /// A value to encode does not fit its field.
    #[error("value out of range for the {field}")]
    BadField {
        /// Name of the field.
        field: &'static str,
    },
}

/// Result alias of the JT/T 808 codec.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        let e = Error::BadCheck {
            expected: 0x5C,
            found: 0x5D,
        };
        assert_eq!(e.to_string(), "bad check code: expected 5C, found 5D");
        let e = Error::from(FrameError::BadEscape { next: Some(0x03) });
        assert_eq!(e.to_string(), "bad escape: 0x7d followed by 0x03");
        let e = FrameError::BadEscape { next: None };
        assert_eq!(
            e.to_string(),
            "bad escape: 0x7d followed by the end of the frame"
        );
    }
}
