//! Spherical Web Mercator (EPSG:3857) between WGS84 lon/lat degrees and metres.
//!
//! # Units
//! Longitude and latitude are in degrees (EPSG:4326 axis order lon, lat); projected
//! coordinates are Web Mercator metres. Latitudes beyond ±[`MAX_LAT_DEG`] are clamped.

use geo::Coord;

/// Radius of the Web Mercator sphere in metres (the WGS84 semi-major axis).
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// Half the width of the Web Mercator square in metres: `π × EARTH_RADIUS_M`.
pub const HALF_WORLD_M: f64 = std::f64::consts::PI * EARTH_RADIUS_M;

/// The latitude in degrees at which the Web Mercator square ends (`atan(sinh(π))`).
pub const MAX_LAT_DEG: f64 = 85.051_128_779_806_59;

/// Projects a lon/lat position in degrees to Web Mercator metres.
///
/// Latitude is clamped to ±[`MAX_LAT_DEG`]; longitude is not wrapped.
///
/// ```
/// use coastwatch_tiles::lon_lat_to_mercator_m;
/// let m = lon_lat_to_mercator_m(geo::coord! { x: 180.0, y: 0.0 });
/// assert!((m.x - 20_037_508.342_789_244).abs() < 1e-6);
/// assert!(m.y.abs() < 1e-9);
/// ```
#[must_use]
pub fn lon_lat_to_mercator_m(lon_lat_deg: Coord<f64>) -> Coord<f64> {
    let lat_deg = lon_lat_deg.y.clamp(-MAX_LAT_DEG, MAX_LAT_DEG);
    let x_m = EARTH_RADIUS_M * lon_lat_deg.x.to_radians();
    let y_m = EARTH_RADIUS_M
        * (std::f64::consts::FRAC_PI_4 + lat_deg.to_radians() / 2.0)
            .tan()
            .ln();
    Coord { x: x_m, y: y_m }
}

/// Unprojects Web Mercator metres to a lon/lat position in degrees.
///
/// ```
/// use coastwatch_tiles::{lon_lat_to_mercator_m, mercator_m_to_lon_lat};
/// let lon_lat = geo::coord! { x: 121.6, y: 29.55 };
/// let back = mercator_m_to_lon_lat(lon_lat_to_mercator_m(lon_lat));
/// assert!((back.x - 121.6).abs() < 1e-9 && (back.y - 29.55).abs() < 1e-9);
/// ```
#[must_use]
pub fn mercator_m_to_lon_lat(xy_m: Coord<f64>) -> Coord<f64> {
    let lon_deg = (xy_m.x / EARTH_RADIUS_M).to_degrees();
    let lat_deg =
        (2.0 * (xy_m.y / EARTH_RADIUS_M).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
    Coord {
        x: lon_deg,
        y: lat_deg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_latitude_maps_to_the_square_edge() {
        let top = lon_lat_to_mercator_m(Coord {
            x: -180.0,
            y: MAX_LAT_DEG,
        });
        assert!((top.y - HALF_WORLD_M).abs() < 1e-3, "{top:?}");
        assert!((top.x + HALF_WORLD_M).abs() < 1e-6);
        let clamped = lon_lat_to_mercator_m(Coord { x: 0.0, y: 90.0 });
        assert!((clamped.y - HALF_WORLD_M).abs() < 1e-3);
    }

    #[test]
    fn round_trips() {
        for (lon, lat) in [(0.0, 0.0), (-73.98, 40.75), (121.6, 29.55), (179.9, -85.0)] {
            let back = mercator_m_to_lon_lat(lon_lat_to_mercator_m(Coord { x: lon, y: lat }));
            assert!((back.x - lon).abs() < 1e-9 && (back.y - lat).abs() < 1e-9);
        }
    }
}
