//! The HTTP API answered in one-shot requests: system routes, features CRUD with auth,
//! OGC API Features, bad input that leaves the store unchanged, and the request limits
//! (roles before bodies, body sizes per route, free-text lengths, failed authentications).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use coastwatch_core::Layer;
use coastwatch_fixtures::samples::sample;
use coastwatch_server::Config;
use coastwatch_store::Query;
use coastwatch_tests::{
    DISPATCHER, INGEST, PLANNER, TestServer, VIEWER, ingest_config, test_config,
};
use futures_util::{StreamExt, stream};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn dock(lon: f64) -> String {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 29.6]},
           "properties": {"kind": "dock", "name": "Qiucun pier", "registered": true, "town": "Qiucun"}})
    .to_string()
}

async fn count(server: &TestServer, layer: Layer) -> u64 {
    server.store.count(layer, &Query::default()).await.unwrap()
}

#[tokio::test]
async fn system_routes() {
    let server = TestServer::new(test_config()).await;
    let (status, body) = server.send("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let (status, doc) = server.send("GET", "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/api/v1/risk_points",
        "/api/v1/cameras/{id}",
        "/ogc/collections/vessels/items",
        "/healthz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    assert!(
        doc["components"]["schemas"]["cameras_properties"]["required"]
            .as_array()
            .unwrap()
            .contains(&json!("hfov_deg"))
    );

    server.send("GET", "/api/v1/nowhere", None, None).await;
    let (status, _, text) = server.send_raw("GET", "/metrics", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            r#"coastwatch_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/{layer}",status="404""#),
        "{text}"
    );
}

#[tokio::test]
async fn crud_round_trip_with_roles() {
    let server = TestServer::new(test_config()).await;
    let (status, created) = server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(&dock(121.5)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["properties"]["card"], "none", "defaults filled");

    let (status, read) = server
        .send("GET", &format!("/api/v1/risk_points/{id}"), None, None)
        .await;
    assert_eq!((status, &read), (StatusCode::OK, &created));

    let mut changed: Value = serde_json::from_str(&dock(121.6)).unwrap();
    changed["properties"]["registered"] = json!(false);
    let (status, replaced) = server
        .send(
            "PUT",
            &format!("/api/v1/risk_points/{id}"),
            Some(PLANNER),
            Some(&changed.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["properties"]["registered"], false);
    assert_eq!(replaced["geometry"]["coordinates"][0], 121.6);

    let collection = json!({"type": "FeatureCollection", "features": [
        serde_json::from_str::<Value>(&dock(121.41)).unwrap(), serde_json::from_str::<Value>(&dock(121.42)).unwrap()]});
    let (status, _) = server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(&collection.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, listed) = server
        .send(
            "GET",
            "/api/v1/risk_points?bbox=121.40,29.5,121.45,29.7",
            None,
            None,
        )
        .await;
    assert_eq!(listed["features"].as_array().unwrap().len(), 2);

    let (status, _) = server
        .send(
            "DELETE",
            &format!("/api/v1/risk_points/{id}"),
            Some(PLANNER),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .send("GET", &format!("/api/v1/risk_points/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("has no feature"));

    // geofences are the dispatcher's too; vehicles are not the planner's
    let fence = sample(Layer::Geofences, 1).to_geojson().to_string();
    assert_eq!(
        server
            .send("POST", "/api/v1/geofences", Some(DISPATCHER), Some(&fence))
            .await
            .0,
        StatusCode::CREATED
    );
    let truck = sample(Layer::Vehicles, 1).to_geojson().to_string();
    assert_eq!(
        server
            .send("POST", "/api/v1/vehicles", Some(PLANNER), Some(&truck))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .send("POST", "/api/v1/vehicles", Some(DISPATCHER), Some(&truck))
            .await
            .0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn writes_need_the_right_token() {
    let server = TestServer::new(test_config()).await;
    let (status, body) = server
        .send("POST", "/api/v1/cameras", None, Some(&dock(121.5)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"].as_str().unwrap().contains("bearer token"),
        "{body}"
    );
    let (status, body) = server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some(VIEWER),
            Some(&dock(121.5)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"].as_str().unwrap().contains("planner"),
        "{body}"
    );
    let (status, _) = server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some("stolen-token"),
            Some(&dock(121.5)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .send("DELETE", "/api/v1/risk_points/1", Some(VIEWER), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(&server, Layer::RiskPoints).await, 0);

    let mut closed = test_config();
    closed.auth.open_reads = false;
    let closed = TestServer::new(closed).await;
    assert_eq!(
        closed
            .send("GET", "/api/v1/risk_points", None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        closed.send("GET", "/ogc/collections", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        closed
            .send("GET", "/api/v1/risk_points", Some(VIEWER), None)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let mut config = test_config();
    config.server.body_limit_bytes = 4096;
    let server = TestServer::new(config).await;
    server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(&dock(121.5)),
        )
        .await;

    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        ("/api/v1/risk_points", r#"{"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.5, 29.6]"#.into(), StatusCode::BAD_REQUEST, "not valid JSON"),
        ("/api/v1/risk_points", r#"{"type": "Feature", "geometry": {"type": "Point"}, "properties": {}}"#.into(), StatusCode::BAD_REQUEST, "geometry"),
        ("/api/v1/risk_points", json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[121.5, 29.6], [121.6, 29.7]]}, "properties": {"kind": "dock", "name": "x"}}).to_string(), StatusCode::BAD_REQUEST, "holds POINT geometries, got LineString"),
        ("/api/v1/risk_points", dock(190.0), StatusCode::BAD_REQUEST, "longitude 190"),
        ("/api/v1/risk_points", json!({"type": "Topology"}).to_string(), StatusCode::BAD_REQUEST, "Feature or FeatureCollection"),
        ("/api/v1/boats", dock(121.5), StatusCode::NOT_FOUND, "no editable layer \"boats\""),
        ("/api/v1/vessels", dock(121.5), StatusCode::NOT_FOUND, "no editable layer"),
        ("/api/v1/risk_points", format!("{{\"pad\": \"{}\"}}", "x".repeat(5000)), StatusCode::PAYLOAD_TOO_LARGE, "larger than 4096 bytes (server.body_limit_bytes)"),
    ];
    for (uri, body, expected, message) in cases {
        let (status, answer) = server.send("POST", uri, Some(PLANNER), Some(&body)).await;
        assert_eq!(status, expected, "{uri} {body:.80}: {answer}");
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("JSON error body expected: {answer}"));
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    let batch = json!({"type": "FeatureCollection", "features": [serde_json::from_str::<Value>(&dock(121.5)).unwrap(), serde_json::from_str::<Value>(&dock(200.0)).unwrap()]});
    let (status, answer) = server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(&batch.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["detail"]["feature"], 1, "{answer}");
    let (status, _) = server
        .send(
            "PUT",
            "/api/v1/risk_points/abc",
            Some(PLANNER),
            Some(&dock(121.5)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .send(
            "PUT",
            "/api/v1/risk_points/99",
            Some(PLANNER),
            Some(&dock(121.5)),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .send("GET", "/api/v1/risk_points?bbox=1,2,3", None, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    assert_eq!(
        count(&server, Layer::RiskPoints).await,
        1,
        "nothing changed"
    );
    let (_, only) = server
        .send("GET", "/api/v1/risk_points/1", None, None)
        .await;
    assert_eq!(only["geometry"]["coordinates"][0], 121.5);
}

#[tokio::test]
async fn ogc_api_features_core() {
    let server = TestServer::new(Config { ..test_config() }).await;
    // camera tracks shaped like the vessel-track samples: lon and time step with n
    let tracks = (0..25)
        .map(|n| {
            let mut f = sample(Layer::CameraTracks, n);
            f.geometry = sample(Layer::VesselTracks, n).geometry;
            f.properties
                .insert("t_start".into(), json!(1_790_000_000 + 600 * i64::from(n)));
            f.properties
                .insert("t_end".into(), json!(1_790_000_300 + 600 * i64::from(n)));
            f
        })
        .collect();
    server
        .store
        .insert(Layer::CameraTracks, tracks)
        .await
        .unwrap();

    let (_, landing) = server.send("GET", "/ogc", None, None).await;
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(
        rels.contains(&"conformance") && rels.contains(&"data") && rels.contains(&"service-desc"),
        "{landing}"
    );
    let (_, conformance) = server.send("GET", "/ogc/conformance", None, None).await;
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .contains(&json!(
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
            ))
    );
    let (_, collections) = server.send("GET", "/ogc/collections", None, None).await;
    assert_eq!(
        collections["collections"].as_array().unwrap().len(),
        Layer::ALL.len()
    );

    let (status, headers, body) = server
        .send_raw(
            "GET",
            "/ogc/collections/camera_tracks/items?limit=10&offset=10",
            None,
            None,
            &[("host", "gis.example:8080")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/geo+json");
    let page: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (
            page["numberMatched"].as_u64(),
            page["numberReturned"].as_u64()
        ),
        (Some(25), Some(10))
    );
    let next = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link");
    assert_eq!(
        next["href"],
        "http://gis.example:8080/ogc/collections/camera_tracks/items?limit=10&offset=20"
    );

    let (_, last) = server
        .send(
            "GET",
            "/ogc/collections/camera_tracks/items?limit=10&offset=20",
            None,
            None,
        )
        .await;
    assert_eq!(last["numberReturned"], 5);
    assert!(
        last["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["rel"] != "next")
    );

    let (_, filtered) = server.send("GET", "/ogc/collections/camera_tracks/items?bbox=121.0,29.0,121.6035,29.9&datetime=2026-09-21T00:00:00Z/..", None, None).await;
    assert_eq!(filtered["numberMatched"], 4, "{filtered}");
    let (_, by_value) = server
        .send(
            "GET",
            "/ogc/collections/camera_tracks/items?t_start=1790000600",
            None,
            None,
        )
        .await;
    assert_eq!(by_value["numberMatched"], 1);

    let id = page["features"][0]["id"].as_i64().unwrap();
    let (status, item) = server
        .send(
            "GET",
            &format!("/ogc/collections/camera_tracks/items/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(item["properties"]["camera_id"], 1);

    for (uri, expected) in [
        ("/ogc/collections/boats/items", StatusCode::NOT_FOUND),
        (
            "/ogc/collections/camera_tracks/items/999",
            StatusCode::NOT_FOUND,
        ),
        (
            "/ogc/collections/camera_tracks/items?limit=0",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ogc/collections/camera_tracks/items?bbox=a,b,c,d",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ogc/collections/camera_tracks/items?colour=red",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ogc/collections/risk_points/items?datetime=2026-01-01T00:00:00Z",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ogc/collections/camera_tracks/items?datetime=soon",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = server.send("GET", uri, None, None).await;
        assert_eq!(status, expected, "{uri}: {body}");
        assert!(body["error"].is_string(), "{uri}: {body}");
    }
}

fn with_ingest() -> Config {
    ingest_config()
}

/// A body that sends `first` and then never ends (a slow or stalled client).
fn stalled_body(first: Vec<u8>) -> Body {
    Body::from_stream(
        stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(first)) })
            .chain(stream::pending()),
    )
}

/// Sends `body` and waits at most `wait` for the answer: `None` when none came.
async fn answer_within(
    server: &TestServer,
    request: axum::http::request::Builder,
    body: Body,
    wait: Duration,
) -> Option<(StatusCode, axum::http::HeaderMap, Value)> {
    let response = server.app.clone().oneshot(request.body(body).unwrap());
    let response = tokio::time::timeout(wait, response).await.ok()?.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Some((
        parts.status,
        parts.headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// A request with the media type the route takes.
fn request(method: &str, uri: &str, token: Option<&str>) -> axum::http::request::Builder {
    let content_type = if uri.ends_with("/ais") {
        "text/plain"
    } else {
        "application/json"
    };
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder
}

/// Every write route that takes a body, with a token whose role does not fit and one whose
/// role does.
const WRITE_ROUTES: [(&str, &str, &str, &str); 8] = [
    ("POST", "/api/v1/risk_points", DISPATCHER, PLANNER),
    ("PUT", "/api/v1/risk_points/1", DISPATCHER, PLANNER),
    ("POST", "/api/v1/geofences", VIEWER, DISPATCHER),
    ("POST", "/api/v1/alerts/1/ack", PLANNER, DISPATCHER),
    ("POST", "/api/v1/tips", VIEWER, DISPATCHER),
    ("POST", "/api/v1/ingest/positions", DISPATCHER, INGEST),
    ("POST", "/api/v1/ingest/ais", DISPATCHER, INGEST),
    ("POST", "/api/v1/coverage/suggest", DISPATCHER, PLANNER),
];

#[tokio::test]
async fn roles_are_checked_before_the_body_is_read() {
    let server = TestServer::new(with_ingest()).await;
    let first = b"[".to_vec();
    for (method, uri, wrong, right) in WRITE_ROUTES {
        for (token, expected) in [
            (None, StatusCode::UNAUTHORIZED),
            (Some(wrong), StatusCode::FORBIDDEN),
        ] {
            let (status, _, body) = answer_within(
                &server,
                request(method, uri, token),
                stalled_body(first.clone()),
                Duration::from_secs(5),
            )
            .await
            .unwrap_or_else(|| {
                panic!("{method} {uri} with {token:?} waited for the body instead of refusing")
            });
            assert_eq!(status, expected, "{method} {uri} with {token:?}: {body}");
        }
        // the body really stalls: with the right role the server waits for it
        assert!(
            answer_within(
                &server,
                request(method, uri, Some(right)),
                stalled_body(first.clone()),
                Duration::from_millis(300),
            )
            .await
            .is_none(),
            "{method} {uri} answered without its body"
        );
    }
}

#[tokio::test]
async fn bodies_over_a_route_limit_get_413_naming_the_key() {
    let server = TestServer::new(with_ingest()).await;
    let limits = Config::default().server.body_limits;
    for (uri, token, limit, key) in [
        (
            "/api/v1/tips",
            DISPATCHER,
            limits.alerts_bytes,
            "server.body_limits.alerts_bytes",
        ),
        (
            "/api/v1/alerts/1/resolve",
            DISPATCHER,
            limits.alerts_bytes,
            "server.body_limits.alerts_bytes",
        ),
        (
            "/api/v1/coverage/suggest",
            PLANNER,
            limits.coverage_bytes,
            "server.body_limits.coverage_bytes",
        ),
        (
            "/api/v1/ingest/positions",
            INGEST,
            limits.ingest_bytes,
            "server.body_limits.ingest_bytes",
        ),
        (
            "/api/v1/risk_points",
            PLANNER,
            limits.features_bytes,
            "server.body_limits.features_bytes",
        ),
    ] {
        assert!(limit < Config::default().server.body_limit_bytes);
        // declared too large: refused before a byte is read
        let length = (limit + 1).to_string();
        let (status, _, body) = answer_within(
            &server,
            request("POST", uri, Some(token)).header("content-length", length.as_str()),
            stalled_body(Vec::new()),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("{uri}: a declared length over the limit was waited for"));
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(key), "{uri}: {error}");
        // streamed without a length: refused once the limit is passed, not at the end
        let (status, _, body) = answer_within(
            &server,
            request("POST", uri, Some(token)),
            stalled_body(vec![b' '; limit + 1]),
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|| panic!("{uri}: a streamed body over the limit was read on"));
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {body}");
        assert!(body["error"].as_str().unwrap().contains(key), "{body}");
    }
    let (status, _, body) = answer_within(
        &server,
        request("POST", "/api/v1/ingest/ais", Some(INGEST)),
        stalled_body(vec![b'\n'; limits.ingest_bytes + 1]),
        Duration::from_secs(5),
    )
    .await
    .expect("AIS body over the limit refused");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("server.body_limits.ingest_bytes")
    );

    // a route limit above the global one: the global one applies and is named
    let mut config = with_ingest();
    config.server.body_limit_bytes = 1024;
    let server = TestServer::new(config).await;
    let (status, body) = server
        .send(
            "POST",
            "/api/v1/tips",
            Some(DISPATCHER),
            Some(&format!(r#"{{"pad": "{}"}}"#, "x".repeat(2000))),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("1024 bytes (server.body_limit_bytes)"),
        "{body}"
    );
}

#[tokio::test]
async fn free_text_fields_are_capped() {
    let server = TestServer::new(with_ingest()).await;
    let max = Config::default().server.body_limits.text_chars;
    let long = "é".repeat(max + 1);
    let fits = "é".repeat(max);
    let tip = |text: &str, reporter: &str| {
        json!({"lon": 121.55, "lat": 29.55, "text": text, "reporter": reporter}).to_string()
    };
    let (status, created) = server
        .send(
            "POST",
            "/api/v1/tips",
            Some(DISPATCHER),
            Some(&tip(&fits, "ana")),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{max} characters fit: {created}"
    );
    let id = created["id"].as_i64().unwrap();

    let action = |path: &str| format!("/api/v1/alerts/{id}/{path}");
    let cases: Vec<(String, String, &str)> = vec![
        ("/api/v1/tips".into(), tip(&long, "ana"), "text"),
        (
            "/api/v1/tips".into(),
            tip("a skiff at night", &long),
            "reporter",
        ),
        (
            action("assign"),
            json!({"assignee": long}).to_string(),
            "assignee",
        ),
        (
            action("resolve"),
            json!({"outcome": "confirmed", "note": long}).to_string(),
            "note",
        ),
    ];
    for (uri, body, field) in cases {
        let (status, answer) = server
            .send("POST", &uri, Some(DISPATCHER), Some(&body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {field}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("{field} is longer than {max} characters"))
                && error.contains("server.body_limits.text_chars"),
            "{uri}: {error}"
        );
    }
    let (_, alert) = server
        .send("GET", &format!("/api/v1/alerts/{id}"), None, None)
        .await;
    assert_eq!(
        alert["status"], "open",
        "no refused action applied: {alert}"
    );

    let mut point: Value = serde_json::from_str(&dock(121.5)).unwrap();
    point["properties"]["name"] = json!(long);
    let (status, answer) = server
        .send(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(&point.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("feature 0: properties.name is longer than"),
        "{answer}"
    );
    assert_eq!(count(&server, Layer::RiskPoints).await, 0);

    let fix = json!([{"vehicle_id": long, "t": 1_700_000_000, "lon": 121.5, "lat": 29.6}]);
    let (status, answer) = server
        .send(
            "POST",
            "/api/v1/ingest/positions",
            Some(INGEST),
            Some(&fix.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["detail"]["problems"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("vehicle_id is longer than"),
        "{answer}"
    );
}

/// Sends `token` from `peer`, as a server with `into_make_service_with_connect_info` sees it.
async fn from_peer(
    server: &TestServer,
    peer: &str,
    uri: &str,
    token: &str,
) -> (StatusCode, axum::http::HeaderMap) {
    let address: SocketAddr = peer.parse().unwrap();
    let mut request = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    let response = server.app.clone().oneshot(request).await.unwrap();
    (response.status(), response.headers().clone())
}

#[tokio::test]
async fn failed_authentications_are_limited_per_peer() {
    let server = TestServer::new(test_config()).await;
    let max = Config::default().auth.max_failures_per_minute;
    let attacker = "198.51.100.7:40000";
    for n in 0..max {
        let (status, _) = from_peer(
            &server,
            attacker,
            "/api/v1/alerts",
            &format!("guess-{n:08}"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {n}");
    }
    let (status, headers) = from_peer(&server, attacker, "/api/v1/alerts", "guess-last").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // even the right token waits: guessing must not go on behind the limit
    let (status, _) = from_peer(&server, attacker, "/api/v1/alerts", VIEWER).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // the same through the query parameter of stream clients
    let address: SocketAddr = attacker.parse().unwrap();
    let mut request = Request::builder()
        .uri("/api/v1/alerts?access_token=guess-query")
        .body(Body::empty())
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    let response = server.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // other peers are not held back
    let (status, _) = from_peer(&server, "203.0.113.9:5000", "/api/v1/alerts", VIEWER).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = from_peer(&server, "203.0.113.9:5000", "/api/v1/alerts", "nope-nope").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A geofence whose ring has `vertices` points (the closing point included) on a circle.
fn round_fence(vertices: usize) -> String {
    let n = vertices - 1;
    let ring: Vec<[f64; 2]> = (0..=n)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % n) as f64 / n as f64;
            [121.62 + 0.02 * a.cos(), 29.55 + 0.02 * a.sin()]
        })
        .collect();
    let mut fence = sample(Layer::Geofences, 0).to_geojson();
    fence["geometry"] = json!({"type": "Polygon", "coordinates": [ring]});
    fence.to_string()
}

/// `offset` and `limit` that do not fit are a 400 (not a 500) on the features API and OGC
/// items, live layers included; `limit` is capped by `server.max_page_features`, which is
/// also the features API's page when no limit is given.
#[tokio::test]
async fn paging_parameters_are_bounded() {
    let mut config = test_config();
    config.server.max_page_features = 3;
    let server = TestServer::new(config).await;
    let docks = (0..5).map(|n| sample(Layer::RiskPoints, n)).collect();
    server.store.insert(Layer::RiskPoints, docks).await.unwrap();

    for base in [
        "/api/v1/risk_points?",
        "/ogc/collections/risk_points/items?",
        "/ogc/collections/vessels/items?",
        "/ogc/collections/vessel_tracks/items?",
    ] {
        for (query, names) in [
            ("offset=18446744073709551615", "offset"),
            ("offset=9223372036854775808", "offset"),
            ("offset=-1", "offset"),
            ("offset=99999999999999999999999", "offset"),
            ("limit=18446744073709551615", "server.max_page_features"),
            ("limit=4", "server.max_page_features"),
            ("limit=0", "server.max_page_features"),
            ("limit=-5", "server.max_page_features"),
        ] {
            let uri = format!("{base}{query}");
            let (status, body) = server.send("GET", &uri, None, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(
                body["error"].as_str().unwrap().contains(names),
                "{uri}: {body}"
            );
        }
        // the largest offset is fine, and finds nothing
        let uri = format!("{base}offset=9223372036854775807&limit=3");
        let (status, body) = server.send("GET", &uri, None, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert_eq!(body["features"], json!([]), "{uri}");
    }

    // no limit: the features API answers one page of server.max_page_features
    let (_, page) = server.send("GET", "/api/v1/risk_points", None, None).await;
    assert_eq!(page["features"].as_array().unwrap().len(), 3);
    let (_, rest) = server
        .send("GET", "/api/v1/risk_points?offset=3", None, None)
        .await;
    assert_eq!(rest["features"].as_array().unwrap().len(), 2);
}

/// Live layers page like stored ones: in id order, counted in all, the page cut out.
#[tokio::test]
async fn live_layers_page_in_id_order() {
    use coastwatch_ais::encode::{PositionReport, sentences, with_time};

    let server = TestServer::new(with_ingest()).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut lines = String::new();
    // MMSIs out of order, two fixes each (a track needs two)
    for (k, mmsi) in [
        412_000_005u32,
        412_000_001,
        412_000_004,
        412_000_002,
        412_000_003,
    ]
    .into_iter()
    .enumerate()
    {
        for step in 0..2 {
            let report = PositionReport {
                mmsi,
                nav_status: 0,
                lon: 121.5 + 0.01 * k as f64 + 0.001 * f64::from(step),
                lat: 29.6,
                sog_kn: 6.0,
                cog_deg: 90.0,
                heading_deg: None,
                second: 0,
            };
            for sentence in sentences(&report.bits(), 'A', 1) {
                lines += &with_time(&sentence, now - 60 + 30 * i64::from(step));
                lines.push('\n');
            }
        }
    }
    let (status, _, report) = server
        .send_raw(
            "POST",
            "/api/v1/ingest/ais",
            Some(INGEST),
            Some(lines.into_bytes()),
            &[("content-type", "text/plain")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&report)
    );

    for layer in ["vessels", "vessel_tracks"] {
        let (status, page) = server
            .send(
                "GET",
                &format!("/ogc/collections/{layer}/items?limit=2&offset=1"),
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["numberMatched"], 5, "{layer}: {page}");
        let ids: Vec<i64> = page["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [412_000_002, 412_000_003], "{layer}");
    }
    // with a bbox (the vessels' index) and an attribute filter (built features)
    let (_, west) = server
        .send(
            "GET",
            "/ogc/collections/vessels/items?bbox=121.49,29.5,121.515,29.7&limit=1",
            None,
            None,
        )
        .await;
    assert_eq!(west["numberMatched"], 2, "{west}");
    assert_eq!(west["features"][0]["id"], 412_000_001);
    let (_, one) = server
        .send(
            "GET",
            "/ogc/collections/vessels/items?mmsi=412000004",
            None,
            None,
        )
        .await;
    assert_eq!(one["numberMatched"], 1, "{one}");
    assert_eq!(one["features"][0]["id"], 412_000_004);
}

/// A geometry with more vertices than `server.max_geometry_vertices` is refused with a 400
/// that names the count and the limit, on POST and PUT.
#[tokio::test]
async fn fence_vertices_are_capped() {
    let mut config = test_config();
    config.server.max_geometry_vertices = 500;
    let server = TestServer::new(config).await;
    let (status, body) = server
        .send(
            "POST",
            "/api/v1/geofences",
            Some(PLANNER),
            Some(&round_fence(501)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("501 vertices")
            && error.contains("500")
            && error.contains("server.max_geometry_vertices"),
        "{error}"
    );
    let (status, created) = server
        .send(
            "POST",
            "/api/v1/geofences",
            Some(PLANNER),
            Some(&round_fence(500)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, body) = server
        .send(
            "PUT",
            &format!("/api/v1/geofences/{id}"),
            Some(PLANNER),
            Some(&round_fence(900)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("900 vertices"));
    // the default: 10,000
    let server = TestServer::new(test_config()).await;
    let (status, body) = server
        .send(
            "POST",
            "/api/v1/geofences",
            Some(PLANNER),
            Some(&round_fence(10_001)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("10001 vertices"));
    assert_eq!(count(&server, Layer::Geofences).await, 0);
}

/// Checking a large fence (quadratic in its vertices) runs on blocking threads: this
/// single-threaded runtime keeps running other tasks meanwhile.
#[tokio::test]
async fn a_large_fence_is_checked_off_the_async_runtime() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let server = TestServer::new(test_config()).await;
    let fence = round_fence(2_000);
    let longest_gap = Arc::new(Mutex::new(Duration::ZERO));
    let ticker = tokio::spawn({
        let longest_gap = longest_gap.clone();
        async move {
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                let gap = last.elapsed();
                last = Instant::now();
                let mut longest = longest_gap.lock().unwrap();
                *longest = (*longest).max(gap);
            }
        }
    });
    tokio::task::yield_now().await;
    let started = Instant::now();
    let (status, body) = server
        .send("POST", "/api/v1/geofences", Some(PLANNER), Some(&fence))
        .await;
    let took = started.elapsed();
    ticker.abort();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let longest_gap = *longest_gap.lock().unwrap();
    assert!(
        longest_gap < took / 3,
        "the runtime stalled {longest_gap:?} of the {took:?} the write took"
    );
}

/// One-shot request from `peer` with extra headers; returns status and JSON body.
async fn send_from(
    server: &TestServer,
    peer: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = axum::http::Request::get(uri)
        .extension(ConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = server
        .app
        .clone()
        .oneshot(request.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The links of TileJSON, style.json and the OGC API come from `server.public_url`, else
/// from a checked `Host`; forwarded headers count only from `server.trusted_proxies`.
#[tokio::test]
async fn links_use_the_public_url_or_a_checked_host() {
    let mut config = test_config();
    config.server.trusted_proxies = vec!["10.0.0.2".parse().unwrap()];
    let server = TestServer::new(config).await;
    let tile_url = |doc: &Value| doc["tiles"][0].as_str().unwrap_or_default().to_owned();
    let style_url = |doc: &Value| {
        doc["sources"]["static"]["tiles"][0]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let ogc_url = |doc: &Value| {
        doc["links"][0]["href"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    // a forged Host is refused wherever links are made
    let evil = [("host", "evil.com/\"><script>alert(1)</script>")];
    for uri in [
        "/tiles/risk_points",
        "/style.json",
        "/ogc",
        "/ogc/collections/risk_points/items",
    ] {
        let (status, body) = send_from(&server, "192.0.2.7:5000", uri, &evil).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("server.public_url"),
            "{uri}: {body}"
        );
    }
    for host in ["a b", "x:notaport", "[::1", "host:99999", "@evil.com", ""] {
        let (status, _) =
            send_from(&server, "192.0.2.7:5000", "/style.json", &[("host", host)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{host:?}");
    }

    // forwarded headers from an ordinary client are ignored
    let forwarded = [
        ("host", "gis.example:8080"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "evil.com"),
    ];
    let (_, doc) = send_from(&server, "192.0.2.7:5000", "/tiles/risk_points", &forwarded).await;
    assert_eq!(
        tile_url(&doc),
        "http://gis.example:8080/tiles/risk_points/{z}/{x}/{y}"
    );
    let (_, doc) = send_from(&server, "192.0.2.7:5000", "/style.json", &forwarded).await;
    assert!(
        style_url(&doc).starts_with("http://gis.example:8080/tiles/"),
        "{doc}"
    );
    let (_, doc) = send_from(&server, "192.0.2.7:5000", "/ogc", &forwarded).await;
    assert_eq!(ogc_url(&doc), "http://gis.example:8080/ogc");

    // ... and believed from the trusted proxy
    let proxied = [
        ("host", "127.0.0.1:8080"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "maps.example"),
    ];
    let (_, doc) = send_from(&server, "10.0.0.2:41000", "/tiles/risk_points", &proxied).await;
    assert_eq!(
        tile_url(&doc),
        "https://maps.example/tiles/risk_points/{z}/{x}/{y}"
    );
    let (_, doc) = send_from(&server, "10.0.0.2:41000", "/ogc", &proxied).await;
    assert_eq!(ogc_url(&doc), "https://maps.example/ogc");
    // a trusted proxy's headers are checked too
    let (status, _) = send_from(
        &server,
        "10.0.0.2:41000",
        "/style.json",
        &[("host", "a.example"), ("x-forwarded-host", "evil.com/x")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send_from(
        &server,
        "10.0.0.2:41000",
        "/style.json",
        &[("host", "a.example"), ("x-forwarded-proto", "javascript")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // without the peer's address (no connect info) nobody is trusted
    let (_, _, body) = server.send_raw("GET", "/ogc", None, None, &proxied).await;
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(ogc_url(&doc), "http://127.0.0.1:8080/ogc");

    // a configured public URL wins over every header
    let mut config = test_config();
    config.server.public_url = Some("https://gis.example/cw/".into());
    let server = TestServer::new(config).await;
    let (status, doc) = send_from(&server, "192.0.2.7:5000", "/tiles/risk_points", &evil).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        tile_url(&doc),
        "https://gis.example/cw/tiles/risk_points/{z}/{x}/{y}"
    );
    let (_, doc) = send_from(&server, "192.0.2.7:5000", "/style.json", &forwarded).await;
    assert!(
        style_url(&doc).starts_with("https://gis.example/cw/tiles/"),
        "{doc}"
    );
}

/// CORS follows `server.cors_origins`: none by default, reads only for `"*"`, writes only
/// for an origin named.
#[tokio::test]
async fn cors_follows_the_allow_list() {
    let acao = |headers: &axum::http::HeaderMap| {
        headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let preflight = |origin: &'static str, method: &'static str| {
        [
            ("origin", origin),
            ("access-control-request-method", method),
            (
                "access-control-request-headers",
                "authorization,content-type",
            ),
        ]
    };

    // default: same-origin only
    let server = TestServer::new(test_config()).await;
    let (status, headers, _) = server
        .send_raw(
            "GET",
            "/api/v1/risk_points",
            None,
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(acao(&headers), None);
    let (status, headers, _) = server
        .send_raw(
            "OPTIONS",
            "/api/v1/risk_points",
            None,
            None,
            &preflight("https://evil.example", "POST"),
        )
        .await;
    assert_ne!(status, StatusCode::NO_CONTENT);
    assert_eq!(acao(&headers), None);

    // "*": any origin reads, nobody writes
    let mut config = test_config();
    config.server.cors_origins = vec!["*".into(), "https://ops.example".into()];
    let server = TestServer::new(config).await;
    let (_, headers, _) = server
        .send_raw(
            "GET",
            "/api/v1/risk_points",
            None,
            None,
            &[("origin", "https://any.example")],
        )
        .await;
    assert_eq!(acao(&headers).as_deref(), Some("*"));
    let (status, headers, _) = server
        .send_raw(
            "OPTIONS",
            "/api/v1/risk_points",
            None,
            None,
            &preflight("https://any.example", "GET"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(acao(&headers).as_deref(), Some("*"));
    assert_eq!(headers["access-control-allow-methods"], "GET, HEAD");
    for method in ["POST", "PUT", "DELETE"] {
        let (status, headers, body) = server
            .send_raw(
                "OPTIONS",
                "/api/v1/risk_points",
                None,
                None,
                &preflight("https://any.example", method),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(acao(&headers), None);
        assert!(String::from_utf8_lossy(&body).contains("server.cors_origins"));
    }
    // a write answered to an origin not named carries no CORS header
    let (_, headers, _) = server
        .send_raw(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(dock(121.5).into_bytes()),
            &[("origin", "https://any.example")],
        )
        .await;
    assert_eq!(acao(&headers), None);

    // a named origin reads and writes
    let (status, headers, _) = server
        .send_raw(
            "OPTIONS",
            "/api/v1/risk_points",
            None,
            None,
            &preflight("https://ops.example", "POST"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(acao(&headers).as_deref(), Some("https://ops.example"));
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let (status, headers, _) = server
        .send_raw(
            "POST",
            "/api/v1/risk_points",
            Some(PLANNER),
            Some(dock(121.5).into_bytes()),
            &[("origin", "https://ops.example")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(acao(&headers).as_deref(), Some("https://ops.example"));
    assert!(
        headers
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("origin")),
        "responses vary by origin"
    );
}

/// With reads closed, `/healthz` tells an anonymous caller only that it is up, and
/// `/metrics` needs a token; `/openapi.json` and `/style.json` stay open (no data in them).
#[tokio::test]
async fn closed_reads_hide_health_details_and_metrics() {
    let mut config = test_config();
    config.auth.open_reads = false;
    let server = TestServer::new(config).await;
    let (status, health) = server.send("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health, json!({ "status": "ok" }));
    let (status, health) = server.send("GET", "/healthz", Some(VIEWER), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        health["store"].as_str().unwrap().contains("test.gpkg"),
        "{health}"
    );
    assert_eq!(
        server.send("GET", "/metrics", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.send("GET", "/metrics", Some(VIEWER), None).await.0,
        StatusCode::OK
    );
    for open in ["/openapi.json", "/style.json"] {
        assert_eq!(
            server.send("GET", open, None, None).await.0,
            StatusCode::OK,
            "{open}"
        );
    }
    // with reads open, the details are for everyone
    let server = TestServer::new(test_config()).await;
    let (_, health) = server.send("GET", "/healthz", None, None).await;
    assert!(health["store"].is_string(), "{health}");
}

/// A vehicle's fixes write only the position columns of its row: a dispatcher's edit stored
/// just before a fix, that the picture has not taken yet, stays (the fix's row used to carry
/// the picture's older registration over it), and a vehicle deleted meanwhile is not brought
/// back by its next fix.
#[tokio::test]
async fn a_fix_does_not_undo_an_edit_or_a_deletion_of_its_vehicle() {
    let server = TestServer::new(ingest_config()).await;
    let mut ids = Vec::new();
    for n in [1, 2] {
        let truck = sample(Layer::Vehicles, n).to_geojson().to_string();
        let (status, body) = server
            .send("POST", "/api/v1/vehicles", Some(DISPATCHER), Some(&truck))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_i64().or_else(|| body["ids"][0].as_i64());
        ids.push(coastwatch_core::model::FeatureId::try_from(id.unwrap()).unwrap());
    }
    // the store takes an edit and a deletion that the picture has not seen yet
    let mut edited = server
        .store
        .get(Layer::Vehicles, ids[0])
        .await
        .unwrap()
        .unwrap();
    edited
        .properties
        .insert("plate".into(), json!("浙B-EDITED"));
    assert!(
        server
            .store
            .replace(Layer::Vehicles, ids[0], edited)
            .await
            .unwrap()
    );
    assert!(server.store.delete(Layer::Vehicles, ids[1]).await.unwrap());
    let now = coastwatch_server::clock::now_epoch_s() as i64;
    let fixes = json!([
        {"vehicle_id": "TRK-1", "t": now, "lon": 121.5, "lat": 29.6},
        {"vehicle_id": "TRK-2", "t": now, "lon": 121.5, "lat": 29.6},
    ]);
    let (status, body) = server
        .send(
            "POST",
            "/api/v1/ingest/positions",
            Some(INGEST),
            Some(&fixes.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = server
        .store
        .get(Layer::Vehicles, ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.properties["plate"], "浙B-EDITED", "the edit stays");
    assert_eq!(stored.properties["last_seen"], now, "the fix is in the row");
    assert!(
        server
            .store
            .get(Layer::Vehicles, ids[1])
            .await
            .unwrap()
            .is_none(),
        "the deleted vehicle stays deleted"
    );
}
