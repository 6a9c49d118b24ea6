//! A feature of any layer: id, geometry and attributes, with validation and GeoJSON I/O.

use geo::{Coord, CoordsIter, Geometry, MultiPolygon, Validation};
use serde_json::{Map, Value};

use crate::ModelError;
use crate::layer::{GeometryType, Layer};
use crate::model::{self, FeatureId, geometry_name};

/// A feature of a layer. Coordinates are WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The store's id; `None` until stored (or to let the store choose).
    pub id: Option<FeatureId>,
    /// The shape; only `vehicles` may lack one.
    pub geometry: Option<Geometry>,
    /// Attributes, as the layer's record type serializes them.
    pub properties: Map<String, Value>,
}

impl Feature {
    /// A feature without id.
    pub fn new(geometry: impl Into<Geometry>, properties: Value) -> Self {
        let properties = match properties {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self {
            id: None,
            geometry: Some(geometry.into()),
            properties,
        }
    }

    /// The same feature with an id.
    pub fn with_id(mut self, id: FeatureId) -> Self {
        self.id = Some(id);
        self
    }

    /// Parses a GeoJSON `Feature` object. Properties are taken as they are; call
    /// [`Layer::validate`] to check them.
    pub fn from_geojson(value: Value) -> Result<Self, ModelError> {
        let feature: geojson::Feature = serde_json::from_value(value)
            .map_err(|e| ModelError::invalid("GeoJSON feature", e.to_string()))?;
        let id = match &feature.id {
            None => None,
            Some(geojson::feature::Id::Number(n)) => {
                let n = n
                    .as_i64()
                    .ok_or_else(|| ModelError::invalid("id", format!("{n} is not an integer")))?;
                Some(FeatureId::try_from(n)?)
            }
            Some(geojson::feature::Id::String(s)) => Some(s.parse()?),
        };
        let geometry = match feature.geometry {
            None => None,
            Some(g) => Some(
                check_positions(&g.value)
                    .and_then(|()| Geometry::try_from(g).map_err(|e| e.to_string()))
                    .map_err(|e| ModelError::invalid("geometry", e))?,
            ),
        };
        Ok(Self {
            id,
            geometry,
            properties: feature.properties.unwrap_or_default(),
        })
    }

    /// Parses a request body that is one GeoJSON `Feature` (then `true`) or a non-empty
    /// `FeatureCollection` (then `false`), as the features API takes it. Properties are taken
    /// as they are; call [`Layer::validate`] to check them.
    pub fn from_geojson_body(body: Value) -> Result<(Vec<Self>, bool), BodyError> {
        let parse = |(index, value): (usize, Value)| {
            Self::from_geojson(value).map_err(|source| BodyError::Feature { index, source })
        };
        let kind = body.get("type").and_then(Value::as_str).map(str::to_owned);
        match (kind.as_deref(), body) {
            (Some("Feature"), body) => Ok((vec![parse((0, body))?], true)),
            (Some("FeatureCollection"), Value::Object(mut object)) => {
                let Some(Value::Array(items)) = object.remove("features") else {
                    return Err(BodyError::NoFeaturesArray);
                };
                if items.is_empty() {
                    return Err(BodyError::Empty);
                }
                let features = items
                    .into_iter()
                    .enumerate()
                    .map(parse)
                    .collect::<Result<_, _>>()?;
                Ok((features, false))
            }
            (other, _) => Err(BodyError::NotFeatures(
                other.map_or("(none)".into(), |t| format!("{t:?}")),
            )),
        }
    }

    /// The GeoJSON `Feature` object.
    pub fn to_geojson(&self) -> Value {
        let mut object = Map::new();
        object.insert("type".into(), "Feature".into());
        if let Some(id) = self.id {
            object.insert("id".into(), id.get().into());
        }
        let geometry = match &self.geometry {
            Some(g) => serde_json::to_value(geojson::Geometry::from(g)).unwrap_or(Value::Null),
            None => Value::Null,
        };
        object.insert("geometry".into(), geometry);
        object.insert("properties".into(), Value::Object(self.properties.clone()));
        Value::Object(object)
    }
}

/// Why a request body is not a GeoJSON Feature or FeatureCollection of features.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body's `type` is neither `Feature` nor `FeatureCollection` (the type as found).
    #[error("expected a GeoJSON Feature or FeatureCollection, got type {0}")]
    NotFeatures(String),
    /// A FeatureCollection without a `features` array.
    #[error("FeatureCollection has no \"features\" array")]
    NoFeaturesArray,
    /// A FeatureCollection whose `features` array is empty.
    #[error("FeatureCollection has no features")]
    Empty,
    /// Feature `index` (0-based) is not a usable GeoJSON Feature.
    #[error("feature {index}: {source}")]
    Feature {
        /// Its position in the body.
        index: usize,
        /// What is wrong with it.
        source: ModelError,
    },
}

impl Layer {
    /// Checks a feature against this layer's geometry type and value rules and returns it
    /// normalized: attribute defaults filled, a Polygon promoted to MultiPolygon where the
    /// layer holds multipolygons.
    pub fn validate(self, feature: Feature) -> Result<Feature, ModelError> {
        let geometry = match feature.geometry {
            Some(g) => Some(self.check_geometry(g)?),
            None if self.geometry_required() => {
                return Err(ModelError::invalid(
                    "geometry",
                    format!("{self} features need a geometry"),
                ));
            }
            None => None,
        };
        let properties = model::normalize(self, feature.properties, geometry.as_ref())?;
        Ok(Feature {
            id: feature.id,
            geometry,
            properties,
        })
    }

    fn check_geometry(self, geometry: Geometry) -> Result<Geometry, ModelError> {
        let geometry = match (self.geometry_type(), geometry) {
            (GeometryType::Point, g @ Geometry::Point(_))
            | (GeometryType::LineString, g @ Geometry::LineString(_))
            | (GeometryType::Polygon, g @ Geometry::Polygon(_))
            | (GeometryType::MultiPolygon, g @ Geometry::MultiPolygon(_))
            | (GeometryType::Geometry, g) => g,
            (GeometryType::MultiPolygon, Geometry::Polygon(p)) => {
                Geometry::MultiPolygon(MultiPolygon(vec![p]))
            }
            (expected, g) => {
                return Err(ModelError::invalid(
                    "geometry",
                    format!(
                        "{self} holds {} geometries, got {}",
                        expected.sql_name(),
                        geometry_name(&g)
                    ),
                ));
            }
        };
        check_coordinates(&geometry)?;
        if let Err(problem) = geometry.check_validation() {
            return Err(ModelError::invalid(
                "geometry",
                format!("invalid {}: {problem}", geometry_name(&geometry)),
            ));
        }
        Ok(geometry)
    }
}

/// Checks that every position of a GeoJSON geometry has a longitude and a latitude (the
/// conversion to `geo` indexes them without looking).
fn check_positions(value: &geojson::GeometryValue) -> Result<(), String> {
    use geojson::GeometryValue as V;
    let short = |p: &geojson::Position| p.len() < 2;
    let bad = match value {
        V::Point { coordinates } => short(coordinates),
        V::MultiPoint { coordinates } | V::LineString { coordinates } => {
            coordinates.iter().any(short)
        }
        V::MultiLineString { coordinates } | V::Polygon { coordinates } => {
            coordinates.iter().flatten().any(short)
        }
        V::MultiPolygon { coordinates } => coordinates.iter().flatten().flatten().any(short),
        V::GeometryCollection { geometries } => {
            return geometries
                .iter()
                .try_for_each(|g| check_positions(&g.value));
        }
    };
    if bad {
        Err("a position needs at least two numbers, longitude and latitude".into())
    } else {
        Ok(())
    }
}

fn check_coordinates(geometry: &Geometry) -> Result<(), ModelError> {
    if geometry.coords_count() == 0 {
        return Err(ModelError::invalid("geometry", "is empty"));
    }
    for Coord { x, y } in geometry.coords_iter() {
        if !(x.is_finite() && (-180.0..=180.0).contains(&x)) {
            return Err(ModelError::OutOfRange {
                what: "longitude",
                value: x,
                rule: "must be within -180..=180",
            });
        }
        if !(y.is_finite() && (-90.0..=90.0).contains(&y)) {
            return Err(ModelError::OutOfRange {
                what: "latitude",
                value: y,
                rule: "must be within -90..=90",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use geo::{line_string, point, polygon};
    use serde_json::json;

    use super::*;

    fn dock() -> Feature {
        Feature::new(
            point!(x: 121.5, y: 29.6),
            json!({"kind": "dock", "name": "Chunhu pier", "registered": true}),
        )
    }

    #[test]
    fn validation_fills_defaults() {
        let f = Layer::RiskPoints.validate(dock()).unwrap();
        assert_eq!(f.properties["card"], "none");
        assert_eq!(f.properties["town"], Value::Null);
    }

    #[test]
    fn validation_rejects_what_breaks_the_rules() {
        let mut f = dock();
        f.geometry = Some(point!(x: 200.0, y: 29.6).into());
        assert!(
            Layer::RiskPoints
                .validate(f)
                .unwrap_err()
                .to_string()
                .contains("longitude 200")
        );

        let f = Feature::new(
            line_string![(x: 121.0, y: 29.0), (x: 121.1, y: 29.1)],
            json!({"kind": "dock", "name": "x"}),
        );
        let err = Layer::RiskPoints.validate(f).unwrap_err().to_string();
        assert!(
            err.contains("risk_points holds POINT geometries, got LineString"),
            "{err}"
        );

        let mut f = dock();
        f.properties.insert("colour".into(), "red".into());
        assert!(
            Layer::RiskPoints
                .validate(f)
                .unwrap_err()
                .to_string()
                .contains("unknown field `colour`")
        );

        let mut f = dock();
        f.properties.insert("kind".into(), "castle".into());
        assert!(
            Layer::RiskPoints
                .validate(f)
                .unwrap_err()
                .to_string()
                .contains("unknown variant `castle`")
        );

        let bowtie = polygon![(x: 121.0, y: 29.0), (x: 121.1, y: 29.1), (x: 121.1, y: 29.0), (x: 121.0, y: 29.1), (x: 121.0, y: 29.0)];
        let f = Feature::new(bowtie, json!({"name": "bay", "kind": "restricted_sea"}));
        assert!(
            Layer::Geofences
                .validate(f)
                .unwrap_err()
                .to_string()
                .contains("invalid Polygon")
        );

        let f = Feature::new(
            point!(x: 121.5, y: 29.6),
            json!({"name": "ring", "kind": "watch_zone"}),
        );
        assert!(
            Layer::Geofences
                .validate(f)
                .unwrap_err()
                .to_string()
                .contains("needs radius_m")
        );
    }

    #[test]
    fn cameras_check_their_optics() {
        let camera = |hfov: f64, range: f64| {
            Feature::new(
                point!(x: 121.5, y: 29.6),
                json!({"name": "c1", "height_m": 12, "heading_deg": 90, "hfov_deg": hfov, "range_m": range}),
            )
        };
        assert!(Layer::Cameras.validate(camera(60.0, 3000.0)).is_ok());
        assert!(
            Layer::Cameras
                .validate(camera(0.0, 3000.0))
                .unwrap_err()
                .to_string()
                .contains("hfov_deg 0")
        );
        assert!(Layer::Cameras.validate(camera(361.0, 3000.0)).is_err());
        assert!(Layer::Cameras.validate(camera(60.0, -1.0)).is_err());
    }

    #[test]
    fn polygons_are_promoted_for_multipolygon_layers() {
        let square = polygon![(x: 121.0, y: 29.0), (x: 121.1, y: 29.0), (x: 121.1, y: 29.1), (x: 121.0, y: 29.1), (x: 121.0, y: 29.0)];
        let f = Layer::Areas
            .validate(Feature::new(
                square,
                json!({"name": "Qiucun", "kind": "town"}),
            ))
            .unwrap();
        assert!(matches!(f.geometry, Some(Geometry::MultiPolygon(_))));
    }

    #[test]
    fn bodies_are_one_feature_or_a_collection() {
        let dock = dock().to_geojson();
        let (features, single) = Feature::from_geojson_body(dock.clone()).unwrap();
        assert!(single && features.len() == 1);
        let body = json!({"type": "FeatureCollection", "features": [dock.clone(), dock]});
        let (features, single) = Feature::from_geojson_body(body).unwrap();
        assert!(!single && features.len() == 2);

        let refused = |body: Value| Feature::from_geojson_body(body).unwrap_err().to_string();
        assert_eq!(
            refused(json!({"type": "Topology"})),
            "expected a GeoJSON Feature or FeatureCollection, got type \"Topology\""
        );
        assert!(refused(json!([1, 2])).ends_with("got type (none)"));
        assert!(refused(json!({"type": "FeatureCollection"})).contains("no \"features\" array"));
        assert!(
            refused(json!({"type": "FeatureCollection", "features": []})).contains("no features")
        );
        let bad = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": null, "properties": {}},
            {"type": "Feature", "geometry": {"type": "Point"}},
        ]});
        match Feature::from_geojson_body(bad) {
            Err(BodyError::Feature { index: 1, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn geojson_round_trip() {
        let f = Layer::RiskPoints
            .validate(dock())
            .unwrap()
            .with_id(FeatureId::try_from(7).unwrap());
        let back = Feature::from_geojson(f.to_geojson()).unwrap();
        assert_eq!(back, f);
        assert!(
            Feature::from_geojson(json!({"type": "Feature", "geometry": {"type": "Point"}}))
                .is_err()
        );
    }
}
