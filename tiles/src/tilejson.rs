//! TileJSON 3.0.0 documents describing a vector tile source.
//!
//! # Units
//! `bounds` and `center` are WGS84 lon/lat degrees; zooms are tile zoom levels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The TileJSON version this module writes.
pub const TILEJSON_VERSION: &str = "3.0.0";

/// A TileJSON 3.0.0 document; optional members are left out when `None`.
///
/// ```
/// use coastwatch_tiles::tilejson::{TileJson, VectorLayer};
/// let mut doc = TileJson::new(vec!["http://localhost:8080/tiles/vessels/{z}/{x}/{y}".into()]);
/// doc.vector_layers.push(VectorLayer::new("vessels").with_field("mmsi", "Number"));
/// doc.maxzoom = Some(16);
/// let json = serde_json::to_value(&doc).unwrap();
/// assert_eq!(json["tilejson"], "3.0.0");
/// assert_eq!(json["vector_layers"][0]["fields"]["mmsi"], "Number");
/// assert!(json.get("bounds").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileJson {
    /// The TileJSON version, `"3.0.0"`.
    pub tilejson: String,
    /// Tile URL templates with `{z}`, `{x}` and `{y}`.
    pub tiles: Vec<String>,
    /// The layers inside the vector tiles.
    pub vector_layers: Vec<VectorLayer>,
    /// `[west, south, east, north]` in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 4]>,
    /// `[longitude, latitude, zoom]`: where to open a map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub center: Option<[f64; 3]>,
    /// Lowest zoom with tiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minzoom: Option<u8>,
    /// Highest zoom with tiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxzoom: Option<u8>,
    /// A short name of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A longer description of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Attribution to show on the map (may hold HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

impl TileJson {
    /// A document with these tile URLs and nothing else.
    #[must_use]
    pub fn new(tiles: Vec<String>) -> Self {
        TileJson {
            tilejson: TILEJSON_VERSION.to_owned(),
            tiles,
            vector_layers: Vec::new(),
            bounds: None,
            center: None,
            minzoom: None,
            maxzoom: None,
            name: None,
            description: None,
            attribution: None,
        }
    }
}

/// One entry of `vector_layers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorLayer {
    /// The layer name inside the tiles.
    pub id: String,
    /// Attribute name → type description (`"String"`, `"Number"`, `"Boolean"`, or prose).
    pub fields: BTreeMap<String, String>,
    /// What the layer holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lowest zoom at which the layer appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minzoom: Option<u8>,
    /// Highest zoom at which the layer appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxzoom: Option<u8>,
}

impl VectorLayer {
    /// A layer entry without fields.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        VectorLayer {
            id: id.into(),
            fields: BTreeMap::new(),
            description: None,
            minzoom: None,
            maxzoom: None,
        }
    }

    /// Adds a field and its type description.
    #[must_use]
    pub fn with_field(mut self, name: impl Into<String>, kind: impl Into<String>) -> Self {
        self.fields.insert(name.into(), kind.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_document_round_trips() {
        let mut doc = TileJson::new(vec!["https://example.invalid/{z}/{x}/{y}".into()]);
        let mut layer = VectorLayer::new("cameras").with_field("range_m", "Number");
        layer.description = Some("fixed and PTZ cameras".into());
        layer.minzoom = Some(8);
        layer.maxzoom = Some(18);
        doc.vector_layers.push(layer);
        doc.bounds = Some([121.4, 29.45, 121.8, 29.7]);
        doc.center = Some([121.6, 29.55, 11.0]);
        doc.minzoom = Some(0);
        doc.maxzoom = Some(18);
        doc.name = Some("cameras".into());
        doc.attribution = Some("coastwatch".into());
        let text = serde_json::to_string(&doc).unwrap();
        let back: TileJson = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json["bounds"],
            serde_json::json!([121.4, 29.45, 121.8, 29.7])
        );
        assert_eq!(json["vector_layers"][0]["minzoom"], 8);
    }
}
