//! The district a scenario plays in: the static layers, read from GeoJSON files.

use std::path::Path;

use coastwatch_core::{Feature, Layer};
use serde_json::Value;

use super::error::{Result, ScenarioError};

/// The static layers of a district, as GeoJSON features with integer ids.
///
/// The layers with a store schema (`risk_points`, `cameras`, `geofences`, `coastline`,
/// `areas`) are validated by [`Layer::validate`]; `land` (Polygon or MultiPolygon),
/// `roads` (LineString, `id`, `name`) and `lanes` (LineString in water, `kind` one of
/// `transit`, `approach`, `fishing`, `anchorage`, and `dock_id` for approach lanes) are
/// taken as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct District {
    /// Docks (registered or not), anchorages, depots and other risk points.
    pub risk_points: Vec<Feature>,
    /// Cameras.
    pub cameras: Vec<Feature>,
    /// Restricted sea areas, no-landing shores, route corridors and watch zones.
    pub geofences: Vec<Feature>,
    /// The shoreline, as line strings.
    pub coastline: Vec<Feature>,
    /// Land polygons (what is not water).
    pub land: Vec<Feature>,
    /// Town areas and the district boundary.
    pub areas: Vec<Feature>,
    /// Roads trucks drive on.
    pub roads: Vec<Feature>,
    /// Shipping lanes in water.
    pub lanes: Vec<Feature>,
}

/// The file names of a district directory, in the order of [`District`]'s fields.
pub const DISTRICT_FILES: [&str; 8] = [
    "risk_points.geojson",
    "cameras.geojson",
    "geofences.geojson",
    "coastline.geojson",
    "land.geojson",
    "areas.geojson",
    "roads.geojson",
    "lanes.geojson",
];

/// Layers a district cannot do without; the others may be missing (read as empty).
const REQUIRED: [&str; 5] = [
    "risk_points.geojson",
    "geofences.geojson",
    "coastline.geojson",
    "areas.geojson",
    "lanes.geojson",
];

impl District {
    /// Reads the layers from `dir` ([`DISTRICT_FILES`]). `cameras`, `land` and `roads` may
    /// be missing; the others must be there.
    ///
    /// # Errors
    /// A required file that cannot be read, a file that is not a GeoJSON
    /// FeatureCollection, or a feature that is not valid for its layer.
    pub fn load(dir: &Path) -> Result<Self> {
        let mut layers: Vec<Vec<Feature>> = Vec::with_capacity(DISTRICT_FILES.len());
        for name in DISTRICT_FILES {
            let path = dir.join(name);
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !REQUIRED.contains(&name) => {
                    layers.push(Vec::new());
                    continue;
                }
                Err(source) => return Err(ScenarioError::Io { path, source }),
            };
            layers.push(parse_collection(&path, &text, layer_of(name))?);
        }
        Ok(Self::from_layers(layers))
    }

    /// Parses the layers from GeoJSON texts, in the order of [`DISTRICT_FILES`] (whose
    /// names the errors give). An empty text is an empty layer.
    ///
    /// # Errors
    /// As [`District::load`].
    pub fn from_texts(texts: [&str; 8]) -> Result<Self> {
        let mut layers = Vec::with_capacity(8);
        for (name, text) in DISTRICT_FILES.iter().zip(texts) {
            if text.trim().is_empty() {
                layers.push(Vec::new());
            } else {
                layers.push(parse_collection(Path::new(name), text, layer_of(name))?);
            }
        }
        Ok(Self::from_layers(layers))
    }

    /// The district of layers given in the order of [`DISTRICT_FILES`].
    fn from_layers(layers: Vec<Vec<Feature>>) -> Self {
        let mut it = layers.into_iter();
        let mut next = || it.next().unwrap_or_default();
        Self {
            risk_points: next(),
            cameras: next(),
            geofences: next(),
            coastline: next(),
            land: next(),
            areas: next(),
            roads: next(),
            lanes: next(),
        }
    }

    /// The embedded demo district: the inner Xiangshan Bay (`datasets/data/demo/`, real
    /// GSHHG shoreline, synthetic risk points, cameras, fences, roads and lanes; see the
    /// README there).
    ///
    /// # Errors
    /// None for the committed files (their tests check them); an edit that breaks them
    /// shows here as for [`District::load`].
    pub fn demo() -> Result<Self> {
        Self::from_texts([
            include_str!("../../data/demo/risk_points.geojson"),
            include_str!("../../data/demo/cameras.geojson"),
            include_str!("../../data/demo/geofences.geojson"),
            include_str!("../../data/demo/coastline.geojson"),
            include_str!("../../data/demo/land.geojson"),
            include_str!("../../data/demo/areas.geojson"),
            include_str!("../../data/demo/roads.geojson"),
            include_str!("../../data/demo/lanes.geojson"),
        ])
    }
}

fn layer_of(name: &str) -> Option<Layer> {
    match name {
        "risk_points.geojson" => Some(Layer::RiskPoints),
        "cameras.geojson" => Some(Layer::Cameras),
        "geofences.geojson" => Some(Layer::Geofences),
        "coastline.geojson" => Some(Layer::Coastline),
        "areas.geojson" => Some(Layer::Areas),
        _ => None,
    }
}

/// The features of a GeoJSON FeatureCollection text, validated for `layer` when given.
pub(crate) fn parse_collection(
    path: &Path,
    text: &str,
    layer: Option<Layer>,
) -> Result<Vec<Feature>> {
    let doc: Value = serde_json::from_str(text).map_err(|source| ScenarioError::Json {
        path: path.to_owned(),
        source,
    })?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| ScenarioError::Line {
            path: path.to_owned(),
            line: 1,
            reason: "not a GeoJSON FeatureCollection".into(),
        })?;
    features
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let feature = Feature::from_geojson(value.clone());
            let feature = match (feature, layer) {
                (Ok(f), Some(layer)) => layer.validate(f),
                (other, _) => other,
            };
            feature.map_err(|source| ScenarioError::Feature {
                path: path.to_owned(),
                index,
                source,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_district_round_trips_through_files() {
        let district = District::synthetic();
        assert_eq!(district.geofences.len(), 8);
        let dir = tempfile::tempdir().unwrap();
        let layers = [
            &district.risk_points,
            &district.cameras,
            &district.geofences,
            &district.coastline,
            &district.land,
            &district.areas,
            &district.roads,
            &district.lanes,
        ];
        for (name, features) in DISTRICT_FILES.iter().zip(layers) {
            let text = coastwatch_core::geojson::to_geojson_string(features);
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let back = District::load(dir.path()).unwrap();
        assert_eq!(back.lanes.len(), district.lanes.len());
        assert_eq!(back.geofences.len(), district.geofences.len());
        std::fs::remove_file(dir.path().join("lanes.geojson")).unwrap();
        assert!(matches!(
            District::load(dir.path()),
            Err(ScenarioError::Io { .. })
        ));
        std::fs::write(dir.path().join("lanes.geojson"), "{}").unwrap();
        assert!(District::load(dir.path()).is_err());
    }
}
