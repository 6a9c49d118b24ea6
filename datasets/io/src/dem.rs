//! Digital elevation models read by the GDAL helper: [`read_dem`] runs
//! `coastwatch-gdal dem FILE` and rebuilds the [`Dem`] from its answer ([`encode`] writes
//! that answer).
//!
//! # Lon/lat to DEM cells
//!
//! Cameras and targets come in WGS 84 lon/lat. A DEM in EPSG:4326 takes them as they are.
//! For any other CRS the helper builds a [`LonLatGrid`] once: a square grid of lon/lat nodes
//! over the DEM's extent with each node's x/y in the DEM's CRS (from PROJ), between which
//! lookups interpolate bilinearly. It is plain data, so it crosses the process boundary and
//! keeps the `Dem` `Send + Sync`, and a lookup costs nanoseconds instead of a PROJ call.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;

use coastwatch_coverage::dem::{CrsUnits, Dem, DemCrs};

use crate::helper::{Helper, HelperError, malformed, read_all};
use crate::wire::{In, Malformed, Out};

/// The first bytes of an encoded DEM.
const MAGIC: &[u8] = b"coastwatch-dem 1\n";

/// Lon/lat → CRS x/y by bilinear interpolation in a table of PROJ results.
#[derive(Debug, Clone, PartialEq)]
pub struct LonLatGrid {
    /// South-west node (lon, lat).
    pub origin: [f64; 2],
    /// Node spacing (degrees).
    pub step: [f64; 2],
    /// Nodes a side (at least 2).
    pub n: usize,
    /// x and y at the nodes, row by row from the south: `n × n` of them.
    pub xy: Vec<[f64; 2]>,
}

impl LonLatGrid {
    /// CRS x/y of a lon/lat point; `None` farther off the table than its own size.
    pub fn xy(&self, lonlat: [f64; 2]) -> Option<[f64; 2]> {
        let last = (self.n - 1) as f64;
        let u = (lonlat[0] - self.origin[0]) / self.step[0];
        let v = (lonlat[1] - self.origin[1]) / self.step[1];
        if !(u >= -last && u <= 2.0 * last && v >= -last && v <= 2.0 * last) {
            return None;
        }
        // The square holding the point (the nearest edge square outside: extrapolation).
        let i = u.floor().clamp(0.0, last - 1.0);
        let j = v.floor().clamp(0.0, last - 1.0);
        let (fu, fv) = (u - i, v - j);
        let (i, j) = (i as usize, j as usize);
        let at = |i: usize, j: usize| self.xy[j * self.n + i];
        let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1));
        let mix = |k: usize| {
            (a[k] * (1.0 - fu) + b[k] * fu) * (1.0 - fv) + (c[k] * (1.0 - fu) + d[k] * fu) * fv
        };
        Some([mix(0), mix(1)])
    }
}

/// The DEM CRS whose lon/lat lookup is `grid` (`None`: lon/lat used as they are).
pub fn dem_crs(
    name: String,
    units: CrsUnits,
    semi_major_m: Option<f64>,
    grid: Option<LonLatGrid>,
) -> DemCrs {
    DemCrs {
        name,
        units,
        semi_major_m,
        to_xy: grid.map(|grid| {
            let to_xy: Arc<dyn Fn([f64; 2]) -> Option<[f64; 2]> + Send + Sync> =
                Arc::new(move |lonlat| grid.xy(lonlat));
            to_xy
        }),
    }
}

/// Reads band 1 of the raster at `path` through the GDAL helper: heights as `f32` (no scale
/// or offset applied, as GDAL's viewshed reads them), the nodata value, the geotransform,
/// and the CRS with its lon/lat lookup.
///
/// # Errors
/// [`HelperError::Refused`] with the reason when the file is missing, is not a
/// single-band raster, has no geotransform or CRS, or a CRS PROJ cannot reach from
/// EPSG:4326; the other [`HelperError`]s when the helper cannot run.
pub fn read_dem(helper: &Helper, path: &Path) -> Result<Dem, HelperError> {
    let bytes = helper.run(&[OsStr::new("dem"), path.as_os_str()], read_all)?;
    decode(&bytes)
}

/// The helper's answer for `dem`, whose CRS lookup is `grid`.
pub fn encode(dem: &Dem, grid: Option<&LonLatGrid>) -> Vec<u8> {
    let mut out = Out(MAGIC.to_vec());
    out.u64(dem.width() as u64);
    out.u64(dem.height() as u64);
    for v in dem.geotransform() {
        out.f64(v);
    }
    out.opt_f64(dem.nodata());
    let crs = dem.crs();
    out.bytes(crs.name.as_bytes());
    match crs.units {
        CrsUnits::Degrees => out.opt_f64(None),
        CrsUnits::Linear(metres) => out.opt_f64(Some(metres)),
    }
    out.opt_f64(crs.semi_major_m);
    out.u8(u8::from(grid.is_some()));
    if let Some(grid) = grid {
        out.f64(grid.origin[0]);
        out.f64(grid.origin[1]);
        out.f64(grid.step[0]);
        out.f64(grid.step[1]);
        out.u64(grid.xy.len() as u64);
        out.u64(grid.n as u64);
        for [x, y] in &grid.xy {
            out.f64(*x);
            out.f64(*y);
        }
    }
    out.u64(dem.values().len() as u64);
    out.0.reserve(dem.values().len() * 4);
    for v in dem.values() {
        out.0.extend_from_slice(&v.to_le_bytes());
    }
    out.0
}

/// The DEM in the helper's answer.
///
/// # Errors
/// [`HelperError::Failed`] when the answer is cut short or inconsistent.
pub fn decode(bytes: &[u8]) -> Result<Dem, HelperError> {
    let bytes = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| malformed("not a DEM"))?;
    decode_fields(&mut In(bytes))
        .map_err(|Malformed| malformed("DEM cut short"))?
        .map_err(|e| HelperError::Failed(format!("its DEM is invalid: {e}")))
}

type Decoded = Result<Dem, coastwatch_coverage::dem::DemError>;

fn decode_fields(input: &mut In<'_>) -> Result<Decoded, Malformed> {
    let width = usize::try_from(input.u64()?).map_err(|_| Malformed)?;
    let height = usize::try_from(input.u64()?).map_err(|_| Malformed)?;
    let mut geotransform = [0.0; 6];
    for v in &mut geotransform {
        *v = input.f64()?;
    }
    let nodata = input.opt_f64()?;
    let name = input.str()?.to_owned();
    let units = input.opt_f64()?.map_or(CrsUnits::Degrees, CrsUnits::Linear);
    let semi_major_m = input.opt_f64()?;
    let grid = match input.u8()? {
        0 => None,
        _ => {
            let origin = [input.f64()?, input.f64()?];
            let step = [input.f64()?, input.f64()?];
            let nodes = input.len(16)?;
            let n = usize::try_from(input.u64()?).map_err(|_| Malformed)?;
            if n < 2 || n.checked_mul(n) != Some(nodes) {
                return Err(Malformed);
            }
            let xy = (0..nodes)
                .map(|_| Ok([input.f64()?, input.f64()?]))
                .collect::<Result<_, Malformed>>()?;
            Some(LonLatGrid {
                origin,
                step,
                n,
                xy,
            })
        }
    };
    let count = input.len(4)?;
    let values = input
        .take(count * 4)?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    if !input.0.is_empty() {
        return Err(Malformed);
    }
    let crs = dem_crs(name, units, semi_major_m, grid);
    Ok(Dem::new(width, height, geotransform, values, crs).map(|dem| dem.with_nodata(nodata)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> LonLatGrid {
        // x = 1000·lon, y = 2000·lat on a 3 × 3 grid
        let n = 3;
        let xy = (0..n)
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| {
                [
                    1000.0 * (121.0 + 0.5 * i as f64),
                    2000.0 * (29.0 + 0.5 * j as f64),
                ]
            })
            .collect();
        LonLatGrid {
            origin: [121.0, 29.0],
            step: [0.5, 0.5],
            n,
            xy,
        }
    }

    #[test]
    fn a_dem_comes_back_whole() {
        let values: Vec<f32> = (0..12).map(|i| i as f32 * 1.5 - 3.0).collect();
        let crs = dem_crs(
            "EPSG:32651".into(),
            CrsUnits::Linear(1.0),
            Some(6_378_137.0),
            Some(grid()),
        );
        let dem = Dem::new(
            4,
            3,
            [350_000.0, 30.0, 0.0, 3_280_000.0, 0.0, -30.0],
            values,
            crs,
        )
        .unwrap()
        .with_nodata(Some(-9999.0));
        let bytes = encode(&dem, Some(&grid()));
        let back = decode(&bytes).unwrap();
        assert_eq!(back.width(), 4);
        assert_eq!(back.height(), 3);
        assert_eq!(back.geotransform(), dem.geotransform());
        assert_eq!(back.values(), dem.values());
        assert_eq!(back.nodata(), Some(-9999.0));
        assert_eq!(back.crs().name, "EPSG:32651");
        assert_eq!(back.crs().units, CrsUnits::Linear(1.0));
        let to_xy = back.crs().to_xy.as_ref().unwrap();
        let xy = to_xy([121.25, 29.75]).unwrap();
        assert!(
            (xy[0] - 121_250.0).abs() < 1e-6 && (xy[1] - 59_500.0).abs() < 1e-6,
            "{xy:?}"
        );

        // every cut is refused, never a panic or a smaller DEM
        for cut in [0, MAGIC.len(), bytes.len() / 2, bytes.len() - 1] {
            assert!(
                matches!(decode(&bytes[..cut]), Err(HelperError::Failed(_))),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
    }

    #[test]
    fn lonlat_dems_have_no_lookup() {
        let dem = Dem::new(
            2,
            2,
            [121.5, 0.001, 0.0, 29.7, 0.0, -0.001],
            vec![1.0; 4],
            DemCrs::lonlat(),
        )
        .unwrap();
        let back = decode(&encode(&dem, None)).unwrap();
        assert!(back.crs().to_xy.is_none());
        assert_eq!(back.crs().units, CrsUnits::Degrees);
        assert_eq!(back.nodata(), None);
    }
}
