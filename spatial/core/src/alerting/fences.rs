//! The geofence engine: a compiled, immutable [`FenceSet`] with fast point and path tests,
//! and the per-object state machine [`FenceTracker`] that turns fixes into
//! `geofence_enter` / `geofence_exit` / `geofence_dwell` events.
//!
//! Every fence is converted once into its own [`LocalFrame`] (origin at the centre of its
//! bounding box), so that all tests are plain Euclidean geometry in metres. An R-tree of the
//! fences' bounding boxes (grown by each fence's hysteresis buffer) finds the candidates for a
//! position. Rings and centre lines with more than 32 edges are indexed, so a test does not
//! visit every edge: edges sorted into horizontal bands answer containment (a horizontal
//! ray only meets the edges of the point's band) and nearness, an R-tree of the edges answers
//! exact distances and the edges near a corridor path.
//!
//! Shapes: a Polygon or MultiPolygon is an area (holes and several parts are handled by the
//! even-odd rule over all rings); a Point with `radius_m` is a circle; a LineString or
//! MultiLineString with `width_m` is a corridor, inside when within `width_m / 2` of the line.

mod shape;
#[cfg(test)]
mod tests;
mod tracker;

use std::collections::HashMap;
use std::sync::Arc;

use geo::{BoundingRect, Geometry, LineString, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde_json::Value;

use self::shape::{Geom, Shape, Xy};
use crate::geodesy::{LocalFrame, lat_deg, lon_deg};
use crate::model::{Detect, FeatureId, FenceKind, FenceRule, Geofence, ObjectKind};
use crate::{Feature, ModelError};

pub use self::tracker::{DWELL_UPDATE_S, FenceTracker};

/// The shape of a fence, as its geometry gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FenceShape {
    /// A polygon or multipolygon.
    Area,
    /// A point with a radius.
    Circle,
    /// A line with a width.
    Corridor,
}

/// One compiled geofence: its attributes and its shape in a local metric frame.
#[derive(Debug)]
pub struct Fence {
    id: FeatureId,
    name: String,
    kind: FenceKind,
    town: Option<String>,
    rule: FenceRule,
    /// `Detect` values of the rule, as bits (see [`bit`]).
    detect: u8,
    frame: LocalFrame,
    geom: Geom,
}

fn bit(detect: Detect) -> u8 {
    match detect {
        Detect::Enter => 1,
        Detect::Exit => 2,
        Detect::Dwell => 4,
        Detect::Cross => 8,
    }
}

impl Fence {
    /// Compiles the fence of a validated `geofences` feature.
    fn compile(feature: &Feature) -> Result<Self, ModelError> {
        let id = feature
            .id
            .ok_or_else(|| ModelError::invalid("id", "a fence needs a feature id"))?;
        let record: Geofence = serde_json::from_value(Value::Object(feature.properties.clone()))
            .map_err(|e| ModelError::invalid("properties", format!("fence {id}: {e}")))?;
        let geometry = feature.geometry.as_ref().ok_or_else(|| {
            ModelError::invalid("geometry", format!("fence {id} has no geometry"))
        })?;
        let bad = |reason: &str| ModelError::invalid("geometry", format!("fence {id}: {reason}"));
        let rect = geometry.bounding_rect().ok_or_else(|| bad("is empty"))?;
        let frame = LocalFrame::new([rect.center().x, rect.center().y]);
        let to_xy = |line: &LineString| -> Vec<Xy> {
            line.coords().map(|c| frame.to_xy([c.x, c.y])).collect()
        };
        let area = |polygons: &[Polygon]| {
            let rings: Vec<Vec<Xy>> = polygons
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(to_xy)
                .collect();
            Geom::area(rings.iter().map(Vec::as_slice)).ok_or_else(|| bad("degenerate polygon"))
        };
        let corridor = |lines: &[LineString]| {
            let width = record
                .width_m
                .ok_or_else(|| ModelError::invalid("width_m", "a corridor needs width_m"))?;
            let lines: Vec<Vec<Xy>> = lines.iter().map(to_xy).collect();
            Geom::corridor(lines.iter().map(Vec::as_slice), width.get() / 2.0)
                .ok_or_else(|| bad("empty line"))
        };
        let geom = match geometry {
            Geometry::Polygon(p) => area(std::slice::from_ref(p))?,
            Geometry::MultiPolygon(mp) => area(&mp.0)?,
            Geometry::Point(_) => {
                let radius = record
                    .radius_m
                    .ok_or_else(|| ModelError::invalid("radius_m", "a circle needs radius_m"))?;
                Geom::circle(radius.get())
            }
            Geometry::LineString(l) => corridor(std::slice::from_ref(l))?,
            Geometry::MultiLineString(ml) => corridor(&ml.0)?,
            _ => {
                return Err(bad(
                    "must be a Polygon, MultiPolygon, Point or (Multi)LineString",
                ));
            }
        };
        let detect = record.rule.detect.iter().fold(0, |bits, &d| bits | bit(d));
        Ok(Self {
            id,
            name: record.name,
            kind: record.kind,
            town: record.town,
            rule: record.rule,
            detect,
            frame,
            geom,
        })
    }

    /// The fence's feature id.
    pub fn id(&self) -> FeatureId {
        self.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it protects.
    pub fn kind(&self) -> FenceKind {
        self.kind
    }

    /// The town it belongs to.
    pub fn town(&self) -> Option<&str> {
        self.town.as_deref()
    }

    /// The rule it enforces.
    pub fn rule(&self) -> &FenceRule {
        &self.rule
    }

    /// Its shape.
    pub fn shape(&self) -> FenceShape {
        match self.geom.shape() {
            Shape::Area(_) => FenceShape::Area,
            Shape::Circle { .. } => FenceShape::Circle,
            Shape::Corridor { .. } => FenceShape::Corridor,
        }
    }

    /// The number of edges of its rings or centre line (0 for a circle).
    pub fn edge_count(&self) -> usize {
        self.geom.edge_count()
    }

    /// Whether the rule detects `detect`.
    pub fn detects(&self, detect: Detect) -> bool {
        self.detect & bit(detect) != 0
    }

    /// Whether the rule applies to objects of `kind`.
    pub fn applies_to(&self, kind: ObjectKind) -> bool {
        self.rule.classes.iter().any(|c| c.matches(kind))
    }

    /// Whether the point (lon, lat) is strictly inside the fence.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.geom.contains(self.frame.to_xy([lon, lat]))
    }

    /// Distance (m) from the point (lon, lat) to the fence's border: positive inside,
    /// negative outside.
    pub fn signed_distance_m(&self, lon: f64, lat: f64) -> f64 {
        self.geom.signed_distance(self.frame.to_xy([lon, lat]))
    }

    /// Whether the straight path between two lon/lat points goes through the interior.
    pub fn segment_crosses(&self, a: [f64; 2], b: [f64; 2]) -> bool {
        self.geom
            .crossing(
                self.frame.to_xy(a),
                self.frame.to_xy(b),
                0.0,
                &mut Vec::new(),
            )
            .is_some()
    }

    /// Distance (m) from the centre line, for corridors.
    pub fn distance_to_centre_line_m(&self, lon: f64, lat: f64) -> Option<f64> {
        self.geom.centre_line_distance(self.frame.to_xy([lon, lat]))
    }

    /// The lon/lat box of everything within `grow_m` of the fence.
    fn envelope(&self, grow_m: f64) -> ([f64; 2], [f64; 2]) {
        let (min, max) = self.geom.bounds();
        let lat = self.frame.origin()[1];
        // A hair more than the exact conversion, so that rounding never loses a candidate.
        let (dx, dy) = (lon_deg(grow_m, lat) + 1e-9, lat_deg(grow_m) + 1e-9);
        let lo = self.frame.to_lonlat(min);
        let hi = self.frame.to_lonlat(max);
        ([lo[0] - dx, lo[1] - dy], [hi[0] + dx, hi[1] + dy])
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

#[derive(Debug)]
struct Inner {
    fences: Vec<Fence>,
    by_id: HashMap<FeatureId, u32>,
    /// Fence boxes in lon/lat, each grown by its hysteresis buffer; data: index in `fences`.
    tree: RTree<Entry>,
}

/// An immutable, compiled set of geofences.
///
/// Cloning is cheap (the set is shared through an [`Arc`]). When fences change, compile a
/// new set and swap it in; [`FenceTracker`]s notice the new set and carry their state over
/// by fence id.
#[derive(Debug, Clone)]
pub struct FenceSet {
    inner: Arc<Inner>,
}

impl Default for FenceSet {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                fences: Vec::new(),
                by_id: HashMap::new(),
                tree: RTree::new(),
            }),
        }
    }
}

impl FenceSet {
    /// Compiles the features of the `geofences` layer (already validated by
    /// [`Layer::Geofences.validate`](crate::Layer::validate)). Every feature needs an id,
    /// which becomes the fence id; ids must be unique.
    pub fn compile(features: &[Feature]) -> Result<Self, ModelError> {
        let mut fences = Vec::with_capacity(features.len());
        let mut by_id = HashMap::with_capacity(features.len());
        for feature in features {
            let fence = Fence::compile(feature)?;
            let index = u32::try_from(fences.len())
                .map_err(|_| ModelError::invalid("geofences", "too many fences"))?;
            if by_id.insert(fence.id, index).is_some() {
                return Err(ModelError::invalid(
                    "id",
                    format!("fence id {} appears twice", fence.id),
                ));
            }
            fences.push(fence);
        }
        let entries = fences
            .iter()
            .zip(0..)
            .map(|(fence, index)| {
                let (lo, hi) = fence.envelope(fence.rule.debounce.buffer_m);
                GeomWithData::new(Rectangle::from_corners(lo, hi), index)
            })
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                fences,
                by_id,
                tree: RTree::bulk_load(entries),
            }),
        })
    }

    /// The fence with this id.
    pub fn get(&self, id: FeatureId) -> Option<&Fence> {
        self.index_of(id).map(|i| self.fence(i))
    }

    /// The number of fences.
    pub fn len(&self) -> usize {
        self.inner.fences.len()
    }

    /// Whether the set has no fences.
    pub fn is_empty(&self) -> bool {
        self.inner.fences.is_empty()
    }

    /// All fences, in the order they were compiled.
    pub fn iter(&self) -> impl Iterator<Item = &Fence> {
        self.inner.fences.iter()
    }

    /// The fences whose interior contains the point (no buffer), in no particular order.
    pub fn containing(&self, lon: f64, lat: f64) -> impl Iterator<Item = &Fence> {
        self.inner
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|entry| self.fence(entry.data))
            .filter(move |fence| fence.contains(lon, lat))
    }

    /// Signed distance (m) from a point to the border of fence `id` (positive inside);
    /// `None` for an unknown id.
    pub fn signed_distance_m(&self, id: FeatureId, lon: f64, lat: f64) -> Option<f64> {
        self.get(id).map(|f| f.signed_distance_m(lon, lat))
    }

    /// Distance (m) from a point to the centre line of corridor `id`; `None` when `id` is
    /// unknown or not a corridor.
    pub fn distance_to_corridor_m(&self, id: FeatureId, lon: f64, lat: f64) -> Option<f64> {
        self.get(id)
            .and_then(|f| f.distance_to_centre_line_m(lon, lat))
    }

    /// Whether both handles share the same compiled set.
    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn index_of(&self, id: FeatureId) -> Option<u32> {
        self.inner.by_id.get(&id).copied()
    }

    fn fence(&self, index: u32) -> &Fence {
        &self.inner.fences[index as usize]
    }

    /// Appends to `out` the indices of the fences whose buffered box meets `envelope`.
    fn candidates(&self, envelope: &AABB<[f64; 2]>, out: &mut Vec<u32>) {
        let _ = self
            .inner
            .tree
            .locate_in_envelope_intersecting_int(envelope, |entry| {
                out.push(entry.data);
                std::ops::ControlFlow::<()>::Continue(())
            });
    }
}
