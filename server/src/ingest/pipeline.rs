//! What the writer works on — the store, the engines, the detectors, the alerts — and how the
//! picture is rebuilt from the store.

use std::sync::Arc;
use std::time::Duration;

use coastwatch_core::alerting::detect::DetectorConfig;
use coastwatch_core::alerting::monitor::{Geography, Monitor};
use coastwatch_core::alerting::{AlertEvent, LocalClock, Sample};
use coastwatch_core::engine::{
    CameraTrackEngine, Fix, VehicleEngine, VesselEngine, VesselInfo, VesselUpdate,
};
use coastwatch_core::geodesy::MPS_PER_KN;
use coastwatch_core::model::Mmsi;
use coastwatch_core::{Feature, Layer};
use coastwatch_store::{Position, Query, Store, StoreError, SubjectKind};

use super::picture::Parts;
use super::writer::Writer;
use super::{FeedLimits, Replay, SharedPicture, Update};
use crate::alerts::Alerts;
use crate::clock::now_epoch_s;
use crate::metrics::AisCounters;
use crate::state::StartError;
use crate::write_behind::RowPace;

/// What the picture is built with, to build it again after a store failure.
#[derive(Clone)]
pub struct PictureSettings {
    /// Seconds of track kept per object.
    pub window_s: f64,
    /// H3 resolution of the vessel cell index.
    pub resolution: h3o::Resolution,
    /// Thresholds of the detectors.
    pub detectors: DetectorConfig,
    /// The district's local clock.
    pub clock: LocalClock,
    /// What feeds may bring in.
    pub limits: FeedLimits,
}

impl PictureSettings {
    /// An empty picture built with these settings.
    fn empty_picture(&self) -> Parts {
        Parts(
            VesselEngine::new(self.window_s, self.resolution),
            VehicleEngine::new(self.window_s),
            CameraTrackEngine::new(self.window_s),
            Monitor::new(self.detectors.clone(), self.clock.clone()),
        )
    }
}

/// What the writer works on: the store, the engines, the detectors and the alerts.
#[derive(Clone)]
pub struct Pipeline {
    /// The persistent store.
    pub store: Arc<dyn Store>,
    /// The engines and the detectors.
    pub picture: SharedPicture,
    /// Where alerts go.
    pub alerts: Alerts,
    /// How the picture is made.
    pub settings: PictureSettings,
    /// Whether what the geography closes is stored (not on a cluster's nodes that only read).
    records: bool,
}

impl Pipeline {
    /// An empty picture over `store` and `alerts`; [`reload`](Self::reload) fills it.
    pub fn new(store: Arc<dyn Store>, alerts: Alerts, settings: PictureSettings) -> Self {
        Self {
            picture: SharedPicture::new(settings.empty_picture()),
            store,
            alerts,
            settings,
            records: true,
        }
    }

    /// The same, on a node that stores no alerts (a cluster's ingest, vision or API node: the
    /// core stores what a change of geography closes).
    pub fn reading_only(self) -> Self {
        Self {
            records: false,
            ..self
        }
    }

    /// Builds the picture anew from the store: the alert book from the `alerts` layer, the
    /// geography into fresh detectors, and the engines from the object layers and the fixes
    /// of the track window. At start, and after a failed write, so that nothing that was not
    /// stored stays in memory. `Rebuild` stores what the replay raises (alerts, rows), as at
    /// start; `Restore` stores nothing (while the store cannot write). Returns the number of
    /// vessels.
    pub async fn reload(&self, mode: Replay) -> Result<usize, StartError> {
        let settings = &self.settings;
        self.alerts.reload().await?;
        self.picture.replace(settings.empty_picture());
        let events = self.set_geography().await?;
        self.load_watchlist().await?;
        if mode == Replay::Rebuild {
            self.alerts.record(events).await?;
        }
        Ok(rebuild(self, settings.window_s, mode).await?)
    }

    /// Loads fences, docks, coastline and areas from the store into the detectors, storing
    /// the alerts that closes (fences that are gone).
    pub async fn load_geography(&self) -> Result<(), StartError> {
        let events = self.set_geography().await?;
        if self.records {
            self.alerts.record(events).await?;
        }
        Ok(())
    }

    /// Loads the watch list of plates from the store into the detectors.
    pub async fn load_watchlist(&self) -> Result<(), StoreError> {
        let watchlist = self.store.watchlist().await?;
        self.picture.with_monitor(|m| {
            m.set_watchlist(watchlist.into_iter().map(|e| (e.plate, e.reason)));
        });
        Ok(())
    }

    /// Loads the geography into the detectors; returns the events it raised.
    async fn set_geography(&self) -> Result<Vec<AlertEvent>, StartError> {
        let all = Query::default();
        let store = self.store.as_ref();
        let geography = Geography {
            risk_points: store.query(Layer::RiskPoints, &all).await?,
            coastline: store.query(Layer::Coastline, &all).await?,
            areas: store.query(Layer::Areas, &all).await?,
            geofences: store.query(Layer::Geofences, &all).await?,
        };
        let mut events = Vec::new();
        self.picture
            .with_monitor(|m| m.set_geography(geography, &mut events))?;
        Ok(events)
    }
}

/// Rebuilds the in-memory picture from the store: vessel identities from the `vessels`
/// layer, registered vehicles from `vehicles`, and the fixes of the last `window_s` seconds
/// replayed through the engines and the detectors (episodes already stored as alerts are
/// not raised again). Returns the number of vessels.
async fn rebuild(pipeline: &Pipeline, window_s: f64, mode: Replay) -> Result<usize, StoreError> {
    let store = pipeline.store.as_ref();
    let limits = pipeline.settings.limits;
    let stored_vessels = store.query(Layer::Vessels, &Query::default()).await?;
    let stored_vehicles = store.query(Layer::Vehicles, &Query::default()).await?;
    pipeline.picture.apply(|picture| {
        for feature in &stored_vessels {
            restore_vessel(picture.vessels, feature);
        }
        for feature in &stored_vehicles {
            picture.vehicles.register(feature);
        }
    });
    let now = now_epoch_s();
    let positions = store.positions_since(now - window_s).await?;
    // a fix stamped in the future (stored before times were bounded) must not freeze its
    // vessel or move the detectors' clock
    let updates: Vec<Update> = positions
        .iter()
        .filter(|p| p.t_epoch_s <= now + limits.max_future_s)
        .filter_map(replayed)
        .collect();
    // every replayed object's row is written again, so the layers match the picture
    let mut writer = Writer::new(
        pipeline.clone(),
        AisCounters::default(),
        limits.max_vessels,
        RowPace {
            interval: Duration::ZERO,
            per_batch: usize::MAX,
            per_second: f64::MAX,
        },
    );
    for chunk in updates.chunks(10_000) {
        let chunk: Vec<&Update> = chunk.iter().collect();
        writer.write(&chunk, mode, None).await?;
    }
    Ok(pipeline.picture.vessels().len())
}

/// A stored `vessels` feature back into the picture: identity and flags.
fn restore_vessel(engine: &mut VesselEngine, feature: &Feature) {
    let p = &feature.properties;
    let Some(mmsi) = p["mmsi"].as_i64().and_then(|m| Mmsi::try_from(m).ok()) else {
        return;
    };
    let text = |k: &str| p[k].as_str().map(str::to_owned);
    let info = VesselInfo {
        name: text("name"),
        callsign: text("callsign"),
        imo: p["imo"].as_u64().and_then(|v| u32::try_from(v).ok()),
        ship_type: p["ship_type"].as_u64().and_then(|v| u8::try_from(v).ok()),
        destination: None,
    };
    // static data came before anything we still hold: stamp it at the epoch so that it
    // counts as in time for the no-static-report rule
    if info != VesselInfo::default() {
        engine.apply(VesselUpdate::Static {
            mmsi,
            t_epoch_s: 0.0,
            info,
        });
    }
    let flags = p["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str()?.parse().ok());
    engine.flag(mmsi, flags.collect::<Vec<_>>());
}

/// A stored fix as the update that made it.
fn replayed(p: &Position) -> Option<Update> {
    match p.kind {
        SubjectKind::Vessel => {
            let mmsi = p
                .subject_id
                .parse::<i64>()
                .ok()
                .and_then(|m| Mmsi::try_from(m).ok())?;
            let fix = Fix {
                t_epoch_s: p.t_epoch_s,
                lon: p.lon,
                lat: p.lat,
                sog_kn: p.speed_mps.map(|s| s / MPS_PER_KN),
                cog_deg: p.course_deg,
                heading_deg: p.heading_deg,
                nav_status: None,
            };
            Some(Update::Vessel(VesselUpdate::Position { mmsi, fix }))
        }
        SubjectKind::Vehicle => Some(Update::Vehicle {
            vehicle_id: p.subject_id.clone(),
            sample: Sample {
                t: p.t_epoch_s,
                lon: p.lon,
                lat: p.lat,
                speed_mps: p.speed_mps,
            },
            heading_deg: p.heading_deg,
        }),
        SubjectKind::CameraTrack => None,
    }
}
