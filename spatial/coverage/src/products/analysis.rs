//! The [`Analysis`]: what every existing camera sees of every target, and the products
//! built from it.

use std::collections::BTreeMap;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::geom::SolventBuilder;
use h3o::{CellIndex, LatLng};

use super::cells::{CoastPiece, coast_pieces, sea_cells, watch_cells};
use super::types::{
    CameraFootprint, CellCoverage, CoverageOptions, FootprintShape, GapCounts, NearestCamera,
    Products, RangePoint, Reason, RiskPointCoverage, Stretch, Summary, TownCoastline, TownCoverage,
    rank,
};
use super::{pct, round1, round3};
use crate::targets::{Targets, parallel_map};
use crate::{CameraModel, CoverageResult, FlatTerrain, Scene, Sight, Terrain};
use coastwatch_core::geodesy::{self, LocalFrame};
use coastwatch_core::model::GapReason;

/// The visibility of every target from the existing cameras, the base of every product
/// and of suggestions.
pub struct Analysis<'a> {
    pub(crate) scene: &'a Scene,
    pub(crate) terrain: &'a dyn Terrain,
    pub(crate) options: CoverageOptions,
    /// Watch cells, sorted.
    pub(crate) cells: Vec<CellIndex>,
    /// Whether each watch cell is sea.
    pub(crate) sea: Vec<bool>,
    pub(crate) pieces: Vec<CoastPiece>,
    /// Target index of the first coastline piece (risk points come first).
    pub(crate) coast_start: usize,
    /// Target index of the first cell.
    pub(crate) cell_start: usize,
    pub(crate) targets: Targets,
    /// How many existing cameras see each target.
    pub(crate) seen: Vec<u16>,
    /// The best sight of each target over the existing cameras.
    pub(crate) best: Vec<Sight>,
    /// The targets each existing camera sees, sorted.
    pub(crate) camera_seen: Vec<Vec<u32>>,
    pub(crate) bbox: [f64; 4],
}

impl std::fmt::Debug for Analysis<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("cameras", &self.scene.cameras.len())
            .field("cells", &self.cells.len())
            .field("coast_pieces", &self.pieces.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Analysis<'a> {
    /// Divides the watch area into cells, samples the coastline and finds what every
    /// existing camera sees.
    pub fn new(
        scene: &'a Scene,
        terrain: &'a dyn Terrain,
        options: CoverageOptions,
    ) -> CoverageResult<Self> {
        Self::build(scene, terrain, options, true)
    }

    fn build(
        scene: &'a Scene,
        terrain: &'a dyn Terrain,
        options: CoverageOptions,
        with_cells: bool,
    ) -> CoverageResult<Self> {
        options.validate()?;
        scene.validate()?;
        let (cells, bbox) = if with_cells {
            watch_cells(scene, options.h3_res)?
        } else {
            (Vec::new(), scene.extent().unwrap_or_default())
        };
        let pieces = coast_pieces(scene, options.coast_step_m);
        let coast_start = scene.risk_points.len();
        let cell_start = coast_start + pieces.len();
        let mut lonlat: Vec<[f64; 2]> = Vec::with_capacity(cell_start + cells.len());
        lonlat.extend(scene.risk_points.iter().map(|r| r.lonlat));
        lonlat.extend(pieces.iter().map(CoastPiece::middle));
        lonlat.extend(cells.iter().map(|&c| {
            let centre = LatLng::from(c);
            [centre.lng(), centre.lat()]
        }));
        let origin = [(bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0];
        let sea = sea_cells(scene, &cells, &LocalFrame::new(origin));
        let targets = Targets::new(lonlat, origin);
        let n = targets.lonlat.len();
        let mut analysis = Self {
            scene,
            terrain,
            options,
            cells,
            sea,
            pieces,
            coast_start,
            cell_start,
            targets,
            seen: vec![0; n],
            best: vec![Sight::Range; n],
            camera_seen: Vec::new(),
            bbox,
        };
        let sights = parallel_map(&scene.cameras, |camera| {
            analysis
                .targets
                .sights(&camera.model, 1.0, terrain, options.target_height_m, |_| {
                    true
                })
        });
        for camera in sights {
            let mut mine = Vec::new();
            for (t, sight) in camera {
                let t_us = t as usize;
                if sight == Sight::Seen {
                    analysis.seen[t_us] = analysis.seen[t_us].saturating_add(1);
                    mine.push(t);
                }
                if rank(sight) > rank(analysis.best[t_us]) {
                    analysis.best[t_us] = sight;
                }
            }
            analysis.camera_seen.push(mine);
        }
        Ok(analysis)
    }

    /// The scene analysed.
    pub fn scene(&self) -> &Scene {
        self.scene
    }

    /// The options used.
    pub fn options(&self) -> &CoverageOptions {
        &self.options
    }

    /// The number of watch cells.
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// The number of coastline pieces judged.
    pub fn coast_piece_count(&self) -> usize {
        self.pieces.len()
    }

    /// The towns in report order: town areas first, then other towns named by risk points
    /// or coastline (sorted), then `None` when some place has no town.
    pub(crate) fn town_order(&self) -> Vec<Option<String>> {
        let mut order: Vec<Option<String>> = Vec::new();
        for town in &self.scene.towns {
            if !order.contains(&Some(town.name.clone())) {
                order.push(Some(town.name.clone()));
            }
        }
        let mut others: Vec<Option<String>> = self
            .scene
            .risk_points
            .iter()
            .map(|r| r.town.clone())
            .chain(self.scene.coastline.iter().map(|s| s.town.clone()))
            .filter(|t| !order.contains(t))
            .collect();
        others.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        });
        others.dedup();
        order.extend(others);
        order
    }

    /// Whether target `t` is seen by an existing camera.
    pub(crate) fn covered(&self, t: usize) -> bool {
        self.seen[t] > 0
    }

    /// Scorecard figures per town (risk points and coastline).
    pub fn town_coverage(&self) -> Vec<TownCoverage> {
        let mut risk: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
        for (i, site) in self.scene.risk_points.iter().enumerate() {
            let entry = risk.entry(site.town.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(self.covered(i));
        }
        let mut coast: BTreeMap<Option<String>, (f64, f64)> = BTreeMap::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            let town = self.scene.coastline[piece.shore].town.clone();
            let entry = coast.entry(town).or_default();
            entry.0 += piece.length_m;
            if self.covered(self.coast_start + i) {
                entry.1 += piece.length_m;
            }
        }
        self.town_order()
            .into_iter()
            .map(|town| {
                let (n, covered) = risk.get(&town).copied().unwrap_or_default();
                let (length, covered_m) = coast.get(&town).copied().unwrap_or_default();
                TownCoverage {
                    risk_points: n,
                    risk_points_covered: covered,
                    risk_point_coverage_pct: pct(covered as f64, n as f64),
                    coastline_m: round1(length),
                    coastline_covered_m: round1(covered_m),
                    coastline_coverage_pct: pct(covered_m, length),
                    town,
                }
            })
            .collect()
    }

    /// Every product of the existing cameras.
    pub fn products(&self) -> Products {
        let scene = self.scene;
        let risk_points = self.risk_point_products();
        let coastline = self.coastline_products();
        let cameras = self.footprints();
        let cells: Vec<CellCoverage> = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, &cell)| {
                let t = self.cell_start + i;
                CellCoverage {
                    cell,
                    cameras: self.seen[t],
                    reason: Reason::from(self.best[t]).gap_reason(),
                    sea: self.sea[i],
                }
            })
            .collect();
        let mut gaps = GapCounts::default();
        let (mut watch_m2, mut seen_m2, mut overlap_m2) = (0.0, 0.0, 0.0);
        let (mut cells_seen, mut cells_overlap, mut sea_cells, mut sea_seen) = (0, 0, 0, 0);
        for cell in &cells {
            let area = cell.cell.area_m2();
            watch_m2 += area;
            sea_cells += usize::from(cell.sea);
            if cell.cameras > 0 {
                seen_m2 += area;
                cells_seen += 1;
                sea_seen += usize::from(cell.sea);
            }
            if cell.cameras > 1 {
                overlap_m2 += area;
                cells_overlap += 1;
            }
            match cell.reason {
                GapReason::Range => gaps.range += 1,
                GapReason::Fov => gaps.fov += 1,
                GapReason::Terrain => gaps.terrain += 1,
                GapReason::None => {}
            }
        }
        let covered_points = risk_points.iter().filter(|r| r.covered).count();
        let coast_m: f64 = coastline.iter().map(|c| c.length_m).sum();
        let coast_covered_m: f64 = coastline.iter().map(|c| c.covered_m).sum();
        let summary = Summary {
            cameras: scene.cameras.len(),
            risk_points: risk_points.len(),
            risk_points_covered: covered_points,
            risk_point_coverage_pct: pct(covered_points as f64, risk_points.len() as f64),
            coastline_m: round1(coast_m),
            coastline_covered_m: round1(coast_covered_m),
            coastline_coverage_pct: pct(coast_covered_m, coast_m),
            h3_res: u8::from(self.options.h3_res),
            cells: cells.len(),
            cells_seen,
            cells_overlap,
            sea_cells,
            sea_cells_seen: sea_seen,
            watch_area_km2: round3(watch_m2 / 1e6),
            seen_area_km2: round3(seen_m2 / 1e6),
            overlap_area_km2: round3(overlap_m2 / 1e6),
            seen_pct: pct(seen_m2, watch_m2),
            gaps,
            bbox: self.bbox,
        };
        Products {
            summary,
            towns: self.town_coverage(),
            risk_points,
            coastline,
            cameras,
            cells,
        }
    }

    fn risk_point_products(&self) -> Vec<RiskPointCoverage> {
        let scene = self.scene;
        let mut seen_by: Vec<Vec<i64>> = vec![Vec::new(); scene.risk_points.len()];
        for (camera, seen) in scene.cameras.iter().zip(&self.camera_seen) {
            for &t in seen
                .iter()
                .take_while(|&&t| (t as usize) < self.coast_start)
            {
                seen_by[t as usize].push(camera.model.id);
            }
        }
        scene
            .risk_points
            .iter()
            .zip(seen_by)
            .enumerate()
            .map(|(i, (site, cameras))| {
                let nearest_camera = scene
                    .cameras
                    .iter()
                    .map(|c| {
                        (
                            c,
                            geodesy::distance_m([c.model.lon, c.model.lat], site.lonlat),
                        )
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(c, d)| NearestCamera {
                        id: c.model.id,
                        name: c.name.clone(),
                        distance_m: round1(d),
                    });
                let reason = Reason::from(self.best[i]);
                RiskPointCoverage {
                    id: site.id,
                    name: site.name.clone(),
                    kind: site.kind,
                    registered: site.registered,
                    town: site.town.clone(),
                    lon: site.lonlat[0],
                    lat: site.lonlat[1],
                    covered: reason == Reason::Covered,
                    reason,
                    cameras,
                    nearest_camera,
                }
            })
            .collect()
    }

    fn coastline_products(&self) -> Vec<TownCoastline> {
        let mut towns: BTreeMap<Option<String>, TownCoastline> = BTreeMap::new();
        let mut start = 0;
        while start < self.pieces.len() {
            // one run: consecutive pieces of one shore with the same state
            let shore = self.pieces[start].shore;
            let covered = self.covered(self.coast_start + start);
            let mut end = start + 1;
            while end < self.pieces.len()
                && self.pieces[end].shore == shore
                && self.pieces[end - 1].b == self.pieces[end].a
                && self.covered(self.coast_start + end) == covered
            {
                end += 1;
            }
            let run = &self.pieces[start..end];
            let mut coords: Vec<Coord> = run.iter().map(|p| p.a.into()).collect();
            coords.push(run[run.len() - 1].b.into());
            let length: f64 = run.iter().map(|p| p.length_m).sum();
            let town = self.scene.coastline[shore].town.clone();
            let entry = towns.entry(town.clone()).or_insert_with(|| TownCoastline {
                town,
                length_m: 0.0,
                covered_m: 0.0,
                covered_pct: None,
                uncovered: Vec::new(),
                covered_lines: Vec::new(),
            });
            entry.length_m += length;
            if covered {
                entry.covered_m += length;
                entry.covered_lines.push(LineString(coords));
            } else {
                entry.uncovered.push(Stretch {
                    coastline_id: self.scene.coastline[shore].id,
                    length_m: round1(length),
                    from: run[0].a,
                    to: run[run.len() - 1].b,
                    line: LineString(coords),
                });
            }
            start = end;
        }
        self.town_order()
            .into_iter()
            .filter_map(|town| towns.remove(&town))
            .map(|mut t| {
                t.covered_pct = pct(t.covered_m, t.length_m);
                t.length_m = round1(t.length_m);
                t.covered_m = round1(t.covered_m);
                t.uncovered
                    .sort_by(|a, b| b.length_m.total_cmp(&a.length_m));
                t
            })
            .collect()
    }

    fn footprints(&self) -> Vec<CameraFootprint> {
        let scene = self.scene;
        let cell_area = |seen: &[u32]| -> (Vec<CellIndex>, f64) {
            let cells: Vec<CellIndex> = seen
                .iter()
                .filter(|&&t| t as usize >= self.cell_start)
                .map(|&t| self.cells[t as usize - self.cell_start])
                .collect();
            let area = cells.iter().map(|c| c.area_m2()).sum();
            (cells, area)
        };
        parallel_map(&(0..scene.cameras.len()).collect::<Vec<_>>(), |&i| {
            let camera = &scene.cameras[i];
            let seen = &self.camera_seen[i];
            let (cells, cells_area) = cell_area(seen);
            let (shape, area_m2) = match self.options.footprint {
                FootprintShape::Sector => {
                    let (polygon, area) = sector(&camera.model, self.options.target_height_m);
                    (MultiPolygon(vec![polygon]), area)
                }
                FootprintShape::Cells => (
                    SolventBuilder::new()
                        .build()
                        .dissolve(cells.iter().copied())
                        .unwrap_or_else(|_| MultiPolygon(Vec::new())),
                    cells_area,
                ),
            };
            let risk_points_seen = seen
                .iter()
                .take_while(|&&t| (t as usize) < self.coast_start)
                .count();
            let coastline_seen_m: f64 = seen
                .iter()
                .filter(|&&t| (self.coast_start..self.cell_start).contains(&(t as usize)))
                .map(|&t| self.pieces[t as usize - self.coast_start].length_m)
                .sum();
            CameraFootprint {
                camera_id: camera.model.id,
                name: camera.name.clone(),
                area_m2: area_m2.round(),
                cells_seen: cells.len(),
                risk_points_seen,
                coastline_seen_m: round1(coastline_seen_m),
                shape,
            }
        })
    }

    /// Coverage of risk points and coastline with every existing camera's range multiplied
    /// by each of `scales` (near ranges, fields of view and heights unchanged).
    pub fn range_curve(&self, scales: &[f64]) -> Vec<RangePoint> {
        let scene = self.scene;
        let coast_m: f64 = self.pieces.iter().map(|p| p.length_m).sum();
        scales
            .iter()
            .map(|&scale| {
                let mut seen = vec![false; self.cell_start];
                let per_camera = parallel_map(&scene.cameras, |camera| {
                    self.targets.sights(
                        &camera.model,
                        scale,
                        self.terrain,
                        self.options.target_height_m,
                        |t| (t as usize) < self.cell_start,
                    )
                });
                for (t, sight) in per_camera.into_iter().flatten() {
                    if sight == Sight::Seen {
                        seen[t as usize] = true;
                    }
                }
                let points = seen[..self.coast_start].iter().filter(|s| **s).count();
                let coast: f64 = self
                    .pieces
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| seen[self.coast_start + i])
                    .map(|(_, p)| p.length_m)
                    .sum();
                RangePoint {
                    range_scale: scale,
                    risk_point_coverage_pct: pct(points as f64, self.coast_start as f64),
                    coastline_coverage_pct: pct(coast, coast_m),
                }
            })
            .collect()
    }
}

/// Scorecard figures per town — risk-point and coastline coverage — without the H3 map
/// (fast: for scorecards computed on request).
pub fn town_coverage(
    scene: &Scene,
    terrain: &dyn Terrain,
    options: CoverageOptions,
) -> CoverageResult<Vec<TownCoverage>> {
    Ok(Analysis::build(scene, terrain, options, false)?.town_coverage())
}

/// [`town_coverage`] and whether each risk point is seen (and why not), from one analysis
/// without the H3 map (fast: for the cards of the command platform).
pub fn town_and_site_coverage(
    scene: &Scene,
    terrain: &dyn Terrain,
    options: CoverageOptions,
) -> CoverageResult<(Vec<TownCoverage>, Vec<RiskPointCoverage>)> {
    let analysis = Analysis::build(scene, terrain, options, false)?;
    Ok((analysis.town_coverage(), analysis.risk_point_products()))
}

/// The sector a camera sees on flat terrain, as a polygon (lon, lat) and its area (m²):
/// its field of view between the near range and the range, the range cut at the horizon
/// of a target `target_height_m` high. A 360° camera gives a disc (a ring with a near range).
pub fn sector(camera: &CameraModel, target_height_m: f64) -> (Polygon, f64) {
    let horizon = FlatTerrain::default().horizon_m(camera.height_m, target_height_m);
    let far = camera.range_m.min(horizon);
    let near = camera.near_range_m.min(far);
    let frame = LocalFrame::new([camera.lon, camera.lat]);
    let at = |bearing_deg: f64, r: f64| -> Coord {
        let (s, c) = bearing_deg.to_radians().sin_cos();
        frame.to_lonlat([r * s, r * c]).into()
    };
    let hfov = camera.hfov_deg.clamp(0.0, 360.0);
    let steps = ((hfov / 2.0).ceil() as usize).max(2);
    let arc = |r: f64| -> Vec<Coord> {
        (0..=steps)
            .map(|k| {
                at(
                    camera.heading_deg - hfov / 2.0 + hfov * k as f64 / steps as f64,
                    r,
                )
            })
            .collect()
    };
    let area = hfov / 360.0 * std::f64::consts::PI * (far * far - near * near);
    let closed = |mut ring: Vec<Coord>| {
        ring.pop();
        ring.push(ring[0]);
        LineString(ring)
    };
    if hfov >= 360.0 {
        let outer = closed(arc(far));
        let holes = if near > 0.0 {
            let mut inner = arc(near);
            inner.reverse();
            vec![closed(inner)]
        } else {
            Vec::new()
        };
        return (Polygon::new(outer, holes), area);
    }
    let mut ring = arc(far);
    if near > 0.0 {
        let mut inner = arc(near);
        inner.reverse();
        ring.extend(inner);
    } else {
        ring.push(frame.to_lonlat([0.0, 0.0]).into());
    }
    ring.push(ring[0]);
    (Polygon::new(LineString(ring), Vec::new()), area)
}
