//! Fixed-size payload bit buffer and a big-endian bit reader over it.

use std::fmt;

/// Largest payload accepted, in bits (a five-slot message: 1008 bits).
pub const MAX_PAYLOAD_BITS: usize = 1008;

/// Buffer bytes: the payload, the fill bits of the last character and 8
/// bytes of zero padding so that every read can load a whole `u64`.
const BUF_LEN: usize = MAX_PAYLOAD_BITS / 8 + 1 + 8;

/// The de-armoured payload of one AIS message, kept on the stack.
///
/// Bits past [`len_bits`](Self::len_bits) are always zero.
#[derive(Clone)]
pub struct PayloadBits {
    bytes: [u8; BUF_LEN],
    len: usize,
}

impl Default for PayloadBits {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PayloadBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadBits")
            .field("len_bits", &self.len)
            .field("bytes", &&self.bytes[..self.len.div_ceil(8)])
            .finish()
    }
}

impl PayloadBits {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            bytes: [0; BUF_LEN],
            len: 0,
        }
    }

    /// Number of payload bits held.
    pub fn len_bits(&self) -> usize {
        self.len
    }

    /// True when no bit is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the buffer (zeroes only the bytes in use).
    pub fn clear(&mut self) {
        let used = self.len.div_ceil(8);
        self.bytes[..used].fill(0);
        self.len = 0;
    }

    /// A reader over the bits held.
    pub fn reader(&self) -> BitReader<'_> {
        BitReader {
            bytes: &self.bytes,
            len: self.len,
        }
    }

    /// Appends a six-bit armoured payload, dropping `fill_bits` trailing bits.
    ///
    /// On error the buffer is left as it was. Errors carry line 0.
    pub fn push_armored(&mut self, chars: &[u8], fill_bits: u8) -> crate::Result<()> {
        crate::armor::push_armored(self, chars, fill_bits)
    }

    /// Raw access for the armour decoder.
    pub(crate) fn raw_mut(&mut self) -> (&mut [u8; BUF_LEN], &mut usize) {
        (&mut self.bytes, &mut self.len)
    }
}

/// Reads big-endian bit fields out of a [`PayloadBits`].
///
/// Reads past the end of the payload return zero bits, as the buffer is
/// zero-padded; no read panics.
#[derive(Clone, Copy)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl fmt::Debug for BitReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitReader")
            .field("len_bits", &self.len)
            .finish()
    }
}

impl<'a> BitReader<'a> {
    /// Number of payload bits.
    pub fn len_bits(&self) -> usize {
        self.len
    }

    /// True when the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The payload bytes (the last one zero-padded when the bit count is
    /// not a multiple of 8).
    pub fn as_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.len.div_ceil(8)]
    }

    #[inline]
    fn word(&self, start: usize) -> u64 {
        let i = start / 8;
        match self.bytes.get(i..i + 8) {
            Some(b) => {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                u64::from_be_bytes(w) << (start % 8)
            }
            None => 0,
        }
    }

    /// Unsigned field of `width` bits (1..=32) starting at bit `start`.
    #[inline]
    pub fn u(&self, start: usize, width: u32) -> u32 {
        debug_assert!((1..=32).contains(&width));
        (self.word(start) >> (64 - width)) as u32
    }

    /// Two's-complement signed field of `width` bits (1..=32) at `start`.
    #[inline]
    pub fn i(&self, start: usize, width: u32) -> i32 {
        debug_assert!((1..=32).contains(&width));
        ((self.word(start) as i64) >> (64 - width)) as i32
    }

    /// One-bit flag at `start`.
    #[inline]
    pub fn flag(&self, start: usize) -> bool {
        self.u(start, 1) != 0
    }

    /// Six-bit text of up to `count` characters at `start`, cut at the first
    /// `@` and with trailing spaces removed (gpsd's rule).
    pub fn text<const N: usize>(&self, start: usize, count: usize) -> AisText<N> {
        let mut t = self.text_untrimmed::<N>(start, count);
        t.trim_end();
        t
    }

    /// Like [`text`](Self::text) but keeps trailing spaces.
    pub fn text_untrimmed<const N: usize>(&self, start: usize, count: usize) -> AisText<N> {
        let mut t = AisText::<N>::new();
        for k in 0..count.min(N) {
            let v = self.u(start + 6 * k, 6) as u8;
            if v == 0 {
                break;
            }
            t.push(sixbit_ascii(v));
        }
        t
    }
}

/// The ASCII character of a six-bit text value (ITU-R M.1371 table 47).
#[inline]
pub const fn sixbit_ascii(v: u8) -> u8 {
    if v < 32 { v + 64 } else { v }
}

/// Short ASCII text decoded from a payload, stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AisText<const N: usize> {
    buf: [u8; N],
    len: u8,
}

impl<const N: usize> Default for AisText<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> AisText<N> {
    /// Empty text.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    /// Text from a string, cut to `N` bytes at a character boundary.
    pub fn from_str_lossy(s: &str) -> Self {
        let mut t = Self::new();
        for ch in s.chars() {
            let mut b = [0u8; 4];
            let e = ch.encode_utf8(&mut b).as_bytes();
            if t.len as usize + e.len() > N {
                break;
            }
            for &x in e {
                t.push(x);
            }
        }
        t
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Decoded text is ASCII; `from_str_lossy` keeps whole characters.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// The text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub(crate) fn push(&mut self, b: u8) {
        if (self.len as usize) < N {
            self.buf[self.len as usize] = b;
            self.len += 1;
        }
    }

    /// Removes trailing spaces and `@`.
    pub(crate) fn trim_end(&mut self) {
        while self.len > 0 && matches!(self.buf[self.len as usize - 1], b' ' | b'@') {
            self.len -= 1;
        }
    }

    /// Appends the text of `other` (cut at capacity).
    pub(crate) fn extend(&mut self, other: &str) {
        for &b in other.as_bytes() {
            self.push(b);
        }
    }
}

impl<const N: usize> fmt::Display for AisText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for AisText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> PartialEq<str> for AisText<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for AisText<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_across_bytes() {
        let mut p = PayloadBits::new();
        // "15RTgt0PAso;90TKcjM8h6g208CQ": a type 1 report from gpsd's sample.
        p.push_armored(b"15RTgt0PAso;90TKcjM8h6g208CQ", 0).unwrap();
        let r = p.reader();
        assert_eq!(r.len_bits(), 168);
        assert_eq!(r.u(0, 6), 1);
        assert_eq!(r.u(8, 30), 371_798_000);
        assert_eq!(r.i(42, 8), -127);
        assert_eq!(r.i(61, 28), -74_037_230);
        // past the end: zeros, no panic
        assert_eq!(r.u(2000, 32), 0);
    }

    #[test]
    fn text_trims_at_at_sign_and_spaces() {
        let mut p = PayloadBits::new();
        // "AB  @C": A=1 B=2 space=32 space=32 @=0 C=3
        p.push_armored(b"12PP03", 0).unwrap();
        let t: AisText<8> = p.reader().text(0, 6);
        assert_eq!(t, "AB");
        let u: AisText<8> = p.reader().text_untrimmed(0, 6);
        assert_eq!(u, "AB  ");
    }
}
