//! Validated newtypes for values that have rules.
//!
//! Each type checks its rule on construction (`TryFrom`) and on deserialization, so a
//! record that holds one is valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// Defines a validated `f64` newtype with a range check, serde support and a unit in its docs.
macro_rules! bounded_f64 {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(f64);

        impl $name {
            /// The raw value.
            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl TryFrom<f64> for $name {
            type Error = ModelError;
            fn try_from(value: f64) -> Result<Self, ModelError> {
                let check: fn(f64) -> bool = $check;
                if value.is_finite() && check(value) {
                    Ok(Self(value))
                } else {
                    Err(ModelError::OutOfRange { what: $what, value, rule: $rule })
                }
            }
        }

        impl From<$name> for f64 {
            fn from(value: $name) -> f64 {
                value.0
            }
        }
    };
}

bounded_f64!(
    /// A compass direction in degrees clockwise from true north, `0..=360`.
    HeadingDeg, "heading_deg", |v| (0.0..=360.0).contains(&v), "must be within 0..=360"
);
bounded_f64!(
    /// A horizontal field of view in degrees, `1..=360` (360 is a full PTZ sweep).
    FovDeg, "hfov_deg", |v| (1.0..=360.0).contains(&v), "must be within 1..=360"
);
bounded_f64!(
    /// A strictly positive distance in metres.
    PositiveM, "distance in metres", |v| v > 0.0, "must be greater than 0"
);
bounded_f64!(
    /// A non-negative quantity (a speed in knots or km/h, an area in m², a height in metres).
    NonNegative, "value", |v| v >= 0.0, "must not be negative"
);
bounded_f64!(
    /// A longitude in degrees (WGS84), `-180..=180`.
    Lon, "longitude", |v| (-180.0..=180.0).contains(&v), "must be within -180..=180"
);
bounded_f64!(
    /// A latitude in degrees (WGS84), `-90..=90`.
    Lat, "latitude", |v| (-90.0..=90.0).contains(&v), "must be within -90..=90"
);

/// A Maritime Mobile Service Identity as broadcast: any 30-bit value.
///
/// Whether it is a well-formed ship MMSI (nine digits, a known MID) is a behaviour check
/// (`identity_anomaly`), not a parse rule: receivers do see malformed ones.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Mmsi(u32);

impl Mmsi {
    /// The MMSI of a 30-bit field as an AIS message carries it (higher bits are dropped).
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits & ((1 << 30) - 1))
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// True for a 98MIDxxxx auxiliary craft (associated with a mother ship).
    pub const fn is_auxiliary(self) -> bool {
        self.0 / 10_000_000 == 98
    }
}

impl TryFrom<i64> for Mmsi {
    type Error = ModelError;
    fn try_from(value: i64) -> Result<Self, ModelError> {
        if (0..1 << 30).contains(&value) {
            Ok(Self(value as u32))
        } else {
            Err(ModelError::OutOfRange {
                what: "mmsi",
                value: value as f64,
                rule: "must fit in 30 bits (0..=1073741823)",
            })
        }
    }
}

impl From<Mmsi> for i64 {
    fn from(value: Mmsi) -> i64 {
        i64::from(value.0)
    }
}

impl fmt::Display for Mmsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:09}", self.0)
    }
}

/// The id of a feature in a layer: a positive integer assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct FeatureId(i64);

impl FeatureId {
    /// The numeric value.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for FeatureId {
    type Error = ModelError;
    fn try_from(value: i64) -> Result<Self, ModelError> {
        if value > 0 {
            Ok(Self(value))
        } else {
            Err(ModelError::OutOfRange {
                what: "id",
                value: value as f64,
                rule: "must be a positive integer",
            })
        }
    }
}

impl From<FeatureId> for i64 {
    fn from(value: FeatureId) -> i64 {
        value.0
    }
}

impl fmt::Display for FeatureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for FeatureId {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let value: i64 = s.parse().map_err(|_| ModelError::Invalid {
            what: "id",
            reason: format!("{s:?} is not an integer"),
        })?;
        Self::try_from(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_enforced() {
        assert!(HeadingDeg::try_from(360.0).is_ok());
        assert!(HeadingDeg::try_from(360.1).is_err());
        assert!(HeadingDeg::try_from(f64::NAN).is_err());
        assert!(FovDeg::try_from(0.0).is_err());
        assert!(FovDeg::try_from(1.0).is_ok());
        assert!(PositiveM::try_from(0.0).is_err());
        assert!(PositiveM::try_from(-5.0).is_err());
        assert!(Lon::try_from(-180.0).is_ok());
        assert!(Lat::try_from(90.5).is_err());
        assert!(Mmsi::try_from(1 << 30).is_err());
        assert_eq!(Mmsi::try_from(2_573_456).unwrap().to_string(), "002573456");
        assert!(FeatureId::try_from(0).is_err());
        assert!("abc".parse::<FeatureId>().is_err());
    }

    #[test]
    fn deserialization_checks_the_rule() {
        let err = serde_json::from_str::<HeadingDeg>("400").unwrap_err();
        assert!(
            err.to_string()
                .contains("heading_deg 400 must be within 0..=360"),
            "{err}"
        );
    }
}
