//! The plain-text summary table, one row per sequence, columns as motmetrics names them.

use super::SequenceMetrics;

/// How a column shows its value.
enum Cell {
    Percent(f64),
    Ratio(f64),
    Count(usize),
}

impl Cell {
    fn render(&self) -> String {
        match *self {
            Cell::Percent(v) if v.is_finite() => format!("{:.1}%", v * 100.0),
            Cell::Ratio(v) if v.is_finite() => format!("{v:.3}"),
            Cell::Count(n) => n.to_string(),
            _ => "-".to_owned(),
        }
    }
}

const HEADERS: [&str; 18] = [
    "IDF1", "IDP", "IDR", "Rcll", "Prcn", "GT", "MT", "PT", "ML", "FP", "FN", "IDs", "FM", "MOTA",
    "MOTP", "HOTA", "DetA", "AssA",
];

fn cells(m: &SequenceMetrics) -> [Cell; 18] {
    use Cell::*;
    [
        Percent(m.idf1),
        Percent(m.idp),
        Percent(m.idr),
        Percent(m.recall),
        Percent(m.precision),
        Count(m.num_unique_objects),
        Count(m.mostly_tracked),
        Count(m.partially_tracked),
        Count(m.mostly_lost),
        Count(m.num_false_positives),
        Count(m.num_misses),
        Count(m.num_switches),
        Count(m.num_fragmentations),
        Percent(m.mota),
        Ratio(m.motp),
        Percent(m.hota),
        Percent(m.det_a),
        Percent(m.ass_a),
    ]
}

/// A right-aligned text table of `rows` (typically each sequence, then [`super::overall`]).
/// MOTP is motmetrics' mean IoU distance; the other ratios are percentages.
pub fn render_table(rows: &[SequenceMetrics]) -> String {
    let mut grid: Vec<Vec<String>> = vec![
        std::iter::once(String::new())
            .chain(HEADERS.iter().map(|h| h.to_string()))
            .collect(),
    ];
    for m in rows {
        grid.push(
            std::iter::once(m.name.clone())
                .chain(cells(m).iter().map(Cell::render))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|c| grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &grid {
        let mut line = format!("{:<w$}", row[0], w = widths[0]);
        for (cell, w) in row.iter().zip(&widths).skip(1) {
            line.push_str(&format!(" {cell:>w$}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
