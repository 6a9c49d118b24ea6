//! The web map in real headless Chromium: `web/test/browser.mjs` (playwright-core driving
//! Debian's `chromium`) against the `coastwatch` binary serving a GeoPackage seeded with towns,
//! risk points, cameras, a vehicle and a vessel fed as NMEA, and running one camera on a video
//! made by `ffmpeg` (a dark boat crossing the sea without AIS: camera tracks, a `dark_vessel`
//! alert with its snapshot, the camera's latest frame). Needs the bundle and playwright-core
//! (`scripts/build-web.sh`), Node.js, Chromium and ffmpeg (`scripts/install-deps.sh --test`);
//! without them the test skips, or fails when CI=true.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coastwatch_tests::{DISPATCHER, PLANNER, coastwatch_bin, tool_available};
use serde_json::{Value, json};

const INGEST: &str = "ingest-token-1";
const MMSI: i64 = 412_345_678;
/// The camera that films [`boat_video`]: its `[[vision.cameras]]` id is the name of its feature
/// in the `cameras` layer.
const CAMERA: &str = "pier-cam";
/// Where it stands: 20 m above the sea, looking north, 2° down.
const CAMERA_AT: [f64; 2] = [121.60, 29.60];

/// A `coastwatch serve` process on a free port; killed when dropped.
struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Imports the town areas, the camera that films `video` and the coastline before it into
    /// a fresh GeoPackage (the cameras are placed on the map at start), then serves it with
    /// that camera running.
    fn start(dir: tempfile::TempDir, video: &Path) -> Self {
        let store = dir.path().join("web.gpkg");
        for (layer, features) in [
            ("areas", towns_geojson()),
            ("cameras", camera_geojson()),
            ("coastline", coastline_geojson()),
        ] {
            let file = dir.path().join(format!("{layer}.geojson"));
            std::fs::write(&file, features.to_string()).unwrap();
            let import = Command::new(coastwatch_bin())
                .args(["import", layer, path(&file), "--store", path(&store)])
                .output()
                .unwrap();
            assert!(
                import.status.success(),
                "import {layer}: {}",
                String::from_utf8_lossy(&import.stderr)
            );
        }
        let config = dir.path().join("coastwatch.toml");
        let mut toml = String::from("[auth]\nopen_reads = true\n");
        for (token, user, role) in [
            (PLANNER, "pia", "planner"),
            (DISPATCHER, "dan", "dispatcher"),
            (INGEST, "feeder", "ingest"),
        ] {
            toml += &format!(
                "[[auth.tokens]]\ntoken = \"{token}\"\nuser = \"{user}\"\nroles = [\"{role}\"]\n"
            );
        }
        // a file plays at its own pace, as a live camera would send it
        let [lon, lat] = CAMERA_AT;
        toml += &format!(
            "[[vision.cameras]]\nid = \"{CAMERA}\"\nurl = {video:?}\nmotion_only = true\nsource = {{ fps = 5 }}\n\
             [vision.cameras.calibration.pose]\nlon = {lon}\nlat = {lat}\nheight_m = 20.0\nheading_deg = 0.0\n\
             tilt_deg = 2.0\nhfov_deg = 60.0\nwidth = 640\nheight = 360\n",
            video = path(video),
        );
        std::fs::write(&config, toml).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("server.log");
        let child = Command::new(coastwatch_bin())
            .args(["serve", "--config", path(&config), "--store", path(&store)])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            addr: format!("127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let started = Instant::now();
        while server.request("GET", "/healthz", None, "", "").map(|r| r.0) != Some(200) {
            if started.elapsed() > Duration::from_secs(20)
                || server.child.try_wait().is_ok_and(|s| s.is_some())
            {
                panic!("server did not start: {}", server.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The end of the server's log, for failure messages.
    fn log_text(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// One HTTP/1.1 request; the status and the body.
    fn request(
        &self,
        method: &str,
        target: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(&self.addr).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split(' ').nth(1)?.parse().ok()?;
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        Some((status, body.to_owned()))
    }

    /// Sends `body` and asserts a 2xx answer.
    fn send(&self, target: &str, token: &str, content_type: &str, body: &str) {
        let (status, answer) = self
            .request("POST", target, Some(token), content_type, body)
            .unwrap_or_else(|| panic!("POST {target}: no answer"));
        assert!(
            (200..300).contains(&status),
            "POST {target}: {status} {answer}"
        );
    }

    fn post_feature(&self, layer: &str, token: &str, lon: f64, lat: f64, properties: Value) {
        let feature = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties});
        self.send(
            &format!("/api/v1/{layer}"),
            token,
            "application/geo+json",
            &feature.to_string(),
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Three towns side by side around the style's initial view (121.6, 29.575).
fn towns_geojson() -> Value {
    let town = |name: &str, west: f64| {
        let (east, south, north) = (west + 0.1, 29.50, 29.65);
        json!({"type": "Feature", "properties": {"name": name, "kind": "town"}, "geometry": {"type": "MultiPolygon",
            "coordinates": [[[[west, south], [east, south], [east, north], [west, north], [west, south]]]]}})
    };
    json!({"type": "FeatureCollection", "features": [
        town("Chunhu", 121.45), town("Qiucun", 121.55), town("Songao", 121.65),
    ]})
}

/// The camera of [`boat_video`] as a feature of the `cameras` layer.
fn camera_geojson() -> Value {
    json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": {"type": "Point", "coordinates": CAMERA_AT},
        "properties": {"name": CAMERA, "height_m": 20.0, "heading_deg": 0.0, "hfov_deg": 60.0,
            "range_m": 3000.0, "ptz": false, "town": "Qiucun"}}]})
}

/// The shore, east–west about 100 m north of the camera: what it sees beyond is the sea, so a
/// track of moving pixels there counts as a boat.
fn coastline_geojson() -> Value {
    let [lon, lat] = CAMERA_AT;
    json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[lon - 0.05, lat + 0.001], [lon + 0.05, lat + 0.001]]},
        "properties": {"town": "Qiucun"}}]})
}

/// 30 s of a dark 48×16 boat crossing grey-blue water from left to right at 12 px/s, 10 fps
/// (`ffmpeg`'s lavfi colour sources); `None` when ffmpeg cannot make it (then the test skips,
/// or fails when CI=true).
fn boat_video(dir: &Path) -> Option<PathBuf> {
    let out = dir.join("boat.mp4");
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error"])
        .args(["-f", "lavfi", "-i", "color=c=0x5a7890:s=640x360:r=10"])
        .args(["-f", "lavfi", "-i", "color=c=0x1c1c1c:s=48x16:r=10"])
        .args(["-filter_complex", "[0][1]overlay=x='60+t*12':y=220"])
        .args(["-t", "30", "-pix_fmt", "yuv420p", "-y"])
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ffmpeg cannot make the test video"
        );
        eprintln!("skipping: ffmpeg cannot make the test video");
    }
    made.then_some(out)
}

/// Six-bit fields of one AIS message, most significant bit first.
#[derive(Default)]
struct AisBits(Vec<bool>);

impl AisBits {
    fn int(mut self, value: i64, width: u32) -> Self {
        self.0
            .extend((0..width).rev().map(|i| (value >> i) & 1 == 1));
        self
    }

    /// AIS six-bit text, padded with `@`.
    fn text(self, text: &str, chars: usize) -> Self {
        text.bytes()
            .chain(std::iter::repeat(b'@'))
            .take(chars)
            .fold(self, |bits, c| bits.int(i64::from(c & 0x3f), 6))
    }

    /// One `!AIVDM` sentence with the armoured payload and its checksum.
    fn sentence(self) -> String {
        let fill = (6 - self.0.len() % 6) % 6;
        let payload: String = self
            .0
            .chunks(6)
            .map(|chunk| {
                let value = (0..6).fold(0u8, |v, i| v << 1 | u8::from(chunk.get(i) == Some(&true)));
                char::from(if value < 40 { value + 48 } else { value + 56 })
            })
            .collect();
        let body = format!("AIVDM,1,1,,A,{payload},{fill}");
        let checksum = body.bytes().fold(0u8, |sum, b| sum ^ b);
        format!("!{body}*{checksum:02X}")
    }
}

/// A position report (type 1) and the name and call sign (type 24 parts A and B) of a vessel.
fn vessel_nmea(lon: f64, lat: f64) -> String {
    let minutes = |deg: f64| (deg * 600_000.0).round() as i64;
    let position = AisBits::default()
        .int(1, 6) // type
        .int(0, 2) // repeat
        .int(MMSI, 30)
        .int(0, 4) // under way using engine
        .int(-128, 8) // no rate of turn
        .int(85, 10) // 8.5 kn
        .int(1, 1)
        .int(minutes(lon), 28)
        .int(minutes(lat), 27)
        .int(1234, 12) // 123.4°
        .int(123, 9)
        .int(60, 6) // no time stamp
        .int(0, 25); // manoeuvre, spare, RAIM, radio
    let name = AisBits::default()
        .int(24, 6)
        .int(0, 2)
        .int(MMSI, 30)
        .int(0, 2) // part A
        .text("ZHE XIANG YU 7", 20)
        .int(0, 8);
    let callsign = AisBits::default()
        .int(24, 6)
        .int(0, 2)
        .int(MMSI, 30)
        .int(1, 2) // part B
        .int(30, 8) // fishing
        .text("", 7) // vendor id
        .text("BZX7", 7)
        .int(0, 36); // dimensions, spare
    [position, name, callsign].map(AisBits::sentence).join("\n") + "\n"
}

/// Runs `node web/test/browser.mjs`, killing it after `limit`; its status and standard output.
fn run_browser_test(base: &str, screenshot: &Path, limit: Duration) -> (Option<i32>, String) {
    run_node(
        &[
            "web/test/browser.mjs",
            base,
            DISPATCHER,
            "--screenshot",
            path(screenshot),
        ],
        limit,
    )
}

/// Runs `node ARGS…` in the repository, killing it after `limit`; its status and standard
/// output.
fn run_node(args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::new("node")
        .args(args)
        .current_dir(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (status, reader.join().unwrap())
}

/// Whether the browser side can run here; on CI (CI=true) anything missing fails the test.
fn browser_tools_available() -> bool {
    let playwright =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/node_modules/playwright-core");
    if !playwright.exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but {} is missing (scripts/build-web.sh installs it)",
            playwright.display()
        );
        eprintln!("skipping: playwright-core is not installed (scripts/build-web.sh)");
        return false;
    }
    tool_available("node") && tool_available("chromium")
}

#[test]
fn dispatcher_map_in_headless_chromium() {
    if !browser_tools_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(video) = boat_video(dir.path()) else {
        return;
    };
    // the camera starts with the server: the boat is on the map (and without AIS, alerted as
    // dark_vessel about 20 s after it is first seen) while the browser looks at the rest
    let server = Server::start(dir, &video);
    let (status, page) = server.request("GET", "/", None, "", "").unwrap();
    assert_eq!(status, 200);
    if !page.contains("/assets/app-") {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but the binary has no web bundle: run scripts/build-web.sh before cargo build"
        );
        eprintln!(
            "skipping: the coastwatch binary was built without web/dist (scripts/build-web.sh)"
        );
        return;
    }

    server.post_feature("risk_points", PLANNER, 121.57, 29.60, json!({"kind": "dock", "name": "Qiucun dock", "registered": true, "town": "Qiucun", "card": "none"}));
    server.post_feature("risk_points", PLANNER, 121.53, 29.55, json!({"kind": "oil_depot", "name": "Chunhu depot", "registered": false, "town": "Chunhu", "card": "yellow"}));
    server.post_feature("cameras", PLANNER, 121.63, 29.60, json!({"name": "Pier cam 1", "height_m": 12.0, "heading_deg": 180.0, "hfov_deg": 60.0, "range_m": 1500.0, "ptz": false, "town": "Qiucun"}));
    server.post_feature("vehicles", DISPATCHER, 121.58, 29.545, json!({"vehicle_id": "ZJB-0001", "plate": "ZJ B 0001", "class": "tank_truck", "town": "Qiucun"}));
    server.send(
        "/api/v1/ingest/ais",
        INGEST,
        "text/plain",
        &vessel_nmea(121.66, 29.565),
    );

    let out = tempfile::tempdir().unwrap();
    let screenshot = out.path().join("map.png");
    let base = format!("http://{}/", server.addr);
    let (status, stdout) = run_browser_test(&base, &screenshot, Duration::from_secs(240));
    eprintln!("browser.mjs: {stdout}");
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("browser.mjs printed no JSON ({e}); exit {status:?}"));
    let failed: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] != true)
        .collect();
    assert!(
        failed.is_empty() && status == Some(0),
        "failed checks (exit {status:?}): {failed:#?}\nserver log:\n{}",
        server.log_text()
    );
    for name in [
        "rendered risk_points",
        "rendered vessels",
        "canvas shows features",
        "vessel popup",
        "injected alert appears within 2 s",
        "acknowledge changes the status",
        "camera tracks rendered",
        "camera alert shows its snapshot",
        "camera track popup",
        "camera popup shows its latest frame",
        "evidence freed when the list is re-rendered",
        "a new case appears in the cases tab live",
        "cards tab shows the units with a card",
        "Chinese interface for a zh-CN browser",
        "inspection page on a phone",
        "no console errors",
    ] {
        assert!(
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == name),
            "check {name:?} did not run: {report}"
        );
    }
}

/// `coastwatch demo` as a Chinese official first sees it: within 60 s of the start an alert is
/// in the panel of headless Chromium with a `zh-CN` language, and the page speaks Chinese.
#[test]
fn the_demo_shows_an_alert_within_a_minute_in_chinese() {
    if !browser_tools_available() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    /// Kills the demo when the test ends, passed or not.
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let started = Instant::now();
    let _demo = Kill(
        Command::new(coastwatch_bin())
            .args(["demo", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}/");
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the demo did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = Duration::from_secs(60).saturating_sub(started.elapsed());
    let (status, stdout) = run_node(
        &["web/test/demo.mjs", &base, &left.as_millis().to_string()],
        Duration::from_secs(120),
    );
    eprintln!("demo.mjs: {stdout}");
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("demo.mjs printed no JSON ({e}); exit {status:?}"));
    assert!(report["ok"] == true && status == Some(0), "{report:#}");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "an alert in the panel before the deadline",
            "Chinese labels",
            "alert kind in Chinese"
        ]
    );
}
