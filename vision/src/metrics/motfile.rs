//! MOTChallenge text files: `frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z`, one box a line.
//!
//! Reading follows motmetrics 1.4.0's `io.loadtxt`: fields are split at commas and runs of
//! whitespace, blank lines are skipped, the three trailing columns may be missing. Unlike
//! motmetrics, columns after the tenth are ignored rather than refused, a line without `conf`
//! (which motmetrics silently drops) is an error, and an id given twice in one frame is an error
//! (TrackEval refuses it too).

use std::collections::HashMap;
use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

use crate::geometry::BBox;

/// The columns of a line, in order.
const COLUMNS: [&str; 10] = [
    "frame",
    "id",
    "bb_left",
    "bb_top",
    "bb_width",
    "bb_height",
    "conf",
    "x",
    "y",
    "z",
];

/// The fields a line must have: frame, id, the box and the confidence.
const REQUIRED: usize = 7;

/// One line of a MOTChallenge file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MotRecord {
    /// Frame number (from 1 in MOTChallenge data).
    pub frame: u64,
    /// Object or track id.
    pub id: i64,
    /// Left edge in pixels.
    pub left: f64,
    /// Top edge in pixels.
    pub top: f64,
    /// Width in pixels (≥ 0).
    pub width: f64,
    /// Height in pixels (≥ 0).
    pub height: f64,
    /// Confidence; in ground truth 0 marks a box to ignore, 1 one to evaluate.
    pub conf: f64,
    /// Columns 8–10 where present: world x, y, z in MOT15 files; class, visibility and an
    /// unused column in MOT16+ ground truth.
    pub extra: [Option<f64>; 3],
}

impl MotRecord {
    /// A tracker output line for `bbox` with unused world coordinates.
    pub fn new(frame: u64, id: i64, bbox: BBox, conf: f64) -> Self {
        Self {
            frame,
            id,
            left: bbox.x.into(),
            top: bbox.y.into(),
            width: bbox.w.into(),
            height: bbox.h.into(),
            conf,
            extra: [None; 3],
        }
    }

    /// The box in pixels.
    pub fn bbox(&self) -> BBox {
        BBox {
            x: self.left as f32,
            y: self.top as f32,
            w: self.width as f32,
            h: self.height as f32,
        }
    }

    /// The class column of MOT16+ ground truth (1 = pedestrian).
    pub fn class(&self) -> Option<f64> {
        self.extra[0]
    }

    /// The visibility column of MOT16+ ground truth.
    pub fn visibility(&self) -> Option<f64> {
        self.extra[1]
    }

    /// Parses one line; `None` for a blank one.
    fn parse(text: &str) -> Result<Option<Self>, MotProblem> {
        let fields: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        if fields.is_empty() {
            return Ok(None);
        }
        if fields.len() < REQUIRED {
            return Err(MotProblem::TooFewFields {
                found: fields.len(),
            });
        }
        let number = |i: usize| number(COLUMNS[i], fields[i]);
        let size = |i: usize| {
            let value = number(i)?;
            if value < 0.0 {
                return Err(MotProblem::Negative {
                    column: COLUMNS[i],
                    value,
                });
            }
            Ok(value)
        };
        let frame = integer(COLUMNS[0], fields[0])?;
        let frame = u64::try_from(frame).map_err(|_| MotProblem::Negative {
            column: COLUMNS[0],
            value: frame as f64,
        })?;
        let mut extra = [None; 3];
        for (k, slot) in extra.iter_mut().enumerate() {
            if REQUIRED + k < fields.len() {
                *slot = Some(number(REQUIRED + k)?);
            }
        }
        Ok(Some(Self {
            frame,
            id: integer(COLUMNS[1], fields[1])?,
            left: number(2)?,
            top: number(3)?,
            width: size(4)?,
            height: size(5)?,
            conf: number(6)?,
            extra,
        }))
    }
}

/// A finite number.
fn number(column: &'static str, text: &str) -> Result<f64, MotProblem> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(MotProblem::NotANumber {
            column,
            text: text.to_owned(),
        }),
    }
}

/// A whole number, also when written with a zero fraction (`12.0`), as some trackers do.
fn integer(column: &'static str, text: &str) -> Result<i64, MotProblem> {
    if let Ok(v) = text.parse::<i64>() {
        return Ok(v);
    }
    match text.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 2f64.powi(53) => Ok(v as i64),
        _ => Err(MotProblem::NotAnInteger {
            column,
            text: text.to_owned(),
        }),
    }
}

/// Writes the MOTChallenge line (without its newline); a missing world coordinate is `-1`.
impl fmt::Display for MotRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{},{},{},{}",
            self.frame, self.id, self.left, self.top, self.width, self.height, self.conf
        )?;
        for v in self.extra {
            write!(f, ",{}", v.unwrap_or(-1.0))?;
        }
        Ok(())
    }
}

/// What was wrong with a MOTChallenge line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MotProblem {
    /// Fewer than the seven required fields.
    #[error(
        "{found} field(s), at least 7 needed (frame,id,bb_left,bb_top,bb_width,bb_height,conf)"
    )]
    TooFewFields {
        /// How many there were.
        found: usize,
    },
    /// A field that is not a finite number.
    #[error("{column} `{text}` is not a finite number")]
    NotANumber {
        /// The column's name.
        column: &'static str,
        /// The field as written.
        text: String,
    },
    /// A frame or id that is not a whole number.
    #[error("{column} `{text}` is not a whole number")]
    NotAnInteger {
        /// The column's name.
        column: &'static str,
        /// The field as written.
        text: String,
    },
    /// A negative frame, width or height.
    #[error("{column} is negative ({value})")]
    Negative {
        /// The column's name.
        column: &'static str,
        /// The value read.
        value: f64,
    },
    /// The same id twice in one frame.
    #[error("id {id} appears twice in frame {frame} (first on line {first_line})")]
    DuplicateId {
        /// The frame.
        frame: u64,
        /// The repeated id.
        id: i64,
        /// Where it appeared first.
        first_line: usize,
    },
}

/// A bad line in a MOTChallenge file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct MotError {
    /// The line, from 1 (for [`Sequence::from_records`], the record's position from 1).
    pub line: usize,
    /// What was wrong with it.
    pub problem: MotProblem,
}

/// The boxes of one sequence, ground truth or tracker output, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sequence {
    records: Vec<MotRecord>,
}

impl Sequence {
    /// Reads a MOTChallenge file's text.
    pub fn parse(text: &str) -> Result<Self, MotError> {
        let mut records = Vec::new();
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let parsed = MotRecord::parse(line).map_err(|problem| MotError {
                line: i + 1,
                problem,
            })?;
            if let Some(record) = parsed {
                records.push(record);
                lines.push(i + 1);
            }
        }
        check_unique_ids(&records, &lines)?;
        Ok(Self { records })
    }

    /// A sequence from records built in code, checked as [`Sequence::parse`] checks a file.
    pub fn from_records(records: Vec<MotRecord>) -> Result<Self, MotError> {
        for (i, r) in records.iter().enumerate() {
            // Round-trip through the text form so that the checks are the same as for files.
            MotRecord::parse(&r.to_string()).map_err(|problem| MotError {
                line: i + 1,
                problem,
            })?;
        }
        let lines: Vec<usize> = (1..=records.len()).collect();
        check_unique_ids(&records, &lines)?;
        Ok(Self { records })
    }

    /// The records, in file order.
    pub fn records(&self) -> &[MotRecord] {
        &self.records
    }

    /// Number of boxes.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no boxes.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

fn check_unique_ids(records: &[MotRecord], lines: &[usize]) -> Result<(), MotError> {
    let mut seen: HashMap<(u64, i64), usize> = HashMap::with_capacity(records.len());
    for (r, &line) in records.iter().zip(lines) {
        if let Some(&first_line) = seen.get(&(r.frame, r.id)) {
            return Err(MotError {
                line,
                problem: MotProblem::DuplicateId {
                    frame: r.frame,
                    id: r.id,
                    first_line,
                },
            });
        }
        seen.insert((r.frame, r.id), line);
    }
    Ok(())
}

/// The MOTChallenge text of the sequence, one line per record.
impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.records.iter().try_for_each(|r| writeln!(f, "{r}"))
    }
}

/// Writes `records` as MOTChallenge lines (what `--mot FILE` produces).
pub fn write_mot<'a>(
    mut out: impl io::Write,
    records: impl IntoIterator<Item = &'a MotRecord>,
) -> io::Result<()> {
    for r in records {
        writeln!(out, "{r}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> (usize, MotProblem) {
        let e = Sequence::parse(text).unwrap_err();
        (e.line, e.problem)
    }

    #[test]
    fn reads_motchallenge_lines_with_any_separator_and_tail() {
        let text = "1,1,399,182,121,229,1,-1,-1,-1\n\n1, 2 ,282,201,92,184,1\n2 3\t63 153 82 288 0 1 0.5\n";
        let s = Sequence::parse(text).unwrap();
        assert_eq!(s.len(), 3);
        let r = s.records()[0];
        assert_eq!((r.frame, r.id), (1, 1));
        assert_eq!(
            (r.left, r.top, r.width, r.height, r.conf),
            (399.0, 182.0, 121.0, 229.0, 1.0)
        );
        assert_eq!(r.extra, [Some(-1.0); 3]);
        assert_eq!(s.records()[1].extra, [None; 3]);
        let r = s.records()[2];
        assert_eq!((r.frame, r.id, r.conf), (2, 3, 0.0));
        assert_eq!((r.class(), r.visibility()), (Some(1.0), Some(0.5)));
    }

    #[test]
    fn extra_columns_and_float_ids_are_tolerated() {
        let s = Sequence::parse("3,7.0,1,2,3,4,0.9,-1,-1,-1,42,43\n").unwrap();
        assert_eq!((s.records()[0].frame, s.records()[0].id), (3, 7));
    }

    #[test]
    fn bad_lines_name_their_line_and_problem() {
        let good = "1,1,0,0,10,10,1\n";
        assert_eq!(
            problem(&format!("{good}\n1,2,0,0,10\n")),
            (3, MotProblem::TooFewFields { found: 5 })
        );
        assert_eq!(
            problem(&format!("{good}1,2,0,zero,10,10,1\n")),
            (
                2,
                MotProblem::NotANumber {
                    column: "bb_top",
                    text: "zero".into()
                }
            )
        );
        assert_eq!(
            problem("1,2,0,0,10,10,nan\n"),
            (
                1,
                MotProblem::NotANumber {
                    column: "conf",
                    text: "nan".into()
                }
            )
        );
        assert_eq!(
            problem("1,2.5,0,0,10,10,1\n"),
            (
                1,
                MotProblem::NotAnInteger {
                    column: "id",
                    text: "2.5".into()
                }
            )
        );
        assert_eq!(
            problem("-1,2,0,0,10,10,1\n"),
            (
                1,
                MotProblem::Negative {
                    column: "frame",
                    value: -1.0
                }
            )
        );
        assert_eq!(
            problem("1,2,0,0,-10,10,1\n"),
            (
                1,
                MotProblem::Negative {
                    column: "bb_width",
                    value: -10.0
                }
            )
        );
        assert_eq!(
            problem(&format!("{good}2,1,0,0,10,10,1\n{good}")),
            (
                3,
                MotProblem::DuplicateId {
                    frame: 1,
                    id: 1,
                    first_line: 1
                }
            )
        );
        let e = Sequence::parse("1,x,0,0,1,1,1").unwrap_err();
        assert_eq!(e.to_string(), "line 1: id `x` is not a whole number");
    }

    #[test]
    fn written_lines_read_back_the_same() {
        let bbox = BBox {
            x: 113.5,
            y: 274.25,
            w: 57.0,
            h: 130.0,
        };
        let records = vec![
            MotRecord::new(1, 3, bbox, 0.75),
            MotRecord::new(2, 3, bbox, 1.0),
        ];
        let mut out = Vec::new();
        write_mot(&mut out, &records).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("1,3,113.5,274.25,57,130,0.75,-1,-1,-1")
        );
        let back = Sequence::parse(&text).unwrap();
        assert_eq!(back.records()[0].bbox(), bbox);
        assert_eq!(back.to_string(), text);
        let built = Sequence::from_records(records).unwrap();
        assert_eq!(built.to_string(), text);
        assert!(Sequence::from_records(vec![MotRecord::new(1, 3, bbox, 1.0); 2]).is_err());
    }
}
