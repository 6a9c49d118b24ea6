//! Vector tiles over HTTP: MVT that decodes, 204 for empty, ETag/304, gzip, TileJSON,
//! catalog, composite sources, and 400/404 for bad coordinates and sources.

use axum::http::StatusCode;
use coastwatch_core::Layer;
use coastwatch_fixtures::samples::sample;
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
    // same-origin only by default: no CORS headers (server.cors_origins)
    assert!(headers.get("access-control-allow-origin").is_none());
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
    let store = coastwatch_store::PostgisStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    let store: std::sync::Arc<dyn coastwatch_store::Store> = std::sync::Arc::new(store);
    store
        .insert(Layer::RiskPoints, vec![sample(Layer::RiskPoints, 0)])
        .await
        .unwrap();
    store
        .insert(Layer::Geofences, vec![sample(Layer::Geofences, 0)])
        .await
        .unwrap();
    // the layers are not held in memory: PostGIS encodes them
    let mut config = test_config();
    config.server.tile_index_max_features = 0;
    let app = coastwatch_server::app(
        coastwatch_server::AppState::start(config, store.clone())
            .await
            .unwrap(),
    );

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

/// Static tiles are cached (bytes and ETag); a write to one of the tile's layers through the
/// API rebuilds it, a write to another layer does not, and live sources are never cached.
#[tokio::test]
async fn static_tiles_are_cached_until_their_layer_changes() {
    use coastwatch_tests::PLANNER;

    let server = TestServer::new(test_config()).await;
    let area = TileCoord::containing_lon_lat(121.6, 29.56, Zoom::new(10).unwrap()).unwrap();
    let uri = |source: &str| {
        format!(
            "/tiles/{source}/{}/{}/{}",
            area.z().get(),
            area.x(),
            area.y()
        )
    };
    let get = |source: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let server = &server;
        let uri = uri(source);
        async move { server.send_raw("GET", &uri, None, None, headers).await }
    };
    let cache_of = |headers: &axum::http::HeaderMap| {
        headers
            .get("x-tile-cache")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let names = |body: &[u8], layer: &str| -> Vec<String> {
        let tile = decode(body).unwrap();
        let mut names: Vec<String> = tile
            .layer(layer)
            .map(|l| {
                l.features
                    .iter()
                    .map(|f| f.properties["name"].to_json().as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };

    // an empty tile is cached too
    let (status, headers, _) = get("risk_points", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(cache_of(&headers).as_deref(), Some("miss"));
    assert_eq!(
        cache_of(&get("risk_points", &[]).await.1).as_deref(),
        Some("hit")
    );

    // a point created through the API shows at once
    let point = sample(Layer::RiskPoints, 0).to_geojson().to_string();
    let (status, created) = server
        .send("POST", "/api/v1/risk_points", Some(PLANNER), Some(&point))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, headers, first) = get("risk_points", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache_of(&headers).as_deref(), Some("miss"));
    assert_eq!(names(&first, "risk_points"), ["Pier 0"]);
    let etag = headers["etag"].to_str().unwrap().to_owned();

    // the second request is served from the cache: same bytes, same ETag, and 304 still works
    let (status, headers, second) = get("risk_points", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache_of(&headers).as_deref(), Some("hit"));
    assert_eq!(second, first);
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let (status, headers, body) = server
        .send_raw(
            "GET",
            &uri("risk_points"),
            None,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(cache_of(&headers).as_deref(), Some("hit"));
    // the cached gzip form holds the same tile, under its own strong ETag
    let (status, headers, gz) = get("risk_points", &[("accept-encoding", "gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["vary"], "accept-encoding");
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
    assert_eq!(raw, first);

    // the composite source is cached under its own key
    let (_, headers, composite) = get("risk_points,geofences", &[]).await;
    assert_eq!(cache_of(&headers).as_deref(), Some("miss"));
    assert_eq!(names(&composite, "geofences"), Vec::<String>::new());
    assert_eq!(
        cache_of(&get("risk_points,geofences", &[]).await.1).as_deref(),
        Some("hit")
    );

    // PUT renames the point: the next request rebuilds the tile
    let mut renamed = sample(Layer::RiskPoints, 0).to_geojson();
    renamed["properties"]["name"] = "Pier renamed".into();
    let (status, body) = server
        .send(
            "PUT",
            &format!("/api/v1/risk_points/{id}"),
            Some(PLANNER),
            Some(&renamed.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, headers, third) = get("risk_points", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache_of(&headers).as_deref(), Some("miss"));
    assert_eq!(names(&third, "risk_points"), ["Pier renamed"]);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    assert_eq!(
        cache_of(&get("risk_points", &[]).await.1).as_deref(),
        Some("hit")
    );

    // a geofence written through the API: the composite changes, risk_points alone does not
    let fence = sample(Layer::Geofences, 0).to_geojson().to_string();
    let (status, body) = server
        .send("POST", "/api/v1/geofences", Some(PLANNER), Some(&fence))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        cache_of(&get("risk_points", &[]).await.1).as_deref(),
        Some("hit")
    );
    let (_, headers, composite) = get("risk_points,geofences", &[]).await;
    assert_eq!(cache_of(&headers).as_deref(), Some("miss"));
    assert_eq!(names(&composite, "geofences"), ["Restricted 0"]);
    assert_eq!(names(&composite, "risk_points"), ["Pier renamed"]);

    // DELETE empties the tile again
    let (status, _) = server
        .send(
            "DELETE",
            &format!("/api/v1/risk_points/{id}"),
            Some(PLANNER),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(get("risk_points", &[]).await.0, StatusCode::NO_CONTENT);

    // live sources (and composites with one) are never cached
    for source in ["vessels", "risk_points,vessels", "alerts", "vehicles"] {
        let (_, headers, _) = get(source, &[]).await;
        assert_eq!(cache_of(&headers), None, "{source}");
    }
}

/// With the tile cache off, static tiles are built from the layers held in memory: the same
/// bytes the store gives, every write through the API shown at the next tile, and a layer
/// over `tile_index_max_features` read from the store instead.
#[tokio::test]
async fn uncached_static_tiles_come_from_memory_and_follow_writes() {
    use coastwatch_server::tiles::build_tile;
    use coastwatch_tests::PLANNER;

    // the dock and the fence, 10 km apart, on one tile
    let tile = TileCoord::containing_lon_lat(121.52, 29.58, Zoom::new(10).unwrap()).unwrap();
    let uri = tile_uri("risk_points,geofences", tile);
    let names = |body: &[u8]| -> Vec<String> {
        let Ok(tile) = decode(body) else {
            return Vec::new();
        };
        let mut names: Vec<String> = tile
            .layers
            .iter()
            .flat_map(|l| &l.features)
            .map(|f| f.properties["name"].to_json().as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    for max_features in [1_000_000, 1] {
        let mut config = test_config();
        config.server.tile_cache_mib = 0;
        config.server.tile_index_max_features = max_features;
        let server = TestServer::new(config).await;
        let post = |layer: Layer, n: u32, name: &str| {
            let mut feature = sample(layer, n).to_geojson();
            feature["properties"]["name"] = name.into();
            let server = &server;
            async move {
                let (status, body) = server
                    .send(
                        "POST",
                        &format!("/api/v1/{layer}"),
                        Some(PLANNER),
                        Some(&feature.to_string()),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
        };
        post(Layer::RiskPoints, 0, "Pier A").await;
        post(Layer::RiskPoints, 0, "Pier B").await;
        post(Layer::Geofences, 0, "Fence A").await;
        let (status, headers, body) = server.send_raw("GET", &uri, None, None, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers.get("x-tile-cache"), None, "the cache is off");
        assert_eq!(names(&body), ["Fence A", "Pier A", "Pier B"]);
        let layers = [Layer::RiskPoints, Layer::Geofences];
        let from_store = build_tile(server.store.as_ref(), None, &layers, tile, None)
            .await
            .unwrap();
        assert!(from_store == body, "the held layers give the store's bytes");

        // written through the API: in the very next tile
        post(Layer::RiskPoints, 0, "Pier C").await;
        let (_, _, body) = server.send_raw("GET", &uri, None, None, &[]).await;
        assert_eq!(
            names(&body),
            ["Fence A", "Pier A", "Pier B", "Pier C"],
            "max {max_features}"
        );
    }
}

fn tile_uri(source: &str, t: TileCoord) -> String {
    format!("/tiles/{source}/{}/{}/{}", t.z().get(), t.x(), t.y())
}

/// A composite source is normalised: repeats and order do not change the tile, which is
/// cached once under the set of its layers; more distinct layers than
/// `server.max_tile_layers` are refused.
#[tokio::test]
async fn composite_sources_are_deduplicated_capped_and_cached_as_one() {
    let mut config = test_config();
    config.server.max_tile_layers = 2;
    let server = TestServer::new(config).await;
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

    let (status, _, once) = server
        .send_raw("GET", &tile_uri("risk_points", dock), None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let repeated = vec!["risk_points"; 100].join(",");
    let (status, headers, hundred) = server
        .send_raw("GET", &tile_uri(&repeated, dock), None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        hundred, once,
        "a layer repeated 100 times is the layer once"
    );
    assert_eq!(headers["x-tile-cache"], "hit", "and the same cached tile");

    // order does not matter either: one cache entry for both spellings
    let area = TileCoord::containing_lon_lat(121.6, 29.56, Zoom::new(10).unwrap()).unwrap();
    let (status, headers, both) = server
        .send_raw(
            "GET",
            &tile_uri("geofences,risk_points", area),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (status, &headers["x-tile-cache"]),
        (StatusCode::OK, &"miss".parse().unwrap())
    );
    let (_, headers, again) = server
        .send_raw(
            "GET",
            &tile_uri("risk_points,geofences,risk_points", area),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(headers["x-tile-cache"], "hit");
    assert_eq!(again, both);
    let tile = decode(&both).unwrap();
    assert_eq!(tile.layer("risk_points").unwrap().features.len(), 1);
    assert_eq!(tile.layer("geofences").unwrap().features.len(), 1);

    // three distinct layers with a cap of two
    for uri in [
        tile_uri("risk_points,geofences,cameras", dock),
        "/tiles/risk_points,geofences,cameras".to_owned(),
    ] {
        let (status, body) = server.send("GET", &uri, None, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("3 layers") && error.contains("server.max_tile_layers"),
            "{error}"
        );
    }

    // TileJSON names the normalised source
    let (status, tilejson) = server
        .send("GET", &format!("/tiles/{repeated}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        tilejson["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/risk_points/{z}/{x}/{y}"),
        "{tilejson}"
    );
    assert_eq!(tilejson["vector_layers"].as_array().unwrap().len(), 1);
}

/// A tile whose encoding passes `server.max_tile_bytes` is refused with a 400 naming the
/// limit, for cached (static) and live sources alike; smaller tiles are served.
#[tokio::test]
async fn a_tile_over_the_size_limit_is_refused() {
    let mut config = test_config();
    config.server.max_tile_bytes = 600;
    let server = TestServer::new(config).await;
    // one point in one tile, a hundred in another, 5 km east
    let points = (0..100).map(|n| {
        let mut point = sample(Layer::RiskPoints, 50);
        point
            .properties
            .insert("name".into(), format!("Pier number {n}").into());
        point
    });
    let mut features = vec![sample(Layer::RiskPoints, 0)];
    features.extend(points);
    server
        .store
        .insert(Layer::RiskPoints, features)
        .await
        .unwrap();
    let dock = TileCoord::containing_lon_lat(121.52, 29.58, Zoom::new(14).unwrap()).unwrap();
    let (status, _, small) = server
        .send_raw("GET", &tile_uri("risk_points", dock), None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(small.len() <= 600);

    for source in ["risk_points", "risk_points,vessels"] {
        let tile = TileCoord::containing_lon_lat(121.57, 29.58, Zoom::new(15).unwrap()).unwrap();
        let (status, body) = server
            .send("GET", &tile_uri(source, tile), None, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{source}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("larger than 600 bytes") && error.contains("server.max_tile_bytes"),
            "{error}"
        );
    }
}

/// Alerts pile up; a tile holds only the newest `server.max_tile_alerts` of them, read newest
/// first, on either store.
#[tokio::test]
async fn a_tile_holds_only_the_newest_alerts() {
    let mut config = test_config();
    config.server.max_tile_alerts = 3;
    let server = TestServer::new(config).await;
    let alerts: Vec<_> = (0..10).map(|_| sample(Layer::Alerts, 0)).collect();
    let ids = server.store.insert(Layer::Alerts, alerts).await.unwrap();
    let at = sample(Layer::Alerts, 0);
    let geo::Geometry::Point(point) = at.geometry.unwrap() else {
        panic!("alerts are points")
    };
    let tile = TileCoord::containing_lon_lat(point.x(), point.y(), Zoom::new(14).unwrap()).unwrap();
    let (status, _, body) = server
        .send_raw("GET", &tile_uri("alerts", tile), None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let tile = decode(&body).unwrap();
    let mut shown: Vec<u64> = tile
        .layer("alerts")
        .unwrap()
        .features
        .iter()
        .filter_map(|f| f.id)
        .collect();
    shown.sort_unstable();
    let newest: Vec<u64> = ids[7..].iter().map(|id| id.get() as u64).collect();
    assert_eq!(shown, newest);
}
