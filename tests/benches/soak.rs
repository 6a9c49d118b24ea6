//! Soak: `coastwatch demo` under mixed load with slow and abusive clients, on loopback only.
//!
//!     cargo build --release -p coastwatch-server
//!     SOAK_SECS=600 cargo bench -p coastwatch-tests --bench soak
//!
//! For `SOAK_SECS` (600 by default) it runs, at once: tile and OGC readers (100 requests/s),
//! SSE and
//! WebSocket subscribers, an AIS TCP feed of 1,000 vessels, and abusers (partial headers,
//! bodies that never end, 16 MiB bodies without a token, garbage and half-lines on the AIS
//! port, a composite tile naming one layer 100 times, 1 MiB WebSocket frames). It samples
//! the server's RSS every 5 s and times `/healthz` every 100 ms (with a progress line on stderr
//! every 30 s: RSS, stored alerts, vessels), then prints the figures and
//! fails when the server answered 5xx, its RSS (mean per minute) after the first minute left
//! ±20 % of the second minute's, or `/healthz` p99 reached 100 ms. Every loop stops at the deadline.
//! `COASTWATCH_BIN` picks the binary (default: target/release/coastwatch).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use coastwatch_ais::encode::{PositionReport, sentences, with_time};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Response counts by class, and transport errors.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    failed: AtomicU64,
}

impl Tally {
    fn count(&self, status: Option<u16>) {
        let slot = match status {
            Some(500..) => &self.server_errors,
            Some(400..) => &self.client_errors,
            Some(_) => &self.ok,
            None => &self.failed,
        };
        slot.fetch_add(1, Ordering::Relaxed);
    }
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The server's clock (`X-Coastwatch-Time`), epoch s.
async fn server_now_s(client: &reqwest::Client, base: &str) -> Option<i64> {
    let response = client.get(format!("{base}/healthz")).send().await.ok()?;
    let now: f64 = response
        .headers()
        .get("x-coastwatch-time")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(now as i64)
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn main() {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let binary = std::env::var("COASTWATCH_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/coastwatch").into()
    });
    let (port, ais_port) = (free_port(), free_port());
    let mut server = Command::new(&binary)
        .args(["demo", "--port", &port.to_string(), "--speed", "10"])
        .env(
            "COASTWATCH_AIS__TCP_LISTEN",
            format!("127.0.0.1:{ais_port}"),
        )
        // A 10-minute track window fills within the first real minute at 10× speed, so every
        // bounded buffer is full before RSS is judged; what grows after that is a leak. (With
        // the default 6 h window the tracks fill for 36 real minutes: a 20-minute soak measured
        // 294 → 491 MiB, about 160 bytes per stored fix, which is the window, not a leak.)
        .env("COASTWATCH_AIS__TRACK_WINDOW_MIN", "10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let pid = server.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let verdict = runtime.block_on(soak(port, ais_port, pid, Duration::from_secs(secs)));
    let _ = server.kill();
    let _ = server.wait();
    if let Err(failure) = verdict {
        eprintln!("soak failed: {failure}");
        std::process::exit(1);
    }
}

async fn soak(port: u16, ais_port: u16, pid: u32, length: Duration) -> Result<(), String> {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the demo did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = tokio::time::Instant::now() + length;
    let tally = Arc::new(Tally::default());
    let mut tasks = tokio::task::JoinSet::new();

    // the tile sources the web map uses, from its style
    let style: serde_json::Value = client
        .get(format!("{base}/style.json"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let source = |name: &str| {
        style["sources"][name]["tiles"][0]
            .as_str()
            .map(str::to_owned)
    };
    let templates: Arc<Vec<String>> = Arc::new(
        ["static", "live"]
            .iter()
            .filter_map(|name| source(name))
            .collect(),
    );
    if templates.len() != 2 {
        return Err(format!("the style has no static and live sources: {style}"));
    }

    // readers: tiles over the district at zooms 8–14, OGC pages, the alert list; 4 readers
    // at 25 requests/s each (a busy command centre, not a saturation test)
    for worker in 0..4u64 {
        let (client, base, tally) = (client.clone(), base.clone(), tally.clone());
        let templates = templates.clone();
        tasks.spawn(async move {
            let mut n = worker;
            while tokio::time::Instant::now() < deadline {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let z = 8 + (n >> 33) % 7;
                let scale = 1u64 << z;
                let x = ((121.6 + 180.0) / 360.0 * scale as f64) as u64 + (n >> 40) % 3;
                let y = ((1.0
                    - (29.6f64.to_radians().tan() + 1.0 / 29.6f64.to_radians().cos()).ln()
                        / std::f64::consts::PI)
                    / 2.0
                    * scale as f64) as u64;
                let path = match n % 5 {
                    0 | 1 => templates[(n % 2) as usize]
                        .replace("{z}", &z.to_string())
                        .replace("{x}", &x.to_string())
                        .replace("{y}", &y.to_string())
                        .replace(&base, ""),
                    2 => "/ogc/collections/vessels/items?limit=100&f=json".to_owned(),
                    3 => "/ogc/collections/risk_points/items?limit=50&f=json".to_owned(),
                    _ => "/api/v1/alerts?limit=100".to_owned(),
                };
                let status = client
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .ok()
                    .map(|r| r.status().as_u16());
                tally.count(status);
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        });
    }
    // live subscribers: SSE and WebSocket, reconnecting when dropped
    for _ in 0..50 {
        let (client, base) = (client.clone(), base.clone());
        tasks.spawn(async move {
            while tokio::time::Instant::now() < deadline {
                if let Ok(mut response) = client
                    .get(format!("{base}/api/v1/alerts/stream"))
                    .timeout(length)
                    .send()
                    .await
                {
                    while let Ok(Ok(Some(_))) =
                        tokio::time::timeout_at(deadline, response.chunk()).await
                    {
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    for _ in 0..20 {
        let url = format!("ws://127.0.0.1:{port}/api/v1/alerts/ws");
        tasks.spawn(async move {
            while tokio::time::Instant::now() < deadline {
                if let Ok((mut socket, _)) = tokio_tungstenite::connect_async(&url).await {
                    while let Ok(Some(_)) = tokio::time::timeout_at(deadline, socket.next()).await {
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    // an AIS feed: 1,000 vessels, one report each per second, stamped on the server's clock
    // (the demo's runs ten times as fast: real-time stamps would fall ever further behind
    // and make every vessel look dark)
    let (clock, clock_base) = (client.clone(), base.clone());
    tasks.spawn(async move {
        while tokio::time::Instant::now() < deadline {
            let Ok(mut feed) = TcpStream::connect(("127.0.0.1", ais_port)).await else {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            };
            while tokio::time::Instant::now() < deadline {
                let t = server_now_s(&clock, &clock_base)
                    .await
                    .unwrap_or_else(now_s);
                let lines: String = (0..1000u32)
                    .map(|n| {
                        let report = PositionReport {
                            mmsi: 413_500_000 + n,
                            nav_status: 0,
                            lon: 121.45 + f64::from(n % 100) * 0.003 + (t % 600) as f64 * 1e-5,
                            lat: 29.5 + f64::from(n / 100) * 0.01,
                            sog_kn: 6.0,
                            cog_deg: 90.0,
                            heading_deg: None,
                            second: 0,
                        };
                        with_time(&sentences(&report.bits(), 'A', 0)[0], t) + "\n"
                    })
                    .collect();
                if feed.write_all(lines.as_bytes()).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
    // abusers
    for _ in 0..100 {
        tasks.spawn(async move {
            // partial headers, a byte a second
            while tokio::time::Instant::now() < deadline {
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await {
                    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\n").await;
                    while s.write_all(b"X").await.is_ok() && tokio::time::Instant::now() < deadline
                    {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }
    for _ in 0..20 {
        tasks.spawn(async move {
            // a body that never ends, and a 16 MiB body without a token
            while tokio::time::Instant::now() < deadline {
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await {
                    let _ = s.write_all(b"POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16777216\r\n\r\n").await;
                    let chunk = vec![b' '; 64 * 1024];
                    for _ in 0..256 {
                        if s.write_all(&chunk).await.is_err() || tokio::time::Instant::now() >= deadline {
                            break;
                        }
                    }
                    let mut sink = [0u8; 1024];
                    let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut sink)).await;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    {
        let (client, base, tally) = (client.clone(), base.clone(), tally.clone());
        tasks.spawn(async move {
            let layers = vec!["coverage_gaps"; 100].join(",");
            while tokio::time::Instant::now() < deadline {
                let status = client
                    .get(format!("{base}/tiles/{layers}/10/869/420"))
                    .send()
                    .await
                    .ok()
                    .map(|r| r.status().as_u16());
                tally.count(status);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }
    for _ in 0..10 {
        tasks.spawn(async move {
            // garbage and half-lines on the AIS port
            while tokio::time::Instant::now() < deadline {
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", ais_port)).await {
                    let _ = s.write_all(&vec![b'!'; 256 * 1024]).await;
                    let _ = s
                        .write_all(b"\n\xff\xfe not nmea\n!AIVDM,1,1,,A,garbage,0*00\n")
                        .await;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    {
        let url = format!("ws://127.0.0.1:{port}/api/v1/alerts/ws");
        tasks.spawn(async move {
            // 1 MiB WebSocket frames
            while tokio::time::Instant::now() < deadline {
                if let Ok((mut socket, _)) = tokio_tungstenite::connect_async(&url).await {
                    let frame = "x".repeat(1 << 20);
                    let _ = socket
                        .send(tokio_tungstenite::tungstenite::Message::text(frame))
                        .await;
                    let _ = tokio::time::timeout(Duration::from_secs(2), socket.next()).await;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    // the measurements: RSS every 5 s, /healthz every 100 ms
    let mut rss: Vec<(f64, f64)> = Vec::new();
    let mut health_ms: Vec<f64> = Vec::new();
    let health = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut next_rss = Instant::now();
    let mut next_report = Instant::now();
    while tokio::time::Instant::now() < deadline {
        if Instant::now() >= next_rss {
            rss.push((started.elapsed().as_secs_f64(), rss_mib(pid)));
            next_rss += Duration::from_secs(5);
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(30);
            let matched = |layer: &'static str| {
                let (health, base) = (health.clone(), base.clone());
                async move {
                    let url = format!("{base}/ogc/collections/{layer}/items?limit=1&f=json");
                    let page: serde_json::Value =
                        health.get(url).send().await.ok()?.json().await.ok()?;
                    page["numberMatched"].as_u64()
                }
            };
            eprintln!(
                "{:4.0} s: RSS {:.0} MiB, {} alerts, {} vessels, {} responses",
                started.elapsed().as_secs_f64(),
                rss_mib(pid),
                matched("alerts").await.unwrap_or_default(),
                matched("vessels").await.unwrap_or_default(),
                tally.ok.load(Ordering::Relaxed)
            );
        }
        let asked = Instant::now();
        let status = health
            .get(format!("{base}/healthz"))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        health_ms.push(asked.elapsed().as_secs_f64() * 1e3);
        tally.count(status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tasks.abort_all();

    health_ms.sort_by(f64::total_cmp);
    let p = |q: f64| health_ms[((health_ms.len() - 1) as f64 * q) as usize];
    // RSS per minute (the mean of its 5-second samples): single requests make it swing by
    // tens of MiB; "flat" is about the level, so each minute after the first is held to
    // ±20 % of the second minute's
    let mut minutes: Vec<(f64, u32)> = Vec::new();
    for (t, mib) in &rss {
        let minute = (*t / 60.0) as usize;
        if minutes.len() <= minute {
            minutes.resize(minute + 1, (0.0, 0));
        }
        minutes[minute].0 += mib;
        minutes[minute].1 += 1;
    }
    let means: Vec<f64> = minutes
        .iter()
        .skip(1)
        .filter(|(_, n)| *n > 0)
        .map(|(sum, n)| sum / f64::from(*n))
        .collect();
    let reference = means.first().copied().unwrap_or(0.0);
    let (low, high) = means
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
    let (peak_low, peak_high) = rss
        .iter()
        .filter(|(t, _)| *t >= 60.0)
        .fold((f64::MAX, 0.0f64), |(lo, hi), (_, m)| {
            (lo.min(*m), hi.max(*m))
        });
    let (ok, client_errors, server_errors, failed) = (
        tally.ok.load(Ordering::Relaxed),
        tally.client_errors.load(Ordering::Relaxed),
        tally.server_errors.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    println!("soak of {} s", length.as_secs());
    println!(
        "responses: {ok} ok, {client_errors} 4xx, {server_errors} 5xx, {failed} without answer"
    );
    println!(
        "/healthz: {} probes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        health_ms.len(),
        p(0.5),
        p(0.99),
        health_ms.last().copied().unwrap_or(0.0)
    );
    if reference > 0.0 {
        let per_minute: Vec<String> = means.iter().map(|m| format!("{m:.0}")).collect();
        println!(
            "RSS per minute from minute 2: {} MiB ({:+.0} % / {:+.0} % of the first); samples {peak_low:.0}–{peak_high:.0} MiB, last {:.0} MiB",
            per_minute.join(", "),
            (low / reference - 1.0) * 100.0,
            (high / reference - 1.0) * 100.0,
            rss.last().map_or(0.0, |r| r.1)
        );
    } else {
        println!(
            "RSS: last {:.0} MiB (a run under a minute has no reference)",
            rss.last().map_or(0.0, |r| r.1)
        );
    }
    let mut failures = Vec::new();
    if server_errors > 0 {
        failures.push(format!("{server_errors} responses were 5xx"));
    }
    if p(0.99) >= 100.0 {
        failures.push(format!("/healthz p99 {:.1} ms", p(0.99)));
    }
    if reference > 0.0 && (high > reference * 1.2 || low < reference * 0.8) {
        failures.push(format!(
            "RSS per minute left ±20 % of {reference:.0} MiB: {low:.0}–{high:.0}"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}
