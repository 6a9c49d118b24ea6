//! The HTTP API answered in one-shot requests: system routes, features CRUD with auth,
//! OGC API Features, and bad input that leaves the store unchanged.

use axum::http::StatusCode;
use coastwatch_server::Config;
use coastwatch_spatial::Layer;
use coastwatch_spatial::samples::sample;
use coastwatch_spatial::store::Query;
use coastwatch_tests::{DISPATCHER, PLANNER, TestServer, VIEWER, test_config};
use serde_json::{Value, json};

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
        ("/api/v1/risk_points", format!("{{\"pad\": \"{}\"}}", "x".repeat(5000)), StatusCode::PAYLOAD_TOO_LARGE, "larger than the server accepts"),
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
