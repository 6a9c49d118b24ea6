//! Geometry in integer tile coordinates, as carried by MVT features.
//!
//! # Units
//! Coordinates are tile units: `0..extent` across the tile, `x` to the right and
//! `y` **down**. A ring is a list of distinct vertices without a repeated closing
//! point. Exterior rings have a positive [`ring_area2`] (clockwise on screen),
//! interior rings a negative one.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

/// The `GeomType` enum of the MVT `Feature` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeomType {
    /// `UNKNOWN` (0): the geometry is not interpreted.
    Unknown = 0,
    /// `POINT` (1): one or more points.
    Point = 1,
    /// `LINESTRING` (2): one or more lines.
    LineString = 2,
    /// `POLYGON` (3): one or more polygons.
    Polygon = 3,
}

impl GeomType {
    /// The enum from its wire number, or `None` for numbers the spec does not define.
    #[must_use]
    pub fn from_u64(value: u64) -> Option<GeomType> {
        match value {
            0 => Some(GeomType::Unknown),
            1 => Some(GeomType::Point),
            2 => Some(GeomType::LineString),
            3 => Some(GeomType::Polygon),
            _ => None,
        }
    }
}

impl std::fmt::Display for GeomType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GeomType::Unknown => "unknown",
            GeomType::Point => "point",
            GeomType::LineString => "linestring",
            GeomType::Polygon => "polygon",
        })
    }
}

/// One polygon: an exterior ring and its holes, in tile coordinates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TilePolygon {
    /// The exterior ring, without a closing point; positive area in a valid tile
    /// (the decoder keeps the vertex order it finds).
    pub exterior: Vec<Coord<i32>>,
    /// The interior rings, without closing points; negative area in a valid tile.
    pub interiors: Vec<Vec<Coord<i32>>>,
}

/// A decoded feature geometry in tile coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileGeometry {
    /// A feature of type `UNKNOWN`: its raw command integers, uninterpreted.
    Unknown(Vec<u32>),
    /// A point or multipoint.
    Points(Vec<Coord<i32>>),
    /// A linestring or multilinestring.
    LineStrings(Vec<Vec<Coord<i32>>>),
    /// A polygon or multipolygon.
    Polygons(Vec<TilePolygon>),
}

impl TileGeometry {
    /// The MVT geometry type of this geometry.
    #[must_use]
    pub fn geom_type(&self) -> GeomType {
        match self {
            TileGeometry::Unknown(_) => GeomType::Unknown,
            TileGeometry::Points(_) => GeomType::Point,
            TileGeometry::LineStrings(_) => GeomType::LineString,
            TileGeometry::Polygons(_) => GeomType::Polygon,
        }
    }

    /// Converts to a `geo` geometry in tile units (rings closed as `geo` expects).
    ///
    /// Single parts become `Point`, `LineString` or `Polygon`; several become the
    /// `Multi*` type. Returns `None` for [`TileGeometry::Unknown`] and empty geometry.
    ///
    /// ```
    /// use coastwatch_tiles::mvt::TileGeometry;
    /// let g = TileGeometry::Points(vec![geo::coord! { x: 25, y: 17 }]);
    /// assert_eq!(g.to_geo(), Some(geo::Geometry::Point(geo::point! { x: 25.0, y: 17.0 })));
    /// ```
    #[must_use]
    pub fn to_geo(&self) -> Option<Geometry<f64>> {
        let f = |c: &Coord<i32>| Coord {
            x: f64::from(c.x),
            y: f64::from(c.y),
        };
        let line = |l: &[Coord<i32>]| LineString::new(l.iter().map(f).collect());
        let ring = |r: &[Coord<i32>]| {
            let mut ls = line(r);
            ls.close();
            ls
        };
        let polygon = |p: &TilePolygon| {
            Polygon::new(
                ring(&p.exterior),
                p.interiors.iter().map(|r| ring(r)).collect(),
            )
        };
        match self {
            TileGeometry::Unknown(_) => None,
            TileGeometry::Points(p) => match p.as_slice() {
                [] => None,
                [one] => Some(Geometry::Point(Point(f(one)))),
                many => Some(Geometry::MultiPoint(MultiPoint::new(
                    many.iter().map(|c| Point(f(c))).collect(),
                ))),
            },
            TileGeometry::LineStrings(l) => match l.as_slice() {
                [] => None,
                [one] => Some(Geometry::LineString(line(one))),
                many => Some(Geometry::MultiLineString(MultiLineString::new(
                    many.iter().map(|l| line(l)).collect(),
                ))),
            },
            TileGeometry::Polygons(p) => match p.as_slice() {
                [] => None,
                [one] => Some(Geometry::Polygon(polygon(one))),
                many => Some(Geometry::MultiPolygon(MultiPolygon::new(
                    many.iter().map(polygon).collect(),
                ))),
            },
        }
    }
}

/// Twice the signed area of a ring by the surveyor's formula, in tile units².
///
/// Positive means clockwise with `y` down, which MVT requires of exterior rings.
///
/// ```
/// use coastwatch_tiles::mvt::ring_area2;
/// let clockwise_on_screen = [geo::coord! { x: 0, y: 0 }, geo::coord! { x: 10, y: 0 }, geo::coord! { x: 10, y: 10 }];
/// assert_eq!(ring_area2(&clockwise_on_screen), 100);
/// ```
#[must_use]
pub fn ring_area2(ring: &[Coord<i32>]) -> i128 {
    let Some(last) = ring.last() else {
        return 0;
    };
    let mut prev = *last;
    // i128 cannot overflow: each term is below 2^63 and a ring has far fewer than 2^64 vertices.
    let mut sum: i128 = 0;
    for c in ring {
        sum += i128::from(prev.x) * i128::from(c.y) - i128::from(c.x) * i128::from(prev.y);
        prev = *c;
    }
    sum
}
