//! The streaming decoder: lines in, typed messages out, with reassembly
//! state and counters.

use super::bits::{BitReader, PayloadBits};
use super::error::AisError;
use super::messages::AisMessage;
use super::nmea::{ParseOptions, Sentence, parse_line_with};
use super::pairing::StaticDataPairer;
use super::reassembly::{FragmentTimeout, Reassembler, ReassemblyOptions, RunStart};

/// Settings of a [`Decoder`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderOptions {
    /// When a partly received multi-sentence message is given up.
    pub fragment_timeout: FragmentTimeout,
    /// Most multi-sentence messages in progress at once.
    pub max_pending: usize,
    /// Lines starting with `#` yield `Ok(None)` instead of an error.
    pub skip_comments: bool,
    /// Reject tag blocks with a wrong checksum (see
    /// [`ParseOptions::strict_tag_checksum`]).
    pub strict_tag_checksum: bool,
    /// Emit type 24 only once parts A and B of an MMSI are paired (what
    /// `gpsdecode` prints); otherwise each part is emitted on its own.
    pub pair_type24: bool,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        let r = ReassemblyOptions::default();
        Self {
            fragment_timeout: r.timeout,
            max_pending: r.max_pending,
            skip_comments: true,
            strict_tag_checksum: false,
            pair_type24: false,
        }
    }
}

impl DecoderOptions {
    /// The reassembly settings among these.
    pub fn reassembly(&self) -> ReassemblyOptions {
        ReassemblyOptions {
            timeout: self.fragment_timeout,
            max_pending: self.max_pending,
        }
    }
}

/// Counters of a [`Decoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecoderStats {
    /// Lines fed.
    pub lines: u64,
    /// Well-formed AIVDM/AIVDO sentences (checksum good).
    pub sentences: u64,
    /// Messages decoded and returned.
    pub decoded: u64,
    /// Lines rejected for a bad sentence or tag-block checksum.
    pub bad_checksum: u64,
    /// Fragments dropped: orphans, timeouts, evictions, bad fragments.
    pub dropped_fragments: u64,
    /// Lines that produced an error (of any kind).
    pub errors: u64,
}

/// One decoded message with its reception context.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    /// The message.
    pub message: AisMessage,
    /// Reception time, Unix seconds (tag block `c:` or a timestamp wrapper;
    /// for a multi-sentence message the first fragment's time).
    pub timestamp_s: Option<f64>,
    /// Radio channel of the (last) sentence.
    pub channel: Option<u8>,
    /// Talker id of the (last) sentence, e.g. `*b"AI"`.
    pub talker: [u8; 2],
    /// True for `VDO` (own ship).
    pub own_ship: bool,
    /// Source station from the tag block `s:` field of the last sentence.
    pub source: Option<&'a str>,
    /// Line number of the last sentence of the message.
    pub line: u64,
    /// The de-armoured payload, to decode fields not covered by the types.
    pub payload: BitReader<'a>,
}

/// Decodes NMEA lines one at a time, keeping multi-sentence state.
///
/// Nothing is allocated per line: sentences are parsed in place and
/// payloads de-armoured into fixed buffers owned by the decoder.
///
/// ```
/// use coastwatch_ais::{AisMessage, Decoder, DecoderOptions};
/// let mut dec = Decoder::new(DecoderOptions::default());
/// assert!(dec.feed_line(b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C").unwrap().is_none());
/// let d = dec.feed_line(b"!AIVDM,2,2,1,A,88888888880,2*25").unwrap().unwrap();
/// let AisMessage::StaticVoyage(s) = d.message else { panic!() };
/// assert_eq!(s.shipname, "EVER DIADEM");
/// assert_eq!(dec.stats().decoded, 1);
/// ```
#[derive(Debug)]
pub struct Decoder {
    options: DecoderOptions,
    scratch: PayloadBits,
    reassembler: Reassembler,
    pairer: Option<StaticDataPairer>,
    stats: DecoderStats,
}

impl Decoder {
    /// A decoder with the given settings.
    pub fn new(options: DecoderOptions) -> Self {
        Self {
            options,
            scratch: PayloadBits::new(),
            reassembler: Reassembler::new(options.reassembly()),
            pairer: options.pair_type24.then(|| StaticDataPairer::new(4096)),
            stats: DecoderStats::default(),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> DecoderStats {
        DecoderStats {
            dropped_fragments: self.reassembler.dropped_fragments(),
            ..self.stats
        }
    }

    /// Gives up all messages in progress (end of input), counting their
    /// fragments as dropped.
    pub fn finish(&mut self) {
        self.reassembler.flush();
    }

    /// Feeds one line (with or without its line ending).
    ///
    /// Returns `Ok(Some(_))` when the line completes a message, `Ok(None)`
    /// for a fragment awaiting the rest, a comment line, or a type 24 part
    /// held for pairing; an error says what is wrong and on which line.
    pub fn feed_line<'a>(&'a mut self, line: &'a [u8]) -> Result<Option<Decoded<'a>>, AisError> {
        self.stats.lines += 1;
        let n = self.stats.lines;
        match self.step(line, n) {
            Ok(Some(ready)) => {
                self.stats.decoded += 1;
                let bits = if ready.reassembled {
                    self.reassembler.completed().unwrap_or(&self.scratch)
                } else {
                    &self.scratch
                };
                let s = ready.sentence;
                Ok(Some(Decoded {
                    message: ready.message,
                    timestamp_s: ready.timestamp_s,
                    channel: s.channel,
                    talker: s.talker,
                    own_ship: s.own_ship,
                    source: s.source,
                    line: n,
                    payload: bits.reader(),
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.stats.errors += 1;
                if e.is_checksum() {
                    self.stats.bad_checksum += 1;
                }
                Err(e.at_line(n))
            }
        }
    }

    fn step<'l>(&mut self, line: &'l [u8], n: u64) -> Result<Option<Ready<'l>>, AisError> {
        if self.options.skip_comments && line.trim_ascii_start().first() == Some(&b'#') {
            return Ok(None);
        }
        let sentence = parse_line_with(
            line,
            n,
            ParseOptions {
                strict_tag_checksum: self.options.strict_tag_checksum,
            },
        )?;
        self.stats.sentences += 1;
        let (mut message, timestamp_s, reassembled) = if sentence.fragment_count == 1 {
            self.scratch.clear();
            self.scratch
                .push_armored(sentence.payload, sentence.fill_bits)?;
            (
                AisMessage::decode(&self.scratch.reader())?,
                sentence.timestamp_s,
                false,
            )
        } else {
            match self.reassembler.push(&sentence, n)? {
                Some(a) => (
                    AisMessage::decode(&a.bits.reader())?,
                    a.timestamp_s.or(sentence.timestamp_s),
                    true,
                ),
                None => return Ok(None),
            }
        };
        if let (Some(pairer), AisMessage::StaticData(part)) = (self.pairer.as_mut(), &message) {
            match pairer.push(part) {
                Some(both) => message = AisMessage::StaticData(both),
                None => return Ok(None),
            }
        }
        Ok(Some(Ready {
            message,
            sentence,
            timestamp_s,
            reassembled,
        }))
    }
}

/// What one line says without a [`Decoder`]'s state (see [`Decoder::decode_alone`]).
#[derive(Debug, Clone, Copy)]
pub enum Alone {
    /// A comment line, skipped.
    Comment,
    /// A whole message in one sentence, needing nothing else.
    Message(AisMessage),
    /// The first fragment of a message, whose others may follow it (see
    /// [`Decoder::decode_run`]).
    FirstFragment(RunStart),
    /// Only the decoder can say: a later fragment, a type 24 part to pair, or a bad line.
    NeedsDecoder,
}

impl Decoder {
    /// What `line` decodes to on its own (`scratch` holds its payload). Such lines may be
    /// decoded on other threads, in any order, and counted with [`Decoder::count_alone`]; the
    /// others go through [`Decoder::feed_line`], in their order, and give what they would
    /// have given had every line gone through it.
    pub fn decode_alone(line: &[u8], options: &DecoderOptions, scratch: &mut PayloadBits) -> Alone {
        if options.skip_comments && line.trim_ascii_start().first() == Some(&b'#') {
            return Alone::Comment;
        }
        let parse = ParseOptions {
            strict_tag_checksum: options.strict_tag_checksum,
        };
        let Ok(sentence) = parse_line_with(line, 0, parse) else {
            return Alone::NeedsDecoder;
        };
        if sentence.fragment_count != 1 {
            return if sentence.fragment_number == 1 {
                Alone::FirstFragment(RunStart::of(&sentence))
            } else {
                Alone::NeedsDecoder
            };
        }
        scratch.clear();
        if scratch
            .push_armored(sentence.payload, sentence.fill_bits)
            .is_err()
        {
            return Alone::NeedsDecoder;
        }
        match AisMessage::decode(&scratch.reader()) {
            Ok(AisMessage::StaticData(_)) if options.pair_type24 => Alone::NeedsDecoder,
            Ok(message) => Alone::Message(message),
            Err(_) => Alone::NeedsDecoder,
        }
    }

    /// Counts `lines` lines settled by [`Decoder::decode_alone`] as if they had been fed
    /// here: `messages` of them messages, the rest comments.
    pub fn count_alone(&mut self, lines: u64, messages: u64) {
        self.stats.lines += lines;
        self.stats.sentences += messages;
        self.stats.decoded += messages;
    }

    /// The message that `lines` make: a first fragment and the rest of its message, one
    /// after the other, each once. `None` unless they make it without a fault (then they
    /// go through [`Decoder::feed_line`]). `run` is a reassembler of the decoder's settings
    /// ([`DecoderOptions::reassembly`]) for this use alone; like [`Decoder::decode_alone`],
    /// this may run on other threads, in any order, and is counted with
    /// [`Decoder::count_run`].
    pub fn decode_run(
        lines: &[&[u8]],
        options: &DecoderOptions,
        run: &mut Reassembler,
    ) -> Option<AisMessage> {
        // nothing is left of an earlier run, whole or not
        run.flush();
        let parse = ParseOptions {
            strict_tag_checksum: options.strict_tag_checksum,
        };
        let mut whole = None;
        for (n, line) in (1..).zip(lines) {
            let sentence = parse_line_with(line, 0, parse).ok()?;
            // fragment n of as many as there are lines, under the key of the first
            if sentence.fragment_number as u64 != n
                || sentence.fragment_count as usize != lines.len()
            {
                return None;
            }
            whole = run.push(&sentence, n).ok()?;
        }
        let whole = whole?;
        match AisMessage::decode(&whole.bits.reader()).ok()? {
            AisMessage::StaticData(_) if options.pair_type24 => None,
            message => Some(message),
        }
    }

    /// Counts a message decoded by [`Decoder::decode_run`] from the fragments that begin
    /// with `first`, as if they had been fed here.
    pub fn count_run(&mut self, first: &RunStart) {
        self.reassembler.start(first, self.stats.lines + 1);
        let fragments = first.fragments() as u64;
        self.stats.lines += fragments;
        self.stats.sentences += fragments;
        self.stats.decoded += 1;
    }
}

/// A message decoded by [`Decoder::step`], before its payload is lent out.
struct Ready<'l> {
    message: AisMessage,
    sentence: Sentence<'l>,
    timestamp_s: Option<f64>,
    reassembled: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DecoderOptions::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_errors() {
        let mut d = Decoder::default();
        assert!(d.feed_line(b"# comment").unwrap().is_none());
        assert_eq!(
            d.feed_line(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B")
                .unwrap_err()
                .to_string(),
            "line 2: bad checksum: expected 4A, found 4B"
        );
        let m = d
            .feed_line(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(m.line, 3);
        assert_eq!(m.payload.len_bits(), 168);
        assert!(d.feed_line(b"!AIVDM,2,2,3,A,88888888880,2*27").is_err());
        let st = d.stats();
        assert_eq!(
            st,
            DecoderStats {
                lines: 4,
                sentences: 2,
                decoded: 1,
                bad_checksum: 1,
                dropped_fragments: 1,
                errors: 2
            }
        );
    }

    #[test]
    fn type24_pairing_option() {
        let mut d = Decoder::new(DecoderOptions {
            pair_type24: true,
            ..Default::default()
        });
        assert!(
            d.feed_line(b"!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D")
                .unwrap()
                .is_none()
        );
        let m = d
            .feed_line(b"!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40")
            .unwrap()
            .unwrap();
        let AisMessage::StaticData(r) = m.message else {
            panic!()
        };
        assert_eq!(r.part(), None);
    }
}
