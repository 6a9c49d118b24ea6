//! JT/T 808 terminals against a running server: a terminal simulator written here (not the
//! server's codec) registers, authenticates and reports; the platform's replies are checked
//! byte for byte, the vehicle moves on the map, a batch split into sub-packages fills its
//! track, bad frames are dropped without ending the connection, and what the terminal says
//! turns into `vehicle_alarm` and `gps_off` evidence.

use std::sync::Arc;
use std::time::Duration;

use coastwatch_core::Feature;
use coastwatch_core::layer::Layer;
use coastwatch_server::AppState;
use coastwatch_server::config::Config;
use coastwatch_store::{GeoPackageStore, Query, Store};
use coastwatch_tests::terminal::{
    auth_code, bcd, location_body, packages, pad, registration_body, wire,
};
use coastwatch_tests::test_config;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "jt808-test-secret-0123";

/// A server with its JT/T 808 listener, over a temporary GeoPackage holding `vehicles`.
struct Platform {
    address: std::net::SocketAddr,
    state: AppState,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn platform(config: Config, vehicles: Vec<serde_json::Value>) -> Platform {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        GeoPackageStore::open(dir.path().join("a.gpkg"))
            .await
            .unwrap(),
    );
    for properties in vehicles {
        let serde_json::Value::Object(properties) = properties else {
            unreachable!()
        };
        let vehicle = Feature {
            id: None,
            geometry: None,
            properties,
        };
        store.insert(Layer::Vehicles, vec![vehicle]).await.unwrap();
    }
    let state = AppState::start(config, store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(coastwatch_server::jt808::listener(listener, state.clone()));
    Platform {
        address,
        state,
        store,
        _dir: dir,
    }
}

fn config() -> Config {
    let mut config = test_config();
    config.jt808.auth_secret = Some(SECRET.into());
    config
}

/// A terminal of one edition, with its phone number and its own message serial.
struct Terminal {
    socket: TcpStream,
    phone: Vec<u8>,
    v2019: bool,
    serial: u16,
}

impl Terminal {
    async fn connect(platform: &Platform, phone: &str, v2019: bool) -> Self {
        Self {
            socket: TcpStream::connect(platform.address).await.unwrap(),
            phone: bcd(phone, if v2019 { 10 } else { 6 }),
            v2019,
            serial: 0,
        }
    }

    /// Sends a message; returns its serial.
    async fn send(&mut self, msg_id: u16, body: &[u8]) -> u16 {
        let serial = self.serial;
        self.serial += 1;
        let bytes = wire(msg_id, self.v2019, &self.phone, serial, body);
        self.socket.write_all(&bytes).await.unwrap();
        serial
    }

    /// The next whole frame from the platform, delimiters and escapes as sent.
    async fn reply(&mut self) -> Vec<u8> {
        let mut frame = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            tokio::time::timeout(Duration::from_secs(10), self.socket.read_exact(&mut byte))
                .await
                .expect("a reply within 10 s")
                .unwrap();
            if frame.is_empty() && byte[0] != 0x7e {
                continue;
            }
            frame.push(byte[0]);
            if frame.len() > 1 && byte[0] == 0x7e {
                return frame;
            }
        }
    }

    /// The `0x8001` the platform owes message `serial` of id `msg_id`: its own serial `ours`.
    fn general_response(&self, ours: u16, serial: u16, msg_id: u16, result: u8) -> Vec<u8> {
        let mut body = serial.to_be_bytes().to_vec();
        body.extend(msg_id.to_be_bytes());
        body.push(result);
        wire(0x8001, self.v2019, &self.phone, ours, &body)
    }
}

async fn vehicle_row(store: &dyn Store, vehicle_id: &str) -> Option<Feature> {
    store
        .query(Layer::Vehicles, &Query::default())
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.properties["vehicle_id"] == vehicle_id)
}

async fn alerts_of(store: &dyn Store, kind: &str) -> Vec<Feature> {
    store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.properties["kind"] == kind)
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_2013_terminal_registers_authenticates_and_moves_the_vehicle() {
    let platform = platform(
        config(),
        vec![json!({"vehicle_id": "TRK-808", "plate": "浙B12345", "class": "tank_truck", "terminal_id": "13912345678"})],
    )
    .await;
    let mut t = Terminal::connect(&platform, "13912345678", false).await;

    // noise and a frame with its check code off by one are dropped; the connection goes on
    t.socket.write_all(b"\x00\x13garbage").await.unwrap();
    let mut bad = wire(0x0002, false, &t.phone, 99, &[]);
    let n = bad.len();
    bad[n - 2] ^= 1;
    t.socket.write_all(&bad).await.unwrap();

    let serial = t.send(0x0100, &registration_body(t.v2019)).await;
    let mut body = serial.to_be_bytes().to_vec();
    body.push(0);
    body.extend(auth_code(SECRET, "13912345678"));
    assert_eq!(t.reply().await, wire(0x8100, false, &t.phone, 0, &body));

    // reports before authentication are refused
    let at = [121.55, 29.60];
    let early = t
        .send(0x0200, &location_body(0, true, at, 50.0, now()))
        .await;
    assert_eq!(t.reply().await, t.general_response(1, early, 0x0200, 1));

    let serial = t.send(0x0102, &auth_code(SECRET, "13912345678")).await;
    assert_eq!(t.reply().await, t.general_response(2, serial, 0x0102, 0));
    let serial = t
        .send(0x0200, &location_body(0, true, at, 50.0, now()))
        .await;
    assert_eq!(t.reply().await, t.general_response(3, serial, 0x0200, 0));

    // answered means stored: the vehicle's row is on the map (and in OGC, which reads it)
    let row = vehicle_row(platform.store.as_ref(), "TRK-808")
        .await
        .unwrap();
    let coordinates = row.to_geojson()["geometry"]["coordinates"].clone();
    let [lon, lat] = [
        coordinates[0].as_f64().unwrap(),
        coordinates[1].as_f64().unwrap(),
    ];
    assert!(
        (lon - at[0]).abs() < 1e-6 && (lat - at[1]).abs() < 1e-6,
        "{row:?}"
    );
    assert!((row.properties["speed_kmh"].as_f64().unwrap() - 50.0).abs() < 1e-9);
    let fixes = platform.store.positions_since(0.0).await.unwrap();
    assert_eq!(
        fixes.len(),
        1,
        "one fix stored, none from the refused report"
    );

    // a blind-area batch fills the track before the latest fix without moving the vehicle
    let mut batch = 2u16.to_be_bytes().to_vec();
    batch.push(1); // blind-area re-send
    for (ago, lon) in [(120, 121.53), (60, 121.54)] {
        let item = location_body(0, true, [lon, at[1]], 50.0, now() - ago);
        batch.extend((item.len() as u16).to_be_bytes());
        batch.extend(item);
    }
    // in two sub-packages, answered once whole
    let first = t.serial;
    for package in packages(0x0704, &t.phone, first, &batch, 2) {
        t.socket.write_all(&package).await.unwrap();
    }
    t.serial += 2;
    assert_eq!(t.reply().await, t.general_response(4, first, 0x0704, 0));
    let fixes = platform.store.positions_since(0.0).await.unwrap();
    assert_eq!(fixes.len(), 3, "the two re-sent fixes are stored");
    let row = vehicle_row(platform.store.as_ref(), "TRK-808")
        .await
        .unwrap();
    assert_eq!(row.to_geojson()["geometry"]["coordinates"], coordinates);

    // a heartbeat is answered; logging out ends the connection
    let serial = t.send(0x0002, &[]).await;
    assert_eq!(t.reply().await, t.general_response(5, serial, 0x0002, 0));
    let serial = t.send(0x0003, &[]).await;
    assert_eq!(t.reply().await, t.general_response(6, serial, 0x0003, 0));
    let mut rest = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(5), t.socket.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0))), "{closed:?}");
    let metrics = platform.state.metrics.render();
    assert!(
        metrics.contains(r#"coastwatch_ingest_dropped_total{feed="jt808",reason="bad_packet"} 1"#),
        "the frame with a bad check code is counted"
    );
}

#[tokio::test]
async fn unbound_terminals_are_refused_unless_auto_registered() {
    let platform = platform(config(), Vec::new()).await;
    let mut t = Terminal::connect(&platform, "13900000001", false).await;
    let serial = t.send(0x0100, &registration_body(t.v2019)).await;
    let mut body = serial.to_be_bytes().to_vec();
    body.push(4); // no such terminal
    assert_eq!(t.reply().await, wire(0x8100, false, &t.phone, 0, &body));
    // a made-up code does not authenticate it either
    let serial = t.send(0x0102, b"0123456789abcdef").await;
    assert_eq!(t.reply().await, t.general_response(1, serial, 0x0102, 1));
    assert!(
        vehicle_row(platform.store.as_ref(), "jt808-13900000001")
            .await
            .is_none()
    );

    let mut open = config();
    open.jt808.auto_register = true;
    let platform = platform_with(open).await;
    let mut t = Terminal::connect(&platform, "13900000001", true).await;
    let serial = t.send(0x0100, &registration_body(t.v2019)).await;
    let mut body = serial.to_be_bytes().to_vec();
    body.push(0);
    body.extend(auth_code(SECRET, "13900000001"));
    assert_eq!(t.reply().await, wire(0x8100, true, &t.phone, 0, &body));
    let row = vehicle_row(platform.store.as_ref(), "jt808-13900000001")
        .await
        .expect("a vehicle for the new terminal");
    assert_eq!(row.properties["plate"], "浙B12345");
    assert_eq!(row.properties["class"], "other");
    assert_eq!(row.properties["terminal_id"], "13900000001");
    // the 2019 authentication: code length, code, IMEI, software version
    let code = auth_code(SECRET, "13900000001");
    let mut auth = vec![code.len() as u8];
    auth.extend(&code);
    auth.extend(pad(b"860000000000001", 15));
    auth.extend(pad(b"1.0.0", 20));
    let serial = t.send(0x0102, &auth).await;
    assert_eq!(t.reply().await, t.general_response(1, serial, 0x0102, 0));
}

async fn platform_with(config: Config) -> Platform {
    platform(config, Vec::new()).await
}

#[tokio::test]
async fn alarms_raise_vehicle_alarm_and_positioning_switched_off_is_told_from_silence() {
    let mut config = config();
    config.detectors.gps_off_min = 0.05; // 3 s
    let platform = platform(
        config,
        vec![json!({"vehicle_id": "TRK-9", "class": "tank_truck", "terminal_id": "013800000009"})],
    )
    .await;
    let mut t = Terminal::connect(&platform, "13800000009", true).await;
    let serial = t.send(0x0100, &registration_body(t.v2019)).await;
    let _ = t.reply().await;
    let mut auth = vec![16];
    auth.extend(auth_code(SECRET, "13800000009"));
    auth.extend([0; 35]);
    t.send(0x0102, &auth).await;
    assert_eq!(
        t.reply().await,
        t.general_response(1, serial + 1, 0x0102, 0)
    );

    // moving, then the main power is cut: one vehicle_alarm
    let at = [121.50, 29.58];
    let power_cut = 1 << 8;
    for (ours, alarm) in [(2, 0), (3, power_cut)] {
        let serial = t
            .send(0x0200, &location_body(alarm, true, at, 60.0, now()))
            .await;
        assert_eq!(t.reply().await, t.general_response(ours, serial, 0x0200, 0));
    }
    let alarm = alerts_of(platform.store.as_ref(), "vehicle_alarm").await;
    assert_eq!(alarm.len(), 1, "{alarm:?}");
    assert_eq!(
        alarm[0].properties["evidence"]["alarms"],
        json!(["main_power_cut"])
    );
    assert_eq!(alarm[0].properties["subject"]["id"], "TRK-9");

    // then it keeps reporting "not positioned": after gps_off_min the tracker is off, and
    // the evidence says it was switched off, not silent
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        t.send(0x0200, &location_body(0, false, at, 0.0, now()))
            .await;
        let _ = t.reply().await;
        let off = alerts_of(platform.store.as_ref(), "gps_off").await;
        if let Some(off) = off.first() {
            assert_eq!(
                off.properties["evidence"]["terminal"], "positioning_off",
                "{off:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no gps_off within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // the alarm cleared with that report
    let alarm = alerts_of(platform.store.as_ref(), "vehicle_alarm").await;
    assert_eq!(
        alarm[0].properties["evidence"]["cleared"],
        json!(["main_power_cut"]),
        "{alarm:?}"
    );
}

#[tokio::test]
async fn connections_are_capped_and_silent_terminals_dropped() {
    let mut config = config();
    config.jt808.max_connections = 1;
    config.jt808.idle_timeout_s = 1;
    let platform = platform_with(config).await;
    let first = TcpStream::connect(platform.address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // the second is closed at once while the first holds the only slot
    let mut second = TcpStream::connect(platform.address).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(900), second.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    // the first, silent, is dropped after the idle timeout, which frees the slot
    let mut first = first;
    let read = tokio::time::timeout(Duration::from_secs(5), first.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0))), "{read:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut t = Terminal::connect(&platform, "13900000002", false).await;
    let serial = t.send(0x0002, &[]).await;
    // not authenticated: refused, but answered
    assert_eq!(t.reply().await, t.general_response(0, serial, 0x0002, 1));
}

#[tokio::test]
async fn terminals_reporting_in_gcj02_are_placed_in_wgs84() {
    let mut config = config();
    config.jt808.crs = coastwatch_core::geodesy::gcj02::Datum::Gcj02;
    let platform = platform(
        config,
        vec![json!({"vehicle_id": "TRK-GCJ", "class": "tank_truck", "terminal_id": "13800000077"})],
    )
    .await;
    let mut t = Terminal::connect(&platform, "13800000077", false).await;
    t.send(0x0100, &registration_body(false)).await;
    t.reply().await;
    t.send(0x0102, &auth_code(SECRET, "13800000077")).await;
    t.reply().await;
    // a published pair (Jiaxing, Zhejiang): GCJ-02 as a Chinese map shows it, and WGS 84
    let gcj = [121.096_269_355_750_27, 30.608_604_331_756_705];
    let wgs = [121.091_707_7, 30.610_777_9];
    let serial = t
        .send(0x0200, &location_body(0, true, gcj, 30.0, now()))
        .await;
    assert_eq!(t.reply().await, t.general_response(2, serial, 0x0200, 0));
    let row = vehicle_row(platform.store.as_ref(), "TRK-GCJ")
        .await
        .unwrap();
    let c = row.to_geojson()["geometry"]["coordinates"].clone();
    let placed = [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()];
    let off_m = coastwatch_core::geodesy::distance_m(placed, wgs);
    assert!(off_m < 0.5, "{placed:?} is {off_m:.2} m from {wgs:?}");
}
