//! Conversion of OGR field values to the JSON type a layer's field wants.

use coastwatch_core::layer::FieldType;
use gdal::vector::FieldValue;
use serde_json::{Number, Value};

/// RFC 3339 text of an OGR date-time (`gdal` builds chrono without its own formatter).
macro_rules! rfc3339 {
    ($t:expr) => {
        format!("{}T{}{}", $t.date_naive(), $t.time(), $t.offset())
    };
}

/// Converts `value` to the JSON type of `ty`.
///
/// `Ok(None)` means "absent": an empty string, which CSV and Shapefile use for null.
/// The error is a short reason for the reject.
pub(super) fn convert(value: FieldValue, ty: FieldType) -> Result<Option<Value>, String> {
    if matches!(&value, FieldValue::StringValue(s) if s.trim().is_empty()) {
        return Ok(None);
    }
    match ty {
        FieldType::Text => to_text(value),
        FieldType::Integer => to_integer(value).map(Value::from),
        FieldType::Real => to_real(value).and_then(number),
        FieldType::Bool => to_bool(value).map(Value::Bool),
        FieldType::Json => to_json(value),
    }
    .map(Some)
}

fn to_text(value: FieldValue) -> Result<Value, String> {
    Ok(Value::String(match value {
        FieldValue::StringValue(s) => s,
        FieldValue::IntegerValue(n) => n.to_string(),
        FieldValue::Integer64Value(n) => n.to_string(),
        FieldValue::RealValue(x) => x.to_string(),
        FieldValue::DateValue(d) => d.to_string(),
        FieldValue::DateTimeValue(t) => rfc3339!(t),
        list => return Err(format!("{} is a list, not text", describe(&list))),
    }))
}

fn to_integer(value: FieldValue) -> Result<i64, String> {
    let real = match value {
        FieldValue::IntegerValue(n) => return Ok(n.into()),
        FieldValue::Integer64Value(n) => return Ok(n),
        // Epoch seconds: the layers keep times as integers.
        FieldValue::DateTimeValue(t) => return Ok(t.timestamp()),
        FieldValue::DateValue(d) => {
            return Ok(d.and_time(Default::default()).and_utc().timestamp());
        }
        FieldValue::StringValue(s) => match s.trim().parse::<i64>() {
            Ok(n) => return Ok(n),
            Err(_) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("{s:?} is not an integer"))?,
        },
        FieldValue::RealValue(x) => x,
        list => return Err(format!("{} is a list, not an integer", describe(&list))),
    };
    // Integral reals within the range where f64 holds every integer exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if real.fract() == 0.0 && real.abs() <= EXACT {
        Ok(real as i64)
    } else {
        Err(format!("{real} is not an integer"))
    }
}

fn to_real(value: FieldValue) -> Result<f64, String> {
    match value {
        FieldValue::IntegerValue(n) => Ok(n.into()),
        FieldValue::Integer64Value(n) => Ok(n as f64),
        FieldValue::RealValue(x) => Ok(x),
        FieldValue::StringValue(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number")),
        other => Err(format!("{} is not a number", describe(&other))),
    }
}

fn number(x: f64) -> Result<Value, String> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("{x} is not a finite number"))
}

fn to_bool(value: FieldValue) -> Result<bool, String> {
    let not_bool = |what: String| format!("{what} is not a boolean (true/false, 1/0, yes/no)");
    match value {
        FieldValue::IntegerValue(n) if n == 0 || n == 1 => Ok(n == 1),
        FieldValue::Integer64Value(n) if n == 0 || n == 1 => Ok(n == 1),
        FieldValue::RealValue(x) if x == 0.0 || x == 1.0 => Ok(x == 1.0),
        FieldValue::StringValue(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(not_bool(format!("{s:?}"))),
        },
        other => Err(not_bool(describe(&other))),
    }
}

fn to_json(value: FieldValue) -> Result<Value, String> {
    match value {
        // OGR hands JSON objects and arrays over as text (subtype JSON).
        FieldValue::StringValue(s) => {
            serde_json::from_str(&s).map_err(|e| format!("not a JSON document: {e}"))
        }
        FieldValue::IntegerValue(n) => Ok(n.into()),
        FieldValue::Integer64Value(n) => Ok(n.into()),
        FieldValue::RealValue(x) => number(x),
        FieldValue::StringListValue(v) => Ok(v.into()),
        FieldValue::IntegerListValue(v) => Ok(v.into()),
        FieldValue::Integer64ListValue(v) => Ok(v.into()),
        FieldValue::RealListValue(v) => v
            .into_iter()
            .map(number)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        FieldValue::DateValue(d) => Ok(d.to_string().into()),
        FieldValue::DateTimeValue(t) => Ok(rfc3339!(t).into()),
    }
}

/// A value for a reject reason.
fn describe(value: &FieldValue) -> String {
    match value {
        FieldValue::IntegerValue(n) => n.to_string(),
        FieldValue::Integer64Value(n) => n.to_string(),
        FieldValue::RealValue(x) => x.to_string(),
        FieldValue::StringValue(s) => format!("{s:?}"),
        FieldValue::DateValue(d) => format!("date {d}"),
        FieldValue::DateTimeValue(t) => format!("date-time {}", rfc3339!(t)),
        FieldValue::IntegerListValue(v) => format!("{v:?}"),
        FieldValue::Integer64ListValue(v) => format!("{v:?}"),
        FieldValue::RealListValue(v) => format!("{v:?}"),
        FieldValue::StringListValue(v) => format!("{v:?}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(s: &str) -> FieldValue {
        FieldValue::StringValue(s.to_owned())
    }

    #[test]
    fn integers_from_text_and_integral_reals() {
        assert_eq!(
            convert(text(" 12 "), FieldType::Integer),
            Ok(Some(json!(12)))
        );
        assert_eq!(
            convert(text("12.0"), FieldType::Integer),
            Ok(Some(json!(12)))
        );
        assert_eq!(
            convert(FieldValue::RealValue(7.0), FieldType::Integer),
            Ok(Some(json!(7)))
        );
        assert_eq!(
            convert(text("x"), FieldType::Integer),
            Err("\"x\" is not an integer".to_owned())
        );
        assert!(convert(FieldValue::RealValue(7.5), FieldType::Integer).is_err());
    }

    #[test]
    fn booleans_from_words_and_digits() {
        for (s, b) in [
            ("true", true),
            ("Yes", true),
            ("1", true),
            ("false", false),
            ("NO", false),
            ("0", false),
        ] {
            assert_eq!(convert(text(s), FieldType::Bool), Ok(Some(json!(b))), "{s}");
        }
        assert_eq!(
            convert(FieldValue::IntegerValue(1), FieldType::Bool),
            Ok(Some(json!(true)))
        );
        assert!(convert(FieldValue::IntegerValue(2), FieldType::Bool).is_err());
        assert!(
            convert(text("maybe"), FieldType::Bool)
                .unwrap_err()
                .contains("\"maybe\" is not a boolean")
        );
    }

    #[test]
    fn json_from_text_and_lists() {
        assert_eq!(
            convert(text(r#"{"detect":"enter"}"#), FieldType::Json),
            Ok(Some(json!({"detect": "enter"})))
        );
        assert_eq!(
            convert(
                FieldValue::StringListValue(vec!["a".into(), "b".into()]),
                FieldType::Json
            ),
            Ok(Some(json!(["a", "b"])))
        );
        assert!(
            convert(text("{oops"), FieldType::Json)
                .unwrap_err()
                .starts_with("not a JSON document")
        );
    }

    #[test]
    fn empty_text_is_absent_and_numbers_become_text() {
        assert_eq!(convert(text(""), FieldType::Text), Ok(None));
        assert_eq!(convert(text("  "), FieldType::Bool), Ok(None));
        assert_eq!(
            convert(FieldValue::IntegerValue(42), FieldType::Text),
            Ok(Some(json!("42")))
        );
        assert_eq!(convert(text("2.5"), FieldType::Real), Ok(Some(json!(2.5))));
        assert!(convert(text("NaN"), FieldType::Real).is_err());
    }
}
