//! Framing: `0x7e` delimiters, the `0x7d` escapes and the XOR check code.
//!
//! On the wire every message is `7e <escaped header, body, check code> 7e`,
//! where `0x7e` inside is sent as `7d 02` and `0x7d` as `7d 01`.
//! [`Deframer`] cuts frames out of a TCP byte stream that arrives in
//! arbitrary pieces.

use crate::error::FrameError;

/// The frame delimiter.
pub const FLAG: u8 = 0x7e;
/// The escape byte.
pub const ESCAPE: u8 = 0x7d;

/// Largest unescaped frame the standard allows: a 2019 header with
/// sub-package fields (21 bytes), a body of 1023 bytes and the check code.
pub const MAX_FRAME_LEN: usize = 21 + 1023 + 1;

/// `content` (header, body and check code) escaped and wrapped in `0x7e`
/// delimiters, ready to send.
pub fn escape(content: &[u8]) -> Vec<u8> {
    let extra = content
        .iter()
        .filter(|&&b| b == FLAG || b == ESCAPE)
        .count();
    let mut out = Vec::with_capacity(content.len() + extra + 2);
    out.push(FLAG);
    for &b in content {
        match b {
            FLAG => out.extend_from_slice(&[ESCAPE, 0x02]),
            ESCAPE => out.extend_from_slice(&[ESCAPE, 0x01]),
            _ => out.push(b),
        }
    }
    out.push(FLAG);
    out
}

/// The bytes between two delimiters, unescaped.
pub fn unescape(escaped: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::with_capacity(escaped.len());
    let mut bytes = escaped.iter();
    while let Some(&b) = bytes.next() {
        match b {
            FLAG => return Err(FrameError::StrayDelimiter),
            ESCAPE => match bytes.next() {
                Some(0x01) => out.push(ESCAPE),
                Some(0x02) => out.push(FLAG),
                next => {
                    return Err(FrameError::BadEscape {
                        next: next.copied(),
                    });
                }
            },
            _ => out.push(b),
        }
    }
    Ok(out)
}

/// The check code: XOR of every byte of the header and body.
pub fn check_code(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, &b| acc ^ b)
}

/// Counters of a [`Deframer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeframerStats {
    /// Frames handed out.
    pub frames: u64,
    /// Frames dropped with an error (too long, bad escape).
    pub errors: u64,
    /// Bytes skipped outside frames, and the unread rest of frames dropped
    /// for their length.
    pub skipped_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for an opening `0x7e`.
    Hunting,
    /// Inside a frame.
    InFrame,
}

/// A streaming cutter of frames out of a byte stream.
///
/// [`push`](Self::push) the bytes as they arrive, in pieces of any size,
/// then take frames with [`next_frame`](Self::next_frame) until it returns
/// `None`. Frames come out unescaped and without delimiters, ready for
/// [`decode_packet`](crate::decode_packet).
///
/// Every `0x7e` ends the frame before it and opens the next, so both
/// `7e … 7e 7e … 7e` and terminals that share one delimiter between frames
/// (`7e … 7e … 7e`) give two frames; an empty frame (`7e 7e`) is no frame.
/// Bytes before the first `0x7e` are skipped and counted; stray bytes between
/// frames come out as a frame that fails its check code. A frame longer than the bound (default
/// [`MAX_FRAME_LEN`]) is dropped with [`FrameError::TooLong`] and the
/// deframer resynchronises at the next `0x7e`; a bad escape spoils only its
/// own frame ([`FrameError::BadEscape`] at the frame's end).
///
/// ```
/// use coastwatch_jt808::Deframer;
/// let mut d = Deframer::new();
/// d.push(&[0x55, 0x7e, 0x01, 0x7d]);
/// assert_eq!(d.next_frame(), None);
/// d.push(&[0x02, 0x7e, 0x7e, 0x03, 0x7e, 0x04, 0x7e]);
/// assert_eq!(d.next_frame(), Some(Ok(vec![0x01, 0x7e])));
/// assert_eq!(d.next_frame(), Some(Ok(vec![0x03])));
/// assert_eq!(d.next_frame(), Some(Ok(vec![0x04])));
/// assert_eq!(d.next_frame(), None);
/// assert_eq!(d.stats().skipped_bytes, 1);
/// ```
#[derive(Debug, Clone)]
pub struct Deframer {
    max_len: usize,
    /// Input pushed but not yet scanned, from `pos` on.
    input: Vec<u8>,
    pos: usize,
    state: State,
    frame: Vec<u8>,
    /// The previous byte of the frame was `0x7d`.
    escape_pending: bool,
    /// The frame holds a bad escape (the byte after `0x7d`).
    bad_escape: Option<u8>,
    stats: DeframerStats,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// A deframer bounded to frames of [`MAX_FRAME_LEN`] unescaped bytes.
    pub fn new() -> Self {
        Self::with_max_frame_len(MAX_FRAME_LEN)
    }

    /// A deframer bounded to frames of `max_len` unescaped bytes.
    pub fn with_max_frame_len(max_len: usize) -> Self {
        Self {
            max_len,
            input: Vec::new(),
            pos: 0,
            state: State::Hunting,
            frame: Vec::new(),
            escape_pending: false,
            bad_escape: None,
            stats: DeframerStats::default(),
        }
    }

    /// Appends bytes received from the stream. They are kept until
    /// [`next_frame`](Self::next_frame) scans them, so take the frames
    /// after each push.
    pub fn push(&mut self, bytes: &[u8]) {
        self.input.drain(..self.pos);
        self.pos = 0;
        self.input.extend_from_slice(bytes);
    }

    /// The next complete frame (unescaped, without delimiters) or frame
    /// error; `None` when the bytes pushed so far hold no more.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        while let Some(&b) = self.input.get(self.pos) {
            self.pos += 1;
            if let Some(out) = self.step(b) {
                match out {
                    Ok(_) => self.stats.frames += 1,
                    Err(_) => self.stats.errors += 1,
                }
                return Some(out);
            }
        }
        self.input.clear();
        self.pos = 0;
        None
    }

    /// The frames available now, as an iterator over [`next_frame`](Self::next_frame).
    pub fn frames(&mut self) -> impl Iterator<Item = Result<Vec<u8>, FrameError>> + '_ {
        std::iter::from_fn(move || self.next_frame())
    }

    /// Counters so far.
    pub fn stats(&self) -> DeframerStats {
        self.stats
    }

    /// Bytes buffered: input not yet scanned plus the frame in progress.
    pub fn buffered(&self) -> usize {
        self.input.len() - self.pos + self.frame.len()
    }

    fn open(&mut self) {
        self.state = State::InFrame;
        self.frame.clear();
        self.escape_pending = false;
        self.bad_escape = None;
    }

    /// Ends the frame at a `0x7e`, which opens the next.
    fn close(&mut self) {
        self.open();
    }

    fn step(&mut self, b: u8) -> Option<Result<Vec<u8>, FrameError>> {
        if self.state == State::Hunting {
            if b == FLAG {
                self.open();
            } else {
                self.stats.skipped_bytes += 1;
            }
            return None;
        }
        if b == FLAG {
            let bad = if self.escape_pending {
                Some(FLAG)
            } else {
                self.bad_escape
            };
            if let Some(next) = bad {
                self.close();
                return Some(Err(FrameError::BadEscape { next: Some(next) }));
            }
            if self.frame.is_empty() {
                // `7e 7e`: the end of nothing; this one opens the frame.
                return None;
            }
            let frame = std::mem::take(&mut self.frame);
            self.close();
            return Some(Ok(frame));
        }
        let byte = if self.escape_pending {
            self.escape_pending = false;
            match b {
                0x01 => ESCAPE,
                0x02 => FLAG,
                _ => {
                    self.bad_escape.get_or_insert(b);
                    return None;
                }
            }
        } else if b == ESCAPE {
            self.escape_pending = true;
            return None;
        } else {
            b
        };
        if self.bad_escape.is_some() {
            // The frame is spoilt; keep nothing until its end.
            return None;
        }
        if self.frame.len() >= self.max_len {
            self.stats.skipped_bytes += self.frame.len() as u64 + 1;
            self.frame.clear();
            self.state = State::Hunting;
            return Some(Err(FrameError::TooLong { max: self.max_len }));
        }
        self.frame.push(byte);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(d: &mut Deframer) -> Vec<Result<Vec<u8>, FrameError>> {
        d.frames().collect()
    }

    #[test]
    fn escape_and_unescape() {
        let content = [0x30, 0x7e, 0x08, 0x7d, 0x55];
        let wire = escape(&content);
        assert_eq!(wire, [0x7e, 0x30, 0x7d, 0x02, 0x08, 0x7d, 0x01, 0x55, 0x7e]);
        assert_eq!(unescape(&wire[1..wire.len() - 1]).unwrap(), content);
        assert_eq!(
            unescape(&[0x7d, 0x03]),
            Err(FrameError::BadEscape { next: Some(3) })
        );
        assert_eq!(unescape(&[0x7d]), Err(FrameError::BadEscape { next: None }));
        assert_eq!(unescape(&[1, 0x7e]), Err(FrameError::StrayDelimiter));
    }

    #[test]
    fn shared_and_doubled_delimiters() {
        let mut d = Deframer::new();
        d.push(&[0x7e, 0x7e, 0x7e, 1, 0x7e, 0x7e, 2, 0x7e]);
        assert_eq!(all(&mut d), [Ok(vec![1]), Ok(vec![2])]);
        assert_eq!(d.stats().skipped_bytes, 0);
    }

    #[test]
    fn garbage_before_the_first_delimiter_is_skipped_and_between_frames_is_a_frame() {
        let mut d = Deframer::new();
        d.push(b"xx\x7e\x01\x7eyyy\x7e\x02\x7ez");
        assert_eq!(all(&mut d), [Ok(vec![1]), Ok(b"yyy".to_vec()), Ok(vec![2])]);
        assert_eq!(d.stats().skipped_bytes, 2);
        assert_eq!(d.stats().frames, 3);
        assert_eq!(d.buffered(), 1, "z waits for its delimiter");
    }

    #[test]
    fn bad_escape_spoils_one_frame() {
        let mut d = Deframer::new();
        d.push(&[
            0x7e, 1, 0x7d, 0x05, 2, 0x7e, 0x7e, 3, 0x7d, 0x7e, 0x7e, 4, 0x7e,
        ]);
        assert_eq!(
            all(&mut d),
            [
                Err(FrameError::BadEscape { next: Some(5) }),
                Err(FrameError::BadEscape { next: Some(0x7e) }),
                Ok(vec![4]),
            ]
        );
        assert_eq!(d.stats().errors, 2);
    }

    #[test]
    fn overlong_frame_is_dropped_and_resynchronised() {
        let mut d = Deframer::with_max_frame_len(4);
        d.push(&[0x7e, 1, 2, 3, 4]);
        assert_eq!(all(&mut d), []);
        d.push(&[5, 6, 0x7e, 0x7e, 9, 0x7e]);
        assert_eq!(
            all(&mut d),
            [Err(FrameError::TooLong { max: 4 }), Ok(vec![9])]
        );
        assert_eq!(d.stats().skipped_bytes, 6);
        let mut d = Deframer::with_max_frame_len(4);
        d.push(&[0x7e, 1, 2, 3, 0x7d, 0x02, 0x7e]);
        assert_eq!(all(&mut d), [Ok(vec![1, 2, 3, 0x7e])]);
    }

    #[test]
    fn byte_by_byte_is_the_same() {
        let wire = [
            &escape(&[0x7e, 0x7d, 1])[..],
            b"junk",
            &escape(&[2, 0x7d])[..],
        ]
        .concat();
        let mut d = Deframer::new();
        let mut out = Vec::new();
        for b in &wire {
            d.push(std::slice::from_ref(b));
            out.extend(d.frames());
        }
        assert_eq!(
            out,
            [
                Ok(vec![0x7e, 0x7d, 1]),
                Ok(b"junk".to_vec()),
                Ok(vec![2, 0x7d])
            ]
        );
        assert_eq!(d.buffered(), 0);
    }
}
