//! The byte format in which the GDAL helper answers: little-endian numbers and
//! length-prefixed byte strings, so that heights, geotransforms and coordinates cross the
//! process boundary bit for bit (text would round them).

/// Bytes being written.
#[derive(Debug, Default)]
pub(crate) struct Out(pub(crate) Vec<u8>);

impl Out {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn opt_f64(&mut self, v: Option<f64>) {
        self.u8(u8::from(v.is_some()));
        self.f64(v.unwrap_or(0.0));
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.0.extend_from_slice(v);
    }
}

/// The answer is shorter than what it announces, or announces something impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Bytes being read.
#[derive(Debug)]
pub(crate) struct In<'a>(pub(crate) &'a [u8]);

impl<'a> In<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if n > self.0.len() {
            return Err(Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        Ok(self.take(N)?.try_into().expect("N bytes taken"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Malformed> {
        self.array().map(u64::from_le_bytes)
    }

    /// A count or size, which must fit in what is left at `unit` bytes each.
    pub(crate) fn len(&mut self, unit: usize) -> Result<usize, Malformed> {
        let n = usize::try_from(self.u64()?).map_err(|_| Malformed)?;
        match n.checked_mul(unit) {
            Some(bytes) if bytes <= self.0.len() => Ok(n),
            _ => Err(Malformed),
        }
    }

    pub(crate) fn f64(&mut self) -> Result<f64, Malformed> {
        self.array().map(f64::from_le_bytes)
    }

    pub(crate) fn opt_f64(&mut self) -> Result<Option<f64>, Malformed> {
        let some = self.u8()? != 0;
        let v = self.f64()?;
        Ok(some.then_some(v))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.len(1)?;
        self.take(n)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, Malformed> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_bit_for_bit_and_short_input_is_malformed() {
        let mut out = Out::default();
        out.u8(7);
        out.f64(0.1 + 0.2);
        out.opt_f64(None);
        out.opt_f64(Some(-9999.0));
        out.bytes("舟山".as_bytes());
        let mut input = In(&out.0);
        assert_eq!(input.u8(), Ok(7));
        assert_eq!(input.f64().map(f64::to_bits), Ok((0.1f64 + 0.2).to_bits()));
        assert_eq!(input.opt_f64(), Ok(None));
        assert_eq!(input.opt_f64(), Ok(Some(-9999.0)));
        assert_eq!(input.str(), Ok("舟山"));
        assert_eq!(input.u8(), Err(Malformed));

        // a length beyond the end is refused before anything is allocated for it
        let mut out = Out::default();
        out.u64(u64::MAX);
        assert_eq!(In(&out.0).bytes(), Err(Malformed));
        assert_eq!(In(&out.0).len(4), Err(Malformed));
    }
}
