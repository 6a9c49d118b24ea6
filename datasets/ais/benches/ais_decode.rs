//! Decode throughput on a real Kystverket NMEA log (tag blocks, mixed
//! types, multi-sentence type 5), in sentences per second.
//!
//! `cargo bench -p coastwatch-ais --bench ais_decode`
#![expect(missing_docs, reason = "criterion_group! defines an undocumented fn")]

use std::hint::black_box;

use coastwatch_ais::gpsd_json::write_gpsd_json;
use coastwatch_ais::{Decoder, DecoderOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/ais/kystverket/Ais1000Lines.nm4"
);

fn lines() -> Vec<Vec<u8>> {
    let text = std::fs::read(LOG).expect("Kystverket sample log");
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn bench(c: &mut Criterion) {
    let lines = lines();
    let mut g = c.benchmark_group("ais");
    g.throughput(Throughput::Elements(lines.len() as u64));

    g.bench_function("decode", |b| {
        let mut dec = Decoder::new(DecoderOptions::default());
        b.iter(|| {
            let mut n = 0u32;
            for l in &lines {
                if let Ok(Some(d)) = dec.feed_line(l) {
                    n = n.wrapping_add(d.message.mmsi().get());
                }
            }
            black_box(n)
        });
    });

    g.bench_function("decode_gpsd_json", |b| {
        let mut dec = Decoder::new(DecoderOptions::default());
        let mut out = Vec::with_capacity(1 << 20);
        b.iter(|| {
            out.clear();
            for l in &lines {
                if let Ok(Some(d)) = dec.feed_line(l) {
                    write_gpsd_json(&mut out, &d.message, None);
                    out.push(b'\n');
                }
            }
            black_box(out.len())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
