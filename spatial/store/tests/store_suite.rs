//! One behavioural suite, run against both stores: a GeoPackage in a temp folder and PostGIS
//! in a fresh schema of the database at `COASTWATCH_TEST_PG` (scripts/test.sh sets it up).

use std::sync::atomic::{AtomicU32, Ordering};

use coastwatch_core::Feature;
use coastwatch_core::layer::Layer;
use coastwatch_core::model::FeatureId;
use coastwatch_fixtures::samples::sample;
use coastwatch_store::StoreError;
use coastwatch_store::{
    AuditEntry, Changes, GeoPackageStore, MAX_SNAPSHOT_BYTES, Photo, Position, PostgisStore, Query,
    Snapshot, Store, SubjectKind, TipContact, WatchChange, WatchEntry,
};
use geo::{Rect, coord};
use serde_json::json;

/// Opens a fresh store, and can reopen the same one (to check persistence).
trait Backend: Sized {
    type S: Store;
    async fn fresh(name: &str) -> Option<Self>;
    fn store(&self) -> &Self::S;
    async fn reopen(&self) -> Self::S;
}

struct Gpkg {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: GeoPackageStore,
}

impl Backend for Gpkg {
    type S = GeoPackageStore;
    async fn fresh(_: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.gpkg");
        let store = GeoPackageStore::open(&path).await.unwrap();
        Some(Self {
            _dir: dir,
            path,
            store,
        })
    }
    fn store(&self) -> &GeoPackageStore {
        &self.store
    }
    async fn reopen(&self) -> GeoPackageStore {
        GeoPackageStore::open(&self.path).await.unwrap()
    }
}

struct Pg {
    url: String,
    schema: String,
    store: PostgisStore,
}

/// The PostGIS test database, or `None` (with a note) outside CI when none is configured.
pub fn pg_url() -> Option<String> {
    match std::env::var("COASTWATCH_TEST_PG") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but COASTWATCH_TEST_PG is not set")
        }
        Err(_) => {
            eprintln!(
                "skipping PostGIS test: COASTWATCH_TEST_PG is not set (scripts/test.sh sets it)"
            );
            None
        }
    }
}

static SCHEMA_SEQ: AtomicU32 = AtomicU32::new(0);

impl Backend for Pg {
    type S = PostgisStore;
    async fn fresh(name: &str) -> Option<Self> {
        let url = pg_url()?;
        let schema = format!(
            "t_{name}_{}_{}",
            std::process::id(),
            SCHEMA_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let store = PostgisStore::connect_in_schema(&url, Some(&schema))
            .await
            .expect("PostGIS test database reachable");
        Some(Self { url, schema, store })
    }
    fn store(&self) -> &PostgisStore {
        &self.store
    }
    async fn reopen(&self) -> PostgisStore {
        PostgisStore::connect_in_schema(&self.url, Some(&self.schema))
            .await
            .unwrap()
    }
}

fn id(n: i64) -> FeatureId {
    FeatureId::try_from(n).unwrap()
}

async fn every_layer_round_trips<B: Backend>(b: B) {
    let store = b.store();
    for layer in Layer::ALL {
        let features = vec![sample(*layer, 1), sample(*layer, 2)];
        let ids = store.insert(*layer, features.clone()).await.unwrap();
        assert_eq!(ids.len(), 2);
        for (feature, id) in features.iter().zip(&ids) {
            let back = store
                .get(*layer, *id)
                .await
                .unwrap()
                .expect("stored feature is found");
            assert_eq!(back, feature.clone().with_id(*id), "{layer} round trip");
        }
        assert_eq!(
            store.count(*layer, &Query::default()).await.unwrap(),
            2,
            "{layer}"
        );
    }
    let reopened = b.reopen().await;
    for layer in Layer::ALL {
        let all = reopened.query(*layer, &Query::default()).await.unwrap();
        assert_eq!(all.len(), 2, "{layer} after reopening");
        assert_eq!(all[0].properties, sample(*layer, 1).properties);
    }
}

async fn queries_filter_and_page<B: Backend>(b: B) {
    let store = b.store();
    let features: Vec<Feature> = (0..25).map(|n| sample(Layer::VesselTracks, n)).collect();
    store.insert(Layer::VesselTracks, features).await.unwrap();

    // sample n spans lon 121.60+n/1000 .. 121.63+n/1000
    let bbox = Rect::new(
        coord! { x: 121.0, y: 29.0 },
        coord! { x: 121.6035, y: 29.9 },
    );
    let hits = store
        .query(
            Layer::VesselTracks,
            &Query {
                bbox: Some(bbox),
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 4, "tracks 0..=3 start west of 121.6035");

    let far = Rect::new(coord! { x: 10.0, y: 10.0 }, coord! { x: 11.0, y: 11.0 });
    assert_eq!(
        store
            .count(
                Layer::VesselTracks,
                &Query {
                    bbox: Some(far),
                    ..Query::default()
                }
            )
            .await
            .unwrap(),
        0
    );

    // sample n spans t 1_790_000_000 + 600n .. +300
    let time = Query {
        time: Some((1_790_000_000 + 600 * 10 + 100, 1_790_000_000 + 600 * 12)),
        ..Query::default()
    };
    let in_window = store.query(Layer::VesselTracks, &time).await.unwrap();
    let starts: Vec<_> = in_window
        .iter()
        .map(|f| f.properties["t_start"].as_i64().unwrap())
        .collect();
    assert_eq!(starts, vec![1_790_006_000, 1_790_006_600, 1_790_007_200]);

    let page = Query {
        limit: Some(10),
        offset: 20,
        ..Query::default()
    };
    assert_eq!(
        store.query(Layer::VesselTracks, &page).await.unwrap().len(),
        5
    );
    assert_eq!(
        store.count(Layer::VesselTracks, &page).await.unwrap(),
        25,
        "count ignores paging"
    );

    store
        .insert(
            Layer::RiskPoints,
            (0..6).map(|n| sample(Layer::RiskPoints, n)).collect(),
        )
        .await
        .unwrap();
    let registered = Query {
        equals: vec![("registered".into(), json!(true))],
        ..Query::default()
    };
    assert_eq!(
        store.count(Layer::RiskPoints, &registered).await.unwrap(),
        3
    );
    let bad = Query {
        equals: vec![("colour".into(), json!("red"))],
        ..Query::default()
    };
    assert!(
        store
            .query(Layer::RiskPoints, &bad)
            .await
            .unwrap_err()
            .to_string()
            .contains("no filterable attribute")
    );
    let no_time = Query {
        time: Some((0, 1)),
        ..Query::default()
    };
    assert!(store.query(Layer::RiskPoints, &no_time).await.is_err());
}

async fn replace_delete_and_missing<B: Backend>(b: B) {
    let store = b.store();
    let ids = store
        .insert(Layer::Cameras, vec![sample(Layer::Cameras, 1)])
        .await
        .unwrap();
    let mut changed = sample(Layer::Cameras, 5);
    changed
        .properties
        .insert("heading_deg".into(), json!(200.0));
    assert!(
        store
            .replace(Layer::Cameras, ids[0], changed.clone())
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get(Layer::Cameras, ids[0])
            .await
            .unwrap()
            .unwrap()
            .properties["heading_deg"],
        200.0
    );
    assert!(
        !store
            .replace(Layer::Cameras, id(999), changed)
            .await
            .unwrap()
    );

    let moved = Rect::new(
        coord! { x: 121.554, y: 29.59 },
        coord! { x: 121.556, y: 29.61 },
    );
    assert_eq!(
        store
            .count(
                Layer::Cameras,
                &Query {
                    bbox: Some(moved),
                    ..Query::default()
                }
            )
            .await
            .unwrap(),
        1,
        "index follows the new position"
    );

    assert!(store.delete(Layer::Cameras, ids[0]).await.unwrap());
    assert!(!store.delete(Layer::Cameras, ids[0]).await.unwrap());
    assert!(store.get(Layer::Cameras, ids[0]).await.unwrap().is_none());
    assert_eq!(
        store
            .count(
                Layer::Cameras,
                &Query {
                    bbox: Some(moved),
                    ..Query::default()
                }
            )
            .await
            .unwrap(),
        0
    );
}

async fn batches_are_all_or_nothing<B: Backend>(b: B) {
    let store = b.store();
    let mut broken = sample(Layer::RiskPoints, 2);
    broken.properties.insert("kind".into(), json!("castle"));
    let err = store
        .insert(
            Layer::RiskPoints,
            vec![sample(Layer::RiskPoints, 1), broken],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { index: 1, .. }), "{err}");
    assert_eq!(
        store
            .count(Layer::RiskPoints, &Query::default())
            .await
            .unwrap(),
        0
    );

    let taken = store
        .insert(
            Layer::Vessels,
            vec![sample(Layer::Vessels, 1).with_id(id(412_345_679))],
        )
        .await
        .unwrap();
    assert_eq!(taken, vec![id(412_345_679)]);
    let err = store
        .insert(
            Layer::Vessels,
            vec![
                sample(Layer::Vessels, 2).with_id(id(7)),
                sample(Layer::Vessels, 3).with_id(id(412_345_679)),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                id: 412_345_679,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        store
            .count(Layer::Vessels, &Query::default())
            .await
            .unwrap(),
        1,
        "the batch left nothing behind"
    );
    // an id chosen by the caller does not make later automatic ids collide
    let auto = store
        .insert(Layer::Vessels, vec![sample(Layer::Vessels, 4)])
        .await
        .unwrap();
    assert!(auto[0].get() > 412_345_679);

    let mut moved = sample(Layer::Vessels, 9).with_id(id(412_345_679));
    moved.properties.insert("sog_kn".into(), json!(0.5));
    store
        .upsert(
            Layer::Vessels,
            vec![moved, sample(Layer::Vessels, 8).with_id(id(100))],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get(Layer::Vessels, id(412_345_679))
            .await
            .unwrap()
            .unwrap()
            .properties["sog_kn"],
        0.5
    );
    assert_eq!(
        store
            .count(Layer::Vessels, &Query::default())
            .await
            .unwrap(),
        3
    );
}

async fn positions_append_and_replay<B: Backend>(b: B) {
    let store = b.store();
    let fix = |id: &str, t: f64| Position {
        kind: SubjectKind::Vessel,
        subject_id: id.into(),
        t_epoch_s: t,
        lon: 121.6,
        lat: 29.5 + t / 1e7,
        speed_mps: Some(3.2),
        course_deg: None,
        heading_deg: Some(90.0),
    };
    let fixes = |positions: Vec<Position>| Changes {
        positions,
        ..Changes::default()
    };
    store
        .commit(fixes(vec![
            fix("1", 100.0),
            fix("2", 50.5),
            fix("1", 200.0),
        ]))
        .await
        .unwrap();
    store
        .commit(fixes(vec![fix("1", 100.0), fix("3", 300.0)]))
        .await
        .unwrap();
    let all = store.positions_since(0.0).await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.t_epoch_s).collect::<Vec<_>>(),
        vec![50.5, 100.0, 200.0, 300.0],
        "duplicate skipped, time order"
    );
    assert_eq!(all[1], fix("1", 100.0));
    assert_eq!(
        b.reopen().await.positions_since(150.0).await.unwrap().len(),
        2
    );
    // a span of time, its end left out, and the first and last times
    let between = store.positions_between(100.0, 300.0).await.unwrap();
    assert_eq!(
        between.iter().map(|p| p.t_epoch_s).collect::<Vec<_>>(),
        vec![100.0, 200.0]
    );
    assert_eq!(store.positions_span().await.unwrap(), Some((50.5, 300.0)));
}

/// A fix of truck 7, to commit with other changes.
fn truck_fix() -> Position {
    Position {
        kind: SubjectKind::Vehicle,
        subject_id: "truck-7".into(),
        t_epoch_s: 1000.0,
        lon: 121.6,
        lat: 29.5,
        speed_mps: None,
        course_deg: None,
        heading_deg: None,
    }
}

async fn a_commit_is_all_or_nothing<B: Backend>(b: B) {
    let store = b.store();
    let fix = truck_fix();
    let vessel = |n, sog: f64| {
        let mut f = sample(Layer::Vessels, n).with_id(id(412_000_001));
        f.properties.insert("sog_kn".into(), json!(sog));
        f
    };
    // a bad feature in the second layer refuses the fixes and the first layer too
    let mut broken = sample(Layer::Alerts, 0).with_id(id(5));
    broken.properties.remove("kind");
    let mut changes = Changes {
        positions: vec![fix.clone()],
        ..Changes::default()
    };
    changes.upsert(Layer::Vessels, vec![vessel(1, 3.0)]);
    changes.upsert(Layer::Alerts, vec![broken]);
    assert!(matches!(
        store.commit(changes).await,
        Err(StoreError::Invalid { index: 0, .. })
    ));
    assert!(store.positions_since(0.0).await.unwrap().is_empty());
    assert_eq!(
        store.positions_span().await.unwrap(),
        None,
        "no fix: no span"
    );
    assert_eq!(
        store
            .count(Layer::Vessels, &Query::default())
            .await
            .unwrap(),
        0
    );

    // the same id twice in one upsert: the last one wins
    let mut changes = Changes {
        positions: vec![fix],
        ..Changes::default()
    };
    changes.upsert(Layer::Vessels, vec![vessel(1, 3.0), vessel(2, 7.5)]);
    changes.upsert(Layer::Vehicles, Vec::new());
    assert_eq!(changes.upserts.len(), 1, "an empty upsert is left out");
    store.commit(changes).await.unwrap();
    assert_eq!(store.positions_since(0.0).await.unwrap().len(), 1);
    let stored = store
        .query(Layer::Vessels, &Query::default())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].properties["sog_kn"], 7.5);
}

async fn large_batches_keep_their_order<B: Backend>(b: B) {
    let store = b.store();
    let features: Vec<Feature> = (0..1234).map(|n| sample(Layer::RiskPoints, n)).collect();
    let ids = store.insert(Layer::RiskPoints, features).await.unwrap();
    assert_eq!(ids.len(), 1234);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    for n in [0usize, 499, 500, 1001, 1233] {
        let f = store.get(Layer::RiskPoints, ids[n]).await.unwrap().unwrap();
        assert_eq!(
            f.properties["name"],
            format!("Pier {n}"),
            "id {} belongs to feature {n}",
            ids[n]
        );
    }
    let corner = Rect::new(
        coord! { x: 121.5205, y: 29.5 },
        coord! { x: 121.5215, y: 29.7 },
    );
    assert_eq!(
        store
            .count(
                Layer::RiskPoints,
                &Query {
                    bbox: Some(corner),
                    ..Query::default()
                }
            )
            .await
            .unwrap(),
        1,
        "indexed"
    );
}

/// Bytes that pass for a JPEG: the SOI marker, then `len - 2` copies of `fill`.
fn jpeg(fill: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8];
    bytes.resize(len, fill);
    bytes
}

async fn snapshots_are_stored_with_their_alert<B: Backend>(b: B) {
    let store = b.store();
    let alert = sample(Layer::Alerts, 1).with_id(id(41));
    let first = Snapshot {
        alert_id: id(41),
        frame_jpeg: jpeg(1, 50_000),
        crop_jpeg: jpeg(2, 3_000),
    };
    let mut changes = Changes {
        snapshots: vec![first.clone()],
        ..Changes::default()
    };
    assert!(!changes.is_empty(), "a snapshot is something to store");
    changes.upsert(Layer::Alerts, vec![alert.clone()]);
    store.commit(changes).await.unwrap();
    assert_eq!(store.snapshot(id(41)).await.unwrap(), Some(first.clone()));
    assert_eq!(store.get(Layer::Alerts, id(41)).await.unwrap(), Some(alert));
    assert_eq!(
        store.snapshot(id(42)).await.unwrap(),
        None,
        "an alert without a snapshot"
    );

    // a second snapshot of the same alert replaces the first; 4 MiB together is allowed
    let second = Snapshot {
        frame_jpeg: jpeg(3, MAX_SNAPSHOT_BYTES - 700),
        crop_jpeg: jpeg(4, 700),
        ..first
    };
    store
        .commit(Changes {
            snapshots: vec![second.clone()],
            ..Changes::default()
        })
        .await
        .unwrap();
    assert_eq!(store.snapshot(id(41)).await.unwrap(), Some(second.clone()));
    assert_eq!(
        b.reopen().await.snapshot(id(41)).await.unwrap(),
        Some(second)
    );
}

async fn a_bad_snapshot_stores_nothing_of_its_commit<B: Backend>(b: B) {
    let store = b.store();
    let fix = Position {
        kind: SubjectKind::CameraTrack,
        subject_id: "cam-1/7".into(),
        t_epoch_s: 1000.0,
        lon: 121.6,
        lat: 29.5,
        speed_mps: None,
        course_deg: None,
        heading_deg: None,
    };
    let good = |alert| Snapshot {
        alert_id: id(alert),
        frame_jpeg: jpeg(1, 2_000),
        crop_jpeg: jpeg(2, 500),
    };
    let png = b"\x89PNG\r\n\x1a\n".to_vec();
    let bad = [
        (
            "not a JPEG",
            Snapshot {
                frame_jpeg: png.clone(),
                ..good(7)
            },
        ),
        (
            "crop not a JPEG",
            Snapshot {
                crop_jpeg: png,
                ..good(7)
            },
        ),
        (
            "empty frame",
            Snapshot {
                frame_jpeg: Vec::new(),
                ..good(7)
            },
        ),
        (
            "empty crop",
            Snapshot {
                crop_jpeg: Vec::new(),
                ..good(7)
            },
        ),
        (
            "half a marker",
            Snapshot {
                crop_jpeg: vec![0xFF],
                ..good(7)
            },
        ),
        (
            "over 4 MiB",
            Snapshot {
                frame_jpeg: jpeg(5, MAX_SNAPSHOT_BYTES - 699),
                crop_jpeg: jpeg(6, 700),
                ..good(7)
            },
        ),
    ];
    for (case, snapshot) in bad {
        let mut changes = Changes {
            positions: vec![fix.clone()],
            snapshots: vec![good(6), snapshot],
            ..Changes::default()
        };
        changes.upsert(
            Layer::Alerts,
            vec![
                sample(Layer::Alerts, 1).with_id(id(6)),
                sample(Layer::Alerts, 2).with_id(id(7)),
            ],
        );
        let err = store.commit(changes).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid { index: 1, .. }),
            "{case}: {err}"
        );
        assert!(err.to_string().contains("alert 7"), "{case}: {err}");
        for alert in [6, 7] {
            assert_eq!(
                store.get(Layer::Alerts, id(alert)).await.unwrap(),
                None,
                "{case}"
            );
            assert_eq!(store.snapshot(id(alert)).await.unwrap(), None, "{case}");
        }
        assert!(
            store.positions_since(0.0).await.unwrap().is_empty(),
            "{case}"
        );
    }
}

async fn audit_entries_and_contacts_commit_with_their_change<B: Backend>(b: B) {
    let store = b.store();
    let case = sample(Layer::Cases, 1).with_id(id(5));
    let entry = |action: &str, at: i64| AuditEntry {
        id: 0,
        at,
        user: "li".into(),
        action: action.into(),
        target: "cases/5".into(),
        before: None,
        after: Some(json!({"status": "open"})),
    };
    let mut changes = Changes {
        audit: vec![entry("case.open", 1_000)],
        contacts: vec![TipContact {
            tip: "tip-1".into(),
            contact: "138 0000 0000".into(),
        }],
        ..Changes::default()
    };
    assert!(!changes.is_empty());
    changes.upsert(Layer::Cases, vec![case]);
    store.commit(changes).await.unwrap();

    // a commit that fails stores none of its audit entries
    let mut bad = sample(Layer::Cases, 2);
    bad.properties.insert("title".into(), json!(" "));
    let mut failing = Changes {
        audit: vec![entry("case.note", 2_000)],
        ..Changes::default()
    };
    failing.upsert(Layer::Cases, vec![bad.with_id(id(6))]);
    assert!(store.commit(failing).await.is_err());
    store
        .commit(Changes {
            audit: vec![entry("case.close", 3_000)],
            ..Changes::default()
        })
        .await
        .unwrap();

    let log = b.reopen().await.audit(0, 10).await.unwrap();
    let actions: Vec<(&str, i64)> = log.iter().map(|e| (e.action.as_str(), e.at)).collect();
    assert_eq!(actions, [("case.open", 1_000), ("case.close", 3_000)]);
    assert!(log[0].id < log[1].id);
    assert_eq!(log[0].after, Some(json!({"status": "open"})));
    assert_eq!(log[0].before, None);
    assert_eq!(store.audit(2_000, 10).await.unwrap().len(), 1, "since");
    assert_eq!(store.audit(0, 1).await.unwrap().len(), 1, "limit");
    assert_eq!(
        store.tip_contact("tip-1").await.unwrap().as_deref(),
        Some("138 0000 0000")
    );
    assert_eq!(store.tip_contact("tip-2").await.unwrap(), None);

    // inspection photos: stored with their commit; one that is no JPEG stores nothing
    let photo = |n: u32, jpeg: Vec<u8>| Photo {
        inspection_id: id(9),
        n,
        jpeg,
    };
    let bad = Changes {
        photos: vec![photo(0, jpeg(5, 100)), photo(1, b"GIF89a".to_vec())],
        ..Changes::default()
    };
    assert!(store.commit(bad).await.is_err());
    assert_eq!(store.photo(id(9), 0).await.unwrap(), None);
    store
        .commit(Changes {
            photos: vec![photo(0, jpeg(5, 100)), photo(1, jpeg(6, 50))],
            ..Changes::default()
        })
        .await
        .unwrap();
    assert_eq!(
        b.reopen().await.photo(id(9), 1).await.unwrap(),
        Some(jpeg(6, 50))
    );
    assert_eq!(store.photo(id(9), 2).await.unwrap(), None);
}

async fn the_watchlist_changes_with_its_commit<B: Backend>(b: B) {
    let store = b.store();
    let entry = |plate: &str, reason: &str| {
        WatchChange::Put(WatchEntry {
            plate: plate.into(),
            reason: reason.into(),
            added_by: "wang".into(),
            added_at: 1_000,
        })
    };
    store
        .commit(Changes {
            watchlist: vec![entry("浙B12345", "冷链"), entry("浙C00001", "成品油")],
            ..Changes::default()
        })
        .await
        .unwrap();
    // a failing commit changes nothing of the list
    let mut bad = sample(Layer::Cases, 2);
    bad.properties.insert("title".into(), json!(" "));
    let mut failing = Changes {
        watchlist: vec![WatchChange::Remove("浙B12345".into())],
        ..Changes::default()
    };
    failing.upsert(Layer::Cases, vec![bad.with_id(id(6))]);
    assert!(store.commit(failing).await.is_err());
    store
        .commit(Changes {
            watchlist: vec![
                entry("浙B12345", "冷链走私"),
                WatchChange::Remove("浙C00001".into()),
            ],
            ..Changes::default()
        })
        .await
        .unwrap();
    let list = b.reopen().await.watchlist().await.unwrap();
    let plates: Vec<(&str, &str)> = list
        .iter()
        .map(|e| (e.plate.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(plates, [("浙B12345", "冷链走私")]);
    assert_eq!(list[0].added_by, "wang");
}

/// A refresh writes only its columns: what a user changed in the other columns of the row
/// stays, and a row deleted meanwhile is not brought back.
async fn a_refresh_writes_only_its_columns<B: Backend>(b: B) {
    let store = b.store();
    let ids = store
        .insert(
            Layer::Vehicles,
            vec![sample(Layer::Vehicles, 1), sample(Layer::Vehicles, 2)],
        )
        .await
        .unwrap();
    // a user's edit of the first vehicle that the server's picture has not taken yet
    let mut edited = store.get(Layer::Vehicles, ids[0]).await.unwrap().unwrap();
    edited
        .properties
        .insert("plate".into(), json!("浙B-EDITED"));
    assert!(
        store
            .replace(Layer::Vehicles, ids[0], edited)
            .await
            .unwrap()
    );
    // and the second deleted
    assert!(store.delete(Layer::Vehicles, ids[1]).await.unwrap());
    // the server's rows from its older picture: its last positions
    let live = |n: u32, id: FeatureId| {
        let mut f = sample(Layer::Vehicles, n).with_id(id);
        f.geometry = Some(geo::Point::new(121.9, 29.9).into());
        f.properties.insert("plate".into(), json!("浙B-OLD"));
        f.properties
            .insert("last_seen".into(), json!(1_800_000_000));
        f.properties.insert("speed_kmh".into(), json!(42.5));
        f
    };
    let mut changes = Changes::default();
    changes.refresh(
        Layer::Vehicles,
        vec![live(1, ids[0]), live(2, ids[1])],
        &["geom", "last_seen", "speed_kmh"],
    );
    store.commit(changes).await.unwrap();
    let stored = store.get(Layer::Vehicles, ids[0]).await.unwrap().unwrap();
    assert_eq!(stored.properties["plate"], "浙B-EDITED", "the edit stays");
    assert_eq!(stored.properties["last_seen"], 1_800_000_000);
    assert_eq!(stored.properties["speed_kmh"], 42.5);
    assert_eq!(stored.geometry, Some(geo::Point::new(121.9, 29.9).into()));
    assert!(
        store.get(Layer::Vehicles, ids[1]).await.unwrap().is_none(),
        "not brought back"
    );
    // the box search finds the row where it moved
    let there = Query {
        bbox: Some(geo::Rect::new((121.85, 29.85), (121.95, 29.95))),
        ..Query::default()
    };
    assert_eq!(store.count(Layer::Vehicles, &there).await.unwrap(), 1);
    // a column the layer does not have is refused, and nothing of the commit is stored
    let mut changes = Changes {
        positions: vec![truck_fix()],
        ..Changes::default()
    };
    changes.refresh(Layer::Vehicles, vec![live(1, ids[0])], &["sog_kn"]);
    assert!(matches!(
        store.commit(changes).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(store.positions_since(0.0).await.unwrap().is_empty());
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod geopackage {
            $(#[tokio::test] async fn $test() { if let Some(b) = <super::Gpkg as super::Backend>::fresh(stringify!($test)).await { super::$test(b).await } })*
        }
        mod postgis {
            $(#[tokio::test] async fn $test() { if let Some(b) = <super::Pg as super::Backend>::fresh(stringify!($test)).await { super::$test(b).await } })*
        }
    };
}

suite!(
    every_layer_round_trips,
    queries_filter_and_page,
    replace_delete_and_missing,
    batches_are_all_or_nothing,
    positions_append_and_replay,
    a_commit_is_all_or_nothing,
    large_batches_keep_their_order,
    snapshots_are_stored_with_their_alert,
    a_bad_snapshot_stores_nothing_of_its_commit,
    audit_entries_and_contacts_commit_with_their_change,
    the_watchlist_changes_with_its_commit,
    a_refresh_writes_only_its_columns
);

#[tokio::test]
async fn the_geopackage_audit_log_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.gpkg");
    let store = GeoPackageStore::open(&path).await.unwrap();
    store
        .commit(Changes {
            audit: vec![AuditEntry {
                id: 0,
                at: 1,
                user: "li".into(),
                action: "case.open".into(),
                target: "cases/1".into(),
                before: None,
                after: None,
            }],
            ..Changes::default()
        })
        .await
        .unwrap();
    store.close().await;
    let url = format!("sqlite://{}", path.display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    for statement in [
        "UPDATE audit_log SET user_name = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let error = sqlx::query(statement).execute(&mut conn).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{error}");
    }
}

#[tokio::test]
async fn unreachable_postgis_is_a_clear_error() {
    let err = PostgisStore::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cannot open store postgres://nobody:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("secret"));
}

#[tokio::test]
async fn files_that_are_not_geopackages_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.gpkg");
    let content = "this is not a database, just some text that is long enough to be a page header";
    std::fs::write(&text, content).unwrap();
    let err = GeoPackageStore::open(&text).await.unwrap_err().to_string();
    assert!(err.contains("is not a usable GeoPackage"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        content,
        "left untouched"
    );

    let missing_dir = dir.path().join("nope").join("x.gpkg");
    let err = GeoPackageStore::open(&missing_dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test]
async fn a_geopackage_of_an_older_version_gets_the_new_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.gpkg");
    let store = GeoPackageStore::open(&path).await.unwrap();
    store.close().await;
    // as written before vehicles had a terminal
    let url = format!("sqlite://{}", path.display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE vehicles DROP COLUMN terminal_id")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::Connection::close(conn).await.unwrap();

    let store = GeoPackageStore::open(&path).await.unwrap();
    let vehicle = sample(Layer::Vehicles, 1);
    let ids = store
        .insert(Layer::Vehicles, vec![vehicle.clone()])
        .await
        .unwrap();
    let back = store.get(Layer::Vehicles, ids[0]).await.unwrap().unwrap();
    assert_eq!(
        back.properties["terminal_id"],
        vehicle.properties["terminal_id"]
    );
}
