//! The MVT geometry command stream: `MoveTo`, `LineTo` and `ClosePath` with
//! zigzag-encoded deltas, written and strictly read back.
//!
//! # Units
//! Tile units. The decoder keeps a 32-bit cursor that wraps on overflow, as the
//! spec's 32-bit parameters imply.

use std::fmt;

use geo::Coord;

use super::error::GeometryProblem;
use super::geometry::{GeomType, TileGeometry, TilePolygon, ring_area2};
use super::pbf::{unzigzag32, zigzag32};

/// An MVT geometry command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `MoveTo` (id 1): starts a new part at the next point.
    MoveTo = 1,
    /// `LineTo` (id 2): draws to the next points.
    LineTo = 2,
    /// `ClosePath` (id 7): closes the current ring; takes no parameters.
    ClosePath = 7,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Command::MoveTo => "moveto",
            Command::LineTo => "lineto",
            Command::ClosePath => "closepath",
        })
    }
}

/// Largest count a command integer can carry (29 bits).
const MAX_COUNT: usize = (1 << 29) - 1;

fn command_integer(command: Command, count: usize) -> u32 {
    debug_assert!(count <= MAX_COUNT, "command count {count} exceeds 29 bits");
    (command as u32) | ((count as u32) << 3)
}

/// Appends the command stream of integer tile geometry to `out`.
#[derive(Debug)]
pub(crate) struct CommandWriter<'a> {
    out: &'a mut Vec<u32>,
    cursor: Coord<i32>,
}

impl<'a> CommandWriter<'a> {
    /// Starts a geometry with the cursor at the origin.
    pub(crate) fn new(out: &'a mut Vec<u32>) -> Self {
        CommandWriter {
            out,
            cursor: Coord { x: 0, y: 0 },
        }
    }

    fn params(&mut self, points: &[Coord<i32>]) {
        for p in points {
            self.out.push(zigzag32(p.x.wrapping_sub(self.cursor.x)));
            self.out.push(zigzag32(p.y.wrapping_sub(self.cursor.y)));
            self.cursor = *p;
        }
    }

    /// Writes one `MoveTo` with all `points` (a point or multipoint).
    pub(crate) fn points(&mut self, points: &[Coord<i32>]) {
        for chunk in points.chunks(MAX_COUNT) {
            self.out.push(command_integer(Command::MoveTo, chunk.len()));
            self.params(chunk);
        }
    }

    /// Writes a `MoveTo` to the first point and a `LineTo` through the rest.
    pub(crate) fn line(&mut self, line: &[Coord<i32>]) {
        let Some((first, rest)) = line.split_first() else {
            return;
        };
        self.out.push(command_integer(Command::MoveTo, 1));
        self.params(std::slice::from_ref(first));
        for chunk in rest.chunks(MAX_COUNT) {
            self.out.push(command_integer(Command::LineTo, chunk.len()));
            self.params(chunk);
        }
    }

    /// Writes a line through the ring's vertices and a `ClosePath`.
    pub(crate) fn ring(&mut self, ring: &[Coord<i32>]) {
        self.line(ring);
        self.out.push(command_integer(Command::ClosePath, 1));
    }
}

/// Reads the command stream of a feature of type `geom_type`.
///
/// Enforces the grammar of spec 2.1 section 4.3.4: points are one `MoveTo`; each
/// line is `MoveTo(1)` and `LineTo(n ≥ 1)`; each ring is `MoveTo(1)`,
/// `LineTo(n ≥ 2)` and `ClosePath(1)`. Counts larger than the remaining parameters
/// are rejected before anything is allocated.
pub(crate) fn decode_commands(
    geom_type: GeomType,
    ints: &[u32],
) -> Result<TileGeometry, GeometryProblem> {
    let mut reader = CommandReader {
        ints,
        index: 0,
        cursor: Coord { x: 0, y: 0 },
    };
    match geom_type {
        GeomType::Unknown => Ok(TileGeometry::Unknown(ints.to_vec())),
        GeomType::Point => reader.points().map(TileGeometry::Points),
        GeomType::LineString => reader.lines().map(TileGeometry::LineStrings),
        GeomType::Polygon => reader
            .rings()
            .map(|r| TileGeometry::Polygons(group_rings(r))),
    }
}

struct CommandReader<'a> {
    ints: &'a [u32],
    index: usize,
    cursor: Coord<i32>,
}

impl CommandReader<'_> {
    fn is_done(&self) -> bool {
        self.index >= self.ints.len()
    }

    /// Reads a command integer, returning the command, its count and its index.
    fn command(&mut self) -> Result<(Command, usize, usize), GeometryProblem> {
        let index = self.index;
        let integer = self.ints[index];
        self.index += 1;
        let count = (integer >> 3) as usize;
        let command = match integer & 7 {
            1 => Command::MoveTo,
            2 => Command::LineTo,
            7 => Command::ClosePath,
            id => return Err(GeometryProblem::UnknownCommand { id, index }),
        };
        Ok((command, count, index))
    }

    /// Reads `count` points after checking that enough integers remain.
    fn points_after(
        &mut self,
        command: Command,
        count: usize,
        index: usize,
        out: &mut Vec<Coord<i32>>,
    ) -> Result<(), GeometryProblem> {
        let remaining = self.ints.len() - self.index;
        if count > remaining / 2 {
            return Err(GeometryProblem::CountTooLarge {
                command,
                count,
                index,
                remaining,
            });
        }
        out.reserve(count);
        for pair in self.ints[self.index..self.index + 2 * count].chunks_exact(2) {
            self.cursor.x = self.cursor.x.wrapping_add(unzigzag32(pair[0]));
            self.cursor.y = self.cursor.y.wrapping_add(unzigzag32(pair[1]));
            out.push(self.cursor);
        }
        self.index += 2 * count;
        Ok(())
    }

    fn points(&mut self) -> Result<Vec<Coord<i32>>, GeometryProblem> {
        let mut points = Vec::new();
        if self.is_done() {
            return Ok(points);
        }
        let (command, count, index) = self.command()?;
        if command != Command::MoveTo {
            return Err(GeometryProblem::Unexpected {
                command,
                index,
                geom_type: GeomType::Point,
            });
        }
        if count == 0 {
            return Err(GeometryProblem::WrongCount {
                command,
                count,
                index,
                expected: "at least 1",
            });
        }
        self.points_after(command, count, index, &mut points)?;
        if !self.is_done() {
            let (command, _, index) = self.command()?;
            return Err(GeometryProblem::Unexpected {
                command,
                index,
                geom_type: GeomType::Point,
            });
        }
        Ok(points)
    }

    /// Reads `MoveTo(1)` then one or more `LineTo`, stopping before anything else.
    fn open_path(&mut self, geom_type: GeomType) -> Result<Vec<Coord<i32>>, GeometryProblem> {
        let (command, count, index) = self.command()?;
        if command != Command::MoveTo {
            return Err(GeometryProblem::Unexpected {
                command,
                index,
                geom_type,
            });
        }
        if count != 1 {
            return Err(GeometryProblem::WrongCount {
                command,
                count,
                index,
                expected: "1",
            });
        }
        let mut path = Vec::new();
        self.points_after(command, 1, index, &mut path)?;
        let mut saw_line_to = false;
        while !self.is_done() && self.ints[self.index] & 7 == Command::LineTo as u32 {
            let (command, count, index) = self.command()?;
            if count == 0 {
                return Err(GeometryProblem::WrongCount {
                    command,
                    count,
                    index,
                    expected: "at least 1",
                });
            }
            self.points_after(command, count, index, &mut path)?;
            saw_line_to = true;
        }
        if !saw_line_to {
            return Err(GeometryProblem::Incomplete {
                index: self.index,
                geom_type,
            });
        }
        Ok(path)
    }

    fn lines(&mut self) -> Result<Vec<Vec<Coord<i32>>>, GeometryProblem> {
        let mut lines = Vec::new();
        while !self.is_done() {
            lines.push(self.open_path(GeomType::LineString)?);
        }
        Ok(lines)
    }

    fn rings(&mut self) -> Result<Vec<Vec<Coord<i32>>>, GeometryProblem> {
        let mut rings = Vec::new();
        while !self.is_done() {
            let start = self.index;
            let ring = self.open_path(GeomType::Polygon)?;
            if self.is_done() {
                return Err(GeometryProblem::Incomplete {
                    index: self.index,
                    geom_type: GeomType::Polygon,
                });
            }
            let (command, count, index) = self.command()?;
            if command != Command::ClosePath {
                return Err(GeometryProblem::Unexpected {
                    command,
                    index,
                    geom_type: GeomType::Polygon,
                });
            }
            if count != 1 {
                return Err(GeometryProblem::WrongCount {
                    command,
                    count,
                    index,
                    expected: "1",
                });
            }
            if ring.len() < 3 {
                return Err(GeometryProblem::RingTooShort {
                    index: start,
                    vertices: ring.len(),
                });
            }
            rings.push(ring);
        }
        Ok(rings)
    }
}

/// Groups rings into polygons: the first ring with a non-zero area sets the exterior
/// orientation (positive in a valid tile); each later ring of that orientation starts
/// a polygon and each ring of the other orientation is a hole of the polygon before
/// it. Zero-area rings are dropped.
fn group_rings(rings: Vec<Vec<Coord<i32>>>) -> Vec<TilePolygon> {
    let mut polygons: Vec<TilePolygon> = Vec::new();
    let mut exterior_positive = None;
    for ring in rings {
        let area2 = ring_area2(&ring);
        if area2 == 0 {
            continue;
        }
        let positive = area2 > 0;
        let exterior = *exterior_positive.get_or_insert(positive) == positive;
        match polygons.last_mut() {
            Some(polygon) if !exterior => polygon.interiors.push(ring),
            _ => polygons.push(TilePolygon {
                exterior: ring,
                interiors: Vec::new(),
            }),
        }
    }
    polygons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: i32, y: i32) -> Coord<i32> {
        Coord { x, y }
    }

    #[test]
    fn spec_examples_decode() {
        // Examples from section 4.3.5 of the spec.
        let point = decode_commands(GeomType::Point, &[9, 50, 34]).unwrap();
        assert_eq!(point, TileGeometry::Points(vec![c(25, 17)]));
        let multi = decode_commands(GeomType::Point, &[17, 10, 14, 3, 9]).unwrap();
        assert_eq!(multi, TileGeometry::Points(vec![c(5, 7), c(3, 2)]));
        let lines = decode_commands(
            GeomType::LineString,
            &[9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8],
        )
        .unwrap();
        assert_eq!(
            lines,
            TileGeometry::LineStrings(vec![
                vec![c(2, 2), c(2, 10), c(10, 10)],
                vec![c(1, 1), c(3, 5)]
            ])
        );
        let polygons = decode_commands(
            GeomType::Polygon,
            &[
                9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15, 9, 22, 2, 26, 18, 0, 0, 18, 17, 0, 15, 9, 4,
                13, 26, 0, 8, 8, 0, 0, 7, 15,
            ],
        )
        .unwrap();
        let TileGeometry::Polygons(p) = polygons else {
            panic!("not polygons")
        };
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].exterior, vec![c(0, 0), c(10, 0), c(10, 10), c(0, 10)]);
        assert_eq!(
            p[1].interiors,
            vec![vec![c(13, 13), c(13, 17), c(17, 17), c(17, 13)]]
        );
    }

    #[test]
    fn writer_round_trips() {
        let mut ints = Vec::new();
        let mut w = CommandWriter::new(&mut ints);
        w.ring(&[c(0, 0), c(10, 0), c(10, 10), c(0, 10)]);
        w.ring(&[c(2, 2), c(2, 8), c(8, 8), c(8, 2)]);
        assert_eq!(&ints[..3], &[9, 0, 0]);
        let TileGeometry::Polygons(p) = decode_commands(GeomType::Polygon, &ints).unwrap() else {
            panic!("not polygons")
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].interiors.len(), 1);
    }

    #[test]
    fn malformed_streams_are_errors() {
        let err = |t, ints: &[u32]| decode_commands(t, ints).unwrap_err().to_string();
        assert_eq!(
            err(GeomType::Point, &[15, 50, 34]),
            "closepath at integer 0 is out of place in a point geometry"
        );
        assert_eq!(
            err(GeomType::Point, &[4294967289, 10, 10]),
            "moveto at integer 0 has count 536870911 but only 2 integers follow"
        );
        assert_eq!(
            err(GeomType::Point, &[9, 50]),
            "moveto at integer 0 has count 1 but only 1 integers follow"
        );
        assert_eq!(
            err(GeomType::Point, &[13, 1, 1]),
            "command 5 at integer 0 is unknown"
        );
        assert_eq!(
            err(GeomType::Polygon, &[9, 6, 12, 18, 10, 12, 24, 44, 23]),
            "closepath at integer 8 has count 2, expected 1"
        );
        assert_eq!(
            err(GeomType::Polygon, &[9, 6, 12, 18, 10, 12, 24, 44]),
            "ends at integer 8 in the middle of a polygon part"
        );
        assert_eq!(
            err(GeomType::LineString, &[9, 4, 4, 18, 0, 16, 16, 0, 7]),
            "closepath at integer 8 is out of place in a linestring geometry"
        );
        assert_eq!(
            err(GeomType::Polygon, &[9, 0, 0, 10, 2, 2, 15]),
            "ring at integer 0 has 2 vertices, needs at least 3"
        );
    }

    #[test]
    fn overflowing_cursor_wraps() {
        let g = decode_commands(GeomType::LineString, &[9, 4294967294, 0, 10, 2, 2]).unwrap();
        assert_eq!(
            g,
            TileGeometry::LineStrings(vec![vec![c(i32::MAX, 0), c(i32::MIN, 1)]])
        );
    }
}
