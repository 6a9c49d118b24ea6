//! Tests of the coverage products over a tiny scene: reasons, coastline, cells and
//! footprints.

use geo::{ChamberlainDuquetteArea, Coord, LineString, MultiPolygon, Rect};
use h3o::{LatLng, Resolution};

use super::types::rank;
use super::*;
use crate::{
    CameraModel, FlatTerrain, RiskSite, Scene, SceneCamera, Shore, Sight, Terrain, TownArea,
};
use coastwatch_core::geodesy;
use coastwatch_core::model::{Card, RiskKind};

const LON: f64 = 121.6;
const LAT: f64 = 29.6;

/// Lon/lat `dx` metres east and `dy` metres north of the coastline's middle.
fn at(dx: f64, dy: f64) -> [f64; 2] {
    [LON + geodesy::lon_deg(dx, LAT), LAT + geodesy::lat_deg(dy)]
}

/// Blocks every line of sight to targets more than 500 m east of the camera line.
struct Wall;

impl Terrain for Wall {
    fn line_of_sight(&self, camera: &CameraModel, target: [f64; 2], h: f64) -> bool {
        FlatTerrain::default().line_of_sight(camera, target, h) && target[0] < at(500.0, 0.0)[0]
    }
}

fn camera(id: i64, heading_deg: f64, hfov_deg: f64, range_m: f64) -> SceneCamera {
    let [lon, lat] = at(0.0, 300.0);
    SceneCamera {
        model: CameraModel {
            id,
            lon,
            lat,
            height_m: 20.0,
            heading_deg,
            hfov_deg,
            range_m,
            near_range_m: 0.0,
        },
        name: format!("CAM-{id}"),
        town: None,
    }
}

fn risk(id: i64, dx: f64, dy: f64) -> RiskSite {
    RiskSite {
        id,
        name: format!("R{id}"),
        kind: RiskKind::Dock,
        registered: false,
        town: None,
        card: Card::None,
        lonlat: at(dx, dy),
    }
}

/// A 5 km square district; land (town Alpha) north of a 4 km straight coastline; one
/// camera 300 m inland looking south (90°, 1 km).
fn tiny() -> Scene {
    let c = |[x, y]: [f64; 2]| Coord { x, y };
    let mut scene = Scene {
        cameras: vec![camera(1, 180.0, 90.0, 1000.0)],
        risk_points: vec![
            risk(1, 0.0, -200.0),
            risk(2, 0.0, 800.0),
            risk(3, 3000.0, 300.0),
            // bearing 140°, 900 m from the camera: in range and view, behind the wall
            risk(
                4,
                900.0 * 140f64.to_radians().sin(),
                300.0 + 900.0 * 140f64.to_radians().cos(),
            ),
        ],
        coastline: vec![Shore {
            id: 7,
            town: Some("Alpha".into()),
            line: LineString(vec![c(at(-2000.0, 0.0)), c(at(2000.0, 0.0))]),
        }],
        towns: vec![TownArea {
            name: "Alpha".into(),
            shape: MultiPolygon(vec![
                Rect::new(c(at(-2500.0, 0.0)), c(at(2500.0, 2500.0))).to_polygon(),
            ]),
        }],
        district: Some(MultiPolygon(vec![
            Rect::new(c(at(-2500.0, -2500.0)), c(at(2500.0, 2500.0))).to_polygon(),
        ])),
    };
    scene.fill_towns();
    scene
}

#[test]
fn risk_points_get_their_reason_and_nearest_camera() {
    let scene = tiny();
    let towns: Vec<Option<&str>> = scene
        .risk_points
        .iter()
        .map(|r| r.town.as_deref())
        .collect();
    // 200 m off the shore snaps to the town; 500 m east of it and 389 m off it do not
    assert_eq!(towns, [Some("Alpha"), Some("Alpha"), None, None]);
    let analysis = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap();
    let products = analysis.products();
    let reasons: Vec<Reason> = products.risk_points.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        [Reason::Covered, Reason::Fov, Reason::Range, Reason::Terrain]
    );
    assert!(products.risk_points[0].covered && !products.risk_points[3].covered);
    assert_eq!(products.risk_points[0].cameras, vec![1]);
    let nearest = products.risk_points[2].nearest_camera.as_ref().unwrap();
    assert_eq!(nearest.id, 1);
    assert!((nearest.distance_m - 3000.0).abs() < 5.0, "{nearest:?}");
    assert_eq!(products.summary.risk_points_covered, 1);
    assert_eq!(products.summary.risk_point_coverage_pct, Some(25.0));
}

#[test]
fn coastline_is_covered_where_the_sector_crosses_it() {
    let scene = tiny();
    let analysis = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap();
    let products = analysis.products();
    // the camera is 300 m inland looking south with ±45°: it sees 600 m of shore
    let alpha = &products.coastline[0];
    assert_eq!(alpha.town.as_deref(), Some("Alpha"));
    assert!((alpha.length_m - 4000.0).abs() < 5.0, "{alpha:?}");
    assert!(
        (alpha.covered_m - 600.0).abs() <= 50.0,
        "{}",
        alpha.covered_m
    );
    assert_eq!(alpha.uncovered.len(), 2);
    for stretch in &alpha.uncovered {
        assert!((stretch.length_m - 1700.0).abs() <= 50.0, "{stretch:?}");
        assert_eq!(stretch.coastline_id, 7);
        assert!(stretch.line.0.len() >= 2);
    }
    assert_eq!(alpha.covered_lines.len(), 1);
    let towns = analysis.town_coverage();
    let alpha_card = towns
        .iter()
        .find(|t| t.town.as_deref() == Some("Alpha"))
        .unwrap();
    assert_eq!(alpha_card.risk_points, 2);
    assert_eq!(alpha_card.risk_point_coverage_pct, Some(50.0));
    assert_eq!(
        towns.last().unwrap().town,
        None,
        "places in no town come last"
    );
    assert_eq!(alpha_card.coastline_coverage_pct, alpha.covered_pct);
    assert_eq!(
        town_coverage(&scene, &Wall, CoverageOptions::default()).unwrap(),
        towns,
        "the fast path agrees"
    );
}

#[test]
fn cells_agree_with_every_camera_asked_directly() {
    let mut scene = tiny();
    scene.cameras.push(camera(2, 210.0, 60.0, 800.0));
    scene.cameras.push(camera(3, 0.0, 360.0, 400.0));
    let options = CoverageOptions::default();
    let analysis = Analysis::new(&scene, &Wall, options).unwrap();
    let products = analysis.products();
    assert!(products.cells.len() > 1000, "{}", products.cells.len());
    let mut overlap = 0;
    for cell in &products.cells {
        let centre = LatLng::from(cell.cell);
        let sights: Vec<Sight> = scene
            .cameras
            .iter()
            .map(|c| c.model.sight([centre.lng(), centre.lat()], 2.0, &Wall))
            .collect();
        let seen = sights.iter().filter(|s| **s == Sight::Seen).count();
        assert_eq!(usize::from(cell.cameras), seen);
        let best = sights.iter().copied().max_by_key(|s| rank(*s)).unwrap();
        assert_eq!(cell.reason, Reason::from(best).gap_reason());
        assert_eq!(cell.sea, centre.lat() < LAT);
        overlap += usize::from(seen >= 2);
    }
    let s = &products.summary;
    assert_eq!(s.cells_overlap, overlap);
    assert!(overlap > 0);
    assert_eq!(
        s.cells_seen + s.gaps.range + s.gaps.fov + s.gaps.terrain,
        s.cells
    );
    assert!(
        s.gaps.range > 0 && s.gaps.fov > 0 && s.gaps.terrain > 0,
        "{s:?}"
    );
    assert!(
        (s.watch_area_km2 - 25.0).abs() < 0.5,
        "{}",
        s.watch_area_km2
    );
    // camera 1's sector: a quarter disc of 1 km
    let footprint = &products.cameras[0];
    assert!((footprint.area_m2 - 785_398.0).abs() < 1.0);
    let polygon_area = footprint.shape.chamberlain_duquette_unsigned_area();
    assert!(
        (polygon_area / footprint.area_m2 - 1.0).abs() < 0.01,
        "{polygon_area}"
    );
    assert_eq!(footprint.risk_points_seen, 1);
    assert_eq!(products.cameras[2].shape.0[0].exterior().0.len(), 181);
}

#[test]
fn cell_footprints_dissolve_the_seen_cells() {
    let scene = tiny();
    let options = CoverageOptions {
        footprint: FootprintShape::Cells,
        ..CoverageOptions::default()
    };
    let products = Analysis::new(&scene, &Wall, options).unwrap().products();
    let footprint = &products.cameras[0];
    assert!(footprint.cells_seen > 10);
    let area = footprint.shape.chamberlain_duquette_unsigned_area();
    assert!(
        (area / footprint.area_m2 - 1.0).abs() < 0.02,
        "{area} vs {}",
        footprint.area_m2
    );
    // the wall cuts the quarter disc
    assert!(footprint.area_m2 < 785_398.0);
}

#[test]
fn bad_cameras_and_options_are_refused_clearly() {
    let mut scene = tiny();
    scene.cameras[0].model.hfov_deg = 0.0;
    let error = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap_err();
    assert!(error.is_bad_input());
    assert_eq!(
        error.to_string(),
        "camera 1 (CAM-1): hfov_deg 0 must be greater than 0 and at most 360"
    );
    scene.cameras[0].model.hfov_deg = 361.0;
    let error = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("hfov_deg 361 must be"),
        "{error}"
    );
    scene.cameras[0].model.hfov_deg = 90.0;
    scene.cameras[0].model.range_m = -5.0;
    let error = Analysis::new(&scene, &Wall, CoverageOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "camera 1 (CAM-1): range_m -5 must be greater than 0"
    );
    let scene = tiny();
    let error = Analysis::new(
        &scene,
        &Wall,
        CoverageOptions {
            h3_res: Resolution::Fifteen,
            ..CoverageOptions::default()
        },
    )
    .unwrap_err();
    assert!(error.is_bad_input());
    assert!(
        error
            .to_string()
            .starts_with("h3_res 15 divides the watch area into too many cells"),
        "{error}"
    );
    let error = Analysis::new(
        &scene,
        &Wall,
        CoverageOptions {
            coast_step_m: 0.0,
            ..CoverageOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "coast_step_m 0 must be within 1..=10000");
}

#[test]
fn an_empty_scene_gives_empty_products() {
    let scene = Scene::default();
    let products = Analysis::new(&scene, &Wall, CoverageOptions::default())
        .unwrap()
        .products();
    assert_eq!(products.summary.cells, 0);
    assert_eq!(products.summary.risk_point_coverage_pct, None);
    assert!(products.towns.is_empty() && products.coastline.is_empty());
}

#[test]
fn without_a_district_the_watch_area_is_the_grown_extent() {
    let mut scene = tiny();
    scene.district = None;
    let analysis = Analysis::new(
        &scene,
        &Wall,
        CoverageOptions {
            h3_res: Resolution::Nine,
            ..CoverageOptions::default()
        },
    )
    .unwrap();
    let bbox = analysis.products().summary.bbox;
    // risk point 3 lies 3 km east; the camera's 1 km range grows the box
    assert!((bbox[2] - at(4000.0, 0.0)[0]).abs() < 1e-6, "{bbox:?}");
    assert!(analysis.cell_count() > 0);
}
