//! Frame sources: video files, image folders and live camera URLs, decoded by the `ffmpeg`
//! program running as a child process.
//!
//! Why a child process and not libav through a binding: a decoder that crashes or hangs on a
//! broken stream takes only its child down (the pipeline restarts it), the build needs no
//! bindgen, clang or libav headers, and Debian's `ffmpeg` brings every demuxer a camera speaks
//! (RTSP over TCP, HTTP MJPEG, files). The price, one copy of each raw frame through a pipe, is
//! small next to detection (see the vision bench).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::frame::Frame;

/// How a source samples and bounds its stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceConfig {
    /// Frames per second to sample (files and live streams alike).
    pub fps: f64,
    /// Frames wider than this are scaled down (keeping the aspect); `None` keeps the size.
    pub max_width: Option<u32>,
    /// Seconds to wait for a stream's first frame (or for the probe) before giving up.
    pub connect_timeout_s: f64,
    /// Seconds without a frame after which a live stream counts as dropped.
    pub stall_timeout_s: f64,
    /// Play a file or image folder at its own rate, stamped from the moment it opens, as a
    /// live camera would send it (the server's cameras); otherwise as fast as it decodes,
    /// stamped on the file's own timeline from the Unix epoch.
    pub realtime: bool,
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            fps: 5.0,
            max_width: None,
            connect_timeout_s: 10.0,
            stall_timeout_s: 10.0,
            realtime: false,
        }
    }
}

/// Why a source gave no (more) frames.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The `ffmpeg`/`ffprobe` programs are not installed.
    #[error("`{0}` is not installed (scripts/install-deps.sh installs ffmpeg)")]
    FfmpegMissing(&'static str),
    /// A file or folder that does not exist.
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    /// A source string that is neither a path nor a URL the decoder reads.
    #[error(
        "`{0}` is not a video source (expected a file, an image folder, rtsp://, rtsps://, http:// or https://)"
    )]
    Unsupported(String),
    /// The input exists but holds no decodable video.
    #[error("{source_name}: not a video ({detail})")]
    NotVideo {
        /// The source, credentials redacted.
        source_name: String,
        /// The decoder's words.
        detail: String,
    },
    /// A live source that could not be reached or refused the connection.
    #[error("{source_name}: cannot connect ({detail})")]
    Unreachable {
        /// The source, credentials redacted.
        source_name: String,
        /// The decoder's words.
        detail: String,
    },
    /// No frame came within the allowed time.
    #[error("{source_name}: no frame for {seconds:.0} s")]
    Stalled {
        /// The source, credentials redacted.
        source_name: String,
        /// The limit that passed.
        seconds: f64,
    },
    /// A live stream ended, or a file stopped with decoding errors before its end.
    #[error("{source_name}: stream broke after {frames} frames ({detail})")]
    Broken {
        /// The source, credentials redacted.
        source_name: String,
        /// Frames delivered before it broke.
        frames: u64,
        /// The decoder's words.
        detail: String,
    },
    /// Starting or reading the decoder failed.
    #[error("decoder: {0}")]
    Io(#[from] std::io::Error),
}

impl SourceError {
    /// Whether the source the user named is at fault (missing, not video, unreachable, broken),
    /// rather than this machine (no ffmpeg, an I/O error).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Self::FfmpegMissing(_) | Self::Io(_))
    }

    /// Whether retrying later may help (a live stream that dropped), as opposed to input that
    /// will never decode.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::Stalled { .. } | Self::Broken { .. }
        )
    }
}

/// Where frames come from.
#[derive(Clone, PartialEq)]
pub enum Input {
    /// A video file (mp4, avi, mkv… anything ffmpeg reads).
    File(PathBuf),
    /// A folder of images, read in name order; the extension most of them share is used.
    Folder {
        /// The folder.
        dir: PathBuf,
        /// `jpg`, `png`…
        extension: String,
    },
    /// A live stream: RTSP (as Hikvision and Dahua cameras serve it) or HTTP (MJPEG).
    Live(LiveUrl),
}

impl Input {
    /// Reads a source argument: a URL, a folder or a file.
    pub fn parse(spec: &str) -> Result<Self, SourceError> {
        if let Some((scheme, _)) = spec.split_once("://") {
            return match scheme.to_ascii_lowercase().as_str() {
                "rtsp" | "rtsps" | "http" | "https" => Ok(Self::Live(LiveUrl(spec.to_string()))),
                _ => Err(SourceError::Unsupported(
                    LiveUrl(spec.to_string()).to_string(),
                )),
            };
        }
        let path = Path::new(spec);
        if path.is_dir() {
            let extension = common_image_extension(path)?.ok_or_else(|| SourceError::NotVideo {
                source_name: spec.to_string(),
                detail: "the folder holds no jpg, png or bmp images".into(),
            })?;
            Ok(Self::Folder {
                dir: path.to_path_buf(),
                extension,
            })
        } else if path.is_file() {
            Ok(Self::File(path.to_path_buf()))
        } else {
            Err(SourceError::NotFound(path.to_path_buf()))
        }
    }

    /// Whether frames arrive in real time (and may be dropped when the consumer lags).
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Live(_))
    }

    /// The decoder arguments that select this input, up to and including `-i …`.
    fn ffmpeg_input(&self, config: &SourceConfig) -> Vec<String> {
        let timeout_us = ((config.stall_timeout_s.max(1.0)) * 1e6)
            .round()
            .to_string();
        match self {
            Self::File(path) => vec!["-i".into(), path.display().to_string()],
            Self::Folder { dir, extension } => {
                let pattern = format!("{}/*.{extension}", escape_glob(&dir.display().to_string()));
                let rate = config.fps.to_string();
                [
                    "-f",
                    "image2",
                    "-pattern_type",
                    "glob",
                    "-framerate",
                    &rate,
                    "-i",
                    &pattern,
                ]
                .map(String::from)
                .to_vec()
            }
            Self::Live(url) if url.scheme_is("rtsp") || url.scheme_is("rtsps") => [
                "-rtsp_transport",
                "tcp",
                "-timeout",
                &timeout_us,
                "-i",
                url.secret(),
            ]
            .map(String::from)
            .to_vec(),
            // An MJPEG stream carries no timestamps: without the arrival times the decoder
            // assumes 25 pictures a second, and `fps` would sample a 10 fps camera at 2/5 of
            // the rate asked.
            Self::Live(url) => [
                "-use_wallclock_as_timestamps",
                "1",
                "-rw_timeout",
                &timeout_us,
                "-i",
                url.secret(),
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Folder { dir, extension } => write!(f, "{}/*.{extension}", dir.display()),
            Self::Live(url) => write!(f, "{url}"),
        }
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Input({self})")
    }
}

/// A camera URL. It may carry credentials (`rtsp://user:pass@host/…`), so it prints redacted
/// everywhere; only the decoder gets the real one.
#[derive(Clone, PartialEq, Eq)]
pub struct LiveUrl(String);

impl LiveUrl {
    /// The URL as given, credentials included: for the decoder only.
    fn secret(&self) -> &str {
        &self.0
    }

    fn scheme_is(&self, scheme: &str) -> bool {
        self.0
            .split_once("://")
            .is_some_and(|(s, _)| s.eq_ignore_ascii_case(scheme))
    }

    /// The `user:password` part, if any.
    fn userinfo(&self) -> Option<&str> {
        let (_, rest) = self.0.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        authority.rsplit_once('@').map(|(userinfo, _)| userinfo)
    }

    /// `text` with this URL's credentials replaced by `***` (decoder messages quote the URL).
    pub fn redact(&self, text: &str) -> String {
        match self.userinfo() {
            Some(userinfo) if !userinfo.is_empty() => text.replace(userinfo, "***"),
            _ => text.to_string(),
        }
    }
}

impl std::fmt::Display for LiveUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redact(&self.0))
    }
}

impl std::fmt::Debug for LiveUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveUrl({self})")
    }
}

/// A running decoder delivering frames of one size.
pub struct Source {
    input: Input,
    config: SourceConfig,
    child: Child,
    frames: Receiver<Frame>,
    log: Arc<Mutex<VecDeque<String>>>,
    dropped: Arc<AtomicU64>,
    delivered: u64,
    expected: Option<u64>,
    ended: bool,
    width: u32,
    height: u32,
}

impl Source {
    /// Probes the input and starts decoding it. A missing file, a file that is not video and a
    /// stream that cannot be reached within the connect timeout are errors here.
    pub fn open(input: Input, config: SourceConfig) -> Result<Self, SourceError> {
        let probe = probe(&input, &config)?;
        let (width, height) = output_size(probe.width, probe.height, config.max_width);
        let mut args: Vec<String> = ["-hide_banner", "-loglevel", "error", "-nostdin"]
            .map(String::from)
            .to_vec();
        let paced = config.realtime && !input.is_live();
        if paced {
            args.push("-re".into());
        }
        args.extend(input.ffmpeg_input(&config));
        let mut filters = Vec::new();
        if !matches!(input, Input::Folder { .. }) {
            filters.push(format!("fps={}", config.fps));
        }
        filters.push(format!("scale={width}:{height}"));
        args.extend(["-an", "-sn", "-vf", &filters.join(",")].map(String::from));
        args.extend(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"].map(String::from));

        let mut child = Command::new("ffmpeg")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| missing_or_io("ffmpeg", e))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        spawn_log_reader(
            child.stderr.take().expect("piped"),
            Arc::clone(&log),
            input.clone(),
        );
        let dropped = Arc::new(AtomicU64::new(0));
        // Live streams keep one frame waiting and drop the rest while the consumer is busy, so
        // the picture stays current; files wait for the consumer and lose nothing.
        let (tx, frames) = sync_channel(if input.is_live() { 1 } else { 4 });
        let reader = FrameReader {
            out: child.stdout.take().expect("piped"),
            tx,
            live: input.is_live(),
            start: paced.then(Timestamp::now),
            fps: config.fps,
            width,
            height,
            dropped: Arc::clone(&dropped),
        };
        std::thread::Builder::new()
            .name("vision-decode".into())
            .spawn(move || reader.run())?;
        let expected = probe.duration_s.map(|d| (d * config.fps).floor() as u64);
        Ok(Self {
            input,
            config,
            child,
            frames,
            log,
            dropped,
            delivered: 0,
            expected,
            ended: false,
            width,
            height,
        })
    }

    /// The input, credentials redacted when printed.
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// Size of every frame this source delivers.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Frames a live source dropped because the consumer was busy.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The next frame; `Ok(None)` at the clean end of a file or folder. After the end or an
    /// error, every call gives `Ok(None)`: open the source again to retry.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.ended {
            return Ok(None);
        }
        let next = self.receive();
        self.ended = !matches!(next, Ok(Some(_)));
        next
    }

    fn receive(&mut self) -> Result<Option<Frame>, SourceError> {
        let limit = if self.delivered == 0 {
            self.config.connect_timeout_s
        } else {
            self.config.stall_timeout_s
        };
        match self
            .frames
            .recv_timeout(Duration::from_secs_f64(limit.max(0.1)))
        {
            Ok(frame) => {
                self.delivered += 1;
                Ok(Some(frame))
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                Err(SourceError::Stalled {
                    source_name: self.input.to_string(),
                    seconds: limit,
                })
            }
            Err(RecvTimeoutError::Disconnected) => self.finish(),
        }
    }

    /// Judges how the decoder ended.
    fn finish(&mut self) -> Result<Option<Frame>, SourceError> {
        let status = self.child.wait()?;
        // The stderr reader may still be draining the last lines.
        std::thread::sleep(Duration::from_millis(20));
        let detail = self
            .log
            .lock()
            .expect("log lock")
            .iter()
            .cloned()
            .collect::<Vec<_>>();
        let detail = if detail.is_empty() {
            format!("decoder exited with {status}")
        } else {
            detail.join("; ")
        };
        let source_name = self.input.to_string();
        if self.input.is_live() {
            return Err(SourceError::Broken {
                source_name,
                frames: self.delivered,
                detail,
            });
        }
        if self.delivered == 0 {
            return Err(SourceError::NotVideo {
                source_name,
                detail,
            });
        }
        // A file that decodes with errors and stops well short of its stated length is broken
        // (truncated, corrupt); a few frames short is only rounding of the duration.
        let short = self.expected.is_some_and(|n| self.delivered * 10 < n * 9);
        if short && (!status.success() || !self.log.lock().expect("log lock").is_empty()) {
            return Err(SourceError::Broken {
                source_name,
                frames: self.delivered,
                detail,
            });
        }
        Ok(None)
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Iterator for Source {
    type Item = Result<Frame, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

/// Reads whole frames from the decoder's stdout and hands them on.
struct FrameReader {
    out: std::process::ChildStdout,
    tx: SyncSender<Frame>,
    live: bool,
    /// A paced file's opening time: its frames are stamped from it.
    start: Option<Timestamp>,
    fps: f64,
    width: u32,
    height: u32,
    dropped: Arc<AtomicU64>,
}

impl FrameReader {
    fn run(mut self) {
        let size = self.width as usize * self.height as usize * 3;
        for index in 0u64.. {
            let mut rgb = vec![0; size];
            if self.out.read_exact(&mut rgb).is_err() {
                return; // end of stream, or a partial frame from a dying decoder
            }
            let t = if self.live {
                Timestamp::now()
            } else {
                self.start.unwrap_or(Timestamp::UNIX_EPOCH)
                    + SignedDuration::from_secs_f64(index as f64 / self.fps)
            };
            let frame = Frame {
                index,
                t,
                width: self.width,
                height: self.height,
                rgb,
            };
            if self.live {
                match self.tx.try_send(frame) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            } else if self.tx.send(frame).is_err() {
                return;
            }
        }
    }
}

/// Keeps the decoder's last few error lines, credentials redacted, for error messages.
fn spawn_log_reader(
    stderr: std::process::ChildStderr,
    log: Arc<Mutex<VecDeque<String>>>,
    input: Input,
) {
    const KEEP_LINES: usize = 8;
    const LINE_CHARS: usize = 300;
    let _ = std::thread::Builder::new()
        .name("vision-decode-log".into())
        .spawn(move || {
            for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                let line = String::from_utf8_lossy(&line);
                let line = match &input {
                    Input::Live(url) => url.redact(line.trim()),
                    _ => line.trim().to_string(),
                };
                if line.is_empty() {
                    continue;
                }
                let mut log = log.lock().expect("log lock");
                if log.len() == KEEP_LINES {
                    log.pop_front();
                }
                log.push_back(line.chars().take(LINE_CHARS).collect());
            }
        });
}

/// What the probe learned about the first video stream.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Probe {
    width: u32,
    height: u32,
    duration_s: Option<f64>,
}

/// Asks `ffprobe` for the video stream's size (and a file's duration), within the connect
/// timeout.
fn probe(input: &Input, config: &SourceConfig) -> Result<Probe, SourceError> {
    let mut args: Vec<String> = vec!["-v".into(), "error".into()];
    match input {
        // Every image of a folder is scaled to the first one's size.
        Input::Folder { dir, extension } => {
            let first = first_image(dir, extension)?;
            args.extend(["-i".into(), first.display().to_string()]);
        }
        other => args.extend(other.ffmpeg_input(config)),
    }
    args.extend(
        [
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,nb_frames,r_frame_rate:format=duration",
            "-of",
            "default=noprint_wrappers=1",
        ]
        .map(String::from),
    );
    let mut child = Command::new("ffprobe")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| missing_or_io("ffprobe", e))?;
    let deadline = Instant::now() + Duration::from_secs_f64(config.connect_timeout_s.max(0.1));
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SourceError::Unreachable {
                source_name: input.to_string(),
                detail: format!("no answer within {:.0} s", config.connect_timeout_s),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut out)?;
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut err)?;
    let detail = match input {
        Input::Live(url) => url.redact(err.trim()),
        _ => err.trim().to_string(),
    };
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(str::trim)
    };
    let size = (
        field("width").and_then(|w| w.parse().ok()),
        field("height").and_then(|h| h.parse().ok()),
    );
    match size {
        (Some(width), Some(height)) if status.success() && width > 0 && height > 0 => Ok(Probe {
            width,
            height,
            duration_s: stated_duration(
                field("duration").and_then(|d| d.parse().ok()),
                field("nb_frames").and_then(|n| n.parse().ok()),
                field("r_frame_rate").and_then(parse_rate),
            ),
        }),
        _ => {
            let detail = if detail.is_empty() {
                "no video stream".to_string()
            } else {
                detail
            };
            let source_name = input.to_string();
            Err(if input.is_live() {
                SourceError::Unreachable {
                    source_name,
                    detail,
                }
            } else {
                SourceError::NotVideo {
                    source_name,
                    detail,
                }
            })
        }
    }
}

/// A file's length as its headers state it: the longer of the container's duration and the
/// stream's frame count over its rate (a truncated AVI still states all its frames, while its
/// container duration shrinks to what is left).
fn stated_duration(duration: Option<f64>, frames: Option<f64>, rate: Option<f64>) -> Option<f64> {
    let from_frames = frames.zip(rate).map(|(n, r)| n / r);
    [duration, from_frames]
        .into_iter()
        .flatten()
        .filter(|d| d.is_finite() && *d > 0.0)
        .reduce(f64::max)
}

/// A rate such as `10/1` or `30000/1001`.
fn parse_rate(text: &str) -> Option<f64> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    let rate = num.parse::<f64>().ok()? / den.parse::<f64>().ok()?;
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// The most pixels a frame may have (3840 × 2160): a stream that announces more is scaled down
/// to fit, so a hostile or broken camera cannot make each frame buffer gigabytes.
pub const MAX_FRAME_PIXELS: u64 = 3840 * 2160;

/// The size frames are delivered at: even numbers (rgb24 scaling wants them), at most
/// `max_width` wide and at most [`MAX_FRAME_PIXELS`] in all, keeping the aspect.
fn output_size(width: u32, height: u32, max_width: Option<u32>) -> (u32, u32) {
    let even = |v: f64| ((v / 2.0).floor() as u32).max(1) * 2;
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let by_width = max_width.map_or(1.0, |max| (f64::from(max) / w).min(1.0));
    let by_pixels = (MAX_FRAME_PIXELS as f64 / (w * h)).sqrt().min(1.0);
    let scale = by_width.min(by_pixels);
    if scale >= 1.0 {
        return (even(w + 1.0), even(h + 1.0));
    }
    (even(w * scale), even(h * scale))
}

fn missing_or_io(program: &'static str, e: std::io::Error) -> SourceError {
    if e.kind() == std::io::ErrorKind::NotFound {
        SourceError::FfmpegMissing(program)
    } else {
        SourceError::Io(e)
    }
}

const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// The image extension most files of `dir` have (lower case), if any.
fn common_image_extension(dir: &Path) -> Result<Option<String>, SourceError> {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(ext) = path.extension().and_then(|e| e.to_str())
            && IMAGE_EXTENSIONS.contains(&ext)
        {
            *counts.entry(ext.to_string()).or_default() += 1;
        }
    }
    Ok(counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(ext, _)| ext))
}

fn first_image(dir: &Path, extension: &str) -> Result<PathBuf, SourceError> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    images.sort();
    images
        .into_iter()
        .next()
        .ok_or_else(|| SourceError::NotFound(dir.to_path_buf()))
}

/// `text` with the glob pattern characters escaped, so a folder name is taken literally.
fn escape_glob(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print() {
        let input =
            Input::parse("rtsp://admin:Hik12345@10.0.0.7:554/Streaming/Channels/101").unwrap();
        let shown = input.to_string();
        assert_eq!(shown, "rtsp://***@10.0.0.7:554/Streaming/Channels/101");
        assert!(!format!("{input:?}").contains("Hik12345"));
        let Input::Live(url) = &input else {
            panic!("live")
        };
        assert_eq!(
            url.redact("[tcp @ 0x1] rtsp://admin:Hik12345@10.0.0.7:554: Connection refused"),
            "[tcp @ 0x1] rtsp://***@10.0.0.7:554: Connection refused"
        );
        // An @ in the path is not a credential.
        assert_eq!(
            Input::parse("http://cam/a@b.mjpg").unwrap().to_string(),
            "http://cam/a@b.mjpg"
        );
    }

    #[test]
    fn sources_are_told_apart() {
        assert!(matches!(
            Input::parse("RTSP://cam/1").unwrap(),
            Input::Live(_)
        ));
        assert!(matches!(
            Input::parse("ftp://x/y"),
            Err(SourceError::Unsupported(_))
        ));
        assert!(matches!(
            Input::parse("/no/such/video.mp4"),
            Err(SourceError::NotFound(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Input::parse(dir.path().to_str().unwrap()),
            Err(SourceError::NotVideo { .. })
        ));
        for name in ["b.png", "a.png", "c.jpg"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let Input::Folder { extension, .. } = Input::parse(dir.path().to_str().unwrap()).unwrap()
        else {
            panic!("folder")
        };
        assert_eq!(extension, "png");
    }

    #[test]
    fn output_size_is_even_and_bounded() {
        assert_eq!(output_size(768, 576, None), (768, 576));
        assert_eq!(output_size(1920, 1080, Some(1280)), (1280, 720));
        assert_eq!(output_size(641, 273, None), (642, 274));
        assert_eq!(output_size(640, 272, Some(1280)), (640, 272));
        // A camera announcing a gigapixel frame gets frames of at most MAX_FRAME_PIXELS.
        let (w, h) = output_size(65_000, 40_000, None);
        assert!(u64::from(w) * u64::from(h) <= MAX_FRAME_PIXELS, "{w}x{h}");
        assert!((f64::from(w) / f64::from(h) - 1.625).abs() < 0.01);
        assert_eq!(output_size(3840, 2160, None), (3840, 2160));
    }

    #[test]
    fn glob_characters_in_folder_names_are_literal() {
        assert_eq!(escape_glob("/data/cam[1]/*"), "/data/cam\\[1\\]/\\*");
    }
}
