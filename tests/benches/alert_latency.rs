//! Ingest → SSE latency of geofence alerts at a steady 20,000 fixes/s (target: p99 < 50 ms;
//! at 50,000 fixes/s the target is p99 < 20 ms: `RATE=50000 TARGET_MS=20`).
//!
//! A server over a store (a temporary GeoPackage unless `STORE` says) holding 1,000 polygon
//! geofences (8–40 vertices, rule `{"detect": ["enter"], "debounce": {"fixes": 1}}`) is
//! started in-process with its NMEA TCP listener and HTTP API on 127.0.0.1. A client subscribes to
//! `/api/v1/alerts/stream` over real HTTP, then one TCP feed sends type 1 position reports
//! (no tag block: the server stamps them on arrival) at a steady rate from 5,000 moving
//! vessels. 3,000 of them sail straight into a fence, so that one known fix of each is its
//! first fix inside (1 m past the border, the fix before 1 m short of it); the others move
//! between the fences. For each entering vessel the latency is the time from writing its
//! entering line to the socket to receiving its `geofence_enter` event on the stream (and,
//! should the sender fall behind, from the time the line was due). Every alert must arrive.
//!
//!   cargo bench -p coastwatch-tests --bench alert_latency
//!
//! Settings (environment): `RATE` fixes/s (20000), `DURATION_S` of sending (12), `VESSELS`
//! (5000), `ENTERING` vessels that enter a fence (3000), `FENCES` (1000), `TARGET_MS` the p99
//! the verdict holds it to (50), `STORE` (a temporary GeoPackage; a `postgres://` URL of an
//! empty database measures PostGIS), `CLUSTER` (unset: one server; `n`: the feed goes to an
//! ingest node, and through Debian's `nats-server` with JetStream in `n` partitions to the core
//! node the stream is read from, both in this process).

use std::io::Write as _;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use coastwatch_ais::encode::{PositionReport, sentences};
use coastwatch_core::geodesy::{lat_deg, lon_deg};
use coastwatch_core::rng::Rng;
use coastwatch_core::{Feature, Layer};
use coastwatch_server::config::{ClusterConfig, NodeRole};
use coastwatch_server::{AppState, app, feeds};
use coastwatch_store::Store;
use coastwatch_tests::{DISPATCHER, test_config};
use geo::{Coord, LineString, Polygon};
use serde_json::{Value, json};

/// The `coastwatch` binary's allocator, so that the server in this process allocates as it does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WEST: f64 = 121.1;
const SOUTH: f64 = 29.1;
/// Fences sit one per cell of a GRID × GRID grid over the 1° × 1° district, so that they
/// never overlap and the vessels between them are outside every fence.
const GRID: usize = 32;
/// Metres a vessel moves between two of its fixes.
const STEP_M: f64 = 2.0;
/// After the last line is sent, alerts are awaited while they keep coming (at most this
/// long between two) …
const QUIET: Duration = Duration::from_secs(5);
/// … and at most this long in all.
const DRAIN: Duration = Duration::from_secs(30);

/// Debian's `nats-server` with JetStream on a free port, its files in `dir`: the process and
/// its URL.
fn nats_server(dir: &std::path::Path) -> (std::process::Child, String) {
    let port = coastwatch_tests::free_port();
    let child = coastwatch_tests::nats_server(port, &dir.join("jetstream"));
    (child, format!("nats://127.0.0.1:{port}"))
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fence: a star-shaped (so simple) polygon around `centre`, with its vertices in metres
/// east and north of the centre.
struct Fence {
    centre: [f64; 2],
    vertices: Vec<[f64; 2]>,
}

impl Fence {
    fn new(rng: &mut Rng, centre: [f64; 2]) -> Self {
        let n = 8 + rng.below(33);
        let radius = rng.range(250.0, 600.0);
        let (amp, phase) = (rng.range(0.0, 0.2), rng.range(0.0, std::f64::consts::TAU));
        let vertices = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * (i as f64 + rng.range(0.0, 0.5)) / n as f64;
                let r = radius * (1.0 + amp * (3.0 * a + phase).sin()) * rng.range(0.95, 1.05);
                [r * a.cos(), r * a.sin()]
            })
            .collect();
        Self { centre, vertices }
    }

    fn lonlat(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [
            self.centre[0] + lon_deg(x, self.centre[1]),
            self.centre[1] + lat_deg(y),
        ]
    }

    fn feature(&self, i: usize) -> Feature {
        let mut coords: Vec<Coord> = self
            .vertices
            .iter()
            .map(|&v| {
                let [x, y] = self.lonlat(v);
                Coord { x, y }
            })
            .collect();
        coords.push(coords[0]);
        Feature::new(
            Polygon::new(LineString::new(coords), vec![]),
            json!({
                "name": format!("Closed area {i}"),
                "kind": "restricted_sea",
                "rule": {"detect": ["enter"], "debounce": {"fixes": 1}},
            }),
        )
    }

    /// Distance (m) from the centre to the border along the direction `angle`: a ray from
    /// the centre of a star-shaped polygon meets its border once.
    fn border_m(&self, angle: f64) -> f64 {
        let d = [angle.cos(), angle.sin()];
        let n = self.vertices.len();
        (0..n)
            .filter_map(|i| {
                let (a, b) = (self.vertices[i], self.vertices[(i + 1) % n]);
                let e = [b[0] - a[0], b[1] - a[1]];
                let denom = d[0] * e[1] - d[1] * e[0];
                if denom.abs() < 1e-12 {
                    return None;
                }
                let t = (a[0] * e[1] - a[1] * e[0]) / denom; // along the ray
                let u = (a[0] * d[1] - a[1] * d[0]) / denom; // along the edge
                (t > 0.0 && (-1e-9..=1.0 + 1e-9).contains(&u)).then_some(t)
            })
            .fold(f64::INFINITY, f64::min)
    }
}

/// A vessel's fix in round `round`.
trait Path {
    fn at(&self, round: usize) -> [f64; 2];
}

/// A vessel sailing towards a fence's centre that crosses its border between rounds
/// `enter - 1` and `enter`, then goes on inside.
struct Entering<'a> {
    fence: &'a Fence,
    angle: f64,
    border_m: f64,
    enter: usize,
}

impl Path for Entering<'_> {
    fn at(&self, round: usize) -> [f64; 2] {
        let past = round as f64 - self.enter as f64; // > 0 inside, ≤ -1 outside
        let r = (self.border_m - STEP_M / 2.0 - past * STEP_M).max(self.border_m / 2.0);
        self.fence
            .lonlat([r * self.angle.cos(), r * self.angle.sin()])
    }
}

/// A vessel moving in a straight line near a corner of the grid, away from every fence.
struct Roaming {
    start: [f64; 2],
    step: [f64; 2],
}

impl Path for Roaming {
    fn at(&self, round: usize) -> [f64; 2] {
        let k = round as f64;
        [
            self.start[0] + k * self.step[0],
            self.start[1] + k * self.step[1],
        ]
    }
}

fn nmea(mmsi: u32, [lon, lat]: [f64; 2], course_deg: f64) -> String {
    let report = PositionReport {
        mmsi,
        nav_status: 0,
        lon,
        lat,
        sog_kn: 8.0,
        cog_deg: course_deg,
        heading_deg: None,
        second: 0,
    };
    sentences(&report.bits(), 'A', 0).join("\r\n") + "\r\n"
}

/// What the sender sends: all lines in order, and the entering line of every entering
/// vessel (its index among the lines).
struct Plan {
    lines: Vec<String>,
    /// (line index, mmsi), in line order.
    triggers: Vec<(usize, u32)>,
}

fn plan(fences: &[Fence], vessels: usize, entering: usize, rounds: usize) -> Plan {
    let mut rng = Rng::new(21);
    let first_round = 4.min(rounds - 1);
    let cell = 1.0 / GRID as f64;
    // the round in which each entering vessel enters; the last one enters on the very last
    // line, so that its alert marks the end of the processing
    let enter_round = |v: usize| {
        if v + 1 == entering {
            rounds - 1
        } else {
            first_round + v * (rounds - 1 - first_round) / entering
        }
    };
    let mut paths: Vec<(u32, Box<dyn Path + '_>, f64)> = Vec::with_capacity(vessels);
    for v in 0..vessels {
        let mmsi = 412_000_000 + v as u32;
        if v < entering {
            let fence = &fences[v % fences.len()];
            let angle = rng.range(0.0, std::f64::consts::TAU);
            let path = Entering {
                fence,
                angle,
                border_m: fence.border_m(angle),
                enter: enter_round(v),
            };
            // sailing towards the centre: the course (from north) points back along the ray
            let course = (270.0 - angle.to_degrees()).rem_euclid(360.0);
            paths.push((mmsi, Box::new(path), course));
        } else {
            let corner = [
                WEST + cell * (1 + rng.below(GRID - 1)) as f64,
                SOUTH + cell * (1 + rng.below(GRID - 1)) as f64,
            ];
            let start = [
                corner[0] + lon_deg(rng.range(-300.0, 300.0), corner[1]),
                corner[1] + lat_deg(rng.range(-300.0, 300.0)),
            ];
            let heading = rng.range(0.0, std::f64::consts::TAU);
            let step = [
                lon_deg(STEP_M * heading.sin(), start[1]),
                lat_deg(STEP_M * heading.cos()),
            ];
            paths.push((
                mmsi,
                Box::new(Roaming { start, step }),
                heading.to_degrees(),
            ));
        }
    }
    // vessels report in a shuffled order, the same every round; the last entering vessel
    // goes last
    let mut order: Vec<usize> = (0..vessels).filter(|&v| v + 1 != entering).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    order.push(entering - 1);
    let mut lines = Vec::with_capacity(vessels * rounds);
    let mut triggers = Vec::with_capacity(entering);
    for round in 0..rounds {
        for &v in &order {
            let (mmsi, path, course) = &paths[v];
            if v < entering && enter_round(v) == round {
                triggers.push((lines.len(), *mmsi));
            }
            lines.push(nmea(*mmsi, path.at(round), *course));
        }
    }
    Plan { lines, triggers }
}

/// Percentile `p` (0–100) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The count and the p50/p99/max bounds of Prometheus histogram `name` (values × `unit`),
/// read from its cumulative buckets: each quantile is the upper bound of the bucket it falls in.
fn histogram_summary(metrics: &str, name: &str, unit: f64) -> String {
    let buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter(|l| l.contains(&format!("{name}_bucket{{")))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, l.rsplit(' ').next()?.parse().ok()?))
        })
        .collect();
    let Some(&(_, count)) = buckets.last() else {
        return format!("{name}: not found");
    };
    let bound = |q: f64| {
        buckets
            .iter()
            .find(|(_, n)| *n >= (q * count).ceil())
            .map_or(f64::NAN, |(le, _)| le * unit)
    };
    format!(
        "{name}: {count} groups, p50 ≤ {}, p99 ≤ {}, max ≤ {}",
        bound(0.5),
        bound(0.99),
        bound(1.0)
    )
}

/// Reads the SSE stream in its own thread and runtime (as a separate client would) and
/// reports `(mmsi, arrival)` of every `geofence_enter` event; says when it is subscribed.
fn subscribe(url: String, ready: std_mpsc::Sender<()>, events: std_mpsc::Sender<(u32, Instant)>) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        runtime.block_on(async move {
            let mut response = reqwest::Client::new()
                .get(url)
                .bearer_auth(DISPATCHER)
                .send()
                .await
                .expect("SSE request");
            assert_eq!(response.status(), 200, "SSE stream refused");
            let _ = ready.send(());
            let mut text = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                let arrived = Instant::now();
                text.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = text.find("\n\n") {
                    let block: String = text.drain(..end + 2).collect();
                    let Some(data) = block
                        .lines()
                        .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                    else {
                        continue;
                    };
                    let Ok(alert) = serde_json::from_str::<Value>(data) else {
                        continue;
                    };
                    if alert["kind"] != "geofence_enter" {
                        continue;
                    }
                    let mmsi = alert["subject"]["id"].as_str().and_then(|m| m.parse().ok());
                    if let Some(mmsi) = mmsi
                        && events.send((mmsi, arrived)).is_err()
                    {
                        return;
                    }
                }
            }
        });
    });
}

/// Sends the lines at `rate` lines/s in small writes; returns when each trigger line was
/// written and when the sending started and ended.
fn send(address: std::net::SocketAddr, plan: &Plan, rate: f64) -> (Vec<Instant>, Instant, Instant) {
    let mut socket = std::net::TcpStream::connect(address).expect("connect to NMEA listener");
    socket.set_nodelay(true).expect("nodelay");
    let total = plan.lines.len();
    let mut written = Vec::with_capacity(plan.triggers.len());
    let mut next_trigger = 0;
    let mut buffer = Vec::with_capacity(64 * 1024);
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() * rate) as usize + 1).min(total);
        if due <= sent {
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        buffer.clear();
        for line in &plan.lines[sent..due] {
            buffer.extend_from_slice(line.as_bytes());
        }
        let now = Instant::now();
        while next_trigger < plan.triggers.len() && plan.triggers[next_trigger].0 < due {
            written.push(now);
            next_trigger += 1;
        }
        socket.write_all(&buffer).expect("write NMEA");
        sent = due;
    }
    let end = Instant::now();
    // keep the connection open until the server has read everything
    std::thread::spawn(move || {
        std::thread::sleep(DRAIN + QUIET);
        drop(socket);
    });
    (written, start, end)
}

fn main() {
    let rate = setting("RATE", 20_000) as f64;
    let seconds = setting("DURATION_S", 12) as f64;
    let vessels = setting("VESSELS", 5_000).max(2);
    let entering = setting("ENTERING", 3_000).clamp(1, vessels);
    let fence_count = setting("FENCES", 1_000).clamp(1, GRID * GRID);
    let rounds = ((rate * seconds) as usize / vessels).max(8);

    let mut rng = Rng::new(20);
    let cell = 1.0 / GRID as f64;
    let fences: Vec<Fence> = (0..fence_count)
        .map(|i| {
            let centre = [
                WEST + cell * ((i % GRID) as f64 + 0.5),
                SOUTH + cell * ((i / GRID) as f64 + 0.5),
            ];
            let centre = [
                centre[0] + lon_deg(rng.range(-200.0, 200.0), centre[1]),
                centre[1] + lat_deg(rng.range(-200.0, 200.0)),
            ];
            Fence::new(&mut rng, centre)
        })
        .collect();
    let plan = plan(&fences, vessels, entering, rounds);
    let vertices: usize = fences.iter().map(|f| f.vertices.len()).sum();
    println!(
        "alert_latency: {} fences ({vertices} vertices), {vessels} vessels ({} entering), \
         {} lines over {rounds} rounds at {rate} fixes/s",
        fences.len(),
        plan.triggers.len(),
        plan.lines.len()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut nats = (setting("CLUSTER", 0) > 0).then(|| nats_server(dir.path()));
    if let Some((_, url)) = &nats {
        println!(
            "cluster: ingest node → nats-server JetStream ({url}) → core node, {} partitions",
            setting("CLUSTER", 1)
        );
    }
    let (base, nmea_address) = runtime.block_on(async {
        let location = std::env::var("STORE")
            .unwrap_or_else(|_| dir.path().join("bench.gpkg").display().to_string());
        let store: Arc<dyn Store> = Arc::from(
            coastwatch_store::open(&location)
                .await
                .expect("open the store"),
        );
        println!("store: {}", store.describe());
        let features = fences
            .iter()
            .enumerate()
            .map(|(i, f)| f.feature(i))
            .collect();
        store
            .insert(Layer::Geofences, features)
            .await
            .expect("store fences");
        // with CLUSTER=n: a core node here, fed by an ingest node through nats-server's
        // JetStream with n partitions
        let cluster = nats.as_ref().map(|(_, url)| ClusterConfig {
            nats: Some(url.clone()),
            partitions: setting("CLUSTER", 1) as u32,
            max_stream_bytes: 1 << 30,
            ..ClusterConfig::default()
        });
        let mut config = test_config();
        if let Some(cluster) = &cluster {
            config.cluster = ClusterConfig {
                role: NodeRole::Core,
                ..cluster.clone()
            };
        }
        let state = AppState::start(config, store).await.expect("start server");
        let feed_state = match &cluster {
            None => state.clone(),
            Some(cluster) => {
                let mut config = test_config();
                config.cluster = ClusterConfig {
                    role: NodeRole::Ingest,
                    ..cluster.clone()
                };
                let store =
                    coastwatch_store::open(&dir.path().join("ingest.gpkg").display().to_string())
                        .await
                        .expect("open the ingest node's store");
                AppState::start(config, Arc::from(store))
                    .await
                    .expect("start the ingest node")
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind HTTP");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(axum::serve(listener, app(state.clone())).into_future());
        let nmea = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind NMEA");
        let nmea_address = nmea.local_addr().expect("address");
        tokio::spawn(feeds::tcp_listener(
            nmea,
            feed_state.ingest.clone(),
            feed_state.config.ais.clone(),
        ));
        (base, nmea_address)
    });

    let (ready_tx, ready) = std_mpsc::channel();
    let (events_tx, events) = std_mpsc::channel();
    subscribe(format!("{base}/api/v1/alerts/stream"), ready_tx, events_tx);
    ready
        .recv_timeout(Duration::from_secs(10))
        .expect("SSE stream did not open");

    let (written, start, end) = send(nmea_address, &plan, rate);
    let sent_rate = plan.lines.len() as f64 / (end - start).as_secs_f64();

    let expected: std::collections::HashMap<u32, usize> = plan
        .triggers
        .iter()
        .enumerate()
        .map(|(i, &(_, mmsi))| (mmsi, i))
        .collect();
    let mut arrived: Vec<Option<Instant>> = vec![None; plan.triggers.len()];
    let (mut received, mut unexpected) = (0, 0);
    let deadline = end + DRAIN;
    while received < arrived.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match events.recv_timeout(left.min(QUIET)) {
            Ok((mmsi, at)) => match expected.get(&mmsi) {
                Some(&i) if arrived[i].is_none() => {
                    arrived[i] = Some(at);
                    received += 1;
                }
                _ => unexpected += 1,
            },
            Err(_) => break,
        }
    }
    let last = arrived.last().copied().flatten();

    let mut from_write: Vec<f64> = Vec::with_capacity(received);
    let mut from_schedule: Vec<f64> = Vec::with_capacity(received);
    for (i, at) in arrived.iter().enumerate() {
        if let Some(at) = at {
            from_write.push(at.duration_since(written[i]).as_secs_f64() * 1e3);
            let due = start + Duration::from_secs_f64(plan.triggers[i].0 as f64 / rate);
            from_schedule.push(at.saturating_duration_since(due).as_secs_f64() * 1e3);
        }
    }
    let target_ms = setting("TARGET_MS", 50);
    // when the slow ones were sent tells a periodic stall from a slow start
    let mut late_by_second = std::collections::BTreeMap::<u64, (usize, f64)>::new();
    for (i, latency) in arrived
        .iter()
        .enumerate()
        .filter_map(|(i, at)| Some((i, at.as_ref()?.duration_since(written[i]))))
    {
        let ms = latency.as_secs_f64() * 1e3;
        if ms >= target_ms as f64 {
            let second = written[i].duration_since(start).as_secs();
            let entry = late_by_second.entry(second).or_default();
            *entry = (entry.0 + 1, entry.1.max(ms));
        }
    }
    from_write.sort_by(f64::total_cmp);
    from_schedule.sort_by(f64::total_cmp);
    let show = |what: &str, v: &[f64]| {
        println!(
            "latency {what}: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(v, 50.0),
            percentile(v, 90.0),
            percentile(v, 99.0),
            v.last().copied().unwrap_or(f64::NAN)
        );
    };
    show("line written → SSE event", &from_write);
    show("line due (offered load) → SSE event", &from_schedule);
    println!(
        "sent: {} fixes in {:.2} s = {sent_rate:.0} fixes/s (target {rate})",
        plan.lines.len(),
        (end - start).as_secs_f64()
    );
    match last {
        Some(last) => println!(
            "processed: the last line's alert came {:.1} ms after it was sent: {:.0} fixes/s \
             end to end",
            last.duration_since(end).as_secs_f64() * 1e3,
            plan.lines.len() as f64 / (last - start).as_secs_f64()
        ),
        None => println!("processed: the last line's alert never came"),
    }
    println!(
        "alerts: {received} geofence_enter received / {} expected ({unexpected} unexpected)",
        arrived.len()
    );
    let late: Vec<String> = late_by_second
        .iter()
        .map(|(second, (n, worst))| format!("{second} s: {n} (worst {worst:.0} ms)"))
        .collect();
    println!(
        "over the target, by second of sending: {}",
        if late.is_empty() {
            "none".into()
        } else {
            late.join(", ")
        }
    );
    let metrics = runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{base}/metrics"))
            .bearer_auth(DISPATCHER)
            .send()
            .await?;
        response.text().await
    });
    match metrics {
        Ok(text) => {
            for (name, unit) in [
                ("ingest_group_updates", 1.0),
                ("ingest_apply_seconds", 1e3),
                ("ingest_commit_seconds", 1e3),
            ] {
                println!("writer: {}", histogram_summary(&text, name, unit));
            }
        }
        Err(error) => println!("writer: /metrics unreadable: {error}"),
    }
    let p99 = percentile(&from_write, 99.0);
    println!(
        "verdict: p99 {p99:.1} ms {} {target_ms} ms target{}",
        if p99 < target_ms as f64 { "<" } else { ">=" },
        if received == arrived.len() {
            ""
        } else {
            "; ALERTS MISSING"
        }
    );
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Some((mut child, _)) = nats.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(dir);
    if received != arrived.len() {
        std::process::exit(1);
    }
}
