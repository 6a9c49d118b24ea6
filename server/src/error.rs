//! The one error type of the HTTP API: JSON `{"error": "...", "detail": ...}` with the right status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coastwatch_core::ModelError;
use coastwatch_store::StoreError;
use serde_json::{Value, json};

/// Seconds a client is asked to wait before it retries a write the store could not take.
const RETRY_AFTER_S: &str = "5";

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The request is malformed or its content breaks a rule (400).
    #[error("{0}")]
    BadRequest(String, Option<Value>),
    /// No or unknown credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Known user without the needed role (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there (404).
    #[error("{0}")]
    NotFound(String),
    /// The write collides with existing data (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the limit set by the config key `key` (413).
    #[error("request body is larger than {limit_bytes} bytes ({key})")]
    PayloadTooLarge {
        /// The limit (bytes).
        limit_bytes: usize,
        /// The config key that sets it.
        key: &'static str,
    },
    /// The body's media type is not accepted (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The store cannot take writes now (disk full, database down); nothing was kept, and
    /// the same request may be sent again later (503 with `Retry-After`).
    #[error("the store cannot write now ({0}); nothing was stored, try again later")]
    Unavailable(String),
    /// Too many failed attempts; retry after the given seconds (429 with `Retry-After`).
    #[error("{0}")]
    TooManyRequests(String, u64),
    /// A failure on our side (500); the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// A 400 with a message only.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into(), None)
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(..) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            Self::BadRequest(_, detail) => detail.clone().unwrap_or(Value::Null),
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Value::Null
            }
            _ => Value::Null,
        };
        let mut response = (
            status,
            Json(json!({ "error": self.to_string(), "detail": detail })),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                "retry-after",
                axum::http::HeaderValue::from_static(RETRY_AFTER_S),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Self::TooManyRequests(_, retry_after_s) = &self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, (*retry_after_s).into());
        }
        response
    }
}

impl From<ModelError> for AppError {
    fn from(error: ModelError) -> Self {
        Self::bad_request(error.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid { index, source } => Self::BadRequest(
                format!("feature {index}: {source}"),
                Some(json!({ "feature": index })),
            ),
            e @ StoreError::Conflict { .. } => Self::Conflict(e.to_string()),
            e if e.is_unavailable() => Self::Unavailable(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::state::StartError> for AppError {
    fn from(error: crate::state::StartError) -> Self {
        match error {
            crate::state::StartError::Store(e) => e.into(),
            crate::state::StartError::Model(e) => e.into(),
            crate::state::StartError::Webhooks(e) => Self::Internal(e.to_string()),
            crate::state::StartError::Cluster(e) => Self::Unavailable(e.to_string()),
        }
    }
}
