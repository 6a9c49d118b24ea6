//! Typed records for the attributes of every layer, with their value rules.
//!
//! A [`Feature`](crate::Feature) carries its attributes as a JSON map so that stores, the API
//! and importers handle every layer alike; [`Layer::validate`](crate::Layer::validate) passes
//! that map through the layer's record type here, which checks every value and fills defaults.

mod fence;
mod identity;
mod values;

pub use fence::{
    ActiveHours, Debounce, Detect, FenceRule, ObjectClass, ObjectKind, ShipCategory, TrackClass,
};
pub use identity::IdentityFlag;
pub use values::{FeatureId, FovDeg, HeadingDeg, Lat, Lon, Mmsi, NonNegative, PositiveM};

use geo::Geometry;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Layer, ModelError};

/// The attributes of one layer's features.
pub trait Record: Serialize + DeserializeOwned {
    /// The layer these records belong to.
    const LAYER: Layer;

    /// Rules that involve several values or the geometry.
    fn check(&self, _geometry: Option<&Geometry>) -> Result<(), ModelError> {
        Ok(())
    }
}

/// Parses, checks and normalizes `properties` as a `R`, returning the canonical map.
fn normalize_as<R: Record>(
    properties: Map<String, Value>,
    geometry: Option<&Geometry>,
) -> Result<Map<String, Value>, ModelError> {
    let record: R = serde_json::from_value(Value::Object(properties))
        .map_err(|e| ModelError::invalid("properties", e.to_string()))?;
    record.check(geometry)?;
    match serde_json::to_value(&record) {
        Ok(Value::Object(map)) => Ok(map),
        _ => unreachable!("records serialize to objects"),
    }
}

/// Parses, checks and normalizes the attributes of a feature of `layer`.
pub(crate) fn normalize(
    layer: Layer,
    properties: Map<String, Value>,
    geometry: Option<&Geometry>,
) -> Result<Map<String, Value>, ModelError> {
    match layer {
        Layer::RiskPoints => normalize_as::<RiskPoint>(properties, geometry),
        Layer::Cameras => normalize_as::<Camera>(properties, geometry),
        Layer::CameraCoverage => normalize_as::<CameraCoverage>(properties, geometry),
        Layer::CoverageGaps => normalize_as::<CoverageGap>(properties, geometry),
        Layer::Geofences => normalize_as::<Geofence>(properties, geometry),
        Layer::Vessels => normalize_as::<Vessel>(properties, geometry),
        Layer::VesselTracks => normalize_as::<VesselTrack>(properties, geometry),
        Layer::Vehicles => normalize_as::<Vehicle>(properties, geometry),
        Layer::VehicleRoutes => normalize_as::<VehicleRoute>(properties, geometry),
        Layer::CameraTracks => normalize_as::<CameraTrack>(properties, geometry),
        Layer::Alerts => normalize_as::<Alert>(properties, geometry),
        Layer::Coastline => normalize_as::<CoastlineSegment>(properties, geometry),
        Layer::Areas => normalize_as::<Area>(properties, geometry),
        Layer::AisDensity => normalize_as::<DensityCell>(properties, geometry),
        Layer::Cases => normalize_as::<Case>(properties, geometry),
        Layer::Inspections => normalize_as::<Inspection>(properties, geometry),
        Layer::Cards => normalize_as::<CardRecord>(properties, geometry),
    }
}

fn non_empty(what: &'static str, text: &str) -> Result<(), ModelError> {
    if text.trim().is_empty() {
        Err(ModelError::invalid(what, "must not be empty"))
    } else {
        Ok(())
    }
}

fn ordered_span(t_start: i64, t_end: i64) -> Result<(), ModelError> {
    if t_end < t_start {
        Err(ModelError::invalid(
            "t_end",
            format!("{t_end} is before t_start {t_start}"),
        ))
    } else {
        Ok(())
    }
}

/// Declares a unit-only enum stored as a snake_case string.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),* $(,)? } $(default $default:ident)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),* }
        $(impl Default for $name { fn default() -> Self { Self::$default } })?
    };
}

mod command;
pub use command::{
    Agency, CardReason, CardRecord, CardStatus, CardUnit, Case, CaseEntry, CaseLinks, CaseOutcome,
    CaseStatus, Goods, Inspection, InspectionResult,
};

text_enum!(
    /// What a risk point is ("one port, two firms, three depots").
    RiskKind { /** A dock or landing place. */ Dock, /** An oil depot. */ OilDepot, /** A cold store. */ ColdStore,
    /** A shipyard. */ Shipyard, /** A warehouse. */ Warehouse, /** A truck firm. */ TruckFirm,
    /** A crane firm. */ CraneFirm, /** A fuel point. */ FuelPoint, /** An anchorage. */ Anchorage }
);
text_enum!(
    /// A risk card: the alarm level of a risk point or a town.
    Card { /** No concern. */ None, /** Watch. */ Yellow, /** Confirmed problem. */ Red } default None
);
text_enum!(
    /// The class of a road vehicle.
    VehicleClass { /** A fuel or chemical tanker truck. */ TankTruck, /** A container truck. */ ContainerTruck, /** Any other vehicle. */ Other }
);
text_enum!(
    /// What a geofence protects.
    FenceKind { /** A sea area closed to traffic. */ RestrictedSea, /** A shore where no landing is allowed. */ NoLandingShore,
    /** A road corridor trucks must keep to. */ RouteCorridor, /** A zone under watch. */ WatchZone }
);
text_enum!(
    /// Why a coverage cell is not seen (or `none` when it is).
    GapReason { /** Beyond every camera's range. */ Range, /** In range but outside every field of view. */ Fov,
    /** Hidden by terrain. */ Terrain, /** Seen. */ None }
);
text_enum!(
    /// The kind of a town area polygon.
    AreaKind { /** A town (sub-centre area). */ Town, /** A village or community inside a town. */ Village,
    /** The whole district, the watch area. */ District,
    /** Land, as the coastline closes it: drawn on the map over the sea. */ Land, /** Another area. */ Other }
);
text_enum!(
    /// How urgent an alert is.
    Severity { /** For information. */ Info, /** Needs a look. */ Warning, /** Needs action now. */ Critical } default Warning
);
text_enum!(
    /// Where an alert is in its lifecycle.
    AlertStatus { /** Raised, nobody has looked yet. */ Open, /** Someone is on it. */ Acknowledged,
    /** Handed to a named person. */ Assigned, /** Closed with an outcome. */ Resolved }
);
text_enum!(
    /// The kind of an alert (PRODUCT.md, "Alerts").
    AlertKind { /** Entered a fence. */ GeofenceEnter, /** Left a fence. */ GeofenceExit, /** Stayed in a fence. */ GeofenceDwell,
    /** AIS went silent. */ AisGap, /** Two vessels met at sea. */ Encounter,
    /** Slow circling away from docks. */ Loitering, /** Stopped at an unregistered shore. */ UnregisteredLanding,
    /** Bad or missing identity. */ IdentityAnomaly, /** Camera sees a vessel with no AIS. */ DarkVessel,
    /** Truck outside its corridor. */ RouteDeviation, /** Tracker switched off. */ GpsOff,
    /** Night movement in a watch zone. */ NightMovement, /** A public report. */ Tip,
    /** A vehicle terminal's alarm (JT/T 808). */ VehicleAlarm,
    /** A camera read a plate on the watch list. */ WatchlistVehicle }
);
text_enum!(
    /// What an alert is about.
    SubjectType { /** A vessel (id: MMSI). */ Vessel, /** A vehicle (id: vehicle_id). */ Vehicle,
    /** A camera track. */ CameraTrack, /** An area. */ Area }
);

/// Attributes of a `risk_points` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskPoint {
    /// What the place is.
    pub kind: RiskKind,
    /// Its name.
    pub name: String,
    /// Registered with the authorities (registered docks are where vessels may land).
    #[serde(default)]
    pub registered: bool,
    /// The town it belongs to.
    #[serde(default)]
    pub town: Option<String>,
    /// Its risk card.
    #[serde(default)]
    pub card: Card,
}

impl Record for RiskPoint {
    const LAYER: Layer = Layer::RiskPoints;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("name", &self.name)
    }
}

/// Attributes of a `cameras` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// Its name or code.
    pub name: String,
    /// Mounting height above the ground (m).
    pub height_m: NonNegative,
    /// Centre of the view, degrees clockwise from north.
    pub heading_deg: HeadingDeg,
    /// Horizontal field of view (deg); 360 for a PTZ sweep.
    pub hfov_deg: FovDeg,
    /// Maximum useful range (m).
    pub range_m: PositiveM,
    /// Range below which nothing is seen (m).
    #[serde(default)]
    pub near_range_m: Option<NonNegative>,
    /// Pan-tilt-zoom camera.
    #[serde(default)]
    pub ptz: bool,
    /// The agency that runs it.
    #[serde(default)]
    pub agency: Option<String>,
    /// The town it belongs to.
    #[serde(default)]
    pub town: Option<String>,
}

impl Record for Camera {
    const LAYER: Layer = Layer::Cameras;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("name", &self.name)?;
        if let Some(near) = self.near_range_m
            && near.get() >= self.range_m.get()
        {
            return Err(ModelError::invalid(
                "near_range_m",
                format!(
                    "{} must be less than range_m {}",
                    near.get(),
                    self.range_m.get()
                ),
            ));
        }
        Ok(())
    }
}

/// Attributes of a `camera_coverage` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraCoverage {
    /// The camera's feature id.
    pub camera_id: FeatureId,
    /// Visible area (m²).
    pub area_m2: NonNegative,
}

impl Record for CameraCoverage {
    const LAYER: Layer = Layer::CameraCoverage;
}

/// Attributes of a `coverage_gaps` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageGap {
    /// The H3 cell index (hex string).
    pub h3: String,
    /// Why no camera sees it.
    pub reason: GapReason,
}

impl Record for CoverageGap {
    const LAYER: Layer = Layer::CoverageGaps;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        if self.h3.len() == 15 && self.h3.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(())
        } else {
            Err(ModelError::invalid(
                "h3",
                format!("{:?} is not a 15-digit hex H3 index", self.h3),
            ))
        }
    }
}

/// Attributes of a `geofences` feature.
///
/// The geometry gives the shape: a polygon or multipolygon is an area; a point with
/// `radius_m` is a circle; a line string with `width_m` is a corridor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geofence {
    /// Its name.
    pub name: String,
    /// What it protects.
    pub kind: FenceKind,
    /// Circle radius (m), for point geometries.
    #[serde(default)]
    pub radius_m: Option<PositiveM>,
    /// Corridor width (m), for line geometries.
    #[serde(default)]
    pub width_m: Option<PositiveM>,
    /// The town it belongs to.
    #[serde(default)]
    pub town: Option<String>,
    /// The rule it enforces.
    #[serde(default)]
    pub rule: FenceRule,
}

impl Record for Geofence {
    const LAYER: Layer = Layer::Geofences;
    fn check(&self, geometry: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("name", &self.name)?;
        self.rule.check()?;
        match geometry {
            Some(Geometry::Point(_)) if self.radius_m.is_none() => Err(ModelError::invalid(
                "radius_m",
                "a point fence is a circle and needs radius_m",
            )),
            Some(Geometry::LineString(_) | Geometry::MultiLineString(_))
                if self.width_m.is_none() =>
            {
                Err(ModelError::invalid(
                    "width_m",
                    "a line fence is a corridor and needs width_m",
                ))
            }
            Some(
                Geometry::Point(_)
                | Geometry::LineString(_)
                | Geometry::MultiLineString(_)
                | Geometry::Polygon(_)
                | Geometry::MultiPolygon(_),
            ) => Ok(()),
            Some(other) => Err(ModelError::invalid(
                "geometry",
                format!(
                    "a geofence is a Polygon, MultiPolygon, Point (circle) or LineString (corridor), not {}",
                    geometry_name(other)
                ),
            )),
            None => Err(ModelError::invalid(
                "geometry",
                "a geofence needs a geometry",
            )),
        }
    }
}

/// Attributes of a `vessels` feature (the latest report of one vessel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vessel {
    /// Its MMSI.
    pub mmsi: Mmsi,
    /// Name from the static report.
    #[serde(default)]
    pub name: Option<String>,
    /// Call sign.
    #[serde(default)]
    pub callsign: Option<String>,
    /// IMO number.
    #[serde(default)]
    pub imo: Option<u32>,
    /// AIS ship-and-cargo type code.
    #[serde(default)]
    pub ship_type: Option<u8>,
    /// Speed over ground (kn).
    #[serde(default)]
    pub sog_kn: Option<NonNegative>,
    /// Course over ground (deg).
    #[serde(default)]
    pub cog_deg: Option<HeadingDeg>,
    /// True heading (deg).
    #[serde(default)]
    pub heading_deg: Option<HeadingDeg>,
    /// AIS navigational status code.
    #[serde(default)]
    pub nav_status: Option<u8>,
    /// Time of the latest report (epoch s).
    pub last_seen: i64,
    /// Identity and behaviour flags.
    #[serde(default)]
    pub flags: Vec<String>,
}

impl Record for Vessel {
    const LAYER: Layer = Layer::Vessels;
}

/// Attributes of a `vessel_tracks` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VesselTrack {
    /// The vessel.
    pub mmsi: Mmsi,
    /// First fix (epoch s).
    pub t_start: i64,
    /// Last fix (epoch s).
    pub t_end: i64,
}

impl Record for VesselTrack {
    const LAYER: Layer = Layer::VesselTracks;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        ordered_span(self.t_start, self.t_end)
    }
}

/// Attributes of a `vehicles` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    /// The tracker's id for the vehicle (what GPS fixes carry).
    pub vehicle_id: String,
    /// Number plate.
    #[serde(default)]
    pub plate: Option<String>,
    /// Vehicle class.
    pub class: VehicleClass,
    /// The route-corridor geofence it must keep to.
    #[serde(default)]
    pub corridor_id: Option<FeatureId>,
    /// Its JT/T 808 terminal's phone number (the SIM's, up to 20 digits), which binds the
    /// terminal to it.
    #[serde(default)]
    pub terminal_id: Option<String>,
    /// The town it belongs to.
    #[serde(default)]
    pub town: Option<String>,
    /// Speed at the latest fix (km/h).
    #[serde(default)]
    pub speed_kmh: Option<NonNegative>,
    /// Heading at the latest fix (deg).
    #[serde(default)]
    pub heading_deg: Option<HeadingDeg>,
    /// Time of the latest fix (epoch s).
    #[serde(default)]
    pub last_seen: Option<i64>,
}

impl Record for Vehicle {
    const LAYER: Layer = Layer::Vehicles;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("vehicle_id", &self.vehicle_id)?;
        match &self.terminal_id {
            Some(phone)
                if phone.is_empty()
                    || phone.len() > 20
                    || !phone.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Err(ModelError::invalid(
                    "terminal_id",
                    format!("{phone:?} is not a phone number of 1 to 20 digits"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Attributes of a `vehicle_routes` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleRoute {
    /// The vehicle.
    pub vehicle_id: String,
    /// First fix (epoch s).
    pub t_start: i64,
    /// Last fix (epoch s).
    pub t_end: i64,
}

impl Record for VehicleRoute {
    const LAYER: Layer = Layer::VehicleRoutes;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("vehicle_id", &self.vehicle_id)?;
        ordered_span(self.t_start, self.t_end)
    }
}

/// Attributes of a `camera_tracks` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraTrack {
    /// The camera's feature id.
    pub camera_id: FeatureId,
    /// What the video core saw.
    pub class: TrackClass,
    /// The AIS vessel it was matched to.
    #[serde(default)]
    pub matched_mmsi: Option<Mmsi>,
    /// First observation (epoch s).
    pub t_start: i64,
    /// Last observation (epoch s).
    pub t_end: i64,
    /// The number plate the camera read on it.
    #[serde(default)]
    pub plate: Option<String>,
    /// The hull number or name the camera read on it.
    #[serde(default)]
    pub hull_text: Option<String>,
}

impl Record for CameraTrack {
    const LAYER: Layer = Layer::CameraTracks;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        ordered_span(self.t_start, self.t_end)
    }
}

/// What an alert is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// The kind of subject.
    #[serde(rename = "type")]
    pub kind: SubjectType,
    /// Its id (MMSI, vehicle id, track id, area id) as text.
    pub id: String,
    /// Its name, when known.
    #[serde(default)]
    pub name: Option<String>,
}

/// One step of an alert's lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// When (epoch s).
    pub at: i64,
    /// Who (the token's user).
    pub by: String,
    /// What: `ack`, `assign`, `resolve`, `update`.
    pub action: String,
    /// Free-text note.
    #[serde(default)]
    pub note: Option<String>,
    /// Assignee, for `assign`.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Outcome, for `resolve`: `confirmed`, `false_alarm` or `other`.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// Attributes of an `alerts` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// What happened.
    pub kind: AlertKind,
    /// How urgent it is.
    pub severity: Severity,
    /// Lifecycle state.
    pub status: AlertStatus,
    /// When the episode began (epoch s).
    pub opened_at: i64,
    /// Last change (epoch s).
    pub updated_at: i64,
    /// What it is about.
    pub subject: Subject,
    /// The town it happened in.
    #[serde(default)]
    pub town: Option<String>,
    /// The fence involved.
    #[serde(default)]
    pub fence_id: Option<FeatureId>,
    /// Kind-specific numbers (durations, distances, speeds, matched ids).
    #[serde(default)]
    pub evidence: Map<String, Value>,
    /// Who did what.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

impl Record for Alert {
    const LAYER: Layer = Layer::Alerts;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        ordered_span(self.opened_at, self.updated_at)
    }
}

/// Attributes of a `coastline` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoastlineSegment {
    /// The town whose shore it is.
    #[serde(default)]
    pub town: Option<String>,
    /// Where the line comes from (e.g. GSHHG f).
    #[serde(default)]
    pub source: Option<String>,
}

impl Record for CoastlineSegment {
    const LAYER: Layer = Layer::Coastline;
}

/// Attributes of an `areas` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// The area's name (a town's name for towns).
    pub name: String,
    /// What it is.
    pub kind: AreaKind,
}

impl Record for Area {
    const LAYER: Layer = Layer::Areas;
    fn check(&self, _: Option<&Geometry>) -> Result<(), ModelError> {
        non_empty("name", &self.name)
    }
}

/// Attributes of an `ais_density` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DensityCell {
    /// The H3 cell index (hex string).
    pub h3: String,
    /// Positions counted in the cell.
    pub count: u64,
}

impl Record for DensityCell {
    const LAYER: Layer = Layer::AisDensity;
}

/// The GeoJSON name of a geometry's type.
pub fn geometry_name(geometry: &Geometry) -> &'static str {
    match geometry {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}
