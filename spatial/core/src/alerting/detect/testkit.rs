//! A test district around lon 121.6, lat 29.6 and a driver for the detectors.
//!
//! Places are given in metres east and north of that origin. The coastline runs east–west
//! through the origin (sea to the north); the registered dock sits on it at the origin.

use geo::{LineString, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

use super::Detectors;
use crate::Feature;
use crate::alerting::context::DetectionContext;
use crate::alerting::{AlertEvent, LocalClock, Phase, Sample};
use crate::geodesy::LocalFrame;
use crate::model::{AlertKind, FeatureId, IdentityFlag, VehicleClass};

/// The data time of minute 0 (epoch s).
pub(super) const T0: f64 = 1_780_000_000.0;
/// 2026-06-01T14:30:00Z, 22:30 in Shanghai.
pub(super) const NIGHT_2230_SHANGHAI: f64 = 1_780_324_200.0;

/// Two vessels.
pub(super) const A: u32 = 412_000_001;
pub(super) const B: u32 = 412_000_002;

/// Open sea: 5.8 km from the registered dock, 9 km from the anchorage.
pub(super) const SEA: [f64; 2] = [3000.0, 5000.0];
/// 600 m from the registered dock.
pub(super) const NEAR_DOCK: [f64; 2] = [0.0, 600.0];
/// Outside the district.
pub(super) const OUTSIDE: [f64; 2] = [40_000.0, 5000.0];
/// 800 m from the anchorage.
pub(super) const NEAR_ANCHORAGE: [f64; 2] = [-6000.0, 6800.0];
/// 100 m off the coast, 3 km from the registered dock, 220 m from an unregistered one.
pub(super) const LANDING: [f64; 2] = [3000.0, 100.0];
/// 300 m off the coast, far from docks.
pub(super) const OFFSHORE_300: [f64; 2] = [3000.0, 300.0];
/// 100 m off the coast, 400 m from the registered dock.
pub(super) const DOCK_400: [f64; 2] = [387.3, 100.0];
/// On the road corridor.
pub(super) const ROAD: [f64; 2] = [-3000.0, -5000.0];
/// In the watch zone.
pub(super) const ZONE: [f64; 2] = [0.0, -8500.0];

/// The route corridor fence (50 m wide along y = -5000 from x = -5000 to 5000).
pub(super) const CORRIDOR: i64 = 30;
/// The watch zone fence (x -1000..1000, y -9000..-8000).
pub(super) const ZONE_ID: i64 = 20;

/// A feature id.
pub(super) fn id(n: i64) -> FeatureId {
    FeatureId::try_from(n).expect("test ids are positive")
}

/// Lon/lat of a place in metres from the origin.
pub(super) fn at(xy: [f64; 2]) -> [f64; 2] {
    LocalFrame::new([121.6, 29.6]).to_lonlat(xy)
}

/// The data time of `minute` after [`T0`].
pub(super) fn minutes(minute: f64) -> f64 {
    minutes_from(T0, minute)
}

/// The data time of `minute` after `base`.
pub(super) fn minutes_from(base: f64, minute: f64) -> f64 {
    base + minute * 60.0
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    let ring = vec![
        at([x0, y0]),
        at([x1, y0]),
        at([x1, y1]),
        at([x0, y1]),
        at([x0, y0]),
    ];
    Polygon::new(LineString::from(ring), vec![])
}

fn risk_point(n: i64, xy: [f64; 2], kind: &str, registered: bool) -> Feature {
    let [lon, lat] = at(xy);
    Feature::new(
        Point::new(lon, lat),
        json!({"kind": kind, "name": format!("Point {n}"), "registered": registered, "card": "none"}),
    )
    .with_id(id(n))
}

fn fence_rule() -> Value {
    json!({"classes": ["any"], "detect": ["enter"], "dwell_min": 10.0, "severity": "warning",
           "debounce": {"fixes": 2, "buffer_m": 0.0}})
}

/// The test district.
pub(super) fn context() -> DetectionContext {
    let risk_points = [
        risk_point(1, [0.0, 0.0], "dock", true),
        risk_point(2, [3200.0, 0.0], "dock", false),
        risk_point(3, [-6000.0, 6000.0], "anchorage", false),
    ];
    let coastline = [Feature::new(
        LineString::from(vec![at([-20_000.0, 0.0]), at([20_000.0, 0.0])]),
        json!({}),
    )
    .with_id(id(1))];
    let areas = [
        Feature::new(
            MultiPolygon(vec![square(-30_000.0, -30_000.0, 30_000.0, 30_000.0)]),
            json!({"name": "Xiangshan", "kind": "district"}),
        )
        .with_id(id(1)),
        Feature::new(
            MultiPolygon(vec![square(-30_000.0, -30_000.0, 30_000.0, 30_000.0)]),
            json!({"name": "Songao", "kind": "town"}),
        )
        .with_id(id(2)),
    ];
    let geofences = [
        Feature::new(
            LineString::from(vec![at([-5000.0, -5000.0]), at([5000.0, -5000.0])]),
            json!({"name": "Tanker route", "kind": "route_corridor", "width_m": 50.0, "rule": fence_rule()}),
        )
        .with_id(id(CORRIDOR)),
        Feature::new(
            square(-1000.0, -9000.0, 1000.0, -8000.0),
            json!({"name": "Depot yard", "kind": "watch_zone", "rule": fence_rule()}),
        )
        .with_id(id(ZONE_ID)),
    ];
    DetectionContext::from_features(&risk_points, &coastline, &areas, &geofences)
}

/// The plate of every test vehicle.
pub(super) const PLATE: &str = "浙B·12345";

/// Detectors over the test district, with the events they emitted.
pub(super) struct Run {
    pub(super) detectors: Detectors,
    pub(super) ctx: DetectionContext,
    pub(super) clock: LocalClock,
    /// The data time of minute 0.
    pub(super) base: f64,
    pub(super) out: Vec<AlertEvent>,
}

impl Run {
    /// Default thresholds, UTC, minute 0 at [`T0`].
    pub(super) fn new() -> Self {
        Self {
            detectors: Detectors::default(),
            ctx: context(),
            clock: LocalClock::utc(),
            base: T0,
            out: Vec::new(),
        }
    }

    /// A fix of vessel `mmsi` at `minute` at place `xy`, `kn` knots, no name or flags.
    pub(super) fn vessel(&mut self, mmsi: u32, minute: f64, xy: [f64; 2], kn: f64) {
        let t = minutes_from(self.base, minute);
        self.vessel_at(mmsi, t, xy, Some(kn * crate::geodesy::MPS_PER_KN));
    }

    /// A fix of vessel `mmsi` at data time `t`, with speed `speed_mps` if reported.
    pub(super) fn vessel_at(&mut self, mmsi: u32, t: f64, xy: [f64; 2], speed_mps: Option<f64>) {
        let [lon, lat] = at(xy);
        let sample = Sample {
            t,
            lon,
            lat,
            speed_mps,
        };
        self.detectors.observe_vessel(
            &self.ctx,
            &self.clock,
            mmsi,
            None,
            &[],
            &sample,
            &mut self.out,
        );
    }

    /// A fix of vessel `mmsi` with a name (empty: none) and identity flags.
    pub(super) fn named_vessel(
        &mut self,
        mmsi: u32,
        name: &str,
        minute: f64,
        xy: [f64; 2],
        kn: f64,
        flags: &[IdentityFlag],
    ) {
        let [lon, lat] = at(xy);
        let sample = Sample {
            t: minutes_from(self.base, minute),
            lon,
            lat,
            speed_mps: Some(kn * crate::geodesy::MPS_PER_KN),
        };
        let name = (!name.is_empty()).then_some(name);
        self.detectors.observe_vessel(
            &self.ctx,
            &self.clock,
            mmsi,
            name,
            flags,
            &sample,
            &mut self.out,
        );
    }

    /// A fix of vehicle `vehicle_id` at `minute` at place `xy`, `kmh` km/h.
    pub(super) fn vehicle(
        &mut self,
        vehicle_id: &str,
        class: VehicleClass,
        corridor: Option<FeatureId>,
        minute: f64,
        xy: [f64; 2],
        kmh: f64,
    ) {
        let [lon, lat] = at(xy);
        let sample = Sample {
            t: minutes_from(self.base, minute),
            lon,
            lat,
            speed_mps: Some(kmh / 3.6),
        };
        self.detectors.observe_vehicle(
            &self.ctx,
            &self.clock,
            vehicle_id,
            Some(PLATE),
            class,
            corridor,
            &sample,
            &mut self.out,
        );
    }

    /// A tick at `minute`.
    pub(super) fn tick(&mut self, minute: f64) {
        let now = minutes_from(self.base, minute);
        self.detectors.tick(&self.ctx, now, &mut self.out);
    }

    /// The events of `kind`, in order.
    pub(super) fn events(&self, kind: AlertKind) -> Vec<&AlertEvent> {
        self.out.iter().filter(|e| e.key.kind == kind).collect()
    }

    /// How many events of `kind` were in `phase`.
    pub(super) fn count(&self, kind: AlertKind, phase: Phase) -> usize {
        self.events(kind)
            .iter()
            .filter(|e| e.phase == phase)
            .count()
    }

    /// How many episodes of `kind` opened.
    pub(super) fn opens(&self, kind: AlertKind) -> usize {
        self.count(kind, Phase::Open)
    }

    /// The latest event of `kind` in `phase`.
    pub(super) fn last(&self, kind: AlertKind, phase: Phase) -> &AlertEvent {
        self.out
            .iter()
            .rev()
            .find(|e| e.key.kind == kind && e.phase == phase)
            .unwrap_or_else(|| panic!("no {kind:?} {phase:?} event in {:#?}", self.out))
    }
}
