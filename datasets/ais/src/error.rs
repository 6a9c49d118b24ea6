//! The error type of the AIS decoder.

/// Why a line of NMEA input could not be decoded.
///
/// Every variant carries the 1-based `line` number the [`Decoder`](super::Decoder)
/// was fed (0 when a free function was called without one), so that
/// `to_string()` reads like `line 17: bad checksum: expected 5C, found 5D`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AisError {
    /// The line holds nothing but whitespace.
    #[error("line {line}: empty line")]
    Empty {
        /// Line number.
        line: u64,
    },
    /// The line holds no `!xxVDM` / `!xxVDO` sentence.
    #[error("line {line}: not an AIVDM/AIVDO sentence")]
    NotAis {
        /// Line number.
        line: u64,
    },
    /// The sentence ends before its checksum or has too few fields.
    #[error("line {line}: truncated sentence: {what}")]
    Truncated {
        /// Line number.
        line: u64,
        /// What is missing.
        what: &'static str,
    },
    /// The sentence checksum does not match its content.
    #[error("line {line}: bad checksum: expected {expected:02X}, found {found:02X}")]
    BadChecksum {
        /// Line number.
        line: u64,
        /// Checksum computed from the sentence.
        expected: u8,
        /// Checksum written after `*`.
        found: u8,
    },
    /// An NMEA 4.0 tag block is malformed.
    #[error("line {line}: bad tag block: {what}")]
    BadTagBlock {
        /// Line number.
        line: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// The checksum of an NMEA 4.0 tag block does not match its content.
    #[error("line {line}: bad tag block checksum: expected {expected:02X}, found {found:02X}")]
    BadTagChecksum {
        /// Line number.
        line: u64,
        /// Checksum computed from the tag block.
        expected: u8,
        /// Checksum written after `*`.
        found: u8,
    },
    /// A sentence field holds something that is not allowed there.
    #[error("line {line}: bad {field} field")]
    BadField {
        /// Line number.
        line: u64,
        /// Name of the field.
        field: &'static str,
    },
    /// The fragment count is 0 or above the configured maximum.
    #[error("line {line}: fragment count {count} out of range 1..={max}")]
    BadFragmentCount {
        /// Line number.
        line: u64,
        /// Fragment count found.
        count: u8,
        /// Largest fragment count accepted.
        max: u8,
    },
    /// The fragment number is 0 or greater than the fragment count.
    #[error("line {line}: fragment number {number} out of range 1..={count}")]
    BadFragmentNumber {
        /// Line number.
        line: u64,
        /// Fragment number found.
        number: u8,
        /// Fragment count of the sentence.
        count: u8,
    },
    /// The fill-bit field is not a digit 0 to 5 or exceeds the payload.
    #[error("line {line}: fill bits {fill_bits} out of range 0..=5")]
    BadFillBits {
        /// Line number.
        line: u64,
        /// Fill bits found.
        fill_bits: u8,
    },
    /// The payload holds a character outside the AIS six-bit armouring.
    #[error("line {line}: non-armoured character 0x{byte:02X} at payload offset {offset}")]
    NonArmoured {
        /// Line number.
        line: u64,
        /// The offending byte.
        byte: u8,
        /// Its 0-based offset in the payload field.
        offset: usize,
    },
    /// The (reassembled) payload exceeds the bound on payload bits.
    #[error("line {line}: payload of {bits} bits exceeds the limit of {max} bits")]
    PayloadTooLong {
        /// Line number.
        line: u64,
        /// Payload bits the message would have.
        bits: usize,
        /// Largest payload accepted.
        max: usize,
    },
    /// A fragment arrived whose preceding fragments are missing or timed out.
    #[error("line {line}: orphan fragment {number} of {count} dropped")]
    OrphanFragment {
        /// Line number.
        line: u64,
        /// Fragment number.
        number: u8,
        /// Fragment count.
        count: u8,
    },
    /// The message has a length that its type does not allow.
    #[error("line {line}: message type {msg_type} has an invalid length of {bits} bits")]
    BadLength {
        /// Line number.
        line: u64,
        /// AIS message type.
        msg_type: u8,
        /// Payload bits.
        bits: usize,
    },
    /// A type 24 message with a part number other than A (0) or B (1).
    #[error("line {line}: message type 24 with unknown part number {part}")]
    UnknownPart {
        /// Line number.
        line: u64,
        /// Part number found.
        part: u8,
    },
}

impl AisError {
    /// The 1-based line number the error refers to (0 when unknown).
    pub fn line(&self) -> u64 {
        match *self {
            Self::Empty { line }
            | Self::NotAis { line }
            | Self::Truncated { line, .. }
            | Self::BadChecksum { line, .. }
            | Self::BadTagBlock { line, .. }
            | Self::BadTagChecksum { line, .. }
            | Self::BadField { line, .. }
            | Self::BadFragmentCount { line, .. }
            | Self::BadFragmentNumber { line, .. }
            | Self::BadFillBits { line, .. }
            | Self::NonArmoured { line, .. }
            | Self::PayloadTooLong { line, .. }
            | Self::OrphanFragment { line, .. }
            | Self::BadLength { line, .. }
            | Self::UnknownPart { line, .. } => line,
        }
    }

    /// The same error attributed to line `n`.
    pub(crate) fn at_line(mut self, n: u64) -> Self {
        match &mut self {
            Self::Empty { line }
            | Self::NotAis { line }
            | Self::Truncated { line, .. }
            | Self::BadChecksum { line, .. }
            | Self::BadTagBlock { line, .. }
            | Self::BadTagChecksum { line, .. }
            | Self::BadField { line, .. }
            | Self::BadFragmentCount { line, .. }
            | Self::BadFragmentNumber { line, .. }
            | Self::BadFillBits { line, .. }
            | Self::NonArmoured { line, .. }
            | Self::PayloadTooLong { line, .. }
            | Self::OrphanFragment { line, .. }
            | Self::BadLength { line, .. }
            | Self::UnknownPart { line, .. } => *line = n,
        }
        self
    }

    /// True for a checksum mismatch, of the sentence or of its tag block.
    pub fn is_checksum(&self) -> bool {
        matches!(self, Self::BadChecksum { .. } | Self::BadTagChecksum { .. })
    }

    /// True for lines that carry no AIS data at all (empty or other NMEA).
    ///
    /// A file reader may choose to skip these silently.
    pub fn is_not_ais(&self) -> bool {
        matches!(self, Self::Empty { .. } | Self::NotAis { .. })
    }
}

/// Result alias of the AIS decoder.
pub type Result<T, E = AisError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_reads_like_the_brief() {
        let e = AisError::BadChecksum {
            line: 0,
            expected: 0x5C,
            found: 0x5D,
        }
        .at_line(17);
        assert_eq!(
            e.to_string(),
            "line 17: bad checksum: expected 5C, found 5D"
        );
        assert_eq!(e.line(), 17);
        assert!(e.is_checksum());
    }
}
