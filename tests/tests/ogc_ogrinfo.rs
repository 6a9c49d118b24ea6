//! A real OGC API Features client reads the server: GDAL's OAPIF driver (`ogrinfo`).

use std::process::Command;

use coastwatch_core::Layer;
use coastwatch_fixtures::samples::sample;
use coastwatch_tests::{TestServer, test_config, tool_available};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogrinfo_lists_collections_and_reads_features() {
    if !tool_available("ogrinfo") {
        return;
    }
    let server = TestServer::new(test_config()).await;
    let docks = (0..150).map(|n| sample(Layer::RiskPoints, n)).collect();
    server.store.insert(Layer::RiskPoints, docks).await.unwrap();
    server
        .store
        .insert(Layer::Geofences, vec![sample(Layer::Geofences, 1)])
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("OAPIF:http://{}/ogc", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, server.app.clone()).into_future());

    let ogrinfo = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let out = Command::new("ogrinfo")
                .args(&args)
                .env("GDAL_HTTP_TIMEOUT", "20")
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
    };
    let (ok, listing, errors) = ogrinfo(vec!["-ro".into(), "-q".into(), url.clone()])
        .await
        .unwrap();
    assert!(ok, "{errors}");
    for layer in Layer::ALL {
        assert!(
            listing.contains(layer.name()),
            "ogrinfo does not list {layer}: {listing}"
        );
    }

    // 150 features come back over two pages (page size 100): the driver follows `next` links.
    let (ok, summary, errors) = ogrinfo(vec![
        "-ro".into(),
        "-so".into(),
        url.clone(),
        "risk_points".into(),
    ])
    .await
    .unwrap();
    assert!(ok, "{errors}");
    assert!(
        summary.contains("Feature Count: 150"),
        "{summary}\n{errors}"
    );
    let (ok, features, errors) = ogrinfo(vec![
        "-ro".into(),
        "-al".into(),
        "-q".into(),
        url.clone(),
        "risk_points".into(),
    ])
    .await
    .unwrap();
    assert!(ok, "{errors}");
    assert_eq!(
        features.matches("OGRFeature(risk_points)").count(),
        150,
        "{errors}"
    );
    assert!(
        features.contains("name (String) = Pier 149"),
        "{features:.2000}"
    );
    assert!(
        features.contains("POINT (121.669"),
        "geometry read back: {features:.2000}"
    );
}
