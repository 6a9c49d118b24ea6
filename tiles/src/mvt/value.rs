//! Typed feature property values, as in the MVT `Value` message.

use std::fmt;

/// A feature property value; each variant is one field of the MVT `Value` message.
///
/// The `From` conversions choose the encoding: `i64`/`i32` become [`Value::SInt`]
/// (zigzag, compact for negative numbers), `u64`/`u32` become [`Value::UInt`],
/// `f64` becomes [`Value::Double`], `f32` becomes [`Value::Float`].
///
/// ```
/// use coastwatch_tiles::mvt::Value;
/// assert_eq!(Value::from(-3i64), Value::SInt(-3));
/// assert_eq!(Value::from("dock"), Value::String("dock".into()));
/// assert_eq!(Value::from_json(&serde_json::json!(2.5)), Some(Value::Double(2.5)));
/// assert_eq!(Value::from_json(&serde_json::Value::Null), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `string_value` (field 1).
    String(String),
    /// `float_value` (field 2).
    Float(f32),
    /// `double_value` (field 3).
    Double(f64),
    /// `int_value` (field 4, plain varint).
    Int(i64),
    /// `uint_value` (field 5).
    UInt(u64),
    /// `sint_value` (field 6, zigzag varint).
    SInt(i64),
    /// `bool_value` (field 7).
    Bool(bool),
}

impl Value {
    /// Converts a JSON property; `null` gives `None`, arrays and objects become their
    /// JSON text (MVT has no nested values).
    #[must_use]
    pub fn from_json(json: &serde_json::Value) -> Option<Value> {
        Some(match json {
            serde_json::Value::Null => return None,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Value::UInt(u)
                } else if let Some(i) = n.as_i64() {
                    Value::SInt(i)
                } else {
                    Value::Double(n.as_f64()?)
                }
            }
            serde_json::Value::String(s) => Value::String(s.clone()),
            other => Value::String(other.to_string()),
        })
    }

    /// The value as JSON (non-finite floats become `null`).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Float(f) => serde_json::Number::from_f64(f64::from(*f))
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Double(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Int(i) | Value::SInt(i) => serde_json::Value::from(*i),
            Value::UInt(u) => serde_json::Value::from(*u),
            Value::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            Value::Float(v) => v.fmt(f),
            Value::Double(v) => v.fmt(f),
            Value::Int(v) | Value::SInt(v) => v.fmt(f),
            Value::UInt(v) => v.fmt(f),
            Value::Bool(v) => v.fmt(f),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(s.clone())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::SInt(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::SInt(i64::from(v))
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::UInt(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::UInt(u64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_pick_compact_types() {
        assert_eq!(
            Value::from_json(&serde_json::json!(7)),
            Some(Value::UInt(7))
        );
        assert_eq!(
            Value::from_json(&serde_json::json!(-7)),
            Some(Value::SInt(-7))
        );
        assert_eq!(
            Value::from_json(&serde_json::json!([1, 2])),
            Some(Value::String("[1,2]".into()))
        );
        assert_eq!(Value::SInt(-7).to_json(), serde_json::json!(-7));
        assert_eq!(Value::Double(f64::NAN).to_json(), serde_json::Value::Null);
    }
}
