//! The elevation raster and its CRS: [`Dem`], [`DemCrs`], [`CrsUnits`], and how lon/lat
//! points land on its cells.

use std::fmt;
use std::sync::Arc;

use super::DemError;
use coastwatch_core::geodesy;

/// Semi-major axis of the WGS 84 ellipsoid (m), the radius GDAL's curvature correction uses
/// for WGS 84 based CRSs.
pub const WGS84_SEMI_MAJOR_M: f64 = 6_378_137.0;

/// Maps a lon/lat point (degrees, WGS 84) to the DEM CRS's x/y, or `None` where it cannot.
pub type LonLatToXy = Arc<dyn Fn([f64; 2]) -> Option<[f64; 2]> + Send + Sync>;

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
    pub(super) width: usize,
    pub(super) height: usize,
    geotransform: [f64; 6],
    inverse: [f64; 6],
    nodata: Option<f64>,
    pub(super) values: Vec<f32>,
    pub(super) crs: DemCrs,
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

    pub(super) fn cell_of_pixel(&self, p: [f64; 2]) -> Option<[usize; 2]> {
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
pub(super) fn invert_geotransform(g: &[f64; 6]) -> Option<[f64; 6]> {
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
