//! AIS into the engine and the store through every feed: HTTP, TCP, UDP and replay.

use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_ais::encode::{PositionReport, StaticVoyage, sentences, with_time};
use coastwatch_core::Layer;
use coastwatch_core::model::{FeatureId, Mmsi};
use coastwatch_server::{AppState, feeds};
use coastwatch_store::{Query, Store};
use coastwatch_tests::{INGEST, PLANNER, TestServer, coastwatch_bin, ingest_config};
use tokio::io::AsyncWriteExt;

/// Type 1 from MMSI 371798000 and a two-part type 5 from 351759000 (gpsd's sample).
const LINES: &str = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n\
!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C\n\
!AIVDM,2,2,1,A,88888888880,2*25\n";

fn config() -> coastwatch_server::Config {
    ingest_config()
}

/// The config with a track window reaching back to the recorded logs' dates, whose times a
/// feed then takes as they are.
fn long_memory() -> coastwatch_server::Config {
    let mut config = config();
    config.ais.track_window_min = 1e10;
    config.ais.max_age_s = f64::INFINITY;
    config
}

fn mmsi(n: i64) -> Mmsi {
    Mmsi::try_from(n).unwrap()
}

async fn wait_for(state: &AppState, vessel: Mmsi) {
    let started = Instant::now();
    while state.ingest.picture().vessels().get(vessel).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "vessel {vessel} never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn http_ingest_stores_and_acknowledges() {
    let server = TestServer::new(config()).await;
    let (status, _, report) = server
        .send_raw(
            "POST",
            "/api/v1/ingest/ais",
            Some(INGEST),
            Some(LINES.into()),
            &[("content-type", "text/plain")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&report)
    );
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(
        (
            report["lines"].as_u64(),
            report["decoded"].as_u64(),
            report["errors"].as_u64()
        ),
        (Some(3), Some(2), Some(0))
    );

    // acknowledged means stored: the vessel is in the store right away
    let vessel = server
        .store
        .get(Layer::Vessels, FeatureId::try_from(371_798_000).unwrap())
        .await
        .unwrap()
        .expect("vessel stored");
    assert_eq!(vessel.properties["sog_kn"], 12.3);
    assert_eq!(server.store.positions_since(0.0).await.unwrap().len(), 1);

    // the live layers answer from the engine
    let (_, vessels) = server
        .send(
            "GET",
            "/ogc/collections/vessels/items?bbox=-124,48,-123,49",
            None,
            None,
        )
        .await;
    assert_eq!(vessels["numberMatched"], 1, "{vessels}");
    assert_eq!(vessels["features"][0]["properties"]["mmsi"], 371_798_000);
    let (_, none) = server
        .send(
            "GET",
            "/ogc/collections/vessels/items?bbox=121,29,122,30",
            None,
            None,
        )
        .await;
    assert_eq!(none["numberMatched"], 0);
    let (status, one) = server
        .send(
            "GET",
            "/ogc/collections/vessels/items/371798000",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let (_, density) = server
        .send("GET", "/ogc/collections/ais_density/items", None, None)
        .await;
    assert_eq!(density["numberMatched"], 1, "{density}");
    assert_eq!(density["features"][0]["properties"]["count"], 1);
    assert_eq!(density["features"][0]["geometry"]["type"], "Polygon");
    let tile = coastwatch_tiles::TileCoord::containing_lon_lat(
        -123.3953833,
        48.3816333,
        coastwatch_tiles::Zoom::new(10).unwrap(),
    )
    .unwrap();
    let (status, _, body) = server
        .send_raw(
            "GET",
            &format!("/tiles/ais_density,vessels/10/{}/{}", tile.x(), tile.y()),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let decoded = coastwatch_tiles::mvt::decode(&body).unwrap();
    assert_eq!(
        decoded.layer("ais_density").unwrap().features[0].properties["count"].to_json(),
        1
    );
    assert_eq!(decoded.layer("vessels").unwrap().features.len(), 1);

    for (token, expected) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(PLANNER), StatusCode::FORBIDDEN),
    ] {
        let (status, _, _) = server
            .send_raw(
                "POST",
                "/api/v1/ingest/ais",
                token,
                Some(LINES.into()),
                &[("content-type", "text/plain")],
            )
            .await;
        assert_eq!(status, expected);
    }
    let garbage = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\n\u{1}\u{2}binary\n$GPGGA,foo\n";
    let (status, _, body) = server
        .send_raw(
            "POST",
            "/api/v1/ingest/ais",
            Some(INGEST),
            Some(garbage.into()),
            &[("content-type", "text/plain")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["detail"]["problems"][0]
            .as_str()
            .unwrap()
            .contains("checksum"),
        "{body}"
    );
    assert_eq!(
        server.store.positions_since(0.0).await.unwrap().len(),
        1,
        "nothing more stored"
    );

    let (_, _, metrics) = server.send_raw("GET", "/metrics", None, None, &[]).await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains(r#"coastwatch_ais_decoded_total{feed="http"} 2"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"coastwatch_ais_bad_checksum_total{feed="http"} 1"#),
        "{metrics}"
    );
    // the writer's timings: a group was applied and committed, holding the stored fix
    let value = |name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(&format!("{name} ")));
        line.and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"))
    };
    assert!(value("coastwatch_ingest_apply_seconds_count") >= 1.0);
    assert!(value("coastwatch_ingest_commit_seconds_count") >= 1.0);
    assert!(value("coastwatch_ingest_commit_seconds_sum") > 0.0);
    assert!(value("coastwatch_ingest_group_updates_sum") >= 1.0);
}

#[tokio::test]
async fn tcp_and_udp_feeds_reach_the_engine_and_survive_bad_lines() {
    let server = TestServer::new(config()).await;
    let state = AppState::start(config(), server.store.clone())
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp = listener.local_addr().unwrap();
    tokio::spawn(feeds::tcp_listener(
        listener,
        state.ingest.clone(),
        state.config.ais.clone(),
    ));
    let mut stream = tokio::net::TcpStream::connect(tcp).await.unwrap();
    stream
        .write_all(b"\xff\xfe garbage\r\n!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\r\n")
        .await
        .unwrap();
    stream.flush().await.unwrap();
    wait_for(&state, mmsi(371_798_000)).await;
    stream.write_all(LINES.as_bytes()).await.unwrap();
    wait_for(&state, mmsi(351_759_000)).await;
    drop(stream);

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let udp = socket.local_addr().unwrap();
    tokio::spawn(feeds::udp_listener(
        socket,
        state.ingest.clone(),
        state.config.ais.clone(),
    ));
    let sender = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sender
        .send_to(b"!AIVDM,1,1,,B,177KQJ5000G?tO`K>RA1wUbN0TKH,0*5C\n", udp)
        .await
        .unwrap();
    wait_for(&state, mmsi(477_553_000)).await;

    // a restarted server rebuilds the picture from the store (vessels with a position;
    // 351759000 only sent static data so far)
    let restarted = AppState::start(long_memory(), server.store.clone())
        .await
        .unwrap();
    let engine = restarted.ingest.picture().vessels();
    assert_eq!(engine.len(), 2);
    assert_eq!(
        engine
            .get(mmsi(371_798_000))
            .unwrap()
            .latest()
            .unwrap()
            .sog_kn,
        Some(12.3)
    );
    assert!(engine.get(mmsi(477_553_000)).unwrap().latest().is_some());
}

#[tokio::test]
async fn replay_of_a_real_log_names_its_vessels() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("replay.gpkg");
    let log = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/ais/kystverket/Ais1000Lines.nm4"
    );
    let out = Command::new(coastwatch_bin())
        .args(["ais", "replay", log, "--store", store.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("vessels") && stderr.contains("named"),
        "{stderr}"
    );

    let store: std::sync::Arc<dyn coastwatch_store::Store> =
        coastwatch_store::open(store.to_str().unwrap())
            .await
            .unwrap()
            .into();
    let vessels = store
        .query(Layer::Vessels, &Query::default())
        .await
        .unwrap();
    assert!(vessels.len() > 500, "{} vessels", vessels.len());
    let named = vessels
        .iter()
        .filter(|v| v.properties["name"].is_string())
        .count();
    assert!(named > 20, "{named} vessels with names");
    // fixes carry the file's own clock (tag block c: of 2019-08-07/08)
    let fixes = store.positions_since(0.0).await.unwrap();
    assert!(
        fixes
            .iter()
            .all(|p| (1_565_100_000.0..1_565_300_000.0).contains(&p.t_epoch_s))
    );

    // names come back after a restart
    let restarted = AppState::start(long_memory(), store.clone()).await.unwrap();
    let engine_named = restarted
        .ingest
        .picture()
        .vessels()
        .iter()
        .filter(|v| v.info.name.is_some())
        .count();
    assert_eq!(engine_named, named);

    let missing = Command::new(coastwatch_bin())
        .args(["ais", "replay", "/nonexistent.nmea"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[tokio::test]
async fn remote_feed_client_reconnects() {
    let server = TestServer::new(config()).await;
    let state = AppState::start(config(), server.store.clone())
        .await
        .unwrap();
    // nothing listens yet: the client must keep retrying
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    tokio::spawn(feeds::tcp_client(
        address.to_string(),
        state.ingest.clone(),
        state.config.ais.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("client reconnected")
        .unwrap();
    socket
        .write_all(b"!AIVDM,1,1,,B,177KQJ5000G?tO`K>RA1wUbN0TKH,0*5C\r\n")
        .await
        .unwrap();
    wait_for(&state, mmsi(477_553_000)).await;
}

/// NMEA lines of a position report of `mmsi` at `lon` stamped `t`, and of its static data.
fn report(mmsi: u32, lon: f64, t: i64) -> String {
    let position = PositionReport {
        mmsi,
        nav_status: 0,
        lon,
        lat: 29.6,
        sog_kn: 6.0,
        cog_deg: 90.0,
        heading_deg: None,
        second: 0,
    };
    lines(&position.bits(), t)
}

fn lines(bits: &coastwatch_ais::encode::BitWriter, t: i64) -> String {
    sentences(bits, 'A', 1)
        .iter()
        .map(|s| with_time(s, t) + "\n")
        .collect()
}

#[tokio::test]
async fn every_fix_is_stored_at_once_and_vessel_rows_catch_up_by_close() {
    let server = TestServer::new(config()).await;
    let state = AppState::start(long_memory(), server.store.clone())
        .await
        .unwrap();
    let mut decoder = Decoder::new(DecoderOptions::default());
    let vessel = FeatureId::try_from(412_000_001).unwrap();
    let stored_row = || async {
        server
            .store
            .get(Layer::Vessels, vessel)
            .await
            .unwrap()
            .expect("vessel row stored")
    };
    let t = 1_790_000_000;
    let identity = StaticVoyage {
        mmsi: 412_000_001,
        imo: 0,
        callsign: "BXYZ".into(),
        name: "ZHE DAI YU 7".into(),
        ship_type: 30,
        destination: "SHIPU".into(),
    };
    for (n, text) in [
        report(412_000_001, 121.50, t),
        lines(&identity.bits(), t + 1),
        report(412_000_001, 121.51, t + 2),
        report(412_000_001, 121.52, t + 4),
    ]
    .iter()
    .enumerate()
    {
        state
            .ingest
            .lines("test", &mut decoder, text.as_bytes())
            .await
            .unwrap();
        if n == 0 {
            // a new vessel's row is written with its first fix
            assert_eq!(stored_row().await.properties["last_seen"], t);
        }
        if n == 1 {
            // identity data lives only in the row: it is written at once
            assert_eq!(stored_row().await.properties["name"], "ZHE DAI YU 7");
        }
    }
    // acknowledged means every fix is stored, whether or not the row has caught up
    assert_eq!(server.store.positions_since(0.0).await.unwrap().len(), 3);

    // closing writes every row that still waits: the store matches the picture
    let path = server.dir.path().join("test.gpkg");
    state.close().await;
    let reopened = coastwatch_store::GeoPackageStore::open(&path)
        .await
        .unwrap();
    let row = reopened.get(Layer::Vessels, vessel).await.unwrap().unwrap();
    assert_eq!(row.properties["last_seen"], t + 4);
    assert_eq!(row.properties["name"], "ZHE DAI YU 7");
    let point = match row.geometry {
        Some(geo::Geometry::Point(p)) => p,
        other => panic!("not a point: {other:?}"),
    };
    assert!((point.x() - 121.52).abs() < 1e-4, "{point:?}");
}

#[tokio::test]
async fn an_over_long_line_is_dropped_and_the_feed_goes_on() {
    let server = TestServer::new(config()).await;
    let state = AppState::start(long_memory(), server.store.clone())
        .await
        .unwrap();
    let mut text = vec![b'x'; 200 * 1024];
    text.extend_from_slice(b"\n");
    text.extend_from_slice(report(412_000_002, 121.5, 1_790_000_000).as_bytes());
    text.extend_from_slice(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A");
    // the stream returns once everything it read is stored, the last line without newline too
    state
        .ingest
        .stream("test", std::io::Cursor::new(text), Duration::from_secs(60))
        .await
        .unwrap();
    let engine = state.ingest.picture().vessels();
    assert!(engine.get(mmsi(412_000_002)).is_some());
    assert!(engine.get(mmsi(371_798_000)).is_some());
    let feed = coastwatch_server::metrics::FeedLabels {
        feed: "test".into(),
    };
    let counters = &state.ingest.counters;
    assert_eq!(counters.decoded.get_or_create(&feed).get(), 2);
    assert_eq!(counters.lines.get_or_create(&feed).get(), 2);
}
