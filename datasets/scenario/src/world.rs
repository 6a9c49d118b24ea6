//! The district as the simulator sees it: a local metric frame, a land mask, the docks,
//! lanes, corridors and fences, and the checks that keep traffic in water and out of
//! fences.

use coastwatch_core::Feature;
use coastwatch_core::alerting::fences::FenceShape;
use coastwatch_core::alerting::{DetectionContext, DetectorConfig, FenceSet, LocalClock};
use coastwatch_core::geodesy::LocalFrame;
use coastwatch_core::model::{
    Detect, FeatureId, FenceKind, Geofence, ObjectKind, RiskKind, RiskPoint, ShipCategory,
    VehicleClass,
};
use geo::{BoundingRect, Geometry, LineString};
use serde_json::Value;

use super::District;
use super::error::{Result, ScenarioError};
use super::geom::{Polyline, Xy, dist, samples};

/// The district's time zone (China Standard Time, no daylight saving).
pub(crate) const TIME_ZONE: &str = "Asia/Shanghai";

/// Every ship category, to ask whether a fence concerns vessels at all.
pub(crate) const CATEGORIES: [ShipCategory; 8] = [
    ShipCategory::Fishing,
    ShipCategory::Cargo,
    ShipCategory::Tanker,
    ShipCategory::Passenger,
    ShipCategory::Tug,
    ShipCategory::Pleasure,
    ShipCategory::HighSpeed,
    ShipCategory::Other,
];

const VEHICLE_CLASSES: [VehicleClass; 3] = [
    VehicleClass::TankTruck,
    VehicleClass::ContainerTruck,
    VehicleClass::Other,
];

/// An AIS ship-and-cargo type code of a category.
pub(crate) fn ship_type_of(category: ShipCategory) -> u8 {
    match category {
        ShipCategory::Fishing => 30,
        ShipCategory::Cargo => 70,
        ShipCategory::Tanker => 80,
        ShipCategory::Passenger => 60,
        ShipCategory::Tug => 52,
        ShipCategory::Pleasure => 37,
        ShipCategory::HighSpeed => 40,
        ShipCategory::Other => 90,
    }
}

/// What a fence is to the simulator: where it is and whom it concerns.
#[derive(Debug, Clone)]
pub(crate) struct FenceInfo {
    pub(crate) id: FeatureId,
    pub(crate) name: String,
    pub(crate) kind: FenceKind,
    /// Bounding box in the frame, grown by the buffer and the shape's reach.
    pub(crate) min: Xy,
    pub(crate) max: Xy,
    pub(crate) buffer_m: f64,
    pub(crate) shape: FenceShape,
    pub(crate) for_vessels: bool,
    pub(crate) for_vehicles: bool,
}

/// A dock, registered or not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dock {
    pub(crate) id: FeatureId,
    pub(crate) at: Xy,
    pub(crate) registered: bool,
}

/// The kind of a shipping lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaneKind {
    Transit,
    Approach,
    Fishing,
    Anchorage,
    Other,
}

/// Where a vessel moors at the dock end of an approach lane.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mooring {
    /// Whether the dock is at the line's last point (else at its first).
    pub(crate) at_end: bool,
    pub(crate) point: Xy,
    pub(crate) registered: bool,
}

/// A shipping lane, trimmed to water.
#[derive(Debug, Clone)]
pub(crate) struct Lane {
    pub(crate) kind: LaneKind,
    pub(crate) line: Polyline,
    pub(crate) mooring: Option<Mooring>,
    /// Whether the dock of an approach lane is an unregistered one.
    pub(crate) unregistered_dock: bool,
}

/// A route corridor fence that trucks drive along.
#[derive(Debug, Clone)]
pub(crate) struct Corridor {
    pub(crate) id: FeatureId,
    pub(crate) line: Polyline,
    pub(crate) half_width_m: f64,
    pub(crate) town: Option<String>,
    /// The stretch (arc lengths) clear of other fences at both ends: where trucks park.
    pub(crate) span: (f64, f64),
}

/// Cells of a land raster, by scan-line filling of the land polygons.
#[derive(Debug, Clone)]
struct LandMask {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    bits: Vec<u64>,
}

impl LandMask {
    fn new(min: Xy, max: Xy) -> Self {
        let span = (max[0] - min[0]).max(max[1] - min[1]).max(1.0);
        let cell = (span / 4000.0).max(20.0);
        let nx = ((max[0] - min[0]) / cell).ceil().max(1.0) as usize;
        let ny = ((max[1] - min[1]) / cell).ceil().max(1.0) as usize;
        Self {
            x0: min[0],
            y0: min[1],
            cell,
            nx,
            ny,
            bits: vec![0; (nx * ny).div_ceil(64)],
        }
    }

    fn set(&mut self, i: usize, j: usize) {
        let k = j * self.nx + i;
        self.bits[k / 64] |= 1 << (k % 64);
    }

    /// Fills one polygon (rings by the even-odd rule).
    fn fill(&mut self, rings: &[Vec<Xy>]) {
        let (mut ylo, mut yhi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in rings.iter().flatten() {
            ylo = ylo.min(p[1]);
            yhi = yhi.max(p[1]);
        }
        if !ylo.is_finite() {
            return;
        }
        let row = |y: f64| ((y - self.y0) / self.cell - 0.5).ceil();
        let j0 = row(ylo).max(0.0) as usize;
        let j1 = (row(yhi).max(0.0) as usize).min(self.ny);
        if j0 >= j1 {
            return;
        }
        let mut xs: Vec<Vec<f64>> = vec![Vec::new(); j1 - j0];
        for ring in rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a[1] == b[1] {
                    continue;
                }
                let (lo, hi) = if a[1] < b[1] {
                    (a[1], b[1])
                } else {
                    (b[1], a[1])
                };
                let ja = (row(lo).max(j0 as f64)) as usize;
                let jb = (row(hi).max(0.0) as usize).min(j1);
                for j in ja..jb {
                    let yc = self.y0 + (j as f64 + 0.5) * self.cell;
                    if yc < lo || yc >= hi {
                        continue;
                    }
                    xs[j - j0].push(a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
                }
            }
        }
        for (r, mut row_xs) in xs.into_iter().enumerate() {
            row_xs.sort_by(f64::total_cmp);
            for pair in row_xs.chunks_exact(2) {
                let col = |x: f64| {
                    ((x - self.x0) / self.cell - 0.5)
                        .ceil()
                        .clamp(0.0, self.nx as f64) as usize
                };
                for i in col(pair[0])..col(pair[1]) {
                    self.set(i, j0 + r);
                }
            }
        }
    }

    fn is_land(&self, p: Xy) -> bool {
        let i = ((p[0] - self.x0) / self.cell).floor();
        let j = ((p[1] - self.y0) / self.cell).floor();
        if i < 0.0 || j < 0.0 || i >= self.nx as f64 || j >= self.ny as f64 {
            return false;
        }
        let k = j as usize * self.nx + i as usize;
        self.bits[k / 64] >> (k % 64) & 1 == 1
    }
}

/// The district, prepared for placing traffic and incidents.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) frame: LocalFrame,
    pub(crate) clock: LocalClock,
    pub(crate) ctx: DetectionContext,
    pub(crate) fences: FenceSet,
    pub(crate) fence_info: Vec<FenceInfo>,
    land: LandMask,
    pub(crate) has_land: bool,
    pub(crate) docks: Vec<Dock>,
    pub(crate) anchorages: Vec<Xy>,
    pub(crate) lanes: Vec<Lane>,
    pub(crate) corridors: Vec<Corridor>,
    pub(crate) coast_lines: Vec<Polyline>,
    pub(crate) detect: DetectorConfig,
}

/// Every line of a line or multi-line geometry.
fn lines_of(geometry: Option<&Geometry>) -> Vec<&LineString> {
    match geometry {
        Some(Geometry::LineString(l)) => vec![l],
        Some(Geometry::MultiLineString(m)) => m.0.iter().collect(),
        _ => Vec::new(),
    }
}

/// The rings of each polygon of a polygon geometry.
fn polygons_of(geometry: Option<&Geometry>) -> Vec<Vec<&LineString>> {
    match geometry {
        Some(Geometry::Polygon(p)) => {
            vec![std::iter::once(p.exterior()).chain(p.interiors()).collect()]
        }
        Some(Geometry::MultiPolygon(m)) => {
            m.0.iter()
                .map(|p| std::iter::once(p.exterior()).chain(p.interiors()).collect())
                .collect()
        }
        _ => Vec::new(),
    }
}

fn record<T: serde::de::DeserializeOwned>(feature: &Feature) -> Option<T> {
    serde_json::from_value(Value::Object(feature.properties.clone())).ok()
}

impl World {
    /// Prepares `district`.
    pub(crate) fn build(district: &District) -> Result<Self> {
        let clock = LocalClock::new(TIME_ZONE).map_err(|e| ScenarioError::Config(e.to_string()))?;
        let fences = FenceSet::compile(&district.geofences)
            .map_err(|e| ScenarioError::District(format!("geofences: {e}")))?;

        // The extent: areas, lanes, roads and risk points.
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for f in district
            .areas
            .iter()
            .chain(&district.lanes)
            .chain(&district.roads)
            .chain(&district.risk_points)
        {
            if let Some(r) = f.geometry.as_ref().and_then(|g| g.bounding_rect()) {
                lo = [lo[0].min(r.min().x), lo[1].min(r.min().y)];
                hi = [hi[0].max(r.max().x), hi[1].max(r.max().y)];
            }
        }
        if !lo[0].is_finite() {
            return Err(ScenarioError::District(
                "no areas, lanes, roads or risk points to place the scenario in".into(),
            ));
        }
        let frame = LocalFrame::new([(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0]);
        let xy = |c: geo::Coord| frame.to_xy([c.x, c.y]);
        let (min, max) = (frame.to_xy(lo), frame.to_xy(hi));
        let margin = 3000.0;
        let mut land = LandMask::new(
            [min[0] - margin, min[1] - margin],
            [max[0] + margin, max[1] + margin],
        );
        let mut has_land = false;
        for feature in &district.land {
            for polygon in polygons_of(feature.geometry.as_ref()) {
                let rings: Vec<Vec<Xy>> = polygon
                    .iter()
                    .map(|r| r.coords().map(|c| xy(*c)).collect())
                    .collect();
                land.fill(&rings);
                has_land = true;
            }
        }

        let ctx = DetectionContext::from_features(
            &district.risk_points,
            &district.coastline,
            &district.areas,
            &district.geofences,
        );
        let mut docks = Vec::new();
        let mut anchorages = Vec::new();
        for feature in &district.risk_points {
            let (Some(id), Some(Geometry::Point(p)), Some(point)) = (
                feature.id,
                feature.geometry.as_ref(),
                record::<RiskPoint>(feature),
            ) else {
                continue;
            };
            let at = frame.to_xy([p.x(), p.y()]);
            match point.kind {
                RiskKind::Dock => docks.push(Dock {
                    id,
                    at,
                    registered: point.registered,
                }),
                RiskKind::Anchorage => anchorages.push(at),
                _ => {}
            }
        }

        let mut fence_info = Vec::new();
        for feature in &district.geofences {
            let (Some(id), Some(fence)) = (feature.id, record::<Geofence>(feature)) else {
                continue;
            };
            let (Some(compiled), Some(rect)) = (
                fences.get(id),
                feature.geometry.as_ref().and_then(|g| g.bounding_rect()),
            ) else {
                continue;
            };
            let reach = fence.rule.debounce.buffer_m
                + fence.radius_m.map_or(0.0, |r| r.get())
                + fence.width_m.map_or(0.0, |w| w.get() / 2.0)
                + 5.0;
            let (a, b) = (xy(rect.min()), xy(rect.max()));
            fence_info.push(FenceInfo {
                id,
                name: fence.name.clone(),
                kind: fence.kind,
                min: [a[0] - reach, a[1] - reach],
                max: [b[0] + reach, b[1] + reach],
                buffer_m: fence.rule.debounce.buffer_m,
                shape: compiled.shape(),
                for_vessels: CATEGORIES
                    .iter()
                    .any(|&c| compiled.applies_to(ObjectKind::Vessel(c))),
                for_vehicles: VEHICLE_CLASSES
                    .iter()
                    .any(|&c| compiled.applies_to(ObjectKind::Vehicle(c))),
            });
        }

        let coast_lines = district
            .coastline
            .iter()
            .flat_map(|f| lines_of(f.geometry.as_ref()))
            .filter_map(|l| Polyline::new(l.coords().map(|c| xy(*c)).collect()))
            .collect();

        let mut world = Self {
            frame,
            clock,
            ctx,
            fences,
            fence_info,
            land,
            has_land,
            docks,
            anchorages,
            lanes: Vec::new(),
            corridors: Vec::new(),
            coast_lines,
            detect: DetectorConfig::default(),
        };
        world.lanes = district
            .lanes
            .iter()
            .filter_map(|f| world.lane(f))
            .collect();
        world.corridors = district
            .geofences
            .iter()
            .filter_map(|f| world.corridor(f))
            .collect();
        if world.lanes.is_empty() {
            return Err(ScenarioError::District(
                "no lane lies in water clear of the vessel fences".into(),
            ));
        }
        Ok(world)
    }

    /// A lane feature trimmed to water, when it is usable: clear of vessel fences and of
    /// land except at its ends.
    fn lane(&self, feature: &Feature) -> Option<Lane> {
        let line = lines_of(feature.geometry.as_ref())
            .into_iter()
            .filter_map(|l| Polyline::new(l.coords().map(|c| self.xy([c.x, c.y])).collect()))
            .max_by(|a, b| a.len().total_cmp(&b.len()))?;
        let kind = match feature.properties.get("kind").and_then(Value::as_str) {
            Some("transit") => LaneKind::Transit,
            Some("approach") => LaneKind::Approach,
            Some("fishing") => LaneKind::Fishing,
            Some("anchorage") => LaneKind::Anchorage,
            _ => LaneKind::Other,
        };
        let dock = feature
            .properties
            .get("dock_id")
            .and_then(Value::as_i64)
            .and_then(|id| self.docks.iter().find(|d| d.id.get() == id))
            .copied();
        // Trim land at the ends; land in the middle makes the lane unusable.
        let step = 10.0;
        let n = (line.len() / step).ceil() as usize;
        let wet: Vec<bool> = (0..=n)
            .map(|i| !self.is_land(line.at(i as f64 * line.len() / n as f64)))
            .collect();
        let first = wet.iter().position(|w| *w)?;
        let last = wet.iter().rposition(|w| *w)?;
        if wet[first..=last].iter().any(|w| !w) {
            return None;
        }
        let (sa, sb) = (
            first as f64 * line.len() / n as f64,
            last as f64 * line.len() / n as f64,
        );
        let line = Polyline::new(line.slice(sa, sb))?;
        if line.len() < 1000.0 {
            return None;
        }
        let clear = (0..=(line.len() / 20.0) as usize).all(|i| {
            let p = line.at(i as f64 * 20.0);
            self.fence_clear(p, 60.0, Party::Vessel, None)
        });
        if !clear {
            return None;
        }
        let mooring = dock.and_then(|dock| {
            let at_end = dist(line.last(), dock.at) <= dist(line.first(), dock.at);
            let end = if at_end { line.last() } else { line.first() };
            if dist(end, dock.at) > 400.0 {
                return None;
            }
            let point = samples(end, dock.at, 5.0)
                .take_while(|p| !self.is_land(*p))
                .last()?;
            (dist(point, dock.at) <= 100.0 && self.fence_clear(point, 60.0, Party::Vessel, None))
                .then_some(Mooring {
                    at_end,
                    point,
                    registered: dock.registered,
                })
        });
        Some(Lane {
            kind,
            line,
            mooring,
            unregistered_dock: dock.is_some_and(|d| !d.registered),
        })
    }

    /// A route corridor fence as a road to drive, with the stretch clear of other fences
    /// at its ends.
    fn corridor(&self, feature: &Feature) -> Option<Corridor> {
        let fence: Geofence = record(feature)?;
        if fence.kind != FenceKind::RouteCorridor {
            return None;
        }
        let id = feature.id?;
        let line = lines_of(feature.geometry.as_ref())
            .into_iter()
            .filter_map(|l| Polyline::new(l.coords().map(|c| self.xy([c.x, c.y])).collect()))
            .max_by(|a, b| a.len().total_cmp(&b.len()))?;
        let half_width_m = fence
            .width_m
            .map_or(self.detect.corridor_width_m / 2.0, |w| w.get() / 2.0);
        let clear = |s: f64| self.fence_clear(line.at(s), 30.0, Party::Vehicle, Some(id));
        let step = 10.0;
        let mut sa = 0.0;
        while sa < line.len() && !clear(sa) {
            sa += step;
        }
        let mut sb = line.len();
        while sb > sa && !clear(sb) {
            sb -= step;
        }
        if sb - sa < 1500.0 {
            return None;
        }
        let town = fence
            .town
            .or_else(|| self.town_at(line.at(line.len() / 2.0)));
        Some(Corridor {
            id,
            line,
            half_width_m,
            town,
            span: (sa, sb),
        })
    }

    pub(crate) fn xy(&self, lonlat: [f64; 2]) -> Xy {
        self.frame.to_xy(lonlat)
    }

    pub(crate) fn lonlat(&self, p: Xy) -> [f64; 2] {
        self.frame.to_lonlat(p)
    }

    pub(crate) fn is_land(&self, p: Xy) -> bool {
        self.land.is_land(p)
    }

    /// Distance (m) to the coastline, infinite when farther than `max_m`.
    pub(crate) fn coast_m(&self, p: Xy, max_m: f64) -> f64 {
        let [lon, lat] = self.lonlat(p);
        self.ctx
            .distance_to_coast_m(lon, lat, max_m)
            .unwrap_or(f64::INFINITY)
    }

    /// Distance (m) to the nearest registered dock.
    pub(crate) fn dock_m(&self, p: Xy) -> f64 {
        self.docks
            .iter()
            .filter(|d| d.registered)
            .map(|d| dist(d.at, p))
            .fold(f64::INFINITY, f64::min)
    }

    /// Distance (m) to the nearest anchorage.
    pub(crate) fn anchorage_m(&self, p: Xy) -> f64 {
        self.anchorages
            .iter()
            .map(|a| dist(*a, p))
            .fold(f64::INFINITY, f64::min)
    }

    pub(crate) fn in_area(&self, p: Xy) -> bool {
        let [lon, lat] = self.lonlat(p);
        self.ctx.in_watch_area(lon, lat)
    }

    pub(crate) fn town_at(&self, p: Xy) -> Option<String> {
        let [lon, lat] = self.lonlat(p);
        self.ctx.town_at(lon, lat).map(str::to_owned)
    }

    pub(crate) fn watch_zone_at(&self, p: Xy) -> Option<FeatureId> {
        let [lon, lat] = self.lonlat(p);
        self.ctx.watch_zone_at(lon, lat)
    }

    /// Signed distance (m) from `p` to the border of fence `id`, positive inside.
    pub(crate) fn fence_depth_m(&self, id: FeatureId, p: Xy) -> f64 {
        let [lon, lat] = self.lonlat(p);
        self.fences
            .get(id)
            .map_or(f64::NEG_INFINITY, |f| f.signed_distance_m(lon, lat))
    }

    /// Whether `p` lies more than `margin_m` outside (past the debounce buffer) every
    /// fence that concerns `party`, fence `allow` excepted.
    pub(crate) fn fence_clear(
        &self,
        p: Xy,
        margin_m: f64,
        party: Party,
        allow: Option<FeatureId>,
    ) -> bool {
        self.fence_info.iter().all(|f| {
            let concerned = match party {
                Party::Vessel => f.for_vessels,
                Party::Vehicle => f.for_vehicles,
            };
            if !concerned || Some(f.id) == allow {
                return true;
            }
            if p[0] < f.min[0] - margin_m
                || p[1] < f.min[1] - margin_m
                || p[0] > f.max[0] + margin_m
                || p[1] > f.max[1] + margin_m
            {
                return true;
            }
            self.fence_depth_m(f.id, p) < -(f.buffer_m + margin_m)
        })
    }

    /// Whether a vessel may be at `p`: in water, `clearance_m` or more from the coast,
    /// `fence_margin_m` clear of vessel fences (but `allow`).
    pub(crate) fn sea_ok(
        &self,
        p: Xy,
        clearance_m: f64,
        fence_margin_m: f64,
        allow: Option<FeatureId>,
    ) -> bool {
        !self.is_land(p)
            && (clearance_m <= 0.0 || self.coast_m(p, clearance_m) >= clearance_m)
            && self.fence_clear(p, fence_margin_m, Party::Vessel, allow)
    }

    /// [`World::sea_ok`] every 15 m along a path.
    pub(crate) fn sea_path_ok(
        &self,
        pts: &[Xy],
        clearance_m: f64,
        fence_margin_m: f64,
        allow: Option<FeatureId>,
    ) -> bool {
        pts.windows(2).all(|w| {
            samples(w[0], w[1], 15.0).all(|p| self.sea_ok(p, clearance_m, fence_margin_m, allow))
        })
    }

    /// Local minute of the day at `t`.
    pub(crate) fn minute(&self, t: f64) -> u16 {
        self.clock.minute_of_day(t)
    }

    /// The first time at or after `t` when the local clock shows `minute` (whole seconds).
    pub(crate) fn next_local(&self, t: f64, minute: u16) -> f64 {
        let now = f64::from(self.minute(t));
        let base = t - t.rem_euclid(60.0);
        let mut at = base + (f64::from(minute) - now).rem_euclid(1440.0) * 60.0;
        if at < t {
            at += 86_400.0;
        }
        at
    }

    /// Whether any minute of `[t0, t1]` falls in local `[from, to)` (minutes, may wrap).
    pub(crate) fn touches_hours(&self, t0: f64, t1: f64, from: u16, to: u16) -> bool {
        let inside = |m: u16| {
            if from <= to {
                (from..to).contains(&m)
            } else {
                m >= from || m < to
            }
        };
        let mut t = t0;
        while t <= t1 {
            if inside(self.minute(t)) {
                return true;
            }
            t += 60.0;
        }
        inside(self.minute(t1))
    }

    /// Whether every minute of `[t0, t1]` falls in local `[from, to)`.
    pub(crate) fn within_hours(&self, t0: f64, t1: f64, from: u16, to: u16) -> bool {
        let outside_from = to;
        let outside_to = from;
        !self.touches_hours(t0, t1, outside_from, outside_to)
    }

    /// Whether a fence's rule is active at `t`.
    pub(crate) fn fence_active(&self, id: FeatureId, t: f64) -> bool {
        self.fences.get(id).is_some_and(|f| {
            f.rule()
                .active_hours
                .is_none_or(|h| h.contains(self.minute(t)))
        })
    }

    /// Whether a fence's rule detects `detect`.
    pub(crate) fn fence_detects(&self, id: FeatureId, detect: Detect) -> bool {
        self.fences.get(id).is_some_and(|f| f.detects(detect))
    }
}

/// Whom a fence check is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    Vessel,
    Vehicle,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_world_has_water_lanes_and_corridors() {
        let world = World::build(&District::synthetic()).unwrap();
        assert!(world.has_land);
        // the frame is centred on the district, so probe through lon/lat
        let probe = |lon: f64, lat: f64| world.is_land(world.xy([lon, lat]));
        assert!(probe(121.78, 29.5), "mainland");
        assert!(!probe(121.85, 29.5), "sea");
        assert!(world.lanes.len() >= 6, "{}", world.lanes.len());
        let moorings = world.lanes.iter().filter(|l| l.mooring.is_some()).count();
        assert!(moorings >= 3, "{moorings}");
        assert_eq!(world.corridors.len(), 3);
        for c in &world.corridors {
            assert!(c.span.0 >= 0.0 && c.span.1 <= c.line.len() && c.span.1 - c.span.0 > 1500.0);
        }
        assert_eq!(world.minute(1_780_308_000.0), 18 * 60);
        let t = world.next_local(1_780_308_000.0, 5 * 60);
        assert_eq!(t - 1_780_308_000.0, 11.0 * 3600.0);
        assert!(world.within_hours(t - 600.0, t - 60.0, 22 * 60, 5 * 60));
        assert!(!world.within_hours(t - 600.0, t + 60.0, 22 * 60, 5 * 60));
    }
}

#[cfg(test)]
mod demo_tests {
    use super::*;

    #[test]
    #[ignore = "prints the demo district as the simulator sees it"]
    fn demo_world_summary() {
        let world = World::build(&District::demo().unwrap()).unwrap();
        for lane in &world.lanes {
            println!(
                "lane {:?} len {:.0} mooring {:?} unreg {}",
                lane.kind,
                lane.line.len(),
                lane.mooring.map(|m| (m.at_end, m.registered)),
                lane.unregistered_dock
            );
        }
        for c in &world.corridors {
            println!(
                "corridor {} len {:.0} span {:?} half {}",
                c.id,
                c.line.len(),
                c.span,
                c.half_width_m
            );
        }
        for f in &world.fence_info {
            println!(
                "fence {} {:?} {:?} vessels {} vehicles {}",
                f.id, f.kind, f.shape, f.for_vessels, f.for_vehicles
            );
        }
        println!(
            "docks {} anchorages {} coast lines {}",
            world.docks.len(),
            world.anchorages.len(),
            world.coast_lines.len()
        );
    }
}
