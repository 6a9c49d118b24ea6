//! Geofence rules as data: who a fence applies to, what it detects, when, and how it debounces.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Severity, VehicleClass};
use crate::ModelError;

/// What kind of object a fence applies to, optionally narrowed to a class.
///
/// Written as `any`, `vessel`, `vessel:<ship category>`, `vehicle`, `vehicle:<class>`,
/// `camera_track` or `camera_track:<class>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ObjectClass {
    /// Every object.
    Any,
    /// Vessels, optionally of one ship category.
    Vessel(Option<ShipCategory>),
    /// Road vehicles, optionally of one class.
    Vehicle(Option<VehicleClass>),
    /// Camera tracks, optionally of one class (`vessel`, `person`, `vehicle`).
    CameraTrack(Option<TrackClass>),
}

/// Broad ship categories derived from the AIS ship-and-cargo type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipCategory {
    /// Codes 30 (fishing).
    Fishing,
    /// Codes 70–79.
    Cargo,
    /// Codes 80–89.
    Tanker,
    /// Codes 60–69.
    Passenger,
    /// Codes 31, 32, 52 (towing, tugs).
    Tug,
    /// Codes 36, 37 (sailing, pleasure craft).
    Pleasure,
    /// Codes 40–49.
    HighSpeed,
    /// Everything else, including unknown.
    Other,
}

impl ShipCategory {
    /// The category of an AIS ship-and-cargo type code (ITU-R M.1371 table 53).
    pub fn from_ais_type(code: u8) -> Self {
        match code {
            30 => Self::Fishing,
            31 | 32 | 52 => Self::Tug,
            36 | 37 => Self::Pleasure,
            40..=49 => Self::HighSpeed,
            60..=69 => Self::Passenger,
            70..=79 => Self::Cargo,
            80..=89 => Self::Tanker,
            _ => Self::Other,
        }
    }
}

/// The class of a geo-referenced camera track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackClass {
    /// A boat or ship.
    Vessel,
    /// A person.
    Person,
    /// A road vehicle.
    Vehicle,
    /// Something that moves, not recognised (a motion-only camera).
    Unknown,
}

fn snake<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => unreachable!("unit enums serialize to strings"),
    }
}

fn parse_snake<T: for<'de> Deserialize<'de>>(s: &str, what: &'static str) -> Result<T, ModelError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| ModelError::invalid(what, e.to_string()))
}

impl FromStr for ObjectClass {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let (kind, class) = match s.split_once(':') {
            Some((k, c)) => (k, Some(c)),
            None => (s, None),
        };
        Ok(match (kind, class) {
            ("any", None) => Self::Any,
            ("vessel", c) => Self::Vessel(c.map(|c| parse_snake(c, "ship category")).transpose()?),
            ("vehicle", c) => {
                Self::Vehicle(c.map(|c| parse_snake(c, "vehicle class")).transpose()?)
            }
            ("camera_track", c) => {
                Self::CameraTrack(c.map(|c| parse_snake(c, "track class")).transpose()?)
            }
            _ => {
                return Err(ModelError::invalid(
                    "object class",
                    format!(
                        "{s:?} is not any, vessel[:category], vehicle[:class] or camera_track[:class]"
                    ),
                ));
            }
        })
    }
}

impl TryFrom<String> for ObjectClass {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, ModelError> {
        s.parse()
    }
}

impl fmt::Display for ObjectClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, class) = match self {
            Self::Any => ("any", None),
            Self::Vessel(c) => ("vessel", c.as_ref().map(snake)),
            Self::Vehicle(c) => ("vehicle", c.as_ref().map(snake)),
            Self::CameraTrack(c) => ("camera_track", c.as_ref().map(snake)),
        };
        match class {
            Some(class) => write!(f, "{kind}:{class}"),
            None => f.write_str(kind),
        }
    }
}

impl From<ObjectClass> for String {
    fn from(value: ObjectClass) -> String {
        value.to_string()
    }
}

/// What a moving object is, as far as fence rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// An AIS vessel of a ship category (`Other` when its type is unknown).
    Vessel(ShipCategory),
    /// A road vehicle of a class.
    Vehicle(VehicleClass),
    /// A camera track of a class.
    CameraTrack(TrackClass),
}

impl ObjectClass {
    /// Whether an object of `kind` belongs to this class.
    pub fn matches(&self, kind: ObjectKind) -> bool {
        match (self, kind) {
            (Self::Any, _) => true,
            (Self::Vessel(want), ObjectKind::Vessel(have)) => want.is_none_or(|w| w == have),
            (Self::Vehicle(want), ObjectKind::Vehicle(have)) => want.is_none_or(|w| w == have),
            (Self::CameraTrack(want), ObjectKind::CameraTrack(have)) => {
                want.is_none_or(|w| w == have)
            }
            _ => false,
        }
    }
}

/// An event a fence detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detect {
    /// The object comes inside.
    Enter,
    /// The object leaves.
    Exit,
    /// The object stays inside for the dwell time.
    Dwell,
    /// The straight path between two fixes crosses the fence while both fixes are outside.
    Cross,
}

/// A daily window in the district's local time, `HH:MM`–`HH:MM`; it may wrap past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveHours {
    /// Start of the window, minutes after local midnight.
    #[serde(with = "hhmm")]
    pub start: u16,
    /// End of the window (exclusive), minutes after local midnight.
    #[serde(with = "hhmm")]
    pub end: u16,
}

impl ActiveHours {
    /// Whether `minute_of_day` (local) falls inside the window.
    pub fn contains(&self, minute_of_day: u16) -> bool {
        if self.start <= self.end {
            (self.start..self.end).contains(&minute_of_day)
        } else {
            minute_of_day >= self.start || minute_of_day < self.end
        }
    }
}

mod hhmm {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(minutes: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:02}:{:02}", minutes / 60, minutes % 60))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let text = String::deserialize(d)?;
        let parsed = text
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<u16>().ok()?, m.parse::<u16>().ok()?)))
            .filter(|&(h, m)| h < 24 && m < 60 && text.len() == 5);
        match parsed {
            Some((h, m)) => Ok(h * 60 + m),
            None => Err(D::Error::custom(format!(
                "time {text:?} is not HH:MM (00:00 to 23:59)"
            ))),
        }
    }
}

/// How a fence suppresses GPS jitter at its border.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Debounce {
    /// Consecutive fixes on the new side before a change of side counts.
    #[serde(default = "Debounce::default_fixes")]
    pub fixes: u32,
    /// A fix must be this far past the border (metres) to count as a change of side.
    #[serde(default)]
    pub buffer_m: f64,
}

impl Debounce {
    fn default_fixes() -> u32 {
        2
    }
}

impl Default for Debounce {
    fn default() -> Self {
        Self {
            fixes: Self::default_fixes(),
            buffer_m: 0.0,
        }
    }
}

/// The rule a geofence enforces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FenceRule {
    /// Objects the rule applies to (default: any).
    #[serde(default = "FenceRule::default_classes")]
    pub classes: Vec<ObjectClass>,
    /// Events to detect (default: enter).
    #[serde(default = "FenceRule::default_detect")]
    pub detect: Vec<Detect>,
    /// Local hours in which the rule is active (default: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_hours: Option<ActiveHours>,
    /// Minutes inside before `geofence_dwell` fires.
    #[serde(default = "FenceRule::default_dwell_min")]
    pub dwell_min: f64,
    /// Severity of the alerts the fence raises.
    #[serde(default)]
    pub severity: Severity,
    /// Jitter suppression.
    #[serde(default)]
    pub debounce: Debounce,
}

impl FenceRule {
    fn default_classes() -> Vec<ObjectClass> {
        vec![ObjectClass::Any]
    }
    fn default_detect() -> Vec<Detect> {
        vec![Detect::Enter]
    }
    fn default_dwell_min() -> f64 {
        10.0
    }

    /// Checks the numbers that serde cannot.
    pub fn check(&self) -> Result<(), ModelError> {
        if self.classes.is_empty() {
            return Err(ModelError::invalid(
                "rule.classes",
                "must name at least one class (or \"any\")",
            ));
        }
        if self.detect.is_empty() {
            return Err(ModelError::invalid(
                "rule.detect",
                "must name at least one of enter, exit, dwell, cross",
            ));
        }
        if !(self.dwell_min.is_finite() && self.dwell_min > 0.0) {
            return Err(ModelError::OutOfRange {
                what: "rule.dwell_min",
                value: self.dwell_min,
                rule: "must be greater than 0",
            });
        }
        if !(self.debounce.buffer_m.is_finite() && self.debounce.buffer_m >= 0.0) {
            return Err(ModelError::OutOfRange {
                what: "rule.debounce.buffer_m",
                value: self.debounce.buffer_m,
                rule: "must not be negative",
            });
        }
        if self.debounce.fixes == 0 {
            return Err(ModelError::OutOfRange {
                what: "rule.debounce.fixes",
                value: 0.0,
                rule: "must be at least 1",
            });
        }
        Ok(())
    }
}

impl Default for FenceRule {
    fn default() -> Self {
        Self {
            classes: Self::default_classes(),
            detect: Self::default_detect(),
            active_hours: None,
            dwell_min: Self::default_dwell_min(),
            severity: Severity::default(),
            debounce: Debounce::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_classes_parse_and_print() {
        for text in [
            "any",
            "vessel",
            "vessel:tanker",
            "vehicle:tank_truck",
            "camera_track:person",
        ] {
            assert_eq!(text.parse::<ObjectClass>().unwrap().to_string(), text);
        }
        assert!("vessel:submarine".parse::<ObjectClass>().is_err());
        assert!("boat".parse::<ObjectClass>().is_err());
        let tanker = ObjectKind::Vessel(ShipCategory::Tanker);
        assert!(ObjectClass::Any.matches(tanker));
        assert!("vessel".parse::<ObjectClass>().unwrap().matches(tanker));
        assert!(
            "vessel:tanker"
                .parse::<ObjectClass>()
                .unwrap()
                .matches(tanker)
        );
        assert!(
            !"vessel:cargo"
                .parse::<ObjectClass>()
                .unwrap()
                .matches(tanker)
        );
        assert!(!"vehicle".parse::<ObjectClass>().unwrap().matches(tanker));
    }

    #[test]
    fn rule_defaults_and_hours() {
        let rule: FenceRule =
            serde_json::from_str(r#"{"active_hours":{"start":"22:00","end":"05:00"}}"#).unwrap();
        assert_eq!(rule.classes, vec![ObjectClass::Any]);
        assert_eq!(rule.debounce.fixes, 2);
        let hours = rule.active_hours.unwrap();
        assert!(
            hours.contains(23 * 60)
                && hours.contains(60)
                && !hours.contains(12 * 60)
                && !hours.contains(5 * 60)
        );
        assert!(
            serde_json::from_str::<FenceRule>(
                r#"{"active_hours":{"start":"25:00","end":"05:00"}}"#
            )
            .is_err()
        );
        assert!(serde_json::from_str::<FenceRule>(r#"{"colour":"red"}"#).is_err());
        let rule: FenceRule = serde_json::from_str(r#"{"dwell_min":-1}"#).unwrap();
        assert!(rule.check().is_err());
    }

    #[test]
    fn ship_categories() {
        assert_eq!(ShipCategory::from_ais_type(30), ShipCategory::Fishing);
        assert_eq!(ShipCategory::from_ais_type(84), ShipCategory::Tanker);
        assert_eq!(ShipCategory::from_ais_type(0), ShipCategory::Other);
    }
}
