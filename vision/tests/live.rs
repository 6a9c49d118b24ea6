//! Live cameras against real servers on loopback: GStreamer's RTSP server (with basic auth) that
//! goes away and comes back, and an MJPEG-over-HTTP camera. Every wait is bounded and every
//! child process is killed when a test ends, passed or failed.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use coastwatch_vision::camera::{CameraConfig, CameraEvent, run_camera};
use coastwatch_vision::source::{Input, Source, SourceConfig};

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
/// Debian's interpreter: the GStreamer bindings (python3-gi) are installed for it, not for
/// whatever `python3` comes first on the PATH.
const PYTHON: &str = "/usr/bin/python3";
const PASSWORD: &str = "secret";

/// Whether `probe` runs and succeeds; on CI (CI=true) a missing tool fails the test.
fn have(what: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        && Path::new(VTEST).exists();
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but {what} or opencv-doc is missing (scripts/install-deps.sh --test installs them)"
        );
        eprintln!("skipping: {what} or {VTEST} is missing");
    }
    ok
}

fn have_ffmpeg() -> bool {
    have("ffmpeg", Command::new("ffmpeg").arg("-version"))
}

fn have_rtsp_server() -> bool {
    have_ffmpeg()
        && have(
            "GStreamer's RTSP server for /usr/bin/python3",
            Command::new(PYTHON).args([
                "-c",
                "import gi; gi.require_version('GstRtspServer', '1.0'); \
                 from gi.repository import GstRtspServer",
            ]),
        )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn support(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script)
}

/// Converts the start of the opencv-doc footage with `ffmpeg` OPTIONS into `output`.
fn footage(options: &str, output: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", VTEST])
        .args(options.split_whitespace())
        .arg(output)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg {options}");
}

/// A server process, killed (SIGKILL) when dropped.
struct Server(Child);

impl Server {
    /// Starts `PYTHON ARGS…` and waits (bounded) for it to print "ready".
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(PYTHON)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let server = Self(child);
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.trim() == "ready" => server,
            other => panic!("{args:?} did not start: {other:?}"),
        }
    }

    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rtsp_server(port: u16, file: &Path) -> Server {
    Server::start(&[
        support("rtsp_server.py").to_str().unwrap(),
        &port.to_string(),
        file.to_str().unwrap(),
        "user",
        PASSWORD,
    ])
}

/// A camera running in its own thread, its events in a channel; dropping it stops the camera
/// and waits (bounded) for the thread, so its decoder is gone when the test ends.
struct RunningCamera {
    stop: Arc<AtomicBool>,
    events: Receiver<CameraEvent>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningCamera {
    fn start(config: CameraConfig) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, events) = channel();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            run_camera(&config, &flag, |event| {
                let _ = tx.send(event);
            })
            .unwrap();
        });
        Self {
            stop,
            events,
            thread: Some(thread),
        }
    }

    /// The next event, checked for the password, or a panic when none comes before `deadline`.
    fn next(&self, deadline: Instant, waiting_for: &str) -> CameraEvent {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(event) => {
                let text = format!("{event:?}");
                assert!(!text.contains(PASSWORD), "{text}");
                event
            }
            Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {waiting_for}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the camera stopped: {waiting_for}"),
        }
    }
}

impl Drop for RunningCamera {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The camera notices the flag between frames, within the stall timeout at worst.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match self
                .events
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(_) => {}
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    if !std::thread::panicking() {
                        panic!("the camera did not stop within 15 s");
                    }
                    return;
                }
            }
        }
        let joined = self.thread.take().unwrap().join();
        if !std::thread::panicking() {
            joined.expect("the camera thread panicked");
        }
    }
}

/// The frame numbers of one connection, with the frames that had tracks.
#[derive(Default)]
struct Pass {
    frames: Vec<u64>,
    with_tracks: usize,
}

/// Takes frames until `enough` of them (`tracked` with tracks) came, or panics at `deadline`.
fn frames_until(camera: &RunningCamera, deadline: Instant, enough: usize, tracked: usize) -> Pass {
    let mut pass = Pass::default();
    while pass.frames.len() < enough || pass.with_tracks < tracked {
        match camera.next(deadline, "frames with tracks") {
            CameraEvent::Frame(report, _) => {
                pass.frames.push(report.frame);
                pass.with_tracks += usize::from(!report.tracks.is_empty());
            }
            other => panic!("a frame, not {other:?}"),
        }
    }
    pass
}

#[test]
fn an_rtsp_camera_that_goes_away_is_reconnected_and_carries_on() {
    if !have_rtsp_server() {
        return;
    }
    let started = Instant::now();
    // H.264 as a camera sends it: no B-frames, a keyframe every second, so a client that
    // reconnects has a picture at once.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cam.mp4");
    footage(
        "-t 20 -an -vf scale=384:-2 -c:v libx264 -preset veryfast -bf 0 -g 10 -pix_fmt yuv420p",
        &file,
    );

    let port = free_port();
    let server = rtsp_server(port, &file);
    let text = format!(
        "id = 'quay-1'\nurl = 'rtsp://user:{PASSWORD}@127.0.0.1:{port}/cam'\n\
         motion_only = true\nbackoff_max_s = 0.5\n\
         [source]\nfps = 5\nmax_width = 192\nconnect_timeout_s = 5\nstall_timeout_s = 2\n"
    );
    let camera = RunningCamera::start(toml::from_str(&text).unwrap());

    let deadline = Instant::now() + Duration::from_secs(15);
    match camera.next(deadline, "the first connection") {
        CameraEvent::Connected { width, height } => assert_eq!((width, height), (192, 144)),
        other => panic!("Connected, not {other:?}"),
    }
    let first = frames_until(&camera, deadline, 10, 3);

    // The camera dies: no goodbye, its connections just close.
    server.kill();
    let killed = Instant::now();
    let mut last = *first.frames.last().unwrap();
    let ended = loop {
        match camera.next(killed + Duration::from_secs(6), "Down after the kill") {
            CameraEvent::Frame(report, _) => last = report.frame, // already on their way
            CameraEvent::Down { ended, .. } => break ended,
            other => panic!("Down, not {other:?}"),
        }
    };
    let noticed = killed.elapsed();
    assert!(!ended.is_empty(), "the open tracks close with the stream");

    // It comes back on the same address; the camera keeps trying until it answers.
    std::thread::sleep(Duration::from_millis(700));
    let _server = rtsp_server(port, &file);
    let restarted = Instant::now();
    let mut refused = 0;
    let reconnect_deadline = restarted + Duration::from_secs(10);
    loop {
        match camera.next(reconnect_deadline, "Connected after the restart") {
            CameraEvent::Connected { width, height } => {
                assert_eq!((width, height), (192, 144));
                break;
            }
            CameraEvent::Down { ended, .. } => {
                assert!(ended.is_empty(), "no frame, no track");
                refused += 1;
            }
            other => panic!("Connected or Down, not {other:?}"),
        }
    }
    let reconnected = restarted.elapsed();
    let second = frames_until(&camera, Instant::now() + Duration::from_secs(10), 10, 1);
    assert_eq!(
        second.frames[0],
        last + 1,
        "the pipeline's frame numbers carry on"
    );
    let all: Vec<u64> = first.frames.iter().chain(&second.frames).copied().collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
    drop(camera);
    eprintln!(
        "rtsp: down noticed in {noticed:?}, {refused} refused retries, reconnected {reconnected:?} \
         after the restart, {:?} in all",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(50));
}

#[test]
fn an_http_mjpeg_camera_delivers_frames_at_the_sampled_rate() {
    if !have_ffmpeg() || !have("python3", Command::new(PYTHON).arg("--version")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    footage(
        "-t 5 -vf scale=320:240 -q:v 5",
        &dir.path().join("f%03d.jpg"),
    );
    let port = free_port();
    // 10 pictures a second, as a modest IP camera sends them.
    let _server = Server::start(&[
        support("mjpeg_server.py").to_str().unwrap(),
        &port.to_string(),
        dir.path().to_str().unwrap(),
        "10",
    ]);
    let input = Input::parse(&format!("http://127.0.0.1:{port}/video.mjpg")).unwrap();
    let config = SourceConfig {
        fps: 5.0,
        connect_timeout_s: 5.0,
        stall_timeout_s: 3.0,
        ..Default::default()
    };
    let mut source = Source::open(input, config).unwrap();
    assert_eq!(source.size(), (320, 240));
    let first = source.next_frame().unwrap().expect("a live stream goes on");
    let t0 = Instant::now();
    let mut frames = vec![first];
    for _ in 0..15 {
        frames.push(source.next_frame().unwrap().expect("a live stream goes on"));
    }
    // 15 samples at 5 a second: about 3 s, whatever rate the camera sends at.
    let took = t0.elapsed().as_secs_f64();
    assert!((2.0..4.5).contains(&took), "15 frames took {took:.1} s");
    for frame in &frames {
        assert_eq!((frame.width, frame.height), (320, 240));
        assert_eq!(frame.rgb.len(), 320 * 240 * 3);
    }
    let distinct: std::collections::HashSet<_> = frames[0].rgb.chunks(3).take(5000).collect();
    assert!(distinct.len() > 100, "real pictures");
    assert!(frames.windows(2).all(|w| w[0].t <= w[1].t));
    assert_ne!(frames[0].rgb, frames[15].rgb, "people walk");
}
