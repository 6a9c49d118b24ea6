//! Minimum-cost assignment of rows to columns (the Hungarian method) on `f64` costs, shared by
//! the tracker and the tracking metrics.
//!
//! The solver is the shortest-augmenting-path form of Kuhn–Munkres with row and column
//! potentials: one row is added at a time and joined to the matching along a cheapest path,
//! O(n² m) for an n × m matrix with n ≤ m (wider-than-tall matrices are solved transposed).

/// A minimum-cost assignment of rows to columns of the row-major `rows` × `cols` matrix `costs`.
///
/// A pair whose cost is infinite or NaN is forbidden and never returned. Among the assignments
/// with the most allowed pairs, the one returned has the least total cost (this is what
/// `scipy`'s solver does in motmetrics once forbidden pairs are priced out of reach). Pairs come
/// back sorted by row; each row and each column appears at most once.
///
/// # Panics
/// When `costs.len() != rows * cols`.
pub fn min_cost_assignment(costs: &[f64], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    assert_eq!(
        costs.len(),
        rows * cols,
        "cost matrix has {} entries, not {rows} × {cols}",
        costs.len()
    );
    let Some(max_abs) = costs
        .iter()
        .filter(|c| c.is_finite())
        .map(|c| c.abs())
        .reduce(f64::max)
    else {
        return Vec::new();
    };
    // A forbidden pair costs more than any full assignment that avoids one more of them can
    // save: taking it once and the cheapest pair r - 1 times stays dearer than taking the dearest
    // pair r times (r = min(rows, cols)).
    let r = rows.min(cols) as f64;
    let forbidden = 2.0 * r * (max_abs + 1.0) + 1.0;
    let priced = |c: f64| if c.is_finite() { c } else { forbidden };

    let transposed = rows > cols;
    let (n, m) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let cost = |i: usize, j: usize| {
        if transposed {
            priced(costs[j * cols + i])
        } else {
            priced(costs[i * cols + j])
        }
    };
    let row_of_col = hungarian(n, m, cost);

    let mut pairs: Vec<(usize, usize)> = row_of_col
        .into_iter()
        .enumerate()
        .filter_map(|(j, i)| i.map(|i| if transposed { (j, i) } else { (i, j) }))
        .filter(|&(i, j)| costs[i * cols + j].is_finite())
        .collect();
    pairs.sort_unstable();
    pairs
}

/// Kuhn–Munkres on an `n` × `m` matrix of finite costs with `n ≤ m`: every row gets a column.
/// Returns, for each column, the row assigned to it.
fn hungarian(n: usize, m: usize, cost: impl Fn(usize, usize) -> f64) -> Vec<Option<usize>> {
    debug_assert!(n <= m);
    // Index 0 of the column arrays is a virtual column holding the row being inserted; rows
    // and columns are numbered from 1 inside the loop.
    let mut u = vec![0.0_f64; n + 1];
    let mut v = vec![0.0_f64; m + 1];
    let mut row_of = vec![0_usize; m + 1];
    let mut came_from = vec![0_usize; m + 1];
    let mut min_slack = vec![f64::INFINITY; m + 1];
    let mut visited = vec![false; m + 1];
    for row in 1..=n {
        row_of[0] = row;
        let mut col = 0;
        min_slack.fill(f64::INFINITY);
        visited.fill(false);
        // Grow a tree of tight edges until it reaches a free column.
        loop {
            visited[col] = true;
            let i = row_of[col];
            let mut delta = f64::INFINITY;
            let mut next = 0;
            for j in 1..=m {
                if visited[j] {
                    continue;
                }
                let slack = cost(i - 1, j - 1) - u[i] - v[j];
                if slack < min_slack[j] {
                    min_slack[j] = slack;
                    came_from[j] = col;
                }
                if min_slack[j] < delta {
                    delta = min_slack[j];
                    next = j;
                }
            }
            for j in 0..=m {
                if visited[j] {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_slack[j] -= delta;
                }
            }
            col = next;
            if row_of[col] == 0 {
                break;
            }
        }
        // Flip the matching along the path back to the virtual column.
        while col != 0 {
            let prev = came_from[col];
            row_of[col] = row_of[prev];
            col = prev;
        }
    }
    row_of[1..]
        .iter()
        .map(|&i| (i != 0).then(|| i - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(costs: &[f64], cols: usize, pairs: &[(usize, usize)]) -> f64 {
        pairs.iter().map(|&(i, j)| costs[i * cols + j]).sum()
    }

    /// The best (most pairs, then least cost) over every assignment, by exhaustive search.
    fn brute_force(costs: &[f64], rows: usize, cols: usize) -> (usize, f64) {
        fn go(
            costs: &[f64],
            rows: usize,
            cols: usize,
            i: usize,
            used: &mut Vec<bool>,
            acc: (usize, f64),
            best: &mut (usize, f64),
        ) {
            if i == rows {
                if acc.0 > best.0 || (acc.0 == best.0 && acc.1 < best.1) {
                    *best = acc;
                }
                return;
            }
            go(costs, rows, cols, i + 1, used, acc, best);
            for j in 0..cols {
                let c = costs[i * cols + j];
                if !used[j] && c.is_finite() {
                    used[j] = true;
                    go(costs, rows, cols, i + 1, used, (acc.0 + 1, acc.1 + c), best);
                    used[j] = false;
                }
            }
        }
        let mut best = (0, f64::INFINITY);
        go(
            costs,
            rows,
            cols,
            0,
            &mut vec![false; cols],
            (0, 0.0),
            &mut best,
        );
        if best.0 == 0 {
            best.1 = 0.0;
        }
        best
    }

    #[test]
    fn square_textbook_case() {
        let costs = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        let pairs = min_cost_assignment(&costs, 3, 3);
        assert_eq!(pairs, vec![(0, 1), (1, 0), (2, 2)]);
        assert_eq!(total(&costs, 3, &pairs), 5.0);
    }

    #[test]
    fn rectangular_both_ways() {
        let wide = [1.0, 9.0, 0.5, 9.0, 2.0, 9.0];
        assert_eq!(min_cost_assignment(&wide, 2, 3), vec![(0, 2), (1, 1)]);
        let tall = [1.0, 9.0, 9.0, 2.0, 0.5, 9.0];
        assert_eq!(min_cost_assignment(&tall, 3, 2), vec![(1, 1), (2, 0)]);
    }

    #[test]
    fn forbidden_pairs_are_never_returned_and_cardinality_comes_first() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        // Taking (0,0) alone is cheaper, but two allowed pairs beat one.
        let costs = [0.0, 5.0, 5.0, inf];
        assert_eq!(min_cost_assignment(&costs, 2, 2), vec![(0, 1), (1, 0)]);
        let costs = [nan, nan, nan, 0.3];
        assert_eq!(min_cost_assignment(&costs, 2, 2), vec![(1, 1)]);
        assert!(min_cost_assignment(&[nan, inf], 1, 2).is_empty());
        assert!(min_cost_assignment(&[], 0, 4).is_empty());
        assert!(min_cost_assignment(&[], 3, 0).is_empty());
    }

    #[test]
    fn negative_costs_maximise_a_score() {
        let scores = [-0.9, -0.8, -0.7, -0.95];
        assert_eq!(min_cost_assignment(&scores, 2, 2), vec![(0, 0), (1, 1)]);
    }

    #[test]
    fn agrees_with_exhaustive_search() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..400 {
            let rows = (next() % 5) as usize + 1;
            let cols = (next() % 5) as usize + 1;
            let costs: Vec<f64> = (0..rows * cols)
                .map(|_| match next() % 10 {
                    0 | 1 => f64::NAN,
                    2 => f64::INFINITY,
                    k => (next() % 1000) as f64 / 100.0 - if k == 3 { 5.0 } else { 0.0 },
                })
                .collect();
            let pairs = min_cost_assignment(&costs, rows, cols);
            let (count, cost) = brute_force(&costs, rows, cols);
            assert_eq!(pairs.len(), count, "{costs:?}");
            assert!(
                (total(&costs, cols, &pairs) - cost).abs() < 1e-9,
                "{costs:?}"
            );
            assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
            let mut seen_cols: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            seen_cols.sort_unstable();
            seen_cols.dedup();
            assert_eq!(seen_cols.len(), pairs.len());
        }
    }
}
