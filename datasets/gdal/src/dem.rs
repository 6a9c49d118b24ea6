//! Digital elevation models through GDAL, in the helper process: [`read_dem`] turns a
//! GeoTIFF (or any single-band raster GDAL opens, in any projected or geographic CRS) into a
//! [`Dem`] for viewsheds; [`write_dem`] writes one back as a Float32 GeoTIFF.
//!
//! # Lon/lat to DEM cells
//!
//! Cameras and targets come in WGS 84 lon/lat. A DEM in EPSG:4326 takes them as they are.
//! For any other CRS the reader builds a lookup table once: a square grid of lon/lat nodes
//! over the DEM's extent (plus 2 %), each transformed by GDAL/PROJ (`CoordTransform` from
//! EPSG:4326 in traditional lon/lat order to the DEM's CRS), and bilinear interpolation
//! between them ([`LonLatGrid`]). The grid is refined (33 → 65 → … → 1025 nodes a side) until the
//! interpolation is within 1/100 of a cell of PROJ at the centre of every grid square. The
//! result is plain data: the `Dem` stays `Send + Sync` (a GDAL transformation is neither)
//! and a lookup costs nanoseconds instead of a PROJ call. Points beyond the table's extent
//! by more than its size are refused (they are far off the DEM anyway).

use std::path::{Path, PathBuf};

use coastwatch_coverage::dem::{self as spatial_dem, CrsUnits, Dem, DemCrs};
use coastwatch_io::dem::LonLatGrid;
use gdal::raster::{Buffer, GdalDataType};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::{Dataset, DatasetOptions, DriverManager, GdalOpenFlags};

use crate::gdal_reason;

/// Nodes a side of the first lon/lat lookup table.
const FIRST_GRID: usize = 33;
/// Nodes a side beyond which the table is not refined.
const LAST_GRID: usize = 1025;
/// Largest interpolation error accepted, in cells.
const MAX_ERROR_CELLS: f64 = 0.01;

/// Why a DEM cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemError {
    /// The file does not exist.
    #[error("no such file: {}", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// GDAL cannot open the file as a raster (not a raster format, broken content).
    #[error("cannot open {} as a raster DEM: {reason}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// GDAL's message.
        reason: String,
    },
    /// The file opens but is not a single band of heights.
    #[error("{} is not an elevation raster: {reason}", path.display())]
    NotElevation {
        /// The file.
        path: PathBuf,
        /// What is wrong (no band, several bands, a colour palette, complex values).
        reason: String,
    },
    /// The raster has no georeferencing (geotransform or CRS).
    #[error("{} is not georeferenced: {reason}", path.display())]
    NotGeoreferenced {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The raster's CRS cannot be related to WGS 84 lon/lat.
    #[error("{}: coordinate reference system {crs} cannot be transformed from EPSG:4326: {reason}", path.display())]
    Crs {
        /// The file.
        path: PathBuf,
        /// The CRS as the file names it.
        crs: String,
        /// GDAL's or PROJ's message.
        reason: String,
    },
    /// Reading or writing the cells failed.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// GDAL's message.
        reason: String,
    },
    /// The raster's size or geotransform cannot make a DEM.
    #[error("{}: {source}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The rule it breaks.
        source: spatial_dem::DemError,
    },
}

/// Reads band 1 of the raster at `path` as a DEM: heights as `f32` (no scale or offset
/// applied, as GDAL's viewshed reads them), the nodata value, the geotransform, and the CRS
/// with its lon/lat lookup (see the [module docs](self)).
///
/// # Errors
/// [`DemError`] when the file is missing, is not a raster GDAL opens, has other than one
/// band, holds a colour palette or complex values, has no geotransform or CRS, or a CRS
/// PROJ cannot reach from EPSG:4326.
pub fn read_dem(path: &Path) -> Result<Dem, DemError> {
    read_dem_and_grid(path).map(|(dem, _)| dem)
}

/// [`read_dem`], and the lon/lat lookup of the DEM's CRS as data (`None` for lon/lat DEMs),
/// as the helper sends it.
///
/// # Errors
/// As [`read_dem`].
pub fn read_dem_and_grid(path: &Path) -> Result<(Dem, Option<LonLatGrid>), DemError> {
    let virtual_path = path.to_str().is_some_and(|p| p.starts_with("/vsi"));
    if !virtual_path && !path.exists() {
        return Err(DemError::NotFound {
            path: path.to_owned(),
        });
    }
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
        ..DatasetOptions::default()
    };
    let dataset = Dataset::open_ex(path, options).map_err(|e| DemError::Open {
        path: path.to_owned(),
        reason: gdal_reason(e),
    })?;
    let not_elevation = |reason: String| DemError::NotElevation {
        path: path.to_owned(),
        reason,
    };
    match dataset.raster_count() {
        0 => return Err(not_elevation("it has no raster band".into())),
        1 => {}
        n => {
            return Err(not_elevation(format!(
                "it has {n} bands; a DEM has one band of heights (an RGB or multispectral \
                 image is not a DEM)"
            )));
        }
    }
    let band = dataset
        .rasterband(1)
        .map_err(|e| not_elevation(gdal_reason(e)))?;
    if band.color_table().is_some() {
        return Err(not_elevation(
            "band 1 is a colour palette, not heights".into(),
        ));
    }
    if band.band_type() == GdalDataType::Unknown {
        return Err(not_elevation(
            "band 1 holds complex or unknown values, not heights".into(),
        ));
    }
    if band.scale().is_some_and(|s| s != 1.0) || band.offset().is_some_and(|o| o != 0.0) {
        tracing::warn!(path = %path.display(), "DEM band has a scale or offset: raw values used, as GDAL's viewshed does");
    }
    let (width, height) = dataset.raster_size();
    let geotransform = dataset
        .geo_transform()
        .map_err(|e| DemError::NotGeoreferenced {
            path: path.to_owned(),
            reason: format!("no geotransform ({})", gdal_reason(e)),
        })?;
    let srs = dataset
        .spatial_ref()
        .map_err(|e| DemError::NotGeoreferenced {
            path: path.to_owned(),
            reason: format!("no coordinate reference system ({})", gdal_reason(e)),
        })?;
    let values = band
        .read_band_as::<f32>()
        .map_err(|e| DemError::Io {
            path: path.to_owned(),
            reason: format!("cannot read band 1: {}", gdal_reason(e)),
        })?
        .into_shape_and_vec()
        .1;
    let nodata = band.no_data_value();
    let (crs, grid) = dem_crs(path, srs, &geotransform, width, height)?;
    tracing::debug!(path = %path.display(), width, height, crs = %crs.name, "DEM read");
    Dem::new(width, height, geotransform, values, crs)
        .map(|dem| (dem.with_nodata(nodata), grid))
        .map_err(|source| DemError::Invalid {
            path: path.to_owned(),
            source,
        })
}

/// Writes `dem` as a single-band Float32 GeoTIFF in `crs` (anything GDAL's
/// `SetFromUserInput` takes: `EPSG:32651`, WKT, PROJ string), with its geotransform and
/// nodata value.
///
/// # Errors
/// [`DemError::Crs`] for an unknown CRS, [`DemError::Io`] when GDAL cannot write the file.
pub fn write_dem(path: &Path, dem: &Dem, crs: &str) -> Result<(), DemError> {
    let io = |e| DemError::Io {
        path: path.to_owned(),
        reason: gdal_reason(e),
    };
    let srs = SpatialRef::from_definition(crs).map_err(|e| DemError::Crs {
        path: path.to_owned(),
        crs: crs.to_owned(),
        reason: gdal_reason(e),
    })?;
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(io)?;
    let (w, h) = (dem.width(), dem.height());
    let mut dataset = driver
        .create_with_band_type::<f32, _>(path, w, h, 1)
        .map_err(io)?;
    dataset.set_geo_transform(&dem.geotransform()).map_err(io)?;
    dataset.set_spatial_ref(&srs).map_err(io)?;
    {
        let mut band = dataset.rasterband(1).map_err(io)?;
        band.set_no_data_value(dem.nodata()).map_err(io)?;
        let mut buffer = Buffer::new((w, h), dem.values().to_vec());
        band.write((0, 0), (w, h), &mut buffer).map_err(io)?;
    }
    dataset.close().map_err(io)
}

/// The DEM CRS of a raster: units, semi-major axis, and the lon/lat lookup.
fn dem_crs(
    path: &Path,
    mut srs: SpatialRef,
    geotransform: &[f64; 6],
    width: usize,
    height: usize,
) -> Result<(DemCrs, Option<LonLatGrid>), DemError> {
    let name = srs
        .authority()
        .ok()
        .or_else(|| srs.name())
        .unwrap_or_else(|| "(unnamed)".to_owned());
    let crs_error = |reason: String| DemError::Crs {
        path: path.to_owned(),
        crs: name.clone(),
        reason,
    };
    let mut wgs84 = SpatialRef::from_epsg(4326).map_err(|e| crs_error(gdal_reason(e)))?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let semi_major_m = srs.semi_major().ok().filter(|a| a.is_finite() && *a > 0.0);
    let units = if srs.is_geographic() {
        CrsUnits::Degrees
    } else if srs.is_projected() || srs.is_local() {
        CrsUnits::Linear(srs.linear_units())
    } else {
        return Err(crs_error(
            "neither geographic nor projected (a geocentric or vertical CRS)".into(),
        ));
    };
    if srs == wgs84 {
        return Ok((
            coastwatch_io::dem::dem_crs(name, units, semi_major_m, None),
            None,
        ));
    }
    let to_lonlat = CoordTransform::new(&srs, &wgs84).map_err(|e| crs_error(gdal_reason(e)))?;
    let to_xy = CoordTransform::new(&wgs84, &srs).map_err(|e| crs_error(gdal_reason(e)))?;
    let cell = geotransform[1]
        .hypot(geotransform[4])
        .min(geotransform[2].hypot(geotransform[5]));
    let grid =
        build_grid(&to_lonlat, &to_xy, geotransform, width, height, cell).map_err(crs_error)?;
    let crs = coastwatch_io::dem::dem_crs(name, units, semi_major_m, Some(grid.clone()));
    Ok((crs, Some(grid)))
}

/// The lon/lat lookup table over the DEM, refined until it is within [`MAX_ERROR_CELLS`]
/// of PROJ.
fn build_grid(
    to_lonlat: &CoordTransform,
    to_xy: &CoordTransform,
    gt: &[f64; 6],
    width: usize,
    height: usize,
    cell: f64,
) -> Result<LonLatGrid, String> {
    // The DEM's outline, 64 points a side, in lon/lat.
    const SIDE: usize = 64;
    let (w, h) = (width as f64, height as f64);
    let mut px = Vec::with_capacity(4 * SIDE);
    for i in 0..SIDE {
        let t = i as f64 / SIDE as f64;
        px.extend([[t * w, 0.0], [w, t * h], [w - t * w, h], [0.0, h - t * h]]);
    }
    let mut xs: Vec<f64> = px
        .iter()
        .map(|p| gt[0] + p[0] * gt[1] + p[1] * gt[2])
        .collect();
    let mut ys: Vec<f64> = px
        .iter()
        .map(|p| gt[3] + p[0] * gt[4] + p[1] * gt[5])
        .collect();
    to_lonlat
        .transform_coords(&mut xs, &mut ys, &mut [])
        .map_err(|e| format!("the DEM's outline has no lon/lat: {}", gdal_reason(e)))?;
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (&lon, &lat) in xs.iter().zip(&ys) {
        lo = [lo[0].min(lon), lo[1].min(lat)];
        hi = [hi[0].max(lon), hi[1].max(lat)];
    }
    if !(lo[0].is_finite() && lo[1].is_finite() && hi[0].is_finite() && hi[1].is_finite()) {
        return Err("the DEM's outline has no finite lon/lat".into());
    }
    let pad = [
        ((hi[0] - lo[0]) * 0.02).max(1e-6),
        ((hi[1] - lo[1]) * 0.02).max(1e-6),
    ];
    let (lo, hi) = (
        [lo[0] - pad[0], lo[1] - pad[1]],
        [hi[0] + pad[0], hi[1] + pad[1]],
    );

    let mut n = FIRST_GRID;
    loop {
        let step = [
            (hi[0] - lo[0]) / (n - 1) as f64,
            (hi[1] - lo[1]) / (n - 1) as f64,
        ];
        let lonlat = |i: f64, j: f64| [lo[0] + i * step[0], lo[1] + j * step[1]];
        let nodes: Vec<[f64; 2]> = (0..n)
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| lonlat(i as f64, j as f64))
            .collect();
        let table = LonLatGrid {
            origin: lo,
            step,
            n,
            xy: transform(to_xy, &nodes)?,
        };
        // Check at the centre of every square, where bilinear interpolation is worst.
        let centres: Vec<[f64; 2]> = (0..n - 1)
            .flat_map(|j| (0..n - 1).map(move |i| (i, j)))
            .map(|(i, j)| lonlat(i as f64 + 0.5, j as f64 + 0.5))
            .collect();
        let exact = transform(to_xy, &centres)?;
        let worst = centres
            .iter()
            .zip(&exact)
            .map(|(&ll, e)| {
                let got = table.xy(ll).unwrap_or([f64::NAN; 2]);
                (got[0] - e[0]).hypot(got[1] - e[1])
            })
            .fold(
                0.0f64,
                |a, b| if b.is_nan() { f64::INFINITY } else { a.max(b) },
            );
        if worst <= MAX_ERROR_CELLS * cell || n >= LAST_GRID {
            tracing::debug!(nodes = n, worst_error = worst, "lon/lat lookup table built");
            if worst > MAX_ERROR_CELLS * cell {
                tracing::warn!(
                    nodes = n,
                    worst_error = worst,
                    "lon/lat lookup table is coarse"
                );
            }
            return Ok(table);
        }
        n = 2 * n - 1;
    }
}

/// Transforms lon/lat points to CRS x/y in one PROJ call.
fn transform(to_xy: &CoordTransform, lonlat: &[[f64; 2]]) -> Result<Vec<[f64; 2]>, String> {
    let mut xs: Vec<f64> = lonlat.iter().map(|p| p[0]).collect();
    let mut ys: Vec<f64> = lonlat.iter().map(|p| p[1]).collect();
    to_xy
        .transform_coords(&mut xs, &mut ys, &mut [])
        .map_err(|e| {
            format!(
                "lon/lat around the DEM cannot be transformed: {}",
                gdal_reason(e)
            )
        })?;
    Ok(xs.into_iter().zip(ys).map(|(x, y)| [x, y]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm_dem() -> Dem {
        let (w, h) = (200, 150);
        let values = (0..w * h).map(|i| (i % 97) as f32).collect();
        Dem::new(
            w,
            h,
            [350_000.0, 30.0, 0.0, 3_280_000.0, 0.0, -30.0],
            values,
            DemCrs::local_metres(),
        )
        .unwrap()
        .with_nodata(Some(-9999.0))
    }

    #[test]
    fn round_trip_and_lookup_against_proj() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dem.tif");
        let dem = utm_dem();
        write_dem(&path, &dem, "EPSG:32651").unwrap();
        let back = read_dem(&path).unwrap();
        assert_eq!(back.width(), 200);
        assert_eq!(back.geotransform(), dem.geotransform());
        assert_eq!(back.values(), dem.values());
        assert_eq!(back.nodata(), Some(-9999.0));
        assert_eq!(back.crs().name, "EPSG:32651");
        assert_eq!(back.crs().units, CrsUnits::Linear(1.0));
        assert_eq!(back.crs().semi_major_m, Some(6_378_137.0));

        // The table against PROJ, all over the DEM.
        let mut wgs84 = SpatialRef::from_epsg(4326).unwrap();
        wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut utm = SpatialRef::from_epsg(32651).unwrap();
        utm.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let to_lonlat = CoordTransform::new(&utm, &wgs84).unwrap();
        let mut worst = 0.0f64;
        for (col, row) in [(0.5, 0.5), (199.5, 149.5), (100.2, 70.9), (13.0, 140.0)] {
            let xy = back.pixel_to_xy([col, row]);
            let (mut x, mut y) = ([xy[0]], [xy[1]]);
            to_lonlat.transform_coords(&mut x, &mut y, &mut []).unwrap();
            let p = back.lonlat_to_pixel([x[0], y[0]]).unwrap().unwrap();
            worst = worst.max((p[0] - col).hypot(p[1] - row));
        }
        assert!(worst < 0.01, "{worst} cells");
        assert_eq!(back.lonlat_to_cell([0.0, 0.0]).unwrap(), None);
    }

    #[test]
    fn geographic_dems_take_lonlat_as_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ll.tif");
        let dem = Dem::new(
            10,
            10,
            [121.5, 0.001, 0.0, 29.7, 0.0, -0.001],
            vec![1.0; 100],
            DemCrs::lonlat(),
        )
        .unwrap();
        write_dem(&path, &dem, "EPSG:4326").unwrap();
        let back = read_dem(&path).unwrap();
        assert!(back.crs().to_xy.is_none());
        assert_eq!(back.crs().units, CrsUnits::Degrees);
        assert_eq!(
            back.lonlat_to_cell([121.5015, 29.6985]).unwrap(),
            Some([1, 1])
        );
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("dem.txt");
        std::fs::write(&text, "this is not a raster\n").unwrap();
        let err = read_dem(&text).unwrap_err();
        assert!(matches!(err, DemError::Open { .. }), "{err}");
        assert!(err.to_string().contains("cannot open"), "{err}");

        let err = read_dem(&dir.path().join("missing.tif")).unwrap_err();
        assert!(matches!(err, DemError::NotFound { .. }), "{err}");

        // A three-band image.
        let rgb = dir.path().join("rgb.tif");
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type::<u8, _>(&rgb, 4, 4, 3)
            .unwrap();
        ds.set_geo_transform(&[0.0, 1.0, 0.0, 0.0, 0.0, -1.0])
            .unwrap();
        ds.close().unwrap();
        let err = read_dem(&rgb).unwrap_err();
        assert!(err.to_string().contains("3 bands"), "{err}");

        // No CRS.
        let bare = dir.path().join("bare.tif");
        let mut ds = driver
            .create_with_band_type::<f32, _>(&bare, 4, 4, 1)
            .unwrap();
        ds.set_geo_transform(&[0.0, 1.0, 0.0, 0.0, 0.0, -1.0])
            .unwrap();
        ds.close().unwrap();
        let err = read_dem(&bare).unwrap_err();
        assert!(matches!(err, DemError::NotGeoreferenced { .. }), "{err}");
    }
}
