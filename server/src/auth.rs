//! Bearer-token authentication and role checks.
//!
//! The [`authenticate`] middleware turns `Authorization: Bearer <token>` into a [`Caller`]
//! (or refuses an unknown token with 401); handlers then ask the caller for the role they
//! need with [`Caller::require`] or [`Caller::require_read`], before they read a body.
//!
//! Tokens are kept only as SHA-256 hashes: a presented token is hashed and the hash looked
//! up, so no comparison ever runs over a secret. Failed authentications are counted per peer
//! address; past `auth.max_failures_per_minute` the peer's token attempts get 429 until its
//! minute is over.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use coastwatch_core::command::Scope;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's name.
    pub name: String,
    /// The user's roles.
    pub roles: Vec<Role>,
    /// What the user may act on (its agency and/or town).
    pub scope: Scope,
}

impl User {
    /// Who reads without a token where reads are open: no roles, no scope.
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".into(),
            roles: Vec::new(),
            scope: Scope::default(),
        }
    }
}

/// The SHA-256 of `text`.
pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The SHA-256 of `text` as 64 lowercase hex digits, the form of `token_sha256`.
pub fn sha256_hex(text: &str) -> String {
    sha256(text).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads 64 hex digits (either case) as a SHA-256.
pub fn from_hex(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim().as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let digit = |c: u8| char::from(c).to_digit(16);
        *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

/// Where a request came from, as the failure limit counts it: the IPv4 address, the /64 of
/// an IPv6 address, or unknown (no `ConnectInfo`: all such requests share one count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Peer(Option<IpAddr>);

impl Peer {
    /// The peer of a socket address.
    pub fn of(address: SocketAddr) -> Self {
        let ip = match address.ip() {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
            },
            v4 => v4,
        };
        Self(Some(ip))
    }

    /// The peer of a request served with `into_make_service_with_connect_info`.
    fn of_request(request: &Request) -> Self {
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(Self::default, |info| Self::of(info.0))
    }
}

/// How long a peer's failures are counted before its count starts again.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Peers whose failures are tracked at once; beyond, new peers share the unknown peer's count.
const MAX_TRACKED_PEERS: usize = 10_000;

/// Failed authentications per peer in fixed one-minute windows.
#[derive(Debug, Default)]
struct Failures {
    max_per_window: u32,
    windows: Mutex<HashMap<Peer, (Instant, u32)>>,
}

impl Failures {
    /// 429 when `peer` has used up its failures in the current window.
    fn check(&self, peer: Peer, now: Instant) -> Result<(), AppError> {
        if self.max_per_window == 0 {
            return Ok(());
        }
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        match windows.get(&peer) {
            Some(&(started, count))
                if count >= self.max_per_window && now.duration_since(started) < FAILURE_WINDOW =>
            {
                let left = FAILURE_WINDOW - now.duration_since(started);
                let retry_after_s = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                Err(AppError::TooManyRequests(
                    format!(
                        "too many failed authentications from this address; retry in {retry_after_s} s \
                         (auth.max_failures_per_minute = {})",
                        self.max_per_window
                    ),
                    retry_after_s,
                ))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure of `peer`.
    fn record(&self, peer: Peer, now: Instant) {
        if self.max_per_window == 0 {
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut key = peer;
        if !windows.contains_key(&peer) && windows.len() >= MAX_TRACKED_PEERS {
            windows.retain(|_, (started, _)| now.duration_since(*started) < FAILURE_WINDOW);
            if windows.len() >= MAX_TRACKED_PEERS {
                key = Peer::default();
            }
        }
        let window = windows.entry(key).or_insert((now, 0));
        if now.duration_since(window.0) >= FAILURE_WINDOW {
            *window = (now, 0);
        }
        window.1 = window.1.saturating_add(1);
    }
}

/// The tokens the server knows, by the SHA-256 of the secret.
#[derive(Debug, Default)]
pub struct Tokens {
    by_hash: HashMap<[u8; 32], Arc<User>>,
    open_reads: bool,
    failures: Failures,
}

impl Tokens {
    /// Builds the token table from the (checked) config; warns about tokens in plain text.
    pub fn new(config: &AuthConfig) -> Self {
        let mut by_hash = HashMap::new();
        for t in &config.tokens {
            let hash = match t.sha256() {
                Ok(hash) => hash,
                Err(error) => {
                    tracing::error!(%error, "auth token ignored");
                    continue;
                }
            };
            if t.token.is_some() {
                tracing::warn!(
                    user = %t.user,
                    token_sha256 = %sha256_hex(t.token.as_deref().unwrap_or_default().trim()),
                    "auth token given in plain text; put token_sha256 in the config instead"
                );
            }
            by_hash.insert(
                hash,
                Arc::new(User {
                    name: t.user.clone(),
                    roles: t.roles.clone(),
                    scope: t.scope(),
                }),
            );
        }
        Self {
            by_hash,
            open_reads: config.open_reads,
            failures: Failures {
                max_per_window: config.max_failures_per_minute,
                windows: Mutex::default(),
            },
        }
    }

    /// The caller a token sent from `peer` stands for (also for clients that pass it as a
    /// query parameter). 401 for an unknown token, 429 while the peer has failed too often.
    pub fn caller(&self, token: &str, peer: Peer) -> Result<Caller, AppError> {
        let now = Instant::now();
        self.failures.check(peer, now)?;
        match self.by_hash.get(&sha256(token.trim())) {
            Some(user) => Ok(Caller {
                user: Some(user.clone()),
                open_reads: self.open_reads,
                peer,
            }),
            None => Err(self.refuse(peer, "unknown token")),
        }
    }

    /// Counts a failed authentication of `peer` and answers it: 401, or 429 past the limit.
    fn refuse(&self, peer: Peer, message: &str) -> AppError {
        let now = Instant::now();
        if let Err(too_many) = self.failures.check(peer, now) {
            return too_many;
        }
        self.failures.record(peer, now);
        AppError::Unauthorized(message.into())
    }
}

/// Who is calling: a known user, or nobody (no token sent).
#[derive(Debug, Clone)]
pub struct Caller {
    user: Option<Arc<User>>,
    open_reads: bool,
    peer: Peer,
}

impl Caller {
    /// Where the request came from.
    pub fn peer(&self) -> Peer {
        self.peer
    }

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

    /// Succeeds when the caller may read every feature of `layer` (in OGC items and tiles):
    /// the `cases` layer is not for users of one agency, who read the cases shared with them
    /// at `/api/v1/cases`.
    pub fn require_layer(&self, layer: coastwatch_core::Layer) -> Result<(), AppError> {
        self.require_read()?;
        match self.user() {
            Some(user) if layer == coastwatch_core::Layer::Cases && user.scope.agency.is_some() => {
                Err(AppError::Forbidden(format!(
                    "user {:?} reads only the cases shared with its agency: use /api/v1/cases",
                    user.name
                )))
            }
            _ => Ok(()),
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
    let peer = Peer::of_request(&request);
    let caller = match request.headers().get(AUTHORIZATION) {
        None => Caller {
            user: None,
            open_reads: tokens.open_reads,
            peer,
        },
        Some(value) => match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            Some(token) => tokens.caller(token, peer)?,
            None => {
                return Err(
                    tokens.refuse(peer, "the Authorization header must be \"Bearer <token>\"")
                );
            }
        },
    };
    request.extensions_mut().insert(caller);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenConfig;

    fn config(tokens: Vec<TokenConfig>) -> AuthConfig {
        AuthConfig {
            tokens,
            ..AuthConfig::default()
        }
    }

    #[test]
    fn tokens_are_kept_and_compared_as_hashes() {
        let hashed = TokenConfig {
            token: None,
            token_sha256: Some(sha256_hex("hashed-secret").to_uppercase()),
            user: "hana".into(),
            roles: vec![Role::Viewer],
            agency: None,
            town: None,
        };
        let tokens = Tokens::new(&config(vec![
            hashed,
            TokenConfig::plain("plain-secret", "pat", vec![Role::Planner]),
        ]));
        assert!(tokens.by_hash.contains_key(&sha256("plain-secret")));
        let peer = Peer::default();
        let hana = tokens.caller("hashed-secret", peer).unwrap();
        assert_eq!(hana.user().unwrap().name, "hana");
        assert_eq!(
            tokens
                .caller(" plain-secret ", peer)
                .unwrap()
                .user()
                .unwrap()
                .name,
            "pat"
        );
        assert!(
            matches!(
                tokens.caller(&sha256_hex("hashed-secret"), peer),
                Err(AppError::Unauthorized(_))
            ),
            "the hash itself is no token"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(from_hex(&sha256_hex("abc")), Some(sha256("abc")));
        assert_eq!(from_hex("xy"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn failures_are_limited_per_peer_and_window() {
        let failures = Failures {
            max_per_window: 3,
            windows: Mutex::default(),
        };
        let a = Peer::of("192.0.2.1:1000".parse().unwrap());
        let b = Peer::of("192.0.2.2:1000".parse().unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert!(failures.check(a, start).is_ok());
            failures.record(a, start);
        }
        let later = start + Duration::from_millis(20_500);
        match failures.check(a, later) {
            Err(AppError::TooManyRequests(message, retry_after_s)) => {
                assert_eq!(retry_after_s, 40);
                assert!(
                    message.contains("auth.max_failures_per_minute"),
                    "{message}"
                );
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(failures.check(b, later).is_ok(), "other peers are not held");
        assert!(
            failures.check(a, start + FAILURE_WINDOW).is_ok(),
            "a new minute"
        );
        failures.record(a, start + FAILURE_WINDOW);
        assert!(
            failures.check(a, start + FAILURE_WINDOW).is_ok(),
            "counted anew"
        );

        let off = Failures::default();
        for _ in 0..100 {
            off.record(a, start);
        }
        assert!(off.check(a, start).is_ok(), "0 turns the limit off");
    }

    #[test]
    fn peers_are_addresses_and_ipv6_networks() {
        let of = |text: &str| Peer::of(text.parse().unwrap());
        assert_eq!(of("[2001:db8:1:2::1]:80"), of("[2001:db8:1:2:ffff::9]:443"));
        assert_ne!(of("[2001:db8:1:2::1]:80"), of("[2001:db8:1:3::1]:80"));
        assert_eq!(of("[::ffff:192.0.2.1]:80"), of("192.0.2.1:9"));
        assert_ne!(of("192.0.2.1:80"), of("192.0.2.2:80"));
    }

    #[test]
    fn tracked_peers_are_bounded() {
        let failures = Failures {
            max_per_window: 5,
            windows: Mutex::default(),
        };
        let now = Instant::now();
        for i in 0..(MAX_TRACKED_PEERS as u32 + 10) {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            failures.record(Peer::of(SocketAddr::new(ip.into(), 1)), now);
        }
        let windows = failures.windows.lock().unwrap();
        assert!(windows.len() <= MAX_TRACKED_PEERS + 1);
        assert_eq!(
            windows[&Peer::default()].1,
            10,
            "the overflow shares one count"
        );
    }
}
