//! Pairing of type 24 part A (name) and part B (type, call sign, size)
//! reports of the same MMSI, for a vessel registry.

use std::collections::{HashMap, VecDeque};

use super::messages::{Mmsi, StaticDataReport};

/// Joins type 24 parts A and B per MMSI into one [`StaticDataReport`].
///
/// A part is kept until the other part of the same MMSI arrives, in either
/// order; a repeated part replaces the kept one. At most `capacity` MMSIs
/// wait at once (the oldest is forgotten first).
///
/// ```
/// use coastwatch_ais::{AisMessage, PayloadBits, StaticDataPairer};
/// let decode = |p: &[u8], fill| {
///     let mut b = PayloadBits::new();
///     b.push_armored(p, fill).unwrap();
///     match AisMessage::decode(&b.reader()).unwrap() {
///         AisMessage::StaticData(r) => r,
///         _ => unreachable!(),
///     }
/// };
/// let mut pairer = StaticDataPairer::new(1024);
/// assert!(pairer.push(&decode(b"H42O55i18tMET00000000000000", 2)).is_none());
/// let both = pairer.push(&decode(b"H42O55lti4hhhilD3nink000?050", 0)).unwrap();
/// assert_eq!(both.shipname.unwrap(), "PROGUY");
/// assert_eq!(both.part_b.unwrap().callsign, "TC6163");
/// assert_eq!(both.part(), None);
/// ```
#[derive(Debug, Clone)]
pub struct StaticDataPairer {
    waiting: HashMap<Mmsi, StaticDataReport>,
    order: VecDeque<Mmsi>,
    capacity: usize,
}

impl StaticDataPairer {
    /// A pairer holding at most `capacity` unmatched MMSIs.
    pub fn new(capacity: usize) -> Self {
        Self {
            waiting: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Unmatched parts kept.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// True when no part waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Offers a report; returns the joined report when `report` completes a
    /// pair. A report that already holds both parts is returned as is.
    pub fn push(&mut self, report: &StaticDataReport) -> Option<StaticDataReport> {
        let mmsi = report.header.mmsi;
        let is_a = report.shipname.is_some();
        let is_b = report.part_b.is_some();
        if is_a && is_b {
            return Some(*report);
        }
        if let Some(kept) = self.waiting.get(&mmsi).copied() {
            let kept_is_a = kept.shipname.is_some();
            if kept_is_a != is_a {
                self.waiting.remove(&mmsi);
                self.order.retain(|m| *m != mmsi);
                let (a, b) = if is_a {
                    (report, &kept)
                } else {
                    (&kept, report)
                };
                return Some(StaticDataReport {
                    header: b.header,
                    shipname: a.shipname,
                    part_b: b.part_b,
                });
            }
            self.waiting.insert(mmsi, *report);
            return None;
        }
        if self.waiting.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.waiting.remove(&old);
        }
        self.waiting.insert(mmsi, *report);
        self.order.push_back(mmsi);
        None
    }
}
