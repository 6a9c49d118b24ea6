//! Memory and load time of a static layer held in memory for tiles (`tiles::index`): the
//! resident memory a layer of `POINTS` risk points takes once held (features as tiles encode
//! them, and their R*-tree; measured with the server's allocator, after the features read
//! from the store are freed), the time to index them, the time to find the features of
//! z10–z16 tiles over them, and the time to encode such a tile and gzip it as an uncached
//! tile is served.
//!
//!   cargo bench -p coastwatch-tests --bench static_index
//!
//! Settings (environment): `POINTS` (1,000,000).

use std::time::Instant;

use coastwatch_core::Feature;
use coastwatch_core::rng::Rng;
use coastwatch_server::tiles::cache::gzip;
use coastwatch_server::tiles::index::LayerFeatures;
use coastwatch_tiles::mvt::TileEncoder;
use coastwatch_tiles::{TileCoord, Zoom};
use geo::Point;
use serde_json::json;

/// The server's allocator, which gives freed memory back (so that resident memory after the
/// store's features are dropped is what the held layer takes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resident memory of this process (bytes).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn main() {
    let n: usize = std::env::var("POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let kinds = [
        "dock",
        "oil_depot",
        "cold_store",
        "shipyard",
        "warehouse",
        "truck_firm",
    ];
    let towns = ["Chunhu", "Qiucun", "Songao"];
    let mut rng = Rng::new(11);
    let before = rss_bytes();
    // as the store returns them: a point and the layer's properties
    let features: Vec<Feature> = (0..n)
        .map(|i| {
            let at = Point::new(121.4 + rng.unit() * 0.4, 29.45 + rng.unit() * 0.25);
            let serde_json::Value::Object(properties) = json!({
                "kind": kinds[i % kinds.len()], "name": format!("site {i}"),
                "registered": i % 3 == 0, "town": towns[i % 3], "card": "none",
            }) else {
                unreachable!()
            };
            Feature {
                id: coastwatch_core::model::FeatureId::try_from(i as i64 + 1).ok(),
                geometry: Some(at.into()),
                properties,
            }
        })
        .collect();
    let read = rss_bytes().saturating_sub(before);
    let started = Instant::now();
    let held = LayerFeatures::new(features);
    let index_s = started.elapsed().as_secs_f64();
    // the features read are freed: give the allocator time to return their pages
    std::thread::sleep(std::time::Duration::from_secs(2));
    let total = rss_bytes().saturating_sub(before);
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "{n} points: {:.0} MiB as read from the store; held {:.0} MiB, {:.0} bytes a point; indexed in {index_s:.2} s",
        mib(read),
        mib(total),
        total as f64 / n as f64
    );
    for z in [10u8, 12, 14, 16] {
        let zoom = Zoom::new(z).unwrap();
        let (mut found, mut raw, mut zipped) = (0usize, 0usize, 0usize);
        let tiles = 200;
        let (mut find_s, mut encode_s, mut gzip_s) = (0.0, 0.0, 0.0);
        for k in 0..tiles {
            let lon = 121.4 + (k as f64 / tiles as f64) * 0.4;
            let tile = TileCoord::containing_lon_lat(lon, 29.55, zoom).unwrap();
            let started = Instant::now();
            let features: Vec<_> = held.within(tile.bounds_lon_lat()).collect();
            find_s += started.elapsed().as_secs_f64();
            found += features.len();
            let started = Instant::now();
            let mut encoder = TileEncoder::new(tile);
            for feature in features {
                encoder
                    .layer("risk_points")
                    .add_feature_interned(
                        feature.id,
                        &feature.geometry,
                        &feature.tags,
                        held.tables(),
                    )
                    .unwrap();
            }
            let bytes = encoder.encode();
            encode_s += started.elapsed().as_secs_f64();
            let started = Instant::now();
            zipped += gzip(&bytes, flate2::Compression::fast()).len();
            gzip_s += started.elapsed().as_secs_f64();
            raw += bytes.len();
        }
        let ms = |s: f64| s * 1e3 / tiles as f64;
        println!(
            "z{z}: {} features a tile ({} KiB, {} KiB gzipped): found in {:.2} ms, encoded in {:.2} ms, gzipped in {:.2} ms",
            found / tiles,
            raw / tiles / 1024,
            zipped / tiles / 1024,
            ms(find_s),
            ms(encode_s),
            ms(gzip_s),
        );
    }
    assert_eq!(held.len(), n);
}
