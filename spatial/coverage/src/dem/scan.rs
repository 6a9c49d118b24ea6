//! The line-of-sight scan itself (GDAL 3.6's `alg/viewshed.cpp`): the window, the four
//! quadrants around the observer and the per-cell kernel.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::DemError;
use super::raster::{Dem, invert_geotransform};
use super::viewshed::{Grid, ViewshedMode};

/// Windows with fewer cells than this are computed on one thread.
const PARALLEL_MIN_CELLS: usize = 250_000;

/// A window of DEM cells `[c0, c1) × [r0, r1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) c0: usize,
    pub(super) r0: usize,
    pub(super) c1: usize,
    pub(super) r1: usize,
}

/// One observer over one DEM: what every quadrant of the scan shares.
pub(super) struct Scan<'a> {
    dem: &'a Dem,
    pub(super) observer: [usize; 2],
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
    pub(super) fn new(
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
    pub(super) fn distance_window(&self, max_distance_m: f64) -> Window {
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
    pub(super) fn run<T, F>(
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

pub(super) struct Kernel<'s, 'a, T, F> {
    pub(super) scan: &'s Scan<'a>,
    pub(super) window: Window,
    pub(super) max_distance2: f64,
    pub(super) mode: ViewshedMode,
    pub(super) out_of_range: T,
    pub(super) classify: &'s F,
}

impl<T, F> Kernel<'_, '_, T, F>
where
    T: Copy,
    F: Fn(f64, f64) -> T,
{
    /// GDAL's `AdjustHeightInRange`: lowers `z` by the curvature correction at offset
    /// (`dx`, `dy`) cells and says whether the cell is within the maximum distance.
    #[inline(always)]
    pub(super) fn adjust(&self, dx: f64, dy: f64, z: &mut f64) -> bool {
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
    pub(super) fn line(&self, i: f64, za: f64) -> f64 {
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
    pub(super) fn diagonal(&self, i: f64, j: f64, za: f64, zb: f64) -> f64 {
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
    pub(super) fn edge_of(&self, k: f64, dy: f64, t: [f64; 2], l: [f64; 2]) -> f64 {
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
