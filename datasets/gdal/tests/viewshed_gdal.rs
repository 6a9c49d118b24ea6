//! Our viewshed against GDAL's `gdal_viewshed` (3.6), cell by cell, on synthetic DEMs of
//! several shapes written as GeoTIFFs in EPSG:32651 (30 m cells, 301 × 301): a flat plane, a
//! cone hill, a ridge, random smooth terrain, a pit, and a plane with nodata holes; several
//! observers (centre, near an edge, on a slope, in a corner), observer and target heights,
//! with and without a maximum distance. Each case must agree on ≥ 99.9 % of the cells;
//! differing cells are printed with the margin by which they missed the threshold.
//!
//! Also through the coverage API: a ridge hides a target from a camera (`Sight::Terrain`)
//! until the camera goes up; and bad input (a text file as DEM, a camera off the DEM).
//!
//! `gdal_viewshed` comes with Debian's `gdal-bin`; the GDAL comparisons skip with a message
//! when it is missing, unless `CI=true`.
use std::path::Path;
use std::process::Command;

use coastwatch_core::rng::Rng;
use coastwatch_coverage::dem::{
    self as sdem, Dem, DemCrs, DemTerrain, Grid, ViewshedMode, ViewshedParams, Visibility,
    camera_viewshed, clearance, viewshed,
};
use coastwatch_coverage::{CameraModel, DEFAULT_CURVATURE_COEFF, Sight};
use coastwatch_gdal::dem::{DemError, read_dem, write_dem};
use gdal::Dataset;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

const SIZE: usize = 301;
const CELL: f64 = 30.0;
const X0: f64 = 345_000.0;
const Y0: f64 = 3_285_000.0;
const CRS: &str = "EPSG:32651";
/// Output values given to `gdal_viewshed` (`-vv`, `-iv`, `-ov`): three distinct classes.
const VISIBLE: u8 = 255;
const INVISIBLE: u8 = 0;
const OUT_OF_RANGE: u8 = 1;

/// Whether `gdal_viewshed` is installed. It prints its version and usage and exits 1 for
/// `--version` (GDAL 3.6), so the version line is what counts. Missing with `CI=true` fails.
fn gdal_viewshed_available() -> bool {
    let found = Command::new("gdal_viewshed")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("GDAL"));
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but gdal_viewshed is missing (scripts/install-deps.sh installs gdal-bin)"
        );
        eprintln!("skipping: gdal_viewshed is not installed");
    }
    found
}

fn synthetic(f: impl Fn(f64, f64) -> f64) -> Vec<f32> {
    (0..SIZE * SIZE)
        .map(|i| f((i % SIZE) as f64, (i / SIZE) as f64) as f32)
        .collect()
}

/// The synthetic DEMs: name, heights, nodata.
fn shapes() -> Vec<(&'static str, Vec<f32>, Option<f64>)> {
    let centre = (SIZE / 2) as f64;
    let dist = move |c: f64, r: f64| (c - centre).hypot(r - centre);
    let mut rng = Rng::new(20_260_601);
    let bumps: Vec<[f64; 4]> = (0..40)
        .map(|_| {
            [
                rng.unit() * SIZE as f64,
                rng.unit() * SIZE as f64,
                rng.unit() * 90.0 - 20.0,
                8.0 + rng.unit() * 40.0,
            ]
        })
        .collect();
    let random = move |c: f64, r: f64| {
        let waves = 12.0 * (c / 23.0 + 0.7).sin() * (r / 31.0).cos() + 6.0 * ((c - r) / 17.0).sin();
        bumps.iter().fold(40.0 + waves, |z, b| {
            let d2 = (c - b[0]).powi(2) + (r - b[1]).powi(2);
            z + b[2] * (-d2 / (b[3] * b[3])).exp()
        })
    };
    let holes = |c: f64, r: f64| {
        let (c, r) = (c as usize, r as usize);
        (c % 60 >= 30 && c % 60 < 38 && r % 50 >= 25 && r % 50 < 34) || (c + 2 * r) % 97 == 5
    };
    vec![
        ("flat plane", synthetic(|_, _| 3.0), None),
        (
            "cone hill",
            synthetic(|c, r| (250.0 - 2.5 * dist(c, r + 40.0)).max(0.0) + 2.0),
            None,
        ),
        (
            "ridge",
            synthetic(|c, r| {
                5.0 + 120.0 * (-((c - 190.0 + 0.2 * r) / 4.0).powi(2)).exp() + 0.02 * r
            }),
            None,
        ),
        ("random smooth", synthetic(random), None),
        (
            "pit",
            synthetic(|c, r| 80.0 - 70.0 * (-(dist(c, r) / 45.0).powi(2)).exp()),
            None,
        ),
        (
            "plane with nodata holes",
            synthetic(|c, r| {
                if holes(c, r) {
                    -9999.0
                } else {
                    10.0 + 0.05 * c - 0.03 * r
                }
            }),
            Some(-9999.0),
        ),
    ]
}

/// Observer cell, observer height, target height, maximum distance.
const CASES: &[([usize; 2], f64, f64, f64)] = &[
    ([150, 150], 10.0, 2.0, 0.0),
    ([2, 297], 25.0, 0.0, 0.0),
    ([200, 110], 2.0, 2.0, 4000.0),
    ([150, 150], 50.0, 0.0, 2500.0),
    ([0, 0], 15.0, 2.0, 0.0),
];

fn write(dir: &Path, name: &str, values: Vec<f32>, nodata: Option<f64>) -> std::path::PathBuf {
    let dem = Dem::new(
        SIZE,
        SIZE,
        [X0, CELL, 0.0, Y0, 0.0, -CELL],
        values,
        DemCrs::local_metres(),
    )
    .unwrap()
    .with_nodata(nodata);
    let path = dir.join(format!("{}.tif", name.replace(' ', "_")));
    write_dem(&path, &dem, CRS).unwrap();
    path
}

/// Runs `gdal_viewshed` and reads its output: (column offset, row offset, width, height,
/// cells).
fn gdal_viewshed(
    dem: &Path,
    out: &Path,
    observer: [usize; 2],
    oz: f64,
    tz: f64,
    md: f64,
    extra: &[&str],
) -> (usize, usize, usize, usize, Vec<f64>) {
    let ox = X0 + (observer[0] as f64 + 0.5) * CELL;
    let oy = Y0 - (observer[1] as f64 + 0.5) * CELL;
    let status = Command::new("gdal_viewshed")
        .args(["-q", "-ox", &ox.to_string(), "-oy", &oy.to_string()])
        .args(["-oz", &oz.to_string(), "-tz", &tz.to_string()])
        .args([
            "-cc",
            &DEFAULT_CURVATURE_COEFF.to_string(),
            "-md",
            &md.to_string(),
        ])
        .args(["-vv", &VISIBLE.to_string(), "-iv", &INVISIBLE.to_string()])
        .args(["-ov", &OUT_OF_RANGE.to_string()])
        .args(extra)
        .arg(dem)
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "gdal_viewshed failed: {status}");
    let ds = Dataset::open(out).unwrap();
    let gt = ds.geo_transform().unwrap();
    let (w, h) = ds.raster_size();
    let cells = ds
        .rasterband(1)
        .unwrap()
        .read_band_as::<f64>()
        .unwrap()
        .into_shape_and_vec()
        .1;
    let col_off = ((gt[0] - X0) / CELL).round() as usize;
    let row_off = ((Y0 - gt[3]) / CELL).round() as usize;
    (col_off, row_off, w, h, cells)
}

fn code(v: Visibility) -> u8 {
    match v {
        Visibility::Visible => VISIBLE,
        Visibility::Invisible => INVISIBLE,
        Visibility::OutOfRange => OUT_OF_RANGE,
    }
}

/// Compares one case; returns (agreeing cells, cells).
fn compare(
    name: &str,
    dem: &Dem,
    path: &Path,
    out: &Path,
    &(observer, oz, tz, md): &([usize; 2], f64, f64, f64),
) -> (usize, usize) {
    let params = ViewshedParams {
        observer_height_m: oz,
        target_height_m: tz,
        curvature_coeff: DEFAULT_CURVATURE_COEFF,
        max_distance_m: md,
        mode: ViewshedMode::Edge,
    };
    let ours: Grid = viewshed(dem, observer, &params).unwrap();
    let (col_off, row_off, w, h, theirs) = gdal_viewshed(path, out, observer, oz, tz, md, &[]);
    assert_eq!(
        (ours.col_off(), ours.row_off(), ours.width(), ours.height()),
        (col_off, row_off, w, h),
        "{name}: output window"
    );
    let mut differing = Vec::new();
    for (i, (&o, &t)) in ours.cells().iter().zip(&theirs).enumerate() {
        if f64::from(code(o)) != t {
            differing.push((col_off + i % w, row_off + i / w, o, t));
        }
    }
    if !differing.is_empty() {
        // Why: how far the cell is from the visibility threshold (target height − needed).
        let needed = clearance(dem, observer, &params).unwrap();
        for &(c, r, o, t) in differing.iter().take(20) {
            let margin = tz - f64::from(needed.get(c, r).unwrap());
            let why = if margin.abs() < 1e-6 {
                "a tie at the threshold (floating-point rounding)"
            } else {
                "the algorithms differ"
            };
            eprintln!(
                "{name} {observer:?} oz {oz} tz {tz} md {md}: cell ({c}, {r}) ours {o:?}, \
                 GDAL {t}; margin {margin:.3e} m: {why}"
            );
        }
    }
    let cells = ours.cells().len();
    let agree = cells - differing.len();
    eprintln!(
        "{name:<24} observer {observer:?} oz {oz:>4} tz {tz} md {md:>6}: {agree}/{cells} cells \
         agree ({:.4} %), {} visible",
        100.0 * agree as f64 / cells as f64,
        ours.count(Visibility::Visible),
    );
    (agree, cells)
}

#[test]
fn viewshed_agrees_with_gdal_viewshed() {
    if !gdal_viewshed_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tif");
    let mut failures = Vec::new();
    for (name, values, nodata) in shapes() {
        let path = write(dir.path(), name, values, nodata);
        let dem = read_dem(&path).unwrap();
        let (mut agree, mut cells) = (0, 0);
        for case in CASES {
            let (a, c) = compare(name, &dem, &path, &out, case);
            if (a as f64) < 0.999 * c as f64 {
                failures.push(format!("{name} {case:?}: {a}/{c}"));
            }
            agree += a;
            cells += c;
        }
        eprintln!(
            "== {name}: {agree}/{cells} cells agree over {} cases ({:.4} %)",
            CASES.len(),
            100.0 * agree as f64 / cells as f64
        );
    }
    assert!(failures.is_empty(), "below 99.9 %: {failures:?}");
}

/// The DEM of the benchmark (`benches/viewshed_vs_gdal.sh`): 2000 × 2000 cells, the whole
/// raster, observer 20 m up at the centre, target 2 m.
#[test]
fn viewshed_agrees_with_gdal_on_the_benchmark_dem() {
    if !gdal_viewshed_available() {
        return;
    }
    const N: usize = 2000;
    let values = (0..N * N)
        .map(|i| {
            let (x, y) = ((i % N) as f64, (i / N) as f64);
            (50.0 * (x / 97.0).sin() * (y / 131.0).cos()
                + 30.0 * ((x + y) / 53.0).sin()
                + 0.02 * x
                + 100.0) as f32
        })
        .collect();
    let (x0, y0) = (300_000.0, 3_300_000.0);
    let dem = Dem::new(
        N,
        N,
        [x0, CELL, 0.0, y0, 0.0, -CELL],
        values,
        DemCrs::local_metres(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dem2000.tif");
    write_dem(&path, &dem, CRS).unwrap();
    let dem = read_dem(&path).unwrap();
    let params = ViewshedParams {
        observer_height_m: 20.0,
        target_height_m: 2.0,
        ..ViewshedParams::default()
    };
    let ours = viewshed(&dem, [1000, 1000], &params).unwrap();
    let out = dir.path().join("out.tif");
    let status = Command::new("gdal_viewshed")
        .args([
            "-q", "-ox", "330015", "-oy", "3269985", "-oz", "20", "-tz", "2",
        ])
        .args(["-cc", "0.85714", "-vv", "255", "-iv", "0", "-ov", "1"])
        .arg(&path)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let theirs = Dataset::open(&out)
        .unwrap()
        .rasterband(1)
        .unwrap()
        .read_band_as::<u8>()
        .unwrap()
        .into_shape_and_vec()
        .1;
    assert_eq!(theirs.len(), ours.cells().len());
    let differing = ours
        .cells()
        .iter()
        .zip(&theirs)
        .filter(|&(&o, &t)| code(o) != t)
        .count();
    eprintln!(
        "2000 × 2000: {} of {} cells differ, {} visible",
        differing,
        theirs.len(),
        ours.count(Visibility::Visible)
    );
    assert!(differing * 1000 <= theirs.len(), "{differing} cells differ");
}

/// GDAL's `-om GROUND` (lowest visible target height above the ground) against
/// [`clearance`], on the random terrain.
#[test]
fn clearance_agrees_with_gdal_ground_mode() {
    if !gdal_viewshed_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (name, values, nodata) = shapes().swap_remove(3);
    let path = write(dir.path(), name, values, nodata);
    let dem = read_dem(&path).unwrap();
    let out = dir.path().join("ground.tif");
    for &(observer, oz, _, md) in CASES {
        let params = ViewshedParams {
            observer_height_m: oz,
            max_distance_m: md,
            ..ViewshedParams::default()
        };
        let ours = clearance(&dem, observer, &params).unwrap();
        let (_, _, w, h, theirs) =
            gdal_viewshed(&path, &out, observer, oz, 0.0, md, &["-om", "GROUND"]);
        assert_eq!((ours.width(), ours.height()), (w, h));
        let mut worst = 0.0f64;
        for (&o, &t) in ours.cells().iter().zip(&theirs) {
            if o.is_finite() {
                worst = worst.max((f64::from(o) - t).abs() / t.abs().max(1.0));
            } else {
                assert_eq!(t, f64::from(OUT_OF_RANGE));
            }
        }
        assert!(worst < 1e-6, "{observer:?}: relative difference {worst}");
    }
}

/// Lon/lat of the centre of a cell of the synthetic DEMs.
fn cell_lonlat(col: usize, row: usize) -> [f64; 2] {
    let mut wgs84 = SpatialRef::from_epsg(4326).unwrap();
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut utm = SpatialRef::from_definition(CRS).unwrap();
    utm.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let t = CoordTransform::new(&utm, &wgs84).unwrap();
    let (mut x, mut y) = (
        [X0 + (col as f64 + 0.5) * CELL],
        [Y0 - (row as f64 + 0.5) * CELL],
    );
    t.transform_coords(&mut x, &mut y, &mut []).unwrap();
    [x[0], y[0]]
}

#[test]
fn a_ridge_hides_a_risk_point_until_the_camera_goes_up() {
    let dir = tempfile::tempdir().unwrap();
    // A 100 m ridge running north–south at column 150, sea level elsewhere.
    let values = synthetic(|c, _| 100.0 * (-((c - 150.0) / 3.0).powi(2)).exp());
    let path = write(dir.path(), "ridge", values, None);
    let dem = read_dem(&path).unwrap();
    let [lon, lat] = cell_lonlat(100, 150);
    let risk_point = cell_lonlat(220, 150);
    let mut camera = CameraModel {
        id: 12,
        lon,
        lat,
        height_m: 25.0,
        heading_deg: 90.0,
        hfov_deg: 90.0,
        range_m: 6000.0,
        near_range_m: 50.0,
    };
    let terrain = DemTerrain::new(dem.clone(), std::slice::from_ref(&camera)).unwrap();
    assert_eq!(camera.sight(risk_point, 2.0, &terrain), Sight::Terrain);
    let needed = terrain.clearance_m(&camera, risk_point).unwrap().unwrap();
    assert!(needed > 50.0, "{needed}");
    // From 250 m the line to the boat 120 cells out passes ~147 m over the 100 m ridge.
    camera.height_m = 250.0;
    assert_eq!(camera.sight(risk_point, 2.0, &terrain), Sight::Seen);
    let grid = camera_viewshed(
        &dem,
        &camera,
        2.0,
        DEFAULT_CURVATURE_COEFF,
        ViewshedMode::Edge,
    )
    .unwrap();
    assert_eq!(grid.get(220, 150), Some(Visibility::Visible));
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "elevation: high\n").unwrap();
    let err = read_dem(&text).unwrap_err();
    assert!(matches!(err, DemError::Open { .. }), "{err}");
    assert!(err.to_string().contains("cannot open"), "{err}");
    assert!(err.to_string().contains("notes.txt"), "{err}");

    let path = write(dir.path(), "flat", synthetic(|_, _| 0.0), None);
    let dem = read_dem(&path).unwrap();
    let camera = CameraModel {
        id: 4,
        lon: 120.0,
        lat: 29.6,
        height_m: 20.0,
        heading_deg: 0.0,
        hfov_deg: 360.0,
        range_m: 5000.0,
        near_range_m: 0.0,
    };
    let err = DemTerrain::new(dem.clone(), std::slice::from_ref(&camera)).unwrap_err();
    assert!(
        matches!(err, sdem::DemError::CameraOutside { id: 4, .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("camera 4") && message.contains("outside the DEM"),
        "{message}"
    );
    let err = viewshed(&dem, [SIZE, 0], &ViewshedParams::default()).unwrap_err();
    assert!(err.to_string().contains("outside the DEM"), "{err}");
}
