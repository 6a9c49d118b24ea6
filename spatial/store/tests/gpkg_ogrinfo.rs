//! The GeoPackage the store writes is one GDAL reads: every layer with its geometry type,
//! feature count and spatial index, checked with `ogrinfo` (Debian `gdal-bin`).

use std::process::Command;

use coastwatch_core::layer::{GeometryType, Layer};
use coastwatch_core::model::FeatureId;
use coastwatch_fixtures::samples::sample;
use coastwatch_store::{Changes, GeoPackageStore, Snapshot, Store};

fn ogrinfo_available() -> bool {
    let found = Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ogrinfo is missing (scripts/install-deps.sh installs gdal-bin)"
        );
        eprintln!("skipping: ogrinfo not installed");
    }
    found
}

fn ogr_geometry_name(ty: GeometryType) -> &'static str {
    match ty {
        GeometryType::Point => "Point",
        GeometryType::LineString => "Line String",
        GeometryType::Polygon => "Polygon",
        GeometryType::MultiPolygon => "Multi Polygon",
        GeometryType::Geometry => "Unknown (any)",
    }
}

#[tokio::test]
async fn ogrinfo_lists_every_layer_with_type_and_count() {
    if !ogrinfo_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("district.gpkg");
    let store = GeoPackageStore::open(&path).await.unwrap();
    for (i, layer) in Layer::ALL.iter().enumerate() {
        let features = (0..=i as u32).map(|n| sample(*layer, n)).collect();
        store.insert(*layer, features).await.unwrap();
    }
    let snapshot = Snapshot {
        alert_id: FeatureId::try_from(1).unwrap(),
        frame_jpeg: vec![0xFF, 0xD8, 0xFF, 0xD9],
        crop_jpeg: vec![0xFF, 0xD8, 0xFF, 0xD9],
    };
    store
        .commit(Changes {
            snapshots: vec![snapshot],
            ..Changes::default()
        })
        .await
        .unwrap();
    drop(store);

    // the snapshots are an attribute table GDAL lists without complaint
    let out = Command::new("ogrinfo")
        .args(["-so", "-ro"])
        .arg(&path)
        .arg("alert_snapshots")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !errors.contains("ERROR"),
        "{errors}"
    );
    assert!(text.contains("Feature Count: 1"), "{text}");
    assert!(text.contains("frame_jpeg: Binary"), "{text}");

    for (i, layer) in Layer::ALL.iter().enumerate() {
        let out = Command::new("ogrinfo")
            .args(["-so", "-ro"])
            .arg(&path)
            .arg(layer.name())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let errors = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "ogrinfo failed on {layer}: {errors}");
        assert!(
            !errors.contains("ERROR"),
            "ogrinfo complained about {layer}: {errors}"
        );
        assert!(text.contains(&format!("Layer name: {layer}")), "{text}");
        assert!(
            text.contains(&format!(
                "Geometry: {}",
                ogr_geometry_name(layer.geometry_type())
            )),
            "{layer}: {text}"
        );
        assert!(
            text.contains(&format!("Feature Count: {}", i + 1)),
            "{layer}: {text}"
        );
        assert!(text.contains("WGS 84"), "{layer} SRS: {text}");
        for field in layer.fields() {
            assert!(
                text.contains(&format!("{}: ", field.name)),
                "{layer}.{} missing: {text}",
                field.name
            );
        }
    }

    // GDAL sees and uses the R*Tree index: a spatial filter selects through it.
    let out = Command::new("ogrinfo")
        .args([
            "-ro",
            "-q",
            "-spat",
            "121.5",
            "29.5",
            "121.5205",
            "29.7",
            "-sql",
            "SELECT HasSpatialIndex('risk_points', 'geom')",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("= 1"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
