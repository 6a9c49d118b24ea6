//! Alerts end to end: NMEA into the TCP listener → fence alert on SSE and WebSocket, with
//! resume after a disconnect; the dispatcher lifecycle, tips and scorecards; vehicle fixes
//! and their bad input; webhooks with retries, signatures and deliveries kept across a restart.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coastwatch_ais::encode::{PositionReport, sentences};
use coastwatch_core::{Feature, Layer};
use coastwatch_server::config::WebhookConfig;
use coastwatch_server::{AppState, Config, app, feeds};
use coastwatch_store::{GeoPackageStore, Query, Store};
use coastwatch_tests::{
    DISPATCHER, INGEST, PLANNER, VIEWER, boat_camera_pose, boat_video, ingest_config,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

fn config() -> Config {
    ingest_config()
}

/// A running server on a local port with a temporary GeoPackage.
struct Running {
    base: String,
    state: AppState,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn running(config: Config) -> Running {
    running_with(config, Vec::new()).await
}

/// [`running`] over a store that holds `layers` before the server starts.
async fn running_with(config: Config, layers: Vec<(Layer, Feature)>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        GeoPackageStore::open(dir.path().join("a.gpkg"))
            .await
            .unwrap(),
    );
    for (layer, feature) in layers {
        store.insert(layer, vec![feature]).await.unwrap();
    }
    let state = AppState::start(config, store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app(state.clone())).into_future());
    Running {
        base,
        state,
        store,
        _dir: dir,
    }
}

async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A square restricted area around (121.61, 29.61) raising enter alerts on the first fix.
fn fence() -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[121.60, 29.60], [121.62, 29.60], [121.62, 29.62], [121.60, 29.62], [121.60, 29.60]]]},
        "properties": {"name": "Closed area", "kind": "restricted_sea", "town": "Chunhu",
            "rule": {"detect": ["enter"], "debounce": {"fixes": 1}, "severity": "critical"}}
    })
}

fn nmea(mmsi: u32, lon: f64, lat: f64) -> String {
    let report = PositionReport {
        mmsi,
        nav_status: 0,
        lon,
        lat,
        sog_kn: 8.0,
        cog_deg: 90.0,
        heading_deg: None,
        second: 0,
    };
    sentences(&report.bits(), 'A', 0).join("\r\n") + "\r\n"
}

/// SSE events `(id, data)` read in the background from `/api/v1/alerts/stream`.
fn sse(base: &str, last_event_id: Option<u64>) -> mpsc::UnboundedReceiver<(u64, Value)> {
    coastwatch_tests::sse(base, DISPATCHER, last_event_id)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(u64, Value)>) -> (u64, Value) {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no alert event within 10 s")
        .expect("stream ended")
}

/// The events a client resuming after `after` must get: what the feed published since.
fn published_after(state: &AppState, after: u64) -> Vec<u64> {
    state
        .alerts
        .feed
        .subscribe(Some(after))
        .backlog
        .iter()
        .map(|m| m.seq)
        .collect()
}

#[tokio::test]
async fn nmea_over_tcp_reaches_sse_and_websocket_and_resume_misses_nothing() {
    let server = running(config()).await;
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("{}/api/v1/geofences", server.base),
        DISPATCHER,
        Some(fence()),
    )
    .await;
    assert_eq!(status, 201);

    let nmea_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nmea_address = nmea_listener.local_addr().unwrap();
    tokio::spawn(feeds::tcp_listener(
        nmea_listener,
        server.state.ingest.clone(),
        server.state.config.ais.clone(),
    ));

    let mut first = sse(&server.base, None);
    let ws_url = format!(
        "{}/api/v1/alerts/ws?access_token={DISPATCHER}",
        server.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut feed = tokio::net::TcpStream::connect(nmea_address).await.unwrap();
    feed.write_all(
        (nmea(412_000_001, 121.58, 29.61) + &nmea(412_000_001, 121.61, 29.61)).as_bytes(),
    )
    .await
    .unwrap();
    let (seen, alert) = next(&mut first).await;
    assert_eq!(alert["kind"], "geofence_enter");
    assert_eq!(alert["subject"]["id"], "412000001");
    assert_eq!(alert["town"], "Chunhu");
    assert_eq!(alert["severity"], "critical");
    let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let frame: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(frame["id"], seen, "WebSocket and SSE number events alike");
    assert_eq!(frame["alert"]["id"], alert["id"]);
    ws.close(None).await.unwrap();
    drop(first);

    // while both clients are away: another vessel enters, and the first alert is acknowledged
    feed.write_all(
        (nmea(412_000_002, 121.58, 29.615) + &nmea(412_000_002, 121.61, 29.615)).as_bytes(),
    )
    .await
    .unwrap();
    let alert_id = alert["id"].as_i64().unwrap();
    let ack = format!("{}/api/v1/alerts/{alert_id}/ack", server.base);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let entered = |state: &AppState| {
        state
            .alerts
            .feed
            .subscribe(Some(seen))
            .backlog
            .iter()
            .any(|m| m.kind == "geofence_enter" && m.json.contains(r#""id":"412000002""#))
    };
    while !entered(&server.state) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "second vessel's alert never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, acked) = call(
        reqwest::Method::POST,
        &ack,
        DISPATCHER,
        Some(json!({"note": "watching"})),
    )
    .await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["status"], "acknowledged");
    let missed = published_after(&server.state, seen);
    assert!(missed.len() >= 2, "{missed:?}");

    let mut resumed = sse(&server.base, Some(seen));
    let mut got = Vec::new();
    for _ in 0..missed.len() {
        got.push(next(&mut resumed).await);
    }
    let ids: Vec<u64> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, missed, "exactly the missed events, in order");
    assert!(got.iter().any(|(_, a)| a["subject"]["id"] == "412000002"));
    assert!(
        got.iter()
            .any(|(_, a)| a["id"] == alert_id && a["status"] == "acknowledged")
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), resumed.recv())
            .await
            .is_err(),
        "nothing more, nothing twice"
    );

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{ws_url}&last_event_id={seen}"))
        .await
        .unwrap();
    let mut ws_ids = Vec::new();
    for _ in 0..missed.len() {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let frame: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        ws_ids.push(frame["id"].as_u64().unwrap());
    }
    assert_eq!(ws_ids, missed);
    ws.send(tokio_tungstenite::tungstenite::Message::Close(None))
        .await
        .unwrap();
}

#[tokio::test]
async fn dispatchers_drive_the_lifecycle_and_towns_get_scorecards() {
    let server = running(config()).await;
    let base = &server.base;
    let square = geo::Rect::new(
        geo::coord! { x: 121.5, y: 29.5 },
        geo::coord! { x: 121.7, y: 29.7 },
    );
    let town = Feature::new(
        square.to_polygon(),
        json!({"name": "Qiucun", "kind": "town"}),
    );
    server.store.insert(Layer::Areas, vec![town]).await.unwrap();
    // the monitor learns the towns at start; a restart-free reload comes with area edits
    server.state.layer_changed(Layer::Areas).await.unwrap();

    let (status, tip) = call(
        reqwest::Method::POST,
        &format!("{base}/api/v1/tips"),
        DISPATCHER,
        Some(json!({"lon": 121.6, "lat": 29.6, "text": "night unloading at the old quay"})),
    )
    .await;
    assert_eq!(status, 201, "{tip}");
    assert_eq!(tip["kind"], "tip");
    assert_eq!(tip["town"], "Qiucun");
    assert_eq!(tip["status"], "open");
    assert_eq!(tip["location"]["coordinates"], json!([121.6, 29.6]));
    let id = tip["id"].as_i64().unwrap();

    let (status, list) = call(
        reqwest::Method::GET,
        &format!("{base}/api/v1/alerts?kind=tip&town=Qiucun"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, none) = call(
        reqwest::Method::GET,
        &format!("{base}/api/v1/alerts?town=Songao"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!((status, none), (200, json!([])));
    let (status, _) = call(
        reqwest::Method::GET,
        &format!("{base}/api/v1/alerts?status=lost"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!(status, 400, "an unknown status is refused");

    let action = |name: &str| format!("{base}/api/v1/alerts/{id}/{name}");
    let (status, _) = call(
        reqwest::Method::POST,
        &action("ack"),
        coastwatch_tests::VIEWER,
        None,
    )
    .await;
    assert_eq!(status, 403, "viewers cannot acknowledge");
    let (status, acked) = call(reqwest::Method::POST, &action("ack"), DISPATCHER, None).await;
    assert_eq!(
        (status, acked["status"].clone()),
        (200, json!("acknowledged"))
    );
    let (status, _) = call(
        reqwest::Method::POST,
        &action("assign"),
        DISPATCHER,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "assign needs an assignee");
    let (status, assigned) = call(
        reqwest::Method::POST,
        &action("assign"),
        DISPATCHER,
        Some(json!({"assignee": "li"})),
    )
    .await;
    assert_eq!(
        (status, assigned["status"].clone()),
        (200, json!("assigned"))
    );
    let (status, error) = call(
        reqwest::Method::POST,
        &action("resolve"),
        DISPATCHER,
        Some(json!({"outcome": "confirmed"})),
    )
    .await;
    assert_eq!(status, 400, "resolve needs a note: {error}");
    let (status, resolved) = call(
        reqwest::Method::POST,
        &action("resolve"),
        DISPATCHER,
        Some(json!({"outcome": "confirmed", "note": "boat seized"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(resolved["status"], "resolved");
    let history = resolved["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert!(
        history.iter().all(|h| h["by"] == "dan"),
        "the token's user is recorded"
    );
    let (status, _) = call(reqwest::Method::POST, &action("ack"), DISPATCHER, None).await;
    assert_eq!(status, 409, "a resolved alert takes no more actions");
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("{base}/api/v1/alerts/999/ack"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!(status, 404);

    let (status, cards) = call(
        reqwest::Method::GET,
        &format!("{base}/api/v1/scorecards"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let qiucun = &cards["towns"][0];
    assert_eq!(qiucun["town"], "Qiucun");
    assert_eq!(
        qiucun["card"], "red",
        "a confirmed case turns the card red: {cards}"
    );
    assert_eq!(qiucun["confirmed_cases"], 1);
}

/// A registered tank truck on a corridor along the parallel 29.60.
async fn truck_on_corridor(server: &Running) {
    let corridor = json!({"type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[121.50, 29.60], [121.70, 29.60]]},
        "properties": {"name": "Depot road", "kind": "route_corridor", "width_m": 100, "rule": {"classes": ["vehicle:tank_truck"], "detect": ["exit"]}}});
    let (status, created) = call(
        reqwest::Method::POST,
        &format!("{}/api/v1/geofences", server.base),
        DISPATCHER,
        Some(corridor),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let truck = json!({"type": "Feature", "geometry": null,
        "properties": {"vehicle_id": "ZJB-001", "plate": "浙B 12345", "class": "tank_truck", "corridor_id": created["id"]}});
    let (status, created) = call(
        reqwest::Method::POST,
        &format!("{}/api/v1/vehicles", server.base),
        DISPATCHER,
        Some(truck),
    )
    .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn vehicle_fixes_raise_route_deviation_and_bad_fixes_change_nothing() {
    let server = running(config()).await;
    truck_on_corridor(&server).await;
    let url = format!("{}/api/v1/ingest/positions", server.base);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 600;
    let fix = |t: i64, lat: f64| json!({"vehicle_id": "ZJB-001", "t": t, "lon": 121.6, "lat": lat, "speed_kmh": 40});

    let (status, body) = call(
        reqwest::Method::POST,
        &url,
        INGEST,
        Some(json!([fix(now, 29.6), fix(now + 30, 29.6)])),
    )
    .await;
    assert_eq!(
        (status, body["accepted"].clone()),
        (200, json!(2)),
        "{body}"
    );
    let stored_before = server.store.positions_since(0.0).await.unwrap().len();

    for (bad, why) in [
        (
            json!([{"vehicle_id": "NOPE", "t": now + 60, "lon": 121.6, "lat": 29.6}]),
            "unknown vehicle",
        ),
        (json!([fix(now + 10, 29.6)]), "older than the latest fix"),
        (json!([fix(now + 30, 29.6)]), "duplicate"),
        (
            json!([fix(now + 90, 29.6), fix(now + 80, 29.6)]),
            "out of order in the batch",
        ),
        (json!([fix(now + 100_000, 29.6)]), "in the future"),
        (json!([fix(now + 60, 95.0)]), "latitude"),
        (json!({"vehicle_id": "ZJB-001"}), "not an array"),
        (
            json!([{"vehicle_id": "ZJB-001", "t": "yesterday", "lon": 121.6, "lat": 29.6}]),
            "time",
        ),
    ] {
        let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(bad)).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(body["error"].is_string(), "{why}: {body}");
    }
    assert_eq!(
        server.store.positions_since(0.0).await.unwrap().len(),
        stored_before,
        "nothing stored"
    );
    let (status, _) = call(
        reqwest::Method::POST,
        &url,
        DISPATCHER,
        Some(json!([fix(now + 60, 29.6)])),
    )
    .await;
    assert_eq!(status, 403, "feeding needs the ingest role");

    // two fixes 500 m off the corridor: route deviation
    let off = json!([fix(now + 60, 29.6045), fix(now + 90, 29.6046)]);
    let (status, _) = call(reqwest::Method::POST, &url, INGEST, Some(off)).await;
    assert_eq!(status, 200);
    let alerts = server
        .store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap();
    let deviation = alerts
        .iter()
        .find(|a| a.properties["kind"] == "route_deviation")
        .unwrap_or_else(|| panic!("no route_deviation among {alerts:?}"));
    assert_eq!(deviation.properties["subject"]["id"], "ZJB-001");
    assert_eq!(deviation.properties["subject"]["type"], "vehicle");
    let vehicles = server
        .store
        .query(Layer::Vehicles, &Query::default())
        .await
        .unwrap();
    assert_eq!(vehicles[0].properties["last_seen"], now + 90);

    // a restart rebuilds the picture from the stored fixes without raising stored episodes
    // again, and the ongoing deviation goes on in the same alert
    let restarted = AppState::start(config(), server.store.clone())
        .await
        .unwrap();
    let after_restart = server
        .store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap();
    assert_eq!(after_restart.len(), alerts.len(), "{after_restart:?}");
    let route = restarted
        .ingest
        .picture()
        .vehicles()
        .get("ZJB-001")
        .unwrap()
        .route
        .len();
    assert_eq!(route, 4);
    restarted
        .ingest
        .submit(vec![coastwatch_server::ingest::Update::Vehicle {
            vehicle_id: "ZJB-001".into(),
            sample: coastwatch_core::alerting::Sample {
                t: (now + 120) as f64,
                lon: 121.6,
                lat: 29.6047,
                speed_mps: Some(10.0),
            },
            heading_deg: None,
        }])
        .await
        .unwrap();
    let later = server
        .store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap();
    let deviations: Vec<_> = later
        .iter()
        .filter(|a| a.properties["kind"] == "route_deviation")
        .collect();
    assert_eq!(
        deviations.len(),
        1,
        "one alert per episode across a restart"
    );
    assert_eq!(deviations[0].id, deviation.id);
}

#[tokio::test]
async fn broken_fences_are_refused_and_change_nothing() {
    let server = running(config()).await;
    let url = format!("{}/api/v1/geofences", server.base);
    let mut bow_tie = fence();
    bow_tie["geometry"]["coordinates"] = json!([[
        [121.60, 29.60],
        [121.62, 29.62],
        [121.62, 29.60],
        [121.60, 29.62],
        [121.60, 29.60]
    ]]);
    let mut bad_rule = fence();
    bad_rule["properties"]["rule"]["dwell_min"] = json!(-5);
    let mut bad_hours = fence();
    bad_hours["properties"]["rule"]["active_hours"] = json!({"start": "25:00", "end": "05:00"});
    let mut no_radius = fence();
    no_radius["geometry"] = json!({"type": "Point", "coordinates": [121.6, 29.6]});
    for (body, why) in [
        (bow_tie, "self-intersecting"),
        (bad_rule, "negative dwell"),
        (bad_hours, "hour 25"),
        (no_radius, "circle without radius"),
    ] {
        let (status, body) = call(reqwest::Method::POST, &url, DISPATCHER, Some(body)).await;
        assert_eq!(status, 400, "{why}: {body}");
    }
    assert_eq!(
        server
            .store
            .count(Layer::Geofences, &Query::default())
            .await
            .unwrap(),
        0
    );
    assert!(
        server
            .state
            .ingest
            .picture()
            .with_monitor(|m| m.fences().is_empty())
    );
    let (status, _) = call(reqwest::Method::POST, &url, DISPATCHER, Some(fence())).await;
    assert_eq!(status, 201);
    assert_eq!(
        server
            .state
            .ingest
            .picture()
            .with_monitor(|m| m.fences().len()),
        1,
        "a new fence takes effect at once"
    );
}

#[tokio::test]
async fn webhooks_are_retried_with_one_idempotency_key() {
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let calls = Arc::new(Mutex::new(0u32));
    let hook = {
        let (received, calls) = (received.clone(), calls.clone());
        axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: String| async move {
                    let mut n = calls.lock().unwrap();
                    *n += 1;
                    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                    received
                        .lock()
                        .unwrap()
                        .push((key, serde_json::from_str(&body).unwrap()));
                    if *n <= 2 {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        axum::http::StatusCode::OK
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, hook).into_future());

    let mut config = config();
    let mut hook = WebhookConfig::new(hook_url);
    hook.kinds = vec!["tip".into()];
    hook.max_attempts = 5;
    hook.allow_private = true;
    config.alerts.webhooks.push(hook);
    let state = tempfile::tempdir().unwrap();
    config.alerts.webhooks_state = Some(state.path().into());
    let server = running(config).await;
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("{}/api/v1/tips", server.base),
        DISPATCHER,
        Some(json!({"lon": 121.6, "lat": 29.6, "text": "boat without lights"})),
    )
    .await;
    assert_eq!(status, 201);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while *calls.lock().unwrap() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "webhook was not retried to success"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 3, "two refusals, one success, no more");
    assert!(
        received.iter().all(|(key, _)| *key == received[0].0),
        "one key for one event"
    );
    assert_eq!(received[2].1["alert"]["kind"], "tip");
    assert_eq!(received[2].1["event_id"].to_string(), received[0].0);
}

/// Reads until the server ends the connection; `false` when it is still open after 5 s.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), async {
        while matches!(stream.read(&mut buffer).await, Ok(1..)) {}
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn websocket_clients_cannot_send_large_messages() {
    use tokio_tungstenite::tungstenite::Message;
    let server = running(config()).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let url = format!("ws://{address}/api/v1/alerts/ws");
    let max = Config::default().server.body_limits.websocket_message_bytes;

    // small messages are taken (and ignored): the connection stays
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    ws.send(Message::Text("hello".into())).await.unwrap();
    ws.send(Message::Binary(vec![1u8; max / 2].into()))
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), ws.next())
            .await
            .is_err(),
        "a small message closed the stream"
    );

    // a whole 1 MiB message: the server disconnects
    let _ = ws.send(Message::Binary(vec![0u8; 1 << 20].into())).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the server kept a client that sent 1 MiB");

    // half of a 1 MiB frame: the server disconnects on the frame's header, without
    // waiting for (and buffering) the payload
    let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(url.as_str(), tcp)
        .await
        .unwrap();
    let raw = ws.get_mut();
    let mut frame = vec![0x82, 0x80 | 127];
    frame.extend_from_slice(&(1u64 << 20).to_be_bytes());
    frame.extend_from_slice(&[7, 7, 7, 7]);
    frame.extend_from_slice(&[0u8; 1024]);
    raw.write_all(&frame).await.unwrap();
    assert!(
        closed_by_server(raw).await,
        "the server waited for the rest of a 1 MiB frame"
    );
}

/// A call a webhook receiver got: its headers and exact body.
#[derive(Clone)]
struct Delivery {
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

/// A webhook receiver on loopback; `answer` gives each call's status. Returns its URL and the
/// calls it got.
async fn hook_receiver(
    answer: impl Fn() -> axum::http::StatusCode + Clone + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let calls = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                calls.lock().unwrap().push(Delivery {
                    headers,
                    body: body.to_vec(),
                });
                answer()
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, router).into_future());
    (url, received)
}

/// Waits until the receiver got more than `count` calls.
async fn calls_beyond(received: &Mutex<Vec<Delivery>>, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() <= count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the webhook was not called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn header(delivery: &Delivery, name: &str) -> String {
    delivery
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

const HOOK_SECRET: &str = "a-long-enough-webhook-secret";

#[tokio::test]
async fn webhook_bodies_are_signed_with_the_secret() {
    use hmac::{Hmac, Mac};

    let (hook_url, received) = hook_receiver(|| axum::http::StatusCode::OK).await;
    let mut config = config();
    let mut hook = WebhookConfig::new(hook_url);
    hook.allow_private = true;
    hook.secret = Some(HOOK_SECRET.into());
    config.alerts.webhooks.push(hook);
    let state = tempfile::tempdir().unwrap();
    config.alerts.webhooks_state = Some(state.path().into());
    let server = running(config).await;
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("{}/api/v1/tips", server.base),
        DISPATCHER,
        Some(json!({"lon": 121.6, "lat": 29.6, "text": "nets cut at night"})),
    )
    .await;
    assert_eq!(status, 201);
    calls_beyond(&received, 0).await;
    let delivery = received.lock().unwrap()[0].clone();

    let signature = header(&delivery, "x-coastwatch-signature-256");
    let hex = signature
        .strip_prefix("sha256=")
        .expect("the signature starts with sha256=");
    let claimed: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    mac.update(&delivery.body);
    mac.verify_slice(&claimed)
        .expect("the signature is the HMAC-SHA256 of the received body");

    let body: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(body["alert"]["kind"], "tip");
    assert_eq!(
        header(&delivery, "x-coastwatch-delivery"),
        body["event_id"].to_string()
    );
    assert_eq!(
        header(&delivery, "idempotency-key"),
        body["event_id"].to_string()
    );
    let sent: f64 = header(&delivery, "x-coastwatch-timestamp").parse().unwrap();
    assert!((sent - coastwatch_server::clock::wall_epoch_s()).abs() < 60.0);
}

/// A server over the GeoPackage at `path`; returns its base URL.
async fn serve_at(path: &Path, config: Config) -> String {
    let store: Arc<dyn Store> = Arc::new(GeoPackageStore::open(path).await.unwrap());
    let state = AppState::start(config, store).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app(state)).into_future());
    base
}

/// A tip is stored while the receiver refuses it; the server goes away (its runtime and every
/// task on it dropped, as in a kill); the next server over the same store and state folder
/// delivers it, with the same event number.
#[test]
fn pending_webhook_deliveries_survive_a_restart() {
    let receiving = tokio::runtime::Runtime::new().unwrap();
    let up = Arc::new(AtomicBool::new(false));
    let answer = {
        let up = up.clone();
        move || {
            if up.load(Ordering::SeqCst) {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::SERVICE_UNAVAILABLE
            }
        }
    };
    let (hook_url, received) = receiving.block_on(hook_receiver(answer));
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("a.gpkg");
    let mut config = config();
    let mut hook = WebhookConfig::new(hook_url);
    hook.allow_private = true;
    hook.kinds = vec!["tip".into()];
    config.alerts.webhooks.push(hook);
    config.alerts.webhooks_state = Some(dir.path().join("webhooks"));

    let first = tokio::runtime::Runtime::new().unwrap();
    first.block_on(async {
        let base = serve_at(&gpkg, config.clone()).await;
        let (status, _) = call(
            reqwest::Method::POST,
            &format!("{base}/api/v1/tips"),
            DISPATCHER,
            Some(json!({"lon": 121.6, "lat": 29.6, "text": "boat without lights"})),
        )
        .await;
        assert_eq!(status, 201);
        calls_beyond(&received, 0).await;
    });
    first.shutdown_timeout(Duration::from_secs(5));
    // let any request of the first server that was under way be answered (and refused)
    std::thread::sleep(Duration::from_millis(300));
    let refused = received.lock().unwrap().clone();
    up.store(true, Ordering::SeqCst);

    let second = tokio::runtime::Runtime::new().unwrap();
    second.block_on(async {
        let _base = serve_at(&gpkg, config.clone()).await;
        calls_beyond(&received, refused.len()).await;
    });
    let delivered = received.lock().unwrap()[refused.len()].clone();
    let body: Value = serde_json::from_slice(&delivered.body).unwrap();
    assert_eq!(body["alert"]["kind"], "tip");
    assert_eq!(body["alert"]["evidence"]["text"], "boat without lights");
    assert_eq!(
        header(&delivered, "idempotency-key"),
        header(&refused[0], "idempotency-key"),
        "the same event number after the restart"
    );
    second.shutdown_timeout(Duration::from_secs(5));
}

/// A camera at (121.60, 29.60), 20 m high, looking north with `hfov_deg`, 3 km range.
async fn add_camera(base: &str, hfov_deg: f64) -> Value {
    let camera = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.60, 29.60]},
        "properties": {"name": "CAM-1", "height_m": 20.0, "heading_deg": 0.0, "hfov_deg": hfov_deg, "range_m": 3000.0}});
    let (status, camera) = call(
        reqwest::Method::POST,
        &format!("{base}/api/v1/cameras"),
        PLANNER,
        Some(camera),
    )
    .await;
    assert_eq!(status, 201, "{camera}");
    camera
}

/// A position report of vessel `mmsi` standing 1 km north of the camera of [`add_camera`].
fn standing(mmsi: u32) -> PositionReport {
    let [lon, lat] = coastwatch_core::geodesy::destination([121.60, 29.60], 0.0, 1000.0);
    PositionReport {
        mmsi,
        nav_status: 0,
        lon,
        lat,
        sog_kn: 0.0,
        cog_deg: 0.0,
        heading_deg: None,
        second: 0,
    }
}

/// Sends NMEA `sentences` to the AIS ingest route and checks they were taken.
async fn send_ais(base: &str, sentences: Vec<String>) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/ingest/ais"))
        .bearer_auth(INGEST)
        .header("content-type", "text/plain")
        .body(sentences.join("\r\n") + "\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Observations of camera track `track` of `class` at `(bearing_deg, range_m)` from the
/// camera, one a second from `t0` for `seconds`.
fn observations(
    camera: &Value,
    track: &str,
    class: &str,
    t0: i64,
    seconds: i64,
    (bearing_deg, range_m): (f64, f64),
) -> Value {
    let at = [
        camera["geometry"]["coordinates"][0].as_f64().unwrap(),
        camera["geometry"]["coordinates"][1].as_f64().unwrap(),
    ];
    let [lon, lat] = coastwatch_core::geodesy::destination(at, bearing_deg, range_m);
    let items: Vec<Value> = (0..seconds)
        .map(|s| {
            json!({"camera_id": camera["id"], "track_id": track, "class": class, "t": t0 + s,
                        "lon": lon, "lat": lat, "score": 0.8})
        })
        .collect();
    Value::from(items)
}

#[tokio::test]
async fn camera_detections_raise_dark_vessels_unless_ais_explains_them() {
    let server = running(config()).await;
    let base = &server.base;
    let camera = add_camera(base, 90.0).await;
    // a person-only fence 500 m north-west of the camera
    let yard = json!({"type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[121.594, 29.603], [121.598, 29.603], [121.598, 29.606], [121.594, 29.606], [121.594, 29.603]]]},
        "properties": {"name": "Oil depot", "kind": "watch_zone", "rule": {"classes": ["camera_track:person"], "detect": ["enter"], "debounce": {"fixes": 1}}}});
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{base}/api/v1/geofences"),
        DISPATCHER,
        Some(yard),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // an AIS vessel standing 1 km north of the camera
    let mmsi = 412_000_077;
    send_ais(base, sentences(&standing(mmsi).bits(), 'A', 0)).await;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let url = format!("{base}/api/v1/ingest/detections");
    // the camera sees the AIS vessel (a little off in range, as monocular range is), a boat
    // nobody explains, and a person in the depot
    for body in [
        observations(&camera, "ais", "vessel", now, 30, (0.2, 1150.0)),
        observations(&camera, "dark", "vessel", now, 30, (45.0, 1500.0)),
        observations(&camera, "walker", "person", now, 5, (-45.0, 700.0)),
    ] {
        let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(body)).await;
        assert_eq!(status, 200, "{body}");
    }
    let alerts = server
        .store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap();
    let of = |kind: &str| -> Vec<&Feature> {
        alerts
            .iter()
            .filter(|a| a.properties["kind"] == kind)
            .collect()
    };
    let dark = of("dark_vessel");
    assert_eq!(dark.len(), 1, "{alerts:?}");
    let camera_id = camera["id"].as_i64().unwrap();
    assert_eq!(dark[0].properties["subject"]["type"], "camera_track");
    assert_eq!(
        dark[0].properties["subject"]["id"],
        format!("{camera_id}/dark")
    );
    assert_eq!(dark[0].properties["severity"], "critical");
    let evidence = &dark[0].properties["evidence"];
    assert!(
        (evidence["bearing_deg"].as_f64().unwrap() - 45.0).abs() < 0.5,
        "{evidence}"
    );
    assert_eq!(evidence["nearest_ais"][0]["mmsi"], mmsi, "{evidence}");
    let enter = of("geofence_enter");
    assert_eq!(enter.len(), 1, "{alerts:?}");
    assert_eq!(
        enter[0].properties["subject"]["id"],
        format!("{camera_id}/walker")
    );

    // the matched track carries the vessel's MMSI in the camera_tracks layer
    let tracks = server
        .store
        .query(Layer::CameraTracks, &Query::default())
        .await
        .unwrap();
    let matched: Vec<_> = tracks
        .iter()
        .filter(|t| t.properties["matched_mmsi"] == mmsi)
        .collect();
    assert!(!matched.is_empty(), "{tracks:?}");
    assert!(
        tracks
            .iter()
            .all(|t| t.properties["camera_id"] == camera_id)
    );
    let stored = server.store.positions_since(0.0).await.unwrap().len();

    for (bad, why) in [
        (
            json!([{"camera_id": 999, "track_id": "x", "class": "vessel", "t": now + 40, "lon": 121.6, "lat": 29.61}]),
            "unknown camera",
        ),
        (
            json!([{"camera_id": camera_id, "track_id": "x", "class": "submarine", "t": now + 40, "lon": 121.6, "lat": 29.61}]),
            "class",
        ),
        (
            json!([{"camera_id": camera_id, "track_id": "dark", "class": "vessel", "t": now + 10, "lon": 121.6, "lat": 29.61}]),
            "older than the track",
        ),
        (
            json!([{"camera_id": camera_id, "track_id": "x", "class": "vessel", "t": now + 100_000, "lon": 121.6, "lat": 29.61}]),
            "future",
        ),
        (
            json!([{"camera_id": camera_id, "track_id": "", "class": "vessel", "t": now + 40, "lon": 121.6, "lat": 29.61}]),
            "empty track id",
        ),
        (
            json!([{"camera_id": camera_id, "track_id": "y", "class": "vessel", "t": now + 40, "lon": 121.6, "lat": 29.61},
                {"camera_id": camera_id, "track_id": "y", "class": "vessel", "t": now + 40, "lon": 121.6, "lat": 29.61, "score": 7}]),
            "score, all or nothing",
        ),
    ] {
        let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(bad)).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(body["error"].is_string(), "{why}: {body}");
    }
    assert_eq!(
        server.store.positions_since(0.0).await.unwrap().len(),
        stored,
        "nothing stored"
    );
    let (status, _) = call(reqwest::Method::POST, &url, DISPATCHER, Some(json!([]))).await;
    assert_eq!(status, 403, "feeding needs the ingest role");
}

/// A server running a camera on `video`, with the camera in the `cameras` layer and a
/// coastline between it and the sea.
async fn boat_server(video: &Path) -> Running {
    let mut config = config();
    let pose = serde_json::to_value(boat_camera_pose()).unwrap();
    config.vision.cameras = vec![
        serde_json::from_value(json!({
            "id": "pier-cam", "url": video, "motion_only": true,
            "source": {"fps": 5, "connect_timeout_s": 5}, "calibration": {"pose": pose},
        }))
        .unwrap(),
    ];
    // the layers first, as an operator would have them before the cameras start
    let camera = Feature::new(
        geo::Point::new(121.60, 29.60),
        json!({"name": "pier-cam", "height_m": 20.0, "heading_deg": 0.0, "hfov_deg": 60.0, "range_m": 3000.0}),
    );
    let shore = Feature::new(
        geo::LineString::from(vec![[121.55, 29.601], [121.65, 29.601]]),
        json!({"town": "Chunhu"}),
    );
    running_with(
        config,
        vec![(Layer::Cameras, camera), (Layer::Coastline, shore)],
    )
    .await
}

/// The decoded RGB pixels, width and height of a JPEG.
fn decode_jpeg(bytes: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let pixels = decoder.decode().expect("a JPEG");
    let info = decoder.info().unwrap();
    (pixels, usize::from(info.width), usize::from(info.height))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_camera_that_sees_a_boat_without_ais_raises_dark_vessel_with_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let Some(video) = boat_video(dir.path()) else {
        return;
    };
    let server = boat_server(&video).await;
    let mut events = sse(&server.base, None);
    let alert = loop {
        let (_, alert) = tokio::time::timeout(Duration::from_secs(40), events.recv())
            .await
            .expect("dark_vessel within 40 s")
            .expect("the stream goes on");
        if alert["kind"] == "dark_vessel" {
            break alert;
        }
    };
    assert_eq!(alert["subject"]["type"], "camera_track");
    let evidence = &alert["evidence"];
    assert_eq!(evidence["motion_only_at_sea"], true, "{evidence}");
    // the boat is ahead of the camera, a few hundred metres out
    let bearing = evidence["bearing_deg"].as_f64().unwrap();
    assert!(!(30.0..=330.0).contains(&bearing), "{evidence}");
    let range = evidence["range_m"].as_f64().unwrap();
    assert!((150.0..3000.0).contains(&range), "{evidence}");

    let url = format!("{}/api/v1/alerts/{}/snapshot.jpg", server.base, alert["id"]);
    let response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(DISPATCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let (pixels, width, height) = decode_jpeg(&response.bytes().await.unwrap());
    assert_eq!((width, height), (640, 360));
    // the box is drawn in red around the boat (rows 220–236)
    let red = (200..260)
        .flat_map(|y| (0..width).map(move |x| (y * width + x) * 3))
        .filter(|&i| pixels[i] > 180 && pixels[i + 1] < 90 && pixels[i + 2] < 90)
        .count();
    assert!(red > 40, "{red} red pixels around the boat");
    let crop = reqwest::Client::new()
        .get(url.replace("snapshot.jpg", "crop.jpg"))
        .bearer_auth(DISPATCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(crop.status(), 200);
    decode_jpeg(&crop.bytes().await.unwrap());
    let unknown = reqwest::Client::new()
        .get(&url)
        .bearer_auth("no-such-token")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401, "read as the alert is");

    // the camera's latest frame for the map's popup
    let frame = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/vision/cameras/pier-cam/frame.jpg",
            server.base
        ))
        .bearer_auth(DISPATCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(frame.status(), 200);
    assert_eq!(decode_jpeg(&frame.bytes().await.unwrap()).1, 640);
    server.state.cameras.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_boat_whose_ais_is_on_is_matched_not_alerted() {
    let dir = tempfile::tempdir().unwrap();
    let Some(video) = boat_video(dir.path()) else {
        return;
    };
    // the boat's track on the sea, from the camera's pose: where its foot is at 5 s and 25 s
    let pose = boat_camera_pose();
    let at = |s: f64| {
        let g = pose
            .pixel_to_ground([60.0 + 12.0 * s + 24.0, 236.0])
            .unwrap();
        [g.lon, g.lat]
    };
    let (from, to) = (at(5.0), at(25.0));
    let sog_kn = coastwatch_core::geodesy::distance_m(from, to)
        / 20.0
        / coastwatch_core::geodesy::MPS_PER_KN;
    let cog_deg = coastwatch_core::geodesy::bearing_deg(from, to);
    let server = boat_server(&video).await;
    // the boat's AIS, 5 s into the video
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mmsi = 412_000_088;
    let report = PositionReport {
        mmsi,
        nav_status: 0,
        lon: from[0],
        lat: from[1],
        sog_kn,
        cog_deg,
        heading_deg: None,
        second: 0,
    };
    let nmea = sentences(&report.bits(), 'A', 0).join("\r\n") + "\r\n";
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/ingest/ais", server.base))
        .bearer_auth(INGEST)
        .header("content-type", "text/plain")
        .body(nmea)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // the crossing takes 30 s; the tracks' rows follow
    tokio::time::sleep(Duration::from_secs(26)).await;
    let alerts = server
        .store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap();
    assert!(
        alerts.iter().all(|a| a.properties["kind"] != "dark_vessel"),
        "{alerts:?}"
    );
    let tracks = server
        .store
        .query(Layer::CameraTracks, &Query::default())
        .await
        .unwrap();
    assert!(!tracks.is_empty(), "the camera saw the boat");
    assert!(
        tracks.iter().any(|t| t.properties["matched_mmsi"] == mmsi),
        "{tracks:?}"
    );
    server.state.cameras.stop();
}

/// [`observations`] with what the camera's OCR read on the track.
fn read_as(mut observations: Value, reading: Value) -> Value {
    for item in observations.as_array_mut().unwrap() {
        item["reading"] = reading.clone();
    }
    observations
}

/// The stored alerts of `kind`.
async fn alerts_of(server: &Running, kind: &str) -> Vec<Feature> {
    let alerts = server
        .store
        .query(Layer::Alerts, &Query::default())
        .await
        .unwrap();
    alerts
        .into_iter()
        .filter(|a| a.properties["kind"] == kind)
        .collect()
}

#[tokio::test]
async fn the_watch_list_takes_plates_by_json_and_csv_and_refuses_what_is_not_a_plate() {
    let mut config = config();
    config.command.watchlist_max = 3;
    let server = running(config).await;
    let url = format!("{}/api/v1/watchlist", server.base);
    let post = |body: String, csv: bool, token: &'static str| {
        let url = url.clone();
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header(
                    "content-type",
                    if csv { "text/csv" } else { "application/json" },
                )
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (status, body) = post(
        json!({"plate": "浙B·12345", "reason": "冷链走私嫌疑"}).to_string(),
        false,
        DISPATCHER,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let csv = "plate,reason\n浙C 00001,\"成品油, 夜间\"\n浙BD12345,新能源\n".to_owned();
    let (status, body) = post(csv, true, DISPATCHER).await;
    assert_eq!(status, 201, "{body}");
    let (status, list) = call(reqwest::Method::GET, &url, DISPATCHER, None).await;
    assert_eq!(status, 200);
    let plates: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["plate"].as_str().unwrap(), e["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        plates,
        [
            ("浙B12345", "冷链走私嫌疑"),
            ("浙BD12345", "新能源"),
            ("浙C00001", "成品油, 夜间")
        ]
    );

    // refused, the list unchanged: not a plate (with its line), no reason, a viewer, the bound
    for (body, csv, token, status, why) in [
        (
            "plate,reason\n浙B54321,x\nHELLO,y\n".to_owned(),
            true,
            DISPATCHER,
            400,
            "entry 3",
        ),
        (
            json!([{"plate": "浙B54321", "reason": " "}]).to_string(),
            false,
            DISPATCHER,
            400,
            "reason is empty",
        ),
        (
            json!({"plate": "浙B54321", "reason": "x"}).to_string(),
            false,
            VIEWER,
            403,
            "",
        ),
        (
            json!({"plate": "浙B54321", "reason": "x"}).to_string(),
            false,
            DISPATCHER,
            409,
            "command.watchlist_max",
        ),
    ] {
        let (got, text) = post(body, csv, token).await;
        assert_eq!(got, status, "{text}");
        assert!(text.contains(why), "{why}: {text}");
    }
    // replacing a listed plate's reason is within the bound
    let (status, body) = post(
        json!({"plate": "浙C00001", "reason": "成品油"}).to_string(),
        false,
        DISPATCHER,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (_, list) = call(reqwest::Method::GET, &url, DISPATCHER, None).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[2]["reason"], "成品油");

    let plate_url = |plate: &str| format!("{url}/{}", urlencoding(plate));
    let (status, _) = call(
        reqwest::Method::DELETE,
        &plate_url("浙C00001"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        reqwest::Method::DELETE,
        &plate_url("浙C00001"),
        DISPATCHER,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let csv = reqwest::Client::new()
        .get(format!("{url}?format=csv"))
        .bearer_auth(DISPATCHER)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().next(), Some("plate,reason,added_by,added_at"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let (status, _) = call(reqwest::Method::GET, &url, VIEWER, None).await;
    assert_eq!(status, 403, "plates are for dispatchers");
    let log = server.store.audit(0, 100).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "watchlist.add",
            "watchlist.add",
            "watchlist.add",
            "watchlist.add",
            "watchlist.remove"
        ]
    );
}

/// `text` percent-encoded for a URL path segment.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn what_cameras_read_raises_name_mismatch_no_visible_name_and_watchlist_vehicle() {
    let server = running(config()).await;
    let base = &server.base;
    let camera = add_camera(base, 120.0).await;
    let camera_id = camera["id"].as_i64().unwrap();
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{base}/api/v1/watchlist"),
        DISPATCHER,
        Some(json!({"plate": "浙B54321", "reason": "冷链走私嫌疑"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    truck_on_corridor(&server).await;

    // an AIS fishing vessel named ZHE DAI YU 1, standing 1 km north of the camera
    let mmsi = 412_000_078;
    let identity = coastwatch_ais::encode::StaticVoyage {
        mmsi,
        imo: 0,
        callsign: "BZDY1".into(),
        name: "ZHE DAI YU 1".into(),
        ship_type: 30,
        destination: "SHIPU".into(),
    };
    let position = sentences(&standing(mmsi).bits(), 'A', 0);
    send_ais(
        base,
        [sentences(&identity.bits(), 'A', 1), position].concat(),
    )
    .await;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // the truck's GPS last spoke 15 minutes ago, on the move
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{base}/api/v1/ingest/positions"),
        INGEST,
        Some(json!([{"vehicle_id": "ZJB-001", "t": now - 900, "lon": 121.6, "lat": 29.6, "speed_kmh": 40}])),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let url = format!("{base}/api/v1/ingest/detections");
    let read =
        |text: Option<&str>, reads: u32| json!({"text": text, "confidence": 0.9, "reads": reads});
    for body in [
        // the AIS boat shows another number on its hull
        read_as(
            observations(&camera, "ais", "vessel", now, 5, (0.2, 1150.0)),
            read(Some("浙岱渔03318"), 2),
        ),
        // a boat nobody explains, legible, with nothing written on it
        read_as(
            observations(&camera, "blank", "vessel", now, 5, (45.0, 1500.0)),
            read(None, 3),
        ),
        // the watched truck passes the camera
        read_as(
            observations(&camera, "truck", "vehicle", now, 3, (-60.0, 300.0)),
            read(Some("浙B·54321"), 1),
        ),
    ] {
        let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(body)).await;
        assert_eq!(status, 200, "{body}");
    }

    let identity = alerts_of(&server, "identity_anomaly").await;
    let on = |id: &str| {
        identity
            .iter()
            .find(|a| a.properties["subject"]["id"] == id)
            .unwrap_or_else(|| panic!("no identity_anomaly on {id}: {identity:?}"))
    };
    let mismatch = &on(&mmsi.to_string()).properties["evidence"];
    assert_eq!(mismatch["flags"], json!(["name_mismatch"]), "{mismatch}");
    assert_eq!(mismatch["name_mismatch"]["read"], "浙岱渔03318");
    assert_eq!(mismatch["name_mismatch"]["ais_name"], "ZHE DAI YU 1");
    let blank = &on(&format!("{camera_id}/blank")).properties["evidence"];
    assert_eq!(blank["flags"], json!(["no_visible_name"]), "{blank}");
    let watched = alerts_of(&server, "watchlist_vehicle").await;
    assert_eq!(watched.len(), 1);
    let evidence = &watched[0].properties["evidence"];
    assert_eq!(evidence["plate"], "浙B54321");
    assert_eq!(evidence["reason"], "冷链走私嫌疑");
    assert_eq!(watched[0].properties["severity"], "critical");

    // the camera_tracks layer says what was read
    let tracks = server
        .store
        .query(Layer::CameraTracks, &Query::default())
        .await
        .unwrap();
    let read_on = |column: &str| -> Vec<&str> {
        tracks
            .iter()
            .filter_map(|t| t.properties[column].as_str())
            .collect()
    };
    assert_eq!(read_on("hull_text"), ["浙岱渔03318"], "{tracks:?}");
    assert_eq!(read_on("plate"), ["浙B54321"]);

    // the silent truck: once its gps_off is open, a camera reading its plate adds the sighting
    let mut gps_off = Vec::new();
    for _ in 0..40 {
        gps_off = alerts_of(&server, "gps_off").await;
        if !gps_off.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(gps_off.len(), 1, "the clock opens gps_off within 10 s");
    let body = read_as(
        observations(&camera, "truck-2", "vehicle", now + 10, 3, (-60.0, 300.0)),
        read(Some("浙B12345"), 1),
    );
    let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(body)).await;
    assert_eq!(status, 200, "{body}");
    let gps_off = alerts_of(&server, "gps_off").await;
    let sightings = &gps_off[0].properties["evidence"]["camera_sightings"];
    assert_eq!(sightings.as_array().map(Vec::len), Some(1), "{gps_off:?}");
    assert_eq!(sightings[0]["camera_track"], format!("{camera_id}/truck-2"));

    // a reading that is not one: 400, nothing stored
    let bad = read_as(
        observations(&camera, "x", "vessel", now + 20, 1, (10.0, 900.0)),
        json!({"text": "浙B12345", "confidence": 1.5, "reads": 1}),
    );
    let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(bad)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].to_string().contains("reading.confidence"),
        "{body}"
    );
}

#[tokio::test]
async fn a_stored_watch_list_is_watched_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        GeoPackageStore::open(dir.path().join("a.gpkg"))
            .await
            .unwrap(),
    );
    store
        .commit(coastwatch_store::Changes {
            watchlist: vec![coastwatch_store::WatchChange::Put(
                coastwatch_store::WatchEntry {
                    plate: "浙B54321".into(),
                    reason: "成品油".into(),
                    added_by: "wang".into(),
                    added_at: 0,
                },
            )],
            ..Default::default()
        })
        .await
        .unwrap();
    let state = AppState::start(config(), store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app(state)).into_future());
    let camera = add_camera(&base, 120.0).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let body = read_as(
        observations(&camera, "truck", "vehicle", now, 2, (-60.0, 300.0)),
        json!({"text": "浙B54321", "confidence": 0.9, "reads": 1}),
    );
    let url = format!("{base}/api/v1/ingest/detections");
    let (status, body) = call(reqwest::Method::POST, &url, INGEST, Some(body)).await;
    assert_eq!(status, 200, "{body}");
    let alerts = store.query(Layer::Alerts, &Query::default()).await.unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a.properties["kind"] == "watchlist_vehicle"),
        "{alerts:?}"
    );
}

/// A new SSE subscriber first gets an event with only an id — where its stream starts — so
/// that a browser reconnecting before any alert came resumes from there and misses nothing.
#[tokio::test]
async fn a_new_sse_stream_starts_with_its_position() {
    let server = running(config()).await;
    let mut events = coastwatch_tests::sse_with_marks(&server.base, DISPATCHER, None);
    let (mark, data) = next(&mut events).await;
    assert_eq!(data, Value::Null, "the first event carries only an id");
    drop(events);
    // an alert while the client is away
    let (status, tip) = call(
        reqwest::Method::POST,
        &format!("{}/api/v1/tips", server.base),
        DISPATCHER,
        Some(json!({"lon": 121.6, "lat": 29.6, "text": "a boat without lights"})),
    )
    .await;
    assert_eq!(status, 201, "{tip}");
    // it reconnects with the id it kept
    let mut resumed = sse(&server.base, Some(mark));
    let (id, alert) = next(&mut resumed).await;
    assert_eq!(id, mark + 1);
    assert_eq!(alert["id"], tip["id"]);
}
