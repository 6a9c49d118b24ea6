//! The layers of coastwatch: names, geometry types and attribute schemas.
//!
//! A layer name is also its tile source id, its OGC API collection id and its table name in
//! both stores. The schema here is the single description the stores, the API and the
//! importers work from; the typed records in [`crate::model`] add the value rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// The geometry type a layer holds, as named in GeoPackage and PostGIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryType {
    /// A single position.
    Point,
    /// A path.
    LineString,
    /// An area with optional holes.
    Polygon,
    /// Several areas.
    MultiPolygon,
    /// Any geometry (geofences: areas, circles as a centre point, corridors as a line).
    Geometry,
}

impl GeometryType {
    /// The upper-case name used in `gpkg_geometry_columns` and PostGIS type modifiers.
    pub fn sql_name(self) -> &'static str {
        match self {
            Self::Point => "POINT",
            Self::LineString => "LINESTRING",
            Self::Polygon => "POLYGON",
            Self::MultiPolygon => "MULTIPOLYGON",
            Self::Geometry => "GEOMETRY",
        }
    }
}

/// The storage type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// UTF-8 text.
    Text,
    /// 64-bit signed integer (ids, epoch seconds, codes).
    Integer,
    /// 64-bit float.
    Real,
    /// true/false.
    Bool,
    /// A JSON document (rules, evidence, history, flags).
    Json,
}

impl FieldType {
    /// The name used in TileJSON `vector_layers` and OGC schemas.
    pub fn json_name(self) -> &'static str {
        match self {
            Self::Text => "string",
            Self::Integer => "integer",
            Self::Real => "number",
            Self::Bool => "boolean",
            Self::Json => "object",
        }
    }
}

/// One attribute of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Column and property name.
    pub name: &'static str,
    /// Storage type.
    pub ty: FieldType,
    /// Whether the value may be absent.
    pub nullable: bool,
}

const fn req(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        nullable: false,
    }
}

const fn opt(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        nullable: true,
    }
}

use FieldType::{Bool, Integer, Json, Real, Text};

/// Defines the [`Layer`] enum with its names, geometry types and fields in one table.
macro_rules! layers {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $geom:ident, $required:literal, [$($field:expr),* $(,)?];)*) => {
        /// A layer of coastwatch (see PRODUCT.md, "Domain").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Layer {
            $($(#[$doc])* $variant,)*
        }

        impl Layer {
    /// `layers` without repeats, in [`Layer::ALL`] order: the one form of a composite tile
    /// source, so that `a,b`, `b,a` and `a,a,b` are the same tile (served, cached, exported).
    pub fn in_order(layers: impl IntoIterator<Item = Layer>) -> Vec<Layer> {
        let wanted: Vec<Layer> = layers.into_iter().collect();
        Layer::ALL
            .iter()
            .copied()
            .filter(|layer| wanted.contains(layer))
            .collect()
    }

            /// Every layer, in a stable order.
            pub const ALL: &'static [Layer] = &[$(Layer::$variant),*];

            /// The layer's name: table name, tile source id and OGC collection id.
            pub fn name(self) -> &'static str {
                match self { $(Layer::$variant => $name,)* }
            }

            /// The geometry type the layer holds.
            pub fn geometry_type(self) -> GeometryType {
                match self { $(Layer::$variant => GeometryType::$geom,)* }
            }

            /// Whether every feature must have a geometry.
            pub fn geometry_required(self) -> bool {
                match self { $(Layer::$variant => $required,)* }
            }

            /// The attributes, in column order.
            pub fn fields(self) -> &'static [Field] {
                match self { $(Layer::$variant => { const FIELDS: &[Field] = &[$($field),*]; FIELDS })* }
            }
        }
    };
}

layers! {
    /// Docks, oil depots, cold stores, shipyards, warehouses, truck and crane firms, fuel points.
    RiskPoints = "risk_points", Point, true, [
        req("kind", Text), req("name", Text), req("registered", Bool), opt("town", Text), req("card", Text),
    ];
    /// Fixed and PTZ cameras.
    Cameras = "cameras", Point, true, [
        req("name", Text), req("height_m", Real), req("heading_deg", Real), req("hfov_deg", Real),
        req("range_m", Real), opt("near_range_m", Real), req("ptz", Bool), opt("agency", Text), opt("town", Text),
    ];
    /// The visible area of each camera (derived).
    CameraCoverage = "camera_coverage", MultiPolygon, true, [
        req("camera_id", Integer), req("area_m2", Real),
    ];
    /// H3 cells of the watch area that no camera sees (derived).
    CoverageGaps = "coverage_gaps", Polygon, true, [
        req("h3", Text), req("reason", Text),
    ];
    /// Restricted sea areas, no-landing shores, route corridors and watch zones.
    Geofences = "geofences", Geometry, true, [
        req("name", Text), req("kind", Text), opt("radius_m", Real), opt("width_m", Real), opt("town", Text),
        req("rule", Json),
    ];
    /// The latest position of each vessel; the feature id is the MMSI.
    Vessels = "vessels", Point, true, [
        req("mmsi", Integer), opt("name", Text), opt("callsign", Text), opt("imo", Integer),
        opt("ship_type", Integer), opt("sog_kn", Real), opt("cog_deg", Real), opt("heading_deg", Real),
        opt("nav_status", Integer), req("last_seen", Integer), req("flags", Json),
    ];
    /// Vessel track segments.
    VesselTracks = "vessel_tracks", LineString, true, [
        req("mmsi", Integer), req("t_start", Integer), req("t_end", Integer),
    ];
    /// Registered road vehicles and their latest position (none before the first fix).
    Vehicles = "vehicles", Point, false, [
        req("vehicle_id", Text), opt("plate", Text), req("class", Text), opt("corridor_id", Integer),
        opt("terminal_id", Text), opt("town", Text), opt("speed_kmh", Real), opt("heading_deg", Real), opt("last_seen", Integer),
    ];
    /// Vehicle route segments.
    VehicleRoutes = "vehicle_routes", LineString, true, [
        req("vehicle_id", Text), req("t_start", Integer), req("t_end", Integer),
    ];
    /// Geo-referenced tracks from the video core.
    CameraTracks = "camera_tracks", LineString, true, [
        req("camera_id", Integer), req("class", Text), opt("matched_mmsi", Integer),
        req("t_start", Integer), req("t_end", Integer), opt("plate", Text), opt("hull_text", Text),
    ];
    /// Alert locations with their lifecycle.
    Alerts = "alerts", Point, true, [
        req("kind", Text), req("severity", Text), req("status", Text), req("opened_at", Integer),
        req("updated_at", Integer), req("subject", Json), opt("town", Text), opt("fence_id", Integer),
        req("evidence", Json), req("history", Json),
    ];
    /// The shoreline, as line segments per town.
    Coastline = "coastline", LineString, true, [
        opt("town", Text), opt("source", Text),
    ];
    /// Town areas and the district boundary.
    Areas = "areas", MultiPolygon, true, [
        req("name", Text), req("kind", Text),
    ];
    /// H3 aggregate of vessel positions.
    AisDensity = "ais_density", Polygon, true, [
        req("h3", Text), req("count", Integer),
    ];
    /// Cases handled across agencies, at their location.
    Cases = "cases", Point, false, [
        req("title", Text), req("status", Text), req("lead_agency", Text), req("supporting", Json),
        opt("outcome", Text), opt("goods", Text), opt("town", Text), opt("risk_point_id", Integer),
        req("opened_at", Integer), req("updated_at", Integer), req("opened_by", Text), req("links", Json),
        req("history", Json),
    ];
    /// Visits of grid officers to risk points, where the officer was.
    Inspections = "inspections", Point, true, [
        req("risk_point_id", Integer), req("inspector", Text), req("t", Integer), req("findings", Text),
        req("result", Text), req("distance_m", Real), req("recorded_at", Integer), req("photos", Integer),
    ];
    /// Red and yellow cards of towns, villages and risk points, at the unit.
    Cards = "cards", Point, false, [
        req("unit", Text), req("unit_id", Integer), req("unit_name", Text), req("color", Text),
        req("reason", Text), opt("detail", Text), req("issued_at", Integer), opt("deadline", Integer),
        req("status", Text), opt("cleared_at", Integer), opt("rectification", Text), req("issued_by", Text),
        opt("case_id", Integer), opt("town", Text),
    ];
}

impl Layer {
    /// All layer names, in order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|l| l.name()).collect()
    }

    /// The field named `name`, if the layer has it.
    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// The pair of epoch-second fields that give a feature's time span, if the layer has one.
    ///
    /// Layers with a single instant use the same field twice.
    pub fn time_fields(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::VesselTracks | Self::VehicleRoutes | Self::CameraTracks => {
                Some(("t_start", "t_end"))
            }
            Self::Vessels => Some(("last_seen", "last_seen")),
            Self::Alerts | Self::Cases => Some(("opened_at", "updated_at")),
            Self::Inspections => Some(("t", "t")),
            _ => None,
        }
    }

    /// Whether users edit this layer through `/api/v1/{layer}` (the others are derived or fed).
    pub fn editable(self) -> bool {
        matches!(
            self,
            Self::RiskPoints | Self::Cameras | Self::Geofences | Self::Vehicles
        )
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Layer {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        Self::ALL
            .iter()
            .copied()
            .find(|l| l.name() == s)
            .ok_or_else(|| ModelError::UnknownLayer(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for layer in Layer::ALL {
            assert_eq!(layer.name().parse::<Layer>().unwrap(), *layer);
        }
        let err = "boats".parse::<Layer>().unwrap_err().to_string();
        assert!(
            err.contains("unknown layer \"boats\"") && err.contains("risk_points"),
            "{err}"
        );
    }

    #[test]
    fn field_names_are_unique_identifiers() {
        for layer in Layer::ALL {
            let mut names: Vec<_> = layer.fields().iter().map(|f| f.name).collect();
            assert!(names.iter().all(|n| {
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            }));
            names.sort();
            names.dedup();
            assert_eq!(names.len(), layer.fields().len(), "{layer}");
            assert!(!names.contains(&"fid") && !names.contains(&"geom") && !names.contains(&"id"));
        }
    }
}
