//! The one home of geodesy and units: distances, bearings and destinations on the mean earth
//! sphere, and a local metric frame for geometry that is small compared with the earth
//! (fences, docks, coastline near a point). Every crate measures through these.

pub mod gcj02;

use geo::{Bearing, Destination, Haversine, Point};

/// Mean earth radius (m), IUGG (the radius of geo's [`Haversine`]).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres in one nautical mile.
pub const METRES_PER_NMI: f64 = 1852.0;

/// Metres per second in one knot.
pub const MPS_PER_KN: f64 = METRES_PER_NMI / 3600.0;

/// Metres per second in one km/h.
pub const MPS_PER_KMH: f64 = 1000.0 / 3600.0;

/// Great-circle distance between two lon/lat points (m), by the haversine formula. Unlike a
/// bare haversine it stays finite for (nearly) antipodal points, where rounding can push the
/// haversine above 1; a NaN coordinate gives NaN.
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (lat1, lat2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().clamp(0.0, 1.0).asin()
}

/// Initial bearing from `a` to `b` (lon, lat), degrees clockwise from north, `0..360`.
pub fn bearing_deg(a: [f64; 2], b: [f64; 2]) -> f64 {
    Haversine.bearing(Point::from(a), Point::from(b))
}

/// The point (lon, lat) `distance_m` from `from` along the great circle at `bearing_deg`.
pub fn destination(from: [f64; 2], bearing_deg: f64, distance_m: f64) -> [f64; 2] {
    let to = Haversine.destination(Point::from(from), bearing_deg, distance_m);
    [to.x(), to.y()]
}

/// Degrees of latitude spanned by `metres`.
pub fn lat_deg(metres: f64) -> f64 {
    (metres / EARTH_RADIUS_M).to_degrees()
}

/// Degrees of longitude spanned by `metres` at latitude `lat` (capped near the poles).
pub fn lon_deg(metres: f64, lat: f64) -> f64 {
    lat_deg(metres) / lat.to_radians().cos().max(0.01)
}

/// An equirectangular frame around an origin: x east, y north, in metres. Accurate to
/// well under 0.1 % within tens of kilometres of the origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    origin: [f64; 2],
    metres_per_deg_lon: f64,
    metres_per_deg_lat: f64,
}

impl LocalFrame {
    /// The frame around `origin` (lon, lat).
    pub fn new(origin: [f64; 2]) -> Self {
        // metres per degree of arc: R·π/180
        let metres_per_deg_lat = EARTH_RADIUS_M.to_radians();
        Self {
            origin,
            metres_per_deg_lon: metres_per_deg_lat * origin[1].to_radians().cos(),
            metres_per_deg_lat,
        }
    }

    /// The frame's origin (lon, lat).
    pub fn origin(&self) -> [f64; 2] {
        self.origin
    }

    /// A lon/lat point in frame metres.
    pub fn to_xy(&self, lonlat: [f64; 2]) -> [f64; 2] {
        [
            (lonlat[0] - self.origin[0]) * self.metres_per_deg_lon,
            (lonlat[1] - self.origin[1]) * self.metres_per_deg_lat,
        ]
    }

    /// Frame metres back to lon/lat.
    pub fn to_lonlat(&self, xy: [f64; 2]) -> [f64; 2] {
        [
            self.origin[0] + xy[0] / self.metres_per_deg_lon,
            self.origin[1] + xy[1] / self.metres_per_deg_lat,
        ]
    }
}

/// Distance (m, in a frame) from point `p` to segment `a`–`b`.
pub fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = distance_m([121.5, 29.5], [121.5, 30.5]);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert!((lat_deg(d) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn local_frame_agrees_with_haversine_nearby() {
        let frame = LocalFrame::new([121.6, 29.6]);
        let p = [121.65, 29.62];
        let xy = frame.to_xy(p);
        let planar = (xy[0].powi(2) + xy[1].powi(2)).sqrt();
        let sphere = distance_m([121.6, 29.6], p);
        assert!(
            (planar - sphere).abs() / sphere < 1e-3,
            "{planar} vs {sphere}"
        );
        let back = frame.to_lonlat(xy);
        assert!((back[0] - p[0]).abs() < 1e-12 && (back[1] - p[1]).abs() < 1e-12);
        assert!(
            (lon_deg(1000.0, 29.6) * frame.to_xy([122.6, 29.6])[0] / 1000.0 - 1.0).abs() < 1e-9
        );
    }

    #[test]
    fn segment_distance() {
        assert_eq!(
            point_segment_distance([0.0, 5.0], [-1.0, 0.0], [1.0, 0.0]),
            5.0
        );
        assert_eq!(
            point_segment_distance([4.0, 3.0], [-1.0, 0.0], [0.0, 0.0]),
            5.0
        );
        assert_eq!(
            point_segment_distance([3.0, 4.0], [0.0, 0.0], [0.0, 0.0]),
            5.0
        );
    }
}
