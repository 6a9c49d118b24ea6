//! The viewshed API: its parameters and result grid, [`viewshed`], [`clearance`] and a
//! camera's sector ([`camera_viewshed`]).

use serde::{Deserialize, Serialize};

use super::DemError;
use super::raster::{Dem, invert_geotransform};
use super::scan::{Scan, Window};
use crate::{CameraModel, DEFAULT_CURVATURE_COEFF};
use coastwatch_core::geodesy;

/// How the line-of-sight height of a cell off the observer's row and column is taken from
/// its neighbours (GDAL's `GDALViewshedMode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewshedMode {
    /// The plane through the observer and the two neighbours on the axes (`GVM_Diagonal`).
    Diagonal,
    /// The line through the edge between the diagonal neighbour and the neighbour on the
    /// longer axis (`GVM_Edge`): what `gdal_viewshed` uses.
    #[default]
    Edge,
    /// The larger of the two (`GVM_Max`): the most cautious.
    Max,
    /// The smaller of the two (`GVM_Min`).
    Min,
}

/// What a viewshed cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Visibility {
    /// Beyond the maximum distance (or, for a camera, outside its sector or in its near range).
    OutOfRange = 0,
    /// Hidden.
    Invisible = 1,
    /// Seen.
    Visible = 2,
}

/// Values over a window of a DEM: `width` × `height` cells from (`col_off`, `row_off`).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid<T = Visibility> {
    pub(super) col_off: usize,
    pub(super) row_off: usize,
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) cells: Vec<T>,
}

impl<T: Copy> Grid<T> {
    /// First column of the window, in DEM cells.
    pub fn col_off(&self) -> usize {
        self.col_off
    }

    /// First row of the window, in DEM cells.
    pub fn row_off(&self) -> usize {
        self.row_off
    }

    /// Window width (columns).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Window height (rows).
    pub fn height(&self) -> usize {
        self.height
    }

    /// The cells, row by row.
    pub fn cells(&self) -> &[T] {
        &self.cells
    }

    /// The value at DEM cell (`col`, `row`), `None` outside the window.
    pub fn get(&self, col: usize, row: usize) -> Option<T> {
        let c = col.checked_sub(self.col_off)?;
        let r = row.checked_sub(self.row_off)?;
        (c < self.width && r < self.height).then(|| self.cells[r * self.width + c])
    }
}

impl Grid<Visibility> {
    /// How many cells have visibility `v`.
    pub fn count(&self, v: Visibility) -> usize {
        self.cells.iter().filter(|&&c| c == v).count()
    }
}

/// The parameters of [`viewshed`], named as in `gdal_viewshed`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ViewshedParams {
    /// Observer height above its cell (`-oz`, m).
    pub observer_height_m: f64,
    /// Target height above each cell (`-tz`, m).
    pub target_height_m: f64,
    /// Curvature coefficient (`-cc`): 1 − refraction coefficient, 0 for none.
    pub curvature_coeff: f64,
    /// Maximum distance (`-md`, m); 0 for the whole raster.
    pub max_distance_m: f64,
    /// How heights are interpolated (`gdal_viewshed` always uses [`ViewshedMode::Edge`]).
    pub mode: ViewshedMode,
}

impl Default for ViewshedParams {
    /// `gdal_viewshed`'s defaults: observer 2 m, target 0 m, coefficient 0.85714, no
    /// maximum distance, edge mode.
    fn default() -> Self {
        Self {
            observer_height_m: 2.0,
            target_height_m: 0.0,
            curvature_coeff: DEFAULT_CURVATURE_COEFF,
            max_distance_m: 0.0,
            mode: ViewshedMode::Edge,
        }
    }
}

/// The viewshed of an observer at cell `observer` (column, row), cell for cell as GDAL's
/// `GDALViewshedGenerate` computes it (see the [module docs](super)); the grid covers the
/// window GDAL writes: the whole DEM, or with a maximum distance the cells within it.
///
/// # Errors
/// [`DemError::ObserverOutside`] when the cell is not on the DEM.
pub fn viewshed(
    dem: &Dem,
    observer: [usize; 2],
    params: &ViewshedParams,
) -> Result<Grid, DemError> {
    let scan = Scan::new(
        dem,
        observer,
        params.observer_height_m,
        params.curvature_coeff,
    )?;
    let window = scan.distance_window(params.max_distance_m);
    let tz = params.target_height_m;
    Ok(scan.run(
        window,
        params.max_distance_m,
        params.mode,
        true,
        Visibility::OutOfRange,
        |ground, sight| {
            if ground + tz < sight {
                Visibility::Invisible
            } else {
                Visibility::Visible
            }
        },
    ))
}

/// The same scan as [`viewshed`], giving per cell the lowest target height (m above the
/// cell, after the curvature correction) that the observer still sees: 0 where the ground
/// itself is seen, infinity out of range. Like GDAL's `GVOT_MIN_TARGET_HEIGHT_FROM_GROUND`
/// (`gdal_viewshed -om GROUND`); `params.target_height_m` is not used.
///
/// # Errors
/// [`DemError::ObserverOutside`] when the cell is not on the DEM.
pub fn clearance(
    dem: &Dem,
    observer: [usize; 2],
    params: &ViewshedParams,
) -> Result<Grid<f32>, DemError> {
    let scan = Scan::new(
        dem,
        observer,
        params.observer_height_m,
        params.curvature_coeff,
    )?;
    let window = scan.distance_window(params.max_distance_m);
    Ok(scan.run(
        window,
        params.max_distance_m,
        params.mode,
        true,
        f32::INFINITY,
        clearance_of,
    ))
}

pub(super) fn clearance_of(ground: f64, sight: f64) -> f32 {
    let c = (sight - ground) as f32;
    if c > 0.0 { c } else { 0.0 }
}

/// The viewshed of a camera restricted to its range and field of view: only the window
/// holding the sector is computed (the same cells as [`viewshed`] with the camera's range
/// as maximum distance), and cells outside the sector or inside the near range are
/// [`Visibility::OutOfRange`]. Bearings are true bearings at the camera (the DEM grid's
/// convergence is taken into account); the camera stands `camera.height_m` above its cell.
///
/// # Errors
/// [`DemError::CameraOutside`] when the camera is not on the DEM,
/// [`DemError::NotGeoreferenced`] when the DEM cannot place lon/lat points.
pub fn camera_viewshed(
    dem: &Dem,
    camera: &CameraModel,
    target_height_m: f64,
    curvature_coeff: f64,
    mode: ViewshedMode,
) -> Result<Grid, DemError> {
    let observer = camera_cell(dem, camera)?;
    let scan = Scan::new(dem, observer, camera.height_m, curvature_coeff)?;
    let window = sector_window(dem, camera, &scan, camera.range_m);
    let tz = target_height_m;
    let mut grid = scan.run(
        window,
        camera.range_m,
        mode,
        true,
        Visibility::OutOfRange,
        |ground, sight| {
            if ground + tz < sight {
                Visibility::Invisible
            } else {
                Visibility::Visible
            }
        },
    );
    // Cells outside the sector or in the near range: measured in a local true-north frame.
    let frame = LocalPixelFrame::new(dem, camera, observer);
    let full_circle = camera.hfov_deg >= 360.0;
    for r in 0..grid.height {
        for c in 0..grid.width {
            let cell = &mut grid.cells[r * grid.width + c];
            if *cell == Visibility::OutOfRange {
                continue;
            }
            let dc = (grid.col_off + c) as f64 - observer[0] as f64;
            let dr = (grid.row_off + r) as f64 - observer[1] as f64;
            if dc == 0.0 && dr == 0.0 {
                continue;
            }
            let [east, north] = frame.to_metres(dc, dr);
            let distance = east.hypot(north);
            let off_axis = if full_circle {
                0.0
            } else {
                let bearing = east.atan2(north).to_degrees();
                ((bearing - camera.heading_deg + 540.0).rem_euclid(360.0) - 180.0).abs()
            };
            if distance < camera.near_range_m || off_axis > camera.hfov_deg / 2.0 {
                *cell = Visibility::OutOfRange;
            }
        }
    }
    Ok(grid)
}

/// The cell a camera stands on.
pub(super) fn camera_cell(dem: &Dem, camera: &CameraModel) -> Result<[usize; 2], DemError> {
    let pixel = dem.lonlat_to_pixel([camera.lon, camera.lat])?;
    pixel.and_then(|p| dem.cell_of_pixel(p)).ok_or_else(|| {
        let p = pixel.unwrap_or([f64::NAN, f64::NAN]);
        DemError::CameraOutside {
            id: camera.id,
            lon: camera.lon,
            lat: camera.lat,
            col: p[0],
            row: p[1],
            width: dem.width,
            height: dem.height,
            crs: dem.crs.name.clone(),
        }
    })
}

/// Pixel offsets from a camera's cell to local metres east and north (true north), linear
/// around the camera: probes 100 m north and east through the DEM's CRS.
struct LocalPixelFrame {
    /// Inverse of [[east col, north col], [east row, north row]] (pixels per metre).
    to_metres: [f64; 4],
}

impl LocalPixelFrame {
    fn new(dem: &Dem, camera: &CameraModel, observer: [usize; 2]) -> Self {
        let here = [camera.lon, camera.lat];
        let probe = |bearing: f64| -> Option<[f64; 2]> {
            let a = dem.lonlat_to_pixel(here).ok()??;
            let b = dem
                .lonlat_to_pixel(geodesy::destination(here, bearing, 100.0))
                .ok()??;
            Some([(b[0] - a[0]) / 100.0, (b[1] - a[1]) / 100.0])
        };
        let metric = dem.metric_geotransform(observer);
        // Fallback: grid north from the metric geotransform.
        let grid = || {
            let inv = invert_geotransform(&metric).unwrap_or([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
            ([inv[1], inv[4]], [inv[2], inv[5]])
        };
        let (east, north) = match (probe(90.0), probe(0.0)) {
            (Some(e), Some(n)) => (e, n),
            _ => grid(),
        };
        // [dc, dr] = east_m · east + north_m · north; invert the 2 × 2 matrix.
        let det = east[0] * north[1] - north[0] * east[1];
        let to_metres = if det.abs() > 0.0 && det.is_finite() {
            [
                north[1] / det,
                -north[0] / det,
                -east[1] / det,
                east[0] / det,
            ]
        } else {
            let (e, n) = grid();
            let d = e[0] * n[1] - n[0] * e[1];
            [n[1] / d, -n[0] / d, -e[1] / d, e[0] / d]
        };
        Self { to_metres }
    }

    fn to_metres(&self, dc: f64, dr: f64) -> [f64; 2] {
        let m = &self.to_metres;
        [m[0] * dc + m[1] * dr, m[2] * dc + m[3] * dr]
    }
}

/// The window holding a camera's sector out to `range_m`, intersected with GDAL's window for
/// that distance; GDAL's window alone when the sector cannot be placed.
pub(super) fn sector_window(
    dem: &Dem,
    camera: &CameraModel,
    scan: &Scan<'_>,
    range_m: f64,
) -> Window {
    let limit = scan.distance_window(range_m);
    if camera.hfov_deg >= 360.0 {
        return limit;
    }
    let here = [camera.lon, camera.lat];
    let half = camera.hfov_deg / 2.0;
    let steps = (camera.hfov_deg.ceil() as usize).max(2);
    let mut lo = [scan.observer[0] as f64, scan.observer[1] as f64];
    let mut hi = [lo[0] + 1.0, lo[1] + 1.0];
    for i in 0..=steps {
        let bearing = camera.heading_deg - half + camera.hfov_deg * i as f64 / steps as f64;
        let Ok(Some(p)) = dem.lonlat_to_pixel(geodesy::destination(here, bearing, range_m)) else {
            return limit;
        };
        for a in 0..2 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    // Two cells of margin for the sampled arc and rounding.
    let clamp = |v: f64, max: usize| v.clamp(0.0, max as f64) as usize;
    let c0 = clamp((lo[0] - 2.0).floor(), dem.width).max(limit.c0);
    let r0 = clamp((lo[1] - 2.0).floor(), dem.height).max(limit.r0);
    let c1 = clamp((hi[0] + 2.0).ceil(), dem.width).min(limit.c1);
    let r1 = clamp((hi[1] + 2.0).ceil(), dem.height).min(limit.r1);
    Window { c0, r0, c1, r1 }
}
