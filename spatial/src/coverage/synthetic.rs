//! A synthetic coastal district for tests and benchmarks: a wavy coastline across the demo
//! bounding box (lon 121.40–121.80, lat 29.45–29.70) with land to the north split into
//! three towns, cameras on the shore looking out to sea, and risk points just inland.
//! Deterministic for a given seed.

use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::{CameraModel, RiskSite, Scene, SceneCamera, Shore, TownArea};
use crate::geodesy;
use crate::model::{Card, RiskKind};
use crate::rng::Rng;

/// How big a synthetic district is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticSize {
    /// Cameras.
    pub cameras: usize,
    /// Risk points.
    pub risk_points: usize,
    /// Coastline length (km, approximately).
    pub coast_km: f64,
}

impl SyntheticSize {
    /// The size of the demo district: 30 cameras, 40 risk points, about 50 km of coastline.
    pub const DEMO: Self = Self {
        cameras: 30,
        risk_points: 40,
        coast_km: 50.0,
    };
}

/// The towns, west to east.
pub const TOWNS: [&str; 3] = ["Chunhu", "Qiucun", "Songao"];

const WEST: f64 = 121.40;
const EAST: f64 = 121.80;
const SOUTH: f64 = 29.45;
const NORTH: f64 = 29.70;
const COAST_LAT: f64 = 29.60;

/// The coastline: west to east, a vertex about every 120 m, wavy enough to be about
/// `coast_km` long.
fn coast(coast_km: f64) -> Vec<Coord> {
    let (x0, x1) = (WEST + 0.02, EAST - 0.02);
    let straight_km = geodesy::distance_m([x0, COAST_LAT], [x1, COAST_LAT]) / 1000.0;
    let stretch = (coast_km / straight_km).max(1.0);
    // length factor of a sine of slope amplitude k is about 1 + k²/4 for small k; solve
    // numerically below instead
    let wavelength_km = 6.0;
    let mut k = 0.0;
    for _ in 0..60 {
        let factor: f64 = (0..100)
            .map(|i| {
                let c = (std::f64::consts::TAU * f64::from(i) / 100.0).cos();
                (1.0 + k * k * c * c).sqrt()
            })
            .sum::<f64>()
            / 100.0;
        if factor >= stretch {
            break;
        }
        k += 0.05;
    }
    let amplitude_km = k * wavelength_km / std::f64::consts::TAU;
    let n = (coast_km * 1000.0 / 120.0).ceil().max(8.0) as usize;
    (0..=n)
        .map(|i| {
            let f = i as f64 / n as f64;
            let x = x0 + (x1 - x0) * f;
            let along_km = straight_km * f;
            let dy_km = amplitude_km * (std::f64::consts::TAU * along_km / wavelength_km).sin();
            Coord {
                x,
                y: COAST_LAT + geodesy::lat_deg(dy_km * 1000.0),
            }
        })
        .collect()
}

/// A point `inland_m` north of the coastline vertex `i`.
fn inland(coast: &[Coord], i: usize, inland_m: f64) -> [f64; 2] {
    [coast[i].x, coast[i].y + geodesy::lat_deg(inland_m)]
}

/// A synthetic district of `size` (see the module docs); ids start at 1.
pub fn district(size: &SyntheticSize, seed: u64) -> Scene {
    let mut rng = Rng::new(seed);
    let coast = coast(size.coast_km);
    let third = coast.len() / 3;
    let parts = [0..third + 1, third..2 * third + 1, 2 * third..coast.len()];
    let town_of = |i: usize| TOWNS[(i / third.max(1)).min(2)].to_owned();
    let mut scene = Scene {
        district: Some(MultiPolygon(vec![
            geo::Rect::new(Coord { x: WEST, y: SOUTH }, Coord { x: EAST, y: NORTH }).to_polygon(),
        ])),
        ..Scene::default()
    };
    for (k, part) in parts.iter().enumerate() {
        let line: Vec<Coord> = coast[part.clone()].to_vec();
        scene.coastline.push(Shore {
            id: k as i64 + 1,
            town: Some(TOWNS[k].to_owned()),
            line: LineString(line.clone()),
        });
        let (west, east) = (
            if k == 0 { WEST } else { line[0].x },
            if k == 2 { EAST } else { line[line.len() - 1].x },
        );
        let mut ring = Vec::with_capacity(line.len() + 5);
        ring.push(Coord {
            x: west,
            y: line[0].y,
        });
        ring.extend(line.iter().copied());
        ring.push(Coord {
            x: east,
            y: line[line.len() - 1].y,
        });
        ring.push(Coord { x: east, y: NORTH });
        ring.push(Coord { x: west, y: NORTH });
        ring.push(ring[0]);
        scene.towns.push(TownArea {
            name: TOWNS[k].to_owned(),
            shape: MultiPolygon(vec![Polygon::new(LineString(ring), Vec::new())]),
        });
    }
    for c in 0..size.cameras {
        let i = ((c as f64 + rng.range(0.1, 0.9)) / size.cameras as f64 * (coast.len() - 1) as f64)
            as usize;
        let [lon, lat] = inland(&coast, i, rng.range(20.0, 80.0));
        let ptz = rng.unit() < 0.2;
        let range_m = rng.range(1500.0, 5000.0);
        scene.cameras.push(SceneCamera {
            model: CameraModel {
                id: c as i64 + 1,
                lon,
                lat,
                height_m: rng.range(10.0, 40.0),
                heading_deg: if ptz { 0.0 } else { rng.range(120.0, 240.0) },
                hfov_deg: if ptz { 360.0 } else { rng.range(45.0, 120.0) },
                range_m,
                near_range_m: rng.range(0.0, 30.0),
            },
            name: format!("CAM-{:03}", c + 1),
            town: Some(town_of(i)),
        });
    }
    let kinds = [
        RiskKind::Dock,
        RiskKind::Dock,
        RiskKind::OilDepot,
        RiskKind::ColdStore,
        RiskKind::Shipyard,
        RiskKind::Warehouse,
        RiskKind::TruckFirm,
        RiskKind::CraneFirm,
        RiskKind::FuelPoint,
        RiskKind::Anchorage,
    ];
    for r in 0..size.risk_points {
        let i = (rng.unit() * (coast.len() - 1) as f64) as usize;
        let kind = kinds[(rng.unit() * kinds.len() as f64) as usize % kinds.len()];
        let inland_m = match kind {
            RiskKind::Anchorage => -rng.range(200.0, 800.0),
            RiskKind::Dock => rng.range(0.0, 30.0),
            _ => rng.range(50.0, 600.0),
        };
        let card = match rng.unit() {
            x if x < 0.08 => Card::Red,
            x if x < 0.25 => Card::Yellow,
            _ => Card::None,
        };
        scene.risk_points.push(RiskSite {
            id: r as i64 + 1,
            name: format!("Risk point {}", r + 1),
            kind,
            registered: rng.unit() < 0.7,
            town: Some(town_of(i)),
            card,
            lonlat: inland(&coast, i, inland_m),
        });
    }
    scene
}
