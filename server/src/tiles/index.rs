//! The static layers' features in memory, one R*-tree per layer, so that a tile the cache does
//! not hold is built without asking the store: a cold tile, the first view of a new area, and
//! every server with its tile cache off.
//!
//! A layer is loaded whole from the store on its first tile, unless it holds more than
//! `server.tile_index_max_features` features (those big or rarely read layers stay with the
//! store, and PostGIS encodes their tiles itself). It is loaded again after a write through
//! this server (the generation counters of [`crate::tiles::cache`], bumped by
//! `AppState::layer_changed`): tiles wait for the new copy, so that no tile shows what was
//! just changed as it was. A copy older than [`TileCache::MAX_AGE`] (writes by another
//! process, a `coastwatch import` into the same PostGIS) is reloaded in the background while
//! the old one still answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use coastwatch_core::{Feature, Layer};
use coastwatch_store::{Query, Store, StoreError};
use coastwatch_tiles::mvt::Tables;
use geo::{BoundingRect, Geometry, Rect};
use rstar::{AABB, RTree, RTreeObject};

use super::cache::{TileCache, is_static};
use super::source::tile_value;

/// One layer's features as tiles encode them, with an R*-tree of their bounding boxes.
#[derive(Debug)]
pub struct LayerFeatures {
    features: Vec<HeldFeature>,
    /// The property names and values, each held once, which tags refer to by number: a tile
    /// looks each up by its text once
    /// ([`add_feature_interned`](coastwatch_tiles::mvt::LayerBuilder::add_feature_interned)).
    tables: Tables,
    tree: RTree<Entry>,
}

/// A feature as tiles encode it: its id, geometry and properties.
#[derive(Debug)]
pub struct HeldFeature {
    /// The feature id.
    pub id: Option<u64>,
    /// Its geometry.
    pub geometry: Geometry,
    /// Its properties: the numbers of the key and the value in [`LayerFeatures::tables`].
    pub tags: Box<[(u32, u32)]>,
}

/// A feature's bounding box and its place in [`LayerFeatures::features`].
#[derive(Debug)]
struct Entry {
    envelope: AABB<[f64; 2]>,
    index: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl LayerFeatures {
    /// Indexes `features` (those without a geometry are left out: they are on no tile).
    pub fn new(features: Vec<Feature>) -> Self {
        let mut tables = Tables::default();
        let mut held = Vec::with_capacity(features.len());
        let mut entries = Vec::with_capacity(features.len());
        for feature in features {
            let Some(geometry) = feature.geometry else {
                continue;
            };
            let Some(rect) = geometry.bounding_rect() else {
                continue;
            };
            let Ok(index) = u32::try_from(held.len()) else {
                break;
            };
            let tags = feature
                .properties
                .iter()
                .filter_map(|(key, value)| {
                    let value = tile_value(value)?;
                    Some((tables.key_index(key), tables.value_index(&value)))
                })
                .collect();
            entries.push(Entry {
                envelope: AABB::from_corners(rect.min().into(), rect.max().into()),
                index,
            });
            held.push(HeldFeature {
                id: feature.id.map(|id| id.get() as u64),
                geometry,
                tags,
            });
        }
        Self {
            features: held,
            tables,
            tree: RTree::bulk_load(entries),
        }
    }

    /// The names and values the features' tags refer to.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The features whose bounding box meets `bbox`, in the store's order (so that a tile's
    /// bytes, and its ETag, do not depend on the tree).
    pub fn within(&self, bbox: Rect) -> impl Iterator<Item = &HeldFeature> {
        let area = AABB::from_corners(bbox.min().into(), bbox.max().into());
        let mut hits: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&area)
            .map(|e| e.index)
            .collect();
        hits.sort_unstable();
        hits.into_iter().map(|i| &self.features[i as usize])
    }

    /// Features held.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }
}

/// What is held of one layer.
#[derive(Debug, Clone)]
struct HeldLayer {
    /// `None`: the layer is too big to hold, the store answers.
    features: Option<Arc<LayerFeatures>>,
    /// The layer's generation when it was read.
    generation: u64,
    read: Instant,
}

/// The in-memory copies of the static layers.
#[derive(Debug)]
pub struct FeatureIndex {
    max_features: u64,
    /// One per layer of [`Layer::ALL`].
    copies: Vec<RwLock<Option<HeldLayer>>>,
    /// One per layer: a load in progress (loads of one layer do not run side by side).
    loading: Vec<tokio::sync::Mutex<()>>,
    /// One per layer: a background refresh in progress.
    refreshing: Vec<AtomicBool>,
}

impl FeatureIndex {
    /// Holds static layers of at most `max_features` features; `0` holds none.
    pub fn new(max_features: u64) -> Self {
        Self {
            max_features,
            copies: Layer::ALL.iter().map(|_| RwLock::new(None)).collect(),
            loading: Layer::ALL.iter().map(|_| Default::default()).collect(),
            refreshing: Layer::ALL.iter().map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// `layer`'s features in memory, current with every write through this server; `None`
    /// when the store answers for it (not a static layer, too big, or the index is off).
    pub async fn layer(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        cache: &TileCache,
        layer: Layer,
    ) -> Result<Option<Arc<LayerFeatures>>, StoreError> {
        let Some(slot) = slot_of(layer).filter(|_| self.max_features > 0 && is_static(layer))
        else {
            return Ok(None);
        };
        let generation = cache.layer_generation(layer);
        if let Some(copy) = self.held(slot).filter(|c| c.generation == generation) {
            if copy.read.elapsed() >= TileCache::MAX_AGE {
                self.refresh(store, cache, layer, slot);
            }
            return Ok(copy.features);
        }
        let _loading = self.loading[slot].lock().await;
        // another request may have loaded it meanwhile
        if let Some(copy) = self.held(slot).filter(|c| c.generation == generation) {
            return Ok(copy.features);
        }
        Ok(self
            .load(store.as_ref(), layer, slot, generation)
            .await?
            .features)
    }

    fn held(&self, slot: usize) -> Option<HeldLayer> {
        self.copies[slot]
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads `layer` from the store (`generation` taken before: a write meanwhile makes the
    /// copy stale at once) and holds it.
    async fn load(
        &self,
        store: &dyn Store,
        layer: Layer,
        slot: usize,
        generation: u64,
    ) -> Result<HeldLayer, StoreError> {
        let read = Instant::now();
        let count = store.count(layer, &Query::default()).await?;
        let features = if count > self.max_features {
            tracing::info!(%layer, count, max = self.max_features, "layer too big to hold for tiles; the store answers (server.tile_index_max_features)");
            None
        } else {
            let features = store.query(layer, &Query::default()).await?;
            Some(Arc::new(LayerFeatures::new(features)))
        };
        tracing::debug!(%layer, count, ms = read.elapsed().as_millis(), "layer held for tiles");
        let copy = HeldLayer {
            features,
            generation,
            read,
        };
        *self.copies[slot].write().unwrap_or_else(|e| e.into_inner()) = Some(copy.clone());
        Ok(copy)
    }

    /// Reloads `layer` in the background (once at a time), the old copy answering meanwhile.
    fn refresh(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        cache: &TileCache,
        layer: Layer,
        slot: usize,
    ) {
        if self.refreshing[slot].swap(true, Ordering::AcqRel) {
            return;
        }
        let (index, store) = (self.clone(), store.clone());
        let generation = cache.layer_generation(layer);
        tokio::spawn(async move {
            let _loading = index.loading[slot].lock().await;
            if let Err(error) = index.load(store.as_ref(), layer, slot, generation).await {
                tracing::warn!(%layer, %error, "refreshing the layer held for tiles failed");
            }
            index.refreshing[slot].store(false, Ordering::Release);
        });
    }
}

fn slot_of(layer: Layer) -> Option<usize> {
    Layer::ALL.iter().position(|l| *l == layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coastwatch_tiles::mvt::Value;
    use geo::{Coord, Geometry, LineString, Point};

    fn feature(geometry: Option<Geometry>, name: &str) -> Feature {
        let serde_json::Value::Object(properties) = serde_json::json!({ "name": name }) else {
            unreachable!()
        };
        Feature {
            id: None,
            geometry,
            properties,
        }
    }

    fn rect(min: [f64; 2], max: [f64; 2]) -> Rect {
        Rect::new(Coord::from(min), Coord::from(max))
    }

    #[test]
    fn features_meeting_a_box_come_in_the_stores_order() {
        let line = LineString::from(vec![(121.0, 29.0), (122.0, 30.0)]);
        let held = LayerFeatures::new(vec![
            feature(Some(Point::new(121.9, 29.9).into()), "far"),
            feature(None, "nowhere"),
            feature(Some(Point::new(121.1, 29.1).into()), "near"),
            feature(Some(line.into()), "across"),
            feature(Some(Point::new(121.15, 29.15).into()), "near too"),
        ]);
        assert_eq!(
            held.len(),
            4,
            "the feature without a geometry is on no tile"
        );
        let names = |bbox| -> Vec<&str> {
            held.within(bbox)
                .map(|f| match f.tags[..] {
                    [(key, value)] if held.tables().key(key) == "name" => {
                        match held.tables().value(value) {
                            Value::String(name) => name.as_str(),
                            other => panic!("{other:?}"),
                        }
                    }
                    ref other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(
            names(rect([121.0, 29.0], [121.2, 29.2])),
            ["near", "across", "near too"]
        );
        assert_eq!(names(rect([121.8, 29.8], [123.0, 31.0])), ["far", "across"]);
        // the line's box meets this one, the points do not
        assert_eq!(names(rect([121.5, 29.0], [121.6, 29.1])), ["across"]);
        assert!(names(rect([10.0, 10.0], [11.0, 11.0])).is_empty());
    }
}
