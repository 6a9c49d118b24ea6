//! Tests of the DEM viewshed: the quadrant scan against a cell-by-cell one, ranges,
//! cameras and errors.

use super::scan::{Kernel, Scan};
use super::*;
use crate::{CameraModel, DEFAULT_CURVATURE_COEFF, Sight, Terrain};

/// A DEM in local metres, 30 m cells, from a height function of (col, row).
fn dem(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Dem {
    let values = (0..h)
        .flat_map(|r| (0..w).map(move |c| (r, c)))
        .map(|(r, c)| f(c, r));
    Dem::new(
        w,
        h,
        [500_000.0, 30.0, 0.0, 3_300_000.0, 0.0, -30.0],
        values.collect(),
        DemCrs::local_metres(),
    )
    .unwrap()
}

fn params(oz: f64, tz: f64, md: f64, mode: ViewshedMode) -> ViewshedParams {
    ViewshedParams {
        observer_height_m: oz,
        target_height_m: tz,
        curvature_coeff: DEFAULT_CURVATURE_COEFF,
        max_distance_m: md,
        mode,
    }
}

/// A straightforward (slow) transcription of the scan, one cell at a time over the
/// whole window, to check the quadrant split and the assembly.
fn reference(dem: &Dem, o: [usize; 2], p: &ViewshedParams) -> Grid {
    let scan = Scan::new(dem, o, p.observer_height_m, p.curvature_coeff).unwrap();
    let win = scan.distance_window(p.max_distance_m);
    let (w, h) = (win.c1 - win.c0, win.r1 - win.r0);
    let (ox, oy) = (o[0] - win.c0, o[1] - win.r0);
    let k = Kernel {
        scan: &scan,
        window: win,
        max_distance2: p.max_distance_m * p.max_distance_m,
        mode: p.mode,
        out_of_range: Visibility::OutOfRange,
        classify: &|_: f64, _: f64| Visibility::OutOfRange,
    };
    let mut z: Vec<f64> = (0..h)
        .flat_map(|r| (0..w).map(move |c| (r, c)))
        .map(|(r, c)| f64::from(dem.value(win.c0 + c, win.r0 + r).unwrap()))
        .collect();
    let mut out = vec![Visibility::OutOfRange; w * h];
    let vis = |g: f64, s: f64| {
        if g + p.target_height_m < s {
            Visibility::Invisible
        } else {
            Visibility::Visible
        }
    };
    let rows: Vec<usize> = std::iter::once(oy)
        .chain((0..oy).rev())
        .chain(oy + 1..h)
        .collect();
    for &r in &rows {
        let dy = r.abs_diff(oy) as f64;
        let toward = if r < oy { r + 1 } else { r.saturating_sub(1) };
        let mut cols: Vec<usize> = vec![ox];
        cols.extend((0..ox).rev());
        cols.extend(ox + 1..w);
        let mut dead_left = false;
        let mut dead_right = false;
        for c in cols {
            let left = c < ox;
            if (left && dead_left) || (!left && c != ox && dead_right) {
                continue;
            }
            let dx = c.abs_diff(ox) as f64;
            let i = r * w + c;
            if dy == 0.0 && dx == 0.0 {
                out[i] = Visibility::Visible;
                continue;
            }
            let mut zc = z[i];
            let inside = k.adjust(dx, dy, &mut zc);
            if dy == 0.0 && dx == 1.0 {
                z[i] = zc;
                out[i] = Visibility::Visible;
                continue;
            }
            if !inside {
                if left {
                    dead_left = true;
                } else if c == ox {
                    dead_left = true;
                    dead_right = true;
                } else {
                    dead_right = true;
                }
                continue;
            }
            let cn = if left { c + 1 } else { c.saturating_sub(1) };
            let sight = if dy == 0.0 {
                k.line(dx, z[r * w + cn])
            } else if dx == 0.0 {
                k.line(dy, z[toward * w + c])
            } else {
                let t = [zc, z[r * w + cn]];
                let l = [z[toward * w + c], z[toward * w + cn]];
                let d = k.diagonal(dx, dy, t[1], l[0]);
                let e = k.edge_of(dx, dy, t, l);
                match p.mode {
                    ViewshedMode::Diagonal => d,
                    ViewshedMode::Edge => e,
                    ViewshedMode::Max => {
                        if d < e {
                            e
                        } else {
                            d
                        }
                    }
                    ViewshedMode::Min => {
                        if e < d {
                            e
                        } else {
                            d
                        }
                    }
                }
            };
            out[i] = vis(zc, sight);
            z[i] = if zc < sight { sight } else { zc };
        }
    }
    Grid {
        col_off: win.c0,
        row_off: win.r0,
        width: w,
        height: h,
        cells: out,
    }
}

fn bumpy(c: usize, r: usize) -> f32 {
    let (x, y) = (c as f32, r as f32);
    40.0 * (x / 7.0).sin() * (y / 11.0).cos() + 25.0 * ((x + y) / 5.0).sin() + 60.0
}

#[test]
fn quadrants_agree_with_a_cell_by_cell_scan() {
    let d = dem(61, 47, bumpy);
    for mode in [
        ViewshedMode::Edge,
        ViewshedMode::Diagonal,
        ViewshedMode::Max,
        ViewshedMode::Min,
    ] {
        for o in [[30, 20], [0, 0], [60, 46], [5, 40], [59, 1]] {
            for md in [0.0, 400.0, 900.0] {
                let p = params(10.0, 2.0, md, mode);
                let got = viewshed(&d, o, &p).unwrap();
                let want = reference(&d, o, &p);
                assert_eq!(got, want, "{mode:?} {o:?} md {md}");
            }
        }
    }
}

#[test]
fn parallel_scan_equals_sequential() {
    let d = dem(700, 500, bumpy);
    let p = params(15.0, 0.0, 0.0, ViewshedMode::Edge);
    let scan = Scan::new(&d, [350, 200], 15.0, p.curvature_coeff).unwrap();
    let win = scan.distance_window(0.0);
    let vis = |g: f64, s: f64| if g < s { 1u8 } else { 2 };
    let a = scan.run(win, 0.0, p.mode, true, 0u8, vis);
    let b = scan.run(win, 0.0, p.mode, false, 0u8, vis);
    assert_eq!(a, b);
}

#[test]
fn flat_plane_is_seen_out_to_the_horizon() {
    // 10 m eye over a flat sea: horizon at √(2·a·10/0.85714) ≈ 12.2 km.
    let d = dem(1001, 3, |_, _| 0.0);
    let p = params(10.0, 0.0, 0.0, ViewshedMode::Edge);
    let g = viewshed(&d, [0, 1], &p).unwrap();
    let horizon = (2.0 * WGS84_SEMI_MAJOR_M * 10.0 / DEFAULT_CURVATURE_COEFF).sqrt();
    for c in 2..1001 {
        let seen = g.get(c, 1) == Some(Visibility::Visible);
        let d = c as f64 * 30.0;
        if (d - horizon).abs() > 60.0 {
            assert_eq!(seen, d < horizon, "column {c} at {d} m");
        }
    }
}

#[test]
fn max_distance_window_and_out_of_range() {
    let d = dem(101, 101, |_, _| 0.0);
    let p = params(10.0, 0.0, 300.0, ViewshedMode::Edge);
    let g = viewshed(&d, [50, 50], &p).unwrap();
    // GDAL: floor(50 − 10) .. ceil(50 + 10) + 1
    assert_eq!(
        (g.col_off(), g.row_off(), g.width(), g.height()),
        (40, 40, 21, 21)
    );
    assert_eq!(g.get(60, 50), Some(Visibility::Visible));
    assert_eq!(g.get(60, 51), Some(Visibility::OutOfRange));
    assert_eq!(g.get(61, 50), None);
}

#[test]
fn observer_outside_is_an_error() {
    let d = dem(10, 10, |_, _| 0.0);
    let err = viewshed(&d, [10, 3], &ViewshedParams::default()).unwrap_err();
    assert!(
        matches!(err, DemError::ObserverOutside { col: 10, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("outside the DEM"), "{err}");
}

#[test]
fn invalid_dems_are_refused() {
    let gt = [0.0, 30.0, 0.0, 0.0, 0.0, -30.0];
    assert!(Dem::new(0, 5, gt, vec![], DemCrs::local_metres()).is_err());
    assert!(Dem::new(2, 2, gt, vec![0.0; 3], DemCrs::local_metres()).is_err());
    let flat = [0.0, 30.0, 0.0, 0.0, 0.0, 0.0];
    let err = Dem::new(2, 2, flat, vec![0.0; 4], DemCrs::local_metres()).unwrap_err();
    assert!(err.to_string().contains("cannot be inverted"), "{err}");
}

/// A geographic DEM around 121.6 E 29.6 N, 0.0003° cells (about 29 × 33 m).
fn lonlat_dem(f: impl Fn(usize, usize) -> f32) -> Dem {
    let (w, h) = (400, 400);
    let values = (0..h)
        .flat_map(|r| (0..w).map(move |c| (r, c)))
        .map(|(r, c)| f(c, r));
    Dem::new(
        w,
        h,
        [121.54, 0.0003, 0.0, 29.66, 0.0, -0.0003],
        values.collect(),
        DemCrs::lonlat(),
    )
    .unwrap()
}

fn cell_centre(dem: &Dem, col: usize, row: usize) -> [f64; 2] {
    dem.pixel_to_xy([col as f64 + 0.5, row as f64 + 0.5])
}

#[test]
fn a_ridge_hides_the_target_until_the_camera_goes_up() {
    // A 60 m ridge along column 200; camera at column 150, target at column 260.
    let d = lonlat_dem(|c, _| if c.abs_diff(200) <= 1 { 60.0 } else { 0.0 });
    let target = cell_centre(&d, 260, 200);
    let mut camera = CameraModel {
        id: 7,
        lon: cell_centre(&d, 150, 200)[0],
        lat: cell_centre(&d, 150, 200)[1],
        height_m: 20.0,
        heading_deg: 90.0,
        hfov_deg: 60.0,
        range_m: 5000.0,
        near_range_m: 0.0,
    };
    let terrain = DemTerrain::new(d.clone(), std::slice::from_ref(&camera)).unwrap();
    assert_eq!(camera.sight(target, 2.0, &terrain), Sight::Terrain);
    // Above 60 m the ridge no longer hides a boat 60 cells beyond it.
    camera.height_m = 150.0;
    assert_eq!(camera.sight(target, 2.0, &terrain), Sight::Seen);
    // The sector viewshed agrees, and the full viewshed matches inside the sector.
    let grid = camera_viewshed(
        &d,
        &camera,
        2.0,
        DEFAULT_CURVATURE_COEFF,
        ViewshedMode::Edge,
    )
    .unwrap();
    assert_eq!(grid.get(260, 200), Some(Visibility::Visible));
    assert_eq!(
        grid.get(100, 200),
        None,
        "west of the camera: outside the window"
    );
    let full = viewshed(
        &d,
        [150, 200],
        &params(150.0, 2.0, camera.range_m, ViewshedMode::Edge),
    )
    .unwrap();
    let mut compared = 0;
    for r in grid.row_off()..grid.row_off() + grid.height() {
        for c in grid.col_off()..grid.col_off() + grid.width() {
            let v = grid.get(c, r).unwrap();
            if v != Visibility::OutOfRange {
                assert_eq!(Some(v), full.get(c, r), "cell {c},{r}");
                compared += 1;
            }
        }
    }
    assert!(compared > 10_000, "{compared}");
}

#[test]
fn camera_outside_the_dem_is_an_error() {
    let d = lonlat_dem(|_, _| 0.0);
    let camera = CameraModel {
        id: 3,
        lon: 121.0,
        lat: 29.6,
        height_m: 20.0,
        heading_deg: 0.0,
        hfov_deg: 360.0,
        range_m: 3000.0,
        near_range_m: 0.0,
    };
    let err = DemTerrain::new(d.clone(), std::slice::from_ref(&camera)).unwrap_err();
    assert!(
        matches!(err, DemError::CameraOutside { id: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("outside the DEM"), "{err}");
    let err = camera_viewshed(&d, &camera, 2.0, 0.85714, ViewshedMode::Edge).unwrap_err();
    assert!(matches!(err, DemError::CameraOutside { .. }), "{err}");
    // Asked through the Terrain trait: not seen, no panic.
    let terrain = DemTerrain::new(d, &[]).unwrap();
    assert!(!terrain.line_of_sight(&camera, [121.6, 29.6], 2.0));
}

#[test]
fn targets_off_the_dem_are_not_seen() {
    let d = lonlat_dem(|_, _| 0.0);
    let centre = cell_centre(&d, 200, 200);
    let camera = CameraModel {
        id: 1,
        lon: centre[0],
        lat: centre[1],
        height_m: 30.0,
        heading_deg: 0.0,
        hfov_deg: 360.0,
        range_m: 50_000.0,
        near_range_m: 0.0,
    };
    let terrain = DemTerrain::new(d, std::slice::from_ref(&camera)).unwrap();
    assert!(terrain.line_of_sight(&camera, cell_centre(terrain.dem(), 300, 200), 0.0));
    assert!(!terrain.line_of_sight(&camera, [121.4, 29.6], 0.0));
    assert_eq!(terrain.clearance_m(&camera, [121.4, 29.6]), Ok(None));
}

#[test]
fn sector_window_is_smaller_than_the_range_window() {
    let d = lonlat_dem(bumpy);
    let centre = cell_centre(&d, 200, 200);
    let camera = CameraModel {
        id: 1,
        lon: centre[0],
        lat: centre[1],
        height_m: 30.0,
        heading_deg: 90.0,
        hfov_deg: 40.0,
        range_m: 3000.0,
        near_range_m: 100.0,
    };
    let g = camera_viewshed(&d, &camera, 0.0, 0.85714, ViewshedMode::Edge).unwrap();
    // Range 3 km ≈ 104 columns east; ±20° ≈ ±31 rows.
    assert!(
        g.col_off() >= 198 && g.width() < 112,
        "{} {}",
        g.col_off(),
        g.width()
    );
    assert!(g.height() < 75, "{}", g.height());
    assert_eq!(g.get(201, 200), Some(Visibility::OutOfRange), "near range");
    assert_eq!(
        g.get(202, 230),
        Some(Visibility::OutOfRange),
        "outside the field of view"
    );
    let full = viewshed(
        &d,
        [200, 200],
        &params(30.0, 0.0, 3000.0, ViewshedMode::Edge),
    )
    .unwrap();
    assert_eq!(g.get(280, 200), full.get(280, 200));
}

#[test]
fn nodata_fill() {
    let mut d = dem(3, 1, |c, _| if c == 1 { -9999.0 } else { 5.0 }).with_nodata(Some(-9999.0));
    assert!(d.is_nodata(1, 0) && !d.is_nodata(0, 0));
    d.fill_nodata(0.0);
    assert_eq!(d.values(), &[5.0, 0.0, 5.0]);
    assert_eq!(d.nodata(), None);
}
