//! Reassembly of multi-sentence AIS messages.
//!
//! Fragments are keyed by (channel, sequential message id, fragment count),
//! so messages on channels A and B may interleave. A fragment whose
//! predecessors are missing, out of order or timed out is dropped and
//! counted; so are the fragments of a message that is never completed.

use super::bits::PayloadBits;
use super::error::AisError;
use super::nmea::Sentence;

/// When a partly received message is given up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FragmentTimeout {
    /// After this many input lines since its first fragment.
    Lines(u64),
    /// After this many seconds of sentence time (tag block or wrapper time)
    /// since its first fragment; fragments without a time never expire by
    /// this rule, only by the bound on pending messages.
    Seconds(f64),
}

impl Default for FragmentTimeout {
    fn default() -> Self {
        Self::Lines(100)
    }
}

/// Settings of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReassemblyOptions {
    /// When a partly received message is given up.
    pub timeout: FragmentTimeout,
    /// Most messages in progress at once; the oldest is dropped beyond.
    pub max_pending: usize,
}

impl Default for ReassemblyOptions {
    fn default() -> Self {
        Self {
            timeout: FragmentTimeout::default(),
            max_pending: 32,
        }
    }
}

/// The first fragment of a message: what its arrival changes in a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunStart {
    key: Key,
    timestamp_s: Option<f64>,
}

impl RunStart {
    /// The start that sentence `s` makes when it is a first fragment.
    pub fn of(s: &Sentence<'_>) -> Self {
        Self {
            key: Key {
                channel: s.channel,
                sequence_id: s.sequence_id,
                count: s.fragment_count,
            },
            timestamp_s: s.timestamp_s,
        }
    }

    /// Fragments of the message.
    pub fn fragments(&self) -> u8 {
        self.key.count
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    channel: Option<u8>,
    sequence_id: Option<u8>,
    count: u8,
}

#[derive(Debug, Clone)]
struct Slot {
    key: Key,
    /// Next fragment number expected.
    next: u8,
    first_line: u64,
    first_time_s: Option<f64>,
    bits: PayloadBits,
}

/// A completed message: its bits and the time of its first timed fragment.
#[derive(Debug)]
pub struct Assembled<'a> {
    /// The payload of all fragments.
    pub bits: &'a PayloadBits,
    /// Time of the first fragment that had one.
    pub timestamp_s: Option<f64>,
}

/// Collects fragments until a message is complete.
#[derive(Debug, Clone)]
pub struct Reassembler {
    options: ReassemblyOptions,
    slots: Vec<Slot>,
    /// Index of the slot holding the last completed message, if any.
    done: Option<usize>,
    dropped_fragments: u64,
}

impl Reassembler {
    /// A reassembler with the given settings; memory for all pending
    /// messages is reserved here, none later.
    pub fn new(options: ReassemblyOptions) -> Self {
        Self {
            options,
            slots: Vec::with_capacity(options.max_pending.max(1)),
            done: None,
            dropped_fragments: 0,
        }
    }

    /// Fragments dropped so far (orphans, timeouts, evictions, flushes).
    pub fn dropped_fragments(&self) -> u64 {
        self.dropped_fragments
    }

    /// Messages in progress.
    pub fn pending(&self) -> usize {
        self.slots.len() - usize::from(self.done.is_some())
    }

    /// The payload of the message completed by the last [`push`](Self::push).
    pub fn completed(&self) -> Option<&PayloadBits> {
        self.done.map(|i| &self.slots[i].bits)
    }

    /// Drops every message in progress, counting its fragments.
    pub fn flush(&mut self) {
        self.release_done();
        for s in self.slots.drain(..) {
            self.dropped_fragments += (s.next - 1) as u64;
        }
    }

    fn release_done(&mut self) {
        if let Some(i) = self.done.take() {
            self.slots.swap_remove(i);
        }
    }

    fn expired(&self, slot: &Slot, line: u64, time_s: Option<f64>) -> bool {
        match self.options.timeout {
            FragmentTimeout::Lines(n) => line.saturating_sub(slot.first_line) > n,
            FragmentTimeout::Seconds(s) => match (slot.first_time_s, time_s) {
                (Some(a), Some(b)) => b - a > s,
                _ => false,
            },
        }
    }

    fn drop_slot(&mut self, i: usize) {
        let s = self.slots.swap_remove(i);
        self.dropped_fragments += (s.next - 1) as u64;
    }

    /// Does what a first fragment on `line` does to the messages in progress: one under the
    /// same key is given up, expired ones are dropped, and room is made for one more. Also
    /// takes note of a whole message assembled elsewhere from fragments that followed one
    /// another from `line` on: the messages in progress end as they would have had those
    /// fragments been pushed here.
    pub fn start(&mut self, first: &RunStart, line: u64) {
        self.release_done();
        if let Some(i) = self.slots.iter().position(|x| x.key == first.key) {
            // A new message reuses the key: the old one is incomplete.
            self.drop_slot(i);
        }
        let mut k = 0;
        while k < self.slots.len() {
            if self.expired(&self.slots[k], line, first.timestamp_s) {
                self.drop_slot(k);
            } else {
                k += 1;
            }
        }
        if self.slots.len() >= self.options.max_pending.max(1) {
            let oldest = (0..self.slots.len())
                .min_by_key(|&k| self.slots[k].first_line)
                .unwrap_or(0);
            self.drop_slot(oldest);
        }
    }

    /// Adds a fragment of a multi-sentence message (`fragment_count > 1`).
    ///
    /// Returns the whole message when `s` completes it. Errors carry line 0.
    pub fn push(&mut self, s: &Sentence<'_>, line: u64) -> Result<Option<Assembled<'_>>, AisError> {
        let start = RunStart::of(s);
        let key = start.key;
        let i = if s.fragment_number == 1 {
            self.start(&start, line);
            self.slots.push(Slot {
                key,
                next: 1,
                first_line: line,
                first_time_s: None,
                bits: PayloadBits::new(),
            });
            self.slots.len() - 1
        } else {
            self.release_done();
            match self.slots.iter().position(|x| x.key == key) {
                Some(i)
                    if self.slots[i].next == s.fragment_number
                        && !self.expired(&self.slots[i], line, s.timestamp_s) =>
                {
                    i
                }
                Some(i) => {
                    self.drop_slot(i);
                    self.dropped_fragments += 1;
                    return Err(orphan(s));
                }
                None => {
                    self.dropped_fragments += 1;
                    return Err(orphan(s));
                }
            }
        };
        let slot = &mut self.slots[i];
        if let Err(e) = slot.bits.push_armored(s.payload, s.fill_bits) {
            self.drop_slot(i);
            self.dropped_fragments += 1;
            return Err(e);
        }
        slot.next += 1;
        if slot.first_time_s.is_none() {
            slot.first_time_s = s.timestamp_s;
        }
        if slot.next > s.fragment_count {
            self.done = Some(i);
            let slot = &self.slots[i];
            Ok(Some(Assembled {
                bits: &slot.bits,
                timestamp_s: slot.first_time_s,
            }))
        } else {
            Ok(None)
        }
    }
}

fn orphan(s: &Sentence<'_>) -> AisError {
    AisError::OrphanFragment {
        line: 0,
        number: s.fragment_number,
        count: s.fragment_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nmea::parse_line;

    fn push(r: &mut Reassembler, line: &str, n: u64) -> Result<Option<usize>, AisError> {
        let s = parse_line(line.as_bytes(), n)?;
        r.push(&s, n).map(|o| o.map(|a| a.bits.len_bits()))
    }

    const A1: &str =
        "!AIVDM,2,1,2,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht500000000000000,0*3C";
    const A2: &str = "!AIVDM,2,2,2,A,0000002,2*24";
    const B1: &str =
        "!AIVDM,2,1,6,B,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0*3B";
    const B2: &str = "!AIVDM,2,2,6,B,00000000000,2*21";

    #[test]
    fn interleaved_channels() {
        let mut r = Reassembler::new(ReassemblyOptions::default());
        assert_eq!(push(&mut r, B1, 1), Ok(None));
        assert_eq!(push(&mut r, A1, 2), Ok(None));
        assert_eq!(push(&mut r, A2, 3), Ok(Some(424)));
        assert_eq!(push(&mut r, B2, 4), Ok(Some(424)));
        assert_eq!(r.pending(), 0);
        assert_eq!(r.dropped_fragments(), 0);
    }

    #[test]
    fn orphans_and_timeouts_are_counted() {
        let mut r = Reassembler::new(ReassemblyOptions {
            timeout: FragmentTimeout::Lines(5),
            ..Default::default()
        });
        assert!(matches!(
            push(&mut r, A2, 1),
            Err(AisError::OrphanFragment {
                number: 2,
                count: 2,
                ..
            })
        ));
        assert_eq!(r.dropped_fragments(), 1);
        assert_eq!(push(&mut r, A1, 2), Ok(None));
        assert!(matches!(
            push(&mut r, A2, 20),
            Err(AisError::OrphanFragment { .. })
        ));
        assert_eq!(r.dropped_fragments(), 3);
        assert_eq!(push(&mut r, B1, 30), Ok(None));
        r.flush();
        assert_eq!(r.dropped_fragments(), 4);
    }

    #[test]
    fn restart_drops_the_incomplete_message() {
        let mut r = Reassembler::new(ReassemblyOptions::default());
        assert_eq!(push(&mut r, A1, 1), Ok(None));
        assert_eq!(push(&mut r, A1, 2), Ok(None));
        assert_eq!(r.dropped_fragments(), 1);
        assert_eq!(push(&mut r, A2, 3), Ok(Some(424)));
    }

    #[test]
    fn over_long_payload_is_rejected() {
        let mut r = Reassembler::new(ReassemblyOptions::default());
        let body = |n: u8| {
            let b = format!("AIVDM,9,{n},3,A,{},0", "w".repeat(60));
            let cs = b.bytes().fold(0u8, |a, c| a ^ c);
            format!("!{b}*{cs:02X}")
        };
        assert_eq!(push(&mut r, &body(1), 1), Ok(None));
        assert_eq!(push(&mut r, &body(2), 2), Ok(None));
        assert!(matches!(
            push(&mut r, &body(3), 3),
            Err(AisError::PayloadTooLong {
                bits: 1080,
                max: 1008,
                ..
            })
        ));
        assert_eq!(r.dropped_fragments(), 3);
        assert_eq!(r.pending(), 0);
    }
}
