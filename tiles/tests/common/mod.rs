//! Helpers shared by the encoder tests: geometry given in tile units of a test tile,
//! converted to the lon/lat the encoder takes.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use coastwatch_tiles::{TileCoord, mercator_m_to_lon_lat};
use geo::{Coord, LineString, Polygon};

/// The tile the tests draw in (over Xiangshan Bay).
pub fn tile() -> TileCoord {
    TileCoord::from_zxy(12, 3431, 1698).unwrap()
}

/// Lon/lat of the point at tile units `(x, y)` of `tile` with extent 4096.
pub fn lon_lat(tile: TileCoord, x: f64, y: f64) -> Coord<f64> {
    let b = tile.bounds_mercator_m();
    let units_per_m = 4096.0 / b.width();
    mercator_m_to_lon_lat(Coord {
        x: b.min().x + x / units_per_m,
        y: b.max().y - y / units_per_m,
    })
}

/// A lon/lat line through tile-unit points.
pub fn line(points: &[(f64, f64)]) -> LineString<f64> {
    LineString::new(
        points
            .iter()
            .map(|(x, y)| lon_lat(tile(), *x, *y))
            .collect(),
    )
}

/// A lon/lat polygon from tile-unit rings (closed by `geo`).
pub fn polygon(exterior: &[(f64, f64)], interiors: &[&[(f64, f64)]]) -> Polygon<f64> {
    Polygon::new(line(exterior), interiors.iter().map(|r| line(r)).collect())
}
