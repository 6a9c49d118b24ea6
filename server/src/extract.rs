//! Request helpers shared by the routes: JSON bodies, query parameters, base URLs, pages.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use geo::{Rect, coord};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;

use crate::config::{ServerConfig, is_authority};
use crate::error::AppError;
use crate::state::AppState;

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

/// The largest `offset` accepted: the stores count rows in signed 64-bit integers.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// Parses a page's `limit` (1 to `max`, `default` when absent) and `offset` (0 to
/// [`MAX_OFFSET`], 0 when absent); anything else is a 400 that names the bounds and the
/// config key `server.max_page_features`.
pub fn page_bounds(
    limit: Option<&str>,
    offset: Option<&str>,
    default: u64,
    max: u64,
) -> Result<(u64, u64), AppError> {
    let limit = match limit {
        None => default.min(max),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "limit {:?} must be an integer from 1 to {max} (server.max_page_features)",
                    clip(text)
                ))
            })?,
    };
    let offset = match offset {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|o| *o <= MAX_OFFSET)
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "offset {:?} must be an integer from 0 to {MAX_OFFSET}",
                    clip(text)
                ))
            })?,
    };
    Ok((limit, offset))
}

/// The base URL of links in responses (TileJSON, `style.json`, OGC API links), with no
/// trailing slash.
///
/// It is `server.public_url` when that is set. Otherwise it is `http://<Host>`, the `Host`
/// header checked to be `host[:port]` (anything else is a 400, so that a forged header cannot
/// put markup or another path into a link). `X-Forwarded-Proto` and `X-Forwarded-Host` are
/// believed only when the connection's peer is one of `server.trusted_proxies`; without the
/// peer's address (a server not started with connect info) no peer is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|ConnectInfo(address)| address.ip());
        let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
        base_url(
            &state.config.server,
            &parts.headers,
            authority.as_deref(),
            peer,
        )
        .map(BaseUrl)
    }
}

/// The base URL for a request with `headers` from `peer` (see [`BaseUrl`]); `authority` is the
/// request URI's, used when there is no `Host` header (HTTP/2).
pub fn base_url(
    server: &ServerConfig,
    headers: &HeaderMap,
    authority: Option<&str>,
    peer: Option<IpAddr>,
) -> Result<String, AppError> {
    if let Some(url) = &server.public_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let trusted = peer.is_some_and(|peer| {
        server
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.to_canonical() == peer.to_canonical())
    });
    // the first value of a header, when present; a value that is not text is refused
    let first = |name: &str| -> Result<Option<&str>, AppError> {
        match headers.get(name) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map(|v| v.split(',').next().map(str::trim))
                .map_err(|_| AppError::bad_request(format!("the {name} header is not text"))),
        }
    };
    let (scheme, forwarded_host) = if trusted {
        let scheme = match first("x-forwarded-proto")? {
            None => "http",
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            Some(p) if p.eq_ignore_ascii_case("http") => "http",
            Some(p) => {
                return Err(AppError::bad_request(format!(
                    "X-Forwarded-Proto {:?} is neither http nor https",
                    clip(p)
                )));
            }
        };
        (scheme, first("x-forwarded-host")?)
    } else {
        ("http", None)
    };
    let host = match forwarded_host {
        Some(host) => host,
        None => first(HOST.as_str())?.or(authority).unwrap_or("localhost"),
    };
    if !is_authority(host) {
        return Err(AppError::bad_request(format!(
            "host {:?} is not host[:port]; set server.public_url when clients reach the server under another name",
            clip(host)
        )));
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// At most the first 64 characters of a header, for an error message.
fn clip(text: &str) -> &str {
    text.char_indices()
        .nth(64)
        .map_or(text, |(end, _)| &text[..end])
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

    #[test]
    fn pages() {
        assert_eq!(page_bounds(None, None, 100, 10).unwrap(), (10, 0));
        assert_eq!(page_bounds(Some("7"), Some("3"), 5, 10).unwrap(), (7, 3));
        let max = MAX_OFFSET.to_string();
        assert_eq!(page_bounds(None, Some(&max), 5, 10).unwrap().1, MAX_OFFSET);
        for (limit, offset) in [
            (Some("11"), None),
            (Some("0"), None),
            (None, Some("18446744073709551615")),
            (None, Some("9223372036854775808")),
            (None, Some("-1")),
        ] {
            assert!(
                page_bounds(limit, offset, 5, 10).is_err(),
                "{limit:?} {offset:?}"
            );
        }
    }

    #[test]
    fn base_urls() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().unwrap());
            }
            map
        };
        let mut server = ServerConfig {
            trusted_proxies: vec!["10.0.0.2".parse().unwrap()],
            ..ServerConfig::default()
        };
        let proxy: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let forwarded = headers(&[
            ("host", "Inner:8080"),
            ("x-forwarded-proto", "https, http"),
            ("x-forwarded-host", "maps.example, inner"),
        ]);
        assert_eq!(
            base_url(&server, &forwarded, None, Some(client)).unwrap(),
            "http://inner:8080"
        );
        assert_eq!(
            base_url(&server, &forwarded, None, Some(proxy)).unwrap(),
            "https://maps.example"
        );
        assert_eq!(
            base_url(&server, &forwarded, None, None).unwrap(),
            "http://inner:8080"
        );
        assert_eq!(
            base_url(&server, &HeaderMap::new(), Some("h2.example"), None).unwrap(),
            "http://h2.example"
        );
        let evil = headers(&[("host", "evil.com/\"><script>")]);
        assert!(base_url(&server, &evil, None, None).is_err());
        server.public_url = Some("https://gis.example/cw/".into());
        assert_eq!(
            base_url(&server, &evil, None, None).unwrap(),
            "https://gis.example/cw"
        );
    }
}
