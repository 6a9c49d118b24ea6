//! A vessel's track window, packed: 32 bytes a fix where a [`Fix`] takes 80.
//!
//! Time and position are kept as they came. Speed, course and heading are kept to a
//! hundredth (AIS sends tenths of a knot and of a degree, and whole degrees of heading), from
//! 0 to 655.34; the navigational status as its code (AIS has 0–15). A province's six hours of
//! tracks fit in two fifths of the memory, and a buffer that grows copies as much less.

use std::collections::VecDeque;

use super::Fix;

/// The fixes of a track window, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Track(VecDeque<Packed>);

/// A fix as the track keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Packed {
    t_epoch_s: f64,
    lon: f64,
    lat: f64,
    sog: Hundredths,
    cog: Hundredths,
    heading: Hundredths,
    nav_status: u8,
}

/// An optional value in hundredths, `u16::MAX` for none.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Hundredths(u16);

impl Hundredths {
    const NONE: u16 = u16::MAX;

    fn pack(value: Option<f64>) -> Self {
        match value {
            Some(v) if v.is_finite() => Self((v * 100.0).round().clamp(0.0, 65_534.0) as u16),
            _ => Self(Self::NONE),
        }
    }

    fn unpack(self) -> Option<f64> {
        (self.0 != Self::NONE).then(|| f64::from(self.0) / 100.0)
    }
}

/// `nav_status` for none.
const NO_STATUS: u8 = u8::MAX;

impl Packed {
    fn pack(fix: Fix) -> Self {
        Self {
            t_epoch_s: fix.t_epoch_s,
            lon: fix.lon,
            lat: fix.lat,
            sog: Hundredths::pack(fix.sog_kn),
            cog: Hundredths::pack(fix.cog_deg),
            heading: Hundredths::pack(fix.heading_deg),
            nav_status: fix.nav_status.unwrap_or(NO_STATUS),
        }
    }

    fn unpack(self) -> Fix {
        Fix {
            t_epoch_s: self.t_epoch_s,
            lon: self.lon,
            lat: self.lat,
            sog_kn: self.sog.unpack(),
            cog_deg: self.cog.unpack(),
            heading_deg: self.heading.unpack(),
            nav_status: (self.nav_status != NO_STATUS).then_some(self.nav_status),
        }
    }
}

impl Track {
    /// Number of fixes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds no fix.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `i`th fix, oldest first.
    pub fn get(&self, i: usize) -> Option<Fix> {
        self.0.get(i).copied().map(Packed::unpack)
    }

    /// The oldest fix.
    pub fn front(&self) -> Option<Fix> {
        self.0.front().copied().map(Packed::unpack)
    }

    /// The newest fix.
    pub fn back(&self) -> Option<Fix> {
        self.0.back().copied().map(Packed::unpack)
    }

    /// The fixes, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Fix> + ExactSizeIterator + '_ {
        self.0.iter().copied().map(Packed::unpack)
    }

    /// Appends a fix.
    pub fn push_back(&mut self, fix: Fix) {
        self.0.push_back(Packed::pack(fix));
    }

    /// Removes the oldest fix.
    pub fn pop_front(&mut self) -> Option<Fix> {
        self.0.pop_front().map(Packed::unpack)
    }

    /// Inserts a fix at `i`.
    pub fn insert(&mut self, i: usize, fix: Fix) {
        self.0.insert(i, Packed::pack(fix));
    }

    /// The index of the first fix at or after time `t` (epoch s): where a fix of time `t`
    /// goes, or the one already there.
    pub fn index_at(&self, t: f64) -> usize {
        self.0.partition_point(|f| f.t_epoch_s < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(t: f64, sog: Option<f64>, cog: Option<f64>, heading: Option<f64>) -> Fix {
        Fix {
            t_epoch_s: t,
            lon: 121.600_000_3,
            lat: 29.512_345_678,
            sog_kn: sog,
            cog_deg: cog,
            heading_deg: heading,
            nav_status: Some(7),
        }
    }

    #[test]
    fn a_fix_is_kept_as_it_came_to_a_hundredth() {
        assert_eq!(std::mem::size_of::<Packed>(), 32);
        let mut track = Track::default();
        let ais = fix(1.5, Some(12.3), Some(359.9), Some(511.0 - 154.0));
        let none = Fix {
            nav_status: None,
            ..fix(2.0, None, None, None)
        };
        track.push_back(ais);
        track.push_back(none);
        assert_eq!(track.iter().collect::<Vec<_>>(), vec![ais, none]);
        // finer than a hundredth is rounded, beyond the range clamped, NaN is none
        track.push_back(fix(3.0, Some(0.004_9), Some(f64::NAN), Some(1e9)));
        let back = track.back().unwrap();
        assert_eq!(
            (back.sog_kn, back.cog_deg, back.heading_deg),
            (Some(0.0), None, Some(655.34))
        );
    }

    #[test]
    fn fixes_keep_their_order_through_inserts_and_pops() {
        let mut track = Track::default();
        for t in [1.0, 2.0, 4.0] {
            track.push_back(fix(t, None, None, None));
        }
        assert_eq!(track.index_at(3.0), 2);
        assert_eq!(track.index_at(2.0), 1);
        track.insert(2, fix(3.0, Some(5.0), None, None));
        assert_eq!(track.pop_front().unwrap().t_epoch_s, 1.0);
        let times: Vec<f64> = track.iter().map(|f| f.t_epoch_s).collect();
        assert_eq!(times, vec![2.0, 3.0, 4.0]);
        assert_eq!(track.get(1).unwrap().sog_kn, Some(5.0));
        assert_eq!(track.front().unwrap().t_epoch_s, 2.0);
        assert_eq!(track.len(), 3);
    }
}
