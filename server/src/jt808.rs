//! The JT/T 808 platform: vehicle terminals connect over TCP (`[jt808] listen`), register,
//! authenticate and report their positions, heartbeats and alarms.
//!
//! A terminal is bound to a vehicle by the vehicle's `terminal_id` (its phone number); an
//! unknown terminal registers only when `jt808.auto_register` allows it. Its authentication
//! code is a keyed hash of its phone number (`jt808.auth_secret`), so that any connection,
//! after any restart with the same key, can check it without storing codes.
//!
//! A location report becomes a vehicle fix (when positioned) and a terminal report (alive,
//! positioned or not, its alarms) that go through the one ingest writer like every other
//! feed; the platform answers `0x8001` only once they are durable, and answers a failure
//! when they could not be stored (the terminal keeps them and sends them again). Blind-area
//! batches (`0x0704`) fill the track afterwards: fixes older than the vehicle's latest are
//! stored without passing the detectors again.
//!
//! What comes from the network is bounded: connections (`jt808.max_connections`), allowed
//! addresses (`jt808.allow`), silence (`jt808.idle_timeout_s`), the frame length, and the
//! sub-packages in progress per connection. A frame with a bad check code or escape is
//! dropped and counted, and the connection goes on.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use coastwatch_core::alerting::TerminalReport;
use coastwatch_core::engine::{VehicleEngine, VehicleFix};
use coastwatch_core::geodesy::gcj02::Datum;
use coastwatch_core::layer::Layer;
use coastwatch_core::{Feature, model::VehicleClass};
use coastwatch_jt808::{
    Deframer, Header, Location, Message, PlatformResult, Reassembler, ReassemblyOptions,
    RegisterResult, Registration, decode_message, decode_packet, encode_8001, encode_8100,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::clock::now_epoch_s;
use crate::config::Jt808Config;
use crate::feeds::{AllowList, constant_time_eq};
use crate::ingest::{FeedLimits, Update};
use crate::state::AppState;

/// The feed name in the counters.
const FEED: &str = "jt808";
/// Bytes read from a terminal at a time.
const READ_BYTES: usize = 4096;
/// Longest wait for a reply to be written.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages split into packages in progress per connection at most.
const REASSEMBLY: ReassemblyOptions = ReassemblyOptions {
    max_messages: 8,
    max_bytes: 64 * 1024,
    timeout_s: 60,
};

/// The key authentication codes are made with.
#[derive(Clone)]
pub struct AuthKey(Arc<[u8]>);

impl AuthKey {
    /// The configured secret, or a random key for this run.
    pub fn new(secret: Option<&str>) -> Self {
        Self(match secret {
            Some(secret) => secret.as_bytes().into(),
            None => (0..4u64)
                .flat_map(|i| RandomState::new().hash_one(i).to_le_bytes())
                .collect(),
        })
    }

    /// The authentication code of the terminal with phone number `phone`: 16 hex digits.
    pub fn code(&self, phone: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(phone.trim_start_matches('0').as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Accepts terminals; each connection runs on its own task until it closes, falls silent,
/// or logs out.
pub async fn listener(listener: TcpListener, state: AppState) {
    let config = state.config.jt808.clone();
    let allow = AllowList::parse(&config.allow).unwrap_or_default();
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let key = AuthKey::new(config.auth_secret.as_deref());
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a JT/T 808 terminal failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let counters = &state.ingest.counters;
        if !allow.allows(peer.ip()) {
            counters.refuse(FEED, "not_allowed");
            continue;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            counters.refuse(FEED, "too_many");
            tracing::warn!(%peer, max = config.max_connections, "JT/T 808 terminal refused: jt808.max_connections reached");
            continue;
        };
        let state = state.clone();
        let key = key.clone();
        let config = config.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut session = Session::new(state, key, config);
            if let Err(error) = session.run(socket).await {
                tracing::debug!(%peer, %error, "JT/T 808 terminal connection ended");
            }
        });
    }
}

/// One terminal's connection.
struct Session {
    state: AppState,
    key: AuthKey,
    config: Jt808Config,
    /// The vehicle it reports for, once authenticated.
    vehicle_id: Option<String>,
    /// The platform's serial number for its next message.
    serial: u16,
    reassembler: Reassembler,
}

impl Session {
    fn new(state: AppState, key: AuthKey, config: Jt808Config) -> Self {
        Self {
            state,
            key,
            config,
            vehicle_id: None,
            serial: 0,
            reassembler: Reassembler::new(REASSEMBLY),
        }
    }

    async fn run(&mut self, mut socket: TcpStream) -> std::io::Result<()> {
        let idle = Duration::from_secs(self.config.idle_timeout_s);
        let mut deframer = Deframer::new();
        let mut buf = vec![0; READ_BYTES];
        loop {
            let n = match tokio::time::timeout(idle, socket.read(&mut buf)).await {
                Ok(read) => read?,
                Err(_) => return Ok(()),
            };
            if n == 0 {
                return Ok(());
            }
            deframer.push(&buf[..n]);
            while let Some(frame) = deframer.next_frame() {
                let replies = match frame {
                    Ok(frame) => self.frame(&frame).await,
                    Err(_) => {
                        self.bad("frame");
                        Step::Go(Vec::new())
                    }
                };
                let (replies, done) = match replies {
                    Step::Go(replies) => (replies, false),
                    Step::Close(replies) => (replies, true),
                };
                for reply in replies {
                    tokio::time::timeout(WRITE_TIMEOUT, socket.write_all(&reply))
                        .await
                        .map_err(|_| std::io::Error::other("reply not taken in time"))??;
                }
                if done {
                    return Ok(());
                }
            }
        }
    }

    fn bad(&self, reason: &str) {
        self.state.ingest.counters.drop(FEED, reason, 1);
    }

    fn next_serial(&mut self) -> u16 {
        let serial = self.serial;
        self.serial = self.serial.wrapping_add(1);
        serial
    }

    /// The platform's general response to `header`'s message.
    fn answer(&mut self, header: &Header, result: PlatformResult) -> Vec<Vec<u8>> {
        let serial = self.next_serial();
        encode_8001(header, serial, result).into_iter().collect()
    }

    /// Handles one unescaped frame: what to send back, and whether to hang up.
    async fn frame(&mut self, frame: &[u8]) -> Step {
        let Ok(packet) = decode_packet(frame) else {
            self.bad("bad_packet");
            return Step::Go(Vec::new());
        };
        let packet = match self.reassembler.push(packet, now_epoch_s() as u64) {
            Ok(Some(whole)) => whole,
            Ok(None) => return Step::Go(Vec::new()),
            Err(_) => {
                self.bad("bad_package");
                return Step::Go(Vec::new());
            }
        };
        let header = packet.header;
        let message = match decode_message(&header, &packet.body) {
            Ok(message) => message,
            Err(_) => {
                self.bad("bad_message");
                return Step::Go(self.answer(&header, PlatformResult::BadMessage));
            }
        };
        match message {
            Message::Register(registration) => {
                Step::Go(self.register(&header, &registration).await)
            }
            Message::Authenticate(auth) => {
                let bound = self.bound_vehicle(&header.phone);
                // the 2019 form may end its code with a NUL
                let code = auth.auth_code.strip_suffix(&[0]).unwrap_or(&auth.auth_code);
                let good = constant_time_eq(code, self.key.code(&header.phone).as_bytes());
                let result = match bound {
                    Some(vehicle_id) if good => {
                        self.vehicle_id = Some(vehicle_id);
                        PlatformResult::Ok
                    }
                    _ => PlatformResult::Failure,
                };
                Step::Go(self.answer(&header, result))
            }
            Message::Logout => {
                self.vehicle_id = None;
                Step::Close(self.answer(&header, PlatformResult::Ok))
            }
            Message::Heartbeat => {
                let report = TerminalReport {
                    t: now_epoch_s(),
                    positioned: None,
                    alarms: None,
                };
                self.report(&header, Vec::new(), Some(report)).await
            }
            Message::Location(location) => {
                let updates = self.location(&location);
                self.report(&header, updates, None).await
            }
            Message::LocationBatch { items, .. } => {
                // a batch (blind-area re-sends, mostly) fills the track: its fixes only, for
                // what the terminal said then is past
                let mut fixes = Vec::new();
                for location in &items {
                    fixes.extend(
                        self.location(location)
                            .into_iter()
                            .filter(|u| matches!(u, Update::Vehicle { .. })),
                    );
                }
                self.report(&header, fixes, None).await
            }
            Message::GeneralResponse(_) => Step::Go(Vec::new()),
            _ => Step::Go(self.answer(&header, PlatformResult::Unsupported)),
        }
    }

    /// The vehicle bound to terminal `phone`.
    fn bound_vehicle(&self, phone: &str) -> Option<String> {
        let vehicles = self.state.ingest.picture().vehicles();
        vehicles
            .by_terminal(phone)
            .map(|v| v.vehicle.vehicle_id.clone())
    }

    /// Registration: a bound terminal (or, with `auto_register`, a new one) gets its code.
    async fn register(&mut self, header: &Header, registration: &Registration) -> Vec<Vec<u8>> {
        let mut bound = self.bound_vehicle(&header.phone);
        if bound.is_none() && self.config.auto_register {
            bound = self.add_vehicle(&header.phone, registration).await;
        }
        let serial = self.next_serial();
        let reply = match bound {
            Some(_) => encode_8100(
                header,
                serial,
                RegisterResult::Ok,
                self.key.code(&header.phone).as_bytes(),
            ),
            None => {
                self.state.ingest.counters.refuse(FEED, "unbound_terminal");
                encode_8100(header, serial, RegisterResult::NoSuchTerminal, &[])
            }
        };
        reply.into_iter().collect()
    }

    /// Registers a vehicle for a new terminal (`auto_register`).
    async fn add_vehicle(&self, phone: &str, registration: &Registration) -> Option<String> {
        let phone = phone.trim_start_matches('0');
        let vehicle_id = format!("jt808-{phone}");
        let plate = registration.plate_text();
        let properties = serde_json::json!({
            "vehicle_id": vehicle_id,
            "plate": (!plate.trim().is_empty()).then(|| plate.trim().to_owned()),
            "class": VehicleClass::Other,
            "terminal_id": phone,
        });
        let serde_json::Value::Object(properties) = properties else {
            return None;
        };
        let feature = Feature {
            id: None,
            geometry: None,
            properties,
        };
        let feature = match Layer::Vehicles.validate(feature) {
            Ok(feature) => feature,
            Err(error) => {
                tracing::warn!(phone, %error, "JT/T 808 terminal's registration is not a vehicle");
                return None;
            }
        };
        match self
            .state
            .store
            .insert(Layer::Vehicles, vec![feature])
            .await
        {
            Ok(_) => {
                self.state.layer_written(Layer::Vehicles).await;
                tracing::info!(
                    phone,
                    vehicle_id,
                    "JT/T 808 terminal registered a new vehicle"
                );
                self.bound_vehicle(phone)
            }
            Err(error) => {
                tracing::warn!(phone, %error, "JT/T 808 terminal could not be registered");
                None
            }
        }
    }

    /// A location report as a fix and a terminal report (nothing before authentication).
    fn location(&self, location: &Location) -> Vec<Update> {
        let Some(vehicle_id) = &self.vehicle_id else {
            return Vec::new();
        };
        let limits = &self.state.ingest.limits;
        match location_updates(vehicle_id, location, self.config.crs, now_epoch_s(), limits) {
            Ok(updates) => updates,
            Err(reason) => {
                self.bad(reason);
                Vec::new()
            }
        }
    }

    /// Stores what a report says and answers once it is durable (a failure when it is not).
    async fn report(
        &mut self,
        header: &Header,
        mut updates: Vec<Update>,
        report: Option<TerminalReport>,
    ) -> Step {
        let Some(vehicle_id) = self.vehicle_id.clone() else {
            // not authenticated: the terminal must register and authenticate first
            return Step::Go(self.answer(header, PlatformResult::Failure));
        };
        if let Some(report) = report {
            updates.push(Update::Terminal { vehicle_id, report });
        }
        // a batch in time order: the writer takes what is newer than the vehicle's latest
        // and stores the rest as history
        updates.sort_by(|a, b| update_time(a).total_cmp(&update_time(b)));
        let feed = crate::metrics::FeedLabels { feed: FEED.into() };
        self.state
            .ingest
            .counters
            .decoded
            .get_or_create(&feed)
            .inc();
        let result = match self.state.ingest.submit(updates).await {
            Ok(()) => PlatformResult::Ok,
            Err(error) => {
                tracing::warn!(%error, "JT/T 808 report not stored");
                PlatformResult::Failure
            }
        };
        Step::Go(self.answer(header, result))
    }
}

/// The updates a location report of vehicle `vehicle_id` makes: the terminal's report
/// (alive, positioned or not, its alarms) and, when it is positioned, its fix (in WGS 84, from
/// `crs`). A report without a time is taken at `now`; one stamped outside `limits`, or out of
/// range, is refused with the reason it is counted under.
pub fn location_updates(
    vehicle_id: &str,
    location: &Location,
    crs: Datum,
    now: f64,
    limits: &FeedLimits,
) -> Result<Vec<Update>, &'static str> {
    let t = location.t_epoch_s.map_or(now, |t| t as f64);
    if !limits.accepts_time(t, now) {
        return Err("time");
    }
    let report = Update::Terminal {
        vehicle_id: vehicle_id.to_owned(),
        report: TerminalReport {
            t,
            positioned: Some(location.positioned()),
            alarms: Some(location.alarms().map(|a| a.name().to_owned()).collect()),
        },
    };
    if !location.positioned() || location.t_epoch_s.is_none() {
        return Ok(vec![report]);
    }
    let [lon, lat] = crs.to_wgs84([location.lon, location.lat]);
    let fix = VehicleFix {
        vehicle_id: vehicle_id.to_owned(),
        t: serde_json::Value::from(t),
        lon,
        lat,
        speed_kmh: Some(location.speed_kmh),
        heading_deg: Some(f64::from(location.direction_deg)),
    };
    let checked = fix.check().map_err(|_| "out_of_range")?;
    Ok(vec![
        Update::Vehicle {
            vehicle_id: checked.vehicle_id,
            sample: checked.sample,
            heading_deg: checked.heading_deg,
        },
        report,
    ])
}

/// The updates one recorded frame of a terminal makes (a scenario's trucks, a log): decoded
/// and bound to its vehicle as the platform does it live, without the session (a recording
/// needs no registration).
pub fn replay_frame(
    wire: &[u8],
    vehicles: &VehicleEngine,
    crs: Datum,
    now: f64,
    limits: &FeedLimits,
) -> Result<Vec<Update>, String> {
    let mut deframer = Deframer::new();
    deframer.push(wire);
    let frame = deframer
        .next_frame()
        .ok_or("no whole frame")?
        .map_err(|e| e.to_string())?;
    let packet = decode_packet(&frame).map_err(|e| e.to_string())?;
    let vehicle = vehicles.by_terminal(&packet.header.phone).ok_or_else(|| {
        format!(
            "no vehicle has terminal {}",
            packet.header.phone_normalised()
        )
    })?;
    let vehicle_id = vehicle.vehicle.vehicle_id.clone();
    match decode_message(&packet.header, &packet.body).map_err(|e| e.to_string())? {
        Message::Location(location) => {
            location_updates(&vehicle_id, &location, crs, now, limits).map_err(str::to_owned)
        }
        _ => Ok(Vec::new()),
    }
}

/// The time of an update a terminal caused.
fn update_time(update: &Update) -> f64 {
    match update {
        Update::Vehicle { sample, .. } => sample.t,
        Update::Terminal { report, .. } => report.t,
        _ => f64::INFINITY,
    }
}

/// What to do after a frame.
enum Step {
    /// Send these and read on.
    Go(Vec<Vec<u8>>),
    /// Send these and hang up.
    Close(Vec<Vec<u8>>),
}
