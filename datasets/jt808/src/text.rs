//! A minimal decoder for the GBK text of STRING fields.
//!
//! Terminals send plates and codes in GBK. Plates are ASCII but for their
//! first character, the abbreviation of a province (`粤`, `浙`, …) or a
//! special-use character (`使`, `警`, `港`, …); this module knows those and
//! nothing else of GBK. Any other non-ASCII character becomes U+FFFD.

/// The GBK codes of the plate characters: 31 provinces, then the
/// special-use ones (embassy, consulate, police, coach, Hong Kong, Macao,
/// trailer).
const PLATE_CHARS: [([u8; 2], char); 38] = [
    ([0xBE, 0xA9], '京'),
    ([0xBD, 0xF2], '津'),
    ([0xBB, 0xA6], '沪'),
    ([0xD3, 0xE5], '渝'),
    ([0xBC, 0xBD], '冀'),
    ([0xD4, 0xA5], '豫'),
    ([0xD4, 0xC6], '云'),
    ([0xC1, 0xC9], '辽'),
    ([0xBA, 0xDA], '黑'),
    ([0xCF, 0xE6], '湘'),
    ([0xCD, 0xEE], '皖'),
    ([0xC2, 0xB3], '鲁'),
    ([0xD0, 0xC2], '新'),
    ([0xCB, 0xD5], '苏'),
    ([0xD5, 0xE3], '浙'),
    ([0xB8, 0xD3], '赣'),
    ([0xB6, 0xF5], '鄂'),
    ([0xB9, 0xF0], '桂'),
    ([0xB8, 0xCA], '甘'),
    ([0xBD, 0xFA], '晋'),
    ([0xC3, 0xC9], '蒙'),
    ([0xC9, 0xC2], '陕'),
    ([0xBC, 0xAA], '吉'),
    ([0xC3, 0xF6], '闽'),
    ([0xB9, 0xF3], '贵'),
    ([0xD4, 0xC1], '粤'),
    ([0xC7, 0xE0], '青'),
    ([0xB2, 0xD8], '藏'),
    ([0xB4, 0xA8], '川'),
    ([0xC4, 0xFE], '宁'),
    ([0xC7, 0xED], '琼'),
    ([0xCA, 0xB9], '使'),
    ([0xC1, 0xEC], '领'),
    ([0xBE, 0xAF], '警'),
    ([0xD1, 0xA7], '学'),
    ([0xB8, 0xDB], '港'),
    ([0xB0, 0xC4], '澳'),
    ([0xB9, 0xD2], '挂'),
];

/// GBK `bytes` as text, up to the first NUL (2019 STRING fields end with
/// one; fixed `BYTE[n]` fields are padded with them).
///
/// ASCII passes through; the plate characters above are decoded; any other
/// double-byte GBK character, and any byte that starts none, becomes
/// U+FFFD.
pub fn decode_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut rest = &bytes[..end];
    let mut s = String::with_capacity(rest.len());
    while let Some((&b, tail)) = rest.split_first() {
        if b.is_ascii() {
            s.push(char::from(b));
            rest = tail;
            continue;
        }
        match tail.first() {
            // A GBK lead byte and a trail byte: one character.
            Some(&t) if (0x81..=0xFE).contains(&b) && (0x40..=0xFE).contains(&t) && t != 0x7F => {
                let c = PLATE_CHARS
                    .iter()
                    .find(|(code, _)| *code == [b, t])
                    .map_or(char::REPLACEMENT_CHARACTER, |&(_, c)| c);
                s.push(c);
                rest = &tail[1..];
            }
            _ => {
                s.push(char::REPLACEMENT_CHARACTER);
                rest = tail;
            }
        }
    }
    s
}

/// `text` in GBK if every character is ASCII or a plate character, else
/// `None`: the inverse of [`decode_text`] for plates.
pub fn encode_plate(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            let (code, _) = PLATE_CHARS.iter().find(|&&(_, p)| p == c)?;
            out.extend_from_slice(code);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // Checked against Python's `'浙'.encode('gbk')` and friends.
        assert_eq!(encode_plate("浙").unwrap(), [0xD5, 0xE3]);
        assert_eq!(encode_plate("京").unwrap(), [0xBE, 0xA9]);
        assert_eq!(encode_plate("粤").unwrap(), [0xD4, 0xC1]);
        assert_eq!(encode_plate("粤B12345").unwrap(), b"\xD4\xC1B12345");
        assert_eq!(encode_plate("中"), None);
    }

    #[test]
    fn every_plate_char_round_trips() {
        for &(code, c) in &PLATE_CHARS {
            assert_eq!(decode_text(&code), c.to_string());
        }
        let codes: std::collections::HashSet<_> = PLATE_CHARS.iter().map(|p| p.0).collect();
        assert_eq!(codes.len(), PLATE_CHARS.len());
    }

    #[test]
    fn unknown_and_broken_bytes_become_replacement() {
        // 中 is D6 D0 in GBK: a character, but not a plate one.
        assert_eq!(decode_text(b"\xD6\xD0A"), "\u{FFFD}A");
        // A lone lead byte at the end, 0x80, 0xFF, and a lead byte before ASCII.
        assert_eq!(decode_text(b"A\xD4"), "A\u{FFFD}");
        assert_eq!(decode_text(b"\x80\xFF"), "\u{FFFD}\u{FFFD}");
        assert_eq!(decode_text(b"\xD4\x30"), "\u{FFFD}0");
        assert_eq!(decode_text(b"AB\0junk"), "AB");
        assert_eq!(decode_text(b""), "");
    }
}
