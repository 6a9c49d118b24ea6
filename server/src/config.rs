//! The one typed configuration: defaults → TOML file → environment → command-line flags.
//!
//! Environment variables are `COASTWATCH_<SECTION>__<KEY>`, e.g.
//! `COASTWATCH_STORE__LOCATION=postgres://…` or `COASTWATCH_SERVER__LISTEN=0.0.0.0:9000`.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use h3o::Resolution;
use serde::{Deserialize, Serialize};

use coastwatch_core::alerting::detect::DetectorConfig;
use coastwatch_core::geodesy::gcj02::Datum;

use crate::auth::Role;

/// A configuration that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl From<String> for ConfigError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

/// Everything the server and the commands can be told.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// HTTP server settings.
    pub server: ServerConfig,
    /// Where the data lives.
    pub store: StoreConfig,
    /// Who may do what.
    pub auth: AuthConfig,
    /// The monitored district.
    pub district: DistrictConfig,
    /// AIS feeds and the vessel picture.
    pub ais: AisConfig,
    /// Alert delivery.
    pub alerts: AlertsConfig,
    /// Thresholds of the behaviour detectors.
    pub detectors: DetectorConfig,
    /// The cameras the video core runs.
    pub vision: VisionConfig,
    /// The JT/T 808 platform vehicle terminals report to.
    pub jt808: Jt808Config,
    /// The command platform: cards, inspections.
    pub command: CommandConfig,
    /// Running as one node of a cluster over NATS JetStream (unset: one process does all).
    pub cluster: ClusterConfig,
}

/// What this node does in a cluster (`server/src/cluster.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Everything, alone: no cluster (the default).
    #[default]
    All,
    /// Takes the feeds and puts their decoded updates on the fixes stream; a feed's line is
    /// acknowledged once the stream has it.
    Ingest,
    /// Takes the fixes stream: the engines, the detectors, the alert book and the store.
    Core,
    /// Runs the cameras it holds the lease of (its fair share of `[[vision.cameras]]`) and
    /// puts their tracks on the fixes stream.
    Vision,
    /// Serves tiles, OGC API, the web map and the alert events of the events stream, with
    /// the same event numbers on every API node.
    Api,
}

/// The cluster: NATS JetStream carries the feeds' updates from ingest nodes to core nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// This node's role.
    pub role: NodeRole,
    /// The NATS servers (`nats://host:4222`, several separated by commas); needed by every
    /// role but `all`.
    pub nats: Option<String>,
    /// This node's name, in the ids of the messages it publishes (unset: the host name).
    pub node: Option<String>,
    /// Partitions of the fixes stream (subjects `coastwatch.fixes.<n>`): a vessel or vehicle
    /// always lands in the same one, so its fixes keep their order.
    pub partitions: u32,
    /// Copies JetStream keeps of each stream (3 in a cluster of three NATS servers).
    pub replicas: usize,
    /// Bytes the fixes stream keeps at most; the oldest messages go first.
    pub max_stream_bytes: i64,
    /// Seconds a core node has to store a message before JetStream delivers it again.
    pub ack_wait_s: u64,
    /// Messages a core node holds unacknowledged at most, per partition.
    pub max_ack_pending: i64,
    /// Seconds a core's lease lasts unrenewed: a standby core takes over within about this.
    pub lease_s: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            role: NodeRole::All,
            nats: None,
            node: None,
            partitions: 1,
            replicas: 1,
            max_stream_bytes: 8 << 30,
            ack_wait_s: 10,
            max_ack_pending: 1024,
            lease_s: 10,
        }
    }
}

/// The command platform's rules (`server/src/command.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandConfig {
    /// Days a unit has to rectify a yellow card; also the days after a rectification before
    /// the same condition may raise a new card.
    pub rectification_days: u32,
    /// An inspection recorded farther than this from its risk point is refused (m): the
    /// officer's phone must be at the site.
    pub inspection_max_distance_m: f64,
    /// Days between inspections, per risk-point kind (`dock = 30`, …); kinds not named use
    /// `inspection_default_days`.
    pub inspection_interval_days: std::collections::BTreeMap<coastwatch_core::model::RiskKind, u32>,
    /// Days between inspections of the kinds not named above.
    pub inspection_default_days: u32,
    /// Plates on the watch list at most (the detectors hold it in memory).
    pub watchlist_max: usize,
}

impl Default for CommandConfig {
    fn default() -> Self {
        use coastwatch_core::model::RiskKind;
        Self {
            rectification_days: 30,
            inspection_max_distance_m: 300.0,
            // fuel and cold chains are where refined oil and frozen goods land: checked twice
            // a month; the others monthly
            inspection_interval_days: [
                (RiskKind::OilDepot, 14),
                (RiskKind::FuelPoint, 14),
                (RiskKind::ColdStore, 14),
            ]
            .into_iter()
            .collect(),
            inspection_default_days: 30,
            watchlist_max: 100_000,
        }
    }
}

impl CommandConfig {
    /// Days between inspections of a risk point of `kind`.
    pub fn interval_days(&self, kind: coastwatch_core::model::RiskKind) -> u32 {
        self.inspection_interval_days
            .get(&kind)
            .copied()
            .unwrap_or(self.inspection_default_days)
    }
}

/// The JT/T 808 platform (`server/src/jt808.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Jt808Config {
    /// Accept terminals over TCP on this address (e.g. `0.0.0.0:7808`).
    pub listen: Option<SocketAddr>,
    /// Whether a terminal no vehicle is bound to may register: it gets a vehicle of class
    /// `other` (`vehicle_id` `jt808-{phone}`, the plate it sends). Off: it is refused.
    pub auto_register: bool,
    /// The key authentication codes are derived from. Unset: a random one per start, so
    /// terminals register again after a restart (as the standard has them do on a refused
    /// code).
    pub auth_secret: Option<String>,
    /// Concurrent terminal connections at most; more are closed at once.
    pub max_connections: usize,
    /// A terminal silent for this many seconds is disconnected (its heartbeat is usually
    /// every 30–60 s).
    pub idle_timeout_s: u64,
    /// Addresses or networks allowed to connect (as `ais.allow`); empty allows any.
    pub allow: Vec<String>,
    /// The datum the terminals report in: `wgs84` (the standard's) or `gcj02` (as many
    /// Chinese platforms and their terminals do), converted to WGS 84 on arrival.
    pub crs: Datum,
}

impl Default for Jt808Config {
    fn default() -> Self {
        Self {
            listen: None,
            auto_register: false,
            auth_secret: None,
            max_connections: 10_000,
            idle_timeout_s: 180,
            allow: Vec::new(),
            crs: Datum::Wgs84,
        }
    }
}

/// The video core: one pipeline per camera (see `server/src/cameras.rs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisionConfig {
    /// `[[vision.cameras]]`: id, url (a file, an image folder, `rtsp://…`, `http://…`) and the
    /// optional `motion_only`, `source`, `detector`, `pipeline` and `backoff_max_s` tables.
    pub cameras: Vec<coastwatch_vision::camera::CameraConfig>,
    /// `[vision.ocr]`: hull numbers and plates read on the cameras' tracks.
    pub ocr: OcrSettings,
}

/// How the cameras read markings on their tracks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcrSettings {
    /// Read markings on the tracks' best crops (when the models are there).
    pub enabled: bool,
    /// The folder of the OCR models (`scripts/install-ocr-models.sh`); when it is not set,
    /// `$COASTWATCH_OCR_MODELS` or `.cache/ocr`, and OCR is off where they are missing. A folder
    /// set here must hold the models.
    pub models: Option<PathBuf>,
    /// Which crops are read and how the reads are voted.
    pub vote: coastwatch_vision::ocr::vote::VoteConfig,
}

impl Default for OcrSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            models: None,
            vote: Default::default(),
        }
    }
}

/// Alert delivery beyond the HTTP API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Endpoints that receive every alert change as a JSON POST.
    pub webhooks: Vec<WebhookConfig>,
    /// Folder of the webhooks' outboxes (the changes still to deliver, kept across restarts).
    /// Default: `<store>.webhooks` beside a GeoPackage store, `webhooks_state` in the working
    /// folder for PostGIS.
    pub webhooks_state: Option<PathBuf>,
}

/// One webhook: an endpoint and the alerts it wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The URL to POST to (http or https).
    pub url: String,
    /// Only alerts of these towns (all when empty).
    #[serde(default)]
    pub towns: Vec<String>,
    /// Only alerts of these kinds (all when empty).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Attempts per delivery before it is given up (with exponential backoff between).
    #[serde(default = "WebhookConfig::default_attempts")]
    pub max_attempts: u32,
    /// Key of the `X-Coastwatch-Signature-256` HMAC-SHA256 header (at least 16 characters);
    /// bodies are unsigned when unset.
    #[serde(default)]
    pub secret: Option<String>,
    /// Allow private, loopback, link-local, unique-local and other non-public targets (by
    /// literal address or after DNS resolution). Off by default, so that an alert cannot be
    /// sent into the server's own network; tests with a receiver on loopback need it.
    #[serde(default)]
    pub allow_private: bool,
    /// Seconds one attempt may take: connecting, sending and reading the answer.
    #[serde(default = "WebhookConfig::default_timeout_s")]
    pub timeout_s: u64,
    /// Bytes of an answer's body read at most (the rest is dropped unread).
    #[serde(default = "WebhookConfig::default_response_limit_bytes")]
    pub response_limit_bytes: usize,
    /// Changes waiting for delivery kept at most; beyond it the oldest are dropped (and
    /// counted in a warning).
    #[serde(default = "WebhookConfig::default_max_pending")]
    pub max_pending: usize,
}

impl WebhookConfig {
    /// A webhook to `url` for every alert, with the default settings.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            towns: Vec::new(),
            kinds: Vec::new(),
            max_attempts: Self::default_attempts(),
            secret: None,
            allow_private: false,
            timeout_s: Self::default_timeout_s(),
            response_limit_bytes: Self::default_response_limit_bytes(),
            max_pending: Self::default_max_pending(),
        }
    }

    fn default_attempts() -> u32 {
        10
    }

    fn default_timeout_s() -> u64 {
        10
    }

    fn default_response_limit_bytes() -> usize {
        64 * 1024
    }

    fn default_max_pending() -> usize {
        1000
    }
}

/// AIS feeds and the vessel picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AisConfig {
    /// Accept NMEA over TCP on this address (e.g. `0.0.0.0:10110`).
    pub tcp_listen: Option<SocketAddr>,
    /// Receive NMEA datagrams on this address.
    pub udp_listen: Option<SocketAddr>,
    /// Connect to a remote NMEA feed (`host:port`), reconnecting with backoff.
    pub connect: Option<String>,
    /// Minutes of track kept in memory per vessel.
    pub track_window_min: f64,
    /// H3 resolution of the in-memory cell index (0..=15).
    #[serde(with = "resolution")]
    pub h3_res: Resolution,
    /// Messages stamped (tag block `c:`) later than the server's clock plus this many
    /// seconds are dropped and counted (`coastwatch_ingest_dropped_total{reason="time"}`).
    pub max_future_s: f64,
    /// Messages stamped earlier than the server's clock minus this many seconds are dropped
    /// and counted. (`ais replay` and `scenario eval` run on the file's own clock, unbounded.)
    pub max_age_s: f64,
    /// Vessels held in the in-memory picture at most; fixes of new vessels beyond are dropped
    /// and counted (`reason="vessel_cap"`). Vessels silent for a track window are forgotten
    /// (their rows stay in the store).
    pub max_vessels: usize,
    /// Addresses (`10.1.2.3`) or networks (`10.1.0.0/16`, `::1/128`) allowed to send to the
    /// TCP and UDP listeners; empty allows any.
    pub allow: Vec<String>,
    /// When set, a TCP feed must send `AUTH <secret>` as its first line, or it is closed.
    pub tcp_secret: Option<String>,
    /// Concurrent TCP feed connections at most; more are closed at once.
    pub max_connections: usize,
    /// A TCP feed silent for this many seconds is closed (a remote feed is then reconnected).
    pub idle_timeout_s: u64,
}

impl AisConfig {
    /// The limits feeds run under.
    pub fn limits(&self) -> crate::ingest::FeedLimits {
        crate::ingest::FeedLimits {
            max_future_s: self.max_future_s,
            max_age_s: self.max_age_s,
            max_vessels: self.max_vessels,
        }
    }
}

impl Default for AisConfig {
    fn default() -> Self {
        Self {
            tcp_listen: None,
            udp_listen: None,
            connect: None,
            track_window_min: 360.0,
            h3_res: Resolution::Nine,
            max_future_s: 300.0,
            max_age_s: 6.0 * 3600.0,
            max_vessels: 100_000,
            allow: Vec::new(),
            tcp_secret: None,
            max_connections: 256,
            idle_timeout_s: 300,
        }
    }
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Base URL clients reach the server at (`http(s)://host[:port][/path]`), for the links in
    /// TileJSON, `style.json` and OGC API responses; when unset, links are built from the
    /// request's `Host` header (checked to be `host[:port]`), or from `X-Forwarded-Proto` /
    /// `X-Forwarded-Host` when the peer is one of [`Self::trusted_proxies`].
    pub public_url: Option<String>,
    /// Addresses of reverse proxies whose `X-Forwarded-Proto` and `X-Forwarded-Host` headers
    /// are believed; from any other peer these headers are ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins (`scheme://host[:port]`) that browsers may call the API from (CORS); empty:
    /// same-origin only, no CORS headers. `"*"` lets any origin read (GET, HEAD); writes
    /// need the origin listed by name.
    pub cors_origins: Vec<String>,
    /// Largest accepted request body (bytes); the per-route limits in `body_limits` are
    /// lower.
    pub body_limit_bytes: usize,
    /// Per-route request body limits, free-text field lengths and WebSocket message sizes.
    pub body_limits: BodyLimits,
    /// Memory for cached static tiles (MiB); 0 turns the cache off.
    pub tile_cache_mib: usize,
    /// Static layers of at most this many features are held in memory to build their tiles
    /// from (memory per million: `cargo bench -p coastwatch-tests --bench static_index`);
    /// bigger ones are read from the store for each tile. 0 holds none.
    pub tile_index_max_features: u64,
    /// Most distinct layers in one composite tile source (`/tiles/a,b,…`); a source listing
    /// more is refused with 400. Repeated names count once.
    pub max_tile_layers: usize,
    /// Largest encoded tile (bytes, before gzip); building stops once a tile passes it and
    /// the request is refused with 400.
    pub max_tile_bytes: usize,
    /// Most alerts in one tile: the newest ones (alerts pile up over time; a tile never reads
    /// them all).
    pub max_tile_alerts: u64,
    /// Most features in one page of the features API and OGC API items (`limit`, and the
    /// features API's page when no limit is given); a larger `limit` is refused with 400.
    pub max_page_features: u64,
    /// Most vertices in one geometry written through the features API; more is refused with
    /// 400 before the geometry is validated.
    pub max_geometry_vertices: usize,
    /// Concurrent HTTP connections at most; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// A client must send a request's headers within this many seconds (also the longest a
    /// kept-alive connection may stay idle between requests).
    pub header_timeout_s: u64,
    /// A request body must arrive within this many seconds.
    pub body_timeout_s: u64,
    /// At shutdown, connections and live streams still open after this many seconds are
    /// closed; the waiting rows are written either way.
    pub shutdown_timeout_s: u64,
}

impl ServerConfig {
    fn check(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("server.max_tile_layers", self.max_tile_layers as u64),
            ("server.max_tile_bytes", self.max_tile_bytes as u64),
            ("server.max_tile_alerts", self.max_tile_alerts),
            ("server.max_page_features", self.max_page_features),
            (
                "server.max_geometry_vertices",
                self.max_geometry_vertices as u64,
            ),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1").into());
            }
        }
        if i64::try_from(self.max_page_features).is_err() {
            return Err(format!(
                "server.max_page_features {} is too large",
                self.max_page_features
            )
            .into());
        }
        if let Some(url) = &self.public_url
            && !is_base_url(url)
        {
            return Err(format!(
                "server.public_url {url:?} is not an http(s) URL like https://gis.example/coastwatch"
            )
            .into());
        }
        for origin in &self.cors_origins {
            if origin != "*" && !is_origin(origin) {
                return Err(format!(
                    "server.cors_origins entry {origin:?} is not \"*\" or an origin like https://gis.example"
                )
                .into());
            }
        }
        Ok(())
    }
}

/// Whether `text` is `host[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 address,
/// with an optional decimal port; nothing that could break out of a URL or an HTML attribute.
pub(crate) fn is_authority(text: &str) -> bool {
    let (host_ok, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        let port = match after {
            "" => None,
            after => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (v6.parse::<std::net::Ipv6Addr>().is_ok(), port)
    } else {
        let (host, port) = match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        (host_ok, port)
    };
    host_ok
        && port.is_none_or(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
        })
}

/// Whether `text` is an origin: `http(s)://host[:port]`.
fn is_origin(text: &str) -> bool {
    text.strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .is_some_and(is_authority)
}

/// Whether `text` is an http(s) base URL: an origin and an optional path of plain characters.
fn is_base_url(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    is_authority(authority)
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b))
}

/// What one request may bring: bodies per route (checked after the caller's role, before
/// the body is read), free-text fields, and incoming WebSocket messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BodyLimits {
    /// Body of `POST /api/v1/ingest/ais`, `/api/v1/ingest/positions` and
    /// `/api/v1/ingest/detections` (bytes).
    pub ingest_bytes: usize,
    /// Body of an alert action and of a tip (bytes).
    pub alerts_bytes: usize,
    /// Body of a feature write, `POST /api/v1/{layer}` and `PUT /api/v1/{layer}/{id}` (bytes).
    pub features_bytes: usize,
    /// Body of `POST /api/v1/coverage/suggest` (bytes).
    pub coverage_bytes: usize,
    /// Characters in one free-text field of a body: tip text and reporter, alert notes and
    /// assignees, vehicle ids, feature property strings.
    pub text_chars: usize,
    /// One incoming WebSocket message or frame on `/api/v1/alerts/ws` (bytes); a larger one
    /// closes the connection before its payload is read.
    pub websocket_message_bytes: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            ingest_bytes: 4 * 1024 * 1024,
            alerts_bytes: 16 * 1024,
            features_bytes: 8 * 1024 * 1024,
            coverage_bytes: 64 * 1024,
            text_chars: 2_000,
            websocket_message_bytes: 4 * 1024,
        }
    }
}

/// Store settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A GeoPackage path or a `postgres://` URL.
    pub location: String,
}

/// Bearer tokens and their roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Whether reads need no token (writes always need one).
    pub open_reads: bool,
    /// Known tokens.
    pub tokens: Vec<TokenConfig>,
    /// Failed authentications one peer address (an IPv6 /64) may make per minute before its
    /// token attempts get 429; 0 turns the limit off.
    pub max_failures_per_minute: u32,
}

/// One bearer token: `token_sha256` (preferred) or `token`, exactly one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The secret a client sends as `Authorization: Bearer <token>`, in plain text (the
    /// server warns at start; prefer `token_sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The SHA-256 of the secret as 64 hex digits (`printf %s "$TOKEN" | sha256sum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sha256: Option<String>,
    /// The user it stands for (recorded in alert history).
    pub user: String,
    /// What the user may do.
    pub roles: Vec<Role>,
    /// The user's agency (`coast_guard`, `police`, `customs`, `agriculture`, `market`,
    /// `transport`): it sees the cases its agency leads or supports, and acts on those it leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<coastwatch_core::model::Agency>,
    /// The user's town (a sub-centre): it sees everything and acts only on its town's alerts,
    /// cases, cards and inspections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
}

impl TokenConfig {
    /// A token given in plain text.
    pub fn plain(token: impl Into<String>, user: impl Into<String>, roles: Vec<Role>) -> Self {
        Self {
            token: Some(token.into()),
            token_sha256: None,
            user: user.into(),
            roles,
            agency: None,
            town: None,
        }
    }

    /// This token limited to `agency` and/or `town`.
    pub fn scoped(
        mut self,
        agency: Option<coastwatch_core::model::Agency>,
        town: Option<&str>,
    ) -> Self {
        self.agency = agency;
        self.town = town.map(str::to_owned);
        self
    }

    /// The scope the token's user acts in.
    pub fn scope(&self) -> coastwatch_core::command::Scope {
        coastwatch_core::command::Scope {
            agency: self.agency,
            town: self.town.clone(),
        }
    }

    /// The SHA-256 of the secret, from whichever form the config gives.
    pub fn sha256(&self) -> Result<[u8; 32], ConfigError> {
        match (&self.token, &self.token_sha256) {
            (Some(token), None) => {
                if token.trim().len() < 8 {
                    return Err(format!(
                        "auth token of user {:?} is shorter than 8 characters",
                        self.user
                    )
                    .into());
                }
                Ok(crate::auth::sha256(token.trim()))
            }
            (None, Some(hex)) => crate::auth::from_hex(hex).ok_or_else(|| {
                format!(
                    "auth token_sha256 of user {:?} is not 64 hex digits",
                    self.user
                )
                .into()
            }),
            (Some(_), Some(_)) => Err(format!(
                "auth token of user {:?} gives both token and token_sha256",
                self.user
            )
            .into()),
            (None, None) => Err(format!(
                "auth token of user {:?} needs token_sha256 (or token)",
                self.user
            )
            .into()),
        }
    }
}

/// The district being monitored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DistrictConfig {
    /// Display name.
    pub name: String,
    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]`, used as the extent of collections.
    pub bbox: [f64; 4],
    /// IANA time zone of the district, for fence active hours and night hours.
    pub timezone: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            public_url: None,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            body_limit_bytes: 16 * 1024 * 1024,
            body_limits: BodyLimits::default(),
            tile_cache_mib: 64,
            tile_index_max_features: 1_000_000,
            max_tile_layers: 24,
            max_tile_bytes: 4 * 1024 * 1024,
            max_tile_alerts: 5_000,
            max_page_features: 10_000,
            max_geometry_vertices: 10_000,
            max_connections: 1024,
            header_timeout_s: 10,
            body_timeout_s: 30,
            shutdown_timeout_s: 10,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            location: "coastwatch.gpkg".into(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            open_reads: true,
            tokens: Vec::new(),
            max_failures_per_minute: 20,
        }
    }
}

impl Default for DistrictConfig {
    fn default() -> Self {
        Self {
            name: "Xiangshan Bay".into(),
            bbox: [121.40, 29.45, 121.80, 29.70],
            timezone: "Asia/Shanghai".into(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (when given; it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only `SECTION__KEY` variables configure; other COASTWATCH_* variables (tests) are not ours.
        let env = Env::prefixed("COASTWATCH_")
            .filter(|key| key.as_str().contains("__"))
            .split("__");
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let cluster = &self.cluster;
        if cluster.role != NodeRole::All && cluster.nats.as_deref().is_none_or(str::is_empty) {
            return Err("cluster.nats: a node with a role needs the NATS servers"
                .to_owned()
                .into());
        }
        if cluster.partitions == 0
            || cluster.replicas == 0
            || cluster.max_ack_pending <= 0
            || cluster.lease_s < 3
        {
            return Err(
                "cluster: partitions, replicas and max_ack_pending must be at least 1, lease_s at least 3"
                    .to_owned()
                    .into(),
            );
        }
        let mut cameras = HashSet::new();
        for camera in &self.vision.cameras {
            if camera.id.trim().is_empty() || !cameras.insert(camera.id.as_str()) {
                return Err(
                    format!("vision.cameras: id {:?} is empty or used twice", camera.id).into(),
                );
            }
            if let Err(e) = camera.pipeline.tracker.validate() {
                return Err(
                    format!("vision.cameras {:?}: pipeline.tracker: {e}", camera.id).into(),
                );
            }
            if !(camera.source.fps.is_finite()
                && camera.source.fps > 0.0
                && camera.source.fps <= 120.0)
            {
                return Err(format!(
                    "vision.cameras {:?}: source.fps must be above 0 and at most 120",
                    camera.id
                )
                .into());
            }
            if let Some(Err(e)) = camera.calibration.as_ref().map(|c| c.compile()) {
                return Err(format!("vision.cameras {:?}: calibration: {e}", camera.id).into());
            }
        }
        let ocr = &self.vision.ocr;
        if let Some(models) = ocr.models.as_ref().filter(|_| ocr.enabled) {
            use coastwatch_vision::ocr::{CLS_MODEL, DET_MODEL, REC_MODEL};
            if let Some(missing) = [DET_MODEL, CLS_MODEL, REC_MODEL]
                .iter()
                .find(|m| !models.join(m).is_file())
            {
                return Err(format!(
                    "vision.ocr.models: {} has no {missing} (scripts/install-ocr-models.sh installs it)",
                    models.display()
                )
                .into());
            }
        }
        if ocr.vote.reads_per_track == 0 || !(ocr.vote.grow.is_finite() && ocr.vote.grow >= 1.0) {
            return Err(
                "vision.ocr.vote: reads_per_track must be at least 1 and grow at least 1"
                    .to_owned()
                    .into(),
            );
        }
        let command = &self.command;
        if !(command.inspection_max_distance_m.is_finite()
            && command.inspection_max_distance_m > 0.0)
        {
            return Err("command.inspection_max_distance_m must be above 0"
                .to_owned()
                .into());
        }
        if command.inspection_default_days == 0
            || command.inspection_interval_days.values().any(|d| *d == 0)
        {
            return Err(
                "command.inspection_interval_days: every interval is at least 1 day"
                    .to_owned()
                    .into(),
            );
        }
        let mut seen = HashMap::new();
        for t in &self.auth.tokens {
            if t.town.as_deref().is_some_and(|town| town.trim().is_empty()) {
                return Err(format!("auth token of user {:?}: town is empty", t.user).into());
            }
            if seen.insert(t.sha256()?, t.user.as_str()).is_some() {
                return Err(ConfigError(format!(
                    "auth token of user {:?} is used twice",
                    t.user
                )));
            }
        }
        let limits = &self.server.body_limits;
        for (key, value) in [
            ("ingest_bytes", limits.ingest_bytes),
            ("alerts_bytes", limits.alerts_bytes),
            ("features_bytes", limits.features_bytes),
            ("coverage_bytes", limits.coverage_bytes),
            ("text_chars", limits.text_chars),
            ("websocket_message_bytes", limits.websocket_message_bytes),
        ] {
            if value == 0 {
                return Err(format!("server.body_limits.{key} must be greater than 0").into());
            }
        }
        if !(self.ais.track_window_min.is_finite() && self.ais.track_window_min > 0.0) {
            return Err(format!(
                "ais.track_window_min {} must be greater than 0",
                self.ais.track_window_min
            )
            .into());
        }
        for (key, value) in [
            ("ais.max_future_s", self.ais.max_future_s),
            ("ais.max_age_s", self.ais.max_age_s),
        ] {
            if value.is_nan() || value < 0.0 {
                return Err(format!("{key} {value} must be 0 or more").into());
            }
        }
        crate::feeds::AllowList::parse(&self.ais.allow)
            .map_err(|e| ConfigError(format!("ais.allow: {e}")))?;
        if self.ais.tcp_secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err("ais.tcp_secret must be at least 16 characters"
                .to_owned()
                .into());
        }
        crate::feeds::AllowList::parse(&self.jt808.allow)
            .map_err(|e| ConfigError(format!("jt808.allow: {e}")))?;
        if self
            .jt808
            .auth_secret
            .as_ref()
            .is_some_and(|s| s.len() < 16)
        {
            return Err("jt808.auth_secret must be at least 16 characters"
                .to_owned()
                .into());
        }
        for (key, value) in [
            ("jt808.max_connections", self.jt808.max_connections as u64),
            ("jt808.idle_timeout_s", self.jt808.idle_timeout_s),
            ("ais.max_connections", self.ais.max_connections as u64),
            ("ais.idle_timeout_s", self.ais.idle_timeout_s),
            ("ais.max_vessels", self.ais.max_vessels as u64),
            ("server.max_connections", self.server.max_connections as u64),
            ("server.header_timeout_s", self.server.header_timeout_s),
            ("server.body_timeout_s", self.server.body_timeout_s),
        ] {
            if value == 0 {
                return Err(format!("{key} must be greater than 0").into());
            }
        }
        let [w, s, e, n] = self.district.bbox;
        if !(w < e
            && s < n
            && (-180.0..=180.0).contains(&w)
            && (-180.0..=180.0).contains(&e)
            && (-90.0..=90.0).contains(&s)
            && (-90.0..=90.0).contains(&n))
        {
            return Err(format!(
                "district.bbox {:?} is not [min_lon, min_lat, max_lon, max_lat]",
                self.district.bbox
            )
            .into());
        }
        coastwatch_core::alerting::LocalClock::new(&self.district.timezone)
            .map_err(|e| ConfigError(format!("district.timezone: {e}")))?;
        self.detectors
            .check()
            .map_err(|e| ConfigError(format!("detectors: {e}")))?;
        self.server.check()?;
        for hook in &self.alerts.webhooks {
            crate::webhooks::check_config(hook)
                .map_err(|e| ConfigError(format!("alerts.webhooks: {e}")))?;
        }
        Ok(())
    }
}

/// An H3 resolution as a number in the config (`h3_res = 9`), refused at load unless it is
/// one of H3's 0..=15.
mod resolution {
    use h3o::Resolution;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(resolution: &Resolution, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*resolution))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Resolution, D::Error> {
        let value = i64::deserialize(d)?;
        u8::try_from(value)
            .ok()
            .and_then(|v| Resolution::try_from(v).ok())
            .ok_or_else(|| {
                de::Error::invalid_value(
                    de::Unexpected::Signed(value),
                    &"an H3 resolution within 0..=15",
                )
            })
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment::Jail closures return figment::Error"
)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "cw.toml",
                r#"
                [store]
                location = "/data/file.gpkg"
                [server]
                listen = "127.0.0.1:9000"
                [[auth.tokens]]
                token = "s3cret-token"
                user = "ana"
                roles = ["dispatcher", "planner"]
                "#,
            )?;
            jail.set_env("COASTWATCH_SERVER__LISTEN", "127.0.0.1:9100");
            let config = Config::load(Some(Path::new("cw.toml"))).unwrap();
            assert_eq!(config.store.location, "/data/file.gpkg");
            assert_eq!(
                config.server.listen.to_string(),
                "127.0.0.1:9100",
                "environment beats the file"
            );
            assert_eq!(
                config.auth.tokens[0].roles,
                vec![Role::Dispatcher, Role::Planner]
            );
            assert!(config.auth.open_reads, "default kept");
            Ok(())
        });
    }

    #[test]
    fn authorities_are_host_and_port_only() {
        for good in [
            "localhost",
            "gis.example:8080",
            "127.0.0.1:80",
            "[::1]:8080",
            "[2001:db8::1]",
            "my_host-1.lan",
        ] {
            assert!(is_authority(good), "{good}");
        }
        for bad in [
            "",
            "evil.com/\"><script>",
            "a b",
            "x:",
            "x:+80",
            "x:99999",
            "user@host",
            "[::1",
            "[::1]x",
            "[nothex]:80",
            "a..b",
            "host:80:80",
        ] {
            assert!(!is_authority(bad), "{bad}");
        }
        assert!(is_base_url("https://gis.example/coastwatch"));
        assert!(!is_base_url("https://gis.example/a?b"));
        assert!(is_origin("http://ops.example:3000"));
        assert!(!is_origin("http://ops.example/"));
    }

    #[test]
    fn hashed_tokens_and_body_limits_load() {
        figment::Jail::expect_with(|jail| {
            let hash = crate::auth::sha256_hex("s3cret-token");
            jail.create_file(
                "cw.toml",
                &format!(
                    "[server.body_limits]\ntips_bytes = 1\n[[auth.tokens]]\ntoken_sha256 = \"{hash}\"\nuser = \"ana\"\nroles = [\"viewer\"]\n"
                ),
            )?;
            assert!(
                Config::load(Some(Path::new("cw.toml")))
                    .unwrap_err()
                    .to_string()
                    .contains("tips_bytes")
            );
            jail.create_file(
                "cw.toml",
                &format!(
                    "[auth]\nmax_failures_per_minute = 5\n[server.body_limits]\nalerts_bytes = 1024\n[[auth.tokens]]\ntoken_sha256 = \"{hash}\"\nuser = \"ana\"\nroles = [\"viewer\"]\n[[auth.tokens]]\ntoken = \"s3cret-token\"\nuser = \"bob\"\nroles = [\"viewer\"]\n"
                ),
            )?;
            assert!(
                Config::load(Some(Path::new("cw.toml")))
                    .unwrap_err()
                    .to_string()
                    .contains("used twice"),
                "a plain token and the same token's hash collide"
            );
            jail.create_file(
                "cw.toml",
                &format!(
                    "[auth]\nmax_failures_per_minute = 5\n[server.body_limits]\nalerts_bytes = 1024\n[[auth.tokens]]\ntoken_sha256 = \"{hash}\"\nuser = \"ana\"\nroles = [\"viewer\"]\n"
                ),
            )?;
            let config = Config::load(Some(Path::new("cw.toml"))).unwrap();
            assert_eq!(config.auth.max_failures_per_minute, 5);
            assert_eq!(config.auth.tokens[0].token, None);
            assert_eq!(
                config.auth.tokens[0].sha256().unwrap(),
                crate::auth::sha256("s3cret-token")
            );
            assert_eq!(config.server.body_limits.alerts_bytes, 1024);
            assert_eq!(
                config.server.body_limits.ingest_bytes,
                BodyLimits::default().ingest_bytes,
                "defaults kept"
            );
            Ok(())
        });
    }

    #[test]
    fn the_readme_example_loads() {
        let readme = include_str!("../../README.md");
        let start = readme.find("```toml\n").expect("README has a TOML example") + 8;
        let example = &readme[start..start + readme[start..].find("```").unwrap()];
        figment::Jail::expect_with(|jail| {
            jail.create_file("example.toml", example)?;
            let config = Config::load(Some(Path::new("example.toml"))).unwrap();
            assert_eq!(config.district.timezone, "Asia/Shanghai");
            assert_eq!(config.alerts.webhooks.len(), 1);
            Ok(())
        });
    }

    #[test]
    fn private_webhook_targets_are_refused_unless_allowed() {
        figment::Jail::expect_with(|jail| {
            for url in [
                "http://127.0.0.1:9000/hook",
                "http://localhost:9000/hook",
                "http://LocalHost./hook",
                "http://169.254.169.254/latest/meta-data/",
                "http://10.1.2.3/hook",
                "http://192.168.0.10/hook",
                "http://[::1]:9000/hook",
                "http://[fe80::1]/hook",
                "http://[fd12::1]/hook",
                "http://[::ffff:127.0.0.1]/hook",
                "http://0.0.0.0/hook",
                "http://2130706433/hook",
                "http://224.0.0.1/hook",
            ] {
                jail.create_file("w.toml", &format!("[[alerts.webhooks]]\nurl = \"{url}\""))?;
                let error = Config::load(Some(Path::new("w.toml")))
                    .unwrap_err()
                    .to_string();
                assert!(
                    error.contains("alerts.webhooks") && error.contains("allow_private"),
                    "{url}: {error}"
                );
                jail.create_file(
                    "w.toml",
                    &format!("[[alerts.webhooks]]\nurl = \"{url}\"\nallow_private = true"),
                )?;
                assert!(Config::load(Some(Path::new("w.toml"))).is_ok(), "{url}");
            }
            jail.create_file(
                "p.toml",
                "[[alerts.webhooks]]\nurl = \"https://ops.example/h\"\nsecret = \"0123456789abcdef\"",
            )?;
            let config = Config::load(Some(Path::new("p.toml"))).unwrap();
            assert!(!config.alerts.webhooks[0].allow_private);
            Ok(())
        });
    }

    #[test]
    fn bad_config_is_refused_with_a_reason() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "[server]\nlisten_on = 1")?;
            assert!(
                Config::load(Some(Path::new("a.toml")))
                    .unwrap_err()
                    .to_string()
                    .contains("listen_on")
            );
            jail.create_file(
                "b.toml",
                "[[auth.tokens]]\ntoken = \"short\"\nuser = \"x\"\nroles = [\"admin\"]",
            )?;
            assert!(
                Config::load(Some(Path::new("b.toml")))
                    .unwrap_err()
                    .to_string()
                    .contains("shorter than 8")
            );
            jail.create_file(
                "c.toml",
                "[[auth.tokens]]\ntoken = \"longenough\"\nuser = \"x\"\nroles = [\"captain\"]",
            )?;
            assert!(
                Config::load(Some(Path::new("c.toml")))
                    .unwrap_err()
                    .to_string()
                    .contains("captain")
            );
            for (text, expected) in [
                ("[district]\ntimezone = \"Mars/Base\"", "district.timezone"),
                ("[detectors]\nencounter_min = -1", "detectors"),
                ("[detectors]\nencounter_minutes = 30", "encounter_minutes"),
                ("[[alerts.webhooks]]\nurl = \"ftp://x\"", "not http"),
                ("[server]\nmax_tile_layers = 0", "server.max_tile_layers"),
                (
                    "[server]\nmax_page_features = 0",
                    "server.max_page_features",
                ),
                ("[ais]\nh3_res = 17", "ais.h3_res"),
                ("[cluster]\nrole = \"core\"", "cluster.nats"),
                ("[cluster]\nrole = \"leader\"", "leader"),
                (
                    "[cluster]\nnats = \"nats://x:4222\"\npartitions = 0",
                    "partitions",
                ),
                (
                    "[[auth.tokens]]\ntoken = \"longenough\"\nuser = \"x\"\nroles = [\"dispatcher\"]\nagency = \"navy\"",
                    "navy",
                ),
                (
                    "[command]\ninspection_max_distance_m = 0",
                    "command.inspection_max_distance_m",
                ),
                (
                    "[command.inspection_interval_days]\ndock = 0",
                    "command.inspection_interval_days",
                ),
                ("[command.inspection_interval_days]\nairport = 3", "airport"),
                ("[ais]\nh3_res = -1", "ais.h3_res"),
                ("[server]\nlisten = \"nowhere\"", "server.listen"),
                ("[ais]\ntcp_listen = \"127.0.0.1\"", "ais.tcp_listen"),
                (
                    "[server]\npublic_url = \"http://evil.com/\\\"><script>\"",
                    "server.public_url",
                ),
                (
                    "[server]\npublic_url = \"gis.example\"",
                    "server.public_url",
                ),
                (
                    "[server]\ncors_origins = [\"https://ops.example/path\"]",
                    "server.cors_origins",
                ),
                (
                    "[server]\ntrusted_proxies = [\"proxy.lan\"]",
                    "trusted_proxies",
                ),
                (
                    "[[alerts.webhooks]]\nurl = \"https://ops.example/h\"\nsecret = \"short\"",
                    "shorter than 16",
                ),
            ] {
                jail.create_file("d.toml", text)?;
                let error = Config::load(Some(Path::new("d.toml")))
                    .unwrap_err()
                    .to_string();
                assert!(error.contains(expected), "{text}: {error}");
            }
            jail.create_file(
                "e.toml",
                "[detectors]\nencounter_min = 45\n[[alerts.webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\nkinds = [\"encounter\"]\nallow_private = true",
            )?;
            for (text, expected) in [
                (
                    "[[auth.tokens]]\ntoken_sha256 = \"abc\"\nuser = \"x\"\nroles = [\"admin\"]",
                    "not 64 hex digits",
                ),
                (
                    "[[auth.tokens]]\ntoken = \"longenough\"\ntoken_sha256 = \"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\"\nuser = \"x\"\nroles = [\"admin\"]",
                    "both token and token_sha256",
                ),
                (
                    "[[auth.tokens]]\nuser = \"x\"\nroles = [\"admin\"]",
                    "needs token_sha256",
                ),
                (
                    "[server.body_limits]\nalerts_bytes = 0",
                    "server.body_limits.alerts_bytes",
                ),
                ("[server.body_limits]\nalert_bytes = 10", "alert_bytes"),
            ] {
                jail.create_file("f.toml", text)?;
                let error = Config::load(Some(Path::new("f.toml")))
                    .unwrap_err()
                    .to_string();
                assert!(error.contains(expected), "{text}: {error}");
            }
            let config = Config::load(Some(Path::new("e.toml"))).unwrap();
            assert_eq!(config.detectors.encounter_min, 45.0);
            assert_eq!(config.alerts.webhooks[0].max_attempts, 10);
            assert!(config.alerts.webhooks[0].allow_private);
            assert!(
                Config::load(Some(Path::new("missing.toml")))
                    .unwrap_err()
                    .to_string()
                    .contains("does not exist")
            );
            Ok(())
        });
    }
}
