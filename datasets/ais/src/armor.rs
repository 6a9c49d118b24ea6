//! AIS six-bit payload armouring (ITU-R M.1371 / IEC 61162-1 §8.2).

use super::bits::{MAX_PAYLOAD_BITS, PayloadBits};
use super::error::AisError;

const INVALID: u8 = 0xFF;

/// Six-bit value of each byte; `INVALID` outside `0`..=`W` and `` ` ``..=`w`.
static SIXBIT: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut c = 48usize;
    while c <= 119 {
        if c <= 87 {
            t[c] = (c - 48) as u8;
        } else if c >= 96 {
            t[c] = (c - 56) as u8;
        }
        c += 1;
    }
    t
};

/// Six-bit value of an armoured payload character, `None` if not armoured.
#[inline]
pub fn sixbit_value(c: u8) -> Option<u8> {
    match SIXBIT[c as usize] {
        INVALID => None,
        v => Some(v),
    }
}

/// Appends `chars` to `buf`; see [`PayloadBits::push_armored`].
pub(crate) fn push_armored(
    buf: &mut PayloadBits,
    chars: &[u8],
    fill_bits: u8,
) -> Result<(), AisError> {
    let (bytes, len) = buf.raw_mut();
    let start = *len;
    let raw_bits = chars.len() * 6;
    if fill_bits > 5 || (fill_bits as usize) > raw_bits {
        return Err(AisError::BadFillBits { line: 0, fill_bits });
    }
    let new_len = start + raw_bits - fill_bits as usize;
    if new_len > MAX_PAYLOAD_BITS {
        return Err(AisError::PayloadTooLong {
            line: 0,
            bits: new_len,
            max: MAX_PAYLOAD_BITS,
        });
    }
    // Convert and validate in one pass: invalid bytes map to 0xFF, whose
    // bit 6 no valid six-bit value has; on error the writes are undone.
    let mut bad = 0u8;
    let mut idx = start / 8;
    let mut rest = chars;
    if start.is_multiple_of(8) {
        // Fast path: four characters make three whole bytes.
        let quads = rest.len() / 4;
        let out = &mut bytes[idx..idx + quads * 3];
        for (o, c) in out.chunks_exact_mut(3).zip(rest.chunks_exact(4)) {
            let (a, b, c, d) = (
                SIXBIT[c[0] as usize],
                SIXBIT[c[1] as usize],
                SIXBIT[c[2] as usize],
                SIXBIT[c[3] as usize],
            );
            bad |= a | b | c | d;
            let v = (a as u32 & 63) << 18
                | (b as u32 & 63) << 12
                | (c as u32 & 63) << 6
                | (d as u32 & 63);
            o[0] = (v >> 16) as u8;
            o[1] = (v >> 8) as u8;
            o[2] = v as u8;
        }
        idx += quads * 3;
        rest = &rest[quads * 4..];
    }
    // General path, also for a fragment appended at an odd bit offset.
    let mut n = (start + (chars.len() - rest.len()) * 6) % 8;
    let mut acc: u32 = if n == 0 {
        0
    } else {
        (bytes[idx] >> (8 - n)) as u32
    };
    for &c in rest {
        let v = SIXBIT[c as usize];
        bad |= v;
        acc = (acc << 6) | (v & 63) as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            bytes[idx] = (acc >> n) as u8;
            idx += 1;
        }
        acc &= (1 << n) - 1;
    }
    if n > 0 {
        bytes[idx] = (acc << (8 - n)) as u8;
    }
    let raw_end = (start + raw_bits).div_ceil(8);
    if bad & 0x40 != 0 {
        // Undo: keep the bits before `start`, zero everything written.
        let first = start / 8;
        if !start.is_multiple_of(8) {
            bytes[first] &= 0xFFu8 << (8 - start % 8);
            bytes[first + 1..raw_end].fill(0);
        } else {
            bytes[first..raw_end].fill(0);
        }
        let (offset, &byte) = chars
            .iter()
            .enumerate()
            .find(|&(_, &c)| SIXBIT[c as usize] == INVALID)
            .expect("an invalid byte was seen");
        return Err(AisError::NonArmoured {
            line: 0,
            byte,
            offset,
        });
    }
    // Zero the fill bits so that bits past the end always read as zero.
    if !new_len.is_multiple_of(8) {
        bytes[new_len / 8] &= 0xFFu8 << (8 - new_len % 8);
    }
    bytes[new_len.div_ceil(8)..raw_end].fill(0);
    *len = new_len;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_exactly_the_armour() {
        for c in 0u8..=255 {
            let ok = (b'0'..=b'W').contains(&c) || (b'`'..=b'w').contains(&c);
            assert_eq!(sixbit_value(c).is_some(), ok, "byte {c}");
        }
        assert_eq!(sixbit_value(b'0'), Some(0));
        assert_eq!(sixbit_value(b'W'), Some(39));
        assert_eq!(sixbit_value(b'`'), Some(40));
        assert_eq!(sixbit_value(b'w'), Some(63));
    }

    #[test]
    fn odd_offset_append_matches_one_shot() {
        let s = b"55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880";
        let mut whole = PayloadBits::new();
        whole.push_armored(s, 2).unwrap();
        for cut in 1..s.len() {
            let mut parts = PayloadBits::new();
            parts.push_armored(&s[..cut], 0).unwrap();
            parts.push_armored(&s[cut..], 2).unwrap();
            assert_eq!(
                parts.reader().as_bytes(),
                whole.reader().as_bytes(),
                "cut {cut}"
            );
        }
        assert_eq!(whole.len_bits(), 424);
    }

    #[test]
    fn fill_bits_are_zeroed_and_errors_leave_buffer_alone() {
        let mut p = PayloadBits::new();
        p.push_armored(b"w", 5).unwrap();
        assert_eq!(p.len_bits(), 1);
        assert_eq!(p.reader().as_bytes(), &[0x80]);
        let err = p.push_armored(b"ww{w", 0).unwrap_err();
        assert_eq!(
            err,
            AisError::NonArmoured {
                line: 0,
                byte: b'{',
                offset: 2
            }
        );
        assert_eq!(p.len_bits(), 1);
        assert_eq!(p.reader().u(1, 32), 0);
        assert!(matches!(
            p.push_armored(b"0", 6),
            Err(AisError::BadFillBits { .. })
        ));
        let long = [b'0'; 169];
        assert!(matches!(
            PayloadBits::new().push_armored(&long, 0),
            Err(AisError::PayloadTooLong { bits: 1014, .. })
        ));
    }
}
