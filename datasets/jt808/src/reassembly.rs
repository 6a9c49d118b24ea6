//! Reassembly of sub-packaged messages.
//!
//! The packages of one message carry consecutive serial numbers, so the
//! serial of package 1 is `serial - (index - 1)` (modulo 2^16) for every
//! package. A message in progress is keyed by (phone, message id, package
//! count, serial of package 1); packages may arrive in any order, and
//! duplicates are ignored.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::header::Packet;

/// Bytes counted per package on top of its body, so that many empty
/// packages still use up the byte bound.
const PACKAGE_OVERHEAD: usize = 16;

/// Bounds of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyOptions {
    /// Most messages in progress at once; beyond it the least recently
    /// active one is dropped.
    pub max_messages: usize,
    /// Most bytes buffered over all messages in progress (bodies plus 16
    /// per package); beyond it the least recently active ones are dropped,
    /// and a single message that needs more is refused.
    pub max_bytes: usize,
    /// A message none of whose packages arrived for longer than this many
    /// seconds is dropped.
    pub timeout_s: u64,
}

impl Default for ReassemblyOptions {
    fn default() -> Self {
        Self {
            max_messages: 64,
            max_bytes: 1 << 20,
            timeout_s: 60,
        }
    }
}

/// Counters of a [`Reassembler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Messages completed.
    pub completed: u64,
    /// Packages ignored as duplicates.
    pub duplicates: u64,
    /// Messages dropped unfinished: timed out, evicted by the bounds, or
    /// too large.
    pub dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    phone: String,
    msg_id: u16,
    total: u16,
    first_serial: u16,
}

#[derive(Debug)]
struct Partial {
    /// The header of the first package received.
    packet_header: crate::header::Header,
    parts: BTreeMap<u16, Vec<u8>>,
    bytes: usize,
    last_s: u64,
    /// Order of last activity, to pick whom to evict.
    touched: u64,
}

/// Collects the packages of sub-packaged messages until each is whole.
///
/// ```
/// use coastwatch_jt808::{Header, Package, Packet, Reassembler, Version};
/// let part = |index, serial, body: &[u8]| Packet {
///     header: Header {
///         msg_id: 0x0801,
///         version: Version::V2013,
///         encryption: 0,
///         phone: "013912345678".into(),
///         serial,
///         package: Some(Package { total: 2, index }),
///     },
///     body: body.to_vec(),
/// };
/// let mut r = Reassembler::default();
/// assert_eq!(r.push(part(2, 11, b"def"), 0).unwrap(), None);
/// let whole = r.push(part(1, 10, b"abc"), 1).unwrap().unwrap();
/// assert_eq!(whole.body, b"abcdef");
/// assert_eq!((whole.header.serial, whole.header.package), (10, None));
/// ```
#[derive(Debug, Default)]
pub struct Reassembler {
    options: ReassemblyOptions,
    pending: HashMap<Key, Partial>,
    bytes: usize,
    clock: u64,
    stats: ReassemblyStats,
}

impl Reassembler {
    /// A reassembler with the given bounds.
    pub fn new(options: ReassemblyOptions) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    /// Takes one packet received at `now_s` (seconds on any monotonic
    /// clock). A whole packet comes straight back; a package comes back as
    /// the whole message once its last package arrives, with the header of
    /// a package, the serial number of package 1 and no package fields.
    ///
    /// Fails on a package index of 0 or above the count, and on a message
    /// that alone would exceed the byte bound (it is dropped).
    pub fn push(&mut self, packet: Packet, now_s: u64) -> Result<Option<Packet>> {
        self.expire(now_s);
        let Some(package) = packet.header.package else {
            return Ok(Some(packet));
        };
        let (total, index) = (package.total, package.index);
        if index == 0 || index > total {
            return Err(Error::BadPackage { index, total });
        }
        let key = Key {
            phone: packet.header.phone.clone(),
            msg_id: packet.header.msg_id,
            total,
            first_serial: packet.header.serial.wrapping_sub(index - 1),
        };
        self.clock += 1;
        let cost = packet.body.len() + PACKAGE_OVERHEAD;
        if !self.pending.contains_key(&key) {
            if self.options.max_messages == 0 {
                self.stats.dropped += 1;
                return Ok(None);
            }
            while self.pending.len() >= self.options.max_messages && self.evict_one(None) {}
            self.pending.insert(
                key.clone(),
                Partial {
                    packet_header: packet.header.clone(),
                    parts: BTreeMap::new(),
                    bytes: 0,
                    last_s: now_s,
                    touched: self.clock,
                },
            );
        }
        let Some(partial) = self.pending.get_mut(&key) else {
            return Ok(None);
        };
        partial.last_s = now_s;
        partial.touched = self.clock;
        if partial.parts.contains_key(&index) {
            self.stats.duplicates += 1;
            return Ok(None);
        }
        let needed = partial.bytes + cost;
        if needed > self.options.max_bytes {
            self.remove(&key);
            self.stats.dropped += 1;
            return Err(Error::MessageTooLarge {
                bytes: needed,
                max: self.options.max_bytes,
            });
        }
        partial.parts.insert(index, packet.body);
        partial.bytes += cost;
        self.bytes += cost;
        if partial.parts.len() == usize::from(total) {
            return Ok(self.complete(&key));
        }
        while self.bytes > self.options.max_bytes {
            if !self.evict_one(Some(&key)) {
                break;
            }
        }
        Ok(None)
    }

    /// Drops the messages idle for longer than the timeout at `now_s`;
    /// returns how many.
    pub fn expire(&mut self, now_s: u64) -> usize {
        let timeout = self.options.timeout_s;
        let stale: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now_s.saturating_sub(p.last_s) > timeout)
            .map(|(k, _)| k.clone())
            .collect();
        for key in &stale {
            self.remove(key);
        }
        self.stats.dropped += stale.len() as u64;
        stale.len()
    }

    /// Messages in progress.
    pub fn in_progress(&self) -> usize {
        self.pending.len()
    }

    /// Bytes buffered (bodies plus the per-package overhead).
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Counters so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.stats
    }

    fn remove(&mut self, key: &Key) -> Option<Partial> {
        let partial = self.pending.remove(key)?;
        self.bytes -= partial.bytes;
        Some(partial)
    }

    /// Drops the least recently active message other than `keep`; false
    /// when there is none.
    fn evict_one(&mut self, keep: Option<&Key>) -> bool {
        let victim = self
            .pending
            .iter()
            .filter(|(k, _)| Some(*k) != keep)
            .min_by_key(|(_, p)| p.touched)
            .map(|(k, _)| k.clone());
        match victim {
            Some(key) => {
                self.remove(&key);
                self.stats.dropped += 1;
                true
            }
            None => false,
        }
    }

    fn complete(&mut self, key: &Key) -> Option<Packet> {
        let partial = self.remove(key)?;
        self.stats.completed += 1;
        let mut header = partial.packet_header;
        header.serial = key.first_serial;
        header.package = None;
        Some(Packet {
            header,
            body: partial.parts.into_values().flatten().collect(),
        })
    }
}
