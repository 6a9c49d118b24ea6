//! Faults of the environment: the store's filesystem fills up during ingest.
//!
//! The server runs as its own process over a GeoPackage on a small tmpfs that the test
//! mounts (it needs root: CI runs as root; elsewhere the test skips unless CI=true). While
//! the disk is full, writes must be refused (503), never acknowledged and lost; once space
//! returns, ingest must resume without a restart; and after `kill -9`, everything that was
//! acknowledged must be in the file.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use coastwatch_ais::encode::{PositionReport, sentences, with_time};
use coastwatch_store::{GeoPackageStore, Store};
use coastwatch_tests::{free_port, http_request, spawn_serve};

const FEED: &str = "feed-secret-token";

/// A tmpfs of `size_mib` mounted on a fresh folder, unmounted on drop.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size_mib: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but a tmpfs cannot be mounted (the test needs root)"
            );
            eprintln!("skipping: cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(Self(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes a file until the filesystem is full.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.path().join("filler")).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.path().join("filler")).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// The subjects (MMSIs) of every fix in `store`.
async fn stored_subjects(store: &impl Store) -> BTreeSet<u32> {
    let positions = store.positions_since(0.0).await.unwrap();
    positions
        .iter()
        .map(|p| p.subject_id.parse().unwrap())
        .collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One tag-blocked position report per MMSI, stamped now: each fix is its own vessel, so
/// that a fix can be found again by its MMSI.
fn fixes(mmsis: impl IntoIterator<Item = u32>) -> String {
    let t = now();
    mmsis
        .into_iter()
        .map(|mmsi| {
            let report = PositionReport {
                mmsi,
                nav_status: 0,
                lon: 121.5 + f64::from(mmsi % 1000) * 0.0002,
                lat: 29.6,
                sog_kn: 6.0,
                cog_deg: 90.0,
                heading_deg: None,
                second: 0,
            };
            with_time(&sentences(&report.bits(), 'A', 0)[0], t) + "\n"
        })
        .collect()
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &Path, store: &Path, ais_port: u16) -> Self {
        let config = dir.join("cw.toml");
        std::fs::write(
            &config,
            format!(
                "[ais]\ntcp_listen = \"127.0.0.1:{ais_port}\"\n\
                 [[auth.tokens]]\ntoken = \"{FEED}\"\nuser = \"ais\"\nroles = [\"ingest\"]\n"
            ),
        )
        .unwrap();
        // the store may refuse writes from the start: any answer of /healthz will do
        let (child, addr) = spawn_serve(&config, store);
        let server = Self { child, addr };
        let started = Instant::now();
        while server.get("/healthz").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn get(&self, path: &str) -> Option<(u16, String)> {
        http_request(&self.addr, "GET", path, None, "application/json", "")
    }

    fn post_ais(&self, body: &str) -> u16 {
        http_request(
            &self.addr,
            "POST",
            "/api/v1/ingest/ais",
            Some(FEED),
            "text/plain",
            body,
        )
        .map_or(0, |(status, _)| status)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_writes_loses_no_acknowledged_fix_and_recovers_by_itself() {
    let Some(disk) = Tmpfs::mount(12) else {
        return;
    };
    let config_dir = tempfile::tempdir().unwrap();
    let store = disk.path().join("cw.gpkg");
    let ais_port = free_port();
    let mut server = Server::start(config_dir.path(), &store, ais_port);
    let mut acknowledged: BTreeSet<u32> = BTreeSet::new();
    let mut refused = 0;
    let mut next = 412_000_000u32;
    let refused_mmsi = std::cell::Cell::new(None);
    let mut batch = |server: &Server, acknowledged: &mut BTreeSet<u32>, n: u32| {
        let mmsis: Vec<u32> = (next..next + n).collect();
        next += n;
        let status = server.post_ais(&fixes(mmsis.iter().copied()));
        if status == 200 {
            acknowledged.extend(mmsis);
        } else {
            refused_mmsi.set(Some(mmsis[0]));
        }
        status
    };

    for _ in 0..10 {
        assert_eq!(
            batch(&server, &mut acknowledged, 20),
            200,
            "before the disk is full"
        );
    }

    // a TCP feed sends throughout; it must pause while the disk is full, not lose lines
    let mut feed = TcpStream::connect(("127.0.0.1", ais_port)).unwrap();
    feed.set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let tcp_mmsis: Vec<u32> = (300_000_000..300_000_400).collect();
    feed.write_all(fixes(tcp_mmsis[..200].iter().copied()).as_bytes())
        .unwrap();

    disk.fill();
    let full_since = Instant::now();
    let mut statuses = BTreeSet::new();
    // enough fixes to outgrow whatever room the WAL still has
    while refused < 5 && full_since.elapsed() < Duration::from_secs(60) {
        let status = batch(&server, &mut acknowledged, 100);
        statuses.insert(status);
        if status == 503 {
            refused += 1;
        }
    }
    assert!(
        refused >= 5,
        "a full disk must refuse writes with 503; got {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 503].contains(s)),
        "only stored (200) or refused (503) while full: {statuses:?}"
    );
    // a probe write may still find room in the WAL now and then: ask a few times
    let health = (0..50)
        .filter_map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            server.get("/healthz")
        })
        .find(|(status, _)| *status == 503);
    assert!(
        health.is_some_and(|(_, body)| body.contains("store_error")),
        "/healthz says that the store cannot write"
    );
    // what was refused is not in the picture either
    let refused_mmsi = refused_mmsi.get().expect("a batch was refused");
    let (_, body) = server
        .get(&format!(
            "/ogc/collections/vessels/items?mmsi={refused_mmsi}&f=json"
        ))
        .unwrap();
    assert!(
        body.contains(r#""numberMatched":0"#),
        "a refused fix is shown: {body}"
    );
    feed.write_all(fixes(tcp_mmsis[200..].iter().copied()).as_bytes())
        .unwrap();

    disk.free();
    let freed = Instant::now();
    loop {
        let status = batch(&server, &mut acknowledged, 20);
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "refused, not failed, until the store recovers");
        assert!(
            freed.elapsed() < Duration::from_secs(30),
            "ingest did not resume by itself after space returned"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let resumed_ms = freed.elapsed().as_millis();
    for _ in 0..10 {
        assert_eq!(batch(&server, &mut acknowledged, 20), 200, "after recovery");
    }
    drop(feed);
    // the paused TCP feed catches up: its lines reach the picture (each line a vessel)
    let waited = Instant::now();
    loop {
        let (_, body) = server
            .get("/ogc/collections/vessels/items?limit=1&f=json")
            .unwrap();
        let matched = serde_json::from_str::<serde_json::Value>(&body).unwrap()["numberMatched"]
            .as_u64()
            .unwrap_or(0);
        if matched as usize >= acknowledged.len() + tcp_mmsis.len() {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the TCP feed's lines never arrived: {matched} vessels"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let reopened = GeoPackageStore::open(&store).await.unwrap();
    let stored: BTreeSet<u32> = stored_subjects(&reopened).await;
    eprintln!(
        "full disk: {} fixes acknowledged, {refused} batches refused while full, {} fixes stored, ingest resumed {} ms after space returned",
        acknowledged.len(),
        stored.len(),
        resumed_ms
    );
    let lost: Vec<&u32> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged fixes lost: {lost:?}",
        lost.len()
    );
    let lost_tcp: Vec<&u32> = tcp_mmsis.iter().filter(|m| !stored.contains(m)).collect();
    assert!(lost_tcp.is_empty(), "{} TCP lines lost", lost_tcp.len());
}

/// What a run of commits gave: the fixes acknowledged and the commits that failed.
#[derive(Default)]
struct Ledger {
    acknowledged: BTreeSet<u32>,
    failed: u32,
    next: u32,
}

impl Ledger {
    /// Commits `rounds` batches of 200 fixes, each fix its own subject.
    async fn commit(&mut self, store: &GeoPackageStore, rounds: u32) {
        use coastwatch_store::{Changes, Position, SubjectKind};
        for _ in 0..rounds {
            let batch: Vec<u32> = (self.next..self.next + 200).collect();
            self.next += 200;
            let positions = batch
                .iter()
                .map(|&n| Position {
                    kind: SubjectKind::Vessel,
                    subject_id: n.to_string(),
                    t_epoch_s: f64::from(n),
                    lon: 121.5,
                    lat: 29.6,
                    speed_mps: None,
                    course_deg: None,
                    heading_deg: None,
                })
                .collect();
            let changes = Changes {
                positions,
                ..Changes::default()
            };
            match store.commit(changes).await {
                Ok(()) => self.acknowledged.extend(batch),
                Err(error) => {
                    assert!(
                        error.is_unavailable(),
                        "a full disk is 'unavailable': {error}"
                    );
                    self.failed += 1;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_commit_the_geopackage_acknowledges_on_a_full_disk_is_in_the_file() {
    let Some(disk) = Tmpfs::mount(4) else {
        return;
    };
    let path = disk.path().join("cw.gpkg");
    let store = GeoPackageStore::open(&path).await.unwrap();
    let mut ledger = Ledger::default();
    ledger.commit(&store, 5).await;
    disk.fill();
    ledger.commit(&store, 50).await;
    assert!(ledger.failed > 0, "the full disk made commits fail");
    disk.free();
    ledger.commit(&store, 5).await;
    assert!(
        ledger.acknowledged.contains(&(ledger.next - 1)),
        "commits succeed again once space is back"
    );
    // what a fresh connection reads is what was acknowledged, no more and no less
    let reader = GeoPackageStore::open(&path).await.unwrap();
    let stored: BTreeSet<u32> = stored_subjects(&reader).await;
    eprintln!(
        "store on a full disk: {} commits failed, {} fixes acknowledged, {} stored",
        ledger.failed,
        ledger.acknowledged.len(),
        stored.len()
    );
    assert_eq!(
        stored, ledger.acknowledged,
        "{} commits failed",
        ledger.failed
    );
}

/// Runs `pg_ctlcluster 15 main ACTION [-m immediate]` (the cluster scripts/start-postgis.sh
/// made).
fn postgresql(action: &str) -> bool {
    let mut command = Command::new("pg_ctlcluster");
    command.args(["--skip-systemctl-redirect", "15", "main", action]);
    if action == "stop" {
        command.args(["-m", "immediate"]); // like a crash: no checkpoint, clients cut off
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_postgresql_refuses_writes_and_ingest_resumes_when_it_is_back() {
    use coastwatch_server::auth::Role;
    use coastwatch_server::config::TokenConfig;
    use coastwatch_store::PostgisStore;
    use std::sync::Arc;

    let url = match std::env::var("COASTWATCH_TEST_PG") {
        Ok(url) => url,
        Err(_) => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but COASTWATCH_TEST_PG is not set"
            );
            return eprintln!("skipping: COASTWATCH_TEST_PG is not set");
        }
    };
    let schema = format!("faults_{}", std::process::id());
    let store: Arc<dyn Store> = Arc::new(
        PostgisStore::connect_in_schema(&url, Some(&schema))
            .await
            .unwrap(),
    );
    let mut config = coastwatch_tests::test_config();
    config
        .auth
        .tokens
        .push(TokenConfig::plain(FEED, "ais", vec![Role::Ingest]));
    let state = coastwatch_server::AppState::start(config, store.clone())
        .await
        .unwrap();
    let app = coastwatch_server::app(state);
    let post = async |mmsis: std::ops::Range<u32>| {
        use tower::ServiceExt;
        let request = axum::http::Request::post("/api/v1/ingest/ais")
            .header("authorization", format!("Bearer {FEED}"))
            .header("content-type", "text/plain")
            .body(axum::body::Body::from(fixes(mmsis)))
            .unwrap();
        app.clone()
            .oneshot(request)
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let mut acknowledged = BTreeSet::new();
    for n in 0..5u32 {
        let mmsis = 412_000_000 + n * 10..412_000_000 + n * 10 + 10;
        assert_eq!(post(mmsis.clone()).await, 200);
        acknowledged.extend(mmsis);
    }
    assert!(postgresql("stop"), "cannot stop PostgreSQL");
    let down = post(412_100_000..412_100_010).await;
    let restarted = postgresql("start");
    assert!(restarted, "cannot start PostgreSQL again");
    assert_eq!(
        down, 503,
        "a write while the database is down is refused as unavailable"
    );
    let back = Instant::now();
    let mut next = 412_200_000;
    loop {
        let status = post(next..next + 10).await;
        if status == 200 {
            acknowledged.extend(next..next + 10);
            break;
        }
        assert_eq!(
            status, 503,
            "refused, not failed, until the database is back"
        );
        assert!(
            back.elapsed() < Duration::from_secs(60),
            "ingest did not resume by itself"
        );
        next += 10;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let reader = PostgisStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    let stored: BTreeSet<u32> = stored_subjects(&reader).await;
    let lost: Vec<&u32> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged fixes lost: {lost:?}");
}

/// A GeoPackage whose reads fail while `failing` is set (a store that cannot be read for a
/// moment); writes go through.
struct FlakyReads {
    inner: GeoPackageStore,
    failing: std::sync::atomic::AtomicBool,
}

impl FlakyReads {
    fn check(&self) -> coastwatch_store::StoreResult<()> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(coastwatch_store::StoreError::Database(
                sqlx::Error::PoolTimedOut,
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for FlakyReads {
    async fn insert(
        &self,
        layer: coastwatch_core::Layer,
        features: Vec<coastwatch_core::Feature>,
    ) -> coastwatch_store::StoreResult<Vec<coastwatch_core::model::FeatureId>> {
        self.inner.insert(layer, features).await
    }
    async fn commit(
        &self,
        changes: coastwatch_store::Changes,
    ) -> coastwatch_store::StoreResult<()> {
        self.inner.commit(changes).await
    }
    async fn snapshot(
        &self,
        alert_id: coastwatch_core::model::FeatureId,
    ) -> coastwatch_store::StoreResult<Option<coastwatch_store::Snapshot>> {
        self.check()?;
        self.inner.snapshot(alert_id).await
    }
    async fn audit(
        &self,
        since: i64,
        limit: u64,
    ) -> coastwatch_store::StoreResult<Vec<coastwatch_store::AuditEntry>> {
        self.check()?;
        self.inner.audit(since, limit).await
    }
    async fn tip_contact(&self, tip: &str) -> coastwatch_store::StoreResult<Option<String>> {
        self.check()?;
        self.inner.tip_contact(tip).await
    }
    async fn watchlist(&self) -> coastwatch_store::StoreResult<Vec<coastwatch_store::WatchEntry>> {
        self.check()?;
        self.inner.watchlist().await
    }
    async fn photo(
        &self,
        inspection_id: coastwatch_core::model::FeatureId,
        n: u32,
    ) -> coastwatch_store::StoreResult<Option<Vec<u8>>> {
        self.check()?;
        self.inner.photo(inspection_id, n).await
    }
    async fn replace(
        &self,
        layer: coastwatch_core::Layer,
        id: coastwatch_core::model::FeatureId,
        feature: coastwatch_core::Feature,
    ) -> coastwatch_store::StoreResult<bool> {
        self.inner.replace(layer, id, feature).await
    }
    async fn delete(
        &self,
        layer: coastwatch_core::Layer,
        id: coastwatch_core::model::FeatureId,
    ) -> coastwatch_store::StoreResult<bool> {
        self.inner.delete(layer, id).await
    }
    async fn get(
        &self,
        layer: coastwatch_core::Layer,
        id: coastwatch_core::model::FeatureId,
    ) -> coastwatch_store::StoreResult<Option<coastwatch_core::Feature>> {
        self.check()?;
        self.inner.get(layer, id).await
    }
    async fn query(
        &self,
        layer: coastwatch_core::Layer,
        query: &coastwatch_store::Query,
    ) -> coastwatch_store::StoreResult<Vec<coastwatch_core::Feature>> {
        self.check()?;
        self.inner.query(layer, query).await
    }
    async fn count(
        &self,
        layer: coastwatch_core::Layer,
        query: &coastwatch_store::Query,
    ) -> coastwatch_store::StoreResult<u64> {
        self.inner.count(layer, query).await
    }
    async fn positions_between(
        &self,
        from: f64,
        to: f64,
    ) -> coastwatch_store::StoreResult<Vec<coastwatch_store::Position>> {
        self.inner.positions_between(from, to).await
    }
    async fn positions_span(&self) -> coastwatch_store::StoreResult<Option<(f64, f64)>> {
        self.inner.positions_span().await
    }
    async fn probe_write(&self) -> coastwatch_store::StoreResult<()> {
        self.inner.probe_write().await
    }
    async fn close(&self) {
        self.inner.close().await
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[tokio::test]
async fn a_stored_feature_is_acknowledged_once_even_when_reloading_the_picture_fails() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let flaky = Arc::new(FlakyReads {
        inner: GeoPackageStore::open(dir.path().join("cw.gpkg"))
            .await
            .unwrap(),
        failing: false.into(),
    });
    let config = coastwatch_tests::test_config();
    let state = coastwatch_server::AppState::start(config, flaky.clone())
        .await
        .unwrap();
    let app = coastwatch_server::app(state.clone());
    let fence = serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[121.60, 29.60], [121.62, 29.60], [121.62, 29.62], [121.60, 29.62], [121.60, 29.60]]]},
        "properties": {"name": "Closed area", "kind": "restricted_sea",
            "rule": {"detect": ["enter"], "severity": "critical"}}
    });
    flaky.failing.store(true, Ordering::SeqCst);
    let request = axum::http::Request::post("/api/v1/geofences")
        .header(
            "authorization",
            format!("Bearer {}", coastwatch_tests::DISPATCHER),
        )
        .header("content-type", "application/geo+json")
        .body(axum::body::Body::from(fence.to_string()))
        .unwrap();
    let status = tower::ServiceExt::oneshot(app, request)
        .await
        .unwrap()
        .status();
    flaky.failing.store(false, Ordering::SeqCst);
    assert_eq!(status, 201, "the fence is stored: the answer says so");
    let stored = flaky
        .inner
        .count(coastwatch_core::Layer::Geofences, &Default::default())
        .await
        .unwrap();
    assert_eq!(stored, 1);
    // the picture catches up by itself once the store reads again
    let started = Instant::now();
    while state
        .ingest
        .picture()
        .with_monitor(|m| m.fences().is_empty())
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the fence never reached the detectors"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
