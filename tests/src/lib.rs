//! Helpers for the end-to-end tests in `tests/tests/`: an app over a fresh GeoPackage,
//! one-shot requests, the `coastwatch` binary, external tools that CI must have, and a
//! JT/T 808 terminal ([`terminal`]).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use coastwatch_server::auth::Role;
use coastwatch_server::config::TokenConfig;
use coastwatch_server::{AppState, Config, app};
use coastwatch_store::{GeoPackageStore, Store};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub mod terminal;

/// Token of a user with the `planner` role.
pub const PLANNER: &str = "planner-token-1";
/// Token of a user with the `viewer` role.
pub const VIEWER: &str = "viewer-token-1";
/// Token of a user with the `dispatcher` role.
pub const DISPATCHER: &str = "dispatcher-token-1";

/// A test server: the app, its store, and the folder holding the GeoPackage.
pub struct TestServer {
    /// The router, for one-shot requests.
    pub app: Router,
    /// The store behind it.
    pub store: Arc<dyn Store>,
    /// The state behind the router (its alert feed, its command platform).
    pub state: AppState,
    /// Keeps the GeoPackage's folder alive.
    pub dir: tempfile::TempDir,
}

/// Token of a user with the `ingest` role (in [`ingest_config`]).
pub const INGEST: &str = "ingest-token-1";

/// [`test_config`] with a feeder's token ([`INGEST`]) as well.
pub fn ingest_config() -> Config {
    let mut config = test_config();
    config
        .auth
        .tokens
        .push(TokenConfig::plain(INGEST, "feeder", vec![Role::Ingest]));
    config
}

/// A config with one token per role used in the tests.
pub fn test_config() -> Config {
    let mut config = Config::default();
    for (token, user, role) in [
        (PLANNER, "pia", Role::Planner),
        (VIEWER, "vic", Role::Viewer),
    ] {
        config
            .auth
            .tokens
            .push(TokenConfig::plain(token, user, vec![role]));
    }
    // as new configs give tokens: only the hash
    config.auth.tokens.push(TokenConfig {
        token: None,
        token_sha256: Some(coastwatch_server::auth::sha256_hex(DISPATCHER)),
        user: "dan".into(),
        roles: vec![Role::Dispatcher],
        agency: None,
        town: None,
    });
    config
}

impl TestServer {
    /// A server over a fresh GeoPackage with `config`.
    pub async fn new(config: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(
            GeoPackageStore::open(dir.path().join("test.gpkg"))
                .await
                .unwrap(),
        );
        let state = AppState::start(config, store.clone()).await.unwrap();
        let app = app(state.clone());
        Self {
            app,
            store,
            state,
            dir,
        }
    }

    /// Sends a request; returns the status and the body (JSON when it parses, else a string).
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send_raw(method, uri, token, body.map(|b| b.as_bytes().to_vec()), &[])
            .await;
        (
            status,
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
        )
    }

    /// Sends a request with extra headers; returns status, headers and raw body.
    pub async fn send_raw(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some()
            && !headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            request = request.header("content-type", "application/geo+json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .app
            .clone()
            .oneshot(
                request
                    .body(body.map_or_else(Body::empty, Body::from))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, bytes)
    }
}

/// The `coastwatch` binary that `cargo test --workspace` built next to this test.
pub fn coastwatch_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|p| p.parent()).unwrap();
    let bin = dir.join(format!("coastwatch{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p coastwatch-server` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Sends one HTTP/1.1 request over a fresh connection (`Connection: close`) and returns the
/// status code and the body; `None` when the server cannot be reached or does not answer
/// within 10 s.
pub fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Some((status, body.to_owned()))
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// `coastwatch serve` with `config` over `store` on a free port, started but perhaps not yet
/// answering: the process and its address.
pub fn spawn_serve(
    config: &std::path::Path,
    store: &std::path::Path,
) -> (std::process::Child, String) {
    let port = free_port();
    let server = Command::new(coastwatch_bin())
        .args(["serve", "--config", config.to_str().unwrap()])
        .args([
            "--store",
            store.to_str().unwrap(),
            "--port",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(logs(config))
        .spawn()
        .unwrap();
    (server, format!("127.0.0.1:{port}"))
}

/// Where the log of a server started with `config` goes: nowhere, unless
/// `COASTWATCH_TEST_LOGS` is set (to see why a test of processes failed): to the test's
/// stderr, or, when it names a folder, to `<folder>/<config's folder>-<config's name>.log`.
fn logs(config: &std::path::Path) -> std::process::Stdio {
    let Some(target) = std::env::var_os("COASTWATCH_TEST_LOGS") else {
        return std::process::Stdio::null();
    };
    let folder = std::path::Path::new(&target);
    if !folder.is_dir() {
        return std::process::Stdio::inherit();
    }
    // the test's folder and the node: tests that run at once name their nodes alike
    let test = config
        .parent()
        .and_then(|p| p.file_name())
        .unwrap_or_default();
    let name = config.file_stem().unwrap_or_default();
    let name = format!("{}-{}", test.to_string_lossy(), name.to_string_lossy());
    std::fs::File::create(folder.join(format!("{name}.log")))
        .map_or_else(|_| std::process::Stdio::inherit(), Into::into)
}

/// [`spawn_serve`], once `/healthz` answers 200.
pub fn serve(config: &std::path::Path, store: &std::path::Path) -> (std::process::Child, String) {
    let (server, addr) = spawn_serve(config, store);
    let started = std::time::Instant::now();
    while http_request(&addr, "GET", "/healthz", None, "text/plain", "").map(|r| r.0) != Some(200) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (server, addr)
}

/// Debian's `nats-server` with JetStream on `port`, its files in `dir`, once it takes
/// connections.
pub fn nats_server(port: u16, dir: &std::path::Path) -> std::process::Child {
    nats_server_with(port, dir, &[])
}

/// Server `n` (0, 1 or 2) of a three-node NATS cluster with JetStream: clients on `ports[n]`,
/// routes between them on `routes`; its files in `dir`.
pub fn nats_cluster_node(
    n: usize,
    ports: [u16; 3],
    routes: [u16; 3],
    dir: &std::path::Path,
) -> std::process::Child {
    let others: Vec<String> = (0..3)
        .filter(|&i| i != n)
        .map(|i| format!("nats://127.0.0.1:{}", routes[i]))
        .collect();
    let args = [
        "-n".to_owned(),
        format!("nats-{n}"),
        "--cluster_name".into(),
        "coastwatch".into(),
        "--cluster".into(),
        format!("nats://127.0.0.1:{}", routes[n]),
        "--routes".into(),
        others.join(","),
    ];
    nats_server_with(ports[n], dir, &args)
}

/// [`nats_server`] with more arguments.
fn nats_server_with(port: u16, dir: &std::path::Path, args: &[String]) -> std::process::Child {
    // as docs/scaling.md asks: an inspection's photos cross in one message
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join("nats-server.conf");
    std::fs::write(&config, "max_payload: 8MB\n").unwrap();
    let child = Command::new("nats-server")
        .arg("-c")
        .arg(&config)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nats-server (scripts/install-deps.sh --test installs it)");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "nats-server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// Whether an external tool is installed; on CI (CI=true) a missing tool fails the test.
pub fn tool_available(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but {tool} is missing (scripts/install-deps.sh installs it)"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

/// The alert events of `{base}/api/v1/alerts/stream` as `(id, data)`, read with `token` after
/// `last_event_id`, until the stream ends or the receiver is dropped.
pub fn sse(
    base: &str,
    token: &str,
    last_event_id: Option<u64>,
) -> tokio::sync::mpsc::UnboundedReceiver<(u64, Value)> {
    read_sse(base, token, last_event_id, false)
}

/// [`sse`], with the events that carry only an id (where a new stream starts) as
/// `(id, Value::Null)`.
pub fn sse_with_marks(
    base: &str,
    token: &str,
    last_event_id: Option<u64>,
) -> tokio::sync::mpsc::UnboundedReceiver<(u64, Value)> {
    read_sse(base, token, last_event_id, true)
}

fn read_sse(
    base: &str,
    token: &str,
    last_event_id: Option<u64>,
    marks: bool,
) -> tokio::sync::mpsc::UnboundedReceiver<(u64, Value)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let url = format!("{base}/api/v1/alerts/stream");
    let token = token.to_owned();
    tokio::spawn(async move {
        let mut request = reqwest::Client::new().get(url).bearer_auth(&token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let mut response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let mut text = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ").or(line.strip_prefix("id:")) {
                        id = v.trim().parse().ok();
                    } else if let Some(v) =
                        line.strip_prefix("data: ").or(line.strip_prefix("data:"))
                    {
                        data = serde_json::from_str(v).ok();
                    }
                }
                let event = match (id, data) {
                    (Some(id), Some(data)) => Some((id, data)),
                    (Some(id), None) if marks => Some((id, Value::Null)),
                    _ => None,
                };
                if let Some(event) = event
                    && tx.send(event).is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

/// A 30 s video (640×360, 10 fps) of a dark boat crossing a calm sea from left to right,
/// its foot on row 236; or `None` without ffmpeg.
pub fn boat_video(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let out = dir.join("boat.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x5a7890:s=640x360:r=10",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x1c1c1c:s=48x16:r=10",
            "-filter_complex",
            "[0][1]overlay=x='60+t*12':y=220",
            "-t",
            "30",
            "-pix_fmt",
            "yuv420p",
            "-y",
        ])
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ffmpeg is missing"
        );
        eprintln!("skipping: ffmpeg is missing");
    }
    made.then_some(out)
}

/// The pose of the camera that films [`boat_video`]: 20 m above the sea at (121.60, 29.60),
/// looking north, 2° down.
pub fn boat_camera_pose() -> coastwatch_core::georef::Pose {
    coastwatch_core::georef::Pose {
        lon: 121.60,
        lat: 29.60,
        height_m: 20.0,
        heading_deg: 0.0,
        tilt_deg: 2.0,
        hfov_deg: 60.0,
        width: 640,
        height: 360,
    }
}
