//! Encoding lon/lat features into a Mapbox Vector Tile (spec 2.1, layer version 2).
//!
//! Each feature goes through: projection of its WGS84 lon/lat degrees to Web
//! Mercator and then to tile units; clipping to the tile square plus a buffer
//! (points outside are dropped, lines cut into parts, rings clipped with
//! Sutherland–Hodgman); Douglas–Peucker simplification in tile units (never for
//! points); rounding to integers; removal of repeated consecutive points (so no
//! zero-length segments and no closing point, which `ClosePath` replaces); removal
//! of lines under 2 points and rings under 3 points or with zero area; and
//! reorientation of rings, exterior clockwise on screen (positive area in tile
//! coordinates) and holes counter-clockwise. Keys and values are shared per layer.
//! Layers without features are left out, so a tile without features encodes to no
//! bytes at all (answer HTTP 204).
//!
//! # Units
//! Input geometry is lon/lat degrees (EPSG:4326, `x` = longitude). `extent`,
//! `buffer_units` and `simplify_tolerance_units` are tile units; since a tile unit is
//! `tile width / extent`, the tolerance shrinks on the ground as zoom grows.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

// keys and values are interned for every property of every feature: foldhash, several times
// faster than SipHash on these short keys and still seeded per process
use foldhash::HashMap;
use geo::{Coord, Geometry, LineString, Polygon};

use super::clip::ClipBox;
use super::command::CommandWriter;
use super::error::EncodeError;
use super::geometry::{GeomType, ring_area2};
use super::pbf::{self, put_bytes, put_key, put_packed, put_varint, put_varint_field, zigzag64};
use super::simplify::simplify;
use super::value::Value;
use crate::coord::TileCoord;
use crate::mercator::lon_lat_to_mercator_m;

/// Settings of the encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodeOptions {
    /// Tile units across the tile (the layer `extent`), default 4096.
    pub extent: u32,
    /// Tile units kept beyond each edge so that lines and fills join across tiles,
    /// default 64.
    pub buffer_units: u32,
    /// Douglas–Peucker tolerance in tile units, default 1.0; 0 disables it.
    pub simplify_tolerance_units: f64,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            extent: 4096,
            buffer_units: 64,
            simplify_tolerance_units: 1.0,
        }
    }
}

/// Builds one vector tile from lon/lat features, layer by layer.
///
/// ```
/// use coastwatch_tiles::{TileCoord, mvt::{decode, TileEncoder}};
/// let tile = TileCoord::from_zxy(10, 857, 423).unwrap();
/// let mut encoder = TileEncoder::new(tile);
/// let vessel = geo::Geometry::Point(geo::point! { x: 121.6, y: 29.56 });
/// encoder.layer("vessels").add_feature(Some(412_000_001), &vessel, [("sog_kn", 7.5)]).unwrap();
/// let bytes = encoder.encode();
/// let decoded = decode(&bytes).unwrap();
/// assert_eq!(decoded.layers[0].name, "vessels");
/// assert_eq!(decoded.layers[0].features[0].id, Some(412_000_001));
///
/// // Nothing in the tile: no bytes.
/// assert!(TileEncoder::new(tile).encode().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct TileEncoder {
    transform: Transform,
    layers: Vec<LayerBuilder>,
}

impl TileEncoder {
    /// An encoder for `tile` with [`EncodeOptions::default`].
    #[must_use]
    pub fn new(tile: TileCoord) -> Self {
        TileEncoder::with_options(tile, EncodeOptions::default())
    }

    /// An encoder for `tile` with the given options.
    #[must_use]
    pub fn with_options(tile: TileCoord, options: EncodeOptions) -> Self {
        TileEncoder {
            transform: Transform::new(tile, options),
            layers: Vec::new(),
        }
    }

    /// The layer called `name`, created empty on first use.
    pub fn layer(&mut self, name: &str) -> &mut LayerBuilder {
        let index = match self.layers.iter().position(|l| l.name == name) {
            Some(index) => index,
            None => {
                self.layers.push(LayerBuilder::new(name, self.transform));
                self.layers.len() - 1
            }
        };
        &mut self.layers[index]
    }

    /// Whether no layer has a feature yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(LayerBuilder::is_empty)
    }

    /// Bytes of the features encoded so far: a lower bound of the size of [`Self::encode`]'s
    /// result (which adds layer names, keys and values), cheap enough to ask after every
    /// feature, so that a caller can stop a tile that grows too large.
    #[must_use]
    pub fn size_hint(&self) -> usize {
        self.layers.iter().map(|l| l.features.len()).sum()
    }

    /// The encoded tile; empty when there is no feature.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut tile = Vec::new();
        let mut layer_bytes = Vec::new();
        for layer in self.layers.iter().filter(|l| !l.is_empty()) {
            layer_bytes.clear();
            layer.write(&mut layer_bytes);
            put_bytes(&mut tile, 3, &layer_bytes);
        }
        tile
    }
}

/// One layer being built: its features and the shared keys and values tables.
#[derive(Debug, Clone)]
pub struct LayerBuilder {
    name: String,
    transform: Transform,
    tables: Tables,
    /// The numbers in `tables` of the keys and values of the [`Tables`] that features added
    /// with [`Self::add_feature_interned`] refer to.
    memo: Memo,
    features: Vec<u8>,
    feature_count: usize,
    scratch: Scratch,
}

/// Keys and values, each held once and numbered in order of first use: a layer's own
/// tables, and those of a feature source that many tiles are encoded from (see
/// [`LayerBuilder::add_feature_interned`]).
#[derive(Debug, Clone, Default)]
pub struct Tables {
    id: TablesId,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<Value>,
    /// String values by their place in `values` (each string is stored once, there).
    string_index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    scalar_index: HashMap<ScalarKey, u32>,
}

/// A number no other [`Tables`] has; a clone gets its own too, as its numbering may go
/// another way from then on.
#[derive(Debug, PartialEq, Eq)]
struct TablesId(u64);

impl Default for TablesId {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Clone for TablesId {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// Numbers of a source's keys and values in a layer's tables.
#[derive(Debug, Clone, Default)]
struct Memo {
    /// The source's [`TablesId`] (0: none yet): a layer takes its interned features from one
    /// source.
    source: u64,
    keys: HashMap<u32, u32>,
    values: HashMap<u32, u32>,
}

/// A non-string value as a hashable key (floats by their bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ScalarKey {
    Float(u32),
    Double(u64),
    Int(i64),
    UInt(u64),
    SInt(i64),
    Bool(bool),
}

/// Reused buffers, so that encoding many features allocates little.
#[derive(Debug, Clone, Default)]
struct Scratch {
    projected: Vec<Coord<f64>>,
    parts: Vec<Vec<Coord<f64>>>,
    simplified: Vec<Coord<f64>>,
    quantized: Vec<Coord<i32>>,
    commands: Vec<u32>,
    tags: Vec<u32>,
    feature: Vec<u8>,
}

impl LayerBuilder {
    fn new(name: &str, transform: Transform) -> Self {
        LayerBuilder {
            name: name.to_owned(),
            transform,
            tables: Tables::default(),
            memo: Memo::default(),
            features: Vec::new(),
            feature_count: 0,
            scratch: Scratch::default(),
        }
    }

    /// The layer name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of features kept so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.feature_count
    }

    /// Whether no feature has been kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.feature_count == 0
    }

    /// Adds a feature with lon/lat geometry; returns whether anything of it is left
    /// in the tile after clipping and simplification.
    ///
    /// Points and multipoints become `POINT` features, lines `LINESTRING`,
    /// polygons, rectangles and triangles `POLYGON`. A geometry collection is
    /// flattened and must hold one of these kinds only. Properties of dropped
    /// features do not enter the keys and values tables; a repeated key keeps its
    /// last value.
    pub fn add_feature<I, K, V>(
        &mut self,
        id: Option<u64>,
        geometry: &Geometry<f64>,
        properties: I,
    ) -> Result<bool, EncodeError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<Value>,
    {
        self.add_tagged(id, geometry, |layer, tags| {
            for (key, value) in properties {
                let key = layer.tables.key_index(key.as_ref());
                let value = layer.tables.value_index(&value.into());
                tag(tags, key, value);
            }
        })
    }

    /// [`Self::add_feature`] with borrowed values, copied only when first seen in the tile.
    pub fn add_feature_ref<'v, I, K>(
        &mut self,
        id: Option<u64>,
        geometry: &Geometry<f64>,
        properties: I,
    ) -> Result<bool, EncodeError>
    where
        I: IntoIterator<Item = (K, &'v Value)>,
        K: AsRef<str>,
    {
        self.add_tagged(id, geometry, |layer, tags| {
            for (key, value) in properties {
                let key = layer.tables.key_index(key.as_ref());
                let value = layer.tables.value_index(value);
                tag(tags, key, value);
            }
        })
    }

    /// [`Self::add_feature`] with properties given by their numbers in `source`'s tables,
    /// where features that many tiles encode keep them once: each is looked up by its
    /// string only the first time this layer meets it. A layer takes such features from one
    /// `source` (another one starts the lookups afresh).
    pub fn add_feature_interned(
        &mut self,
        id: Option<u64>,
        geometry: &Geometry<f64>,
        properties: &[(u32, u32)],
        source: &Tables,
    ) -> Result<bool, EncodeError> {
        if self.memo.source != source.id.0 {
            self.memo = Memo {
                source: source.id.0,
                ..Memo::default()
            };
        }
        self.add_tagged(id, geometry, |layer, tags| {
            let (tables, memo) = (&mut layer.tables, &mut layer.memo);
            for &(key, value) in properties {
                let key = *memo
                    .keys
                    .entry(key)
                    .or_insert_with(|| tables.key_index(source.key(key)));
                let value = *memo
                    .values
                    .entry(value)
                    .or_insert_with(|| tables.value_index(source.value(value)));
                tag(tags, key, value);
            }
        })
    }

    /// Adds a feature whose tags `tag_all` writes, once its geometry is known to be kept.
    fn add_tagged(
        &mut self,
        id: Option<u64>,
        geometry: &Geometry<f64>,
        tag_all: impl FnOnce(&mut Self, &mut Vec<u32>),
    ) -> Result<bool, EncodeError> {
        let Some(geom_type) = self.encode_geometry(geometry)? else {
            return Ok(false);
        };
        let mut tags = std::mem::take(&mut self.scratch.tags);
        tags.clear();
        tag_all(self, &mut tags);
        self.finish_feature(id, geom_type, tags);
        Ok(true)
    }

    /// Encodes `geometry` into the scratch commands: its type, or `None` when nothing of it
    /// is left in the tile.
    fn encode_geometry(
        &mut self,
        geometry: &Geometry<f64>,
    ) -> Result<Option<GeomType>, EncodeError> {
        let Some(geom_type) = self.geom_type_of(geometry)? else {
            return Ok(None);
        };
        let transform = self.transform;
        let scratch = &mut self.scratch;
        scratch.commands.clear();
        let kept = match geom_type {
            GeomType::Point => encode_points(&transform, scratch, geometry),
            GeomType::LineString => encode_lines(&transform, scratch, geometry),
            GeomType::Polygon => encode_polygons(&transform, scratch, geometry),
            // `geom_type_of` never yields it: every input part has a known type.
            GeomType::Unknown => false,
        };
        Ok(kept.then_some(geom_type))
    }

    /// Writes the feature whose geometry is in the scratch commands.
    fn finish_feature(&mut self, id: Option<u64>, geom_type: GeomType, tags: Vec<u32>) {
        let scratch = &mut self.scratch;
        scratch.feature.clear();
        if let Some(id) = id {
            put_varint_field(&mut scratch.feature, 1, id);
        }
        put_packed(&mut scratch.feature, 2, &tags);
        put_varint_field(&mut scratch.feature, 3, geom_type as u64);
        put_packed(&mut scratch.feature, 4, &scratch.commands);
        put_bytes(&mut self.features, 2, &scratch.feature);
        scratch.tags = tags;
        self.feature_count += 1;
    }

    /// The single MVT type of `geometry`, `None` when it has no parts.
    fn geom_type_of(&self, geometry: &Geometry<f64>) -> Result<Option<GeomType>, EncodeError> {
        let mut found: Option<GeomType> = None;
        let mut conflict = None;
        visit(geometry, &mut |part| {
            let t = part.geom_type();
            match found {
                None => found = Some(t),
                Some(first) if first != t && conflict.is_none() => conflict = Some((first, t)),
                Some(_) => {}
            }
        });
        match conflict {
            Some((first, second)) => Err(EncodeError::MixedCollection {
                layer: self.name.clone(),
                first,
                second,
            }),
            None => Ok(found),
        }
    }

    /// Appends the `Layer` message body.
    fn write(&self, out: &mut Vec<u8>) {
        put_varint_field(out, 15, 2);
        put_bytes(out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        for key in &self.tables.keys {
            put_bytes(out, 3, key.as_bytes());
        }
        let mut value_bytes = Vec::new();
        for value in &self.tables.values {
            value_bytes.clear();
            write_value(value, &mut value_bytes);
            put_bytes(out, 4, &value_bytes);
        }
        put_varint_field(out, 5, u64::from(self.transform.extent));
    }
}

impl Tables {
    /// The number of `key`, added when new.
    pub fn key_index(&mut self, key: &str) -> u32 {
        if let Some(index) = self.key_index.get(key) {
            return *index;
        }
        let index = self.keys.len() as u32;
        self.keys.push(key.to_owned());
        self.key_index.insert(key.to_owned(), index);
        index
    }

    /// The number of `value`, added (copied) when new.
    pub fn value_index(&mut self, value: &Value) -> u32 {
        let next = self.values.len() as u32;
        let scalar = match value {
            Value::String(s) => {
                let hash = self.hasher.hash_one(s.as_str());
                let values = &self.values;
                let same = |i: &u32| matches!(&values[*i as usize], Value::String(v) if v == s);
                if let Some(index) = self.string_index.find(hash, same) {
                    return *index;
                }
                self.values.push(value.clone());
                let (values, hasher) = (&self.values, &self.hasher);
                self.string_index
                    .insert_unique(hash, next, |i| match &values[*i as usize] {
                        Value::String(v) => hasher.hash_one(v.as_str()),
                        // only strings are indexed here
                        _ => 0,
                    });
                return next;
            }
            Value::Float(v) => ScalarKey::Float(v.to_bits()),
            Value::Double(v) => ScalarKey::Double(v.to_bits()),
            Value::Int(v) => ScalarKey::Int(*v),
            Value::UInt(v) => ScalarKey::UInt(*v),
            Value::SInt(v) => ScalarKey::SInt(*v),
            Value::Bool(v) => ScalarKey::Bool(*v),
        };
        *self.scalar_index.entry(scalar).or_insert_with(|| {
            self.values.push(value.clone());
            next
        })
    }

    /// Key number `index`.
    ///
    /// # Panics
    /// When there is no such key.
    #[must_use]
    pub fn key(&self, index: u32) -> &str {
        &self.keys[index as usize]
    }

    /// Value number `index`.
    ///
    /// # Panics
    /// When there is no such value.
    #[must_use]
    pub fn value(&self, index: u32) -> &Value {
        &self.values[index as usize]
    }
}

/// Appends the `Value` message body.
fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => put_bytes(out, 1, s.as_bytes()),
        Value::Float(v) => {
            put_key(out, 2, pbf::FIXED32);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Double(v) => {
            put_key(out, 3, pbf::FIXED64);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Int(v) => put_varint_field(out, 4, *v as u64),
        Value::UInt(v) => put_varint_field(out, 5, *v),
        Value::SInt(v) => {
            put_key(out, 6, pbf::VARINT);
            put_varint(out, zigzag64(*v));
        }
        Value::Bool(v) => put_varint_field(out, 7, u64::from(*v)),
    }
}

/// Lon/lat to floating tile units for one tile.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Transform {
    west_m: f64,
    north_m: f64,
    units_per_m: f64,
    extent: u32,
    clip: ClipBox,
    tolerance: f64,
}

impl Transform {
    fn new(tile: TileCoord, options: EncodeOptions) -> Self {
        let bounds = tile.bounds_mercator_m();
        let extent = f64::from(options.extent);
        let buffer = f64::from(options.buffer_units);
        Transform {
            west_m: bounds.min().x,
            north_m: bounds.max().y,
            units_per_m: extent / bounds.width(),
            extent: options.extent,
            clip: ClipBox {
                min: -buffer,
                max: extent + buffer,
            },
            tolerance: options.simplify_tolerance_units,
        }
    }

    /// Tile units of a lon/lat position, `None` when not finite.
    fn project(&self, lon_lat_deg: Coord<f64>) -> Option<Coord<f64>> {
        let m = lon_lat_to_mercator_m(lon_lat_deg);
        let c = Coord {
            x: (m.x - self.west_m) * self.units_per_m,
            y: (self.north_m - m.y) * self.units_per_m,
        };
        (c.x.is_finite() && c.y.is_finite()).then_some(c)
    }

    /// Projects `coords` into `out`, skipping non-finite ones.
    fn project_all(&self, coords: &LineString<f64>, out: &mut Vec<Coord<f64>>) {
        out.clear();
        out.extend(coords.0.iter().filter_map(|c| self.project(*c)));
    }
}

/// One simple part of an input geometry.
enum Part<'a> {
    Point(Coord<f64>),
    Line(&'a LineString<f64>),
    Polygon(&'a Polygon<f64>),
}

impl Part<'_> {
    fn geom_type(&self) -> GeomType {
        match self {
            Part::Point(_) => GeomType::Point,
            Part::Line(_) => GeomType::LineString,
            Part::Polygon(_) => GeomType::Polygon,
        }
    }
}

/// Calls `f` with every simple part of `geometry`, flattening collections.
fn visit(geometry: &Geometry<f64>, f: &mut dyn FnMut(Part<'_>)) {
    match geometry {
        Geometry::Point(p) => f(Part::Point(p.0)),
        Geometry::MultiPoint(mp) => mp.iter().for_each(|p| f(Part::Point(p.0))),
        Geometry::Line(l) => f(Part::Line(&LineString::new(vec![l.start, l.end]))),
        Geometry::LineString(l) => f(Part::Line(l)),
        Geometry::MultiLineString(ml) => ml.iter().for_each(|l| f(Part::Line(l))),
        Geometry::Polygon(p) => f(Part::Polygon(p)),
        Geometry::MultiPolygon(mp) => mp.iter().for_each(|p| f(Part::Polygon(p))),
        Geometry::Rect(r) => f(Part::Polygon(&r.to_polygon())),
        Geometry::Triangle(t) => f(Part::Polygon(&t.to_polygon())),
        Geometry::GeometryCollection(gc) => gc.iter().for_each(|g| visit(g, f)),
    }
}

fn round(c: Coord<f64>) -> Coord<i32> {
    // The clip box bounds every coordinate, so the conversion never saturates.
    Coord {
        x: c.x.round() as i32,
        y: c.y.round() as i32,
    }
}

/// Appends `coords` rounded to integers, skipping repeats of the previous point.
fn quantize(coords: &[Coord<f64>], out: &mut Vec<Coord<i32>>) {
    out.clear();
    for c in coords {
        let q = round(*c);
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
}

fn encode_points(transform: &Transform, scratch: &mut Scratch, geometry: &Geometry<f64>) -> bool {
    scratch.quantized.clear();
    visit(geometry, &mut |part| {
        if let Part::Point(c) = part
            && let Some(p) = transform.project(c)
            && transform.clip.contains(p)
        {
            scratch.quantized.push(round(p));
        }
    });
    if scratch.quantized.is_empty() {
        return false;
    }
    CommandWriter::new(&mut scratch.commands).points(&scratch.quantized);
    true
}

fn encode_lines(transform: &Transform, scratch: &mut Scratch, geometry: &Geometry<f64>) -> bool {
    let Scratch {
        projected,
        parts,
        simplified,
        quantized,
        commands,
        ..
    } = scratch;
    let mut writer = CommandWriter::new(commands);
    let mut kept = false;
    visit(geometry, &mut |part| {
        let Part::Line(line) = part else {
            return;
        };
        transform.project_all(line, projected);
        parts.clear();
        transform.clip.clip_line(projected, parts);
        for clipped in parts.iter() {
            simplified.clear();
            simplify(clipped, transform.tolerance, simplified);
            quantize(simplified, quantized);
            if quantized.len() >= 2 {
                writer.line(quantized);
                kept = true;
            }
        }
    });
    kept
}

fn encode_polygons(transform: &Transform, scratch: &mut Scratch, geometry: &Geometry<f64>) -> bool {
    let Scratch {
        projected,
        simplified,
        quantized,
        commands,
        ..
    } = scratch;
    let mut writer = CommandWriter::new(commands);
    let mut kept = false;
    visit(geometry, &mut |part| {
        let Part::Polygon(polygon) = part else {
            return;
        };
        if !tile_ring(
            transform,
            polygon.exterior(),
            true,
            projected,
            simplified,
            quantized,
        ) {
            return;
        }
        writer.ring(quantized);
        kept = true;
        for interior in polygon.interiors() {
            if tile_ring(transform, interior, false, projected, simplified, quantized) {
                writer.ring(quantized);
            }
        }
    });
    kept
}

/// Turns a lon/lat ring into a valid tile ring in `quantized`: clipped, simplified,
/// rounded, without repeated or closing points, oriented as exterior (positive
/// area) or hole (negative). Returns `false` when nothing valid is left.
fn tile_ring(
    transform: &Transform,
    ring: &LineString<f64>,
    exterior: bool,
    projected: &mut Vec<Coord<f64>>,
    simplified: &mut Vec<Coord<f64>>,
    quantized: &mut Vec<Coord<i32>>,
) -> bool {
    transform.project_all(ring, projected);
    if projected.len() > 1 && projected.first() == projected.last() {
        projected.pop();
    }
    let mut clipped = transform.clip.clip_ring(projected);
    if clipped.len() < 3 {
        return false;
    }
    clipped.push(clipped[0]);
    simplified.clear();
    simplify(&clipped, transform.tolerance, simplified);
    quantize(simplified, quantized);
    while quantized.len() > 1 && quantized.first() == quantized.last() {
        quantized.pop();
    }
    if quantized.len() < 3 {
        return false;
    }
    let area2 = ring_area2(quantized);
    if area2 == 0 {
        return false;
    }
    if (area2 > 0) != exterior {
        quantized.reverse();
    }
    true
}

/// Sets `key` to `value` in a feature's tags (a repeated key keeps its last value).
fn tag(tags: &mut Vec<u32>, key: u32, value: u32) {
    match tags.chunks_exact_mut(2).find(|pair| pair[0] == key) {
        Some(pair) => pair[1] = value,
        None => tags.extend([key, value]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvt::decode;

    #[test]
    fn values_are_deduplicated_by_type_and_content() {
        let tile = TileCoord::from_zxy(0, 0, 0).unwrap();
        let mut encoder = TileEncoder::new(tile);
        let layer = encoder.layer("l");
        let point = Geometry::Point(geo::point! { x: 0.0, y: 0.0 });
        for _ in 0..3 {
            layer
                .add_feature(
                    None,
                    &point,
                    [
                        ("a", Value::from("x")),
                        ("b", Value::from(1i64)),
                        ("c", Value::from(1u64)),
                        ("d", Value::from(f64::NAN)),
                    ],
                )
                .unwrap();
        }
        assert_eq!(layer.tables.keys.len(), 4);
        assert_eq!(layer.tables.values.len(), 4);
        assert_eq!(layer.len(), 3);
    }

    #[test]
    fn interned_properties_encode_as_given_ones_whatever_their_source() {
        let tile = TileCoord::from_zxy(0, 0, 0).unwrap();
        let point = Geometry::Point(geo::point! { x: 10.0, y: 20.0 });
        let rows: [[(&str, Value); 2]; 3] = [
            [("kind", "dock".into()), ("n", 1u64.into())],
            [("kind", "shipyard".into()), ("n", 1u64.into())],
            [("n", 2u64.into()), ("kind", "dock".into())],
        ];
        let mut given = TileEncoder::new(tile);
        for row in &rows {
            given
                .layer("l")
                .add_feature(None, &point, row.iter().cloned())
                .unwrap();
        }
        // two sources that number the same keys and values differently
        let intern = |tables: &mut Tables, row: &[(&str, Value)]| -> Vec<(u32, u32)> {
            row.iter()
                .map(|(k, v)| (tables.key_index(k), tables.value_index(v)))
                .collect()
        };
        let (mut first, mut second) = (Tables::default(), Tables::default());
        second.key_index("unused");
        second.value_index(&Value::from("unused"));
        let first_rows: Vec<_> = rows.iter().map(|r| intern(&mut first, r)).collect();
        let second_rows: Vec<_> = rows.iter().rev().map(|r| intern(&mut second, r)).collect();
        let mut interned = TileEncoder::new(tile);
        let layer = interned.layer("l");
        layer
            .add_feature_interned(None, &point, &first_rows[0], &first)
            .unwrap();
        layer
            .add_feature_interned(None, &point, &second_rows[1], &second)
            .unwrap();
        layer
            .add_feature_interned(None, &point, &first_rows[2], &first)
            .unwrap();
        let properties = |bytes: &[u8]| -> Vec<_> {
            let tile = decode(bytes).unwrap();
            tile.layers[0]
                .features
                .iter()
                .map(|f| f.properties.clone())
                .collect()
        };
        assert_eq!(properties(&interned.encode()), properties(&given.encode()));
        // a clone may number new entries otherwise: a layer knows it for another source
        assert_ne!(first.clone().id, first.id);
    }

    #[test]
    fn mixed_collections_are_rejected() {
        let tile = TileCoord::from_zxy(0, 0, 0).unwrap();
        let mut encoder = TileEncoder::new(tile);
        let mixed = Geometry::GeometryCollection(geo::GeometryCollection::new_from(vec![
            Geometry::Point(geo::point! { x: 0.0, y: 0.0 }),
            Geometry::LineString(LineString::from(vec![(0.0, 0.0), (1.0, 1.0)])),
        ]));
        let err = encoder
            .layer("l")
            .add_feature(None, &mixed, Vec::<(&str, Value)>::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer \"l\": geometry collection mixes point and linestring geometries"
        );
        assert!(encoder.encode().is_empty());
    }

    #[test]
    fn non_finite_points_are_dropped() {
        let tile = TileCoord::from_zxy(0, 0, 0).unwrap();
        let mut encoder = TileEncoder::new(tile);
        let nan = Geometry::Point(geo::point! { x: f64::NAN, y: 0.0 });
        let kept = encoder
            .layer("l")
            .add_feature(None, &nan, Vec::<(&str, Value)>::new())
            .unwrap();
        assert!(!kept);
        let decoded = decode(&encoder.encode()).unwrap();
        assert!(decoded.layers.is_empty());
    }
}
