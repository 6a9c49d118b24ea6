//! Validated zoom levels and XYZ tile coordinates with their bounds.
//!
//! Tiles use the XYZ (Google/OSM) scheme: `x` grows east, `y` grows south, tile
//! `0/0/0` covers the whole Web Mercator square. [`TileCoord::tms_y`] and
//! [`TileCoord::from_tms`] convert to and from the TMS row order used by MBTiles.
//!
//! # Units
//! Bounds are Web Mercator metres ([`TileCoord::bounds_mercator_m`]) or lon/lat
//! degrees ([`TileCoord::bounds_lon_lat`]).

use std::fmt;

use geo::{Coord, Rect};
use thiserror::Error;

use crate::mercator::{HALF_WORLD_M, lon_lat_to_mercator_m, mercator_m_to_lon_lat};

/// Why a zoom level or tile coordinate was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TileCoordError {
    /// The zoom level is above [`Zoom::MAX`].
    #[error("zoom {value} is out of range 0..={max}")]
    ZoomOutOfRange {
        /// The rejected zoom level.
        value: u64,
        /// The largest allowed zoom level.
        max: u8,
    },
    /// The column is not below `2^z`.
    #[error("x {x} is out of range 0..{limit} at zoom {z}")]
    XOutOfRange {
        /// The rejected column.
        x: u64,
        /// The zoom level.
        z: u8,
        /// `2^z`, one past the last valid column.
        limit: u32,
    },
    /// The row is not below `2^z`.
    #[error("y {y} is out of range 0..{limit} at zoom {z}")]
    YOutOfRange {
        /// The rejected row.
        y: u64,
        /// The zoom level.
        z: u8,
        /// `2^z`, one past the last valid row.
        limit: u32,
    },
    /// A path part is not a plain decimal number.
    #[error("{part} {text:?} is not a non-negative integer")]
    InvalidNumber {
        /// Which part: `"z"`, `"x"` or `"y"`.
        part: &'static str,
        /// The text that was given.
        text: String,
    },
    /// A longitude or latitude is NaN or infinite.
    #[error("position ({lon_deg}, {lat_deg}) is not finite")]
    NonFinitePosition {
        /// The longitude in degrees.
        lon_deg: f64,
        /// The latitude in degrees.
        lat_deg: f64,
    },
}

/// A zoom level in `0..=24`.
///
/// ```
/// use coastwatch_tiles::Zoom;
/// let z = Zoom::try_from(14u8).unwrap();
/// assert_eq!(z.get(), 14);
/// assert_eq!(z.tiles_per_side(), 16_384);
/// assert_eq!(Zoom::try_from(25u32).unwrap_err().to_string(), "zoom 25 is out of range 0..=24");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Zoom(u8);

impl Zoom {
    /// The lowest zoom level, one tile for the world.
    pub const MIN: Zoom = Zoom(0);
    /// The highest zoom level accepted.
    pub const MAX: Zoom = Zoom(24);

    /// Checks a zoom level.
    pub const fn new(value: u8) -> Result<Self, TileCoordError> {
        if value <= Self::MAX.0 {
            Ok(Zoom(value))
        } else {
            Err(TileCoordError::ZoomOutOfRange {
                value: value as u64,
                max: Self::MAX.0,
            })
        }
    }

    /// The zoom level as a number.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Number of tiles along each axis at this zoom: `2^z`.
    #[must_use]
    pub const fn tiles_per_side(self) -> u32 {
        1 << self.0
    }

    /// Width of one tile at this zoom in Web Mercator metres.
    #[must_use]
    pub fn tile_width_m(self) -> f64 {
        2.0 * HALF_WORLD_M / f64::from(self.tiles_per_side())
    }
}

impl TryFrom<u8> for Zoom {
    type Error = TileCoordError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Zoom::new(value)
    }
}

impl TryFrom<u32> for Zoom {
    type Error = TileCoordError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .and_then(|z| Zoom::new(z).ok())
            .ok_or(TileCoordError::ZoomOutOfRange {
                value: u64::from(value),
                max: Self::MAX.0,
            })
    }
}

impl From<Zoom> for u8 {
    fn from(z: Zoom) -> u8 {
        z.0
    }
}

impl From<Zoom> for u32 {
    fn from(z: Zoom) -> u32 {
        u32::from(z.0)
    }
}

impl fmt::Display for Zoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An XYZ tile address whose `x` and `y` are below `2^z`.
///
/// ```
/// use coastwatch_tiles::TileCoord;
/// let t = TileCoord::from_path_parts("14", "13726", "6794").unwrap();
/// assert_eq!((t.z().get(), t.x(), t.y()), (14, 13726, 6794));
/// assert_eq!(t.tms_y(), 16_383 - 6794);
/// assert_eq!(t.to_string(), "14/13726/6794");
/// let err = TileCoord::from_path_parts("2", "4", "0").unwrap_err();
/// assert_eq!(err.to_string(), "x 4 is out of range 0..4 at zoom 2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileCoord {
    z: Zoom,
    x: u32,
    y: u32,
}

impl TileCoord {
    /// Checks that `x` and `y` lie inside the grid of zoom `z`.
    pub const fn new(z: Zoom, x: u32, y: u32) -> Result<Self, TileCoordError> {
        let limit = z.tiles_per_side();
        if x >= limit {
            return Err(TileCoordError::XOutOfRange {
                x: x as u64,
                z: z.0,
                limit,
            });
        }
        if y >= limit {
            return Err(TileCoordError::YOutOfRange {
                y: y as u64,
                z: z.0,
                limit,
            });
        }
        Ok(TileCoord { z, x, y })
    }

    /// Checks a raw `z/x/y` triple.
    pub fn from_zxy(z: u8, x: u32, y: u32) -> Result<Self, TileCoordError> {
        TileCoord::new(Zoom::new(z)?, x, y)
    }

    /// Parses the three decimal parts of a `/{z}/{x}/{y}` path.
    ///
    /// Each part must be plain ASCII digits. Errors say which part is wrong and why.
    pub fn from_path_parts(z: &str, x: &str, y: &str) -> Result<Self, TileCoordError> {
        let z_value = parse_part("z", z)?;
        let zoom = u8::try_from(z_value)
            .ok()
            .and_then(|z| Zoom::new(z).ok())
            .ok_or(TileCoordError::ZoomOutOfRange {
                value: z_value,
                max: Zoom::MAX.0,
            })?;
        let limit = zoom.tiles_per_side();
        let x_value = parse_part("x", x)?;
        let x = u32::try_from(x_value).ok().filter(|x| *x < limit).ok_or(
            TileCoordError::XOutOfRange {
                x: x_value,
                z: zoom.0,
                limit,
            },
        )?;
        let y_value = parse_part("y", y)?;
        let y = u32::try_from(y_value).ok().filter(|y| *y < limit).ok_or(
            TileCoordError::YOutOfRange {
                y: y_value,
                z: zoom.0,
                limit,
            },
        )?;
        TileCoord::new(zoom, x, y)
    }

    /// Builds a tile from a TMS address (row 0 at the south), as stored in MBTiles.
    pub fn from_tms(z: Zoom, x: u32, tms_y: u32) -> Result<Self, TileCoordError> {
        let limit = z.tiles_per_side();
        if tms_y >= limit {
            return Err(TileCoordError::YOutOfRange {
                y: u64::from(tms_y),
                z: z.0,
                limit,
            });
        }
        TileCoord::new(z, x, limit - 1 - tms_y)
    }

    /// The tile containing a lon/lat position at zoom `z`.
    ///
    /// Latitudes beyond the Mercator limit are clamped; longitudes are clamped to
    /// `-180..=180` (180 falls in the last column).
    ///
    /// ```
    /// use coastwatch_tiles::{TileCoord, Zoom};
    /// let t = TileCoord::containing_lon_lat(121.6, 29.55, Zoom::try_from(10u8).unwrap()).unwrap();
    /// assert_eq!((t.x(), t.y()), (857, 423));
    /// assert!(t.bounds_lon_lat().min().x <= 121.6 && 121.6 <= t.bounds_lon_lat().max().x);
    /// ```
    pub fn containing_lon_lat(lon_deg: f64, lat_deg: f64, z: Zoom) -> Result<Self, TileCoordError> {
        if !lon_deg.is_finite() || !lat_deg.is_finite() {
            return Err(TileCoordError::NonFinitePosition { lon_deg, lat_deg });
        }
        let m = lon_lat_to_mercator_m(Coord {
            x: lon_deg.clamp(-180.0, 180.0),
            y: lat_deg,
        });
        let n = f64::from(z.tiles_per_side());
        let last = z.tiles_per_side() - 1;
        let to_index = |fraction: f64| {
            // Saturating float-to-int conversion; the clamp keeps the edge in the grid.
            ((fraction * n).floor().max(0.0) as u32).min(last)
        };
        let x = to_index((m.x + HALF_WORLD_M) / (2.0 * HALF_WORLD_M));
        let y = to_index((HALF_WORLD_M - m.y) / (2.0 * HALF_WORLD_M));
        TileCoord::new(z, x, y)
    }

    /// The zoom level.
    #[must_use]
    pub const fn z(&self) -> Zoom {
        self.z
    }

    /// The column, counted from the west.
    #[must_use]
    pub const fn x(&self) -> u32 {
        self.x
    }

    /// The row in XYZ order, counted from the north.
    #[must_use]
    pub const fn y(&self) -> u32 {
        self.y
    }

    /// The row in TMS order, counted from the south (MBTiles `tile_row`).
    #[must_use]
    pub const fn tms_y(&self) -> u32 {
        self.z.tiles_per_side() - 1 - self.y
    }

    /// The tile one zoom level up that contains this one, or `None` at zoom 0.
    #[must_use]
    pub const fn parent(&self) -> Option<TileCoord> {
        if self.z.0 == 0 {
            None
        } else {
            Some(TileCoord {
                z: Zoom(self.z.0 - 1),
                x: self.x / 2,
                y: self.y / 2,
            })
        }
    }

    /// The tile's square in Web Mercator metres (min is south-west, max north-east).
    #[must_use]
    pub fn bounds_mercator_m(&self) -> Rect<f64> {
        let width_m = self.z.tile_width_m();
        let min_x_m = -HALF_WORLD_M + f64::from(self.x) * width_m;
        let max_y_m = HALF_WORLD_M - f64::from(self.y) * width_m;
        Rect::new(
            Coord {
                x: min_x_m,
                y: max_y_m - width_m,
            },
            Coord {
                x: min_x_m + width_m,
                y: max_y_m,
            },
        )
    }

    /// The tile's extent in lon/lat degrees (min is south-west, max north-east).
    #[must_use]
    pub fn bounds_lon_lat(&self) -> Rect<f64> {
        let m = self.bounds_mercator_m();
        Rect::new(
            mercator_m_to_lon_lat(m.min()),
            mercator_m_to_lon_lat(m.max()),
        )
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

fn parse_part(part: &'static str, text: &str) -> Result<u64, TileCoordError> {
    let invalid = || TileCoordError::InvalidNumber {
        part,
        text: text.to_owned(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_limits() {
        assert!(Zoom::try_from(24u8).is_ok());
        assert_eq!(
            Zoom::try_from(25u8),
            Err(TileCoordError::ZoomOutOfRange { value: 25, max: 24 })
        );
        assert_eq!(
            Zoom::try_from(300u32),
            Err(TileCoordError::ZoomOutOfRange {
                value: 300,
                max: 24
            })
        );
        assert_eq!(Zoom::MAX.tiles_per_side(), 1 << 24);
    }

    #[test]
    fn coordinates_must_be_inside_the_grid() {
        assert!(TileCoord::from_zxy(0, 0, 0).is_ok());
        assert_eq!(
            TileCoord::from_zxy(1, 0, 2),
            Err(TileCoordError::YOutOfRange {
                y: 2,
                z: 1,
                limit: 2
            })
        );
        assert!(TileCoord::from_zxy(24, (1 << 24) - 1, (1 << 24) - 1).is_ok());
    }

    #[test]
    fn path_parts_errors_are_precise() {
        let msg = |z, x, y| TileCoord::from_path_parts(z, x, y).unwrap_err().to_string();
        assert_eq!(msg("a", "0", "0"), "z \"a\" is not a non-negative integer");
        assert_eq!(
            msg("3", "-1", "0"),
            "x \"-1\" is not a non-negative integer"
        );
        assert_eq!(msg("3", "1", ""), "y \"\" is not a non-negative integer");
        assert_eq!(
            msg("3", "1", "1.pbf"),
            "y \"1.pbf\" is not a non-negative integer"
        );
        assert_eq!(msg("25", "0", "0"), "zoom 25 is out of range 0..=24");
        assert_eq!(
            msg("99999999999999999999", "0", "0"),
            "z \"99999999999999999999\" is not a non-negative integer"
        );
        assert_eq!(msg("3", "0", "8"), "y 8 is out of range 0..8 at zoom 3");
        assert_eq!(
            msg("3", "5000000000", "0"),
            "x 5000000000 is out of range 0..8 at zoom 3"
        );
    }

    #[test]
    fn tms_flip_round_trips() {
        let t = TileCoord::from_zxy(3, 2, 1).unwrap();
        assert_eq!(t.tms_y(), 6);
        assert_eq!(TileCoord::from_tms(t.z(), 2, 6).unwrap(), t);
        assert!(TileCoord::from_tms(t.z(), 2, 8).is_err());
    }

    #[test]
    fn bounds_of_the_world_and_quadrants() {
        let world = TileCoord::from_zxy(0, 0, 0).unwrap().bounds_mercator_m();
        assert!((world.min().x + HALF_WORLD_M).abs() < 1e-6);
        assert!((world.max().y - HALF_WORLD_M).abs() < 1e-6);
        let north_west = TileCoord::from_zxy(1, 0, 0).unwrap().bounds_lon_lat();
        assert!((north_west.min().x + 180.0).abs() < 1e-9);
        assert!(north_west.min().y.abs() < 1e-9);
        assert!((north_west.max().x).abs() < 1e-9);
        assert!((north_west.max().y - crate::mercator::MAX_LAT_DEG).abs() < 1e-9);
    }

    #[test]
    fn containing_tile_round_trips_with_bounds() {
        let z = Zoom::new(16).unwrap();
        for (lon, lat) in [
            (121.6, 29.55),
            (-0.0001, 0.0001),
            (180.0, -90.0),
            (-180.0, 90.0),
        ] {
            let t = TileCoord::containing_lon_lat(lon, lat, z).unwrap();
            let b = t.bounds_lon_lat();
            let lat_c = lat.clamp(-crate::mercator::MAX_LAT_DEG, crate::mercator::MAX_LAT_DEG);
            assert!(
                b.min().x - 1e-9 <= lon && lon <= b.max().x + 1e-9,
                "{t} {b:?}"
            );
            assert!(
                b.min().y - 1e-9 <= lat_c && lat_c <= b.max().y + 1e-9,
                "{t} {b:?}"
            );
        }
        assert!(TileCoord::containing_lon_lat(f64::NAN, 0.0, z).is_err());
    }

    #[test]
    fn parent_halves_the_address() {
        let t = TileCoord::from_zxy(5, 13, 22).unwrap();
        assert_eq!(t.parent(), Some(TileCoord::from_zxy(4, 6, 11).unwrap()));
        assert_eq!(TileCoord::from_zxy(0, 0, 0).unwrap().parent(), None);
    }
}
