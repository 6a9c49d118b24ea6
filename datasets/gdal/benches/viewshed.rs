//! Viewshed on a 2000 × 2000 synthetic DEM (EPSG:32651, 30 m cells, smooth hills), with the
//! parameters `benches/viewshed_vs_gdal.sh` gives `gdal_viewshed`: observer at cell
//! (1000, 1000) 20 m up, target 2 m, curvature coefficient 0.85714, no maximum distance,
//! edge mode, the whole raster.
//!
//! - `viewshed_2000x2000/full_raster`: the scan alone, DEM in memory;
//! - `viewshed_2000x2000/read_geotiff_and_full_raster`: reading the GeoTIFF too;
//! - `viewshed_2000x2000/camera_sector_10km_90deg`: a camera's window only.
//!
//! With `VIEWSHED_DEM=path` the DEM is written there (for `gdal_viewshed`) and read back.
//!
//! `cargo bench -p coastwatch-gdal --bench viewshed`
#![expect(missing_docs, reason = "criterion_group! defines an undocumented fn")]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use coastwatch_coverage::dem::{
    Dem, DemCrs, ViewshedMode, ViewshedParams, camera_viewshed, viewshed,
};
use coastwatch_coverage::{CameraModel, DEFAULT_CURVATURE_COEFF};
use coastwatch_gdal::dem::{read_dem, write_dem};
use criterion::{Criterion, criterion_group, criterion_main};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

const SIZE: usize = 2000;
const CELL: f64 = 30.0;
/// Top-left corner in EPSG:32651 (about 120.9 E, 29.8 N).
const X0: f64 = 300_000.0;
const Y0: f64 = 3_300_000.0;
const OBSERVER: [usize; 2] = [1000, 1000];

/// Smooth hills: two wave trains and a tilt, 40–200 m.
fn heights() -> Vec<f32> {
    (0..SIZE * SIZE)
        .map(|i| {
            let (x, y) = ((i % SIZE) as f64, (i / SIZE) as f64);
            let z = 50.0 * (x / 97.0).sin() * (y / 131.0).cos()
                + 30.0 * ((x + y) / 53.0).sin()
                + 0.02 * x
                + 100.0;
            z as f32
        })
        .collect()
}

fn params() -> ViewshedParams {
    ViewshedParams {
        observer_height_m: 20.0,
        target_height_m: 2.0,
        curvature_coeff: DEFAULT_CURVATURE_COEFF,
        max_distance_m: 0.0,
        mode: ViewshedMode::Edge,
    }
}

fn bench(c: &mut Criterion) {
    let dem = Dem::new(
        SIZE,
        SIZE,
        [X0, CELL, 0.0, Y0, 0.0, -CELL],
        heights(),
        DemCrs::local_metres(),
    )
    .expect("synthetic DEM");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = std::env::var_os("VIEWSHED_DEM")
        .map_or_else(|| dir.path().join("dem2000.tif"), PathBuf::from);
    write_dem(&path, &dem, "EPSG:32651").expect("write the DEM");
    let dem = read_dem(&path).expect("read the DEM back");
    let p = params();
    let grid = viewshed(&dem, OBSERVER, &p).expect("viewshed");
    eprintln!(
        "viewshed of {} × {} cells: {} visible; DEM at {}",
        grid.width(),
        grid.height(),
        grid.count(coastwatch_coverage::dem::Visibility::Visible),
        path.display()
    );

    let mut g = c.benchmark_group("viewshed_2000x2000");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("full_raster", |b| {
        b.iter(|| black_box(viewshed(&dem, OBSERVER, &p).expect("viewshed")))
    });
    g.bench_function("read_geotiff_and_full_raster", |b| {
        b.iter(|| {
            let dem = read_dem(&path).expect("read");
            black_box(viewshed(&dem, OBSERVER, &p).expect("viewshed"))
        })
    });
    let centre = dem.pixel_to_xy([OBSERVER[0] as f64 + 0.5, OBSERVER[1] as f64 + 0.5]);
    let lonlat = lonlat_of(centre);
    let camera = CameraModel {
        id: 1,
        lon: lonlat[0],
        lat: lonlat[1],
        height_m: 20.0,
        heading_deg: 90.0,
        hfov_deg: 90.0,
        range_m: 10_000.0,
        near_range_m: 0.0,
    };
    g.bench_function("camera_sector_10km_90deg", |b| {
        b.iter(|| {
            black_box(
                camera_viewshed(
                    &dem,
                    &camera,
                    2.0,
                    DEFAULT_CURVATURE_COEFF,
                    ViewshedMode::Edge,
                )
                .expect("camera viewshed"),
            )
        })
    });
    g.finish();
}

/// The lon/lat of a point of EPSG:32651.
fn lonlat_of(xy: [f64; 2]) -> [f64; 2] {
    let mut wgs84 = SpatialRef::from_epsg(4326).expect("EPSG:4326");
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut utm = SpatialRef::from_epsg(32651).expect("EPSG:32651");
    utm.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let t = CoordTransform::new(&utm, &wgs84).expect("transformation");
    let (mut x, mut y) = ([xy[0]], [xy[1]]);
    t.transform_coords(&mut x, &mut y, &mut [])
        .expect("transform");
    [x[0], y[0]]
}

criterion_group!(benches, bench);
criterion_main!(benches);
