//! Identity markings read by a camera: Chinese fishing-vessel numbers painted on hulls
//! (`浙岱渔03318`: province, port, `渔`, serial), Chinese number plates (`浙B12345`, new-energy
//! `浙BD12345`) and Latin hull names (`ZHE XIANG YU 2108`). OCR output is normalised first:
//! full-width forms, separators (`浙B·12345`), case, and the traditional forms a recogniser
//! trained on both scripts gives for simplified ones (`粵溫漁` → `粤温渔`).

/// The one-character abbreviations of China's provinces, as plates and hull numbers begin.
pub const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// Traditional forms a recogniser may give, and the simplified ones the markings use: the
/// provinces, the ports of the coast and the words of fishing-vessel numbers.
const TRADITIONAL: &[(char, char)] = &[
    ('滬', '沪'),
    ('雲', '云'),
    ('遼', '辽'),
    ('魯', '鲁'),
    ('蘇', '苏'),
    ('贛', '赣'),
    ('晉', '晋'),
    ('陝', '陕'),
    ('閩', '闽'),
    ('貴', '贵'),
    ('粵', '粤'),
    ('寧', '宁'),
    ('瓊', '琼'),
    ('溫', '温'),
    ('臺', '台'),
    ('漁', '渔'),
    ('運', '运'),
    ('東', '东'),
    ('門', '门'),
    ('灣', '湾'),
    ('島', '岛'),
    ('連', '连'),
    ('廣', '广'),
    ('龍', '龙'),
    ('興', '兴'),
    ('陽', '阳'),
    ('漢', '汉'),
    ('嶼', '屿'),
    ('養', '养'),
    ('號', '号'),
    ('長', '长'),
    ('縣', '县'),
    ('華', '华'),
];

/// `text` as markings are compared: full-width letters and digits made ASCII, letters upper
/// case, traditional forms simplified, and spaces and separators (`·`, `•`, `-`, `.`) dropped.
pub fn normalize(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            };
            if c.is_whitespace() || matches!(c, '·' | '•' | '・' | '-' | '.' | '_') {
                return None;
            }
            let c = TRADITIONAL
                .iter()
                .find(|(t, _)| *t == c)
                .map_or(c, |(_, s)| *s);
            Some(c.to_ascii_uppercase())
        })
        .collect()
}

/// What a marking says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marking {
    /// A fishing-vessel number: `浙岱渔03318`.
    FishingVessel {
        /// The province (`浙`).
        province: char,
        /// The port of registry (`岱`, `象山`…).
        port: String,
        /// The serial (`03318`).
        serial: String,
    },
    /// A number plate: `浙B12345`.
    Plate {
        /// The province (`浙`).
        province: char,
        /// The city letter (`B`).
        city: char,
        /// The five characters after it (six on new-energy plates).
        serial: String,
    },
    /// Anything else readable: a Latin or Chinese name.
    Name(String),
}

impl Marking {
    /// The marking written the one way it is compared (`浙B12345`).
    pub fn text(&self) -> String {
        match self {
            Self::FishingVessel {
                province,
                port,
                serial,
            } => format!("{province}{port}渔{serial}"),
            Self::Plate {
                province,
                city,
                serial,
            } => format!("{province}{city}{serial}"),
            Self::Name(name) => name.clone(),
        }
    }

    /// Whether it is a new-energy plate (six characters after the city letter).
    pub fn is_new_energy(&self) -> bool {
        matches!(self, Self::Plate { serial, .. } if serial.chars().count() == 6)
    }
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Plate letters: A–Z without I and O (they read as 1 and 0).
fn plate_letter(c: char) -> bool {
    c.is_ascii_uppercase() && c != 'I' && c != 'O'
}

/// Reads `text` (any OCR output) as a marking; `None` when nothing readable is left.
pub fn parse(text: &str) -> Option<Marking> {
    let text = normalize(text);
    let chars: Vec<char> = text.chars().collect();
    let first = *chars.first()?;
    if PROVINCES.contains(first) {
        // a fishing-vessel number: province, 1–2 port characters, 渔, 4–5 digits
        if let Some(yu) = chars.iter().position(|&c| c == '渔')
            && (2..=3).contains(&yu)
            && chars[1..yu].iter().all(|&c| is_han(c))
            && (4..=5).contains(&(chars.len() - yu - 1))
            && chars[yu + 1..].iter().all(char::is_ascii_digit)
        {
            return Some(Marking::FishingVessel {
                province: first,
                port: chars[1..yu].iter().collect(),
                serial: chars[yu + 1..].iter().collect(),
            });
        }
        // a plate: province, city letter, 5 (or 6, new energy) letters and digits
        if (7..=8).contains(&chars.len())
            && plate_letter(chars[1])
            && chars[2..]
                .iter()
                .all(|&c| c.is_ascii_digit() || plate_letter(c))
        {
            return Some(Marking::Plate {
                province: first,
                city: chars[1],
                serial: chars[2..].iter().collect(),
            });
        }
    }
    Some(Marking::Name(text))
}

/// Pinyin (upper case, no tones) of the characters hull numbers and ship names are mostly
/// made of: the provinces, the coast's ports, the words of fishing-vessel numbers and the
/// auspicious words of names. AIS names of Chinese vessels are written this way.
const PINYIN: &[(char, &str)] = &[
    ('京', "JING"),
    ('津', "JIN"),
    ('沪', "HU"),
    ('渝', "YU"),
    ('冀', "JI"),
    ('豫', "YU"),
    ('云', "YUN"),
    ('辽', "LIAO"),
    ('黑', "HEI"),
    ('湘', "XIANG"),
    ('皖', "WAN"),
    ('鲁', "LU"),
    ('新', "XIN"),
    ('苏', "SU"),
    ('浙', "ZHE"),
    ('赣', "GAN"),
    ('鄂', "E"),
    ('桂', "GUI"),
    ('甘', "GAN"),
    ('晋', "JIN"),
    ('蒙', "MENG"),
    ('陕', "SHAN"),
    ('吉', "JI"),
    ('闽', "MIN"),
    ('贵', "GUI"),
    ('粤', "YUE"),
    ('青', "QING"),
    ('藏', "ZANG"),
    ('川', "CHUAN"),
    ('宁', "NING"),
    ('琼', "QIONG"),
    ('岱', "DAI"),
    ('象', "XIANG"),
    ('舟', "ZHOU"),
    ('普', "PU"),
    ('嵊', "SHENG"),
    ('温', "WEN"),
    ('台', "TAI"),
    ('甬', "YONG"),
    ('椒', "JIAO"),
    ('岭', "LING"),
    ('玉', "YU"),
    ('瑞', "RUI"),
    ('苍', "CANG"),
    ('洞', "DONG"),
    ('奉', "FENG"),
    ('镇', "ZHEN"),
    ('狮', "SHI"),
    ('漳', "ZHANG"),
    ('厦', "XIA"),
    ('泉', "QUAN"),
    ('莆', "PU"),
    ('福', "FU"),
    ('连', "LIAN"),
    ('霞', "XIA"),
    ('汕', "SHAN"),
    ('湛', "ZHAN"),
    ('烟', "YAN"),
    ('威', "WEI"),
    ('荣', "RONG"),
    ('渔', "YU"),
    ('运', "YUN"),
    ('冷', "LENG"),
    ('养', "YANG"),
    ('号', "HAO"),
    ('海', "HAI"),
    ('星', "XING"),
    ('顺', "SHUN"),
    ('发', "FA"),
    ('远', "YUAN"),
    ('洋', "YANG"),
    ('鑫', "XIN"),
    ('隆', "LONG"),
    ('兴', "XING"),
    ('利', "LI"),
    ('达', "DA"),
    ('通', "TONG"),
    ('安', "AN"),
    ('平', "PING"),
    ('盛', "SHENG"),
    ('宏', "HONG"),
    ('祥', "XIANG"),
    ('丰', "FENG"),
    ('华', "HUA"),
    ('金', "JIN"),
    ('富', "FU"),
    ('源', "YUAN"),
    ('昌', "CHANG"),
    ('航', "HANG"),
    ('东', "DONG"),
    ('西', "XI"),
    ('南', "NAN"),
    ('北', "BEI"),
    ('中', "ZHONG"),
    ('大', "DA"),
    ('宝', "BAO"),
    ('泰', "TAI"),
    ('恒', "HENG"),
    ('永', "YONG"),
    ('胜', "SHENG"),
    ('明', "MING"),
    ('光', "GUANG"),
    ('龙', "LONG"),
    ('江', "JIANG"),
    ('山', "SHAN"),
    ('岛', "DAO"),
    ('港', "GANG"),
    ('门', "MEN"),
    ('湾', "WAN"),
    ('长', "CHANG"),
    ('和', "HE"),
    ('汇', "HUI"),
    ('鸿', "HONG"),
    ('瀛', "YING"),
];

/// `text` (normalised) written in pinyin, letters and digits only; `None` when a Chinese
/// character in it has no entry in the table.
pub fn pinyin(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in normalize(text).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if is_han(c) {
            out.push_str(PINYIN.iter().find(|(h, _)| *h == c)?.1);
        }
    }
    Some(out)
}

/// The Levenshtein distance of `a` and `b` in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(ca != cb));
            previous = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Whether a marking read on a hull (`浙岱渔03318`, `HAI XING 8`) names the vessel an AIS
/// name or call sign gives (`ZHEDAIYU03318`, `ZHE DAI YU 3318`): compared in pinyin, without
/// spaces, leading zeros of numbers ignored, one wrong letter forgiven in names of 8 or more.
/// `None` when it cannot tell (a character without pinyin here, nothing to compare, or one
/// is a part of the other: `TONG 5` read on `HAI TONG 5`).
pub fn names_match(read: &str, ais: &str) -> Option<bool> {
    let canonical = |text: &str| -> Option<String> {
        let letters = pinyin(text)?;
        // numbers without their leading zeros: "03318" and "3318" are one number
        let mut out = String::new();
        let mut in_number = false;
        for c in letters.chars() {
            if c == '0' && !in_number {
                continue;
            }
            in_number = c.is_ascii_digit();
            out.push(c);
        }
        Some(out)
    };
    let (a, b) = (canonical(read)?, canonical(ais)?);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    // a part of the name (the rest hidden or unread) tells nothing
    if a != b && (a.contains(&b) || b.contains(&a)) {
        return None;
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if digits(&a) != digits(&b) {
        return Some(false);
    }
    let slack = usize::from(a.len().min(b.len()) >= 8);
    Some(edit_distance(&a, &b) <= slack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_output_is_normalised() {
        assert_eq!(normalize("浙B·12345"), "浙B12345");
        assert_eq!(normalize("粵溫漁 03318"), "粤温渔03318");
        assert_eq!(normalize("ｚｈｅ xiang-yu １"), "ZHEXIANGYU1");
    }

    #[test]
    fn hull_numbers_plates_and_names_are_told_apart() {
        assert_eq!(
            parse("浙岱渔03318"),
            Some(Marking::FishingVessel {
                province: '浙',
                port: "岱".into(),
                serial: "03318".into()
            })
        );
        assert_eq!(
            parse("闽漳浦渔1234").map(|m| m.text()),
            Some("闽漳浦渔1234".into())
        );
        let plate = parse("浙B·12345").unwrap();
        assert_eq!(plate.text(), "浙B12345");
        assert!(!plate.is_new_energy());
        let green = parse("浙BD12345").unwrap();
        assert!(matches!(green, Marking::Plate { .. }) && green.is_new_energy());
        // an O in the serial is no plate letter; a hull number needs its digits
        assert!(matches!(parse("浙B1234O"), Some(Marking::Name(_))));
        assert!(matches!(parse("浙岱渔"), Some(Marking::Name(_))));
        assert_eq!(
            parse("ZHE XIANG YU 2108"),
            Some(Marking::Name("ZHEXIANGYU2108".into()))
        );
        assert_eq!(parse(" · "), None);
    }

    #[test]
    fn hull_text_is_matched_to_ais_names_in_pinyin() {
        assert_eq!(pinyin("浙岱渔03318").as_deref(), Some("ZHEDAIYU03318"));
        assert_eq!(names_match("浙岱渔03318", "ZHEDAIYU03318"), Some(true));
        assert_eq!(names_match("浙岱渔03318", "ZHE DAI YU 3318"), Some(true));
        assert_eq!(
            names_match("浙岱渔03318", "ZHEDAIYU03319"),
            Some(false),
            "another number"
        );
        assert_eq!(
            names_match("浙岱渔03318", "MINSHIYU03318"),
            Some(false),
            "another port"
        );
        assert_eq!(names_match("HAI XING 8", "HAIXING 8"), Some(true));
        assert_eq!(
            names_match("HAI XLNG 18", "HAI XING 18"),
            Some(true),
            "one letter misread"
        );
        assert_eq!(names_match("海星8", "HAI XING 8"), Some(true));
        assert_eq!(
            names_match("鬼8", "GUI 8"),
            None,
            "a character without pinyin here"
        );
        assert_eq!(names_match("", "ZHEDAIYU1"), None);
        assert_eq!(names_match("TONG 5", "HAI TONG 5"), None, "a part of it");
    }
}
