//! Write-behind of object rows.
//!
//! The `vessels` table keeps each vessel's latest state for readers of the store itself
//! (QGIS on the GeoPackage, `psql`) and for identity across restarts; the API and the tiles
//! answer from the engine. A vessel that reports four times a second need not
//! rewrite its row four times: its fixes are stored at once in `positions` (that is what
//! makes a batch durable, and what a restart replays), and its row follows at most once per
//! interval. Identity data lives only in the row, so such a change is written at once.
//!
//! Rows that are due are written a limited number per batch and per second, oldest first,
//! so that a thousand vessels seen at the same moment do not all land in one commit and
//! hold up the alerts of that batch, and so that tens of thousands of vessels do not keep
//! the store busy rewriting rows at the fixes' expense. (A limit that grew with the batch
//! made that worse: row writes slowed the writer, batches grew, and so did their rows.)
//! Should more rows come due than the limits let through, rows lag further behind; each
//! object waits once, so memory stays bounded by the number of objects.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How often rows are rewritten and how many at once.
#[derive(Debug, Clone, Copy)]
pub struct RowPace {
    /// A row is rewritten at most once per interval (zero: every change at once).
    pub interval: Duration,
    /// Due rows written in one batch at most, besides urgent ones.
    pub per_batch: usize,
    /// Due rows written per second at most, besides urgent ones (`f64::MAX`: no limit).
    pub per_second: f64,
}

/// Which changed objects get their rows written now.
#[derive(Debug)]
pub struct WriteBehind<K> {
    pace: RowPace,
    /// Due rows that may be written now (at most `per_batch`), and when that was reckoned.
    allowance: (f64, Option<Instant>),
    /// When each object's row was last written.
    written: HashMap<K, Instant>,
    /// Changes that wait for their interval to pass, with when it does, oldest first.
    waiting: VecDeque<(Instant, K)>,
    /// Changes that are due, oldest first.
    ready: VecDeque<K>,
    /// The objects with a change in `waiting` or `ready` (each once).
    pending: HashSet<K>,
}

impl<K: Hash + Eq + Clone> WriteBehind<K> {
    /// Rows written at `pace`.
    pub fn new(pace: RowPace) -> Self {
        Self {
            pace,
            allowance: (pace.per_batch as f64, None),
            written: HashMap::new(),
            waiting: VecDeque::new(),
            ready: VecDeque::new(),
            pending: HashSet::new(),
        }
    }

    /// Takes the objects that changed in this batch (each once, with whether the change is
    /// urgent) and returns those whose rows are to be written now: the urgent ones, then
    /// due ones (a changed row whose last write is older than the interval is due at once).
    pub fn take(&mut self, changed: impl IntoIterator<Item = (K, bool)>, now: Instant) -> Vec<K> {
        let mut write = Vec::new();
        for (key, urgent) in changed {
            if urgent {
                self.pending.remove(&key);
                write.push(key);
            } else if !self.pending.contains(&key) {
                self.pending.insert(key.clone());
                match self.written.get(&key) {
                    Some(&at) if now.saturating_duration_since(at) < self.pace.interval => {
                        self.waiting.push_back((now + self.pace.interval, key));
                    }
                    _ => self.ready.push_back(key),
                }
            }
        }
        while self.waiting.front().is_some_and(|(due, _)| *due <= now) {
            let (_, key) = self.waiting.pop_front().expect("front exists");
            self.ready.push_back(key);
        }
        let (mut allowance, since) = self.allowance;
        if let Some(since) = since {
            let earned = now.saturating_duration_since(since).as_secs_f64() * self.pace.per_second;
            allowance = (allowance + earned).min(self.pace.per_batch as f64);
        }
        let urgent = write.len();
        let limit = urgent.saturating_add(allowance as usize);
        while write.len() < limit
            && let Some(key) = self.ready.pop_front()
        {
            // an urgent write took it out meanwhile when it is no longer pending
            if self.pending.remove(&key) {
                write.push(key);
            }
        }
        self.allowance = (allowance - (write.len() - urgent) as f64, Some(now));
        for key in &write {
            self.written.insert(key.clone(), now);
        }
        write
    }

    /// Every change not written yet (to write them all, at a shutdown).
    pub fn drain(&mut self) -> Vec<K> {
        self.waiting.clear();
        self.ready.clear();
        self.pending.drain().collect()
    }

    /// Forgets every change and write, as if new.
    pub fn reset(&mut self) {
        *self = Self::new(self.pace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn pace(interval: Duration, per_batch: usize, per_second: f64) -> RowPace {
        RowPace {
            interval,
            per_batch,
            per_second,
        }
    }

    fn clock() -> impl Fn(u64) -> Instant {
        let t0 = Instant::now();
        move |ms| t0 + Duration::from_millis(ms)
    }

    #[test]
    fn a_row_is_written_at_most_once_per_interval_and_never_lost() {
        let at = clock();
        let mut rows = WriteBehind::new(pace(SECOND, 100, f64::MAX));
        assert_eq!(rows.take([("a", false), ("b", false)], at(0)), ["a", "b"]);
        // four reports a second: the changes wait
        assert!(rows.take([("a", false)], at(250)).is_empty());
        assert!(rows.take([("a", false)], at(500)).is_empty());
        // a waiting change is written once it is due, even without a new report
        assert!(rows.take([], at(1249)).is_empty());
        assert_eq!(rows.take([], at(1250)), ["a"]);
        assert!(rows.take([], at(5000)).is_empty(), "written once");
        // a report after a quiet interval is written at once
        assert_eq!(rows.take([("b", false)], at(5000)), ["b"]);
    }

    #[test]
    fn urgent_changes_are_written_at_once_and_not_again() {
        let at = clock();
        let mut rows = WriteBehind::new(pace(SECOND, 100, f64::MAX));
        assert_eq!(rows.take([(7, false)], at(0)), [7]);
        assert!(rows.take([(7, false)], at(100)).is_empty());
        assert_eq!(rows.take([(7, true)], at(200)), [7]);
        assert!(
            rows.take([], at(1100)).is_empty(),
            "the waiting change was written"
        );
        assert!(rows.drain().is_empty());
    }

    #[test]
    fn due_rows_are_spread_over_batches_oldest_first() {
        let at = clock();
        let mut rows = WriteBehind::new(pace(SECOND, 2, f64::MAX));
        assert_eq!(
            rows.take([(1, false), (2, false), (3, false), (4, true)], at(0)),
            [4, 1, 2]
        );
        assert_eq!(rows.take([(5, false)], at(1)), [3, 5]);
        assert!(rows.take([(1, false)], at(2)).is_empty());
        assert_eq!(rows.drain(), [1]);
    }

    #[test]
    fn a_zero_interval_writes_every_change() {
        let now = Instant::now();
        let mut rows = WriteBehind::new(pace(Duration::ZERO, usize::MAX, f64::MAX));
        assert_eq!(rows.take([(1, false)], now), [1]);
        assert_eq!(rows.take([(1, false)], now), [1]);
    }

    #[test]
    fn due_rows_are_let_through_at_the_rate_per_second() {
        let at = clock();
        let mut rows = WriteBehind::new(pace(SECOND, 10, 4.0));
        let first = rows.take((0..20).map(|k| (k, false)), at(0));
        assert_eq!(first.len(), 10, "a full batch to begin with");
        assert!(rows.take([], at(100)).is_empty(), "0.4 rows earned");
        assert_eq!(rows.take([], at(500)), [10, 11], "two rows a half second");
        // urgent rows pass whatever is left
        assert_eq!(rows.take([(99, true)], at(600)), [99]);
        // a long pause earns no more than a batch
        assert_eq!(rows.take([], at(60_000)).len(), 8, "the 8 left, at most 10");
        assert!(rows.drain().is_empty());
    }
}
