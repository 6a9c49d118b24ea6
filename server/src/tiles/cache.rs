//! An in-memory cache of encoded tiles of the static layers (those that change only through
//! the API or the command line), invalidated per layer when their data changes.
//!
//! Every cacheable layer has a generation counter, bumped by [`TileCache::layer_changed`]
//! (called from `AppState::layer_changed` after each write through the API). A cached tile
//! remembers the sum of its layers' generations when it was built; counters only grow, so a
//! tile whose sum differs is stale. Entries also expire after [`TileCache::MAX_AGE`], which
//! covers writes made by another process (a `coastwatch import` into the same PostGIS).
//!
//! Memory is bounded by the bytes of the tiles held (raw and gzip): past the capacity the
//! oldest entries go first (FIFO).
//!
//! # Units
//! Capacities are bytes (or MiB where the name says `mib`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use coastwatch_core::Layer;
use coastwatch_tiles::TileCoord;

/// The layers whose tiles are cached: store layers written only through the API or the CLI.
/// Vessels, tracks, vehicles, alerts, camera tracks and density change with every fix.
pub const STATIC_LAYERS: &[Layer] = &[
    Layer::RiskPoints,
    Layer::Cameras,
    Layer::CameraCoverage,
    Layer::CoverageGaps,
    Layer::Geofences,
    Layer::Coastline,
    Layer::Areas,
];

/// Bookkeeping bytes counted per entry besides the tile bytes.
const ENTRY_OVERHEAD: usize = 160;

/// Whether tiles of `layer` may be cached.
pub fn is_static(layer: Layer) -> bool {
    STATIC_LAYERS.contains(&layer)
}

/// An encoded tile ready to serve: the MVT bytes, their gzip form (made once, on first use)
/// and a content hash for the ETag. Empty bytes mean an empty tile (204).
#[derive(Debug)]
pub struct EncodedTile {
    raw: Bytes,
    gzip: OnceLock<Bytes>,
    /// How hard to compress: once for many requests, or for one.
    level: flate2::Compression,
    hash: u64,
    /// Strong ETags of the raw and of the gzip encoding.
    etags: [HeaderValue; 2],
}

impl EncodedTile {
    /// Wraps encoded MVT bytes, to be served many times (gzip at the default level).
    pub fn new(raw: Vec<u8>) -> Self {
        Self::with_level(raw, flate2::Compression::default())
    }

    /// Wraps encoded MVT bytes built for one response: gzip at the fastest level, which
    /// takes about a third of the default's time for tiles a tenth larger.
    pub fn served_once(raw: Vec<u8>) -> Self {
        Self::with_level(raw, flate2::Compression::fast())
    }

    fn with_level(raw: Vec<u8>, level: flate2::Compression) -> Self {
        let hash = fnv1a(&raw);
        let etag = |suffix: &str| {
            HeaderValue::try_from(format!("\"{hash:016x}{suffix}\""))
                .expect("quoted hex is a valid header value")
        };
        Self {
            raw: Bytes::from(raw),
            gzip: OnceLock::new(),
            level,
            hash,
            etags: [etag(""), etag("-gz")],
        }
    }

    /// The MVT bytes (empty for an empty tile).
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The gzip-compressed MVT bytes, compressed on the first call.
    pub fn gzip(&self) -> &Bytes {
        self.gzip
            .get_or_init(|| Bytes::from(gzip(&self.raw, self.level)))
    }

    /// Whether the tile holds no layer at all.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// FNV-1a of the MVT bytes: the strong ETag's value.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The strong ETag of the raw bytes (`"<hash>"`) or of their gzip form (`"<hash>-gz"`).
    pub fn etag(&self, gzip: bool) -> &HeaderValue {
        &self.etags[usize::from(gzip)]
    }

    /// Bytes held, for the cache's memory bound.
    fn size(&self) -> usize {
        self.raw.len() + self.gzip.get().map_or(0, Bytes::len) + ENTRY_OVERHEAD
    }
}

/// Gzip at `level`.
pub fn gzip(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write;
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2 + 64), level);
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// FNV-1a over the tile bytes: a stable strong ETag.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a cached tile is looked up by: the set of the source's layers (a composite source
/// is normalised: order and repeats do not matter), the tile and the time window (`None`
/// when no layer of the source has time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// Bit `i` set when the source has layer `i` of [`Layer::ALL`].
    layers: u64,
    z: u8,
    x: u32,
    y: u32,
    window: Option<(i64, i64)>,
}

impl TileKey {
    /// The indexes in [`Layer::ALL`] of the key's layers.
    fn layer_indexes(&self) -> impl Iterator<Item = usize> {
        let layers = self.layers;
        (0..u64::BITS as usize).filter(move |i| layers & (1 << i) != 0)
    }
}

/// Counters of the cache since the server started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to build the tile (absent, stale or expired).
    pub misses: u64,
    /// Entries dropped to stay under the capacity.
    pub evictions: u64,
    /// Tiles held now.
    pub entries: usize,
    /// Bytes held now (tile bytes plus bookkeeping).
    pub bytes: usize,
}

struct Slot {
    tile: Arc<EncodedTile>,
    generation: u64,
    stored: Instant,
    serial: u64,
    size: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<TileKey, Slot>,
    /// Keys in insertion order with the serial they were stored under (FIFO eviction).
    order: VecDeque<(TileKey, u64)>,
    bytes: usize,
    serial: u64,
    evictions: u64,
}

/// The cache of encoded static tiles shared by the tile handlers.
pub struct TileCache {
    capacity_bytes: usize,
    /// One counter per layer of [`Layer::ALL`].
    generations: Vec<AtomicU64>,
    inner: RwLock<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for TileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileCache")
            .field("capacity_bytes", &self.capacity_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

impl TileCache {
    /// How long an entry is trusted without any write through this server (the tiles'
    /// `Cache-Control: max-age` too).
    pub const MAX_AGE: Duration = Duration::from_secs(300);

    /// A cache holding at most `capacity_bytes` of tiles; `0` caches nothing.
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            capacity_bytes,
            generations: Layer::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            inner: RwLock::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether the cache stores anything at all.
    pub fn enabled(&self) -> bool {
        self.capacity_bytes > 0
    }

    /// The key of a tile of `layers` (their order and repeats do not matter: the tile route
    /// builds a composite in [`Layer::ALL`] order), or `None` when the source is not
    /// cacheable (a layer that changes with every fix, or a cache that is off).
    pub fn key(
        &self,
        layers: &[Layer],
        coord: TileCoord,
        window: Option<(i64, i64)>,
    ) -> Option<TileKey> {
        if !self.enabled() || layers.is_empty() {
            return None;
        }
        let mut packed = 0u64;
        for layer in layers {
            if !is_static(*layer) {
                return None;
            }
            let index = layer_index(*layer).filter(|i| *i < u64::BITS as usize)?;
            packed |= 1 << index;
        }
        Some(TileKey {
            layers: packed,
            z: coord.z().get(),
            x: coord.x(),
            y: coord.y(),
            window: window.filter(|_| layers.iter().any(|l| l.time_fields().is_some())),
        })
    }

    /// The current generation of the key's layers. Take it before building the tile and pass
    /// it to [`Self::insert`]: a write that lands meanwhile makes the entry stale at once.
    pub fn generation(&self, key: &TileKey) -> u64 {
        key.layer_indexes()
            .map(|i| self.generations[i].load(Ordering::Acquire))
            .fold(0u64, u64::wrapping_add)
    }

    /// The cached tile for `key`, when it is there, current and younger than [`Self::MAX_AGE`].
    pub fn get(&self, key: &TileKey) -> Option<Arc<EncodedTile>> {
        let generation = self.generation(key);
        let found = {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            inner
                .map
                .get(key)
                .filter(|slot| {
                    slot.generation == generation && slot.stored.elapsed() < Self::MAX_AGE
                })
                .map(|slot| slot.tile.clone())
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `tile` under `key`, built at `generation` (from [`Self::generation`]). Tiles
    /// larger than an eighth of the capacity are not kept; older entries make room.
    pub fn insert(&self, key: TileKey, generation: u64, tile: Arc<EncodedTile>) {
        let size = tile.size();
        if !self.enabled() || size > self.capacity_bytes / 8 {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.serial += 1;
        let serial = inner.serial;
        let slot = Slot {
            tile,
            generation,
            stored: Instant::now(),
            serial,
            size,
        };
        if let Some(old) = inner.map.insert(key, slot) {
            inner.bytes -= old.size;
        }
        inner.bytes += size;
        inner.order.push_back((key, serial));
        while inner.bytes > self.capacity_bytes {
            let Some((oldest, serial)) = inner.order.pop_front() else {
                break;
            };
            // a key stored again since has a newer serial: its older queue entry is spent
            if inner.map.get(&oldest).is_some_and(|s| s.serial == serial)
                && let Some(gone) = inner.map.remove(&oldest)
            {
                inner.bytes -= gone.size;
                inner.evictions += 1;
            }
        }
        // keep the queue from growing without bound when keys are stored again and again
        if inner.order.len() > 2 * inner.map.len() + 1024 {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|(k, s)| map.get(k).is_some_and(|slot| slot.serial == *s));
        }
    }

    /// The number of writes to `layer` through this server so far.
    pub fn layer_generation(&self, layer: Layer) -> u64 {
        layer_index(layer).map_or(0, |i| self.generations[i].load(Ordering::Acquire))
    }

    /// Marks every cached tile holding `layer` as stale (after a write to it).
    pub fn layer_changed(&self, layer: Layer) {
        if let Some(index) = layer_index(layer) {
            self.generations[index].fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The counters and the memory held.
    pub fn stats(&self) -> CacheStats {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: inner.evictions,
            entries: inner.map.len(),
            bytes: inner.bytes,
        }
    }
}

fn layer_index(layer: Layer) -> Option<usize> {
    Layer::ALL.iter().position(|l| *l == layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coastwatch_tiles::Zoom;

    fn coord(x: u32) -> TileCoord {
        TileCoord::new(Zoom::new(14).unwrap(), x, 6000).unwrap()
    }

    #[test]
    fn only_static_sources_have_keys() {
        let cache = TileCache::new(1 << 20);
        assert!(
            cache
                .key(&[Layer::RiskPoints, Layer::Geofences], coord(1), None)
                .is_some()
        );
        assert!(
            cache
                .key(&[Layer::RiskPoints, Layer::Vessels], coord(1), None)
                .is_none()
        );
        assert!(cache.key(&[Layer::Alerts], coord(1), None).is_none());
        assert!(cache.key(&[Layer::Vehicles], coord(1), None).is_none());
        // a composite source is a set: order and repeats do not change the key
        let key = cache.key(&[Layer::RiskPoints, Layer::Geofences], coord(1), None);
        assert_eq!(
            key,
            cache.key(&[Layer::Geofences, Layer::RiskPoints], coord(1), None)
        );
        assert_eq!(
            key,
            cache.key(
                &[Layer::Geofences, Layer::RiskPoints, Layer::Geofences],
                coord(1),
                None
            )
        );
        assert_ne!(key, cache.key(&[Layer::Geofences], coord(1), None));
        assert!(
            TileCache::new(0)
                .key(&[Layer::RiskPoints], coord(1), None)
                .is_none()
        );
    }

    #[test]
    fn a_write_to_a_layer_makes_its_tiles_stale() {
        let cache = TileCache::new(1 << 20);
        let both = cache
            .key(&[Layer::RiskPoints, Layer::Geofences], coord(1), None)
            .unwrap();
        let cameras = cache.key(&[Layer::Cameras], coord(1), None).unwrap();
        for key in [both, cameras] {
            let generation = cache.generation(&key);
            cache.insert(key, generation, Arc::new(EncodedTile::new(vec![1, 2, 3])));
        }
        assert!(cache.get(&both).is_some());
        cache.layer_changed(Layer::Geofences);
        assert!(cache.get(&both).is_none(), "geofences changed");
        assert!(cache.get(&cameras).is_some(), "cameras did not");
        // a tile built before a write and stored after it is stale at once
        let before = cache.generation(&cameras);
        cache.layer_changed(Layer::Cameras);
        cache.insert(cameras, before, Arc::new(EncodedTile::new(vec![4])));
        assert!(cache.get(&cameras).is_none());
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (2, 2));
    }

    #[test]
    fn memory_stays_under_the_capacity() {
        let capacity = 64 * 1024;
        let cache = TileCache::new(capacity);
        for x in 0..200 {
            let key = cache.key(&[Layer::Coastline], coord(x), None).unwrap();
            let tile = Arc::new(EncodedTile::new(vec![7; 1000]));
            tile.gzip();
            cache.insert(key, cache.generation(&key), tile);
            assert!(cache.stats().bytes <= capacity);
        }
        let stats = cache.stats();
        assert!(stats.evictions > 0 && stats.entries < 200);
        // the newest stay, the oldest went
        let newest = cache.key(&[Layer::Coastline], coord(199), None).unwrap();
        let oldest = cache.key(&[Layer::Coastline], coord(0), None).unwrap();
        assert!(cache.get(&newest).is_some());
        assert!(cache.get(&oldest).is_none());
        // a tile over an eighth of the capacity is not kept
        let big = Arc::new(EncodedTile::new(vec![0; capacity / 4]));
        cache.insert(newest, cache.generation(&newest), big);
        assert_eq!(cache.get(&newest).unwrap().raw().len(), 1000);
    }

    #[test]
    fn gzip_round_trips() {
        let tile = EncodedTile::new(b"some tile bytes".repeat(20));
        let mut back = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&tile.gzip()[..]),
            &mut back,
        )
        .unwrap();
        assert_eq!(back, tile.raw().as_ref());
        assert!(EncodedTile::new(Vec::new()).is_empty());
    }
}
