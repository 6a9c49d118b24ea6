//! The `coastwatch` binary end to end: import, export, bad input with exit code 2 and an
//! unchanged store, and acknowledged writes that survive `kill -9`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use coastwatch_ais::encode::{PositionReport, sentences, with_time};
use coastwatch_core::Layer;
use coastwatch_store::{GeoPackageStore, Query, Store};
use coastwatch_tests::{coastwatch_bin, http_request, serve, tool_available};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/gdal/tests/fixtures/import")
        .join(name)
}

fn coastwatch(args: &[&str]) -> Output {
    Command::new(coastwatch_bin())
        .args(args)
        .env("COASTWATCH_AUTH__OPEN_READS", "true")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn count(store: &str, layer: Layer) -> u64 {
    coastwatch_store::open(store)
        .await
        .unwrap()
        .count(layer, &Query::default())
        .await
        .unwrap()
}

fn geojson_file(dir: &Path, name: &str, features: Vec<Value>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    path
}

fn dock(lon: f64, name: &str) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 29.6]}, "properties": {"kind": "dock", "name": name, "registered": true}})
}

#[tokio::test]
async fn import_and_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cw.gpkg");
    let store = store.to_str().unwrap();
    let out = coastwatch(&[
        "import",
        "risk_points",
        fixture("risk_points.geojson").to_str().unwrap(),
        "--store",
        store,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("imported "),
        "{}",
        text(&out.stdout)
    );
    let imported = count(store, Layer::RiskPoints).await;
    assert!(imported >= 2);

    let out = coastwatch(&[
        "export",
        "risk_points",
        "--format",
        "geojson",
        "--store",
        store,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        exported["features"].as_array().unwrap().len() as u64,
        imported
    );
    assert_eq!(
        exported["features"][0]["properties"]["name"],
        "Shipu fishing dock"
    );

    let gpkg = dir.path().join("export.gpkg");
    let out = coastwatch(&[
        "export",
        "risk_points",
        "--format",
        "gpkg",
        "--out",
        gpkg.to_str().unwrap(),
        "--store",
        store,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let copy = GeoPackageStore::open(&gpkg).await.unwrap();
    assert_eq!(
        copy.count(Layer::RiskPoints, &Query::default())
            .await
            .unwrap(),
        imported
    );
    if tool_available("ogrinfo") {
        let info = Command::new("ogrinfo")
            .args(["-so", "-ro"])
            .arg(&gpkg)
            .arg("risk_points")
            .output()
            .unwrap();
        assert!(
            text(&info.stdout).contains(&format!("Feature Count: {imported}")),
            "{}",
            text(&info.stdout)
        );
    }
    // GDAL reads the exported GeoPackage back in (a binary holding both SQLite users)
    let second = dir.path().join("second.gpkg");
    let out = coastwatch(&[
        "import",
        "risk_points",
        gpkg.to_str().unwrap(),
        "--store",
        second.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        count(second.to_str().unwrap(), Layer::RiskPoints).await,
        imported
    );

    let again = coastwatch(&[
        "export",
        "risk_points",
        "--format",
        "gpkg",
        "--out",
        gpkg.to_str().unwrap(),
        "--store",
        store,
    ]);
    assert_eq!(again.status.code(), Some(2), "refuses to overwrite");
}

/// A dock traced on a Chinese web map (GCJ-02) lands at its WGS 84 place: the published
/// Jiaxing pair, WGS 84 (121.0917077, 30.6107779) shown at (121.0962694, 30.6086043).
#[tokio::test]
async fn import_converts_gcj02_sources_to_wgs84() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cw.gpkg");
    let store = store.to_str().unwrap();
    let mut traced = dock(121.096_269_355_750_27, "Jiaxing dock");
    traced["geometry"]["coordinates"][1] = json!(30.608_604_331_756_705);
    let source = geojson_file(dir.path(), "traced.geojson", vec![traced]);
    let args = [
        "import",
        "risk_points",
        source.to_str().unwrap(),
        "--store",
        store,
    ];
    let unknown = coastwatch(&[&args[..], &["--crs", "bd09"]].concat());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("wgs84 or gcj02"),
        "{}",
        text(&unknown.stderr)
    );
    let out = coastwatch(&[&args[..], &["--crs", "gcj02"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stored = coastwatch_store::open(store)
        .await
        .unwrap()
        .query(Layer::RiskPoints, &Query::default())
        .await
        .unwrap();
    let Some(geo::Geometry::Point(at)) = &stored[0].geometry else {
        panic!("{stored:?}");
    };
    let error_m =
        coastwatch_core::geodesy::distance_m([at.x(), at.y()], [121.091_707_7, 30.610_777_9]);
    assert!(error_m < 0.5, "{error_m} m from the WGS 84 position");
}

#[tokio::test]
async fn bad_input_exits_2_and_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cw.gpkg");
    let store = store.to_str().unwrap();
    let good = geojson_file(dir.path(), "good.geojson", vec![dock(121.5, "A")]);
    assert!(
        coastwatch(&[
            "import",
            "risk_points",
            good.to_str().unwrap(),
            "--store",
            store
        ])
        .status
        .success()
    );

    let mixed = geojson_file(
        dir.path(),
        "mixed.geojson",
        vec![
            dock(121.5, "B"),
            dock(181.0, "C"),
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[121.5, 29.6], [121.6, 29.6]]}, "properties": {"kind": "dock", "name": "D"}}),
        ],
    );
    let broken = dir.path().join("broken.geojson");
    std::fs::write(
        &broken,
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "#,
    )
    .unwrap();
    let missing = dir.path().join("nowhere.geojson");
    // config values are typed: refused at load, naming the key
    let config_file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let h3_config = config_file("h3.toml", "[ais]\nh3_res = 17\n");
    let listen_config = config_file("listen.toml", "[server]\nlisten = \"everywhere:80\"\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "import",
                "risk_points",
                mixed.to_str().unwrap(),
                "--store",
                store,
            ],
            "feature 2",
        ),
        (
            vec!["import", "boats", good.to_str().unwrap(), "--store", store],
            "unknown layer \"boats\"",
        ),
        (
            vec![
                "import",
                "risk_points",
                missing.to_str().unwrap(),
                "--store",
                store,
            ],
            "nowhere.geojson",
        ),
        (
            vec![
                "import",
                "risk_points",
                broken.to_str().unwrap(),
                "--store",
                store,
            ],
            "broken.geojson",
        ),
        (
            vec![
                "import",
                "risk_points",
                good.to_str().unwrap(),
                "--map",
                "colour=name",
                "--store",
                store,
            ],
            "has no field \"colour\"",
        ),
        (
            vec![
                "import",
                "risk_points",
                good.to_str().unwrap(),
                "--store",
                "postgres://cw:secret@127.0.0.1:1/none",
            ],
            "cannot open store",
        ),
        (vec!["export", "boats", "--store", store], "unknown layer"),
        (
            vec![
                "serve",
                "--store",
                "postgres://cw:secret@127.0.0.1:1/none",
                "--port",
                "0",
            ],
            "cannot open store",
        ),
        (vec!["frobnicate"], "unrecognized subcommand"),
        (
            vec!["serve", "--config", &h3_config, "--store", store],
            "ais.h3_res",
        ),
        (
            vec!["serve", "--config", &listen_config, "--store", store],
            "server.listen",
        ),
    ];
    for (args, message) in cases {
        let out = coastwatch(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(message),
            "{args:?}: {stderr:?} should mention {message:?}"
        );
        assert!(!stderr.contains("secret"), "password leaked: {stderr}");
    }
    let out = coastwatch(&[
        "import",
        "risk_points",
        mixed.to_str().unwrap(),
        "--store",
        store,
    ]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("feature 2: longitude 181")
            && stderr.contains("feature 3:")
            && stderr.contains("nothing imported"),
        "{stderr}"
    );
    assert_eq!(count(store, Layer::RiskPoints).await, 1, "all or nothing");

    let out = coastwatch(&[
        "import",
        "risk_points",
        mixed.to_str().unwrap(),
        "--skip-invalid",
        "--store",
        store,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported 1 features into risk_points (2 rejected)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(count(store, Layer::RiskPoints).await, 2);
}

/// GDAL works in the helper `coastwatch-gdal` beside the binary; `coastwatch` itself does not
/// link it, and a helper that is missing or fails is an error (exit 1) that stores nothing.
#[tokio::test]
async fn gdal_runs_in_its_helper_process() {
    let bin = coastwatch_bin();
    assert!(bin.with_file_name("coastwatch-gdal").is_file());
    let linked = Command::new("ldd").arg(&bin).output().unwrap();
    let linked = text(&linked.stdout);
    assert!(linked.contains("libc.so"), "{linked}");
    assert!(
        !linked.contains("libgdal"),
        "coastwatch links GDAL:\n{linked}"
    );

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cw.gpkg");
    let store = store.to_str().unwrap();
    let good = geojson_file(dir.path(), "good.geojson", vec![dock(121.5, "A")]);
    let import = |helper: &str| {
        Command::new(&bin)
            .args([
                "import",
                "risk_points",
                good.to_str().unwrap(),
                "--store",
                store,
            ])
            .env("COASTWATCH_GDAL", helper)
            .output()
            .unwrap()
    };
    let missing = import("/nonexistent/coastwatch-gdal");
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing.stderr));
    assert!(
        text(&missing.stderr).contains("cannot start the GDAL helper /nonexistent/coastwatch-gdal"),
        "{}",
        text(&missing.stderr)
    );
    let failing = import("/bin/false");
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing.stderr));
    assert!(
        text(&failing.stderr).contains("the GDAL helper failed"),
        "{}",
        text(&failing.stderr)
    );
    let helper = bin.with_file_name("coastwatch-gdal");
    let found = import(helper.to_str().unwrap());
    assert!(found.status.success(), "{}", text(&found.stderr));
    assert_eq!(count(store, Layer::RiskPoints).await, 1);
}

#[tokio::test]
async fn import_into_postgis() {
    let Some(url) = std::env::var("COASTWATCH_TEST_PG").ok() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but COASTWATCH_TEST_PG is not set"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let before = count(&url, Layer::Geofences).await;
    let out = coastwatch(&[
        "import",
        "geofences",
        fixture("geofences.geojson").to_str().unwrap(),
        "--store",
        &url,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(count(&url, Layer::Geofences).await, before + 1);
    let bad = geojson_file(
        dir.path(),
        "bad.geojson",
        vec![
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.5, 29.6]}, "properties": {"name": "ring", "kind": "watch_zone"}}),
        ],
    );
    let out = coastwatch(&[
        "import",
        "geofences",
        bad.to_str().unwrap(),
        "--store",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("needs radius_m"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(count(&url, Layer::Geofences).await, before + 1);
}

/// Sends one HTTP/1.1 request with a GeoJSON body and returns the status code.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> Option<u16> {
    http_typed(addr, method, path, token, "application/geo+json", body)
}

/// Sends one HTTP/1.1 request and returns the status code.
fn http_typed(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> Option<u16> {
    http_request(addr, method, path, token, content_type, body).map(|(status, _)| status)
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("durable.gpkg");
    let config = dir.path().join("cw.toml");
    std::fs::write(
        &config,
        "[[auth.tokens]]\ntoken = \"planner-secret\"\nuser = \"pia\"\nroles = [\"planner\"]\n\
         [[auth.tokens]]\ntoken = \"feed-secret\"\nuser = \"ais\"\nroles = [\"ingest\"]\n",
    )
    .unwrap();
    let (mut server, addr) = serve(&config, &store);
    let mut acknowledged = 0;
    for n in 0..40 {
        let body = dock(121.4 + f64::from(n) * 0.001, &format!("dock {n}")).to_string();
        if http(
            &addr,
            "POST",
            "/api/v1/risk_points",
            Some("planner-secret"),
            &body,
        ) == Some(201)
        {
            acknowledged += 1;
        }
    }
    // AIS fixes acknowledged by the ingest API, from 30 vessels
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut fixes = 0;
    for n in 0..60u32 {
        let report = PositionReport {
            mmsi: 412_100_000 + n % 30,
            nav_status: 0,
            lon: 121.6 + f64::from(n) * 0.001,
            lat: 29.6,
            sog_kn: 7.0,
            cog_deg: 90.0,
            heading_deg: None,
            second: 0,
        };
        // stamped on the server's clock: feeds refuse times far from it
        let line = with_time(
            &sentences(&report.bits(), 'A', 0)[0],
            now - 120 + i64::from(n),
        );
        if http_typed(
            &addr,
            "POST",
            "/api/v1/ingest/ais",
            Some("feed-secret"),
            "text/plain",
            &line,
        ) == Some(200)
        {
            fixes += 1;
        }
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    assert_eq!(acknowledged, 40);
    assert_eq!(fixes, 60);
    let reopened = GeoPackageStore::open(&store).await.unwrap();
    assert_eq!(
        reopened
            .count(Layer::RiskPoints, &Query::default())
            .await
            .unwrap(),
        40,
        "every acknowledged write is there"
    );
    assert_eq!(
        reopened.positions_since(0.0).await.unwrap().len(),
        60,
        "every acknowledged fix is there"
    );
    assert_eq!(
        reopened
            .count(Layer::Vessels, &Query::default())
            .await
            .unwrap(),
        30,
        "each vessel's row was written with its first fix"
    );
}

/// Terminals report while the platform is killed mid-stream: every report it answered with
/// success (`0x8001`, result 0) is in the file afterwards.
#[tokio::test]
async fn jt808_reports_answered_before_kill_9_are_stored() {
    use coastwatch_tests::terminal::{auth_code, bcd, location_body, registration_body, wire};
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SECRET: &str = "kill-test-secret-0123";
    const TERMINALS: u64 = 4;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("durable.gpkg");
    let config = dir.path().join("cw.toml");
    let jt808_port = coastwatch_tests::free_port();
    std::fs::write(
        &config,
        format!(
            "[jt808]\nlisten = \"127.0.0.1:{jt808_port}\"\nauto_register = true\n\
             auth_secret = \"{SECRET}\"\n"
        ),
    )
    .unwrap();
    let (mut server, _) = serve(&config, &store);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let answered = std::sync::Arc::new(AtomicUsize::new(0));
    // each terminal: register, authenticate, then report once a second of its clock, until
    // the platform goes away; returns the times of the reports answered with success
    let terminal = |k: u64, answered: std::sync::Arc<AtomicUsize>| {
        move || -> (String, Vec<i64>) {
            let phone = format!("1390000{k:04}");
            let phone_bcd = bcd(&phone, 6);
            let mut socket = std::net::TcpStream::connect(("127.0.0.1", jt808_port)).unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            // the last byte of the body of the platform's next reply: a general response's result
            let result = |socket: &mut std::net::TcpStream| -> Option<u8> {
                let mut frame = Vec::new();
                let mut byte = [0u8];
                while frame.len() < 2 || frame.last() != Some(&0x7e) {
                    socket.read_exact(&mut byte).ok()?;
                    if !frame.is_empty() || byte[0] == 0x7e {
                        frame.push(byte[0]);
                    }
                }
                let mut raw = Vec::new();
                let mut escaped = frame[1..frame.len() - 1].iter();
                while let Some(&b) = escaped.next() {
                    raw.push(match b {
                        0x7d if escaped.next()? == &1 => 0x7d,
                        0x7d => 0x7e,
                        b => b,
                    });
                }
                // ... body, check code
                raw.len().checked_sub(2).map(|i| raw[i])
            };
            let send = |socket: &mut std::net::TcpStream, serial: u16, id: u16, body: &[u8]| {
                socket
                    .write_all(&wire(id, false, &phone_bcd, serial, body))
                    .is_ok()
            };
            assert!(send(&mut socket, 0, 0x0100, &registration_body(false)));
            result(&mut socket).expect("registered");
            assert!(send(&mut socket, 1, 0x0102, &auth_code(SECRET, &phone)));
            assert_eq!(result(&mut socket), Some(0), "authenticated");
            let mut stored = Vec::new();
            for n in 0..3000u16 {
                let t = now - 3000 + i64::from(n);
                let at = [121.5 + k as f64 * 0.01, 29.6 + f64::from(n) * 1e-5];
                if !send(
                    &mut socket,
                    n + 2,
                    0x0200,
                    &location_body(0, true, at, 40.0, t),
                ) {
                    break;
                }
                match result(&mut socket) {
                    Some(0) => {
                        stored.push(t);
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => break,
                }
            }
            (format!("jt808-{phone}"), stored)
        }
    };
    let threads: Vec<_> = (1..=TERMINALS)
        .map(|k| std::thread::spawn(terminal(k, answered.clone())))
        .collect();
    let waited = Instant::now();
    while answered.load(Ordering::Relaxed) < 200 {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "reports are not answered"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap(); // SIGKILL, while the terminals are reporting
    server.wait().unwrap();
    let answered: Vec<(String, Vec<i64>)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let reopened = GeoPackageStore::open(&store).await.unwrap();
    let positions = reopened.positions_since(0.0).await.unwrap();
    for (vehicle_id, times) in answered {
        let stored: std::collections::BTreeSet<i64> = positions
            .iter()
            .filter(|p| p.subject_id == vehicle_id)
            .map(|p| p.t_epoch_s.round() as i64)
            .collect();
        let lost: Vec<&i64> = times.iter().filter(|t| !stored.contains(t)).collect();
        assert!(
            times.len() > 10,
            "{vehicle_id} reported only {} times",
            times.len()
        );
        assert!(
            lost.is_empty(),
            "{vehicle_id}: {} answered reports lost",
            lost.len()
        );
    }
}

#[test]
fn jt808_decode_prints_ndjson_and_line_numbers_of_bad_frames() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("frames.hex");
    // a heartbeat; a location (antenna cut, 29.665376 N 121.539648 E, 50 km/h, 2026-12-06
    // 18:30:00 +08:00, mileage, signal, satellites) split over spaces; then two bad frames
    let lines = [
        "7e000200000139123456780001337e",
        "7e 0200 0028 013912345678 0005 00000020 00000003 01c4a860 073e8c40 000c 01f4 005a \
         261206183000 0104 00003039 3001 11 3101 09 68 7e",
        "zz",
        "7e000200000139123456780001347e",
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = coastwatch(&["jt808", "decode", file.to_str().unwrap(), "--strict"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let decoded: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decoded.len(), 2, "{decoded:?}");
    assert_eq!(decoded[0]["msg_id"], "0x0002");
    assert_eq!(decoded[0]["phone"], "13912345678");
    let l = &decoded[1];
    assert_eq!(
        (l["msg_id"].as_str(), l["serial"].as_u64()),
        (Some("0x0200"), Some(5))
    );
    assert_eq!(
        (l["lat"].as_f64(), l["lon"].as_f64()),
        (Some(29.665376), Some(121.539648))
    );
    assert_eq!(l["speed_kmh"], 50.0);
    assert_eq!(l["time"], "2026-12-06T18:30:00+08:00");
    assert_eq!(l["alarm"], json!(["gnss_antenna_cut"]));
    assert_eq!(
        l["extras"],
        json!({"mileage_km": 1234.5, "signal_strength": 17, "satellites": 9})
    );
    let errors = text(&out.stderr);
    assert!(
        errors.contains("line 3: \"zz\" at 0 is not hex"),
        "{errors}"
    );
    assert!(errors.contains("line 4: bad check code"), "{errors}");
}

/// Reads a GeoParquet folder with GeoPandas: per day folder its rows, bounds and `geo`
/// version; the whole folder's rows and bounds.
const READ_GEOPARQUET: &str = r#"
import json, pathlib, sys
import geopandas, pyarrow.parquet
root = pathlib.Path(sys.argv[1])
days = {}
for f in sorted(root.glob("*/*.parquet")):
    frame = geopandas.read_parquet(f)
    geo = json.loads(pyarrow.parquet.read_metadata(f).metadata[b"geo"])
    days[f.parent.name] = {"rows": len(frame), "bounds": frame.total_bounds.tolist(),
                           "version": geo["version"], "bbox": geo["columns"]["geometry"]["bbox"],
                           "crs": frame.crs.to_string(), "kinds": sorted(set(frame.subject_kind)),
                           "first": frame.t.min().isoformat()}
whole = geopandas.read_parquet(root)
print(json.dumps({"days": days, "rows": len(whole), "bounds": whole.total_bounds.tolist()}))
"#;

#[tokio::test]
async fn positions_export_as_daily_geoparquet_that_geopandas_reads_back() {
    use coastwatch_store::{Changes, Position, SubjectKind};

    let geopandas = Command::new("python3")
        .args(["-c", "import geopandas, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !geopandas {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but python3 with geopandas and pyarrow is missing (scripts/test.sh)"
        );
        eprintln!("skipping: python3 with geopandas and pyarrow is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixes.gpkg");
    let store = GeoPackageStore::open(&path).await.unwrap();
    // 2026-06-01T00:00:00Z, and fixes over three UTC days, one at midnight opening the third
    let day0 = 1_780_272_000.0;
    let positions: Vec<Position> = (0..3000)
        .map(|i| {
            let f = f64::from(i);
            Position {
                kind: if i % 3 == 0 {
                    SubjectKind::Vehicle
                } else {
                    SubjectKind::Vessel
                },
                subject_id: format!("{}", 412_000_000 + i % 40),
                t_epoch_s: day0 + 3600.0 + f * 50.0,
                lon: 121.4 + (f * 0.37) % 0.5,
                lat: 29.4 + (f * 0.11) % 0.3,
                speed_mps: (i % 5 != 0).then_some(3.5),
                course_deg: Some(f % 360.0),
                heading_deg: None,
            }
        })
        .chain(std::iter::once(Position {
            kind: SubjectKind::Vessel,
            subject_id: "412999999".into(),
            t_epoch_s: day0 + 2.0 * 86_400.0,
            lon: 121.95,
            lat: 29.95,
            speed_mps: None,
            course_deg: None,
            heading_deg: None,
        }))
        .collect();
    let bounds = positions
        .iter()
        .fold([180.0f64, 90.0, -180.0, -90.0], |b, p| {
            [
                b[0].min(p.lon),
                b[1].min(p.lat),
                b[2].max(p.lon),
                b[3].max(p.lat),
            ]
        });
    let per_day = |day: f64| {
        positions
            .iter()
            .filter(|p| ((p.t_epoch_s - day0) / 86_400.0).floor() == day)
            .count()
    };
    let expected = [per_day(0.0), per_day(1.0), per_day(2.0)];
    store
        .commit(Changes {
            positions: positions.clone(),
            ..Changes::default()
        })
        .await
        .unwrap();
    store.close().await;

    let out = dir.path().join("history");
    let (out_arg, store_arg) = (out.to_str().unwrap(), path.to_str().unwrap());
    let args = ["export", "positions", "--format", "geoparquet"];
    let done = coastwatch(&[&args[..], &["--out", out_arg, "--store", store_arg]].concat());
    assert!(done.status.success(), "{}", text(&done.stderr));
    let read = Command::new("python3")
        .args(["-c", READ_GEOPARQUET, out_arg])
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", text(&read.stderr));
    let read: Value = serde_json::from_slice(&read.stdout).unwrap();
    let days = read["days"].as_object().unwrap();
    let names: Vec<&str> = days.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["date=2026-06-01", "date=2026-06-02", "date=2026-06-03"]
    );
    for (day, want) in days.values().zip(expected) {
        assert_eq!(day["rows"], want, "{day}");
        assert_eq!(day["version"], "1.1.0");
        assert_eq!(day["crs"], "OGC:CRS84");
        // the metadata's box is the day's
        assert_eq!(day["bbox"], day["bounds"], "{day}");
    }
    assert_eq!(
        days["date=2026-06-03"]["first"],
        "2026-06-03T00:00:00+00:00"
    );
    assert_eq!(
        days["date=2026-06-01"]["kinds"],
        json!(["vehicle", "vessel"])
    );
    assert_eq!(read["rows"], positions.len());
    let got: Vec<f64> = serde_json::from_value(read["bounds"].clone()).unwrap();
    for (got, want) in got.iter().zip(bounds) {
        assert!((got - want).abs() < 1e-9, "{got} {want}");
    }

    // what cannot be exported so is refused with exit code 2, and writes nothing
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    for (args, says) in [
        (
            vec!["--format", "geojson", "--out", out_arg],
            "--format geoparquet",
        ),
        (vec!["--format", "geoparquet"], "needs --out"),
        (
            vec!["--format", "geoparquet", "--out", file.to_str().unwrap()],
            "takes a folder",
        ),
    ] {
        let run =
            coastwatch(&[&["export", "positions"][..], &args, &["--store", store_arg]].concat());
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(
            text(&run.stderr).contains(says),
            "{args:?}: {}",
            text(&run.stderr)
        );
    }
    let layer = coastwatch(&[
        "export",
        "risk_points",
        "--format",
        "geoparquet",
        "--out",
        out_arg,
    ]);
    assert_eq!(layer.status.code(), Some(2));
    assert!(
        text(&layer.stderr).contains("positions"),
        "{}",
        text(&layer.stderr)
    );
}
