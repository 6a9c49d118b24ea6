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
}
