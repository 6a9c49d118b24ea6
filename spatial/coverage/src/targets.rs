//! Target points (risk points, coastline samples, cell centres) in an R*-tree, and what a
//! camera sees of them.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use coastwatch_core::geodesy::bearing_deg;

use super::{CameraModel, Sight, Terrain};
use coastwatch_core::geodesy::{self, LocalFrame};

/// Metres added to every radius query: the local frame's error over a district is well
/// under this (0.1 % of 10 km), so no target within range is missed; exact distances are
/// checked after the query.
const QUERY_MARGIN_M: f64 = 25.0;

/// Points to be seen, indexed by position.
#[derive(Debug)]
pub(crate) struct Targets {
    /// Positions (lon, lat; deg), by target index.
    pub lonlat: Vec<[f64; 2]>,
    frame: LocalFrame,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
}

impl Targets {
    /// Indexes `lonlat` in a local frame around `origin`.
    pub fn new(lonlat: Vec<[f64; 2]>, origin: [f64; 2]) -> Self {
        let frame = LocalFrame::new(origin);
        let tree = RTree::bulk_load(
            lonlat
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(frame.to_xy(*p), i as u32))
                .collect(),
        );
        Self {
            lonlat,
            frame,
            tree,
        }
    }

    /// Every target within `radius_m` of `centre` (lon, lat), and some a little beyond.
    pub fn near(&self, centre: [f64; 2], radius_m: f64) -> impl Iterator<Item = u32> + '_ {
        let r = radius_m * 1.002 + QUERY_MARGIN_M;
        self.tree
            .locate_within_distance(self.frame.to_xy(centre), r * r)
            .map(|g| g.data)
    }

    /// Why `camera` does or does not see each target within its range scaled by
    /// `range_scale` (targets farther away are [`Sight::Range`] and not listed), among
    /// targets for which `wanted` holds; sorted by target index.
    pub fn sights(
        &self,
        camera: &CameraModel,
        range_scale: f64,
        terrain: &dyn Terrain,
        target_height_m: f64,
        wanted: impl Fn(u32) -> bool,
    ) -> Vec<(u32, Sight)> {
        let mut scaled = camera.clone();
        scaled.range_m *= range_scale;
        let mut out: Vec<(u32, Sight)> = self
            .near([camera.lon, camera.lat], scaled.range_m)
            .filter(|&i| wanted(i))
            .map(|i| {
                let sight = scaled.sight(self.lonlat[i as usize], target_height_m, terrain);
                (i, sight)
            })
            .filter(|(_, s)| *s != Sight::Range)
            .collect();
        out.sort_unstable_by_key(|(i, _)| *i);
        out
    }

    /// The targets a camera at `site` would see whatever its heading (within range and
    /// line of sight), with their bearings from the site (deg), sorted by target index.
    /// A heading then keeps those whose bearing is within half the field of view — the
    /// same tests, in another order, as [`CameraModel::sight`].
    pub fn site_view(
        &self,
        site: &CameraModel,
        terrain: &dyn Terrain,
        target_height_m: f64,
        wanted: impl Fn(u32) -> bool,
    ) -> Vec<(u32, f32)> {
        let origin = [site.lon, site.lat];
        let mut out: Vec<(u32, f32)> = self
            .near(origin, site.range_m)
            .filter(|&i| wanted(i))
            .filter_map(|i| {
                let target = self.lonlat[i as usize];
                let distance = geodesy::distance_m(origin, target);
                if distance > site.range_m || distance < site.near_range_m {
                    return None;
                }
                if !terrain.line_of_sight(site, target, target_height_m) {
                    return None;
                }
                Some((i, bearing_deg(origin, target) as f32))
            })
            .collect();
        out.sort_unstable_by_key(|(i, _)| *i);
        out
    }
}

/// Whether `bearing_deg` lies within `hfov_deg / 2` of `heading_deg` (the test of
/// [`CameraModel::sight`]).
pub(crate) fn in_view(bearing_deg: f64, heading_deg: f64, hfov_deg: f64) -> bool {
    if hfov_deg >= 360.0 {
        return true;
    }
    let off = (bearing_deg - heading_deg + 540.0).rem_euclid(360.0) - 180.0;
    off.abs() <= hfov_deg / 2.0
}

/// Runs `work` on every item of `items` on scoped threads (one per core, at most 8), each
/// taking the next item when done with one, and returns the results in item order.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(&work).collect();
    }
    let next = AtomicUsize::new(0);
    let (work, next) = (&work, &next);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, work(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("coverage worker panicked"))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
