//! The importer against every supported format, with fixtures in `tests/fixtures/import/`.
//!
//! Shapefile, GeoPackage and reprojected copies are made at run time with `ogr2ogr` from
//! the GeoJSON fixture. Without `ogr2ogr` those tests are skipped with a note, except on CI
//! (`CI=true`), where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use coastwatch_core::geojson::write_geojson;
use coastwatch_core::{Feature, Layer};
use coastwatch_gdal::import::{ImportError, read_layer};
use coastwatch_io::import::{ImportOptions, ImportReport};
use geo::Geometry;
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

/// Runs `ogr2ogr args…`; `None` (skip the test) when it is not installed and this is not CI.
fn ogr2ogr(args: &[&str]) -> Option<()> {
    match Command::new("ogr2ogr").args(args).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "ogr2ogr {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(())
        }
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("ogr2ogr is needed on CI: {e}")
        }
        Err(e) => {
            eprintln!("note: skipping, ogr2ogr is not available ({e}); install gdal-bin");
            None
        }
    }
}

/// `ogr2ogr` of the GeoJSON risk points into `dir/name` with extra arguments.
fn converted(dir: &Path, name: &str, extra: &[&str]) -> Option<PathBuf> {
    let out = dir.join(name);
    let source = fixture("risk_points.geojson");
    let mut args = extra.to_vec();
    args.extend([out.to_str().unwrap(), source.to_str().unwrap()]);
    ogr2ogr(&args)?;
    Some(out)
}

fn import(path: &Path, layer: Layer) -> ImportReport {
    read_layer(path, layer, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn lon_lat(feature: &Feature) -> (f64, f64) {
    match &feature.geometry {
        Some(Geometry::Point(p)) => (p.x(), p.y()),
        other => panic!("not a point: {other:?}"),
    }
}

/// The three points of `risk_points.geojson` (and `risk_points.csv`), as validated.
fn expected_risk_points() -> Vec<((f64, f64), Value)> {
    vec![
        (
            (121.5501, 29.5702),
            json!({"kind": "dock", "name": "Shipu fishing dock", "registered": true, "town": "Shipu", "card": "none"}),
        ),
        (
            (121.6123, 29.6218),
            json!({"kind": "oil_depot", "name": "Hepu oil depot", "registered": false, "town": null, "card": "yellow"}),
        ),
        (
            (121.4876, 29.5133),
            json!({"kind": "cold_store", "name": "Dongmen cold store", "registered": true, "town": "Dongmen", "card": "red"}),
        ),
    ]
}

fn assert_risk_points(report: &ImportReport, tolerance_deg: f64) {
    assert!(report.is_clean(), "{:?}", report.rejects);
    assert_eq!(report.read, 3);
    let expected = expected_risk_points();
    assert_eq!(report.features.len(), expected.len());
    for (feature, ((lon, lat), properties)) in report.features.iter().zip(expected) {
        let (x, y) = lon_lat(feature);
        assert!(
            (x - lon).abs() <= tolerance_deg && (y - lat).abs() <= tolerance_deg,
            "({x}, {y}) vs ({lon}, {lat})"
        );
        assert_eq!(Value::Object(feature.properties.clone()), properties);
        assert_eq!(feature.id, None);
    }
}

#[test]
fn geojson_imports_risk_points() {
    let report = import(&fixture("risk_points.geojson"), Layer::RiskPoints);
    assert_risk_points(&report, 1e-12);
    assert_eq!(report.ignored_fields, ["note"]);
}

#[test]
fn shapefile_imports_risk_points() {
    let dir = tempfile::tempdir().unwrap();
    let Some(shp) = converted(dir.path(), "risk_points.shp", &["-f", "ESRI Shapefile"]) else {
        return;
    };
    let report = import(&shp, Layer::RiskPoints);
    assert_risk_points(&report, 1e-12);
    assert_eq!(report.ignored_fields, ["note"]);
}

/// Also guards the link flag in `.cargo/config.toml`: without it GDAL's SQLite calls land in
/// the copy sqlx bundles and closing a GeoPackage crashes.
#[test]
fn geopackage_imports_risk_points_from_the_layer_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let Some(gpkg) = converted(dir.path(), "sources.gpkg", &["-f", "GPKG", "-nln", "other"]) else {
        return;
    };
    converted(
        dir.path(),
        "sources.gpkg",
        &["-f", "GPKG", "-update", "-nln", "points"],
    )
    .unwrap();

    let report = read_layer(
        &gpkg,
        Layer::RiskPoints,
        &ImportOptions::default().with_source_layer("points"),
    )
    .unwrap();
    assert_risk_points(&report, 1e-12);
    // Without a choice, the first layer.
    assert_risk_points(&import(&gpkg, Layer::RiskPoints), 1e-12);

    let err = read_layer(
        &gpkg,
        Layer::RiskPoints,
        &ImportOptions::default().with_source_layer("docks"),
    )
    .unwrap_err();
    assert!(
        matches!(err, ImportError::UnknownSourceLayer { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("no layer \"docks\"") && message.contains("other, points"),
        "{message}"
    );
}

#[test]
fn csv_with_lon_lat_columns() {
    let report = import(&fixture("risk_points.csv"), Layer::RiskPoints);
    assert_risk_points(&report, 1e-12);
    assert!(
        report.ignored_fields.is_empty(),
        "{:?}",
        report.ignored_fields
    );
}

#[test]
fn field_map_renames_columns() {
    let options = ImportOptions::default()
        .map_field("kind", "type")
        .map_field("name", "label")
        .map_field("registered", "reg");
    let report = read_layer(
        &fixture("risk_points_renamed.csv"),
        Layer::RiskPoints,
        &options,
    )
    .unwrap();
    assert!(report.is_clean(), "{:?}", report.rejects);
    assert!(
        report.ignored_fields.is_empty(),
        "{:?}",
        report.ignored_fields
    );
    let properties: Vec<Value> = report
        .features
        .iter()
        .map(|f| Value::Object(f.properties.clone()))
        .collect();
    assert_eq!(
        properties,
        [
            json!({"kind": "shipyard", "name": "Shipu yard", "registered": true, "town": "Shipu", "card": "none"}),
            json!({"kind": "warehouse", "name": "Hepu warehouse", "registered": false, "town": null, "card": "none"}),
        ]
    );
    assert_eq!(lon_lat(&report.features[1]), (121.6123, 29.6218));

    // Without the map, the renamed columns are ignored and every feature lacks `kind`.
    let report = import(&fixture("risk_points_renamed.csv"), Layer::RiskPoints);
    assert_eq!(report.ignored_fields, ["type", "label", "reg"]);
    assert_eq!(report.rejects.len(), 2);
    assert!(
        report.rejects[0].reason.contains("missing field `kind`"),
        "{}",
        report.rejects[0]
    );
}

#[test]
fn field_map_names_must_exist() {
    let path = fixture("risk_points_renamed.csv");
    let options = ImportOptions::default().map_field("kind", "category");
    let err = read_layer(&path, Layer::RiskPoints, &options).unwrap_err();
    assert!(
        matches!(err, ImportError::UnknownSourceField { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("has no field \"category\"; its fields are: type, label, reg, town"),
        "{err}"
    );

    let options = ImportOptions::default().map_field("colour", "type");
    let err = read_layer(&path, Layer::RiskPoints, &options).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("field map: risk_points has no field \"colour\""),
        "{err}"
    );
}

#[test]
fn web_mercator_lands_back_in_lon_lat() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = converted(dir.path(), "mercator.geojson", &["-t_srs", "EPSG:3857"]) else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("3857") && text.contains("13530"),
        "not in web mercator: {text}"
    );
    let report = import(&path, Layer::RiskPoints);
    assert_risk_points(&report, 1e-6);

    let Some(shp) = converted(
        dir.path(),
        "mercator.shp",
        &["-f", "ESRI Shapefile", "-t_srs", "EPSG:3857"],
    ) else {
        return;
    };
    assert_risk_points(&import(&shp, Layer::RiskPoints), 1e-6);
}

#[test]
fn a_crs_that_cannot_reach_wgs84_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let local = r#"LOCAL_CS["site grid",UNIT["metre",1]]"#;
    let Some(shp) = converted(
        dir.path(),
        "local.shp",
        &["-f", "ESRI Shapefile", "-a_srs", local],
    ) else {
        return;
    };
    let err = read_layer(&shp, Layer::RiskPoints, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::UnknownCrs { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("unknown coordinate reference system"),
        "{err}"
    );
}

#[test]
fn rejects_name_the_feature_and_the_reason() {
    let report = import(&fixture("risk_points_rejects.geojson"), Layer::RiskPoints);
    assert_eq!(report.read, 5);
    assert!(!report.is_clean());
    let numbers: Vec<usize> = report.rejects.iter().map(|r| r.feature_number).collect();
    assert_eq!(numbers, [2, 3, 4]);
    let reasons: Vec<&str> = report.rejects.iter().map(|r| r.reason.as_str()).collect();
    assert!(
        reasons[0].contains("risk_points holds POINT geometries, got LineString"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("longitude 200 must be within -180..=180"),
        "{}",
        reasons[1]
    );
    assert!(
        reasons[2].contains("unknown variant `castle`"),
        "{}",
        reasons[2]
    );
    assert_eq!(
        report.rejects[0].to_string(),
        format!("feature 2: {}", reasons[0])
    );

    let names: Vec<&Value> = report
        .features
        .iter()
        .map(|f| &f.properties["name"])
        .collect();
    assert_eq!(names, ["Good dock", "Good fuel point"]);
    // "yes" in a column GDAL typed as text still reads as a boolean.
    assert_eq!(report.features[1].properties["registered"], true);
}

#[test]
fn values_that_do_not_convert_are_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cameras.csv");
    std::fs::write(
        &path,
        "lon,lat,name,height_m,heading_deg,hfov_deg,range_m,ptz,town\n\
         121.55,29.57,C1,12,90,60,3000,no,007\n\
         121.56,29.58,C2,tall,90,60,3000,no,\n\
         121.57,29.59,C3,12,90,60,3000,maybe,\n",
    )
    .unwrap();
    let report = import(&path, Layer::Cameras);
    assert_eq!(report.features.len(), 1);
    assert_eq!(report.features[0].properties["height_m"], 12.0);
    assert_eq!(report.features[0].properties["ptz"], false);
    // CSV columns are typed by the layer, not guessed: a code keeps its leading zeros.
    assert_eq!(report.features[0].properties["town"], "007");
    assert_eq!(report.rejects[0].feature_number, 2);
    assert!(
        report.rejects[0]
            .reason
            .starts_with("height_m: \"tall\" is not a number"),
        "{}",
        report.rejects[0]
    );
    assert_eq!(report.rejects[1].feature_number, 3);
    assert!(
        report.rejects[1]
            .reason
            .starts_with("ptz: \"maybe\" is not a boolean"),
        "{}",
        report.rejects[1]
    );
}

#[test]
fn broken_geojson_is_an_error() {
    let path = fixture("broken.geojson");
    let err = read_layer(&path, Layer::RiskPoints, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("cannot open ") && message.contains("broken.geojson"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let path = fixture("no_such_file.geojson");
    let err = read_layer(&path, Layer::RiskPoints, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::NotFound { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("no such file: {}", path.display()));
}

#[test]
fn progress_is_reported_every_thousand_features() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let mut csv = String::from("lon,lat,kind,name\n");
    for i in 0..2500 {
        csv.push_str(&format!(
            "{},29.5,dock,dock {i}\n",
            121.0 + f64::from(i) * 1e-4
        ));
    }
    std::fs::write(&path, csv).unwrap();

    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let options = ImportOptions::default()
        .with_progress(move |done, total| seen.lock().unwrap().push((done, total)));
    let report = read_layer(&path, Layer::RiskPoints, &options).unwrap();
    assert_eq!(report.features.len(), 2500);
    assert_eq!(
        *calls.lock().unwrap(),
        [(1000, 2500), (2000, 2500), (2500, 2500)]
    );
}

#[test]
fn geojson_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for (fixture_name, layer) in [
        ("risk_points.geojson", Layer::RiskPoints),
        ("geofences.geojson", Layer::Geofences),
    ] {
        let original = import(&fixture(fixture_name), layer);
        assert!(
            original.is_clean(),
            "{fixture_name}: {:?}",
            original.rejects
        );
        let path = dir.path().join(fixture_name);
        let mut out = std::fs::File::create(&path).unwrap();
        write_geojson(&original.features, &mut out).unwrap();
        drop(out);

        let again = import(&path, layer);
        assert!(again.is_clean(), "{fixture_name}: {:?}", again.rejects);
        assert!(
            again.ignored_fields.is_empty(),
            "{:?}",
            again.ignored_fields
        );
        assert_eq!(again.features, original.features, "{fixture_name}");
    }
}

#[test]
fn exported_geojson_is_rfc7946() {
    let features = import(&fixture("geofences.geojson"), Layer::Geofences).features;
    let mut out = Vec::new();
    write_geojson(&features, &mut out).unwrap();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    assert!(doc.get("crs").is_none());
    let feature = &doc["features"][0];
    assert_eq!(feature["properties"]["rule"]["dwell_min"], 15.0);
    // Lon before lat; the exterior ring counter-clockwise (positive shoelace sum).
    assert_eq!(feature["geometry"]["type"], "Polygon");
    let ring = feature["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring[0], json!([121.6, 29.5]));
    let signed_area: f64 = ring
        .windows(2)
        .map(|w| {
            w[0][0].as_f64().unwrap() * w[1][1].as_f64().unwrap()
                - w[1][0].as_f64().unwrap() * w[0][1].as_f64().unwrap()
        })
        .sum();
    assert!(signed_area > 0.0, "exterior ring is clockwise");
}
