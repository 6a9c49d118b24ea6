//! What feeds may bring in is bounded: times near the server's clock, vessels in the
//! picture, allowed addresses, a shared secret, connections and silence on the AIS port.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use coastwatch_ais::encode::{PositionReport, sentences, with_time};
use coastwatch_core::model::Mmsi;
use coastwatch_server::{AppState, Config, feeds};
use coastwatch_tests::{INGEST, TestServer, ingest_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn config() -> Config {
    ingest_config()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A tag-blocked position report of `mmsi` at `lon`, stamped `t`.
fn fix(mmsi: u32, lon: f64, t: i64) -> String {
    let report = PositionReport {
        mmsi,
        nav_status: 0,
        lon,
        lat: 29.6,
        sog_kn: 6.0,
        cog_deg: 90.0,
        heading_deg: None,
        second: 0,
    };
    with_time(&sentences(&report.bits(), 'A', 0)[0], t) + "\n"
}

fn latest_lon(state: &AppState, mmsi: u32) -> Option<f64> {
    let engine = state.ingest.picture().vessels();
    Some(
        engine
            .get(Mmsi::try_from(i64::from(mmsi)).ok()?)?
            .latest()?
            .lon,
    )
}

/// Posts NMEA lines to the ingest API; returns the status and the JSON answer.
async fn post_ais(server: &TestServer, lines: &str) -> (u16, serde_json::Value) {
    let (status, _, body) = server
        .send_raw(
            "POST",
            "/api/v1/ingest/ais",
            Some(INGEST),
            Some(lines.as_bytes().to_vec()),
            &[("content-type", "text/plain")],
        )
        .await;
    (
        status.as_u16(),
        serde_json::from_slice(&body).unwrap_or_default(),
    )
}

/// Waits until `check` holds, for at most 5 s.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(5), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A TCP feed listener over `config`'s `[ais]` section on a fresh port.
async fn tcp_feed(config: Config) -> (TestServer, AppState, std::net::SocketAddr) {
    let server = TestServer::new(config.clone()).await;
    let state = AppState::start(config, server.store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(feeds::tcp_listener(
        listener,
        state.ingest.clone(),
        state.config.ais.clone(),
    ));
    (server, state, address)
}

/// Whether the server closes the connection within `within` (reads until EOF).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 64];
    matches!(
        tokio::time::timeout(within, stream.read(&mut buffer)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn a_fix_stamped_in_the_future_is_dropped_and_moves_no_clock() {
    let server = TestServer::new(config()).await;
    let t = now();
    let body = fix(412_000_001, 121.50, t) + &fix(412_000_002, 121.60, t);
    let (status, _) = post_ais(&server, &body).await;
    assert_eq!(status, 200);
    // one line stamped in 2100
    let spoof = fix(412_000_002, 121.70, 4_102_444_800);
    let (status, report) = post_ais(&server, &spoof).await;
    assert_eq!(status, 400, "{report}");
    assert!(
        report["detail"]["problems"][0]
            .as_str()
            .unwrap()
            .contains("off the server's clock")
    );
    // the vessel is not frozen: its next real fix is its position
    let (status, _) = post_ais(&server, &fix(412_000_002, 121.65, t + 10)).await;
    assert_eq!(status, 200);
    let (_, vessel) = server
        .send(
            "GET",
            "/ogc/collections/vessels/items?mmsi=412000002&f=json",
            None,
            None,
        )
        .await;
    let lon = vessel["features"][0]["geometry"]["coordinates"][0]
        .as_f64()
        .unwrap();
    assert!((lon - 121.65).abs() < 1e-4, "latest position {lon}");
    // and nobody went dark
    let (_, alerts) = server
        .send(
            "GET",
            "/api/v1/alerts?kind=ais_gap",
            Some(coastwatch_tests::VIEWER),
            None,
        )
        .await;
    assert_eq!(
        alerts.as_array().map_or(usize::MAX, Vec::len),
        0,
        "{alerts}"
    );
    let (_, metrics) = server.send("GET", "/metrics", None, None).await;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains(r#"coastwatch_ingest_dropped_total{feed="http",reason="time"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_picture_holds_at_most_max_vessels() {
    let mut config = config();
    config.ais.max_vessels = 5;
    let server = TestServer::new(config).await;
    let t = now();
    let body: String = (0..10).map(|n| fix(413_000_000 + n, 121.5, t)).collect();
    let (status, _) = post_ais(&server, &body).await;
    assert_eq!(status, 200);
    let (_, vessels) = server
        .send("GET", "/ogc/collections/vessels/items?f=json", None, None)
        .await;
    assert_eq!(vessels["numberMatched"], 5, "{vessels}");
    let (_, metrics) = server.send("GET", "/metrics", None, None).await;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains(r#"coastwatch_ingest_dropped_total{feed="all",reason="vessel_cap"} 5"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn tcp_feeds_from_addresses_not_allowed_are_closed_unheard() {
    let mut config = config();
    config.ais.allow = vec!["192.0.2.0/24".into()];
    let (_server, state, address) = tcp_feed(config).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let _ = stream
        .write_all(fix(414_000_001, 121.5, now()).as_bytes())
        .await;
    assert!(closed_within(&mut stream, Duration::from_secs(2)).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        latest_lon(&state, 414_000_001),
        None,
        "nothing was taken in"
    );
}

#[tokio::test]
async fn a_tcp_secret_must_come_first() {
    let mut config = config();
    config.ais.tcp_secret = Some("a-long-shared-secret".into());
    let (_server, state, address) = tcp_feed(config).await;
    let mut stranger = TcpStream::connect(address).await.unwrap();
    let _ = stranger
        .write_all(fix(415_000_001, 121.5, now()).as_bytes())
        .await;
    assert!(closed_within(&mut stranger, Duration::from_secs(2)).await);

    let mut feeder = TcpStream::connect(address).await.unwrap();
    let lines = "AUTH a-long-shared-secret\n".to_owned() + &fix(415_000_002, 121.5, now());
    feeder.write_all(lines.as_bytes()).await.unwrap();
    eventually("the authenticated feed's fix arrives", || {
        latest_lon(&state, 415_000_002).is_some()
    })
    .await;
    assert_eq!(
        latest_lon(&state, 415_000_001),
        None,
        "the stranger's fix was not taken"
    );
}

#[tokio::test]
async fn tcp_feeds_are_capped_and_silent_ones_closed() {
    let mut config = config();
    config.ais.max_connections = 2;
    config.ais.idle_timeout_s = 1;
    let (_server, _state, address) = tcp_feed(config).await;
    let mut first = TcpStream::connect(address).await.unwrap();
    let mut second = TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(address).await.unwrap();
    assert!(
        closed_within(&mut third, Duration::from_millis(500)).await,
        "a connection beyond ais.max_connections is closed at once"
    );
    assert!(
        closed_within(&mut first, Duration::from_secs(3)).await,
        "silent feeds are closed"
    );
    assert!(closed_within(&mut second, Duration::from_secs(3)).await);
    let mut fourth = TcpStream::connect(address).await.unwrap();
    assert!(
        !closed_within(&mut fourth, Duration::from_millis(300)).await,
        "slots are free again"
    );
}
