//! The server's clock: the wall clock, or in the demo a faster one.
//!
//! Everything that asks "what time is it" (fixes without a timestamp of their own, the
//! future check on vehicle fixes, the detectors' clock, alert history) reads [`now_epoch_s`].
//! `coastwatch demo --speed N` makes the whole server live N times faster from its start, so
//! a simulated half hour of loitering is half an hour on every clock the server shows.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// `(wall time at start, speed)` once the clock was sped up.
static FAST: OnceLock<(f64, f64)> = OnceLock::new();
/// Seconds the clock was moved ahead ([`skip_ahead`]), as `f64` bits.
static AHEAD: AtomicU64 = AtomicU64::new(0);

/// The wall clock, in epoch seconds.
pub fn wall_epoch_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Now, in epoch seconds, on the server's clock.
pub fn now_epoch_s() -> f64 {
    let wall = wall_epoch_s();
    let ahead = f64::from_bits(AHEAD.load(Ordering::Relaxed));
    match FAST.get() {
        Some(&(start, speed)) => start + (wall - start) * speed + ahead,
        None => wall + ahead,
    }
}

/// Moves the server's clock `seconds` ahead, for good (the demo skips the quiet start of its
/// scenario: what lies before is played at once). Never moves it back.
pub fn skip_ahead(seconds: f64) {
    if seconds.is_finite() && seconds > 0.0 {
        let _ = AHEAD.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + seconds).to_bits())
        });
    }
}

/// From now on the server's clock runs `speed` times as fast as the wall clock (once per
/// process; later calls are ignored).
pub fn speed_up(speed: f64) {
    let _ = FAST.set((wall_epoch_s(), speed));
}

/// How many times faster than the wall clock the server's clock runs (1 unless sped up).
pub fn speed() -> f64 {
    FAST.get().map_or(1.0, |&(_, speed)| speed)
}
