//! The identity flags of a vessel: one vocabulary for the AIS core that raises them, the
//! engine that keeps them, the `identity_anomaly` detector, the store and the API.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// What is wrong with a vessel's identity or reports.
///
/// Serialises as a snake_case string (`"mmsi_format"`, `"bad_imo"`, …), the same text as
/// [`as_str`](Self::as_str). The variants are declared in the order of their names, so that a
/// sorted set of flags lists them as their names sort.
///
/// ```
/// use coastwatch_core::model::IdentityFlag;
/// let flag = IdentityFlag::UnknownMid;
/// assert_eq!(serde_json::to_string(&flag).unwrap(), r#""unknown_mid""#);
/// assert_eq!("unknown_mid".parse::<IdentityFlag>().unwrap(), flag);
/// assert_eq!(flag.to_string(), "MMSI carries an unallocated MID");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityFlag {
    /// The IMO number is not seven digits or fails its check digit.
    BadImo,
    /// The name is empty, or only `@` padding and spaces.
    EmptyName,
    /// Two positions of one MMSI imply an impossible speed (more than 50 kn).
    ImpossibleSpeed,
    /// The MMSI fits none of the ITU-R M.585 formats (e.g. not nine digits).
    MmsiFormat,
    /// A camera read a hull marking that is not the vessel's AIS name or call sign.
    NameMismatch,
    /// No static report (type 5 or 24) within 30 minutes of the first position.
    NoStaticReport,
    /// A camera had legible views of the vessel and read no name or number on it (the
    /// "three-no" signal).
    NoVisibleName,
    /// The MMSI's Maritime Identification Digits are not allocated.
    UnknownMid,
}

impl IdentityFlag {
    /// Every flag, in declaration (= name) order.
    pub const ALL: [Self; 8] = [
        Self::BadImo,
        Self::EmptyName,
        Self::ImpossibleSpeed,
        Self::MmsiFormat,
        Self::NameMismatch,
        Self::NoStaticReport,
        Self::NoVisibleName,
        Self::UnknownMid,
    ];

    /// The snake_case name, as serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadImo => "bad_imo",
            Self::EmptyName => "empty_name",
            Self::ImpossibleSpeed => "impossible_speed",
            Self::MmsiFormat => "mmsi_format",
            Self::NoStaticReport => "no_static_report",
            Self::UnknownMid => "unknown_mid",
            Self::NameMismatch => "name_mismatch",
            Self::NoVisibleName => "no_visible_name",
        }
    }
}

impl fmt::Display for IdentityFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadImo => "IMO number fails its check digit",
            Self::EmptyName => "name is empty",
            Self::ImpossibleSpeed => "two positions imply more than 50 kn",
            Self::MmsiFormat => "MMSI is not a valid 9-digit ITU-R M.585 number",
            Self::NoStaticReport => "no static report within 30 min of the first position",
            Self::UnknownMid => "MMSI carries an unallocated MID",
            Self::NameMismatch => "the hull marking a camera read is not the AIS name",
            Self::NoVisibleName => "a camera saw no name or number on the hull",
        })
    }
}

impl FromStr for IdentityFlag {
    type Err = ModelError;

    fn from_str(name: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|flag| flag.as_str() == name)
            .ok_or_else(|| ModelError::invalid("identity flag", format!("unknown flag {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_serde_agree() {
        for flag in IdentityFlag::ALL {
            let json = serde_json::to_string(&flag).unwrap();
            assert_eq!(json, format!("\"{}\"", flag.as_str()));
            assert_eq!(serde_json::from_str::<IdentityFlag>(&json).unwrap(), flag);
            assert_eq!(flag.as_str().parse::<IdentityFlag>().unwrap(), flag);
            assert!(!flag.to_string().is_empty());
        }
        let names = IdentityFlag::ALL.map(IdentityFlag::as_str);
        assert!(names.is_sorted(), "declared in name order: {names:?}");
        assert!("bad_name".parse::<IdentityFlag>().is_err());
        assert_eq!(
            IdentityFlag::BadImo.to_string(),
            "IMO number fails its check digit"
        );
    }
}
