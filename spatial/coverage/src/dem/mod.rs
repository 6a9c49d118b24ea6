//! Visibility over a digital elevation model: GDAL's viewshed algorithm, in memory.
//!
//! - [`Dem`]: a raster of heights (band 1 of a GeoTIFF, read by `coastwatch_io::dem`),
//!   its geotransform, nodata value and how lon/lat points land on its cells ([`DemCrs`]).
//! - [`viewshed`](fn@viewshed): which cells an observer sees, computed exactly like GDAL 3.6's
//!   `GDALViewshedGenerate` (and so `gdal_viewshed`), cell for cell; [`clearance`]: the same
//!   scan giving, per cell, the lowest target height that is still seen.
//! - [`camera_viewshed`]: the same for a [`CameraModel`](crate::CameraModel), computing only the window that
//!   holds its range and field of view.
//! - [`DemTerrain`]: the [`Terrain`](crate::Terrain) oracle over a DEM for a set of cameras.
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

mod raster;
mod scan;
mod terrain;
mod viewshed;

pub use raster::{CrsUnits, Dem, DemCrs, LonLatToXy, WGS84_SEMI_MAJOR_M};
pub use terrain::DemTerrain;
pub use viewshed::{
    Grid, ViewshedMode, ViewshedParams, Visibility, camera_viewshed, clearance, viewshed,
};

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

#[cfg(test)]
mod tests;
