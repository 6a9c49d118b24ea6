//! The in-memory vehicle picture: registered vehicles and their recent routes.

use std::collections::{HashMap, VecDeque};

use geo::{Coord, LineString, Point};
use serde_json::json;

use crate::alerting::Sample;
use crate::model::{FeatureId, Vehicle};
use crate::{Feature, Layer};

/// One vehicle GPS fix as trackers send it (`POST /api/v1/ingest/positions`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleFix {
    /// The registered vehicle's `vehicle_id`.
    pub vehicle_id: String,
    /// Epoch seconds, or an RFC 3339 time.
    pub t: serde_json::Value,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Speed (km/h), when reported.
    #[serde(default)]
    pub speed_kmh: Option<f64>,
    /// Heading (deg), when reported.
    #[serde(default)]
    pub heading_deg: Option<f64>,
}

/// A fix whose values are in range; the clock and the engine check it further.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFix {
    /// The vehicle it belongs to.
    pub vehicle_id: String,
    /// Time, position and speed (m/s).
    pub sample: Sample,
    /// Heading (deg), when reported.
    pub heading_deg: Option<f64>,
}

/// Why a vehicle fix has values out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidFix {
    /// `t` is neither a number nor a string.
    #[error("t must be epoch seconds or an RFC 3339 time, not {0}")]
    TimeType(String),
    /// `t` is a string but not an RFC 3339 time.
    #[error("t {text:?} is not an RFC 3339 time: {reason}")]
    TimeText {
        /// The text given.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// `t` is at or before 1970.
    #[error("t {0} is not a time after 1970")]
    TimeRange(f64),
    /// A number outside its range.
    #[error("{what} {value} is outside {range}")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range.
        range: &'static str,
    },
}

impl VehicleFix {
    /// Checks the values: `t` a time after 1970, `lon` in -180..=180, `lat` in -90..=90,
    /// `speed_kmh` in 0..400 and `heading_deg` in 0..=360.
    pub fn check(self) -> Result<CheckedFix, InvalidFix> {
        let t = match &self.t {
            serde_json::Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| InvalidFix::TimeType(n.to_string()))?,
            serde_json::Value::String(s) => {
                s.parse::<jiff::Timestamp>()
                    .map_err(|e| InvalidFix::TimeText {
                        text: s.clone(),
                        reason: e.to_string(),
                    })?
                    .as_millisecond() as f64
                    / 1000.0
            }
            other => return Err(InvalidFix::TimeType(other.to_string())),
        };
        if !(t.is_finite() && t > 0.0) {
            return Err(InvalidFix::TimeRange(t));
        }
        let out_of = |what, value, range| InvalidFix::OutOfRange { what, value, range };
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(out_of("lon", self.lon, "-180..180"));
        }
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(out_of("lat", self.lat, "-90..90"));
        }
        if let Some(speed) = self
            .speed_kmh
            .filter(|s| !(s.is_finite() && (0.0..400.0).contains(s)))
        {
            return Err(out_of("speed_kmh", speed, "0..400"));
        }
        if let Some(heading) = self
            .heading_deg
            .filter(|h| !(h.is_finite() && (0.0..=360.0).contains(h)))
        {
            return Err(out_of("heading_deg", heading, "0..360"));
        }
        Ok(CheckedFix {
            vehicle_id: self.vehicle_id,
            sample: Sample {
                t,
                lon: self.lon,
                lat: self.lat,
                speed_mps: self.speed_kmh.map(|v| v / 3.6),
            },
            heading_deg: self.heading_deg,
        })
    }
}

/// A registered vehicle and its recent fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleState {
    /// The `vehicles` feature id.
    pub feature_id: FeatureId,
    /// Registration data (class, plate, corridor, town).
    pub vehicle: Vehicle,
    /// Fixes within the route window, oldest first.
    pub route: VecDeque<Sample>,
    /// Heading at the latest fix (deg), when reported.
    pub heading_deg: Option<f64>,
}

impl VehicleState {
    /// The latest fix.
    pub fn latest(&self) -> Option<&Sample> {
        self.route.back()
    }

    /// The columns of the `vehicles` row that the fixes set (`geom` for the position); the
    /// others are the registration, a dispatcher's.
    pub const LIVE_COLUMNS: &'static [&'static str] =
        &["geom", "last_seen", "speed_kmh", "heading_deg"];

    /// The `vehicles` feature: registration data plus the latest position, if any.
    pub fn to_feature(&self) -> Feature {
        let mut properties = serde_json::to_value(&self.vehicle).unwrap_or_else(|_| json!({}));
        let geometry = self.latest().map(|s| {
            properties["last_seen"] = json!(s.t.floor() as i64);
            properties["speed_kmh"] = json!(s.speed_mps.map(|v| v * 3.6));
            properties["heading_deg"] = json!(self.heading_deg);
            geo::Geometry::from(Point::new(s.lon, s.lat))
        });
        Feature {
            id: Some(self.feature_id),
            geometry,
            properties: properties.as_object().cloned().unwrap_or_default(),
        }
    }

    /// The `vehicle_routes` feature of the fixes in `[from, to]` (epoch s), when two or more.
    pub fn route_feature(&self, from: f64, to: f64) -> Option<Feature> {
        let fixes: Vec<&Sample> = self
            .route
            .iter()
            .filter(|s| (from..=to).contains(&s.t))
            .collect();
        if fixes.len() < 2 {
            return None;
        }
        let line: LineString = fixes.iter().map(|s| Coord { x: s.lon, y: s.lat }).collect();
        let properties = json!({
            "vehicle_id": self.vehicle.vehicle_id,
            "t_start": fixes[0].t.floor() as i64,
            "t_end": fixes[fixes.len() - 1].t.ceil() as i64,
        });
        Layer::VehicleRoutes
            .validate(Feature::new(line, properties).with_id(self.feature_id))
            .ok()
    }
}

/// Why a vehicle fix was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixRefused {
    /// No registered vehicle has this id.
    #[error("unknown vehicle {0:?}; register it in the vehicles layer first")]
    UnknownVehicle(String),
    /// The fix is not newer than the latest one of the vehicle.
    #[error("fix at {t} is not newer than the vehicle's latest fix at {latest}")]
    NotNewer {
        /// The fix's time.
        t: f64,
        /// The latest time held.
        latest: f64,
    },
}

/// The in-memory vehicle picture.
#[derive(Debug, Default)]
pub struct VehicleEngine {
    vehicles: HashMap<String, VehicleState>,
    window_s: f64,
}

impl VehicleEngine {
    /// An empty picture keeping `window_s` seconds of route per vehicle.
    pub fn new(window_s: f64) -> Self {
        Self {
            vehicles: HashMap::new(),
            window_s,
        }
    }

    /// Registers or updates a vehicle from its `vehicles` feature, keeping its route (the
    /// route comes from fixes only). Features that are not valid vehicles are ignored.
    pub fn register(&mut self, feature: &Feature) {
        let (Some(id), Ok(vehicle)) = (
            feature.id,
            serde_json::from_value::<Vehicle>(feature.properties.clone().into()),
        ) else {
            return;
        };
        match self.vehicles.get_mut(&vehicle.vehicle_id) {
            Some(state) => {
                state.feature_id = id;
                state.vehicle = vehicle;
            }
            None => {
                self.vehicles.insert(
                    vehicle.vehicle_id.clone(),
                    VehicleState {
                        feature_id: id,
                        vehicle,
                        route: VecDeque::new(),
                        heading_deg: None,
                    },
                );
            }
        }
    }

    /// Forgets the vehicle whose feature id is `id`.
    pub fn unregister(&mut self, id: FeatureId) {
        self.vehicles.retain(|_, v| v.feature_id != id);
    }

    /// Makes the registry match `features` (the whole `vehicles` layer): registers or
    /// updates each, forgets the vehicles that are gone.
    pub fn retain_registered(&mut self, features: &[Feature]) {
        for feature in features {
            self.register(feature);
        }
        let ids: std::collections::HashSet<FeatureId> =
            features.iter().filter_map(|f| f.id).collect();
        self.vehicles.retain(|_, v| ids.contains(&v.feature_id));
    }

    /// Checks that a fix can be taken without changing anything.
    pub fn check(&self, vehicle_id: &str, t: f64) -> Result<(), FixRefused> {
        let state = self
            .vehicles
            .get(vehicle_id)
            .ok_or_else(|| FixRefused::UnknownVehicle(vehicle_id.to_owned()))?;
        match state.latest() {
            Some(latest) if t <= latest.t => Err(FixRefused::NotNewer {
                t,
                latest: latest.t,
            }),
            _ => Ok(()),
        }
    }

    /// Takes in a fix (checked first with [`check`](Self::check)).
    pub fn apply(
        &mut self,
        vehicle_id: &str,
        sample: Sample,
        heading_deg: Option<f64>,
    ) -> Result<&VehicleState, FixRefused> {
        self.check(vehicle_id, sample.t)?;
        let window_s = self.window_s;
        let state = self
            .vehicles
            .get_mut(vehicle_id)
            .ok_or_else(|| FixRefused::UnknownVehicle(vehicle_id.to_owned()))?;
        state.route.push_back(sample);
        state.heading_deg = heading_deg;
        while state
            .route
            .front()
            .is_some_and(|s| s.t < sample.t - window_s)
        {
            state.route.pop_front();
        }
        Ok(state)
    }

    /// The vehicle whose JT/T 808 terminal has phone number `phone` (leading zeros aside: the
    /// 2013 header pads it to 12 digits, the 2019 one to 20).
    pub fn by_terminal(&self, phone: &str) -> Option<&VehicleState> {
        let digits = |p: &str| p.trim_start_matches('0').to_owned();
        let wanted = digits(phone);
        self.vehicles.values().find(|v| {
            v.vehicle
                .terminal_id
                .as_deref()
                .is_some_and(|t| digits(t) == wanted)
        })
    }

    /// One vehicle by its tracker id.
    pub fn get(&self, vehicle_id: &str) -> Option<&VehicleState> {
        self.vehicles.get(vehicle_id)
    }

    /// Every vehicle.
    pub fn iter(&self) -> impl Iterator<Item = &VehicleState> {
        self.vehicles.values()
    }

    /// Number of registered vehicles.
    pub fn len(&self) -> usize {
        self.vehicles.len()
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.vehicles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(t: serde_json::Value, lon: f64, speed_kmh: Option<f64>) -> VehicleFix {
        VehicleFix {
            vehicle_id: "ZJB-001".into(),
            t,
            lon,
            lat: 29.6,
            speed_kmh,
            heading_deg: Some(360.0),
        }
    }

    #[test]
    fn fixes_are_checked_for_range() {
        let checked = fix(json!("2026-09-20T10:00:00.125Z"), 121.6, Some(36.0))
            .check()
            .unwrap();
        assert_eq!(checked.sample.t, 1_789_898_400.125);
        assert_eq!(checked.sample.speed_mps, Some(10.0));
        assert_eq!(checked.heading_deg, Some(360.0));
        assert_eq!(
            fix(json!(1_789_898_400.125), 121.6, Some(36.0)).check(),
            Ok(checked)
        );
        let refused = |f: VehicleFix| f.check().unwrap_err().to_string();
        assert!(refused(fix(json!("yesterday"), 121.6, None)).contains("not an RFC 3339 time"));
        assert!(refused(fix(json!(null), 121.6, None)).contains("epoch seconds or an RFC 3339"));
        assert_eq!(
            refused(fix(json!(0), 121.6, None)),
            "t 0 is not a time after 1970"
        );
        assert_eq!(
            refused(fix(json!(1e9), 200.0, None)),
            "lon 200 is outside -180..180"
        );
        assert_eq!(
            refused(fix(json!(1e9), 121.6, Some(400.0))),
            "speed_kmh 400 is outside 0..400"
        );
    }

    fn truck(id: i64, vehicle_id: &str) -> Feature {
        Feature {
            id: Some(FeatureId::try_from(id).unwrap()),
            geometry: None,
            properties:
                json!({"vehicle_id": vehicle_id, "class": "tank_truck", "plate": "ZJ-B 1234"})
                    .as_object()
                    .cloned()
                    .unwrap(),
        }
    }

    fn at(t: f64, lon: f64) -> Sample {
        Sample {
            t,
            lon,
            lat: 29.6,
            speed_mps: Some(10.0),
        }
    }

    #[test]
    fn fixes_need_a_registered_vehicle_and_move_forward() {
        let mut e = VehicleEngine::new(600.0);
        assert_eq!(
            e.check("T1", 10.0),
            Err(FixRefused::UnknownVehicle("T1".into()))
        );
        e.register(&truck(1, "T1"));
        e.apply("T1", at(10.0, 121.5), Some(90.0)).unwrap();
        assert!(matches!(
            e.apply("T1", at(10.0, 121.6), None),
            Err(FixRefused::NotNewer { .. })
        ));
        assert!(e.check("T1", 5.0).is_err(), "older fixes are refused");
        e.apply("T1", at(700.0, 121.51), None).unwrap();
        let state = e.get("T1").unwrap();
        assert_eq!(state.route.len(), 1, "the route window drops old fixes");
        let feature = state.to_feature();
        assert_eq!(feature.properties["last_seen"], 700);
        assert_eq!(feature.properties["speed_kmh"], 36.0);
        assert!(Layer::Vehicles.validate(feature).is_ok());
    }

    #[test]
    fn routes_and_registration_updates() {
        let mut e = VehicleEngine::new(3600.0);
        e.register(&truck(1, "T1"));
        for t in 0..3 {
            e.apply(
                "T1",
                at(f64::from(t) * 60.0, 121.5 + f64::from(t) * 0.01),
                None,
            )
            .unwrap();
        }
        let mut changed = truck(1, "T1");
        changed.properties["plate"] = json!("ZJ-B 9999");
        e.register(&changed);
        let state = e.get("T1").unwrap();
        assert_eq!(state.vehicle.plate.as_deref(), Some("ZJ-B 9999"));
        assert_eq!(state.route.len(), 3, "re-registering keeps the route");
        let route = state.route_feature(0.0, 1e12).unwrap();
        assert_eq!(route.properties["t_end"], 120);
        assert!(state.route_feature(100.0, 1e12).is_none());
        e.unregister(FeatureId::try_from(1).unwrap());
        assert!(e.is_empty());
    }
}
