//! Cross-origin requests from browsers (CORS) by allow-list: `server.cors_origins`.
//!
//! - Empty (the default): same-origin only. No CORS headers are sent, so a page of another
//!   origin cannot read responses, and preflights are refused.
//! - `"*"`: any origin may read (GET, HEAD): responses carry `Access-Control-Allow-Origin: *`.
//! - An origin by name (`https://ops.example`): it may read and write; its preflights allow
//!   every method and the `Authorization` header.
//!
//! Writes need a bearer token, and a browser sends `Authorization` cross-origin only after a
//! preflight; refusing the preflight of an origin not named is what keeps other sites'
//! scripts from writing with a user's token. No credentials (cookies) are ever allowed.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::ServerConfig;
use crate::error::AppError;

/// Methods a named origin may use.
const ALL_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";
/// Methods any origin may use under `"*"`.
const READ_METHODS: &str = "GET, HEAD";
/// Request headers a preflight allows.
const ALLOWED_HEADERS: &str = "authorization, content-type, if-none-match, last-event-id";
/// Response headers scripts of an allowed origin may read.
const EXPOSED_HEADERS: &str = "etag, location, x-coastwatch-time, x-tile-cache";

/// The allow-list, from `server.cors_origins`.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    /// `"*"` was listed: any origin may read.
    any_reads: bool,
    /// Origins listed by name, lowercase.
    named: HashSet<String>,
}

impl Cors {
    /// The allow-list of `config`.
    pub fn new(config: &ServerConfig) -> Arc<Self> {
        let any_reads = config.cors_origins.iter().any(|o| o == "*");
        let named = config
            .cors_origins
            .iter()
            .filter(|o| *o != "*")
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        Arc::new(Self { any_reads, named })
    }

    /// The `Access-Control-Allow-Origin` value for `origin` using `method`, when allowed.
    fn allow(&self, origin: &HeaderValue, method: &Method) -> Option<HeaderValue> {
        let named = origin
            .to_str()
            .is_ok_and(|o| self.named.contains(&o.to_ascii_lowercase()));
        if named {
            Some(origin.clone())
        } else if self.any_reads && matches!(*method, Method::GET | Method::HEAD) {
            Some(HeaderValue::from_static("*"))
        } else {
            None
        }
    }
}

/// Middleware: answers preflights and adds CORS headers for allowed origins.
pub async fn cors(State(cors): State<Arc<Cors>>, request: Request, next: Next) -> Response {
    if !cors.any_reads && cors.named.is_empty() {
        return next.run(request).await;
    }
    let Some(origin) = request.headers().get(ORIGIN).cloned() else {
        return next.run(request).await;
    };
    let preflight = (request.method() == Method::OPTIONS)
        .then(|| request.headers().get(ACCESS_CONTROL_REQUEST_METHOD))
        .flatten()
        .map(|m| Method::from_bytes(m.as_bytes()));
    if let Some(wanted) = preflight {
        let allowed = wanted
            .as_ref()
            .ok()
            .and_then(|method| cors.allow(&origin, method));
        let Some(allow_origin) = allowed else {
            let mut refused = AppError::Forbidden(format!(
                "origin {} may not send this request from a browser; list it in server.cors_origins",
                origin.to_str().unwrap_or("(not text)")
            ))
            .into_response();
            refused
                .headers_mut()
                .append(VARY, HeaderValue::from_static("origin"));
            return refused;
        };
        let methods = if allow_origin == "*" {
            READ_METHODS
        } else {
            ALL_METHODS
        };
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        headers.append(VARY, HeaderValue::from_static("origin"));
        return response;
    }
    let allowed = cors.allow(&origin, request.method());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(allow_origin) = allowed {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    headers.append(VARY, HeaderValue::from_static("origin"));
    response
}
