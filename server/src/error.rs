//! The one error type of the HTTP API: JSON `{"error": "...", "detail": ...}` with the right status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coastwatch_spatial::{ModelError, StoreError};
use serde_json::{Value, json};

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
    /// The body is larger than the configured limit (413).
    #[error("request body is larger than the server accepts (server.body_limit_bytes)")]
    PayloadTooLarge,
    /// The body's media type is not accepted (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A failure on our side (500); the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// A 400 with a message only.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into(), None)
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(..) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
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
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
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
        }
    }
}
