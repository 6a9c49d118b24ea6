//! Webhooks: every alert change a webhook wants is POSTed to it, in order, at least once.
//!
//! # Delivery
//!
//! Each webhook has its own task that delivers its outbox, oldest change first. The body is
//! `{"event_id", "alert"}`; `Idempotency-Key` and `X-Coastwatch-Delivery` carry the event
//! number (the same on every retry and after a restart), `X-Coastwatch-Timestamp` the epoch
//! second of the attempt, and, when the webhook has a `secret`,
//! `X-Coastwatch-Signature-256: sha256=<hex HMAC-SHA256 of the exact body>` as GitHub sends
//! it (the timestamp is not signed). An attempt that does not answer 2xx within `timeout_s` —
//! a 3xx included: redirects are never followed — is retried with exponential backoff (0.5 s
//! doubling up to 60 s) until `max_attempts`; then the change is given up. At most
//! `response_limit_bytes` of an answer are read.
//!
//! # Targets
//!
//! Unless a webhook says `allow_private = true`, it is refused at config load when its host is
//! `localhost` or a literal private, loopback, link-local, unique-local, unspecified, multicast
//! or reserved address ([`non_public`]). At each attempt the host name is resolved by the
//! client's own resolver, which fails when any of its addresses is such; the client then
//! connects only to the addresses it checked, so a DNS answer that changes between the check
//! and the connection (rebinding) cannot reach an inside address. No proxy from the
//! environment is used.
//!
//! # Durability
//!
//! A webhook's outbox (the changes it still has to deliver) lives in memory and in one JSON
//! file in the `alerts.webhooks_state` folder, rewritten whole at every change of it (temp
//! file, fsync, rename, fsync of the folder). It is written *ahead* of the store:
//! [`Alerts`](crate::alerts::Alerts) puts a batch's changes in as unconfirmed and waits for
//! the file, commits the batch to the store, then marks them confirmed (or takes them out
//! when the commit failed) and waits for the file again — all under the alert book's lock, so
//! batches do not interleave. Only confirmed changes are delivered; a change leaves the
//! outbox once answered 2xx or given up.
//!
//! So after a kill at any moment the file holds every stored change that was not answered
//! 2xx, plus at most one batch of unconfirmed changes: the batch whose commit was cut short.
//! At start each unconfirmed change is checked against the store: when its alert is stored
//! exactly so, the commit happened and the change is delivered; otherwise it is dropped.
//! Delivery is at least once: a change answered 2xx just before a kill is sent again after
//! the restart, with the same event number (attempts count afresh).
//!
//! A cluster does not use outbox files: its alert changes are in the replicated events
//! stream already, and each webhook is a durable consumer of it (`cluster::deliver_webhooks`),
//! so a change the leading core could not deliver before it died is delivered by another node. Beyond `max_pending`
//! waiting changes the oldest are dropped with a warning that counts them (the count is kept
//! in the file). Should the file not be writable, the error is logged and delivery goes on
//! from memory.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coastwatch_core::alerting::book;
use coastwatch_core::model::FeatureId;
use coastwatch_core::{Feature, Layer};
use coastwatch_store::Store;
use coastwatch_store::StoreError;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::config::{Config, WebhookConfig};

/// Why the webhooks could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A webhook's settings cannot be used.
    #[error("webhook {url:?}: {reason}")]
    Config {
        /// The webhook's URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The state folder or an outbox file cannot be read or written.
    #[error("webhook state {path}: {source}")]
    State {
        /// The folder or file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An outbox file is not what this program writes.
    #[error(
        "webhook state {path} is not a readable outbox ({source}); move it away to start without its pending deliveries"
    )]
    Corrupt {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The HTTP client could not be built.
    #[error("webhook client: {0}")]
    Client(String),
    /// Checking unconfirmed changes against the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a webhook's settings: an http(s) URL with a public host (unless `allow_private`),
/// a secret of at least 16 characters, and limits above zero.
pub fn check_config(hook: &WebhookConfig) -> Result<(), WebhookError> {
    let refuse = |reason: String| WebhookError::Config {
        url: hook.url.clone(),
        reason,
    };
    check_url(&hook.url, hook.allow_private).map_err(refuse)?;
    if hook.secret.as_ref().is_some_and(|s| s.chars().count() < 16) {
        return Err(refuse("secret is shorter than 16 characters".into()));
    }
    if hook.timeout_s == 0 {
        return Err(refuse("timeout_s must be at least 1".into()));
    }
    if hook.max_pending == 0 {
        return Err(refuse("max_pending must be at least 1".into()));
    }
    Ok(())
}

/// Parses `url` and, unless `allow_private`, refuses a host that is `localhost` or a literal
/// non-public address (other names are checked after resolution, at each attempt).
fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("url is not http(s)".into());
    }
    let host = parsed.host_str().ok_or("url has no host")?;
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
        return Err(format!(
            "host {host} is a loopback address; set allow_private = true to allow it"
        ));
    }
    check_literal(&parsed, allow_private)?;
    Ok(parsed)
}

/// Unless `allow_private`, refuses a URL whose host is a literal non-public address (such a
/// host is not resolved, so the resolver does not see it).
fn check_literal(url: &reqwest::Url, allow_private: bool) -> Result<(), String> {
    let Some(host) = url.host_str() else {
        return Err("url has no host".into());
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>().ok().and_then(non_public) {
        Some(kind) if !allow_private => Err(format!(
            "host {host} is a {kind} address; set allow_private = true to allow it"
        )),
        _ => Ok(()),
    }
}

/// What kind of non-public address `ip` is, or `None` for a public one: private, loopback,
/// link-local (`169.254.0.0/16`, `fe80::/10`), unique-local (`fc00::/7`), unspecified
/// (`0.0.0.0/8`, `::`), shared (`100.64.0.0/10`), multicast, broadcast and reserved
/// (`240.0.0.0/4`), site-local (`fec0::/10`); IPv4 addresses inside IPv6 (mapped,
/// compatible, NAT64 `64:ff9b::/96`) are judged as IPv4.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    let v6 = match ip {
        IpAddr::V4(v4) => return non_public_v4(v4),
        IpAddr::V6(v6) => v6,
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let s = v6.segments();
    let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if v6.is_unspecified() {
        Some("unspecified")
    } else if v6.is_loopback() {
        Some("loopback")
    } else if v6.is_multicast() {
        Some("multicast")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if s[0] & 0xffc0 == 0xfec0 {
        Some("site-local")
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0; 6] {
        non_public_v4(embedded)
    } else {
        None
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && b & 0xc0 == 64 {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if a >= 240 {
        Some("reserved")
    } else {
        None
    }
}

/// Resolves host names and fails when any address is non-public (unless allowed); the client
/// connects only to the addresses returned here.
struct CheckedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            if !allow_private
                && let Some((address, kind)) = addresses
                    .iter()
                    .find_map(|a| non_public(a.ip()).map(|kind| (a.ip(), kind)))
            {
                return Err(format!(
                    "{host} resolves to {address}, a {kind} address (allow_private is off)"
                )
                .into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of one webhook: no redirects, no proxy, checked resolution, its timeout.
pub(crate) fn client(hook: &WebhookConfig) -> Result<reqwest::Client, WebhookError> {
    let timeout = Duration::from_secs(hook.timeout_s.max(1));
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(timeout)
        .timeout(timeout)
        .dns_resolver(Arc::new(CheckedResolver {
            allow_private: hook.allow_private,
        }))
        .user_agent(concat!("coastwatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| WebhookError::Client(e.to_string()))
}

/// `sha256=<hex HMAC-SHA256 of body keyed by secret>`, the `X-Coastwatch-Signature-256` value.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One change waiting for delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The alert feed's event number: the `event_id` and idempotency key.
    pub event_id: u64,
    /// The alert's id.
    pub alert_id: Option<i64>,
    /// Whether the change is known to be stored.
    pub confirmed: bool,
    /// The alert as JSON (the API shape).
    pub alert: Value,
}

impl Entry {
    fn body(&self) -> String {
        format!(r#"{{"event_id":{},"alert":{}}}"#, self.event_id, self.alert)
    }
}

/// What an outbox file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// The webhook's URL, for people reading the file.
    url: String,
    /// Changes dropped because the outbox was full, ever.
    dropped: u64,
    /// Changes still to deliver, oldest first.
    pending: VecDeque<Entry>,
}

/// One webhook's changes still to deliver, in memory and in its file.
struct Outbox {
    hook: WebhookConfig,
    path: PathBuf,
    journal: Mutex<Journal>,
    /// Held while the file is written, so that writes land in order.
    writing: Mutex<()>,
    /// Signalled when a change is confirmed.
    ready: Notify,
}

impl Outbox {
    /// Reads the outbox of `hook` from file `path` (empty when there is none).
    fn open(hook: WebhookConfig, path: PathBuf) -> Result<Self, WebhookError> {
        let mut journal = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Journal>(&bytes).map_err(|source| {
                WebhookError::Corrupt {
                    path: path.display().to_string(),
                    source,
                }
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Journal::default(),
            Err(source) => {
                return Err(WebhookError::State {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        journal.url.clone_from(&hook.url);
        Ok(Self {
            hook,
            path,
            journal: Mutex::new(journal),
            writing: Mutex::new(()),
            ready: Notify::new(),
        })
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Confirms the unconfirmed changes whose alert is stored exactly so and drops the
    /// others (their commit was cut short), then writes the file.
    async fn recover(&self, store: &dyn Store) -> Result<(), WebhookError> {
        let unconfirmed: Vec<Entry> = self
            .journal()
            .pending
            .iter()
            .filter(|e| !e.confirmed)
            .cloned()
            .collect();
        if unconfirmed.is_empty() {
            return Ok(());
        }
        for entry in unconfirmed {
            let id = entry.alert_id.and_then(|id| FeatureId::try_from(id).ok());
            let stored = match id {
                Some(id) => store.get(Layer::Alerts, id).await?,
                None => None,
            };
            let committed = stored.is_some_and(|f| same_json(&book::alert_json(&f), &entry.alert));
            let mut journal = self.journal();
            if committed {
                journal
                    .pending
                    .iter_mut()
                    .filter(|e| e.event_id == entry.event_id)
                    .for_each(|e| e.confirmed = true);
            } else {
                tracing::info!(url = %self.hook.url, event = entry.event_id, alert = ?entry.alert_id,
                    "webhook change not delivered: its store commit did not happen");
                journal.pending.retain(|e| e.event_id != entry.event_id);
            }
        }
        self.write_file().map_err(|source| WebhookError::State {
            path: self.path.display().to_string(),
            source,
        })
    }

    /// Appends unconfirmed changes, dropping the oldest beyond `max_pending`.
    fn push(&self, entries: Vec<Entry>) {
        let mut journal = self.journal();
        for entry in entries {
            if journal.pending.len() >= self.hook.max_pending.max(1) {
                journal.pending.pop_front();
                journal.dropped += 1;
                tracing::warn!(url = %self.hook.url, dropped_total = journal.dropped,
                    max_pending = self.hook.max_pending,
                    "webhook outbox full: the oldest change waiting for delivery was dropped");
            }
            journal.pending.push_back(entry);
        }
    }

    /// Confirms the changes `events` (stored) or takes them out (not stored).
    fn settle(&self, events: &[u64], stored: bool) {
        let mut journal = self.journal();
        if stored {
            journal
                .pending
                .iter_mut()
                .filter(|e| events.contains(&e.event_id))
                .for_each(|e| e.confirmed = true);
        } else {
            journal.pending.retain(|e| !events.contains(&e.event_id));
        }
    }

    /// The oldest change, once it is confirmed.
    async fn next(&self) -> Entry {
        loop {
            let ready = self.ready.notified();
            if let Some(entry) = self.journal().pending.front().filter(|e| e.confirmed) {
                return entry.clone();
            }
            ready.await;
        }
    }

    /// Takes a delivered (or given up) change out.
    fn remove(&self, event_id: u64) {
        self.journal().pending.retain(|e| e.event_id != event_id);
    }

    /// Writes the outbox as it is now to its file (off the async workers).
    async fn persist(self: &Arc<Self>) {
        let outbox = self.clone();
        let written = tokio::task::spawn_blocking(move || outbox.write_file()).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(path = %self.path.display(), %error,
                "webhook outbox not written; pending deliveries would not survive a restart"),
            Err(error) => tracing::error!(path = %self.path.display(), %error,
                "webhook outbox write failed"),
        }
    }

    fn write_file(&self) -> std::io::Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = serde_json::to_vec(&*self.journal()).map_err(std::io::Error::other)?;
        write_atomic(&self.path, &bytes)
    }
}

/// Writes `bytes` to `path` so that the file is either the old or the new one after a crash:
/// a temporary file beside it, fsync, rename over it, fsync of the folder.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    std::fs::File::open(folder)?.sync_all()
}

/// Whether two alert JSONs are the same alert state; keys with `null` count as absent.
fn same_json(a: &Value, b: &Value) -> bool {
    fn strip(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(a) == strip(b)
}

/// Whether `hook` wants changes of `alert` (by its town and kind).
fn wanted(hook: &WebhookConfig, alert: &Feature) -> bool {
    let town = alert.properties.get("town").and_then(Value::as_str);
    let kind = alert.properties.get("kind").and_then(Value::as_str);
    wants(hook, town, kind.unwrap_or_default())
}

/// Whether `hook` wants changes of alerts of `town` and `kind`.
pub(crate) fn wants(hook: &WebhookConfig, town: Option<&str>, kind: &str) -> bool {
    (hook.towns.is_empty() || hook.towns.iter().any(|t| town == Some(t)))
        && (hook.kinds.is_empty() || hook.kinds.iter().any(|k| k == kind))
}

/// Each webhook's name, `webhook-<hash of its URL>` (a URL named twice: `-1`, `-2`… for the
/// further ones): its outbox file, or in a cluster its consumer of the events stream.
pub(crate) fn names(hooks: &[WebhookConfig]) -> Vec<String> {
    hooks
        .iter()
        .enumerate()
        .map(|(index, hook)| {
            let twins = hooks[..index].iter().filter(|h| h.url == hook.url).count();
            let name = hex(&Sha256::digest(hook.url.as_bytes())[..8]);
            match twins {
                0 => format!("webhook-{name}"),
                n => format!("webhook-{name}-{n}"),
            }
        })
        .collect()
}

/// The webhooks' outboxes, written ahead of the store by [`Alerts`](crate::alerts::Alerts).
#[derive(Clone, Default)]
pub struct Outboxes(Arc<Vec<Arc<Outbox>>>);

/// The changes one batch put into the outboxes: (outbox, event numbers).
#[derive(Debug, Default)]
pub struct Prepared(Vec<(usize, Vec<u64>)>);

impl Outboxes {
    /// Puts the changes of `alerts` (about to be stored, then published as events
    /// `first_event`, `first_event + 1`, …) into the outboxes that want them, unconfirmed, and
    /// waits until their files are written.
    pub async fn prepare(&self, first_event: u64, alerts: &[Feature]) -> Prepared {
        let mut prepared = Vec::new();
        for (index, outbox) in self.0.iter().enumerate() {
            let entries: Vec<Entry> = alerts
                .iter()
                .zip(first_event..)
                .filter(|(alert, _)| wanted(&outbox.hook, alert))
                .map(|(alert, event_id)| Entry {
                    event_id,
                    alert_id: alert.id.map(FeatureId::get),
                    confirmed: false,
                    alert: book::alert_json(alert),
                })
                .collect();
            if entries.is_empty() {
                continue;
            }
            let events = entries.iter().map(|e| e.event_id).collect();
            outbox.push(entries);
            prepared.push((index, events));
        }
        self.persist(&prepared).await;
        Prepared(prepared)
    }

    /// Confirms the prepared changes when the batch was `stored`, else takes them out; waits
    /// until the files are written.
    pub async fn settle(&self, prepared: Prepared, stored: bool) {
        for (index, events) in &prepared.0 {
            self.0[*index].settle(events, stored);
        }
        self.persist(&prepared.0).await;
        if stored {
            for (index, _) in &prepared.0 {
                self.0[*index].ready.notify_one();
            }
        }
    }

    async fn persist(&self, prepared: &[(usize, Vec<u64>)]) {
        futures_util::future::join_all(prepared.iter().map(|(index, _)| self.0[*index].persist()))
            .await;
    }
}

/// The folder of the outbox files: `alerts.webhooks_state`, by default `<store>.webhooks`
/// beside a GeoPackage, `webhooks_state` in the working folder for PostGIS.
fn state_folder(config: &Config) -> PathBuf {
    config.alerts.webhooks_state.clone().unwrap_or_else(|| {
        let location = &config.store.location;
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            PathBuf::from("webhooks_state")
        } else {
            PathBuf::from(format!("{location}.webhooks"))
        }
    })
}

/// Opens the outboxes of the configured webhooks (checking their unconfirmed changes against
/// `store`) and starts one delivery task per webhook (needs a Tokio runtime).
pub async fn start(config: &Config, store: &dyn Store) -> Result<Outboxes, WebhookError> {
    let hooks = &config.alerts.webhooks;
    if hooks.is_empty() {
        return Ok(Outboxes::default());
    }
    let folder = state_folder(config);
    std::fs::create_dir_all(&folder).map_err(|source| WebhookError::State {
        path: folder.display().to_string(),
        source,
    })?;
    let mut outboxes = Vec::new();
    for (hook, name) in hooks.iter().zip(names(hooks)) {
        check_config(hook)?;
        let client = client(hook)?;
        let outbox = Arc::new(Outbox::open(
            hook.clone(),
            folder.join(format!("{name}.json")),
        )?);
        outbox.recover(store).await?;
        tokio::spawn(run(outbox.clone(), client));
        outboxes.push(outbox);
    }
    Ok(Outboxes(Arc::new(outboxes)))
}

/// Delivers the outbox's changes, oldest first, for ever.
async fn run(outbox: Arc<Outbox>, client: reqwest::Client) {
    loop {
        let entry = outbox.next().await;
        if !deliver(&outbox.hook, &client, &entry).await {
            tracing::error!(url = %outbox.hook.url, event = entry.event_id, "webhook delivery given up");
        }
        outbox.remove(entry.event_id);
        outbox.persist().await;
    }
}

/// Posts one change until it is answered 2xx (`true`) or the attempts run out.
pub(crate) async fn deliver(hook: &WebhookConfig, client: &reqwest::Client, entry: &Entry) -> bool {
    let body = entry.body();
    let mut backoff = Duration::from_millis(500);
    let attempts = hook.max_attempts.max(1);
    for attempt in 1..=attempts {
        match post(hook, client, entry.event_id, &body).await {
            Ok(()) => return true,
            Err(reason) => {
                tracing::warn!(url = %hook.url, attempt, event = entry.event_id, %reason, "webhook attempt failed")
            }
        }
        if attempt < attempts {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    }
    false
}

/// One attempt: `Ok` when answered 2xx.
async fn post(
    hook: &WebhookConfig,
    client: &reqwest::Client,
    event_id: u64,
    body: &str,
) -> Result<(), String> {
    let url = reqwest::Url::parse(&hook.url).map_err(|e| format!("url is not a URL: {e}"))?;
    // a literal address is not resolved, so it is checked here; names by the resolver
    check_literal(&url, hook.allow_private)?;
    let timestamp = crate::clock::wall_epoch_s().floor() as i64;
    let mut request = client
        .post(url)
        .timeout(Duration::from_secs(hook.timeout_s.max(1)))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", event_id)
        .header("x-coastwatch-delivery", event_id)
        .header("x-coastwatch-timestamp", timestamp)
        .body(body.to_owned());
    if let Some(secret) = &hook.secret {
        request = request.header(
            "x-coastwatch-signature-256",
            signature(secret, body.as_bytes()),
        );
    }
    let response = request.send().await.map_err(|e| error_chain(&e))?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer = read_bounded(response, hook.response_limit_bytes).await;
    if status.is_success() {
        Ok(())
    } else if status.is_redirection() {
        Err(format!(
            "answered {status}, a redirect to {location:?} (redirects are not followed)"
        ))
    } else {
        let shown: String = answer.chars().take(200).collect();
        Err(format!("answered {status}: {shown}"))
    }
}

/// Reads at most `limit` bytes of the answer's body (the rest is left unread).
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// An error with its sources, `: `-separated (reqwest keeps the cause in the sources).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::future::IntoFuture;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::{any, post};
    use coastwatch_core::alerting::book::AlertBook;
    use coastwatch_core::alerting::{AlertEvent, EpisodeKey, Phase, SubjectKey};
    use coastwatch_core::model::{AlertKind, Severity};
    use coastwatch_store::{Changes, GeoPackageStore};
    use serde_json::json;

    use super::*;

    /// Serves `router` on a loopback port; returns its base URL.
    async fn receiver(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(axum::serve(listener, router).into_future());
        base
    }

    /// A receiver at `/hook` answering 200 and counting the calls.
    fn counting() -> (Router, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let router = Router::new().route(
            "/hook",
            post(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                StatusCode::OK
            }),
        );
        (router, hits)
    }

    /// A webhook on loopback (which needs `allow_private`), one attempt.
    fn loopback(url: String) -> WebhookConfig {
        let mut hook = WebhookConfig::new(url);
        hook.allow_private = true;
        hook.max_attempts = 1;
        hook
    }

    fn entry(event_id: u64) -> Entry {
        Entry {
            event_id,
            alert_id: Some(1),
            confirmed: true,
            alert: json!({"id": 1, "kind": "tip"}),
        }
    }

    #[test]
    fn non_public_addresses_are_recognised() {
        for refused in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "127.0.0.1",
            "127.9.9.9",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(
                non_public(refused.parse().unwrap()).is_some(),
                "{refused} is not public"
            );
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(non_public(public.parse().unwrap()), None, "{public}");
        }
    }

    #[test]
    fn literal_private_hosts_are_refused_unless_allowed() {
        let error = check_config(&WebhookConfig::new("http://169.254.169.254/latest"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("link-local") && error.contains("allow_private"),
            "{error}"
        );
        assert!(check_config(&loopback("http://[::1]:8/hook".into())).is_ok());
        assert!(check_config(&WebhookConfig::new("https://ops.example/hook")).is_ok());
        let mut short = WebhookConfig::new("https://ops.example/hook");
        short.secret = Some("too-short".into());
        assert!(check_config(&short).is_err());
    }

    #[test]
    fn signature_matches_githubs_example() {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
        assert_eq!(
            signature("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (_, hits) = counting();
        let counter = hits.clone();
        let router = Router::new()
            .route(
                "/hook",
                post(|| async {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(axum::http::header::LOCATION, "/metadata")],
                    )
                }),
            )
            .route(
                "/metadata",
                any(move || async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    "instance credentials"
                }),
            );
        let base = receiver(router).await;
        let hook = loopback(format!("{base}/hook"));
        assert!(!deliver(&hook, &client(&hook).unwrap(), &entry(1)).await);
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "the redirect target got nothing"
        );
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_refused_when_sending() {
        let (router, hits) = counting();
        let base = receiver(router).await;
        let by_name = base.replace("127.0.0.1", "localhost");
        // built here, not loaded: the config check would refuse `localhost` by name already
        let mut hook = loopback(format!("{by_name}/hook"));
        hook.allow_private = false;
        assert!(!deliver(&hook, &client(&hook).unwrap(), &entry(1)).await);
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        let mut literal = loopback(format!("{base}/hook"));
        literal.allow_private = false;
        assert!(!deliver(&literal, &client(&literal).unwrap(), &entry(1)).await);
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        hook.allow_private = true;
        assert!(deliver(&hook, &client(&hook).unwrap(), &entry(1)).await);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_attempt_ends_at_its_timeout() {
        let router = Router::new().route(
            "/hook",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                StatusCode::OK
            }),
        );
        let base = receiver(router).await;
        let mut hook = loopback(format!("{base}/hook"));
        hook.timeout_s = 1;
        let started = Instant::now();
        assert!(!deliver(&hook, &client(&hook).unwrap(), &entry(1)).await);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn answers_are_read_up_to_the_limit() {
        let endless = || {
            axum::body::Body::from_stream(futures_util::stream::repeat_with(|| {
                Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(vec![b'x'; 16 * 1024]))
            }))
        };
        let router = Router::new().route(
            "/hook",
            post(move || async move { (StatusCode::INTERNAL_SERVER_ERROR, endless()) }),
        );
        let base = receiver(router).await;
        let mut hook = loopback(format!("{base}/hook"));
        hook.timeout_s = 30;
        hook.response_limit_bytes = 1000;
        let started = Instant::now();
        assert!(!deliver(&hook, &client(&hook).unwrap(), &entry(1)).await);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let response = client(&hook)
            .unwrap()
            .post(format!("{base}/hook"))
            .send()
            .await
            .unwrap();
        assert_eq!(read_bounded(response, 1000).await.len(), 1000);
    }

    fn event(n: u32) -> AlertEvent {
        AlertEvent {
            key: EpisodeKey {
                kind: AlertKind::Encounter,
                subject: SubjectKey::vessel(412_000_000 + n),
                scope: String::new(),
            },
            phase: Phase::Open,
            t: 1_700_000_000.25 + f64::from(n),
            location: [121.612_345_678_9, 29.6 + f64::from(n) * 1e-7],
            severity: Severity::Warning,
            fence_id: None,
            town: Some("Chunhu".into()),
            name: Some(format!("boat {n}")),
            evidence: json!({"distance_m": 123.456, "minutes": 31.5, "other": [1, 2.5, "x"]})
                .as_object()
                .cloned()
                .unwrap(),
        }
    }

    fn pending(outboxes: &Outboxes) -> Vec<(u64, bool)> {
        outboxes.0[0]
            .journal()
            .pending
            .iter()
            .map(|e| (e.event_id, e.confirmed))
            .collect()
    }

    async fn reopen(path: &Path, store: &dyn Store) -> Outboxes {
        let outbox =
            Outbox::open(WebhookConfig::new("https://ops.example/hook"), path.into()).unwrap();
        outbox.recover(store).await.unwrap();
        Outboxes(Arc::new(vec![Arc::new(outbox)]))
    }

    async fn commit(store: &dyn Store, alert: &Feature) {
        let mut changes = Changes::default();
        changes.upsert(Layer::Alerts, vec![alert.clone()]);
        store.commit(changes).await.unwrap();
    }

    #[tokio::test]
    async fn the_outbox_keeps_stored_changes_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = GeoPackageStore::open(dir.path().join("a.gpkg"))
            .await
            .unwrap();
        let path = dir.path().join("outbox.json");
        let mut book = AlertBook::restore(Vec::new());
        let [a, b, c, d] = [1, 2, 3, 4].map(|n| book.apply(event(n)).unwrap());

        let outboxes = reopen(&path, &store).await;
        // a: stored and settled; b: its commit failed
        let prepared = outboxes.prepare(10, std::slice::from_ref(&a)).await;
        commit(&store, &a).await;
        outboxes.settle(prepared, true).await;
        let prepared = outboxes.prepare(11, std::slice::from_ref(&b)).await;
        outboxes.settle(prepared, false).await;
        // c: stored, then killed before it was settled
        outboxes.prepare(12, std::slice::from_ref(&c)).await;
        commit(&store, &c).await;
        assert_eq!(pending(&outboxes), [(10, true), (12, false)]);
        drop(outboxes);

        let outboxes = reopen(&path, &store).await;
        assert_eq!(
            pending(&outboxes),
            [(10, true), (12, true)],
            "c is stored exactly so: its commit happened"
        );
        // d: killed before its commit
        outboxes.prepare(13, std::slice::from_ref(&d)).await;
        drop(outboxes);
        let outboxes = reopen(&path, &store).await;
        assert_eq!(
            pending(&outboxes),
            [(10, true), (12, true)],
            "d was never stored"
        );
        let first = outboxes.0[0].next().await;
        assert_eq!(first.alert, book::alert_json(&a));
        assert_eq!(
            first.body(),
            format!(r#"{{"event_id":10,"alert":{}}}"#, book::alert_json(&a))
        );
    }

    #[tokio::test]
    async fn a_full_outbox_drops_the_oldest_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = GeoPackageStore::open(dir.path().join("a.gpkg"))
            .await
            .unwrap();
        let path = dir.path().join("outbox.json");
        let mut book = AlertBook::restore(Vec::new());
        let alerts: Vec<Feature> = (1..=3).map(|n| book.apply(event(n)).unwrap()).collect();
        let mut hook = WebhookConfig::new("https://ops.example/hook");
        hook.max_pending = 2;
        let outboxes = Outboxes(Arc::new(vec![Arc::new(
            Outbox::open(hook.clone(), path.clone()).unwrap(),
        )]));
        let prepared = outboxes.prepare(20, &alerts).await;
        for alert in &alerts {
            commit(&store, alert).await;
        }
        outboxes.settle(prepared, true).await;
        assert_eq!(pending(&outboxes), [(21, true), (22, true)]);
        let reopened = Outbox::open(hook, path).unwrap();
        assert_eq!(reopened.journal().dropped, 1, "the count is kept");
        assert_eq!(reopened.journal().pending.len(), 2);
    }
}
