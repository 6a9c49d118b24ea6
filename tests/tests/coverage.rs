//! Coverage planning end to end: `coastwatch coverage` over a small district in a
//! GeoPackage (files, store layers, bad input with exit code 2) and the HTTP routes
//! `GET /api/v1/coverage` and `POST /api/v1/coverage/suggest`.
//!
//! The district: a 4 km straight coastline at 29.6 N around 121.6 E with the town Alpha to
//! the north, a 5 km square district, three cameras on the shore and four risk points.

use std::path::Path;
use std::process::{Command, Output};

use coastwatch_core::geodesy::{lat_deg, lon_deg};
use coastwatch_core::{Feature, Layer};
use coastwatch_store::{GeoPackageStore, Query, Store};
use coastwatch_tests::{PLANNER, TestServer, VIEWER, coastwatch_bin, test_config};
use geo::{LineString, Point, Rect, coord};
use serde_json::{Value, json};

/// Lon/lat `dx` m east and `dy` m north of the shore's middle.
fn at(dx: f64, dy: f64) -> (f64, f64) {
    (121.6 + lon_deg(dx, 29.6), 29.6 + lat_deg(dy))
}

fn rect(west: f64, south: f64, east: f64, north: f64) -> geo::Polygon {
    let (x0, y0) = at(west, south);
    let (x1, y1) = at(east, north);
    Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon()
}

fn point(dx: f64, dy: f64) -> Point {
    let (x, y) = at(dx, dy);
    Point::new(x, y)
}

async fn fill(store: &dyn Store) {
    let camera = |dx: f64, heading: f64, hfov: f64, range: f64, name: &str| {
        Feature::new(
            point(dx, 50.0),
            json!({"name": name, "height_m": 20.0, "heading_deg": heading, "hfov_deg": hfov,
                   "range_m": range, "ptz": hfov == 360.0, "town": "Alpha"}),
        )
    };
    store
        .insert(
            Layer::Cameras,
            vec![
                camera(-1500.0, 180.0, 90.0, 800.0, "CAM-W"),
                camera(0.0, 180.0, 60.0, 1200.0, "CAM-M"),
                camera(200.0, 0.0, 360.0, 300.0, "CAM-PTZ"),
            ],
        )
        .await
        .unwrap();
    let risk = |dx: f64, dy: f64, kind: &str, name: &str| {
        Feature::new(
            point(dx, dy),
            json!({"kind": kind, "name": name, "registered": false, "town": "Alpha"}),
        )
    };
    store
        .insert(
            Layer::RiskPoints,
            vec![
                risk(0.0, -300.0, "dock", "Seen dock"),
                risk(0.0, 900.0, "oil_depot", "Depot behind"),
                risk(1800.0, 20.0, "dock", "Far dock"),
                risk(-1500.0, 300.0, "warehouse", "Warehouse"),
            ],
        )
        .await
        .unwrap();
    let (x0, y0) = at(-2000.0, 0.0);
    let (x1, y1) = at(2000.0, 0.0);
    store
        .insert(
            Layer::Coastline,
            vec![Feature::new(
                LineString::from(vec![(x0, y0), (x1, y1)]),
                json!({"town": "Alpha", "source": "test"}),
            )],
        )
        .await
        .unwrap();
    store
        .insert(
            Layer::Areas,
            vec![
                Feature::new(
                    rect(-2500.0, -2500.0, 2500.0, 2500.0),
                    json!({"name": "Test district", "kind": "district"}),
                ),
                Feature::new(
                    rect(-2500.0, 0.0, 2500.0, 2500.0),
                    json!({"name": "Alpha", "kind": "town"}),
                ),
            ],
        )
        .await
        .unwrap();
}

fn coastwatch(args: &[&str]) -> Output {
    Command::new(coastwatch_bin()).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn count(store: &str, layer: Layer) -> u64 {
    let store = GeoPackageStore::open(store).await.unwrap();
    let n = store.count(layer, &Query::default()).await.unwrap();
    store.close().await;
    n
}

#[tokio::test]
async fn coverage_command_writes_report_layers_and_store() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("cw.gpkg");
    {
        let store = GeoPackageStore::open(&gpkg).await.unwrap();
        fill(&store).await;
        store.close().await;
    }
    let out = dir.path().join("report");
    let gpkg = gpkg.to_str().unwrap();
    let run = || {
        coastwatch(&[
            "coverage",
            "--out",
            out.to_str().unwrap(),
            "--suggest",
            "3",
            "--store",
            gpkg,
        ])
    };
    let output = run();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("coverage: "), "{stdout}");

    let report = read_json(&out.join("coverage.json"));
    let summary = &report["summary"];
    assert_eq!(summary["cameras"], 3);
    assert_eq!(summary["risk_points"], 4);
    assert_eq!(summary["h3_res"], 10);
    assert!(summary["cells"].as_u64().unwrap() > 1000, "{summary}");
    assert!(summary["cells_seen"].as_u64().unwrap() > 0);
    assert!(summary["cells_overlap"].as_u64().is_some());
    assert!((summary["coastline_m"].as_f64().unwrap() - 4000.0).abs() < 10.0);

    let points = report["risk_points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    for p in points {
        for field in [
            "id",
            "name",
            "kind",
            "covered",
            "reason",
            "cameras",
            "nearest_camera",
        ] {
            assert!(p.get(field).is_some(), "{field} missing in {p}");
        }
        let reason = p["reason"].as_str().unwrap();
        assert!(
            ["covered", "range", "fov", "terrain"].contains(&reason),
            "{reason}"
        );
        assert_eq!(p["covered"], reason == "covered");
        assert!(p["nearest_camera"]["id"].as_i64().unwrap() > 0);
    }
    let by_name = |name: &str| points.iter().find(|p| p["name"] == name).unwrap();
    assert_eq!(by_name("Seen dock")["reason"], "covered");
    assert!(
        !by_name("Seen dock")["cameras"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(by_name("Depot behind")["reason"], "fov");
    assert_eq!(by_name("Far dock")["reason"], "range");

    let coastline = report["coastline"].as_array().unwrap();
    assert_eq!(coastline[0]["town"], "Alpha");
    assert!(coastline[0]["covered_pct"].as_f64().unwrap() > 0.0);
    assert!(!coastline[0]["uncovered"].as_array().unwrap().is_empty());
    assert_eq!(report["towns"][0]["town"], "Alpha");

    let suggestions = report["suggestions"].as_array().unwrap();
    assert!(!suggestions.is_empty() && suggestions.len() <= 3);
    let mut last_gain = f64::INFINITY;
    for s in suggestions {
        for field in ["lon", "lat", "heading_deg", "marginal_gain"] {
            assert!(s[field].is_number(), "{field} missing in {s}");
        }
        let gain = s["marginal_gain"].as_f64().unwrap();
        assert!(gain > 0.0 && gain <= last_gain + 1e-6);
        last_gain = gain;
    }
    assert_eq!(
        report["charts"]["added_cameras"].as_array().unwrap().len(),
        suggestions.len() + 1
    );
    assert_eq!(
        report["charts"]["camera_range"].as_array().unwrap().len(),
        5
    );

    for name in [
        "camera_coverage",
        "coverage_gaps",
        "coverage_cells",
        "risk_points",
        "coastline",
        "suggestions",
    ] {
        let doc = read_json(&out.join(format!("{name}.geojson")));
        assert_eq!(doc["type"], "FeatureCollection", "{name}");
        assert!(!doc["features"].as_array().unwrap().is_empty(), "{name}");
    }
    let gaps = read_json(&out.join("coverage_gaps.geojson"));
    let gaps = gaps["features"].as_array().unwrap();
    for gap in gaps {
        assert_eq!(gap["properties"]["h3"].as_str().unwrap().len(), 15);
        assert!(
            ["range", "fov", "terrain"].contains(&gap["properties"]["reason"].as_str().unwrap())
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<img src=\"data:image/png;base64,"));
    assert!(html.contains("<svg"));
    assert!(html.contains("Coverage vs number of added cameras"));
    assert!(html.contains("Coverage vs camera range"));
    // the same report in Chinese, with the same figures
    let zh = std::fs::read_to_string(out.join("report.zh-CN.html")).unwrap();
    assert!(zh.contains("<html lang=\"zh-CN\">"));
    for text in [
        "视频监控覆盖",
        "风险点覆盖",
        "覆盖率与新增摄像机数量",
        "未覆盖岸线",
    ] {
        assert!(zh.contains(text), "{text}");
    }
    let cells = |page: &str| page.matches("<td class=n>").count();
    assert_eq!(cells(&zh), cells(&html));
    let png = std::fs::read(out.join("map.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // the store holds the layers; a second run replaces them
    assert_eq!(count(gpkg, Layer::CameraCoverage).await, 3);
    assert_eq!(count(gpkg, Layer::CoverageGaps).await, gaps.len() as u64);
    let output = run();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(count(gpkg, Layer::CameraCoverage).await, 3);
    assert_eq!(count(gpkg, Layer::CoverageGaps).await, gaps.len() as u64);
    // a coarser map has fewer gaps: the left-over ones go
    let output = coastwatch(&[
        "coverage",
        "--out",
        out.to_str().unwrap(),
        "--h3-res",
        "8",
        "--store",
        gpkg,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let coarse = read_json(&out.join("coverage_gaps.geojson"));
    let coarse = coarse["features"].as_array().unwrap().len() as u64;
    assert!(coarse < gaps.len() as u64);
    assert_eq!(count(gpkg, Layer::CoverageGaps).await, coarse);
}

#[test]
fn coverage_command_refuses_bad_input_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("cw.gpkg");
    let gpkg = gpkg.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["coverage", "--out", out, "--h3-res", "99", "--store", gpkg],
            "99",
        ),
        (
            &["coverage", "--out", out, "--suggest", "-1", "--store", gpkg],
            "-1",
        ),
        (&["coverage", "--suggest", "2", "--store", gpkg], "--out"),
        (
            &[
                "coverage",
                "--out",
                out,
                "--dem",
                "/nonexistent/dem.tif",
                "--store",
                gpkg,
            ],
            "--dem /nonexistent/dem.tif: no such file",
        ),
        (
            &[
                "coverage",
                "--out",
                out,
                "--suggest",
                "2",
                "--camera-hfov",
                "0",
                "--store",
                gpkg,
            ],
            "hfov_deg 0 must be greater than 0 and at most 360",
        ),
        (
            &[
                "coverage",
                "--out",
                out,
                "--camera-hfov",
                "400",
                "--store",
                gpkg,
            ],
            "hfov_deg 400 must be greater than 0 and at most 360",
        ),
        (
            &[
                "coverage",
                "--out",
                out,
                "--camera-range",
                "-5",
                "--store",
                gpkg,
            ],
            "range_m -5 must be greater than 0",
        ),
        (
            &["coverage", "--out", out, "--spacing", "0", "--store", gpkg],
            "spacing_m 0 must be within",
        ),
    ];
    for (args, message) in cases {
        let output = coastwatch(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert!(!Path::new(out).exists(), "nothing written on bad input");
}

#[tokio::test]
async fn coverage_routes() {
    let server = TestServer::new(test_config()).await;
    fill(server.store.as_ref()).await;

    let (status, report) = server.send("GET", "/api/v1/coverage", None, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["summary"]["cameras"], 3);
    assert_eq!(report["risk_points"].as_array().unwrap().len(), 4);
    assert_eq!(report["suggestions"], json!([]));
    let (_, again) = server.send("GET", "/api/v1/coverage", None, None).await;
    assert_eq!(again, report, "the cached answer is the same");
    let (status, coarse) = server
        .send("GET", "/api/v1/coverage?h3_res=8", None, None)
        .await;
    assert_eq!(status, 200);
    assert!(coarse["summary"]["cells"].as_u64() < report["summary"]["cells"].as_u64());
    let (status, _) = server
        .send("GET", "/api/v1/coverage?h3_res=16", None, None)
        .await;
    assert_eq!(status, 400);

    let body = r#"{"n": 2, "camera": {"hfov_deg": 120, "range_m": 1500}}"#;
    let (status, _) = server
        .send("POST", "/api/v1/coverage/suggest", None, Some(body))
        .await;
    assert_eq!(status, 401);
    let (status, _) = server
        .send("POST", "/api/v1/coverage/suggest", Some(VIEWER), Some(body))
        .await;
    assert_eq!(status, 403);
    let (status, answer) = server
        .send(
            "POST",
            "/api/v1/coverage/suggest",
            Some(PLANNER),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let suggestions = answer["suggestions"].as_array().unwrap();
    assert!(
        !suggestions.is_empty() && suggestions.len() <= 2,
        "{answer}"
    );
    assert_eq!(suggestions[0]["hfov_deg"], 120.0);
    assert!(suggestions[0]["marginal_gain"].as_f64().unwrap() > 0.0);

    let (x, y) = at(1800.0, 60.0);
    let body = json!({"n": 1, "candidates": [[x, y]], "camera": {"hfov_deg": 360}}).to_string();
    let (status, answer) = server
        .send(
            "POST",
            "/api/v1/coverage/suggest",
            Some(PLANNER),
            Some(&body),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["suggestions"][0]["lon"], x);
    assert_eq!(answer["suggestions"][0]["site"], "given");

    for (body, message) in [
        (
            r#"{"n": 2, "camera": {"hfov_deg": 0}}"#,
            "hfov_deg 0 must be greater than 0",
        ),
        (
            r#"{"camera": {"range_m": -10}}"#,
            "range_m -10 must be greater than 0",
        ),
        (r#"{"n": 2, "colour": "red"}"#, "unknown field"),
        (r#"{"candidates": []}"#, "candidates must not be empty"),
    ] {
        let (status, answer) = server
            .send(
                "POST",
                "/api/v1/coverage/suggest",
                Some(PLANNER),
                Some(body),
            )
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(message),
            "{answer}"
        );
    }
}

/// A lon/lat DEM over the district, flat at 0 m but for a 100 m ridge 100–150 m south of
/// the shore: it hides the dock that the middle camera sees on flat terrain.
fn ridge_dem(path: &Path) {
    use coastwatch_coverage::dem::{Dem, DemCrs};
    let cell_deg = 0.0003;
    let (west, north) = at(-2600.0, 2600.0);
    let (east, south) = at(2600.0, -2600.0);
    let width = ((east - west) / cell_deg).ceil() as usize;
    let height = ((north - south) / cell_deg).ceil() as usize;
    let (_, ridge_north) = at(0.0, -100.0);
    let (_, ridge_south) = at(0.0, -150.0);
    let mut values = Vec::with_capacity(width * height);
    for row in 0..height {
        let lat = north - (row as f64 + 0.5) * cell_deg;
        for _ in 0..width {
            values.push(if (ridge_south..=ridge_north).contains(&lat) {
                100.0
            } else {
                0.0
            });
        }
    }
    let dem = Dem::new(
        width,
        height,
        [west, cell_deg, 0.0, north, 0.0, -cell_deg],
        values,
        DemCrs::lonlat(),
    )
    .unwrap();
    coastwatch_gdal::dem::write_dem(path, &dem, "EPSG:4326").unwrap();
}

#[tokio::test]
async fn coverage_command_with_a_dem_sees_the_ridge() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("cw.gpkg");
    {
        let store = GeoPackageStore::open(&gpkg).await.unwrap();
        fill(&store).await;
        store.close().await;
    }
    let dem = dir.path().join("ridge.tif");
    ridge_dem(&dem);
    let out = dir.path().join("report");
    let output = coastwatch(&[
        "coverage",
        "--out",
        out.to_str().unwrap(),
        "--dem",
        dem.to_str().unwrap(),
        "--suggest",
        "1",
        "--store",
        gpkg.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = read_json(&out.join("coverage.json"));
    assert!(
        report["parameters"]["terrain"]
            .as_str()
            .unwrap()
            .starts_with("DEM ")
    );
    assert_eq!(report["parameters"]["footprint"], "cells");
    let dock = report["risk_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Seen dock")
        .unwrap();
    assert_eq!(dock["reason"], "terrain", "{dock}");
    assert!(report["summary"]["gaps"]["terrain"].as_u64().unwrap() > 0);
    let footprints = read_json(&out.join("camera_coverage.geojson"));
    assert!(!footprints["features"].as_array().unwrap().is_empty());
}
