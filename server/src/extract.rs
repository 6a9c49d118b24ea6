//! Request helpers shared by the routes: JSON bodies, query parameters, base URLs.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HOST};
use geo::{Rect, coord};
use serde_json::Value;

use crate::error::AppError;

/// A JSON request body, parsed with errors that say where it is broken.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !content_type.is_empty() && !content_type.contains("json") {
            return Err(AppError::UnsupportedMediaType(format!(
                "expected a JSON body (application/json or application/geo+json), got {content_type}"
            )));
        }
        let bytes = read_body(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| AppError::bad_request(format!("body is not valid JSON: {e}")))
    }
}

/// A JSON value as a typed body; the error names what does not fit.
pub fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| AppError::bad_request(format!("body: {e}")))
}

/// Reads a whole body, turning the size limit into a 413.
pub async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::bad_request(format!("cannot read the request body: {rejection}"))
            }
        })
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
