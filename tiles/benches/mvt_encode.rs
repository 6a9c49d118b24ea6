//! Encoding one tile: 10,000 points with properties, and 1,000 line strings of 50
//! vertices each (some crossing the tile edge), from lon/lat input to bytes.

use std::hint::black_box;

use coastwatch_tiles::mvt::{TileEncoder, Value};
use coastwatch_tiles::{TileCoord, mercator_m_to_lon_lat};
use criterion::{Criterion, Throughput, criterion_main};
use geo::{Coord, Geometry, LineString, Point};

/// A small deterministic generator (SplitMix64) so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

fn tile() -> TileCoord {
    TileCoord::from_zxy(12, 3431, 1698).unwrap()
}

/// Lon/lat of tile units `(x, y)` with extent 4096.
fn lon_lat(x: f64, y: f64) -> Coord<f64> {
    let b = tile().bounds_mercator_m();
    let m_per_unit = b.width() / 4096.0;
    mercator_m_to_lon_lat(Coord {
        x: b.min().x + x * m_per_unit,
        y: b.max().y - y * m_per_unit,
    })
}

fn points(n: usize) -> Vec<Geometry<f64>> {
    let mut rng = Rng(1);
    (0..n)
        .map(|_| {
            Geometry::Point(Point(lon_lat(
                rng.next_f64() * 4096.0,
                rng.next_f64() * 4096.0,
            )))
        })
        .collect()
}

fn lines(n: usize, vertices: usize) -> Vec<Geometry<f64>> {
    let mut rng = Rng(2);
    (0..n)
        .map(|_| {
            // A random walk starting anywhere in a square 20 % larger than the tile.
            let mut x = rng.next_f64() * 4900.0 - 400.0;
            let mut y = rng.next_f64() * 4900.0 - 400.0;
            let coords = (0..vertices)
                .map(|_| {
                    x += rng.next_f64() * 80.0 - 40.0;
                    y += rng.next_f64() * 80.0 - 40.0;
                    lon_lat(x, y)
                })
                .collect();
            Geometry::LineString(LineString::new(coords))
        })
        .collect()
}

fn encode_points(c: &mut Criterion) {
    let geometries = points(10_000);
    let classes = ["cargo", "fishing", "tanker", "passenger"];
    let mut group = c.benchmark_group("mvt_encode");
    group.throughput(Throughput::Elements(geometries.len() as u64));
    group.bench_function("10k_points", |b| {
        b.iter(|| {
            let mut encoder = TileEncoder::new(tile());
            let layer = encoder.layer("vessels");
            for (i, g) in geometries.iter().enumerate() {
                layer
                    .add_feature(
                        Some(i as u64),
                        g,
                        [
                            ("mmsi", Value::from(412_000_000 + i as u64)),
                            ("ship_type", Value::from(classes[i % 4])),
                            ("sog_kn", Value::from((i % 200) as f64 / 10.0)),
                        ],
                    )
                    .unwrap();
            }
            black_box(encoder.encode())
        });
    });
    group.finish();
}

fn encode_lines(c: &mut Criterion) {
    let geometries = lines(1_000, 50);
    let mut group = c.benchmark_group("mvt_encode");
    group.throughput(Throughput::Elements(geometries.len() as u64));
    group.bench_function("1k_linestrings_50_vertices", |b| {
        b.iter(|| {
            let mut encoder = TileEncoder::new(tile());
            let layer = encoder.layer("vessel_tracks");
            for (i, g) in geometries.iter().enumerate() {
                layer
                    .add_feature(Some(i as u64), g, [("mmsi", 412_000_000 + i as u64)])
                    .unwrap();
            }
            black_box(encoder.encode())
        });
    });
    group.finish();
}

/// Runs both benchmarks (what `criterion_group!` would generate, documented).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    encode_points(&mut c);
    encode_lines(&mut c);
}

criterion_main!(benches);
