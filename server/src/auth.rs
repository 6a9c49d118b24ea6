//! Bearer-token authentication and role checks.
//!
//! The [`authenticate`] middleware turns `Authorization: Bearer <token>` into a [`Caller`]
//! (or refuses an unknown token with 401); handlers then ask the caller for the role they
//! need with [`Caller::require`] or [`Caller::require_read`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::config::AuthConfig;
use crate::error::AppError;
use crate::state::AppState;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Handles alerts, edits geofences and vehicles.
    Dispatcher,
    /// Edits risk points, cameras and geofences; runs coverage planning.
    Planner,
    /// Feeds AIS, vehicle fixes and detections.
    Ingest,
    /// Everything.
    Admin,
}

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's name.
    pub name: String,
    /// The user's roles.
    pub roles: Vec<Role>,
}

/// The tokens the server knows.
#[derive(Debug, Default)]
pub struct Tokens {
    by_token: HashMap<String, Arc<User>>,
    open_reads: bool,
}

impl Tokens {
    /// Builds the token table from the config.
    pub fn new(config: &AuthConfig) -> Self {
        let by_token = config
            .tokens
            .iter()
            .map(|t| {
                (
                    t.token.clone(),
                    Arc::new(User {
                        name: t.user.clone(),
                        roles: t.roles.clone(),
                    }),
                )
            })
            .collect();
        Self {
            by_token,
            open_reads: config.open_reads,
        }
    }
}

impl Tokens {
    /// The caller a token stands for (for clients that pass it as a query parameter).
    pub fn caller(&self, token: &str) -> Result<Caller, AppError> {
        let user = self
            .by_token
            .get(token.trim())
            .cloned()
            .ok_or_else(|| AppError::Unauthorized("unknown token".into()))?;
        Ok(Caller {
            user: Some(user),
            open_reads: self.open_reads,
        })
    }
}

/// Who is calling: a known user, or nobody (no token sent).
#[derive(Debug, Clone)]
pub struct Caller {
    user: Option<Arc<User>>,
    open_reads: bool,
}

impl Caller {
    /// The user, when a valid token was sent.
    pub fn user(&self) -> Option<&User> {
        self.user.as_deref()
    }

    /// Succeeds when the caller has one of `roles` (admins always do).
    pub fn require(&self, roles: &[Role]) -> Result<&User, AppError> {
        let user = self.user.as_deref().ok_or_else(|| {
            AppError::Unauthorized(
                "this request needs a bearer token (Authorization: Bearer <token>)".into(),
            )
        })?;
        if user
            .roles
            .iter()
            .any(|r| *r == Role::Admin || roles.contains(r))
        {
            Ok(user)
        } else {
            let wanted: Vec<String> = roles
                .iter()
                .map(|r| format!("{r:?}").to_lowercase())
                .collect();
            Err(AppError::Forbidden(format!(
                "user {:?} needs one of the roles {}",
                user.name,
                wanted.join(", ")
            )))
        }
    }

    /// Succeeds for reads: always when reads are open, otherwise with any role.
    pub fn require_read(&self) -> Result<(), AppError> {
        if self.open_reads {
            return Ok(());
        }
        self.require(&[Role::Viewer, Role::Dispatcher, Role::Planner, Role::Ingest])
            .map(|_| ())
    }
}

/// Middleware: resolves the bearer token into a [`Caller`] request extension.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let tokens = &state.tokens;
    let user = match request.headers().get(AUTHORIZATION) {
        None => None,
        Some(value) => {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    AppError::Unauthorized(
                        "the Authorization header must be \"Bearer <token>\"".into(),
                    )
                })?;
            Some(
                tokens
                    .by_token
                    .get(token.trim())
                    .cloned()
                    .ok_or_else(|| AppError::Unauthorized("unknown token".into()))?,
            )
        }
    };
    request.extensions_mut().insert(Caller {
        user,
        open_reads: tokens.open_reads,
    });
    Ok(next.run(request).await)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| AppError::Internal("authentication middleware is not installed".into()))
    }
}
