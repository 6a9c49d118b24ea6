//! Geofence evaluation: 10,000 polygon fences over a 1° × 1° district around 121.6 E,
//! 29.6 N (9,700 small ones of 8–40 vertices and 100–600 m radius, 300 large ones of
//! 200–800 vertices and 1–4 km radius; smooth random outlines, many overlapping, so that
//! about 70 % of the objects are inside some fence) and 100,000 moving objects (2–12 m/s,
//! a fix every 10 s). One iteration evaluates one position of every object (a batch of
//! 100,000); the throughput is positions evaluated per second, on one thread and on two
//! (objects sharded by id hash, one tracker per shard, one shared set).

use std::hash::{BuildHasher, RandomState};
use std::hint::black_box;

use coastwatch_core::alerting::{
    AlertEvent, FenceSet, FenceTracker, LocalClock, Sample, SubjectKey,
};
use coastwatch_core::geodesy::{lat_deg, lon_deg};
use coastwatch_core::model::{FeatureId, ObjectKind, ShipCategory, VehicleClass};
use coastwatch_core::rng::Rng;
use coastwatch_core::{Feature, Layer};
use criterion::{Criterion, SamplingMode, Throughput, criterion_main};
use geo::{Coord, LineString, Polygon};
use serde_json::json;

const FENCES: usize = 10_000;
const LARGE_FENCES: usize = 300;
const OBJECTS: usize = 100_000;
const WEST: f64 = 121.1;
const SOUTH: f64 = 29.1;
/// Seconds between two fixes of an object.
const FIX_INTERVAL_S: f64 = 10.0;
/// Objects go back and forth along their heading with this period (fixes).
const PERIOD: u64 = 720;
/// 2026-06-01T00:00:00Z.
const T0: f64 = 1_780_272_000.0;

/// A random polygon of `n` vertices around a random centre: a star-shaped (so simple)
/// outline whose radius wanders smoothly by up to about ±35 %, with a little jitter, like
/// a drawn sea area or shore zone.
fn polygon(rng: &mut Rng, n: usize, radius_m: f64) -> Polygon {
    let (lon, lat) = (WEST + rng.unit(), SOUTH + rng.unit());
    let waves: Vec<(f64, f64)> = (1..=3)
        .map(|k| {
            (
                rng.range(0.0, 0.12),
                rng.range(0.0, std::f64::consts::TAU) + f64::from(k),
            )
        })
        .collect();
    let mut coords: Vec<Coord> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * (i as f64 + rng.range(0.0, 0.5)) / n as f64;
            let wave: f64 = (1..)
                .zip(&waves)
                .map(|(k, &(amp, phase))| amp * (f64::from(k) * a + phase).sin())
                .sum();
            let r = radius_m * (1.0 + wave) * rng.range(0.98, 1.02);
            Coord {
                x: lon + lon_deg(r * a.cos(), lat),
                y: lat + lat_deg(r * a.sin()),
            }
        })
        .collect();
    coords.push(coords[0]);
    Polygon::new(LineString::new(coords), vec![])
}

fn fences() -> FenceSet {
    let mut rng = Rng::new(11);
    let features: Vec<Feature> = (0..FENCES)
        .map(|i| {
            let geometry = if i < LARGE_FENCES {
                let (n, radius) = (200 + rng.below(601), rng.range(1000.0, 4000.0));
                polygon(&mut rng, n, radius)
            } else {
                let (n, radius) = (8 + rng.below(33), rng.range(100.0, 600.0));
                polygon(&mut rng, n, radius)
            };
            let classes = ["any", "any", "any", "vessel", "vessel:tanker", "vehicle"];
            let detect = [
                json!(["enter"]),
                json!(["enter", "exit"]),
                json!(["enter", "dwell"]),
                json!(["cross"]),
            ];
            let (fixes, buffer_m) = (1 + rng.below(3), [0.0, 10.0, 25.0][rng.below(3)]);
            let mut rule = json!({
                "classes": [classes[rng.below(classes.len())]],
                "detect": detect[rng.below(detect.len())],
                "dwell_min": 5,
                "debounce": {"fixes": fixes, "buffer_m": buffer_m},
            });
            if rng.unit() < 0.2 {
                rule["active_hours"] = json!({"start": "22:00", "end": "05:00"});
            }
            let properties =
                json!({"name": format!("Fence {i}"), "kind": "restricted_sea", "rule": rule});
            let id = FeatureId::try_from(i as i64 + 1).expect("positive id");
            let feature = Feature::new(geometry, properties).with_id(id);
            Layer::Geofences.validate(feature).expect("valid fence")
        })
        .collect();
    FenceSet::compile(&features).expect("fences compile")
}

/// A moving object: identity and a straight back-and-forth path.
struct Object {
    subject: SubjectKey,
    kind: ObjectKind,
    start: [f64; 2],
    /// Degrees per fix.
    step: [f64; 2],
}

impl Object {
    fn sample(&self, k: u64) -> Sample {
        let phase = k % (2 * PERIOD);
        let s = phase.min(2 * PERIOD - phase) as f64;
        Sample {
            t: T0 + k as f64 * FIX_INTERVAL_S,
            lon: self.start[0] + s * self.step[0],
            lat: self.start[1] + s * self.step[1],
            speed_mps: None,
        }
    }
}

fn objects() -> Vec<Object> {
    let mut rng = Rng::new(12);
    let categories = [
        ShipCategory::Fishing,
        ShipCategory::Cargo,
        ShipCategory::Tanker,
        ShipCategory::Passenger,
        ShipCategory::Tug,
        ShipCategory::Other,
    ];
    (0..OBJECTS)
        .map(|i| {
            let (subject, kind) = if i % 10 < 7 {
                let category = categories[rng.below(categories.len())];
                (
                    SubjectKey::vessel(412_000_000 + i as u32),
                    ObjectKind::Vessel(category),
                )
            } else {
                let class = [VehicleClass::TankTruck, VehicleClass::ContainerTruck][i % 2];
                (
                    SubjectKey::vehicle(format!("ZJ-B{i:06}")),
                    ObjectKind::Vehicle(class),
                )
            };
            let start = [WEST + rng.unit(), SOUTH + rng.unit()];
            let heading = rng.range(0.0, std::f64::consts::TAU);
            let metres = rng.range(2.0, 12.0) * FIX_INTERVAL_S;
            let step = [
                lon_deg(metres * heading.sin(), start[1]),
                lat_deg(metres * heading.cos()),
            ];
            Object {
                subject,
                kind,
                start,
                step,
            }
        })
        .collect()
}

fn evaluate(
    tracker: &mut FenceTracker,
    fences: &FenceSet,
    objects: &[&Object],
    k: u64,
    out: &mut Vec<AlertEvent>,
) {
    out.clear();
    for object in objects {
        let sample = object.sample(k);
        tracker.observe(fences, &object.subject, object.kind, None, &sample, out);
    }
}

fn bench(c: &mut Criterion) {
    let fences = fences();
    let objects = objects();
    let clock = LocalClock::new("Asia/Shanghai").expect("time zone");
    let mut group = c.benchmark_group("fences");
    group
        .throughput(Throughput::Elements(OBJECTS as u64))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);

    let all: Vec<&Object> = objects.iter().collect();
    let mut tracker = FenceTracker::new(clock.clone());
    let mut out = Vec::new();
    let (mut k, mut events) = (0, 0);
    group.bench_function("evaluate_1_thread", |b| {
        b.iter(|| {
            k += 1;
            evaluate(&mut tracker, &fences, &all, k, &mut out);
            events += out.len();
            black_box(out.len())
        })
    });
    eprintln!(
        "1 thread: {} objects, {} (object, fence) states after {k} batches, {:.0} events per batch",
        tracker.object_count(),
        tracker.pair_count(),
        events as f64 / k.max(1) as f64
    );

    let hasher = RandomState::new();
    let mut shards: Vec<(Vec<&Object>, FenceTracker, Vec<AlertEvent>)> = (0..2)
        .map(|_| (Vec::new(), FenceTracker::new(clock.clone()), Vec::new()))
        .collect();
    for object in &objects {
        let shard = (hasher.hash_one(&object.subject) % 2) as usize;
        shards[shard].0.push(object);
    }
    let mut k = 0;
    group.bench_function("evaluate_2_threads", |b| {
        b.iter(|| {
            k += 1;
            std::thread::scope(|scope| {
                for (objects, tracker, out) in &mut shards {
                    let fences = &fences;
                    scope.spawn(move || evaluate(tracker, fences, objects, k, out));
                }
            });
            black_box(shards.iter().map(|s| s.2.len()).sum::<usize>())
        })
    });
    eprintln!(
        "2 threads: {} objects, {} (object, fence) states after {k} batches",
        shards.iter().map(|s| s.1.object_count()).sum::<usize>(),
        shards.iter().map(|s| s.1.pair_count()).sum::<usize>(),
    );
    group.finish();
}

/// Runs the benchmarks (what `criterion_group!` would generate, documented).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
