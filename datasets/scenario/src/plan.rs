//! Motion plans: what a vessel or truck does over time, as legs (follow a path, stay,
//! drift, circle), silences when it does not report, and the fixes sampled from them.

use super::geom::{Polyline, Xy, add, dist, heading_of, scale, sub};
use coastwatch_core::rng::Rng;

/// What an object is doing on a leg; decides how it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A vessel under way (well above 2 kn).
    UnderWay,
    /// A vessel drifting or circling slowly (encounter, loitering).
    Slow,
    /// A vessel stopped by a shore (landing).
    Stopped,
    /// A vessel moored at a registered dock.
    Moored,
    /// A truck on its corridor.
    Driving,
    /// A truck crawling through a yard on its corridor (fixes more often).
    Yard,
    /// A truck off its corridor.
    OffRoad,
    /// A truck parked.
    Parked,
}

/// How an object moves during a leg.
#[derive(Debug, Clone)]
pub(crate) enum Motion {
    /// Along a polyline at a constant speed (m/s).
    Path { line: Polyline, speed: f64 },
    /// Staying at a point, facing `course`.
    Still { at: Xy, course: f64 },
    /// Drifting from `from` with a constant velocity (m/s).
    Drift { from: Xy, vel: Xy },
    /// Round a circle at angular speed `omega` (rad/s, positive anticlockwise).
    Circle {
        centre: Xy,
        radius: f64,
        omega: f64,
        phase0: f64,
    },
}

/// One leg of a plan: `[t0, t1]`.
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    pub(crate) t0: f64,
    pub(crate) t1: f64,
    pub(crate) motion: Motion,
    pub(crate) mode: Mode,
}

/// Where an object is and how it moves at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct State {
    pub(crate) at: Xy,
    /// Speed (m/s).
    pub(crate) speed: f64,
    /// Course (deg).
    pub(crate) course: f64,
    pub(crate) mode: Mode,
}

impl Leg {
    fn state(&self, t: f64) -> State {
        let dt = (t - self.t0).max(0.0);
        let (at, speed, course) = match &self.motion {
            Motion::Path { line, speed } => {
                let s = speed * dt;
                (line.at(s), *speed, line.bearing_at(s))
            }
            Motion::Still { at, course } => (*at, 0.0, *course),
            Motion::Drift { from, vel } => (
                add(*from, scale(*vel, dt)),
                vel[0].hypot(vel[1]),
                heading_of(*vel),
            ),
            Motion::Circle {
                centre,
                radius,
                omega,
                phase0,
            } => {
                let a = phase0 + omega * dt;
                let at = add(*centre, [radius * a.cos(), radius * a.sin()]);
                let vel = [-radius * omega * a.sin(), radius * omega * a.cos()];
                (at, radius * omega.abs(), heading_of(vel))
            }
        };
        State {
            at,
            speed,
            course,
            mode: self.mode,
        }
    }
}

/// A whole plan: legs back to back and the silences in which nothing is reported.
#[derive(Debug, Clone, Default)]
pub(crate) struct Track {
    pub(crate) legs: Vec<Leg>,
    /// `(from, to)`: no report strictly after `from` and before `to`.
    pub(crate) silences: Vec<(f64, f64)>,
}

impl Track {
    pub(crate) fn start(&self) -> f64 {
        self.legs.first().map_or(0.0, |l| l.t0)
    }

    pub(crate) fn end(&self) -> f64 {
        self.legs.last().map_or(0.0, |l| l.t1)
    }

    /// The state at `t` (clamped to the plan).
    pub(crate) fn state_at(&self, t: f64) -> Option<State> {
        let i = self.legs.partition_point(|l| l.t1 < t);
        let leg = self.legs.get(i).or(self.legs.last())?;
        Some(leg.state(t.min(leg.t1)))
    }

    fn silence_end(&self, t: f64) -> Option<f64> {
        self.silences
            .iter()
            .find(|(a, b)| t > *a && t < *b)
            .map(|(_, b)| *b)
    }
}

/// Builds a plan leg by leg from a time and place.
#[derive(Debug, Clone)]
pub(crate) struct Builder {
    pub(crate) t: f64,
    pub(crate) at: Xy,
    pub(crate) course: f64,
    pub(crate) track: Track,
}

impl Builder {
    pub(crate) fn new(t: f64, at: Xy, course: f64) -> Self {
        Self {
            t,
            at,
            course,
            track: Track::default(),
        }
    }

    fn push(&mut self, t1: f64, motion: Motion, mode: Mode) {
        if t1 <= self.t {
            return;
        }
        let leg = Leg {
            t0: self.t,
            t1,
            motion,
            mode,
        };
        let end = leg.state(t1);
        self.at = end.at;
        if end.speed > 0.0 {
            self.course = end.course;
        }
        self.t = t1;
        self.track.legs.push(leg);
    }

    /// Follows `pts` (from the current place) at `speed` m/s, stopping at `until` if that
    /// comes first.
    pub(crate) fn go(&mut self, pts: &[Xy], speed: f64, mode: Mode, until: f64) {
        let mut all = Vec::with_capacity(pts.len() + 1);
        all.push(self.at);
        all.extend_from_slice(pts);
        let Some(line) = Polyline::new(all) else {
            return;
        };
        let t1 = (self.t + line.len() / speed).min(until);
        self.push(t1, Motion::Path { line, speed }, mode);
    }

    /// Stays where it is for `duration` s (until `until` at most).
    pub(crate) fn stay(&mut self, duration: f64, mode: Mode, until: f64) {
        let motion = Motion::Still {
            at: self.at,
            course: self.course,
        };
        self.push((self.t + duration).min(until), motion, mode);
    }

    /// Drifts with velocity `vel` (m/s) for `duration` s.
    pub(crate) fn drift(&mut self, vel: Xy, duration: f64, mode: Mode) {
        let motion = Motion::Drift { from: self.at, vel };
        self.push(self.t + duration, motion, mode);
    }

    /// Circles round `centre` (through the current place) at `omega` rad/s for `duration`.
    pub(crate) fn circle(&mut self, centre: Xy, omega: f64, duration: f64, mode: Mode) {
        let r = sub(self.at, centre);
        let motion = Motion::Circle {
            centre,
            radius: dist(self.at, centre),
            omega,
            phase0: r[1].atan2(r[0]),
        };
        self.push(self.t + duration, motion, mode);
    }

    /// Reports nothing strictly between `from` and `to`.
    pub(crate) fn silence(&mut self, from: f64, to: f64) {
        self.track.silences.push((from, to));
    }
}

/// A sampled position, before noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawFix {
    pub(crate) t: f64,
    pub(crate) state: State,
}

/// The reports of a plan: from its start (rounded up to a whole second) to its end, every
/// `interval(state)` seconds (whole, at least 2), and a second after each change of mode,
/// skipping silences.
pub(crate) fn sample(
    track: &Track,
    rng: &mut Rng,
    interval: impl Fn(&State, &mut Rng) -> f64,
) -> Vec<RawFix> {
    let mut out = Vec::new();
    let (start, end) = (track.start().ceil(), track.end());
    let mut t = start;
    while t <= end {
        if let Some(resume) = track.silence_end(t) {
            t = resume.ceil();
            continue;
        }
        let Some(state) = track.state_at(t) else {
            break;
        };
        out.push(RawFix { t, state });
        let mut next = t + interval(&state, rng).round().max(2.0);
        // a change of what the object does (starting to move, stopping) is reported at once
        if let Some(change) = track
            .legs
            .iter()
            .find(|l| l.t0 > t && l.t0 < next && l.mode != state.mode)
        {
            next = next.min((change.t0 + 1.0).ceil().max(t + 2.0));
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legs_chain_and_sampling_skips_silences() {
        let mut b = Builder::new(100.0, [0.0, 0.0], 0.0);
        b.go(&[[0.0, 1000.0]], 10.0, Mode::UnderWay, f64::INFINITY);
        assert_eq!(b.t, 200.0);
        assert_eq!(b.at, [0.0, 1000.0]);
        b.stay(300.0, Mode::Moored, f64::INFINITY);
        b.circle([0.0, 900.0], 0.01, 100.0, Mode::Slow);
        b.drift([1.0, 0.0], 50.0, Mode::Slow);
        b.silence(250.0, 400.0);
        let track = b.track;
        assert_eq!((track.start(), track.end()), (100.0, 650.0));
        let s = track.state_at(150.0).unwrap();
        assert_eq!(s.at, [0.0, 500.0]);
        assert_eq!((s.speed, s.course, s.mode), (10.0, 0.0, Mode::UnderWay));
        let c = track.state_at(550.0).unwrap();
        assert!((dist(c.at, [0.0, 900.0]) - 100.0).abs() < 1e-6);
        assert!((c.speed - 1.0).abs() < 1e-9);
        let fixes = sample(&track, &mut Rng::new(1), |_, _| 10.0);
        assert!(fixes.iter().all(|f| f.t <= 250.0 || f.t >= 400.0));
        assert_eq!(fixes.first().map(|f| f.t), Some(100.0));
        assert!(fixes.iter().any(|f| f.t == 400.0));
    }
}
