//! Vector tiles over HTTP: MVT that decodes, 204 for empty, ETag/304, gzip, TileJSON,
//! catalog, composite sources, and 400/404 for bad coordinates and sources.

use axum::http::StatusCode;
use coastwatch_spatial::Layer;
use coastwatch_spatial::samples::sample;
use coastwatch_tests::{TestServer, test_config};
use coastwatch_tiles::mvt::decode;
use coastwatch_tiles::{TileCoord, Zoom};

#[tokio::test]
async fn tiles_are_served_to_spec() {
    let server = TestServer::new(test_config()).await;
    server
        .store
        .insert(Layer::RiskPoints, vec![sample(Layer::RiskPoints, 0)])
        .await
        .unwrap();
    server
        .store
        .insert(Layer::Geofences, vec![sample(Layer::Geofences, 0)])
        .await
        .unwrap();
    let dock = TileCoord::containing_lon_lat(121.52, 29.58, Zoom::new(14).unwrap()).unwrap();
    let uri =
        |source: &str, t: TileCoord| format!("/tiles/{source}/{}/{}/{}", t.z().get(), t.x(), t.y());

    let (status, headers, body) = server
        .send_raw("GET", &uri("risk_points", dock), None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-protobuf");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    let tile = decode(&body).unwrap();
    let layer = tile.layer("risk_points").expect("risk_points layer");
    assert_eq!(layer.features.len(), 1);
    assert_eq!(layer.features[0].properties["name"].to_json(), "Pier 0");

    // strong ETag and 304
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));
    let (status, _, body) = server
        .send_raw(
            "GET",
            &uri("risk_points", dock),
            None,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));

    // gzip when asked
    let (status, headers, gz) = server
        .send_raw(
            "GET",
            &uri("risk_points,geofences", dock),
            None,
            None,
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);

    // nothing there: 204
    let empty = TileCoord::containing_lon_lat(10.0, 10.0, Zoom::new(14).unwrap()).unwrap();
    assert_eq!(
        server
            .send_raw("GET", &uri("risk_points", empty), None, None, &[])
            .await
            .0,
        StatusCode::NO_CONTENT
    );

    for (path, expected) in [
        ("/tiles/risk_points/25/0/0", StatusCode::BAD_REQUEST),
        ("/tiles/risk_points/2/4/0", StatusCode::BAD_REQUEST),
        ("/tiles/risk_points/2/0/4", StatusCode::BAD_REQUEST),
        ("/tiles/risk_points/a/0/0", StatusCode::BAD_REQUEST),
        ("/tiles/risk_points/1/0/0.pbf", StatusCode::BAD_REQUEST),
        ("/tiles/boats/1/0/0", StatusCode::NOT_FOUND),
        ("/tiles/risk_points,boats/1/0/0", StatusCode::NOT_FOUND),
    ] {
        let (status, body) = server.send("GET", path, None, None).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }

    let (status, tilejson) = server
        .send("GET", "/tiles/risk_points,geofences", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tilejson["tilejson"], "3.0.0");
    assert!(
        tilejson["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/risk_points,geofences/{z}/{x}/{y}")
    );
    assert_eq!(tilejson["vector_layers"][1]["id"], "geofences");
    assert_eq!(
        tilejson["vector_layers"][0]["fields"]["registered"],
        "boolean"
    );
    let (_, catalog) = server.send("GET", "/tiles/catalog", None, None).await;
    assert_eq!(
        catalog["tiles"].as_object().unwrap().len(),
        Layer::ALL.len()
    );
}

/// On PostGIS the static layers come from `ST_AsMVT`; the tile must decode the same way.
#[tokio::test]
async fn postgis_tiles_come_from_st_asmvt() {
    let Ok(url) = std::env::var("COASTWATCH_TEST_PG") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but COASTWATCH_TEST_PG is not set"
        );
        return;
    };
    let schema = format!("t_tiles_{}", std::process::id());
    let store = coastwatch_spatial::store::PostgisStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    let store: std::sync::Arc<dyn coastwatch_spatial::store::Store> = std::sync::Arc::new(store);
    store
        .insert(Layer::RiskPoints, vec![sample(Layer::RiskPoints, 0)])
        .await
        .unwrap();
    store
        .insert(Layer::Geofences, vec![sample(Layer::Geofences, 0)])
        .await
        .unwrap();
    let app = coastwatch_server::app(coastwatch_server::AppState::new(
        test_config(),
        store.clone(),
    ));

    let dock = TileCoord::containing_lon_lat(121.52, 29.58, Zoom::new(14).unwrap()).unwrap();
    let request = axum::http::Request::get(format!(
        "/tiles/risk_points,geofences/14/{}/{}",
        dock.x(),
        dock.y()
    ))
    .body(axum::body::Body::empty())
    .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let tile = decode(&body).unwrap();
    let points = tile
        .layer("risk_points")
        .expect("risk_points from ST_AsMVT");
    assert_eq!(points.features.len(), 1);
    assert_eq!(points.features[0].properties["name"].to_json(), "Pier 0");
    assert_eq!(points.extent, 4096);

    let empty = TileCoord::containing_lon_lat(10.0, 10.0, Zoom::new(14).unwrap()).unwrap();
    let request =
        axum::http::Request::get(format!("/tiles/risk_points/14/{}/{}", empty.x(), empty.y()))
            .body(axum::body::Body::empty())
            .unwrap();
    assert_eq!(
        tower::ServiceExt::oneshot(app, request)
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
}
