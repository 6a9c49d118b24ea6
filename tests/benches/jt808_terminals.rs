//! JT/T 808 terminals reporting every second: report → stored latency (target: 1,000
//! terminals, p99 < 50 ms).
//!
//! A server over a temporary GeoPackage (durable, as `coastwatch serve` runs it) with 1,000
//! registered tank trucks, each bound to a terminal, is started in-process with its JT/T 808
//! listener on 127.0.0.1. Each terminal (the simulator of `coastwatch_tests::terminal`, not
//! the server's codec) connects, registers, authenticates, then sends a location report
//! every second, at its own phase within the second, driving along a road. The platform
//! answers `0x8001` only once the report is durable, so the time from writing a report to
//! reading its answer is report → stored. Every report must be answered with success, and
//! stored (once per terminal and second: the time a report carries has whole seconds).
//!
//!   cargo bench -p coastwatch-tests --bench jt808_terminals
//!
//! Settings (environment): `TERMINALS` (1000), `DURATION_S` of reporting (20).

use std::sync::Arc;
use std::time::{Duration, Instant};

use coastwatch_core::{Feature, Layer};
use coastwatch_server::AppState;
use coastwatch_store::Store;
use coastwatch_tests::terminal::{auth_code, bcd, location_body, registration_body, wire};
use coastwatch_tests::test_config;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "bench-secret-0123456789";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn phone(n: u64) -> String {
    format!("1390000{n:04}")
}

/// Reads one whole frame (its escaped bytes) from the platform.
async fn frame(socket: &mut TcpStream, pending: &mut Vec<u8>) -> Vec<u8> {
    loop {
        if let Some(start) = pending.iter().position(|&b| b == 0x7e)
            && let Some(len) = pending[start + 1..].iter().position(|&b| b == 0x7e)
        {
            let end = start + 1 + len + 1;
            let out = pending[start..end].to_vec();
            pending.drain(..end);
            return out;
        }
        let mut buf = [0u8; 512];
        let n = socket.read(&mut buf).await.expect("read");
        assert!(n > 0, "the platform hung up");
        pending.extend_from_slice(&buf[..n]);
    }
}

/// A frame's bytes between its delimiters, escapes undone.
fn unescaped(frame: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(frame.len());
    let mut bytes = frame[1..frame.len() - 1].iter();
    while let Some(&b) = bytes.next() {
        raw.push(match (b, bytes.clone().next()) {
            (0x7d, Some(0x02)) => {
                bytes.next();
                0x7e
            }
            (0x7d, Some(_)) => {
                bytes.next();
                0x7d
            }
            _ => b,
        });
    }
    raw
}

/// The result byte of an `0x8001` frame (the last byte of its body).
fn result_of(frame: &[u8]) -> u8 {
    let raw = unescaped(frame);
    raw[raw.len() - 2]
}

/// One terminal: registers, authenticates, reports every second for `duration`; returns the
/// latency of each report.
async fn terminal(
    address: std::net::SocketAddr,
    n: u64,
    start: Instant,
    duration: Duration,
) -> (Vec<Duration>, usize) {
    let phone_digits = phone(n);
    let phone = bcd(&phone_digits, 6);
    let mut socket = TcpStream::connect(address).await.expect("connect");
    socket.set_nodelay(true).ok();
    let mut pending = Vec::new();
    let mut serial = 0u16;
    let mut send = |msg_id: u16, body: &[u8]| {
        serial = serial.wrapping_add(1);
        wire(msg_id, false, &phone, serial, body)
    };
    let register = send(0x0100, &registration_body(false));
    socket.write_all(&register).await.unwrap();
    let registered = unescaped(&frame(&mut socket, &mut pending).await);
    // message id, properties, phone, serial, then the reply serial and the result
    assert_eq!(
        (registered[0], registered[1], registered[14]),
        (0x81, 0x00, 0),
        "registered"
    );
    let authenticate = send(0x0102, &auth_code(SECRET, &phone_digits));
    socket.write_all(&authenticate).await.unwrap();
    assert_eq!(
        result_of(&frame(&mut socket, &mut pending).await),
        0,
        "authenticated"
    );

    // each terminal reports at its own phase within the second
    let phase = Duration::from_millis(n * 997 % 1000);
    let mut latencies = Vec::new();
    let mut seconds = std::collections::BTreeSet::new();
    let mut at = [
        121.40 + (n % 100) as f64 * 0.003,
        29.50 + (n / 100) as f64 * 0.005,
    ];
    let mut due = start + phase;
    while due < start + duration {
        tokio::time::sleep_until(due.into()).await;
        at[0] += 0.0002;
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        seconds.insert(t);
        let report = send(0x0200, &location_body(0, true, at, 60.0, t));
        let sent = Instant::now();
        socket.write_all(&report).await.unwrap();
        let answer = frame(&mut socket, &mut pending).await;
        latencies.push(sent.elapsed());
        assert_eq!(result_of(&answer), 0, "report {n} stored");
        due += Duration::from_secs(1);
    }
    (latencies, seconds.len())
}

fn main() {
    let terminals = setting("TERMINALS", 1000);
    let duration = Duration::from_secs(setting("DURATION_S", 20));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(
            coastwatch_store::GeoPackageStore::open(dir.path().join("bench.gpkg"))
                .await
                .unwrap(),
        );
        let vehicles: Vec<Feature> = (0..terminals)
            .map(|n| {
                let serde_json::Value::Object(properties) = json!({
                    "vehicle_id": format!("TRK-{n}"), "class": "tank_truck", "terminal_id": phone(n)
                }) else {
                    unreachable!()
                };
                Feature {
                    id: None,
                    geometry: None,
                    properties,
                }
            })
            .collect();
        store.insert(Layer::Vehicles, vehicles).await.unwrap();
        let mut config = test_config();
        config.jt808.auth_secret = Some(SECRET.into());
        let state = AppState::start(config, store.clone()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(coastwatch_server::jt808::listener(listener, state.clone()));

        let start = Instant::now() + Duration::from_secs(3);
        let tasks: Vec<_> = (0..terminals)
            .map(|n| tokio::spawn(terminal(address, n, start, duration)))
            .collect();
        let (mut latencies, mut distinct) = (Vec::new(), 0);
        for task in tasks {
            let (of_one, seconds) = task.await.unwrap();
            latencies.extend(of_one);
            distinct += seconds;
        }
        latencies.sort();
        let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let stored = store.positions_since(0.0).await.unwrap().len();
        println!(
            "jt808: {terminals} terminals, {} reports in {} s ({:.0}/s), all answered and {stored} fixes stored",
            latencies.len(),
            duration.as_secs(),
            latencies.len() as f64 / duration.as_secs_f64()
        );
        println!(
            "report → stored: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 50 ms)",
            ms(pick(0.5)),
            ms(pick(0.9)),
            ms(pick(0.99)),
            ms(pick(1.0))
        );
        // a report stamped in the same second as its terminal's previous one is the same fix
        assert_eq!(stored, distinct, "every answered report is stored");
    });
}
