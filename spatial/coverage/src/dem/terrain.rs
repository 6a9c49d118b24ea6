//! [`DemTerrain`]: the [`Terrain`] oracle over a DEM, with each camera's clearance grid
//! computed once and cached.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::DemError;
use super::raster::Dem;
use super::scan::Scan;
use super::viewshed::{Grid, ViewshedMode, camera_cell, clearance_of, sector_window};
use crate::{CameraModel, DEFAULT_CURVATURE_COEFF, Terrain};

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
/// Built for a set of cameras, it computes each camera's [`clearance`](super::clearance) over the window
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
