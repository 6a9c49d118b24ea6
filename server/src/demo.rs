//! `coastwatch demo` and `coastwatch scenario`: the demo district, played live or exported
//! as files, and the evaluation of the alerts against the planted incidents.
//!
//! Both play a scenario through the same path a live deployment uses: NMEA lines into an
//! AIS feed's decoder, vehicle fixes into the ingest writer, tips into the alert service.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use coastwatch_core::engine::CameraObservation;
use coastwatch_core::geodesy::gcj02::Datum;
use coastwatch_core::identity::markings;
use coastwatch_core::model::SubjectType;
use coastwatch_core::{Feature, Layer};
use coastwatch_scenario::cameras::WatchedPlate;
use coastwatch_scenario::eval::score;
use coastwatch_scenario::{AlertRecord, District, Report, Scenario, SimEvent};
use coastwatch_store::{Changes, Query, Store, StoreError, WatchChange, WatchEntry};

use crate::clock::now_epoch_s;
use crate::error::AppError;
use crate::ingest::{IngestError, Update};
use crate::jt808;
use crate::state::{AppState, StartError};

/// Updates gathered before they go to the writer.
const BATCH: usize = 2000;

/// Writes the district's layers into a store, leaving layers that already hold features as
/// they are (a `--store` reused across runs keeps its edits).
pub async fn load_district(
    store: &dyn Store,
    district: &District,
    vehicles: &[Feature],
) -> Result<(), StoreError> {
    // the land the coastline closes, as areas of kind `land`: the map draws land and sea
    let mut areas = district.areas.clone();
    areas.extend(district.land.iter().map(|f| {
        Feature {
            id: None,
            geometry: f.geometry.clone(),
            properties: serde_json::json!({
                "name": f.properties.get("kind").and_then(|k| k.as_str()).unwrap_or("land"),
                "kind": "land",
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        }
    }));
    let layers: [(Layer, &[Feature]); 6] = [
        (Layer::RiskPoints, &district.risk_points),
        (Layer::Cameras, &district.cameras),
        (Layer::Geofences, &district.geofences),
        (Layer::Coastline, &district.coastline),
        (Layer::Areas, &areas),
        (Layer::Vehicles, vehicles),
    ];
    for (layer, features) in layers {
        if !features.is_empty() && store.count(layer, &Query::default()).await? == 0 {
            store.insert(layer, features.to_vec()).await?;
        }
    }
    Ok(())
}

/// Gives the demo district's risk points a history of grid officers' visits, so that the cards
/// tell the sites inspected on time from the overdue ones: risk point `i` was last visited
/// `(7 i) mod 40` days before `now` (a few never), 20 m from the site. Nothing is added to a
/// store that holds inspections already.
pub async fn seed_inspections(store: &dyn Store, now: i64) -> Result<(), StoreError> {
    if store.count(Layer::Inspections, &Query::default()).await? > 0 {
        return Ok(());
    }
    let sites = store.query(Layer::RiskPoints, &Query::default()).await?;
    let visits: Vec<Feature> = sites
        .iter()
        .filter_map(|site| {
            let id = site.id?.get();
            let Some(geo::Geometry::Point(at)) = &site.geometry else {
                return None;
            };
            if id % 9 == 0 {
                return None; // never inspected
            }
            let days = (7 * id) % 40;
            let t = now - days * 86_400 - 3_600;
            let officer = format!("网格员{:02}", id % 12 + 1);
            Some(Feature::new(
                geo::Point::new(at.x() + 0.0002, at.y()),
                serde_json::json!({
                    "risk_point_id": id, "inspector": officer, "t": t,
                    "findings": if id % 5 == 0 { "监控探头被遮挡，已要求整改" } else { "日常巡查，未见异常" },
                    "result": if id % 5 == 0 { "issues" } else { "ok" },
                    "distance_m": 19.4, "recorded_at": t, "photos": 0,
                }),
            ))
        })
        .collect();
    store.insert(Layer::Inspections, visits).await?;
    Ok(())
}

/// Why a scenario stopped playing.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// Reading or writing the store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The picture could not be brought up to date after registering the vehicles.
    #[error("vehicles: {0}")]
    Vehicles(#[from] StartError),
    /// The ingest writer refused a batch.
    #[error("ingest: {0}")]
    Ingest(#[from] IngestError),
    /// A tip was refused.
    #[error("tip: {0}")]
    Tip(#[from] AppError),
    /// A vehicle's report cannot be sent as its terminal would.
    #[error("terminal: {0}")]
    Terminal(String),
}

/// Registers the scenario's vehicles (those not registered yet) in a running server.
async fn register_vehicles(state: &AppState, vehicles: &[Feature]) -> Result<(), PlayError> {
    let known = state
        .store
        .query(Layer::Vehicles, &Query::default())
        .await?;
    let ids: std::collections::HashSet<&str> = known
        .iter()
        .filter_map(|v| v.properties["vehicle_id"].as_str())
        .collect();
    let missing: Vec<Feature> = vehicles
        .iter()
        .filter(|v| {
            v.properties["vehicle_id"]
                .as_str()
                .is_some_and(|id| !ids.contains(id))
        })
        .map(|v| Feature {
            id: None,
            ..v.clone()
        })
        .collect();
    if !missing.is_empty() {
        state.store.insert(Layer::Vehicles, missing).await?;
    }
    Ok(state.layer_changed(Layer::Vehicles).await?)
}

/// Puts the scenario's watched plates on the watch list (those not on it yet), as the
/// scenario's vehicles are registered: by the scenario, not by a user.
async fn register_watchlist(state: &AppState, watched: &[WatchedPlate]) -> Result<(), PlayError> {
    let listed: HashSet<String> = state
        .store
        .watchlist()
        .await?
        .into_iter()
        .map(|e| e.plate)
        .collect();
    let at = now_epoch_s() as i64;
    let new: Vec<WatchChange> = watched
        .iter()
        .map(|w| markings::normalize(&w.plate))
        .zip(watched)
        .filter(|(plate, _)| !listed.contains(plate))
        .map(|(plate, w)| {
            WatchChange::Put(WatchEntry {
                plate,
                reason: w.reason.clone(),
                added_by: "scenario".into(),
                added_at: at,
            })
        })
        .collect();
    if !new.is_empty() {
        let changes = Changes {
            watchlist: new,
            ..Changes::default()
        };
        state.store.commit(changes).await?;
    }
    Ok(state.ingest.load_watchlist().await?)
}

/// Seconds of scenario time the demo skips, so that its first alert comes within seconds of
/// the start instead of after a quiet hour: up to `margin_s` before the first planted incident
/// whose alert is raised as it happens (a fence crossed, a tip, a truck off its corridor, a
/// terminal's alarm). What is skipped is not lost: it is played at once, in a burst.
pub fn lead_in(scenario: &Scenario, margin_s: f64) -> f64 {
    use coastwatch_core::model::AlertKind::*;
    scenario
        .truth
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                GeofenceEnter | GeofenceExit | Tip | RouteDeviation | VehicleAlarm
            )
        })
        .map(|i| i.start - scenario.start - margin_s)
        .fold(f64::INFINITY, f64::min)
        .max(0.0)
        .min(scenario.end - scenario.start)
}

/// Plays `scenario` into the server, in its exact order, with the `cameras`' observations
/// (time-ordered) merged in. With `live`, each event waits for its time on the server's clock
/// (which `--speed` makes run fast); otherwise everything goes in as fast as the writer takes
/// it, on the scenario's own clock.
pub async fn play(
    state: AppState,
    scenario: Scenario,
    cameras: Vec<CameraObservation>,
    live: bool,
) -> Result<(), PlayError> {
    register_vehicles(&state, &scenario.vehicles).await?;
    register_watchlist(&state, &scenario.cameras.watchlist).await?;
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut batch: Vec<Update> = Vec::new();
    let mut cameras = cameras.into_iter().peekable();
    let mut terminals = scenario.terminals();
    for event in scenario.events {
        while let Some(observation) = cameras.next_if(|o| o.t <= event.t()) {
            batch.push(Update::CameraTrack {
                observation,
                frame: None,
            });
        }
        if live {
            let wait = event.t() - now_epoch_s();
            if wait > 0.0 {
                state.ingest.submit(std::mem::take(&mut batch)).await?;
                tokio::time::sleep(Duration::from_secs_f64(wait / crate::clock::speed())).await;
            }
        }
        match event {
            SimEvent::Nmea { line, .. } => {
                state
                    .ingest
                    .decode("scenario", &mut decoder, line.as_bytes(), &mut batch);
            }
            SimEvent::VehicleFix { ref vehicle_id, .. } => {
                // the trucks' terminals speak JT/T 808: each report goes through the
                // platform's decoding as a frame on the wire
                let Some(frame) = terminals.frame(&event) else {
                    return Err(PlayError::Terminal(format!(
                        "vehicle {vehicle_id} has no JT/T 808 terminal"
                    )));
                };
                let vehicles = state.ingest.picture().vehicles();
                // the scenario's terminals report in WGS 84
                let updates = jt808::replay_frame(
                    &frame,
                    &vehicles,
                    Datum::Wgs84,
                    now_epoch_s(),
                    &state.ingest.limits,
                );
                drop(vehicles);
                match updates {
                    Ok(updates) => batch.extend(updates),
                    // a report the platform refuses (its time beyond the feed limits) is
                    // counted and skipped, as it is live
                    Err(reason) => tracing::debug!(vehicle_id, reason, "scenario report refused"),
                }
            }
            SimEvent::Tip { t, lon, lat, text } => {
                state.ingest.submit(std::mem::take(&mut batch)).await?;
                let town = state.ingest.picture().with_monitor(|m| m.town_at(lon, lat));
                state
                    .alerts
                    .tip([lon, lat], &text, Some("scenario".into()), t, town)
                    .await?;
            }
        }
        if batch.len() >= BATCH {
            state.ingest.submit(std::mem::take(&mut batch)).await?;
        }
    }
    batch.extend(cameras.map(|observation| Update::CameraTrack {
        observation,
        frame: None,
    }));
    Ok(state.ingest.submit(batch).await?)
}

/// Replays an exported scenario folder through a fresh server over a temporary GeoPackage
/// and scores the alerts it raised against the truth: `coastwatch scenario eval`.
pub async fn evaluate(dir: &Path, config: crate::Config) -> anyhow::Result<Report> {
    evaluate_scenario(Scenario::read(dir)?, config).await
}

/// The one evaluator: `scenario` through a fresh server's ingest path, detectors and alert
/// book, the alerts it raised scored against the truth.
pub async fn evaluate_scenario(
    scenario: Scenario,
    mut config: crate::Config,
) -> anyhow::Result<Report> {
    // the scenario runs on its own clock, as fast as it can
    config.ais.max_future_s = f64::INFINITY;
    config.ais.max_age_s = f64::INFINITY;
    let temp = tempfile::tempdir()?;
    let store: Arc<dyn Store> =
        Arc::new(coastwatch_store::GeoPackageStore::open(temp.path().join("eval.gpkg")).await?);
    let district = District {
        risk_points: scenario.geography.risk_points.clone(),
        geofences: scenario.geography.geofences.clone(),
        coastline: scenario.geography.coastline.clone(),
        areas: scenario.geography.areas.clone(),
        ..District::default()
    };
    load_district(store.as_ref(), &district, &[]).await?;
    let reader = crate::cameras::Reader::load(&config.vision.ocr);
    let state = AppState::start(config, store.clone()).await?;
    let (seed, truth, end) = (scenario.seed, scenario.truth.clone(), scenario.end);
    // the cameras film their clips first (the eval has no land layer: land is still scenery
    // to the motion gate, so the sea stands in for it)
    let scene = scenario.cameras.clone();
    let filmed = tokio::task::spawn_blocking(move || {
        crate::filming::film(&scene, &geo::MultiPolygon::new(Vec::new()), reader.as_ref())
    })
    .await??;
    play(state.clone(), scenario, filmed.observations, false).await?;
    // the silence detectors need the clock to run to the end of the scenario
    let mut events = Vec::new();
    state
        .ingest
        .picture()
        .with_monitor(|m| m.tick(end, &mut events));
    state.alerts.record(events).await?;
    let alerts = store.query(Layer::Alerts, &Query::default()).await?;
    let records: Vec<AlertRecord> = alerts.iter().filter_map(record).collect();
    state.close().await;
    Ok(score(seed, &truth, &records).with_camera_errors(filmed.errors))
}

/// An `alerts` feature as the scorer sees it.
fn record(alert: &Feature) -> Option<AlertRecord> {
    let p = &alert.properties;
    let location = match &alert.geometry {
        Some(geo::Geometry::Point(point)) => [point.x(), point.y()],
        _ => return None,
    };
    let subject_type: SubjectType = serde_json::from_value(p["subject"]["type"].clone()).ok()?;
    let subject_id = match subject_type {
        SubjectType::Area => "tip".to_owned(),
        _ => p["subject"]["id"].as_str()?.to_owned(),
    };
    let evidence = &p["evidence"];
    Some(AlertRecord {
        kind: serde_json::from_value(p["kind"].clone()).ok()?,
        subject_type,
        subject_id,
        scope: evidence["scope"].as_str().unwrap_or_default().to_owned(),
        start: p["opened_at"].as_f64()?,
        end: evidence["ended_at"]
            .as_f64()
            .or_else(|| p["updated_at"].as_f64())?,
        location,
        closed: evidence["ongoing"] == false,
        terminal: evidence["terminal"].as_str().map(str::to_owned),
    })
}
