//! `coastwatch tiles export`: MBTiles and PMTiles archives hold exactly the non-empty tiles the
//! HTTP route serves over the data, byte for byte, and pass independent readers: Python's
//! `sqlite3` + `mapbox_vector_tile` (and `ogrinfo`, and martin's `mbtiles validate` when
//! installed) for MBTiles, the Python `pmtiles` reader for PMTiles.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::http::StatusCode;
use coastwatch_core::Layer;
use coastwatch_fixtures::samples::sample;
use coastwatch_server::tiles::archive::{ArchiveFormat, ExportOptions, export_tiles};
use coastwatch_store::Store;
use coastwatch_tests::{TestServer, coastwatch_bin, test_config, tool_available};
use coastwatch_tiles::{TileCoord, Zoom};
use serde_json::Value;

const LAYERS: &[Layer] = &[Layer::Coastline, Layer::Geofences, Layer::RiskPoints];
/// A composite source in its served form: each layer once, in `Layer::ALL` order.
const SOURCE: &str = "risk_points,geofences,coastline";

/// Reads an MBTiles file with Python's sqlite3 and decodes every tile with mapbox_vector_tile.
const READ_MBTILES: &str = r#"
import gzip, json, sqlite3, sys
import mapbox_vector_tile
db = sqlite3.connect(sys.argv[1])
metadata = dict(db.execute("SELECT name, value FROM metadata"))
indexes = [r[1] for r in db.execute("PRAGMA index_list('tiles')") if r[2] == 1]
tiles = []
for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
    raw = gzip.decompress(data)
    decoded = mapbox_vector_tile.decode(raw)
    tiles.append({"z": z, "x": x, "y": (1 << z) - 1 - row, "hex": raw.hex(),
                  "layers": {name: len(layer["features"]) for name, layer in decoded.items()}})
check = db.execute("PRAGMA integrity_check").fetchone()[0]
print(json.dumps({"metadata": metadata, "unique_indexes": len(indexes), "integrity": check, "tiles": tiles}))
"#;

/// Reads a PMTiles archive with the `pmtiles` package and decodes every tile.
const READ_PMTILES: &str = r#"
import gzip, json, sys
import mapbox_vector_tile
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    get = MmapSource(f)
    reader = Reader(get)
    header = reader.header()
    metadata = reader.metadata()
    tiles = []
    for (z, x, y), data in all_tiles(get):
        raw = gzip.decompress(data)
        decoded = mapbox_vector_tile.decode(raw)
        tiles.append({"z": z, "x": x, "y": y, "hex": raw.hex(),
                      "layers": {name: len(layer["features"]) for name, layer in decoded.items()}})
        assert reader.get(z, x, y) == data
    header = {k: (v.value if hasattr(v, "value") else v) for k, v in header.items()}
print(json.dumps({"header": header, "metadata": metadata, "tiles": tiles}))
"#;

fn python_modules_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import mapbox_vector_tile, pmtiles.reader"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but the python modules mapbox_vector_tile and pmtiles are missing \
             (scripts/test.sh installs them with pip)"
        );
        eprintln!("skipping: python3 with mapbox_vector_tile and pmtiles is missing");
    }
    found
}

fn python(script: &str, file: &Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python reader failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET uri` on `app`: the status and the body.
async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .unwrap();
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, body.to_vec())
}

/// Puts a coastline, a fence and a row of risk points into `store`.
async fn insert_data(store: &dyn Store) {
    store
        .insert(Layer::Coastline, vec![sample(Layer::Coastline, 0)])
        .await
        .unwrap();
    store
        .insert(Layer::Geofences, vec![sample(Layer::Geofences, 0)])
        .await
        .unwrap();
    store
        .insert(
            Layer::RiskPoints,
            (0..30).map(|n| sample(Layer::RiskPoints, n * 3)).collect(),
        )
        .await
        .unwrap();
}

/// A server whose store holds a coastline, a fence and a row of risk points.
async fn server_with_data() -> TestServer {
    let server = TestServer::new(test_config()).await;
    insert_data(server.store.as_ref()).await;
    server
}

fn options(out: &Path, min: u8, max: u8) -> ExportOptions {
    ExportOptions {
        out: out.to_owned(),
        layers: LAYERS.to_vec(),
        min_zoom: Zoom::new(min).unwrap(),
        max_zoom: Zoom::new(max).unwrap(),
        bbox: None,
        progress: false,
    }
}

/// Every tile the archive holds, as `(z, x, y) → MVT hex`, checked against the HTTP route:
/// same bytes, and every tile the route answers with content over the data is in the archive.
async fn check_against_http(app: &axum::Router, tiles: &[Value], min: u8, max: u8) {
    let mut archived = BTreeMap::new();
    for tile in tiles {
        let (z, x, y) = (
            tile["z"].as_u64().unwrap() as u8,
            tile["x"].as_u64().unwrap() as u32,
            tile["y"].as_u64().unwrap() as u32,
        );
        assert!((min..=max).contains(&z), "tile at zoom {z}");
        assert!(
            !tile["layers"].as_object().unwrap().is_empty(),
            "{z}/{x}/{y} decodes to no layer"
        );
        assert!(
            archived
                .insert((z, x, y), tile["hex"].as_str().unwrap().to_owned())
                .is_none(),
            "{z}/{x}/{y} twice"
        );
    }
    for (&(z, x, y), mvt) in &archived {
        let (status, body) = get(app, &format!("/tiles/{SOURCE}/{z}/{x}/{y}")).await;
        assert_eq!(status, StatusCode::OK, "{z}/{x}/{y}");
        assert_eq!(&hex(&body), mvt, "{z}/{x}/{y} differs from the served tile");
    }
    // each risk point's tile at each zoom is there
    for n in 0..30 {
        let point = sample(Layer::RiskPoints, n * 3);
        let geo::Geometry::Point(p) = point.geometry.unwrap() else {
            panic!("risk points are points")
        };
        for z in min..=max {
            let t = TileCoord::containing_lon_lat(p.x(), p.y(), Zoom::new(z).unwrap()).unwrap();
            assert!(
                archived.contains_key(&(z, t.x(), t.y())),
                "missing {z}/{}/{}",
                t.x(),
                t.y()
            );
        }
    }
}

#[tokio::test]
async fn mbtiles_export_holds_the_served_tiles() {
    if !python_modules_available() {
        return;
    }
    let server = server_with_data().await;
    let out = server.dir.path().join("district.mbtiles");
    let report = export_tiles(
        server.store.clone(),
        None,
        test_config().district.bbox,
        &options(&out, 8, 15),
    )
    .await
    .unwrap();
    assert_eq!(report.format, ArchiveFormat::Mbtiles);
    assert!(
        report.tiles_written > 30 && report.tiles_empty > 0,
        "{report:?}"
    );
    assert_eq!(
        report.tiles_per_zoom.values().sum::<u64>(),
        report.tiles_written
    );
    assert_eq!(report.bytes, std::fs::metadata(&out).unwrap().len());
    assert!(!server.dir.path().join("district.mbtiles.partial").exists());
    println!(
        "mbtiles: {} tiles ({} empty left out), {} bytes, {:.3} s",
        report.tiles_written, report.tiles_empty, report.bytes, report.seconds
    );

    let read = python(READ_MBTILES, &out);
    assert_eq!(read["integrity"], "ok");
    assert!(read["unique_indexes"].as_u64().unwrap() >= 1);
    let metadata = &read["metadata"];
    assert_eq!(metadata["format"], "pbf");
    assert_eq!(metadata["minzoom"], "8");
    assert_eq!(metadata["maxzoom"], "15");
    assert_eq!(metadata["name"], SOURCE);
    let bounds: Vec<f64> = metadata["bounds"]
        .as_str()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(bounds, report.bounds);
    // the data's extent: the coastline's west end and north, the fence's east and south sides
    for (got, want) in bounds.iter().zip([121.40, 29.55, 121.64, 29.63]) {
        assert!((got - want).abs() < 1e-9, "{bounds:?}");
    }
    assert_eq!(metadata["center"].as_str().unwrap().split(',').count(), 3);
    let json: Value = serde_json::from_str(metadata["json"].as_str().unwrap()).unwrap();
    let ids: Vec<&str> = json["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["risk_points", "geofences", "coastline"]);
    assert_eq!(json["vector_layers"][0]["fields"]["registered"], "boolean");
    assert_eq!(metadata["agg_tiles_hash"].as_str().unwrap().len(), 32);
    let tiles = read["tiles"].as_array().unwrap();
    assert_eq!(tiles.len() as u64, report.tiles_written);
    check_against_http(&server.app, tiles, 8, 15).await;

    // GDAL's MBTiles driver reads the vector layers
    if tool_available("ogrinfo") {
        let out = Command::new("ogrinfo")
            .args(["-ro", "-so", "-al"])
            .arg(&out)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        for layer in ["coastline", "geofences", "risk_points"] {
            assert!(
                text.contains(&format!("Layer name: {layer}")),
                "{layer}: {text}"
            );
        }
    }
    // martin's own validator, when it is installed (cargo install mbtiles; not needed on CI)
    if Command::new("mbtiles").arg("--version").output().is_ok() {
        let check = Command::new("mbtiles")
            .args(["validate", "--agg-hash", "verify"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "mbtiles validate: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    } else {
        eprintln!("martin's mbtiles tool is not installed: validated with sqlite3 and GDAL only");
    }
}

#[tokio::test]
async fn pmtiles_export_reads_back_with_the_pmtiles_reader() {
    if !python_modules_available() {
        return;
    }
    let server = server_with_data().await;
    let out = server.dir.path().join("district.pmtiles");
    let report = export_tiles(
        server.store.clone(),
        None,
        test_config().district.bbox,
        &options(&out, 6, 14),
    )
    .await
    .unwrap();
    assert_eq!(report.format, ArchiveFormat::Pmtiles);
    println!(
        "pmtiles: {} tiles ({} empty left out), {} bytes, {:.3} s",
        report.tiles_written, report.tiles_empty, report.bytes, report.seconds
    );
    let read = python(READ_PMTILES, &out);
    let header = &read["header"];
    assert_eq!(header["version"], 3);
    assert_eq!(header["tile_type"], 1, "MVT");
    assert_eq!(header["tile_compression"], 2, "gzip");
    assert_eq!(header["internal_compression"], 2, "gzip");
    assert_eq!(header["clustered"], true);
    assert_eq!(
        (header["min_zoom"].as_u64(), header["max_zoom"].as_u64()),
        (Some(6), Some(14))
    );
    assert_eq!(header["addressed_tiles_count"], report.tiles_written);
    let e7 = |v: f64| (v * 1e7).round() as i64;
    assert!((header["min_lon_e7"].as_i64().unwrap() - e7(report.bounds[0])).abs() <= 1);
    assert!((header["max_lat_e7"].as_i64().unwrap() - e7(report.bounds[3])).abs() <= 1);
    let center_zoom = header["center_zoom"].as_u64().unwrap();
    assert!((6..=14).contains(&center_zoom));
    assert_eq!(read["metadata"]["vector_layers"][0]["id"], "risk_points");
    assert_eq!(read["metadata"]["format"], "pbf");
    let tiles = read["tiles"].as_array().unwrap();
    assert_eq!(tiles.len() as u64, report.tiles_written);
    check_against_http(&server.app, tiles, 6, 14).await;
}

#[tokio::test]
async fn both_formats_hold_the_same_tiles_and_bad_options_are_refused() {
    let server = server_with_data().await;
    let dir = server.dir.path();
    let mut reports = Vec::new();
    for name in ["a.mbtiles", "a.pmtiles"] {
        reports.push(
            export_tiles(
                server.store.clone(),
                None,
                test_config().district.bbox,
                &options(&dir.join(name), 10, 13),
            )
            .await
            .unwrap(),
        );
    }
    assert_eq!(reports[0].tiles_per_zoom, reports[1].tiles_per_zoom);
    assert_eq!(reports[0].bounds, reports[1].bounds);

    // an explicit bbox where nothing is: every tile is empty, the archive is still valid
    let mut far = options(&dir.join("far.mbtiles"), 10, 12);
    far.bbox = Some([10.0, 10.0, 10.5, 10.5]);
    let report = export_tiles(server.store.clone(), None, [0.0; 4], &far)
        .await
        .unwrap();
    assert_eq!(report.tiles_written, 0);
    assert!(report.tiles_empty > 0);

    let refuse = |options: ExportOptions| {
        let store: Arc<dyn Store> = server.store.clone();
        async move {
            export_tiles(store, None, [121.4, 29.45, 121.8, 29.7], &options)
                .await
                .unwrap_err()
        }
    };
    let error = refuse(options(&dir.join("x.gpkg"), 10, 12)).await;
    assert!(error.is_bad_input(), "{error}");
    let error = refuse(options(&dir.join("x.mbtiles"), 13, 12)).await;
    assert!(
        error.is_bad_input() && error.to_string().contains("minzoom"),
        "{error}"
    );
    let mut wide = options(&dir.join("x.pmtiles"), 0, 24);
    wide.bbox = Some([-180.0, -85.0, 180.0, 85.0]);
    assert!(refuse(wide).await.is_bad_input());
    assert!(!dir.join("x.pmtiles").exists() && !dir.join("x.mbtiles").exists());
}

/// The command line (`coastwatch tiles export`), once `main.rs` wires the subcommand.
#[tokio::test]
async fn cli_exports_mbtiles_and_pmtiles() {
    let bin = coastwatch_bin();
    let help = Command::new(&bin)
        .args(["tiles", "--help"])
        .output()
        .unwrap();
    if !help.status.success() {
        eprintln!("skipping: this coastwatch binary has no `tiles` subcommand yet");
        return;
    }
    let server = server_with_data().await;
    let store = server.dir.path().join("test.gpkg");
    server.store.close().await;
    for name in ["cli.mbtiles", "cli.pmtiles"] {
        let out = server.dir.path().join(name);
        let run = Command::new(&bin)
            .args([
                "tiles",
                "export",
                "--layers",
                SOURCE,
                "--minzoom",
                "10",
                "--maxzoom",
                "14",
            ])
            .arg("--out")
            .arg(&out)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(stdout.contains("exported "), "{stdout}");
        assert!(std::fs::metadata(&out).unwrap().len() > 1000);
    }
    for bad in [
        vec!["--layers", "boats", "--out", "x.mbtiles"],
        vec!["--layers", "risk_points", "--out", "x.geojson"],
        vec![
            "--layers",
            "risk_points",
            "--out",
            "x.mbtiles",
            "--bbox",
            "1,2,3",
        ],
        vec![
            "--layers",
            "risk_points",
            "--out",
            "x.mbtiles",
            "--minzoom",
            "9",
            "--maxzoom",
            "8",
        ],
    ] {
        let run = Command::new(&bin)
            .args(["tiles", "export"])
            .args(&bad)
            .arg("--store")
            .arg(&store)
            .current_dir(server.dir.path())
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(2),
            "{bad:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

/// On PostGIS the store layers come from `ST_AsMVT`: the archive still holds the served tiles
/// when the server serves them from PostGIS too. (Layers the server holds in memory,
/// `server.tile_index_max_features`, it encodes itself: the same features and values, in
/// other bytes — key order, PostgreSQL's text of JSON values — than `ST_AsMVT`.)
#[tokio::test]
async fn postgis_export_holds_the_served_tiles() {
    let Ok(url) = std::env::var("COASTWATCH_TEST_PG") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but COASTWATCH_TEST_PG is not set"
        );
        return;
    };
    if !python_modules_available() {
        return;
    }
    let schema = format!("t_tiles_export_{}", std::process::id());
    let store = coastwatch_store::PostgisStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    insert_data(store.as_ref()).await;
    let mut config = test_config();
    config.server.tile_index_max_features = 0;
    let app = coastwatch_server::app(
        coastwatch_server::AppState::start(config, store.clone())
            .await
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("postgis.pmtiles");
    let report = export_tiles(
        store.clone(),
        None,
        test_config().district.bbox,
        &options(&out, 9, 14),
    )
    .await
    .unwrap();
    assert!(report.tiles_written > 20, "{report:?}");
    let read = python(READ_PMTILES, &out);
    let tiles = read["tiles"].as_array().unwrap();
    assert_eq!(tiles.len() as u64, report.tiles_written);
    check_against_http(&app, tiles, 9, 14).await;
}
