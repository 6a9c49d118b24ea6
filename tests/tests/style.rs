//! `/style.json` passes MapLibre's own validator (`gl-style-validate` from the npm package
//! `@maplibre/maplibre-gl-style-spec`, installed into `web/` by scripts/test.sh).

use std::path::Path;
use std::process::Command;

use axum::http::StatusCode;
use coastwatch_tests::{TestServer, test_config};

#[tokio::test]
async fn style_passes_the_maplibre_validator() {
    let server = TestServer::new(test_config()).await;
    let (status, _, body) = server
        .send_raw(
            "GET",
            "/style.json",
            None,
            None,
            &[("host", "maps.example:8080")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let style: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        style["sources"]["static"]["tiles"][0]
            .as_str()
            .unwrap()
            .starts_with("http://maps.example:8080/tiles/")
    );

    let validator =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/node_modules/.bin/gl-style-validate");
    if !validator.exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but {} is missing (scripts/test.sh installs it)",
            validator.display()
        );
        eprintln!("skipping: gl-style-validate is not installed (cd web && npm ci)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("style.json");
    std::fs::write(&file, &body).unwrap();
    let out = Command::new(&validator).arg(&file).output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "gl-style-validate: {report}"
    );

    // and the validator does find errors: a layer without a source
    let mut broken = style.clone();
    broken["layers"][1]["source"] = "nowhere".into();
    std::fs::write(&file, broken.to_string()).unwrap();
    let out = Command::new(&validator).arg(&file).output().unwrap();
    assert!(!out.status.success(), "a broken style must fail validation");
}
