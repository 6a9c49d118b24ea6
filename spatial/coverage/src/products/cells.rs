//! Where the targets are: the watch area tiled into H3 cells, land and sea, and the
//! coastline cut into pieces.

use geo::{BoundingRect, Coord, MultiPolygon, Polygon};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::targets::parallel_map;
use crate::{CoverageError, CoverageResult, Scene};
use coastwatch_core::geodesy::{self, LocalFrame};

/// Most H3 cells a watch area may be divided into.
pub const MAX_CELLS: usize = 3_000_000;

/// A piece of coastline judged as one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CoastPiece {
    /// Index of the shore in [`Scene::coastline`].
    pub shore: usize,
    /// Start (lon, lat).
    pub a: [f64; 2],
    /// End (lon, lat).
    pub b: [f64; 2],
    /// Length (m).
    pub length_m: f64,
}

impl CoastPiece {
    pub(super) fn middle(&self) -> [f64; 2] {
        [(self.a[0] + self.b[0]) / 2.0, (self.a[1] + self.b[1]) / 2.0]
    }
}

/// The watch cells, sorted, and the watch area's bounding box.
pub(super) fn watch_cells(
    scene: &Scene,
    res: Resolution,
) -> CoverageResult<(Vec<CellIndex>, [f64; 4])> {
    let polygons: Vec<Polygon> = match &scene.district {
        Some(district) if !district.0.is_empty() => district.0.clone(),
        _ => match scene.extent() {
            Some([x0, y0, x1, y1]) => {
                vec![geo::Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon()]
            }
            None => return Ok((Vec::new(), [0.0; 4])),
        },
    };
    let bbox = MultiPolygon(polygons.clone())
        .bounding_rect()
        .map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let mut cells = tile(polygons, res, "the watch area")?;
    cells.sort_unstable();
    cells.dedup();
    Ok((cells, bbox))
}

/// The cells whose centre lies in `polygons`, refusing more than [`MAX_CELLS`].
fn tile(polygons: Vec<Polygon>, res: Resolution, what: &str) -> CoverageResult<Vec<CellIndex>> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for polygon in polygons {
        tiler
            .add(polygon)
            .map_err(|e| CoverageError::WatchArea(format!("{what}: {e}")))?;
    }
    let estimate = tiler.coverage_size_hint();
    if estimate > MAX_CELLS {
        return Err(CoverageError::BadOption {
            what: "h3_res",
            value: f64::from(u8::from(res)),
            rule: "divides the watch area into too many cells (at most 3,000,000): choose a coarser resolution",
        });
    }
    Ok(tiler.into_coverage().collect())
}

/// Whether each watch cell is sea: its centre lies on the right of the nearest coastline
/// (land on the left, the GSHHG convention); every cell is sea without a coastline.
pub(super) fn sea_cells(scene: &Scene, cells: &[CellIndex], frame: &LocalFrame) -> Vec<bool> {
    let mut segments = Vec::new();
    for (shore, line) in scene.coastline.iter().enumerate() {
        for (k, segment) in line.line.lines().enumerate() {
            let (a, b) = (
                frame.to_xy([segment.start.x, segment.start.y]),
                frame.to_xy([segment.end.x, segment.end.y]),
            );
            if a != b {
                segments.push(GeomWithData::new(
                    rstar::primitives::Line::new(a, b),
                    (shore, k),
                ));
            }
        }
    }
    if segments.is_empty() {
        return vec![true; cells.len()];
    }
    let tree = RTree::bulk_load(segments);
    let lines: Vec<Vec<[f64; 2]>> = scene
        .coastline
        .iter()
        .map(|s| s.line.0.iter().map(|c| frame.to_xy([c.x, c.y])).collect())
        .collect();
    parallel_map(cells, |&cell| {
        let centre = LatLng::from(cell);
        let p = frame.to_xy([centre.lng(), centre.lat()]);
        tree.nearest_neighbor(&p)
            .is_none_or(|nearest| !land_side(&lines[nearest.data.0], nearest.data.1, p))
    })
}

/// Whether `p` lies on the left of `line` near its segment `k` (the nearest to `p`), taking
/// the corner into account when the nearest point is a vertex: inside a left turn `p` must
/// be left of both segments, outside a right turn of either.
fn land_side(line: &[[f64; 2]], k: usize, p: [f64; 2]) -> bool {
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let (a, b) = (line[k], line[k + 1]);
    let left = |u: [f64; 2], v: [f64; 2]| cross(u, v, p) > 0.0;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy);
    let closed = line.len() > 3 && line[0] == line[line.len() - 1];
    let last = line.len() - 2;
    let corner = |u: [f64; 2], v: [f64; 2], w: [f64; 2]| {
        if cross(u, v, w) > 0.0 {
            left(u, v) && left(v, w)
        } else {
            left(u, v) || left(v, w)
        }
    };
    if t <= 0.0 {
        match (k, closed) {
            (0, false) => left(a, b),
            (0, true) => corner(line[last], a, b),
            _ => corner(line[k - 1], a, b),
        }
    } else if t >= 1.0 {
        match (k == last, closed) {
            (true, false) => left(a, b),
            (true, true) => corner(a, b, line[1]),
            _ => corner(a, b, line[k + 2]),
        }
    } else {
        left(a, b)
    }
}

/// The coastline cut into pieces of at most `step_m`, shore by shore, in line order.
pub(super) fn coast_pieces(scene: &Scene, step_m: f64) -> Vec<CoastPiece> {
    let mut pieces = Vec::new();
    for (shore, line) in scene.coastline.iter().enumerate() {
        for segment in line.line.lines() {
            let (a, b) = (
                [segment.start.x, segment.start.y],
                [segment.end.x, segment.end.y],
            );
            let length = geodesy::distance_m(a, b);
            if length <= 0.0 {
                continue;
            }
            let n = (length / step_m).ceil().max(1.0) as usize;
            let at = |k: usize| {
                if k == n {
                    return b; // exactly, so that runs continue across vertices
                }
                let f = k as f64 / n as f64;
                [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
            };
            for k in 0..n {
                pieces.push(CoastPiece {
                    shore,
                    a: at(k),
                    b: at(k + 1),
                    length_m: length / n as f64,
                });
            }
        }
    }
    pieces
}
