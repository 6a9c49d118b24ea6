//! Coverage planning on a synthetic district of the demo's size: 30 cameras, 40 risk points,
//! about 50 km of coastline, the watch area the demo bounding box (lon 121.40–121.80, lat
//! 29.45–29.70) at H3 resolution 10, flat terrain. One iteration is the whole report's
//! computation: products, 5 suggestions, the range chart, the map image and the HTML page
//! (PRODUCT.md target: under 5 s for the demo district).

use std::hint::black_box;
use std::time::Duration;

use coastwatch_coverage::report::{CoverageReport, Parameters, RANGE_SCALES};
use coastwatch_coverage::{Analysis, CoverageOptions, FlatTerrain, SuggestOptions, html, render};
use coastwatch_fixtures::synthetic::{SyntheticSize, district};
use criterion::{Criterion, criterion_main};

fn report(c: &mut Criterion) {
    let scene = district(&SyntheticSize::DEMO, 7);
    let terrain = FlatTerrain::default();
    let options = CoverageOptions::default();
    let suggest = SuggestOptions::default();
    {
        let analysis = Analysis::new(&scene, &terrain, options).unwrap();
        let run = analysis.suggest(&suggest).unwrap();
        eprintln!(
            "synthetic demo district: {} cells, {} coastline pieces, {} candidate sites, {} candidates",
            analysis.cell_count(),
            analysis.coast_piece_count(),
            run.sites,
            run.candidates
        );
    }
    let mut group = c.benchmark_group("coverage");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("products", |b| {
        b.iter(|| {
            let analysis = Analysis::new(&scene, &terrain, options).unwrap();
            black_box(analysis.products())
        })
    });
    group.bench_function("demo_report_5_suggestions", |b| {
        b.iter(|| {
            let analysis = Analysis::new(&scene, &terrain, options).unwrap();
            let products = analysis.products();
            let run = analysis.suggest(&suggest).unwrap();
            let range = analysis.range_curve(&RANGE_SCALES);
            let png = render::render_map(
                &scene,
                &products,
                &run.suggestions,
                options.target_height_m,
                1200,
            )
            .unwrap();
            let report = CoverageReport::new(
                Parameters::new(&options, "flat", Some(&suggest)),
                &products,
                Some(&run),
                range,
            );
            black_box(html::html_report(&report, &png, 5.0, html::Lang::En))
        })
    });
    group.finish();
}

/// Runs the benchmarks (what `criterion_group!` would generate, documented).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    report(&mut c);
}

criterion_main!(benches);
