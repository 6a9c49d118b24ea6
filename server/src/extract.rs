//! Request helpers shared by the routes: JSON bodies, query parameters, base URLs.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use geo::{Rect, coord};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;

use crate::config::ServerConfig;
use crate::error::AppError;

/// The routes' body limits (`server.body_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// AIS lines and vehicle fixes.
    Ingest,
    /// Alert actions and tips.
    Alerts,
    /// Feature writes.
    Features,
    /// Coverage suggestions.
    Coverage,
}

/// A body size limit and the config key that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    /// The most bytes read.
    pub bytes: usize,
    /// The config key, named in the 413.
    pub key: &'static str,
}

impl BodyLimit {
    /// The limit of `kind`: the route's own, or `server.body_limit_bytes` when that is lower.
    pub fn of(config: &ServerConfig, kind: BodyKind) -> Self {
        let limits = &config.body_limits;
        let (bytes, key) = match kind {
            BodyKind::Ingest => (limits.ingest_bytes, "server.body_limits.ingest_bytes"),
            BodyKind::Alerts => (limits.alerts_bytes, "server.body_limits.alerts_bytes"),
            BodyKind::Features => (limits.features_bytes, "server.body_limits.features_bytes"),
            BodyKind::Coverage => (limits.coverage_bytes, "server.body_limits.coverage_bytes"),
        };
        if config.body_limit_bytes < bytes {
            Self {
                bytes: config.body_limit_bytes,
                key: "server.body_limit_bytes",
            }
        } else {
            Self { bytes, key }
        }
    }
}

/// Reads a JSON body under `limit`, with errors that say where it is broken. Call it only
/// once the caller's role is checked: nothing of the body is read before.
pub async fn json_body(request: Request, limit: BodyLimit) -> Result<Value, AppError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.is_empty() && !content_type.contains("json") {
        return Err(AppError::UnsupportedMediaType(format!(
            "expected a JSON body (application/json or application/geo+json), got {content_type}"
        )));
    }
    let bytes = read_body(request, limit).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| AppError::bad_request(format!("body is not valid JSON: {e}")))
}

/// A JSON value as a typed body; the error names what does not fit.
pub fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| AppError::bad_request(format!("body: {e}")))
}

/// Reads a whole body under `limit` (413 naming the limit's key): a declared
/// `Content-Length` above it is refused before anything is read, and a streamed body as soon
/// as it passes it. Call it only once the caller's role is checked.
pub async fn read_body(request: Request, limit: BodyLimit) -> Result<Bytes, AppError> {
    let too_large = || AppError::PayloadTooLarge {
        limit_bytes: limit.bytes,
        key: limit.key,
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.bytes as u64) {
        return Err(too_large());
    }
    match Limited::new(request.into_body(), limit.bytes)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(too_large()),
        Err(error) => Err(AppError::bad_request(format!(
            "cannot read the request body: {error}"
        ))),
    }
}

/// 400 when the free-text field `field` has more than `max_chars` characters
/// (`server.body_limits.text_chars`).
pub fn check_text(field: &str, value: &str, max_chars: usize) -> Result<(), AppError> {
    if value.chars().nth(max_chars).is_some() {
        return Err(AppError::BadRequest(
            format!(
                "{field} is longer than {max_chars} characters (server.body_limits.text_chars)"
            ),
            Some(serde_json::json!({ "field": field })),
        ));
    }
    Ok(())
}

/// [`check_text`] on every string inside `value`, named by its path from `field`
/// (`properties.name`, `properties.tags[2]`).
pub fn check_texts(field: &str, value: &Value, max_chars: usize) -> Result<(), AppError> {
    match value {
        Value::String(text) => check_text(field, text, max_chars),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_texts(&format!("{field}[{i}]"), item, max_chars)),
        Value::Object(members) => members
            .iter()
            .try_for_each(|(key, item)| check_texts(&format!("{field}.{key}"), item, max_chars)),
        _ => Ok(()),
    }
}

/// Parses `minlon,minlat,maxlon,maxlat` (a 6-number bbox with heights is accepted too).
pub fn parse_bbox(text: &str) -> Result<Rect, AppError> {
    let numbers: Result<Vec<f64>, _> = text.split(',').map(|n| n.trim().parse::<f64>()).collect();
    let bad = |why: &str| AppError::bad_request(format!("bbox {text:?} {why}"));
    let n = numbers.map_err(|_| bad("must be numbers separated by commas"))?;
    let [w, s, e, nn] = match n.as_slice() {
        [w, s, e, n] => [*w, *s, *e, *n],
        [w, s, _, e, n, _] => [*w, *s, *e, *n],
        _ => {
            return Err(bad(
                "must have 4 numbers: min lon, min lat, max lon, max lat",
            ));
        }
    };
    if !(w.is_finite()
        && e.is_finite()
        && (-180.0..=180.0).contains(&w)
        && (-180.0..=180.0).contains(&e))
    {
        return Err(bad("has a longitude outside -180..180"));
    }
    if !((-90.0..=90.0).contains(&s) && (-90.0..=90.0).contains(&nn)) {
        return Err(bad("has a latitude outside -90..90"));
    }
    if s > nn {
        return Err(bad("has min lat above max lat"));
    }
    if w > e {
        return Err(bad("crosses the antimeridian, which is not supported"));
    }
    Ok(Rect::new(coord! { x: w, y: s }, coord! { x: e, y: nn }))
}

/// The base URL clients used to reach us: the configured one, or `http://<Host>`.
pub fn base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bboxes() {
        let r = parse_bbox("121.4,29.45,121.8,29.7").unwrap();
        assert_eq!((r.min().x, r.max().y), (121.4, 29.7));
        assert!(parse_bbox("1,2,3").is_err());
        assert!(parse_bbox("a,b,c,d").is_err());
        assert!(
            parse_bbox("170,0,-170,1")
                .unwrap_err()
                .to_string()
                .contains("antimeridian")
        );
        assert!(parse_bbox("0,95,1,96").is_err());
        assert!(parse_bbox("0,0,0,1,1,0").is_ok());
    }
}
