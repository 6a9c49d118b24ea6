//! Visibility over a digital elevation model: GDAL's viewshed algorithm, in memory.
//!
//! - [`Dem`]: a raster of heights (band 1 of a GeoTIFF, read by `coastwatch_io::dem`),
//!   its geotransform, nodata value and how lon/lat points land on its cells ([`DemCrs`]).
//! - [`viewshed`]: which cells an observer sees, computed exactly like GDAL 3.6's
//!   `GDALViewshedGenerate` (and so `gdal_viewshed`), cell for cell; [`clearance`]: the same
//!   scan giving, per cell, the lowest target height that is still seen.
//! - [`camera_viewshed`]: the same for a [`CameraModel`], computing only the window that
//!   holds its range and field of view.
//! - [`DemTerrain`]: the [`Terrain`] oracle over a DEM for a set of cameras.
//!
//! # The algorithm (GDAL 3.6, `alg/viewshed.cpp`)
//!
//! The scan follows Wang et al. (2000), "Generating viewsheds without using sightlines", as
//! GDAL implements it. The observer stands `observer_height_m` above the centre of its cell.
//! Rows are processed outward from the observer's row (up, then down), and each row outward
//! from the observer's column; every cell gets the height of the line of sight through it,
//! interpolated from the cells one step closer to the observer, which already hold
//! `max(their own height, the line of sight through them)`:
//!
//! - all heights are first lowered by the earth's curvature and refraction,
//!   `z -= curvature_coeff · d² / (2 · a)`, with `d` the distance from the observer's cell
//!   (centre to centre, from the geotransform) and `a` the CRS's semi-major axis
//!   (6,378,137 m for WGS 84; no correction when the DEM has no CRS, as in GDAL);
//! - along the observer's row and column, the line through the previous cell:
//!   `zₖ = (zₖ₋₁ − zₒ)/(k − 1) + zₖ₋₁` (for `k = 1` the previous cell's height itself);
//! - elsewhere, by [`ViewshedMode`]: `Edge` (what `gdal_viewshed` uses) extends the line
//!   through the edge between the diagonal neighbour and the neighbour on the more distant
//!   axis; `Diagonal` the plane through the observer and the two axis neighbours; `Max`
//!   and `Min` take the larger or smaller of the two;
//! - a cell is invisible when `height + target_height < line of sight` (strictly), visible
//!   otherwise; the observer's cell and its left and right neighbours are always visible;
//! - with a maximum distance, a cell farther than it (`d² > max²`) is out of range and so is
//!   the rest of its row beyond it; the result covers only the window GDAL writes for that
//!   distance.
//!
//! The arithmetic is done in `f64` in GDAL's order, so results agree bit for bit; the DEM is
//! held as `f32`, which is exact for Float32 GeoTIFFs (GDAL reads them as `f64` too).
//!
//! Nodata cells take part with their stored value, as in GDAL 3.6 (which does no special
//! processing of nodata); where the sea is nodata in a coastal DEM, call
//! [`Dem::fill_nodata`] (sea level 0) first.
//!
//! Distances are in metres. For a projected CRS they come from the geotransform scaled by
//! the CRS's metres per unit (grid distances, as GDAL); for a geographic CRS (degrees) the
//! geotransform is scaled to metres on the sphere at the observer's latitude (east–west by
//! its cosine), which is within 0.1 % over tens of kilometres. GDAL's own viewshed is only
//! meaningful on projected DEMs, and the comparisons with it are made on those.
//!
//! Speed: the four quadrants around the observer depend only on the observer's row and
//! column, so they run on separate threads; [`camera_viewshed`] and [`DemTerrain`]
//! compute only the window holding the camera's sector (exact: a cell depends only on
//! cells between it and the observer).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::{CameraModel, DEFAULT_CURVATURE_COEFF, Terrain};
use coastwatch_core::geodesy;

/// Semi-major axis of the WGS 84 ellipsoid (m), the radius GDAL's curvature correction uses
/// for WGS 84 based CRSs.
pub const WGS84_SEMI_MAJOR_M: f64 = 6_378_137.0;

/// Windows with fewer cells than this are computed on one thread.
const PARALLEL_MIN_CELLS: usize = 250_000;

/// Maps a lon/lat point (degrees, WGS 84) to the DEM CRS's x/y, or `None` where it cannot.
pub type LonLatToXy = Arc<dyn Fn([f64; 2]) -> Option<[f64; 2]> + Send + Sync>;

/// Why a DEM or a viewshed request cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DemError {
    /// The raster itself is unusable (size, values, geotransform).
    #[error("invalid DEM: {0}")]
    Invalid(String),
    /// The observer's cell is not on the DEM.
    #[error(
        "the observer cell (column {col}, row {row}) is outside the DEM \
         ({width} × {height} cells)"
    )]
    ObserverOutside {
        /// Column asked for.
        col: i64,
        /// Row asked for.
        row: i64,
        /// DEM width (cells).
        width: usize,
        /// DEM height (cells).
        height: usize,
    },
    /// A camera does not stand on the DEM.
    #[error(
        "camera {id} at ({lon:.6}, {lat:.6}) is outside the DEM \
         ({width} × {height} cells, CRS {crs}): it lands at column {col:.1}, row {row:.1}"
    )]
    CameraOutside {
        /// The camera's id.
        id: i64,
        /// Its longitude.
        lon: f64,
        /// Its latitude.
        lat: f64,
        /// Where it lands, fractional column (NaN when the CRS cannot place it).
        col: f64,
        /// Where it lands, fractional row.
        row: f64,
        /// DEM width (cells).
        width: usize,
        /// DEM height (cells).
        height: usize,
        /// The DEM's CRS.
        crs: String,
    },
    /// The DEM cannot place lon/lat points (a projected CRS without a transformation).
    #[error("the DEM's CRS {crs} has no lon/lat transformation: cameras cannot be placed on it")]
    NotGeoreferenced {
        /// The DEM's CRS.
        crs: String,
    },
}

/// Horizontal units of a DEM's CRS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CrsUnits {
    /// Geographic: x is longitude and y latitude, in degrees.
    Degrees,
    /// Projected: x and y in a linear unit of this many metres (1 for metres).
    Linear(f64),
}

/// The coordinate reference system of a [`Dem`], as far as the viewshed needs it.
#[derive(Clone)]
pub struct DemCrs {
    /// A name for messages (`EPSG:32651`, …).
    pub name: String,
    /// Horizontal units.
    pub units: CrsUnits,
    /// The ellipsoid's semi-major axis (m) for the curvature correction; `None` turns the
    /// correction off, as GDAL does for a DEM without CRS.
    pub semi_major_m: Option<f64>,
    /// How lon/lat reach the CRS's x/y. `None`: unchanged (x = lon, y = lat), which only
    /// makes sense for [`CrsUnits::Degrees`]; a projected CRS without it cannot place
    /// cameras given in lon/lat.
    pub to_xy: Option<LonLatToXy>,
}

impl DemCrs {
    /// WGS 84 lon/lat (EPSG:4326): coordinates used as they are.
    pub fn lonlat() -> Self {
        Self {
            name: "EPSG:4326".into(),
            units: CrsUnits::Degrees,
            semi_major_m: Some(WGS84_SEMI_MAJOR_M),
            to_xy: None,
        }
    }

    /// A projected CRS in metres on WGS 84 reached from lon/lat by `to_xy`.
    pub fn projected(
        name: impl Into<String>,
        to_xy: impl Fn([f64; 2]) -> Option<[f64; 2]> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            units: CrsUnits::Linear(1.0),
            semi_major_m: Some(WGS84_SEMI_MAJOR_M),
            to_xy: Some(Arc::new(to_xy)),
        }
    }

    /// A local metric grid on WGS 84 with no lon/lat transformation: viewsheds by cell only.
    pub fn local_metres() -> Self {
        Self {
            name: "local metres".into(),
            units: CrsUnits::Linear(1.0),
            semi_major_m: Some(WGS84_SEMI_MAJOR_M),
            to_xy: None,
        }
    }
}

impl fmt::Debug for DemCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemCrs")
            .field("name", &self.name)
            .field("units", &self.units)
            .field("semi_major_m", &self.semi_major_m)
            .field(
                "to_xy",
                &self.to_xy.as_ref().map(|_| "Fn([lon, lat]) -> [x, y]"),
            )
            .finish()
    }
}

/// An elevation raster in memory: row-major heights (m) with GDAL's geotransform
/// (`x = gt[0] + col·gt[1] + row·gt[2]`, `y = gt[3] + col·gt[4] + row·gt[5]`, at cell corners).
#[derive(Clone)]
pub struct Dem {
    width: usize,
    height: usize,
    geotransform: [f64; 6],
    inverse: [f64; 6],
    nodata: Option<f64>,
    values: Vec<f32>,
    crs: DemCrs,
}

impl fmt::Debug for Dem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dem")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("geotransform", &self.geotransform)
            .field("nodata", &self.nodata)
            .field("crs", &self.crs)
            .finish_non_exhaustive()
    }
}

impl Dem {
    /// A DEM of `width` × `height` cells holding `values` row by row from the top-left.
    ///
    /// # Errors
    /// [`DemError::Invalid`] for an empty raster, a value count that does not match the size,
    /// or a geotransform that is not finite or cannot be inverted.
    pub fn new(
        width: usize,
        height: usize,
        geotransform: [f64; 6],
        values: Vec<f32>,
        crs: DemCrs,
    ) -> Result<Self, DemError> {
        if width == 0 || height == 0 {
            return Err(DemError::Invalid(format!(
                "{width} × {height} cells: a DEM needs at least one cell"
            )));
        }
        if width > i32::MAX as usize || height > i32::MAX as usize {
            return Err(DemError::Invalid(format!(
                "{width} × {height} cells: too large"
            )));
        }
        if values.len() != width * height {
            return Err(DemError::Invalid(format!(
                "{} values for {width} × {height} cells",
                values.len()
            )));
        }
        if geotransform.iter().any(|v| !v.is_finite()) {
            return Err(DemError::Invalid(format!(
                "geotransform {geotransform:?} is not finite"
            )));
        }
        let inverse = invert_geotransform(&geotransform).ok_or_else(|| {
            DemError::Invalid(format!("geotransform {geotransform:?} cannot be inverted"))
        })?;
        if let CrsUnits::Linear(m) = crs.units
            && !(m.is_finite() && m > 0.0)
        {
            return Err(DemError::Invalid(format!(
                "CRS {}: {m} metres per unit",
                crs.name
            )));
        }
        Ok(Self {
            width,
            height,
            geotransform,
            inverse,
            nodata: None,
            values,
            crs,
        })
    }

    /// The same DEM with `nodata` marking cells without data.
    pub fn with_nodata(mut self, nodata: Option<f64>) -> Self {
        self.nodata = nodata;
        self
    }

    /// Width (columns).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height (rows).
    pub fn height(&self) -> usize {
        self.height
    }

    /// GDAL's geotransform, in CRS units.
    pub fn geotransform(&self) -> [f64; 6] {
        self.geotransform
    }

    /// The value marking cells without data.
    pub fn nodata(&self) -> Option<f64> {
        self.nodata
    }

    /// The heights, row by row.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The CRS.
    pub fn crs(&self) -> &DemCrs {
        &self.crs
    }

    /// The stored value of a cell (nodata included), `None` off the raster.
    pub fn value(&self, col: usize, row: usize) -> Option<f32> {
        (col < self.width && row < self.height).then(|| self.values[row * self.width + col])
    }

    /// Whether a cell holds the nodata value (NaN nodata matches NaN cells).
    pub fn is_nodata(&self, col: usize, row: usize) -> bool {
        match (self.nodata, self.value(col, row)) {
            (Some(nodata), Some(v)) => f64::from(v) == nodata || (nodata.is_nan() && v.is_nan()),
            _ => false,
        }
    }

    /// Replaces every nodata cell by `height` and forgets the nodata value (coastal DEMs
    /// often leave the sea without data: fill it with 0, sea level).
    pub fn fill_nodata(&mut self, height: f32) {
        if let Some(nodata) = self.nodata.take() {
            for v in &mut self.values {
                if f64::from(*v) == nodata || (nodata.is_nan() && v.is_nan()) {
                    *v = height;
                }
            }
        }
    }

    /// Fractional pixel coordinates (column, row; cell corners at integers) of a CRS point.
    pub fn xy_to_pixel(&self, xy: [f64; 2]) -> [f64; 2] {
        let g = &self.inverse;
        [
            g[0] + xy[0] * g[1] + xy[1] * g[2],
            g[3] + xy[0] * g[4] + xy[1] * g[5],
        ]
    }

    /// The CRS point of fractional pixel coordinates (column, row).
    pub fn pixel_to_xy(&self, px: [f64; 2]) -> [f64; 2] {
        let g = &self.geotransform;
        [
            g[0] + px[0] * g[1] + px[1] * g[2],
            g[3] + px[0] * g[4] + px[1] * g[5],
        ]
    }

    /// Fractional pixel coordinates of a lon/lat point, `None` where the CRS cannot
    /// transform it.
    ///
    /// # Errors
    /// [`DemError::NotGeoreferenced`] when the CRS has no lon/lat transformation.
    pub fn lonlat_to_pixel(&self, lonlat: [f64; 2]) -> Result<Option<[f64; 2]>, DemError> {
        let xy = match (&self.crs.to_xy, self.crs.units) {
            (Some(to_xy), _) => to_xy(lonlat),
            (None, CrsUnits::Degrees) => Some(lonlat),
            (None, CrsUnits::Linear(_)) => {
                return Err(DemError::NotGeoreferenced {
                    crs: self.crs.name.clone(),
                });
            }
        };
        Ok(xy
            .map(|xy| self.xy_to_pixel(xy))
            .filter(|p| p[0].is_finite() && p[1].is_finite()))
    }

    /// The cell (column, row) holding a lon/lat point, `None` off the DEM.
    ///
    /// # Errors
    /// [`DemError::NotGeoreferenced`] when the CRS has no lon/lat transformation.
    pub fn lonlat_to_cell(&self, lonlat: [f64; 2]) -> Result<Option<[usize; 2]>, DemError> {
        Ok(self
            .lonlat_to_pixel(lonlat)?
            .and_then(|p| self.cell_of_pixel(p)))
    }

    fn cell_of_pixel(&self, p: [f64; 2]) -> Option<[usize; 2]> {
        let (col, row) = (p[0].floor(), p[1].floor());
        (col >= 0.0 && row >= 0.0 && col < self.width as f64 && row < self.height as f64)
            .then_some([col as usize, row as usize])
    }

    /// The geotransform in metres, for distances around the cell `at` (column, row): the
    /// CRS's linear unit for a projected CRS, and for a geographic one degrees scaled on the
    /// sphere at the latitude of that cell.
    pub fn metric_geotransform(&self, at: [usize; 2]) -> [f64; 6] {
        let g = self.geotransform;
        let (mx, my) = match self.crs.units {
            CrsUnits::Linear(m) => (m, m),
            CrsUnits::Degrees => {
                let lat = self.pixel_to_xy([at[0] as f64 + 0.5, at[1] as f64 + 0.5])[1];
                let per_deg = geodesy::EARTH_RADIUS_M.to_radians();
                (per_deg * lat.to_radians().cos(), per_deg)
            }
        };
        [g[0], g[1] * mx, g[2] * mx, g[3], g[4] * my, g[5] * my]
    }
}

/// GDAL's `GDALInvGeoTransform`, special case for north-up rasters included.
fn invert_geotransform(g: &[f64; 6]) -> Option<[f64; 6]> {
    if g[2] == 0.0 && g[4] == 0.0 && g[1] != 0.0 && g[5] != 0.0 {
        return Some([-g[0] / g[1], 1.0 / g[1], 0.0, -g[3] / g[5], 0.0, 1.0 / g[5]]);
    }
    let det = g[1] * g[5] - g[2] * g[4];
    let magnitude = g[1].abs().max(g[2].abs()).max(g[4].abs().max(g[5].abs()));
    if det.abs() <= 1e-10 * magnitude * magnitude || !det.is_finite() {
        return None;
    }
    let inv_det = 1.0 / det;
    Some([
        (g[2] * g[3] - g[0] * g[5]) * inv_det,
        g[5] * inv_det,
        -g[2] * inv_det,
        (-g[1] * g[3] + g[0] * g[4]) * inv_det,
        -g[4] * inv_det,
        g[1] * inv_det,
    ])
}

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
    col_off: usize,
    row_off: usize,
    width: usize,
    height: usize,
    cells: Vec<T>,
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
/// `GDALViewshedGenerate` computes it (see the [module docs](self)); the grid covers the
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

fn clearance_of(ground: f64, sight: f64) -> f32 {
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
fn camera_cell(dem: &Dem, camera: &CameraModel) -> Result<[usize; 2], DemError> {
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
fn sector_window(dem: &Dem, camera: &CameraModel, scan: &Scan<'_>, range_m: f64) -> Window {
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

/// A window of DEM cells `[c0, c1) × [r0, r1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    c0: usize,
    r0: usize,
    c1: usize,
    r1: usize,
}

/// One observer over one DEM: what every quadrant of the scan shares.
struct Scan<'a> {
    dem: &'a Dem,
    observer: [usize; 2],
    /// Metric geotransform terms: x = g1·dc + g2·dr, y = g4·dc + g5·dr.
    g1: f64,
    g2: f64,
    g4: f64,
    g5: f64,
    inverse_metric: Option<[f64; 6]>,
    curvature_coeff: f64,
    /// `2 · a`, infinite without curvature correction.
    diameter: f64,
    /// Observer's eye height (ground + observer height).
    zo: f64,
}

impl<'a> Scan<'a> {
    fn new(
        dem: &'a Dem,
        observer: [usize; 2],
        observer_height_m: f64,
        curvature_coeff: f64,
    ) -> Result<Self, DemError> {
        let [col, row] = observer;
        if col >= dem.width || row >= dem.height {
            return Err(DemError::ObserverOutside {
                col: col as i64,
                row: row as i64,
                width: dem.width,
                height: dem.height,
            });
        }
        let g = dem.metric_geotransform(observer);
        Ok(Self {
            dem,
            observer,
            g1: g[1],
            g2: g[2],
            g4: g[4],
            g5: g[5],
            inverse_metric: invert_geotransform(&g),
            curvature_coeff,
            diameter: dem.crs.semi_major_m.map_or(f64::INFINITY, |a| a * 2.0),
            zo: observer_height_m + f64::from(dem.values[row * dem.width + col]),
        })
    }

    /// The window GDAL computes for a maximum distance (the whole DEM without one).
    fn distance_window(&self, max_distance_m: f64) -> Window {
        let (w, h) = (self.dem.width, self.dem.height);
        let whole = Window {
            c0: 0,
            r0: 0,
            c1: w,
            r1: h,
        };
        let Some(inv) = self.inverse_metric.filter(|_| max_distance_m > 0.0) else {
            return whole;
        };
        let (x, y) = (self.observer[0] as f64, self.observer[1] as f64);
        let (sx, sy) = (inv[1].abs() * max_distance_m, inv[5].abs() * max_distance_m);
        let to_index = |v: f64, max: usize| v.clamp(0.0, max as f64) as usize;
        Window {
            c0: to_index((x - sx).floor(), w),
            c1: to_index((x + sx).ceil() + 1.0, w).max(self.observer[0] + 1),
            r0: to_index((y - sy).floor(), h),
            r1: to_index((y + sy).ceil() + 1.0, h).max(self.observer[1] + 1),
        }
    }

    /// Runs the scan over `window` (which must hold the observer), mapping each computed cell
    /// to `classify(ground after curvature, line-of-sight height)` and cells beyond
    /// `max_distance_m` to `out_of_range`.
    fn run<T, F>(
        &self,
        window: Window,
        max_distance_m: f64,
        mode: ViewshedMode,
        parallel: bool,
        out_of_range: T,
        classify: F,
    ) -> Grid<T>
    where
        T: Copy + Send + Sync,
        F: Fn(f64, f64) -> T + Sync,
    {
        let window = Window {
            c0: window.c0.min(self.observer[0]),
            r0: window.r0.min(self.observer[1]),
            c1: window.c1.max(self.observer[0] + 1).min(self.dem.width),
            r1: window.r1.max(self.observer[1] + 1).min(self.dem.height),
        };
        let width = window.c1 - window.c0;
        let height = window.r1 - window.r0;
        let ox = self.observer[0] - window.c0;
        let oy = self.observer[1] - window.r0;
        let quadrant = |right: bool, down: bool| Quadrant {
            right,
            down,
            n: if right { width - 1 - ox } else { ox },
            m: if down { height - 1 - oy } else { oy },
        };
        let quadrants = [
            quadrant(false, false),
            quadrant(true, false),
            quadrant(false, true),
            quadrant(true, true),
        ];
        let kernel = Kernel {
            scan: self,
            window,
            max_distance2: max_distance_m * max_distance_m,
            mode,
            out_of_range,
            classify: &classify,
        };
        let threads = if parallel && width * height >= PARALLEL_MIN_CELLS {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        } else {
            1
        };
        let results: Vec<Vec<T>> = if threads > 1 {
            let next = AtomicUsize::new(0);
            let mut slots: Vec<(usize, Vec<T>)> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut done = Vec::new();
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some(q) = quadrants.get(i) else { break };
                                done.push((i, kernel.quadrant(q)));
                            }
                            done
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            slots.sort_by_key(|(i, _)| *i);
            slots.into_iter().map(|(_, v)| v).collect()
        } else {
            quadrants.iter().map(|q| kernel.quadrant(q)).collect()
        };

        // Assemble: left quadrants own the observer's column, upper ones the observer's row.
        let mut cells = vec![out_of_range; width * height];
        for (q, values) in quadrants.iter().zip(&results) {
            let stride = q.n + 1;
            for dy in 0..=q.m {
                if q.down && dy == 0 {
                    continue;
                }
                let row = if q.down { oy + dy } else { oy - dy };
                let src = &values[dy * stride..(dy + 1) * stride];
                let dst = &mut cells[row * width..(row + 1) * width];
                if q.right {
                    dst[ox + 1..].copy_from_slice(&src[1..]);
                } else {
                    for (d, s) in dst[..=ox].iter_mut().rev().zip(src) {
                        *d = *s;
                    }
                }
            }
        }
        Grid {
            col_off: window.c0,
            row_off: window.r0,
            width,
            height,
            cells,
        }
    }
}

/// A quarter of the window: columns `0..=n` outward from the observer's column (leftward or
/// rightward), rows `0..=m` outward from the observer's row (up or down).
struct Quadrant {
    right: bool,
    down: bool,
    n: usize,
    m: usize,
}

struct Kernel<'s, 'a, T, F> {
    scan: &'s Scan<'a>,
    window: Window,
    max_distance2: f64,
    mode: ViewshedMode,
    out_of_range: T,
    classify: &'s F,
}

impl<T, F> Kernel<'_, '_, T, F>
where
    T: Copy,
    F: Fn(f64, f64) -> T,
{
    /// GDAL's `AdjustHeightInRange`: lowers `z` by the curvature correction at offset
    /// (`dx`, `dy`) cells and says whether the cell is within the maximum distance.
    #[inline(always)]
    fn adjust(&self, dx: f64, dy: f64, z: &mut f64) -> bool {
        let s = self.scan;
        if self.max_distance2 <= 0.0 && s.curvature_coeff == 0.0 {
            return true;
        }
        let x = s.g1 * dx + s.g2 * dy;
        let y = s.g4 * dx + s.g5 * dy;
        let r2 = x * x + y * y;
        if s.curvature_coeff != 0.0 && s.diameter != f64::INFINITY {
            *z -= s.curvature_coeff * r2 / s.diameter;
        }
        !(self.max_distance2 > 0.0 && r2 > self.max_distance2)
    }

    /// GDAL's `CalcHeightLine`: the line through the observer's eye and the previous cell.
    #[inline(always)]
    fn line(&self, i: f64, za: f64) -> f64 {
        if i == 1.0 {
            za
        } else {
            (za - self.scan.zo) / (i - 1.0) + za
        }
    }

    /// GDAL's `CalcHeightEdge`.
    #[inline(always)]
    fn edge(&self, i: f64, j: f64, za: f64, zb: f64) -> f64 {
        if i == j {
            self.line(i, za)
        } else {
            let zo = self.scan.zo;
            ((za - zo) * i + (zb - zo) * (j - i)) / (j - 1.0) + zo
        }
    }

    /// GDAL's `CalcHeightDiagonal`.
    #[inline(always)]
    fn diagonal(&self, i: f64, j: f64, za: f64, zb: f64) -> f64 {
        let zo = self.scan.zo;
        ((za - zo) * i + (zb - zo) * j) / (i + j - 1.0) + zo
    }

    /// Reads row `row` (window-relative) outward from the observer's column into `buf`.
    fn gather(&self, q: &Quadrant, row: usize, buf: &mut [f64]) {
        let dem = self.scan.dem;
        let start = (self.window.r0 + row) * dem.width;
        let ox = self.scan.observer[0];
        let src = &dem.values[start..start + dem.width];
        if q.right {
            for (b, &v) in buf.iter_mut().zip(&src[ox..=ox + q.n]) {
                *b = f64::from(v);
            }
        } else {
            for (b, &v) in buf.iter_mut().zip(src[ox - q.n..=ox].iter().rev()) {
                *b = f64::from(v);
            }
        }
    }

    /// One quadrant, rows outward, each row outward: `(m + 1) × (n + 1)` values.
    fn quadrant(&self, q: &Quadrant) -> Vec<T> {
        let stride = q.n + 1;
        let mut out = vec![self.out_of_range; stride * (q.m + 1)];
        let mut this = vec![0.0f64; stride];
        let mut last = vec![0.0f64; stride];
        let oy = self.scan.observer[1] - self.window.r0;
        let classify = self.classify;

        // The observer's row: the observer and its neighbour are seen; then along the line.
        self.gather(q, oy, &mut this);
        {
            let row = &mut out[..stride];
            row[0] = classify(this[0], f64::NEG_INFINITY);
            if stride > 1 {
                let _ = self.adjust(1.0, 0.0, &mut this[1]);
                row[1] = classify(this[1], f64::NEG_INFINITY);
            }
            for k in 2..stride {
                let mut z = this[k];
                if !self.adjust(k as f64, 0.0, &mut z) {
                    break;
                }
                let sight = self.line(k as f64, this[k - 1]);
                row[k] = classify(z, sight);
                this[k] = if z < sight { sight } else { z };
            }
        }

        for dy in 1..=q.m {
            std::mem::swap(&mut this, &mut last);
            let row_index = if q.down { oy + dy } else { oy - dy };
            self.gather(q, row_index, &mut this);
            let row = &mut out[dy * stride..(dy + 1) * stride];
            let dyf = dy as f64;
            let mut z0 = this[0];
            if !self.adjust(0.0, dyf, &mut z0) {
                // Every farther cell of this row and of the rows beyond is out of range too.
                break;
            }
            let sight = self.line(dyf, last[0]);
            row[0] = classify(z0, sight);
            this[0] = if z0 < sight { sight } else { z0 };
            match self.mode {
                ViewshedMode::Diagonal => self.row_with(row, &mut this, &last, dyf, |k, t, l| {
                    self.diagonal(k, dyf, t[1], l[0])
                }),
                ViewshedMode::Edge => self.row_with(row, &mut this, &last, dyf, |k, t, l| {
                    self.edge_of(k, dyf, t, l)
                }),
                ViewshedMode::Max => self.row_with(row, &mut this, &last, dyf, |k, t, l| {
                    let d = self.diagonal(k, dyf, t[1], l[0]);
                    let e = self.edge_of(k, dyf, t, l);
                    // std::max(d, e)
                    if d < e { e } else { d }
                }),
                ViewshedMode::Min => self.row_with(row, &mut this, &last, dyf, |k, t, l| {
                    let d = self.diagonal(k, dyf, t[1], l[0]);
                    let e = self.edge_of(k, dyf, t, l);
                    // std::min(d, e)
                    if e < d { e } else { d }
                }),
            }
        }
        out
    }

    /// The edge-mode height at `k` columns out: `t` = this row `[k, k - 1]`,
    /// `l` = last row `[k, k - 1]`.
    #[inline(always)]
    fn edge_of(&self, k: f64, dy: f64, t: [f64; 2], l: [f64; 2]) -> f64 {
        if k >= dy {
            self.edge(dy, k, l[1], t[1])
        } else {
            self.edge(k, dy, l[1], l[0])
        }
    }

    /// Cells `1..` of a row off the observer's row, with `sight(k, [this[k], this[k-1]],
    /// [last[k], last[k-1]])` giving the line-of-sight height.
    #[inline(always)]
    fn row_with(
        &self,
        row: &mut [T],
        this: &mut [f64],
        last: &[f64],
        dy: f64,
        sight_of: impl Fn(f64, [f64; 2], [f64; 2]) -> f64,
    ) {
        let classify = self.classify;
        let n = this.len();
        let (row, this, last) = (&mut row[..n], &mut this[..n], &last[..n]);
        let mut prev = this[0];
        for k in 1..n {
            let mut z = this[k];
            let kf = k as f64;
            if !self.adjust(kf, dy, &mut z) {
                break;
            }
            let sight = sight_of(kf, [z, prev], [last[k], last[k - 1]]);
            row[k] = classify(z, sight);
            prev = if z < sight { sight } else { z };
            this[k] = prev;
        }
    }
}

/// A camera as the cache key of [`DemTerrain`]: every field, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CameraKey([u64; 8]);

impl From<&CameraModel> for CameraKey {
    fn from(c: &CameraModel) -> Self {
        Self([
            c.id as u64,
            c.lon.to_bits(),
            c.lat.to_bits(),
            c.height_m.to_bits(),
            c.heading_deg.to_bits(),
            c.hfov_deg.to_bits(),
            c.range_m.to_bits(),
            c.near_range_m.to_bits(),
        ])
    }
}

/// Line of sight over a DEM: the [`Terrain`] of coverage planning with hills.
///
/// Built for a set of cameras, it computes each camera's [`clearance`] over the window
/// holding its sector (range plus two cells and 1 %, so every target that passes
/// [`CameraModel::sight`]'s range and field-of-view checks lies inside), cameras shared
/// among one thread per core. A camera it was not built for is computed on its first
/// question and kept.
/// The camera's eye is `height_m` above its cell; a target is seen when
/// `target_height_m` above its cell reaches the line of sight (GDAL's rule; edge mode by
/// default). A target off the DEM, or one whose camera is off the DEM, is not seen.
/// Nodata cells count with their stored value (see [`Dem::fill_nodata`]).
pub struct DemTerrain {
    dem: Arc<Dem>,
    curvature_coeff: f64,
    mode: ViewshedMode,
    sheds: RwLock<HashMap<CameraKey, Arc<Grid<f32>>>>,
}

impl fmt::Debug for DemTerrain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemTerrain")
            .field("dem", &self.dem)
            .field("curvature_coeff", &self.curvature_coeff)
            .field("mode", &self.mode)
            .field("cameras", &self.sheds.read().map_or(0, |sheds| sheds.len()))
            .finish()
    }
}

impl DemTerrain {
    /// Line of sight for `cameras` over `dem` with the default curvature coefficient and
    /// GDAL's edge mode.
    ///
    /// # Errors
    /// [`DemError::CameraOutside`] for a camera not on the DEM,
    /// [`DemError::NotGeoreferenced`] when the DEM cannot place lon/lat points.
    pub fn new(dem: impl Into<Arc<Dem>>, cameras: &[CameraModel]) -> Result<Self, DemError> {
        Self::with_options(dem, cameras, DEFAULT_CURVATURE_COEFF, ViewshedMode::Edge)
    }

    /// Line of sight with a given curvature coefficient and mode.
    ///
    /// # Errors
    /// As [`DemTerrain::new`].
    pub fn with_options(
        dem: impl Into<Arc<Dem>>,
        cameras: &[CameraModel],
        curvature_coeff: f64,
        mode: ViewshedMode,
    ) -> Result<Self, DemError> {
        let terrain = Self {
            dem: dem.into(),
            curvature_coeff,
            mode,
            sheds: RwLock::new(HashMap::new()),
        };
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(cameras.len())
            .max(1);
        let computed: Vec<(CameraKey, Result<Grid<f32>, DemError>)> = if workers > 1 {
            let next = AtomicUsize::new(0);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..workers)
                    .map(|_| {
                        s.spawn(|| {
                            let mut done = Vec::new();
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some(camera) = cameras.get(i) else { break };
                                done.push((camera.into(), terrain.compute(camera, false)));
                            }
                            done
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        } else {
            cameras
                .iter()
                .map(|c| (c.into(), terrain.compute(c, true)))
                .collect()
        };
        {
            let mut sheds = terrain
                .sheds
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            for (key, shed) in computed {
                sheds.insert(key, Arc::new(shed?));
            }
        }
        Ok(terrain)
    }

    /// The DEM.
    pub fn dem(&self) -> &Dem {
        &self.dem
    }

    /// Computes (if not yet done) the line of sight of one more camera.
    ///
    /// # Errors
    /// As [`DemTerrain::new`].
    pub fn add_camera(&self, camera: &CameraModel) -> Result<(), DemError> {
        self.shed(camera).map(|_| ())
    }

    /// The lowest height (m) above the ground at `target` (lon, lat) that `camera` sees:
    /// 0 where it sees the ground, `None` where it cannot see at all (off the DEM, beyond
    /// its range window).
    ///
    /// # Errors
    /// As [`DemTerrain::new`], for the camera.
    pub fn clearance_m(
        &self,
        camera: &CameraModel,
        target: [f64; 2],
    ) -> Result<Option<f64>, DemError> {
        let shed = self.shed(camera)?;
        let Some([col, row]) = self.dem.lonlat_to_cell(target)? else {
            return Ok(None);
        };
        Ok(shed.get(col, row).filter(|c| c.is_finite()).map(f64::from))
    }

    fn shed(&self, camera: &CameraModel) -> Result<Arc<Grid<f32>>, DemError> {
        let key = CameraKey::from(camera);
        if let Some(shed) = self
            .sheds
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(shed.clone());
        }
        let shed = Arc::new(self.compute(camera, true)?);
        self.sheds
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, shed.clone());
        Ok(shed)
    }

    fn compute(&self, camera: &CameraModel, parallel: bool) -> Result<Grid<f32>, DemError> {
        let dem = &*self.dem;
        let observer = camera_cell(dem, camera)?;
        let scan = Scan::new(dem, observer, camera.height_m, self.curvature_coeff)?;
        let g = dem.metric_geotransform(observer);
        let cell_diagonal = (g[1].abs() + g[2].abs()).hypot(g[4].abs() + g[5].abs());
        let reach = camera.range_m * 1.01 + 2.0 * cell_diagonal;
        let window = sector_window(dem, camera, &scan, reach);
        Ok(scan.run(
            window,
            reach,
            self.mode,
            parallel,
            f32::INFINITY,
            clearance_of,
        ))
    }
}

impl Terrain for DemTerrain {
    fn line_of_sight(&self, camera: &CameraModel, target: [f64; 2], target_height_m: f64) -> bool {
        match self.clearance_m(camera, target) {
            Ok(Some(needed)) => needed <= target_height_m,
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, camera = camera.id, "no line of sight over the DEM");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sight;

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
}
