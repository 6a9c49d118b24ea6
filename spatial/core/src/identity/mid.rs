//! Maritime Identification Digits (MID) and the MMSI formats of
//! ITU-R M.585.
//!
//! A MID is the three-digit code (201..=775) that the ITU allocates to a
//! country or territory; it sits at a fixed place in most MMSI formats:
//!
//! | Form        | Station                                   | Variant           |
//! |-------------|-------------------------------------------|-------------------|
//! | `MIDxxxxxx` | ship station                              | `Ship`            |
//! | `0MIDxxxxx` | group of ship stations                    | `Group`           |
//! | `00MIDxxxx` | coast station                             | `Coast`           |
//! | `111MIDxxx` | SAR aircraft                              | `SarAircraft`     |
//! | `8MIDxxxxx` | handheld VHF (also diver's radio)         | `Handheld`        |
//! | `98MIDxxxx` | craft associated with a parent ship       | `Auxiliary`       |
//! | `99MIDxxxx` | aid to navigation                         | `AidToNavigation` |
//! | `970xxyyyy` | AIS-SART                                  | `AisSart`         |
//! | `972xxyyyy` | man-overboard device                      | `ManOverboard`    |
//! | `974xxyyyy` | EPIRB with AIS                            | `EpirbAis`        |
//! | `979xxyyyy` | autonomous maritime radio device, group B | `AmrdGroupB`      |
//!
//! The last column names the [`MmsiKind`]
//! variant. An MMSI is always nine digits, leading zeros included: the number
//! 2 655 651 is `002655651`, a Swedish coast station.

/// Allocated MIDs and their country or territory, sorted by MID.
///
/// From the ITU table of Maritime Identification Digits (Radio Regulations
/// Appendix 43). Names are short forms; a territory is named after itself
/// with its administering country in parentheses.
const MID_TABLE: &[(u16, &str)] = &[
    // Europe
    (201, "Albania"),
    (202, "Andorra"),
    (203, "Austria"),
    (204, "Azores (Portugal)"),
    (205, "Belgium"),
    (206, "Belarus"),
    (207, "Bulgaria"),
    (208, "Vatican City State"),
    (209, "Cyprus"),
    (210, "Cyprus"),
    (211, "Germany"),
    (212, "Cyprus"),
    (213, "Georgia"),
    (214, "Moldova"),
    (215, "Malta"),
    (216, "Armenia"),
    (218, "Germany"),
    (219, "Denmark"),
    (220, "Denmark"),
    (224, "Spain"),
    (225, "Spain"),
    (226, "France"),
    (227, "France"),
    (228, "France"),
    (229, "Malta"),
    (230, "Finland"),
    (231, "Faroe Islands (Denmark)"),
    (232, "United Kingdom"),
    (233, "United Kingdom"),
    (234, "United Kingdom"),
    (235, "United Kingdom"),
    (236, "Gibraltar (United Kingdom)"),
    (237, "Greece"),
    (238, "Croatia"),
    (239, "Greece"),
    (240, "Greece"),
    (241, "Greece"),
    (242, "Morocco"),
    (243, "Hungary"),
    (244, "Netherlands"),
    (245, "Netherlands"),
    (246, "Netherlands"),
    (247, "Italy"),
    (248, "Malta"),
    (249, "Malta"),
    (250, "Ireland"),
    (251, "Iceland"),
    (252, "Liechtenstein"),
    (253, "Luxembourg"),
    (254, "Monaco"),
    (255, "Madeira (Portugal)"),
    (256, "Malta"),
    (257, "Norway"),
    (258, "Norway"),
    (259, "Norway"),
    (261, "Poland"),
    (262, "Montenegro"),
    (263, "Portugal"),
    (264, "Romania"),
    (265, "Sweden"),
    (266, "Sweden"),
    (267, "Slovakia"),
    (268, "San Marino"),
    (269, "Switzerland"),
    (270, "Czech Republic"),
    (271, "Türkiye"),
    (272, "Ukraine"),
    (273, "Russian Federation"),
    (274, "North Macedonia"),
    (275, "Latvia"),
    (276, "Estonia"),
    (277, "Lithuania"),
    (278, "Slovenia"),
    (279, "Serbia"),
    // North and Central America, Caribbean
    (301, "Anguilla (United Kingdom)"),
    (303, "Alaska (United States)"),
    (304, "Antigua and Barbuda"),
    (305, "Antigua and Barbuda"),
    (
        306,
        "Curaçao, Sint Maarten, Bonaire, Sint Eustatius and Saba (Netherlands)",
    ),
    (307, "Aruba (Netherlands)"),
    (308, "Bahamas"),
    (309, "Bahamas"),
    (310, "Bermuda (United Kingdom)"),
    (311, "Bahamas"),
    (312, "Belize"),
    (314, "Barbados"),
    (316, "Canada"),
    (319, "Cayman Islands (United Kingdom)"),
    (321, "Costa Rica"),
    (323, "Cuba"),
    (325, "Dominica"),
    (327, "Dominican Republic"),
    (329, "Guadeloupe (France)"),
    (330, "Grenada"),
    (331, "Greenland (Denmark)"),
    (332, "Guatemala"),
    (334, "Honduras"),
    (336, "Haiti"),
    (338, "United States"),
    (339, "Jamaica"),
    (341, "Saint Kitts and Nevis"),
    (343, "Saint Lucia"),
    (345, "Mexico"),
    (347, "Martinique (France)"),
    (348, "Montserrat (United Kingdom)"),
    (350, "Nicaragua"),
    (351, "Panama"),
    (352, "Panama"),
    (353, "Panama"),
    (354, "Panama"),
    (355, "Panama"),
    (356, "Panama"),
    (357, "Panama"),
    (358, "Puerto Rico (United States)"),
    (359, "El Salvador"),
    (361, "Saint Pierre and Miquelon (France)"),
    (362, "Trinidad and Tobago"),
    (364, "Turks and Caicos Islands (United Kingdom)"),
    (366, "United States"),
    (367, "United States"),
    (368, "United States"),
    (369, "United States"),
    (370, "Panama"),
    (371, "Panama"),
    (372, "Panama"),
    (373, "Panama"),
    (374, "Panama"),
    (375, "Saint Vincent and the Grenadines"),
    (376, "Saint Vincent and the Grenadines"),
    (377, "Saint Vincent and the Grenadines"),
    (378, "British Virgin Islands (United Kingdom)"),
    (379, "United States Virgin Islands (United States)"),
    // Asia
    (401, "Afghanistan"),
    (403, "Saudi Arabia"),
    (405, "Bangladesh"),
    (408, "Bahrain"),
    (410, "Bhutan"),
    (412, "China"),
    (413, "China"),
    (414, "China"),
    (416, "Taiwan (China)"),
    (417, "Sri Lanka"),
    (419, "India"),
    (422, "Iran"),
    (423, "Azerbaijan"),
    (425, "Iraq"),
    (428, "Israel"),
    (431, "Japan"),
    (432, "Japan"),
    (434, "Turkmenistan"),
    (436, "Kazakhstan"),
    (437, "Uzbekistan"),
    (438, "Jordan"),
    (440, "Korea (Republic of)"),
    (441, "Korea (Republic of)"),
    (443, "State of Palestine"),
    (445, "Korea (Democratic People's Republic of)"),
    (447, "Kuwait"),
    (450, "Lebanon"),
    (451, "Kyrgyzstan"),
    (453, "Macao (China)"),
    (455, "Maldives"),
    (457, "Mongolia"),
    (459, "Nepal"),
    (461, "Oman"),
    (463, "Pakistan"),
    (466, "Qatar"),
    (468, "Syria"),
    (470, "United Arab Emirates"),
    (471, "United Arab Emirates"),
    (472, "Tajikistan"),
    (473, "Yemen"),
    (475, "Yemen"),
    (477, "Hong Kong (China)"),
    (478, "Bosnia and Herzegovina"),
    // Oceania
    (501, "Adélie Land (France)"),
    (503, "Australia"),
    (506, "Myanmar"),
    (508, "Brunei Darussalam"),
    (510, "Micronesia"),
    (511, "Palau"),
    (512, "New Zealand"),
    (514, "Cambodia"),
    (515, "Cambodia"),
    (516, "Christmas Island (Australia)"),
    (518, "Cook Islands (New Zealand)"),
    (520, "Fiji"),
    (523, "Cocos (Keeling) Islands (Australia)"),
    (525, "Indonesia"),
    (529, "Kiribati"),
    (531, "Laos"),
    (533, "Malaysia"),
    (536, "Northern Mariana Islands (United States)"),
    (538, "Marshall Islands"),
    (540, "New Caledonia (France)"),
    (542, "Niue (New Zealand)"),
    (544, "Nauru"),
    (546, "French Polynesia (France)"),
    (548, "Philippines"),
    (550, "Timor-Leste"),
    (553, "Papua New Guinea"),
    (555, "Pitcairn Island (United Kingdom)"),
    (557, "Solomon Islands"),
    (559, "American Samoa (United States)"),
    (561, "Samoa"),
    (563, "Singapore"),
    (564, "Singapore"),
    (565, "Singapore"),
    (566, "Singapore"),
    (567, "Thailand"),
    (570, "Tonga"),
    (572, "Tuvalu"),
    (574, "Viet Nam"),
    (576, "Vanuatu"),
    (577, "Vanuatu"),
    (578, "Wallis and Futuna (France)"),
    // Africa
    (601, "South Africa"),
    (603, "Angola"),
    (605, "Algeria"),
    (607, "Saint Paul and Amsterdam Islands (France)"),
    (608, "Ascension Island (United Kingdom)"),
    (609, "Burundi"),
    (610, "Benin"),
    (611, "Botswana"),
    (612, "Central African Republic"),
    (613, "Cameroon"),
    (615, "Congo"),
    (616, "Comoros"),
    (617, "Cabo Verde"),
    (618, "Crozet Archipelago (France)"),
    (619, "Côte d'Ivoire"),
    (620, "Comoros"),
    (621, "Djibouti"),
    (622, "Egypt"),
    (624, "Ethiopia"),
    (625, "Eritrea"),
    (626, "Gabon"),
    (627, "Ghana"),
    (629, "Gambia"),
    (630, "Guinea-Bissau"),
    (631, "Equatorial Guinea"),
    (632, "Guinea"),
    (633, "Burkina Faso"),
    (634, "Kenya"),
    (635, "Kerguelen Islands (France)"),
    (636, "Liberia"),
    (637, "Liberia"),
    (638, "South Sudan"),
    (642, "Libya"),
    (644, "Lesotho"),
    (645, "Mauritius"),
    (647, "Madagascar"),
    (649, "Mali"),
    (650, "Mozambique"),
    (654, "Mauritania"),
    (655, "Malawi"),
    (656, "Niger"),
    (657, "Nigeria"),
    (659, "Namibia"),
    (660, "Réunion (France)"),
    (661, "Rwanda"),
    (662, "Sudan"),
    (663, "Senegal"),
    (664, "Seychelles"),
    (665, "Saint Helena (United Kingdom)"),
    (666, "Somalia"),
    (667, "Sierra Leone"),
    (668, "Sao Tome and Principe"),
    (669, "Eswatini"),
    (670, "Chad"),
    (671, "Togo"),
    (672, "Tunisia"),
    (674, "Tanzania"),
    (675, "Uganda"),
    (676, "Democratic Republic of the Congo"),
    (677, "Tanzania"),
    (678, "Zambia"),
    (679, "Zimbabwe"),
    // South America
    (701, "Argentina"),
    (710, "Brazil"),
    (720, "Bolivia"),
    (725, "Chile"),
    (730, "Colombia"),
    (735, "Ecuador"),
    (740, "Falkland Islands (Malvinas)"),
    (745, "French Guiana (France)"),
    (750, "Guyana"),
    (755, "Paraguay"),
    (760, "Peru"),
    (765, "Suriname"),
    (770, "Uruguay"),
    (775, "Venezuela"),
];

/// The country or territory a MID is allocated to; `None` for a number
/// that is not an allocated MID.
///
/// ```
/// use coastwatch_core::identity::mid::mid_country;
/// assert_eq!(mid_country(257), Some("Norway"));
/// assert_eq!(mid_country(366), Some("United States"));
/// assert_eq!(mid_country(217), None);
/// assert_eq!(mid_country(999), None);
/// ```
pub fn mid_country(mid: u16) -> Option<&'static str> {
    MID_TABLE
        .binary_search_by_key(&mid, |&(m, _)| m)
        .ok()
        .map(|i| MID_TABLE[i].1)
}

/// The station an MMSI identifies, by its ITU-R M.585 format.
///
/// Variants with a `mid` carry the three Maritime Identification Digits
/// found in the number; the MID is in 200..=799 but not necessarily
/// allocated (see [`mid_country`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MmsiKind {
    /// `MIDxxxxxx`: a ship station.
    Ship {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `0MIDxxxxx`: a group of ship stations.
    Group {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `00MIDxxxx`: a coast station (AIS base stations among them).
    Coast {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `111MIDxxx`: a search-and-rescue aircraft.
    SarAircraft {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `8MIDxxxxx`: a handheld VHF transceiver with DSC and GNSS, or a
    /// diver's radio.
    Handheld {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `98MIDxxxx`: a craft associated with a parent ship (a tender, a
    /// lifeboat, a pilot boat of a pilot vessel).
    Auxiliary {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `99MIDxxxx`: an aid to navigation (physical or virtual).
    AidToNavigation {
        /// Maritime Identification Digits.
        mid: u16,
    },
    /// `970xxyyyy`: an AIS search-and-rescue transmitter.
    AisSart,
    /// `972xxyyyy`: a man-overboard device.
    ManOverboard,
    /// `974xxyyyy`: an EPIRB with an AIS locator.
    EpirbAis,
    /// `979xxyyyy`: an autonomous maritime radio device of group B (one
    /// that does not enhance the safety of navigation, e.g. a net buoy).
    AmrdGroupB,
    /// None of the formats: more than nine digits, or a number whose nine
    /// digits (leading zeros included) fit no form, such as `000000000`,
    /// `123456789` or `100000000`.
    Invalid,
}

impl MmsiKind {
    /// The MID in the number, for the formats that carry one.
    ///
    /// ```
    /// use coastwatch_core::identity::mid::mmsi_kind;
    /// assert_eq!(mmsi_kind(992_576_001).mid(), Some(257));
    /// assert_eq!(mmsi_kind(970_123_456).mid(), None);
    /// ```
    pub const fn mid(self) -> Option<u16> {
        match self {
            Self::Ship { mid }
            | Self::Group { mid }
            | Self::Coast { mid }
            | Self::SarAircraft { mid }
            | Self::Handheld { mid }
            | Self::Auxiliary { mid }
            | Self::AidToNavigation { mid } => Some(mid),
            Self::AisSart
            | Self::ManOverboard
            | Self::EpirbAis
            | Self::AmrdGroupB
            | Self::Invalid => None,
        }
    }

    /// The country or territory of the MID, when the format carries one
    /// and it is allocated.
    pub fn country(self) -> Option<&'static str> {
        self.mid().and_then(mid_country)
    }
}

/// Largest nine-digit number.
const MAX_MMSI: u32 = 999_999_999;

/// The MID of `n` when it lies in 200..=799 (first digit 2 to 7), the
/// only range M.585 allocates.
#[inline]
const fn mid_in_range(n: u32) -> Option<u16> {
    if n >= 200 && n <= 799 {
        Some(n as u16)
    } else {
        None
    }
}

/// Classifies an MMSI by its ITU-R M.585 format (see the [module
/// docs](self) for the table).
///
/// The number is read as nine digits with leading zeros: `2_655_651` is
/// `002655651`, a coast station with MID 265.
///
/// ```
/// use coastwatch_core::identity::mid::{MmsiKind, mmsi_kind};
/// assert_eq!(mmsi_kind(257_123_450), MmsiKind::Ship { mid: 257 });
/// assert_eq!(mmsi_kind(2_655_651), MmsiKind::Coast { mid: 265 });
/// assert_eq!(mmsi_kind(111_232_506), MmsiKind::SarAircraft { mid: 232 });
/// assert_eq!(mmsi_kind(970_010_001), MmsiKind::AisSart);
/// assert_eq!(mmsi_kind(123_456_789), MmsiKind::Invalid);
/// ```
pub const fn mmsi_kind(mmsi: u32) -> MmsiKind {
    if mmsi > MAX_MMSI {
        return MmsiKind::Invalid;
    }
    let first = mmsi / 100_000_000;
    match first {
        0 => {
            if mmsi / 10_000_000 == 0 {
                // 00MIDxxxx
                match mid_in_range(mmsi / 10_000) {
                    Some(mid) => MmsiKind::Coast { mid },
                    None => MmsiKind::Invalid,
                }
            } else {
                // 0MIDxxxxx
                match mid_in_range(mmsi / 100_000) {
                    Some(mid) => MmsiKind::Group { mid },
                    None => MmsiKind::Invalid,
                }
            }
        }
        1 => {
            if mmsi / 1_000_000 == 111 {
                match mid_in_range(mmsi / 1_000 % 1_000) {
                    Some(mid) => MmsiKind::SarAircraft { mid },
                    None => MmsiKind::Invalid,
                }
            } else {
                MmsiKind::Invalid
            }
        }
        2..=7 => MmsiKind::Ship {
            mid: (mmsi / 1_000_000) as u16,
        },
        8 => match mid_in_range(mmsi / 100_000 % 1_000) {
            Some(mid) => MmsiKind::Handheld { mid },
            None => MmsiKind::Invalid,
        },
        _ => match mmsi / 10_000_000 {
            98 | 99 => match mid_in_range(mmsi / 10_000 % 1_000) {
                Some(mid) if mmsi / 10_000_000 == 98 => MmsiKind::Auxiliary { mid },
                Some(mid) => MmsiKind::AidToNavigation { mid },
                None => MmsiKind::Invalid,
            },
            _ => match mmsi / 1_000_000 {
                970 => MmsiKind::AisSart,
                972 => MmsiKind::ManOverboard,
                974 => MmsiKind::EpirbAis,
                979 => MmsiKind::AmrdGroupB,
                _ => MmsiKind::Invalid,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_in_range() {
        for w in MID_TABLE.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        assert_eq!(MID_TABLE.first().map(|e| e.0), Some(201));
        assert_eq!(MID_TABLE.last().map(|e| e.0), Some(775));
        for &(mid, name) in MID_TABLE {
            assert!((201..=775).contains(&mid));
            assert!(!name.is_empty());
        }
    }

    #[test]
    fn table_size_matches_the_itu_list() {
        let per_zone = |z: u16| MID_TABLE.iter().filter(|e| e.0 / 100 == z).count();
        assert_eq!([2, 3, 4, 5, 6, 7].map(per_zone), [74, 58, 43, 41, 62, 14]);
        assert_eq!(MID_TABLE.len(), 292);
    }

    #[test]
    fn countries() {
        for (mid, name) in [
            (201, "Albania"),
            (211, "Germany"),
            (218, "Germany"),
            (219, "Denmark"),
            (232, "United Kingdom"),
            (244, "Netherlands"),
            (257, "Norway"),
            (258, "Norway"),
            (259, "Norway"),
            (265, "Sweden"),
            (273, "Russian Federation"),
            (303, "Alaska (United States)"),
            (316, "Canada"),
            (338, "United States"),
            (351, "Panama"),
            (374, "Panama"),
            (412, "China"),
            (431, "Japan"),
            (477, "Hong Kong (China)"),
            (503, "Australia"),
            (538, "Marshall Islands"),
            (563, "Singapore"),
            (636, "Liberia"),
            (638, "South Sudan"),
            (701, "Argentina"),
            (775, "Venezuela"),
        ] {
            assert_eq!(mid_country(mid), Some(name), "MID {mid}");
        }
        for unallocated in [
            0, 100, 200, 217, 221, 222, 223, 260, 280, 300, 302, 400, 700, 776, 800, 999,
        ] {
            assert_eq!(mid_country(unallocated), None, "MID {unallocated}");
        }
    }

    #[test]
    fn ship_stations() {
        // Ever Given (Panama), and vessels seen in the Kystverket sample:
        // KEY STAR (Cyprus), PLANCIUS (Netherlands), LINDESNES (Norway).
        assert_eq!(mmsi_kind(353_136_000), MmsiKind::Ship { mid: 353 });
        assert_eq!(mmsi_kind(209_445_000).country(), Some("Cyprus"));
        assert_eq!(mmsi_kind(246_573_000).country(), Some("Netherlands"));
        assert_eq!(mmsi_kind(257_005_300), MmsiKind::Ship { mid: 257 });
        // gpsd's sample: 371798000 (Panama).
        assert_eq!(mmsi_kind(371_798_000).country(), Some("Panama"));
        // The form alone: an unallocated MID is still a ship station form.
        assert_eq!(mmsi_kind(217_000_001), MmsiKind::Ship { mid: 217 });
        assert_eq!(mmsi_kind(217_000_001).country(), None);
        assert_eq!(mmsi_kind(200_000_000), MmsiKind::Ship { mid: 200 });
        assert_eq!(mmsi_kind(799_999_999), MmsiKind::Ship { mid: 799 });
    }

    #[test]
    fn coast_and_group_stations() {
        // AIS base stations (type 4) from the Kystverket and gpsd samples.
        assert_eq!(mmsi_kind(2_655_651), MmsiKind::Coast { mid: 265 });
        assert_eq!(mmsi_kind(2_242_115).country(), Some("Spain"));
        assert_eq!(mmsi_kind(2_470_052).country(), Some("Italy"));
        assert_eq!(mmsi_kind(3_669_702), MmsiKind::Coast { mid: 366 });
        // 023112345: a Faroese group call.
        assert_eq!(mmsi_kind(23_112_345), MmsiKind::Group { mid: 231 });
        assert_eq!(mmsi_kind(20_000_000), MmsiKind::Group { mid: 200 });
        assert_eq!(mmsi_kind(79_999_999), MmsiKind::Group { mid: 799 });
        assert_eq!(mmsi_kind(2_000_000), MmsiKind::Coast { mid: 200 });
        assert_eq!(mmsi_kind(7_999_999), MmsiKind::Coast { mid: 799 });
    }

    #[test]
    fn other_forms() {
        assert_eq!(mmsi_kind(111_232_506), MmsiKind::SarAircraft { mid: 232 });
        assert_eq!(mmsi_kind(111_257_001).country(), Some("Norway"));
        // A Norwegian aid to navigation from the Kystverket sample.
        assert_eq!(
            mmsi_kind(992_572_511),
            MmsiKind::AidToNavigation { mid: 257 }
        );
        assert_eq!(
            mmsi_kind(992_351_000),
            MmsiKind::AidToNavigation { mid: 235 }
        );
        assert_eq!(mmsi_kind(982_579_876), MmsiKind::Auxiliary { mid: 257 });
        assert_eq!(mmsi_kind(823_012_345), MmsiKind::Handheld { mid: 230 });
        assert_eq!(mmsi_kind(970_010_001), MmsiKind::AisSart);
        // A man-overboard unit seen in the Kystverket sample.
        assert_eq!(mmsi_kind(972_158_237), MmsiKind::ManOverboard);
        assert_eq!(mmsi_kind(974_020_001), MmsiKind::EpirbAis);
        assert_eq!(mmsi_kind(979_123_456), MmsiKind::AmrdGroupB);
        assert_eq!(mmsi_kind(979_123_456).mid(), None);
    }

    #[test]
    fn invalid_forms() {
        for bad in [
            0,
            1,
            123,
            1_999_999,   // 001999999: MID 199
            8_000_000,   // 008000000: MID 800
            10_000_000,  // 010000000: group with MID 100
            80_000_000,  // 080000000: group with MID 800
            99_999_999,  // 099999999
            100_000_000, // 1 but not 111
            123_456_789, // the classic placeholder
            111_100_000, // 111 with MID 100
            111_999_000, // 111 with MID 999
            800_000_000, // 8 with MID 000
            890_000_000, // 8 with MID 900
            900_000_000, // 90x: unused
            971_000_000, // between the device forms
            975_000_000,
            981_000_000,   // 98 with MID 100
            999_999_999,   // 99 with MID 999
            1_000_000_000, // ten digits
            u32::MAX,
        ] {
            assert_eq!(mmsi_kind(bad), MmsiKind::Invalid, "{bad}");
        }
    }
}
