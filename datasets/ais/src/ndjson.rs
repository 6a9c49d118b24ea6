//! Whole-stream decoding to gpsd NDJSON, for `coastwatch ais decode`.
//!
//! The input is cut into blocks of whole lines. Worker threads decode and print the lines
//! that stand alone (single-sentence messages, most of a feed) and the messages whose
//! fragments follow one another; the calling thread takes the blocks back in order, counts
//! those with one [`Decoder`], feeds it the rest (stray fragments, type 24 parts to pair,
//! bad lines) in their place, and writes. The output is the one a single decoder fed
//! every line would give, byte for byte, with the same counters and error lines.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::{Mutex, mpsc};

use super::bits::PayloadBits;
use super::decoder::{Alone, Decoder, DecoderOptions, DecoderStats};
use super::error::AisError;
use super::gpsd_json::write_gpsd_json;
use super::messages::AisMessage;
use super::reassembly::{Reassembler, RunStart};

/// Settings of [`decode_to_ndjson`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NdjsonOptions<'a> {
    /// Decoder settings. Set `pair_type24` for gpsdecode's type 24 records.
    pub decoder: DecoderOptions,
    /// Value of the `device` member; left out when `None`.
    pub device: Option<&'a str>,
    /// Also report empty lines and non-AIS lines (e.g. `$GPGGA`) as errors.
    pub report_not_ais: bool,
    /// Threads decoding blocks beside the caller's (0: none, all on the caller's thread).
    pub workers: usize,
}

impl Default for NdjsonOptions<'_> {
    fn default() -> Self {
        Self {
            decoder: DecoderOptions {
                pair_type24: true,
                ..DecoderOptions::default()
            },
            device: None,
            report_not_ais: false,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        }
    }
}

/// Bytes read into one block.
const BLOCK: usize = 128 * 1024;
/// JSON bytes per input byte at most, in practice: a plain position report of 50 bytes
/// prints about 260.
const JSON_PER_BYTE: usize = 6;
/// Longest line passed to the decoder; the rest of a longer line is skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Reads NMEA lines from `input` and writes one gpsd JSON object per
/// decoded message (one per line) to `out`, and one line per bad input
/// line (`line 17: bad checksum: expected 5C, found 5D`) to `errors`.
///
/// Memory stays bounded: a few blocks per worker are in flight at once.
///
/// ```
/// use coastwatch_ais::ndjson::{NdjsonOptions, decode_to_ndjson};
/// let input = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n!AIVDM,1,1,,A,15RT,0*00\n";
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let stats = decode_to_ndjson(&input[..], &mut out, &mut err, NdjsonOptions::default()).unwrap();
/// assert_eq!(stats.decoded, 1);
/// assert!(String::from_utf8(out).unwrap().starts_with(r#"{"class":"AIS","type":1,"#));
/// assert!(String::from_utf8(err).unwrap().starts_with("line 2: bad checksum"));
/// ```
pub fn decode_to_ndjson<R: Read, W: Write, E: Write>(
    input: R,
    out: W,
    errors: E,
    options: NdjsonOptions<'_>,
) -> io::Result<DecoderStats> {
    let mut blocks = Blocks::new(input);
    let mut merger = Merger {
        decoder: Decoder::new(options.decoder),
        out,
        errors,
        options,
        line: Vec::new(),
    };
    let pools = Pools::default();
    if options.workers == 0 {
        let mut scratch = Scratch::new(&options);
        let mut block = Vec::new();
        while blocks.next_block(&mut block)? {
            let settled = settle(std::mem::take(&mut block), &pools, &options, &mut scratch);
            block = merger.merge(settled, &pools)?;
        }
        return merger.finish();
    }
    // blocks are numbered as they are queued; a worker takes the next one
    let (jobs, queue) = mpsc::sync_channel::<(u64, Vec<u8>)>(options.workers);
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        // dropped however this returns, which stops the workers
        let jobs = jobs;
        let (done, results) = mpsc::channel::<(u64, Option<Settled>)>();
        for _ in 0..options.workers {
            let (queue, done, pools) = (&queue, done.clone(), &pools);
            scope.spawn(move || {
                let mut scratch = Scratch::new(&options);
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((index, block)) = next else { return };
                    // a panic (a decoder bug) ends the run with an error, not a hang
                    let settled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        settle(block, pools, &options, &mut scratch)
                    }));
                    if done.send((index, settled.ok())).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        let in_flight_max = 2 * options.workers as u64 + 2;
        let (mut queued, mut merged) = (0u64, 0u64);
        let mut waiting: BTreeMap<u64, Option<Settled>> = BTreeMap::new();
        let mut eof = false;
        loop {
            if !eof && queued - merged < in_flight_max {
                let mut block = pools.texts.take();
                if blocks.next_block(&mut block)? {
                    jobs.send((queued, block))
                        .map_err(|_| io::Error::other("the AIS decoding workers stopped"))?;
                    queued += 1;
                } else {
                    eof = true;
                }
                // merge what is ready without waiting
                while let Ok((index, settled)) = results.try_recv() {
                    waiting.insert(index, settled);
                }
            } else if merged == queued {
                break;
            } else {
                let (index, settled) = results
                    .recv()
                    .map_err(|_| io::Error::other("the AIS decoding workers stopped"))?;
                waiting.insert(index, settled);
            }
            while let Some(settled) = waiting.remove(&merged) {
                let settled =
                    settled.ok_or_else(|| io::Error::other("decoding a block of AIS failed"))?;
                pools.texts.give(merger.merge(settled, &pools)?);
                merged += 1;
            }
        }
        merger.finish()
    })
}

/// Cuts the input into blocks of whole lines, read straight into the block; a line longer
/// than [`MAX_LINE_BYTES`] that fills a block is cut there (reported once) and the rest of
/// it skipped.
struct Blocks<R> {
    input: R,
    /// The start of a line read with the last block, which begins the next.
    carry: Vec<u8>,
    /// Inside an over-long line: drop bytes up to its newline.
    skipping: bool,
    eof: bool,
}

impl<R: Read> Blocks<R> {
    fn new(input: R) -> Self {
        Self {
            input,
            carry: Vec::new(),
            skipping: false,
            eof: false,
        }
    }

    /// Reads the next block into `block` (a buffer used before is only written over, not
    /// cleared first); false at the end.
    fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            block.resize(BLOCK, 0);
            let mut filled = self.carry.len();
            block[..filled].copy_from_slice(&self.carry);
            self.carry.clear();
            while filled < BLOCK && !self.eof {
                match self.input.read(&mut block[filled..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            let text = &block[..filled];
            if self.skipping {
                match memchr::memchr(b'\n', text) {
                    Some(pos) => {
                        self.carry.extend_from_slice(&text[pos + 1..]);
                        self.skipping = false;
                    }
                    None if self.eof => {
                        block.clear();
                        return Ok(false);
                    }
                    None => {}
                }
                continue;
            }
            let end = match memchr::memrchr(b'\n', text) {
                _ if self.eof => filled,
                Some(pos) => pos + 1,
                None => {
                    // no newline in a whole block: that line once, as an over-long sentence
                    block.truncate(MAX_LINE_BYTES);
                    block.push(b'\n');
                    self.skipping = true;
                    return Ok(true);
                }
            };
            self.carry.extend_from_slice(&block[end..filled]);
            block.truncate(end);
            return Ok(!block.is_empty());
        }
    }
}

/// Buffers used again, so that blocks do not cost fresh pages.
#[derive(Default)]
struct Pools {
    /// Blocks of input.
    texts: Pool,
    /// Their JSON.
    jsons: Pool,
}

/// Buffers of one use.
#[derive(Default)]
struct Pool(Mutex<Vec<Vec<u8>>>);

impl Pool {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, buf: Vec<u8>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(buf);
    }
}

/// A block with the JSON of its lines that stand alone, and the lines left to the decoder.
struct Settled {
    text: Vec<u8>,
    json: Vec<u8>,
    left: Vec<Left>,
    /// Lines settled after the last line left, and how many of them were messages.
    tail: (u64, u64),
}

/// A line left to the decoder, or a message decoded from a run of fragments for it to count.
struct Left {
    /// What the decoder takes.
    take: Take,
    /// Where its output goes in the block's JSON.
    json_at: usize,
    /// Lines settled since the previous line left, and how many of them were messages.
    before: (u64, u64),
}

/// What the decoder takes in a block.
enum Take {
    /// A line of the block's text, fed to it.
    Line(Range<usize>),
    /// A run of fragments decoded in the block, counted by it.
    Run(RunStart),
}

/// A worker's buffers.
struct Scratch {
    /// The payload of one sentence.
    bits: PayloadBits,
    /// The fragments of one run.
    run: Reassembler,
}

impl Scratch {
    fn new(options: &NdjsonOptions<'_>) -> Self {
        Self {
            bits: PayloadBits::new(),
            run: Reassembler::new(options.decoder.reassembly()),
        }
    }
}

/// Decodes and prints the lines of `text` that stand alone and the runs of fragments that
/// make a message.
fn settle(
    text: Vec<u8>,
    pools: &Pools,
    options: &NdjsonOptions<'_>,
    scratch: &mut Scratch,
) -> Settled {
    let mut json = pools.jsons.take();
    json.clear();
    json.reserve(text.len() * JSON_PER_BYTE);
    let mut left = Vec::new();
    let mut settled = (0u64, 0u64);
    let mut run: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = line_end(&text, start);
        match Decoder::decode_alone(&text[start..end], &options.decoder, &mut scratch.bits) {
            Alone::Comment => settled.0 += 1,
            Alone::Message(message) => {
                json_of(&mut json, &message, options.device);
                settled.0 += 1;
                settled.1 += 1;
            }
            Alone::FirstFragment(first) => {
                run.clear();
                run.push(&text[start..end]);
                let mut run_end = end;
                while run.len() < first.fragments() as usize && run_end + 1 < text.len() {
                    let next = run_end + 1;
                    run_end = line_end(&text, next);
                    run.push(&text[next..run_end]);
                }
                let whole = run.len() == first.fragments() as usize;
                let decoded = whole
                    .then(|| Decoder::decode_run(&run, &options.decoder, &mut scratch.run))
                    .flatten();
                let take = match decoded {
                    Some(message) => {
                        end = run_end;
                        json_of(&mut json, &message, options.device);
                        Take::Run(first)
                    }
                    None => Take::Line(start..end),
                };
                left.push(Left {
                    take,
                    json_at: json.len(),
                    before: std::mem::take(&mut settled),
                });
            }
            Alone::NeedsDecoder => left.push(Left {
                take: Take::Line(start..end),
                json_at: json.len(),
                before: std::mem::take(&mut settled),
            }),
        }
        start = end + 1;
    }
    Settled {
        text,
        json,
        left,
        tail: settled,
    }
}

/// Where the line that starts at `start` ends (its newline, or the end of the text).
fn line_end(text: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |pos| start + pos)
}

/// Appends the JSON line of `message`.
fn json_of(out: &mut Vec<u8>, message: &AisMessage, device: Option<&str>) {
    write_gpsd_json(out, message, device);
    out.push(b'\n');
}

/// Takes settled blocks in order: the lines left go through the one decoder.
struct Merger<'a, W, E> {
    decoder: Decoder,
    out: W,
    errors: E,
    options: NdjsonOptions<'a>,
    /// The output of one line left to the decoder.
    line: Vec<u8>,
}

impl<W: Write, E: Write> Merger<'_, W, E> {
    /// Writes a block's output; gives its JSON buffer back and returns its text's.
    fn merge(&mut self, settled: Settled, pools: &Pools) -> io::Result<Vec<u8>> {
        let mut at = 0;
        for left in &settled.left {
            self.decoder.count_alone(left.before.0, left.before.1);
            let line = match &left.take {
                Take::Line(line) => line.clone(),
                // its JSON is in the block's, written with the JSON around it in one piece
                Take::Run(first) => {
                    self.decoder.count_run(first);
                    continue;
                }
            };
            self.out.write_all(&settled.json[at..left.json_at])?;
            at = left.json_at;
            self.line.clear();
            match self.decoder.feed_line(&settled.text[line]) {
                Ok(Some(d)) => json_of(&mut self.line, &d.message, self.options.device),
                Ok(None) => {}
                Err(AisError::Empty { .. } | AisError::NotAis { .. })
                    if !self.options.report_not_ais => {}
                Err(e) => writeln!(self.errors, "{e}")?,
            }
            self.out.write_all(&self.line)?;
        }
        self.out.write_all(&settled.json[at..])?;
        self.decoder.count_alone(settled.tail.0, settled.tail.1);
        pools.jsons.give(settled.json);
        Ok(settled.text)
    }

    fn finish(mut self) -> io::Result<DecoderStats> {
        self.decoder.finish();
        self.out.flush()?;
        self.errors.flush()?;
        Ok(self.decoder.stats())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one byte slice in small pieces, like a slow pipe.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(4096);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_endless_line_is_reported_once_and_skipped() {
        let good = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n";
        let mut input = good.to_vec();
        input.extend_from_slice(b"!AIVDM,1,1,,A,");
        input.extend(std::iter::repeat_n(b'0', 3 * BLOCK + 17));
        input.push(b'\n');
        input.extend_from_slice(good);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let stats = decode_to_ndjson(
            Trickle(&input),
            &mut out,
            &mut err,
            NdjsonOptions::default(),
        )
        .unwrap();
        assert_eq!(
            stats.decoded, 2,
            "the lines around the long one are decoded"
        );
        assert_eq!(
            String::from_utf8(err).unwrap().lines().count(),
            1,
            "one report for the long line"
        );
    }
}
