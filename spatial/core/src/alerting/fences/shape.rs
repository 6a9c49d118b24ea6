//! Fence shapes in frame metres and the exact tests on them: where a point lies relative to
//! the border, signed distances, and where a straight path goes through the interior.

use std::ops::ControlFlow;

use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// A point in a fence's local frame (m, x east, y north).
pub(super) type Xy = [f64; 2];

/// Rings or lines with more edges than this are indexed ([`Indexed`]); smaller ones are
/// tested with plain loops, which are faster at that size.
const INDEX_ABOVE: usize = 32;

/// One straight edge of a ring or centre line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Edge {
    a: Xy,
    b: Xy,
}

impl RTreeObject for Edge {
    type Envelope = AABB<Xy>;
    fn envelope(&self) -> AABB<Xy> {
        AABB::from_corners(self.a, self.b)
    }
}

impl PointDistance for Edge {
    fn distance_2(&self, p: &Xy) -> f64 {
        segment_distance_2(*p, self.a, self.b)
    }
}

impl Edge {
    /// Whether the edge crosses the horizontal ray from `p` towards +x (half-open rule, so a
    /// ray through a vertex counts once).
    fn crosses_ray(&self, p: Xy) -> bool {
        let (a, b) = (self.a, self.b);
        (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
    }

    /// Whether the edge comes within `sqrt(r2)` of `p` (no division, for the hot loop).
    fn within(&self, p: Xy, r2: f64) -> bool {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let (px, py) = (p[0] - self.a[0], p[1] - self.a[1]);
        let dot = px * dx + py * dy;
        if dot <= 0.0 {
            return px * px + py * py <= r2;
        }
        let len2 = dx * dx + dy * dy;
        if dot >= len2 {
            let (qx, qy) = (p[0] - self.b[0], p[1] - self.b[1]);
            return qx * qx + qy * qy <= r2;
        }
        let cross = px * dy - py * dx;
        cross * cross <= r2 * len2
    }

    /// The parameter along `a`–`b` where that segment meets this edge, if it does.
    fn meets(&self, a: Xy, b: Xy) -> Option<f64> {
        if self.a[0].max(self.b[0]) < a[0].min(b[0])
            || self.a[0].min(self.b[0]) > a[0].max(b[0])
            || self.a[1].max(self.b[1]) < a[1].min(b[1])
            || self.a[1].min(self.b[1]) > a[1].max(b[1])
        {
            return None;
        }
        let r = sub(b, a);
        let s = sub(self.b, self.a);
        let denom = cross(r, s);
        if denom == 0.0 {
            return None; // parallel; a collinear overlap runs along the border, not through
        }
        let ca = sub(self.a, a);
        // t = t_num / denom and u = u_num / denom must both lie in 0..=1.
        let (t_num, u_num) = (cross(ca, s), cross(ca, r));
        let (t_num, u_num, denom) = if denom > 0.0 {
            (t_num, u_num, denom)
        } else {
            (-t_num, -u_num, -denom)
        };
        (t_num >= 0.0 && t_num <= denom && u_num >= 0.0 && u_num <= denom).then(|| t_num / denom)
    }

    /// The closest approach of segment `a`–`b` to this edge: (parameter along `a`–`b`,
    /// squared distance).
    fn closest_approach(&self, a: Xy, b: Xy) -> (f64, f64) {
        if let Some(t) = self.meets(a, b) {
            return (t, 0.0);
        }
        let mut best = (0.0, segment_distance_2(a, self.a, self.b));
        let mut consider = |t: f64, d2: f64| {
            if d2 < best.1 {
                best = (t, d2);
            }
        };
        consider(1.0, segment_distance_2(b, self.a, self.b));
        for v in [self.a, self.b] {
            let t = project(v, a, b);
            consider(t, dist2(v, lerp(a, b, t)));
        }
        best
    }
}

/// A set of edges: the rings of an area or the centre line of a corridor.
#[derive(Debug)]
pub(super) enum Edges {
    /// Few edges: loops.
    Flat(Vec<Edge>),
    /// Many edges: indexed, so tests cost about log(n).
    Indexed(Box<Indexed>),
}

/// The indexes of a large set of edges.
#[derive(Debug)]
pub(super) struct Indexed {
    /// For distances and for the edges near a path.
    tree: RTree<Edge>,
    /// For even-odd containment.
    bands: Bands,
}

/// The edges sorted into horizontal bands of equal height: a horizontal ray from a point
/// only crosses edges of the point's band, so containment looks at a handful of edges; the
/// edges near a point or a short path are those of a few neighbouring bands.
#[derive(Debug)]
struct Bands {
    /// Bottom of the first band.
    y0: f64,
    /// Bands per metre.
    per_m: f64,
    /// Offsets of each band's edges in `edges` (one more than there are bands).
    starts: Vec<u32>,
    /// Copies of the edges, band after band (an edge spanning several bands is repeated).
    edges: Vec<Edge>,
}

impl Bands {
    /// An edge is repeated in every band it spans; this many copies per edge at most.
    const MAX_COPIES: usize = 4;

    fn new(edges: &[Edge]) -> Self {
        let y0 = edges
            .iter()
            .map(|e| e.a[1].min(e.b[1]))
            .fold(f64::INFINITY, f64::min);
        let y1 = edges
            .iter()
            .map(|e| e.a[1].max(e.b[1]))
            .fold(f64::NEG_INFINITY, f64::max);
        let height = (y1 - y0).max(1e-9);
        let mut count = (edges.len() / 2).max(1);
        let mut bands = Self {
            y0,
            per_m: 0.0,
            starts: Vec::new(),
            edges: Vec::new(),
        };
        loop {
            bands.per_m = count as f64 / height;
            let copies: usize = edges
                .iter()
                .map(|e| {
                    let span = bands.span(e, count);
                    span.end() - span.start() + 1
                })
                .sum();
            if copies <= Self::MAX_COPIES * edges.len() || count == 1 {
                break;
            }
            count /= 2;
        }
        let mut sizes = vec![0u32; count];
        for e in edges {
            for band in bands.span(e, count) {
                sizes[band] += 1;
            }
        }
        bands.starts = std::iter::once(0)
            .chain(sizes.iter().scan(0, |total, &n| {
                *total += n;
                Some(*total)
            }))
            .collect();
        let mut fill: Vec<usize> = bands.starts[..count].iter().map(|&s| s as usize).collect();
        bands.edges = vec![
            Edge {
                a: [0.0; 2],
                b: [0.0; 2]
            };
            bands.starts[count] as usize
        ];
        for e in edges {
            for band in bands.span(e, count) {
                bands.edges[fill[band]] = *e;
                fill[band] += 1;
            }
        }
        bands
    }

    /// The band of height `y`, clamped to the `count` bands.
    fn band(&self, y: f64, count: usize) -> usize {
        // Saturating float-to-int conversion: below y0 is band 0.
        (((y - self.y0) * self.per_m) as usize).min(count - 1)
    }

    /// The bands an edge spans.
    fn span(&self, e: &Edge, count: usize) -> std::ops::RangeInclusive<usize> {
        self.band(e.a[1].min(e.b[1]), count)..=self.band(e.a[1].max(e.b[1]), count)
    }

    /// The edges of the bands from height `y_lo` to `y_hi`: every edge whose vertical
    /// extent meets that range is among them (some more than once).
    fn rows(&self, y_lo: f64, y_hi: f64) -> &[Edge] {
        let count = self.starts.len() - 1;
        let (lo, hi) = (self.band(y_lo, count), self.band(y_hi, count));
        &self.edges[self.starts[lo] as usize..self.starts[hi + 1] as usize]
    }

    /// Even-odd containment.
    fn contains(&self, p: Xy) -> bool {
        let edges = self.rows(p[1], p[1]);
        edges.iter().filter(|e| e.crosses_ray(p)).count() % 2 == 1
    }
}

impl Edges {
    fn new(edges: Vec<Edge>) -> Self {
        if edges.len() > INDEX_ABOVE {
            let bands = Bands::new(&edges);
            Self::Indexed(Box::new(Indexed {
                tree: RTree::bulk_load(edges),
                bands,
            }))
        } else {
            Self::Flat(edges)
        }
    }

    /// Even-odd containment of `p`.
    fn contains(&self, p: Xy) -> bool {
        match self {
            Self::Flat(edges) => edges.iter().filter(|e| e.crosses_ray(p)).count() % 2 == 1,
            Self::Indexed(index) => index.bands.contains(p),
        }
    }

    /// Whether any edge comes within `r` of `p`.
    fn near(&self, p: Xy, r: f64) -> bool {
        let r2 = r * r;
        match self {
            Self::Flat(edges) => edges.iter().any(|e| e.within(p, r2)),
            Self::Indexed(index) => index
                .bands
                .rows(p[1] - r, p[1] + r)
                .iter()
                .any(|e| e.within(p, r2)),
        }
    }

    /// The edges a straight path from `a` to `b` may meet (all edges when flat).
    fn across(&self, a: Xy, b: Xy) -> &[Edge] {
        match self {
            Self::Flat(edges) => edges,
            Self::Indexed(index) => index.bands.rows(a[1].min(b[1]), a[1].max(b[1])),
        }
    }

    /// Containment and nearness in one pass: (inside, some edge within `r`).
    fn probe(&self, p: Xy, r: f64) -> (bool, bool) {
        match self {
            Self::Flat(edges) if r > 0.0 => {
                let r2 = r * r;
                let (mut inside, mut near) = (false, false);
                for e in edges {
                    inside ^= e.crosses_ray(p);
                    near = near || e.within(p, r2);
                }
                (inside, near)
            }
            // A point exactly on the border counts by the even-odd rule.
            _ if r == 0.0 => (self.contains(p), false),
            _ => (self.contains(p), self.near(p, r)),
        }
    }

    /// Squared distance from `p` to the nearest edge.
    fn distance_2(&self, p: Xy) -> f64 {
        match self {
            Self::Flat(edges) => edges
                .iter()
                .map(|e| e.distance_2(&p))
                .fold(f64::INFINITY, f64::min),
            Self::Indexed(index) => index
                .tree
                .nearest_neighbor(&p)
                .map_or(f64::INFINITY, |e| e.distance_2(&p)),
        }
    }

    /// Calls `f` with every edge whose bounding box meets `envelope` (all edges when flat).
    fn for_each_near(&self, envelope: &AABB<Xy>, mut f: impl FnMut(&Edge)) {
        match self {
            Self::Flat(edges) => edges.iter().for_each(f),
            Self::Indexed(index) => {
                let _ = index
                    .tree
                    .locate_in_envelope_intersecting_int(envelope, |e| {
                        f(e);
                        ControlFlow::<()>::Continue(())
                    });
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Flat(edges) => edges.len(),
            Self::Indexed(index) => index.tree.size(),
        }
    }
}

/// What a fence covers, in its frame.
#[derive(Debug)]
pub(super) enum Shape {
    /// Polygons with holes: the interior by the even-odd rule over all rings.
    Area(Edges),
    /// A disc around the frame origin.
    Circle {
        /// Radius (m).
        radius: f64,
    },
    /// Everything within `half_width` of a centre line.
    Corridor {
        /// The centre line.
        line: Edges,
        /// Half the corridor width (m).
        half_width: f64,
    },
}

/// Where a point lies relative to the border, given a margin `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Zone {
    /// Inside by more than `r`.
    Inside,
    /// Outside by more than `r`.
    Outside,
    /// Within `r` of the border.
    Near,
}

impl Zone {
    /// The zone of a point at signed distance `signed` from the border, with margin `r`.
    pub(super) fn of(signed: f64, r: f64) -> Self {
        if signed > r {
            Self::Inside
        } else if signed < -r {
            Self::Outside
        } else {
            Self::Near
        }
    }
}

/// A shape with its bounding box (frame metres).
#[derive(Debug)]
pub(super) struct Geom {
    shape: Shape,
    min: Xy,
    max: Xy,
}

impl Geom {
    /// An area from rings (closed coordinate lists, exteriors and holes alike).
    pub(super) fn area<'a>(rings: impl IntoIterator<Item = &'a [Xy]>) -> Option<Self> {
        let edges: Vec<Edge> = rings
            .into_iter()
            .flat_map(|ring| ring.windows(2).map(|w| Edge { a: w[0], b: w[1] }))
            .filter(|e| e.a != e.b)
            .collect();
        if edges.len() < 3 {
            return None;
        }
        let (min, max) = bounds(&edges, 0.0);
        Some(Self {
            shape: Shape::Area(Edges::new(edges)),
            min,
            max,
        })
    }

    /// A disc of `radius` around the origin.
    pub(super) fn circle(radius: f64) -> Self {
        Self {
            shape: Shape::Circle { radius },
            min: [-radius, -radius],
            max: [radius, radius],
        }
    }

    /// A corridor of `half_width` around lines (coordinate lists).
    pub(super) fn corridor<'a>(
        lines: impl IntoIterator<Item = &'a [Xy]>,
        half_width: f64,
    ) -> Option<Self> {
        let edges: Vec<Edge> = lines
            .into_iter()
            .flat_map(|line| match line {
                [single] => vec![Edge {
                    a: *single,
                    b: *single,
                }],
                _ => line.windows(2).map(|w| Edge { a: w[0], b: w[1] }).collect(),
            })
            .collect();
        if edges.is_empty() {
            return None;
        }
        let (min, max) = bounds(&edges, half_width);
        Some(Self {
            shape: Shape::Corridor {
                line: Edges::new(edges),
                half_width,
            },
            min,
            max,
        })
    }

    /// The bounding box (frame metres): (min, max).
    pub(super) fn bounds(&self) -> (Xy, Xy) {
        (self.min, self.max)
    }

    /// The number of edges (rings or centre line); 0 for a circle.
    pub(super) fn edge_count(&self) -> usize {
        match &self.shape {
            Shape::Area(edges) | Shape::Corridor { line: edges, .. } => edges.len(),
            Shape::Circle { .. } => 0,
        }
    }

    /// The shape.
    pub(super) fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Whether `p` is farther than `r` from the bounding box.
    fn far_from_box(&self, p: Xy, r: f64) -> bool {
        p[0] < self.min[0] - r
            || p[0] > self.max[0] + r
            || p[1] < self.min[1] - r
            || p[1] > self.max[1] + r
    }

    /// Where `p` lies relative to the border with margin `r` ≥ 0.
    pub(super) fn zone(&self, p: Xy, r: f64) -> Zone {
        if self.far_from_box(p, r) {
            return Zone::Outside;
        }
        match &self.shape {
            Shape::Area(edges) => match edges.probe(p, r) {
                (_, true) => Zone::Near,
                (true, false) => Zone::Inside,
                (false, false) => Zone::Outside,
            },
            Shape::Circle { .. } | Shape::Corridor { .. } => Zone::of(self.signed_distance(p), r),
        }
    }

    /// Whether `p` is strictly inside.
    pub(super) fn contains(&self, p: Xy) -> bool {
        if self.far_from_box(p, 0.0) {
            return false;
        }
        match &self.shape {
            Shape::Area(edges) => edges.contains(p),
            Shape::Circle { radius } => dist2(p, [0.0, 0.0]) < radius * radius,
            Shape::Corridor { .. } => self.signed_distance(p) > 0.0,
        }
    }

    /// Distance to the border (m): positive inside, negative outside.
    pub(super) fn signed_distance(&self, p: Xy) -> f64 {
        match &self.shape {
            Shape::Area(edges) => {
                let d = edges.distance_2(p).sqrt();
                if edges.contains(p) { d } else { -d }
            }
            Shape::Circle { radius } => radius - dist2(p, [0.0, 0.0]).sqrt(),
            Shape::Corridor { line, half_width } => half_width - line.distance_2(p).sqrt(),
        }
    }

    /// Distance from the centre line (m), for corridors.
    pub(super) fn centre_line_distance(&self, p: Xy) -> Option<f64> {
        match &self.shape {
            Shape::Corridor { line, .. } => Some(line.distance_2(p).sqrt()),
            _ => None,
        }
    }

    /// Where the straight path `a`–`b` goes through the interior deeper than `depth` (m):
    /// the parameter along the path (0 at `a`, 1 at `b`) and the point. For areas, the middle
    /// of the longest stretch of the path inside (of those deeper than `depth` there); for
    /// circles and corridors, the point of the path closest to the centre or centre line.
    /// `params` is scratch space.
    pub(super) fn crossing(
        &self,
        a: Xy,
        b: Xy,
        depth: f64,
        params: &mut Vec<f64>,
    ) -> Option<(f64, Xy)> {
        let envelope = AABB::from_corners(a, b);
        let [lo, hi] = [envelope.lower(), envelope.upper()];
        if hi[0] < self.min[0] || lo[0] > self.max[0] || hi[1] < self.min[1] || lo[1] > self.max[1]
        {
            return None;
        }
        match &self.shape {
            Shape::Area(edges) => {
                params.clear();
                params.extend([0.0, 1.0]);
                params.extend(edges.across(a, b).iter().filter_map(|e| e.meets(a, b)));
                params.sort_unstable_by(f64::total_cmp);
                // The stretches between border crossings are wholly inside or outside.
                let mut best: Option<(f64, f64, Xy)> = None;
                for w in params.windows(2) {
                    let len = w[1] - w[0];
                    if len <= 1e-12 || best.is_some_and(|(l, ..)| l >= len) {
                        continue;
                    }
                    let t = 0.5 * (w[0] + w[1]);
                    let q = lerp(a, b, t);
                    if edges.contains(q) && self.zone(q, depth) == Zone::Inside {
                        best = Some((len, t, q));
                    }
                }
                best.map(|(_, t, q)| (t, q))
            }
            Shape::Circle { radius } => {
                let t = project([0.0, 0.0], a, b);
                let q = lerp(a, b, t);
                (radius - dist2(q, [0.0, 0.0]).sqrt() > depth).then_some((t, q))
            }
            Shape::Corridor { line, half_width } => {
                let grown = AABB::from_corners(
                    [lo[0] - half_width, lo[1] - half_width],
                    [hi[0] + half_width, hi[1] + half_width],
                );
                let mut best = (0.0, f64::INFINITY);
                line.for_each_near(&grown, |e| {
                    let (t, d2) = e.closest_approach(a, b);
                    if d2 < best.1 {
                        best = (t, d2);
                    }
                });
                let (t, d2) = best;
                (half_width - d2.sqrt() > depth).then(|| (t, lerp(a, b, t)))
            }
        }
    }
}

fn bounds(edges: &[Edge], grow: f64) -> (Xy, Xy) {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for p in edges.iter().flat_map(|e| [e.a, e.b]) {
        for i in 0..2 {
            min[i] = min[i].min(p[i] - grow);
            max[i] = max[i].max(p[i] + grow);
        }
    }
    (min, max)
}

fn sub(a: Xy, b: Xy) -> Xy {
    [a[0] - b[0], a[1] - b[1]]
}

fn cross(a: Xy, b: Xy) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

fn dist2(a: Xy, b: Xy) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

fn lerp(a: Xy, b: Xy, t: f64) -> Xy {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// The parameter of the point of segment `a`–`b` closest to `p`.
fn project(p: Xy, a: Xy, b: Xy) -> f64 {
    let d = sub(b, a);
    let len2 = d[0] * d[0] + d[1] * d[1];
    if len2 == 0.0 {
        0.0
    } else {
        ((sub(p, a)[0] * d[0] + sub(p, a)[1] * d[1]) / len2).clamp(0.0, 1.0)
    }
}

fn segment_distance_2(p: Xy, a: Xy, b: Xy) -> f64 {
    dist2(p, lerp(a, b, project(p, a, b)))
}
