//! Big-endian reading of the protocol's BYTE, WORD, DWORD and `BYTE[n]` fields.

use crate::error::{Error, Result};

/// A cursor over a message body; every read names the field it wants so
/// that a short body reports which one is cut off.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let Some((head, tail)) = self.buf.split_at_checked(n) else {
            return Err(Error::Truncated { what });
        };
        self.buf = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A BYTE.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        let [b] = self.array(what)?;
        Ok(b)
    }

    /// A WORD.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A DWORD.
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }
}

/// `bytes` padded with `0x00` to exactly `n` bytes, as the standard pads
/// fixed-size `BYTE[n]` fields; longer input is an error.
pub(crate) fn fixed(out: &mut Vec<u8>, bytes: &[u8], n: usize, field: &'static str) -> Result<()> {
    if bytes.len() > n {
        return Err(Error::BadField { field });
    }
    out.extend_from_slice(bytes);
    out.resize(out.len() + (n - bytes.len()), 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_reports_the_short_field() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 0x0203);
        assert_eq!(r.u32("c").unwrap(), 0x0405_0607);
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.u16("d"), Err(Error::Truncated { what: "d" }));
        assert_eq!(r.rest(), &[8]);
        assert_eq!(r.rest(), &[] as &[u8]);
    }

    #[test]
    fn fixed_pads_and_refuses_overlong() {
        let mut out = vec![9];
        fixed(&mut out, b"ab", 4, "x").unwrap();
        assert_eq!(out, [9, b'a', b'b', 0, 0]);
        assert!(fixed(&mut out, b"abcde", 4, "x").is_err());
    }
}
