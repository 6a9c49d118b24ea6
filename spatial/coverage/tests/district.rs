//! Coverage analysis and suggestions on the synthetic district of `coastwatch-fixtures`.

use coastwatch_coverage::suggest::SiteKind;
use coastwatch_coverage::{
    Analysis, CameraTemplate, CandidateSites, CoverageOptions, FlatTerrain, SuggestOptions,
};
use coastwatch_fixtures::synthetic::{SyntheticSize, district};
use h3o::Resolution;

#[test]
fn range_curve_grows_with_range() {
    let scene = district(
        &SyntheticSize {
            cameras: 6,
            risk_points: 20,
            coast_km: 20.0,
        },
        3,
    );
    let options = CoverageOptions {
        h3_res: Resolution::Eight,
        ..CoverageOptions::default()
    };
    let terrain = FlatTerrain::default();
    let analysis = Analysis::new(&scene, &terrain, options).unwrap();
    let curve = analysis.range_curve(&[0.5, 1.0, 1.5]);
    let summary = analysis.products().summary;
    assert_eq!(
        curve[1].risk_point_coverage_pct,
        summary.risk_point_coverage_pct
    );
    assert_eq!(
        curve[1].coastline_coverage_pct,
        summary.coastline_coverage_pct
    );
    for pair in curve.windows(2) {
        assert!(pair[0].coastline_coverage_pct <= pair[1].coastline_coverage_pct);
        assert!(pair[0].risk_point_coverage_pct <= pair[1].risk_point_coverage_pct);
    }
    assert!(curve[0].coastline_coverage_pct < curve[2].coastline_coverage_pct);
}

#[test]
fn suggestions_on_a_district() {
    let scene = district(
        &SyntheticSize {
            cameras: 5,
            risk_points: 15,
            coast_km: 15.0,
        },
        11,
    );
    let options = CoverageOptions {
        h3_res: h3o::Resolution::Nine,
        ..CoverageOptions::default()
    };
    let terrain = FlatTerrain::default();
    let analysis = Analysis::new(&scene, &terrain, options).unwrap();
    let suggest = SuggestOptions {
        count: 4,
        ..SuggestOptions::default()
    };
    let run = analysis.suggest(&suggest).unwrap();
    assert_eq!(run.suggestions.len(), 4);
    assert!(run.sites > 15 && run.candidates > run.sites, "{run:?}");
    assert_eq!(run.curve.len(), 5);
    for pair in run.suggestions.windows(2) {
        assert!(pair[1].marginal_gain <= pair[0].marginal_gain + 1e-6);
    }
    for pair in run.curve.windows(2) {
        assert!(pair[0].weighted_coverage_pct <= pair[1].weighted_coverage_pct);
        assert!(pair[0].risk_point_coverage_pct <= pair[1].risk_point_coverage_pct);
        assert!(pair[0].coastline_coverage_pct <= pair[1].coastline_coverage_pct);
    }
    let gains: f64 = run.suggestions.iter().map(|s| s.marginal_gain).sum();
    let before = run.curve[0].weighted_coverage_pct.unwrap();
    let after = run.curve[4].weighted_coverage_pct.unwrap();
    assert!(((after - before) / 100.0 * run.total_weight - gains).abs() < 0.05 * gains.max(1.0));
    // a suggested camera really sees the risk points it claims
    for s in &run.suggestions {
        assert!(s.heading_deg % 30.0 == 0.0 && s.range_m == 3000.0);
        for id in &s.risk_points {
            let site = scene.risk_points.iter().find(|r| r.id == *id).unwrap();
            assert_eq!(
                s.camera().sight(site.lonlat, 2.0, &terrain),
                coastwatch_coverage::Sight::Seen
            );
        }
    }

    // given sites: only those; a PTZ template tries one heading per site
    let given = SuggestOptions {
        count: 2,
        sites: CandidateSites::Given(vec![
            scene.risk_points[0].lonlat,
            scene.risk_points[1].lonlat,
        ]),
        template: CameraTemplate {
            hfov_deg: 360.0,
            ..CameraTemplate::default()
        },
        ..SuggestOptions::default()
    };
    let run = analysis.suggest(&given).unwrap();
    assert_eq!(run.sites, 2);
    assert!(run.candidates <= 2);
    for s in &run.suggestions {
        assert_eq!(s.site, SiteKind::Given);
        assert!(given_has(&given, [s.lon, s.lat]));
    }
}

fn given_has(options: &SuggestOptions, site: [f64; 2]) -> bool {
    matches!(&options.sites, CandidateSites::Given(sites) if sites.contains(&site))
}

#[test]
fn bad_suggestion_options_are_refused() {
    let scene = district(
        &SyntheticSize {
            cameras: 1,
            risk_points: 1,
            coast_km: 5.0,
        },
        1,
    );
    let options = CoverageOptions {
        h3_res: h3o::Resolution::Seven,
        ..CoverageOptions::default()
    };
    let terrain = FlatTerrain::default();
    let analysis = Analysis::new(&scene, &terrain, options).unwrap();
    let refuse = |suggest: SuggestOptions| analysis.suggest(&suggest).unwrap_err().to_string();
    let template = |hfov_deg, range_m| SuggestOptions {
        template: CameraTemplate {
            hfov_deg,
            range_m,
            ..CameraTemplate::default()
        },
        ..SuggestOptions::default()
    };
    assert_eq!(
        refuse(template(0.0, 3000.0)),
        "camera template: hfov_deg 0 must be greater than 0 and at most 360"
    );
    assert!(refuse(template(400.0, 3000.0)).contains("hfov_deg 400"));
    assert_eq!(
        refuse(template(90.0, -1.0)),
        "camera template: range_m -1 must be greater than 0"
    );
    assert_eq!(
        refuse(SuggestOptions {
            sites: CandidateSites::Generated { spacing_m: 0.0 },
            ..SuggestOptions::default()
        }),
        "spacing_m 0 must be within 10..=100000"
    );
    assert_eq!(
        refuse(SuggestOptions {
            count: 1000,
            ..SuggestOptions::default()
        }),
        "suggest 1000 must be at most 100"
    );
}
