//! Encoder round trips through the crate's decoder: clipping, quantizing,
//! winding, deduplicated tables, and the empty tile.

mod common;

use coastwatch_tiles::mvt::{
    EncodeOptions, Feature, TileEncoder, TileGeometry, Value, decode, ring_area2,
};
use coastwatch_tiles::mvt::{Layer, Tile};
use common::{line, lon_lat, polygon, tile};
use geo::{Coord, Geometry, MultiPoint, MultiPolygon, Point};

const NO_PROPS: [(&str, Value); 0] = [];

fn c(x: i32, y: i32) -> Coord<i32> {
    Coord { x, y }
}

fn point(x: f64, y: f64) -> Geometry<f64> {
    Geometry::Point(Point(lon_lat(tile(), x, y)))
}

/// Encodes one feature in layer "l" and decodes the tile again.
fn round_trip(geometry: Geometry<f64>, options: EncodeOptions) -> Tile {
    let mut encoder = TileEncoder::with_options(tile(), options);
    encoder
        .layer("l")
        .add_feature(Some(1), &geometry, NO_PROPS)
        .unwrap();
    decode(&encoder.encode()).unwrap()
}

fn only_feature(tile: &Tile) -> &Feature {
    assert_eq!(tile.layers.len(), 1, "{tile:?}");
    assert_eq!(tile.layers[0].features.len(), 1, "{tile:?}");
    &tile.layers[0].features[0]
}

fn assert_no_repeats(points: &[Coord<i32>]) {
    for pair in points.windows(2) {
        assert_ne!(pair[0], pair[1], "zero-length segment in {points:?}");
    }
}

#[test]
fn empty_tile_is_empty_bytes() {
    assert!(TileEncoder::new(tile()).encode().is_empty());
    let mut encoder = TileEncoder::new(tile());
    // A layer asked for but given nothing, and a point far outside the tile.
    encoder.layer("empty");
    let kept = encoder
        .layer("outside")
        .add_feature(None, &point(9000.0, 9000.0), [("name", "far")])
        .unwrap();
    assert!(!kept);
    assert!(encoder.is_empty());
    assert!(encoder.encode().is_empty());
}

#[test]
fn empty_layers_are_left_out() {
    let mut encoder = TileEncoder::new(tile());
    encoder.layer("empty");
    encoder
        .layer("full")
        .add_feature(None, &point(10.0, 10.0), NO_PROPS)
        .unwrap();
    let decoded = decode(&encoder.encode()).unwrap();
    let names: Vec<&str> = decoded.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["full"]);
    assert_eq!(decoded.layers[0].version, 2);
    assert_eq!(decoded.layers[0].extent, 4096);
}

#[test]
fn points_are_quantized_and_clipped_to_the_buffer() {
    let multi = Geometry::MultiPoint(MultiPoint::new(
        [
            (100.0, 200.0),
            (-50.0, 10.0),
            (-100.0, 10.0),
            (4150.4, 4159.6),
            (4200.0, 0.0),
        ]
        .iter()
        .map(|(x, y)| Point(lon_lat(tile(), *x, *y)))
        .collect(),
    ));
    let decoded = round_trip(multi, EncodeOptions::default());
    assert_eq!(
        only_feature(&decoded).geometry,
        TileGeometry::Points(vec![c(100, 200), c(-50, 10), c(4150, 4160)])
    );
}

#[test]
fn lines_are_clipped_into_parts() {
    // Leaves the buffered tile to the east and comes back.
    let l = line(&[
        (2000.0, 1000.0),
        (6000.0, 1000.0),
        (6000.0, 3000.0),
        (2000.0, 3000.0),
    ]);
    let decoded = round_trip(Geometry::LineString(l), EncodeOptions::default());
    assert_eq!(
        only_feature(&decoded).geometry,
        TileGeometry::LineStrings(vec![
            vec![c(2000, 1000), c(4160, 1000)],
            vec![c(4160, 3000), c(2000, 3000)]
        ])
    );
    // Crosses the whole tile diagonally.
    let l = line(&[(-1000.0, -1000.0), (5096.0, 5096.0)]);
    let decoded = round_trip(Geometry::LineString(l), EncodeOptions::default());
    assert_eq!(
        only_feature(&decoded).geometry,
        TileGeometry::LineStrings(vec![vec![c(-64, -64), c(4160, 4160)]])
    );
    // Entirely outside.
    let l = line(&[(5000.0, 0.0), (6000.0, 4096.0)]);
    assert!(
        round_trip(Geometry::LineString(l), EncodeOptions::default())
            .layers
            .is_empty()
    );
}

#[test]
fn zero_length_segments_and_short_lines_are_dropped() {
    let options = EncodeOptions {
        simplify_tolerance_units: 0.0,
        ..EncodeOptions::default()
    };
    let l = line(&[
        (10.0, 10.0),
        (10.2, 10.1),
        (10.0, 10.0),
        (20.0, 10.0),
        (20.0, 10.0),
        (20.3, 9.8),
        (30.0, 10.0),
    ]);
    let decoded = round_trip(Geometry::LineString(l), options);
    let TileGeometry::LineStrings(lines) = &only_feature(&decoded).geometry else {
        panic!("not lines")
    };
    assert_eq!(lines, &vec![vec![c(10, 10), c(20, 10), c(30, 10)]]);
    assert_no_repeats(&lines[0]);
    // A line shorter than half a unit rounds to one point: nothing is left.
    let tiny = line(&[(10.0, 10.0), (10.2, 10.2)]);
    assert!(
        round_trip(Geometry::LineString(tiny), options)
            .layers
            .is_empty()
    );
}

#[test]
fn simplification_is_in_tile_units_and_configurable() {
    let wiggly: Vec<(f64, f64)> = (0..=100)
        .map(|i| {
            (
                f64::from(i) * 10.0,
                500.0 + if i % 2 == 0 { 0.4 } else { -0.4 },
            )
        })
        .collect();
    let decoded = round_trip(
        Geometry::LineString(line(&wiggly)),
        EncodeOptions::default(),
    );
    let TileGeometry::LineStrings(lines) = &only_feature(&decoded).geometry else {
        panic!("not lines")
    };
    assert_eq!(lines[0].len(), 2, "{lines:?}");
    let exact = EncodeOptions {
        simplify_tolerance_units: 0.0,
        ..EncodeOptions::default()
    };
    let decoded = round_trip(Geometry::LineString(line(&wiggly)), exact);
    let TileGeometry::LineStrings(lines) = &only_feature(&decoded).geometry else {
        panic!("not lines")
    };
    assert_eq!(lines[0].len(), 101);
}

#[test]
fn rings_have_mvt_winding_whatever_the_input_winding() {
    let outer = [
        (100.0, 100.0),
        (1000.0, 100.0),
        (1000.0, 1000.0),
        (100.0, 1000.0),
    ];
    let hole = [
        (300.0, 300.0),
        (300.0, 600.0),
        (600.0, 600.0),
        (600.0, 300.0),
    ];
    let reversed = |r: &[(f64, f64)]| r.iter().rev().copied().collect::<Vec<_>>();
    for (outer, hole) in [
        (outer.to_vec(), hole.to_vec()),
        (reversed(&outer), reversed(&hole)),
        (outer.to_vec(), reversed(&hole)),
        (reversed(&outer), hole.to_vec()),
    ] {
        let p = polygon(&outer, &[&hole]);
        let decoded = round_trip(Geometry::Polygon(p), EncodeOptions::default());
        let TileGeometry::Polygons(polygons) = &only_feature(&decoded).geometry else {
            panic!("not polygons")
        };
        assert_eq!(polygons.len(), 1);
        let p = &polygons[0];
        assert!(
            ring_area2(&p.exterior) > 0,
            "exterior must be clockwise on screen"
        );
        assert_eq!(p.interiors.len(), 1);
        assert!(
            ring_area2(&p.interiors[0]) < 0,
            "hole must be counter-clockwise"
        );
        assert_eq!(ring_area2(&p.exterior), 2 * 900 * 900);
        assert_eq!(ring_area2(&p.interiors[0]), -2 * 300 * 300);
        for ring in std::iter::once(&p.exterior).chain(&p.interiors) {
            assert_eq!(ring.len(), 4, "no closing point: {ring:?}");
            assert_ne!(ring.first(), ring.last());
            assert_no_repeats(ring);
        }
    }
}

#[test]
fn polygons_are_clipped_to_the_buffered_square() {
    let covering = polygon(
        &[
            (-5000.0, -5000.0),
            (9000.0, -5000.0),
            (9000.0, 9000.0),
            (-5000.0, 9000.0),
        ],
        &[&[
            (1000.0, 1000.0),
            (1000.0, 2000.0),
            (2000.0, 2000.0),
            (2000.0, 1000.0),
        ]],
    );
    let decoded = round_trip(Geometry::Polygon(covering), EncodeOptions::default());
    let TileGeometry::Polygons(polygons) = &only_feature(&decoded).geometry else {
        panic!("not polygons")
    };
    let mut exterior = polygons[0].exterior.clone();
    exterior.sort_by_key(|c| (c.x, c.y));
    assert_eq!(
        exterior,
        vec![c(-64, -64), c(-64, 4160), c(4160, -64), c(4160, 4160)]
    );
    assert_eq!(polygons[0].interiors.len(), 1);

    // Half in, half out: cut at the buffer edge x = 4160.
    let half = polygon(
        &[
            (3000.0, 0.0),
            (6000.0, 0.0),
            (6000.0, 1000.0),
            (3000.0, 1000.0),
        ],
        &[],
    );
    let decoded = round_trip(Geometry::Polygon(half), EncodeOptions::default());
    let TileGeometry::Polygons(polygons) = &only_feature(&decoded).geometry else {
        panic!("not polygons")
    };
    assert_eq!(ring_area2(&polygons[0].exterior), 2 * 1160 * 1000);
    assert!(polygons[0].exterior.iter().all(|c| c.x <= 4160));

    // Outside entirely, and a hole outside a kept exterior.
    let outside = polygon(&[(5000.0, 0.0), (6000.0, 0.0), (6000.0, 1000.0)], &[]);
    assert!(
        round_trip(Geometry::Polygon(outside), EncodeOptions::default())
            .layers
            .is_empty()
    );
}

#[test]
fn degenerate_rings_are_dropped() {
    // Collapses to a line after rounding: zero area.
    let sliver = polygon(&[(10.0, 10.0), (500.0, 10.2), (1000.0, 10.0)], &[]);
    assert!(
        round_trip(Geometry::Polygon(sliver), EncodeOptions::default())
            .layers
            .is_empty()
    );
    // Smaller than a unit.
    let speck = polygon(&[(10.0, 10.0), (10.3, 10.0), (10.3, 10.3)], &[]);
    assert!(
        round_trip(Geometry::Polygon(speck), EncodeOptions::default())
            .layers
            .is_empty()
    );
    // A degenerate hole goes, its polygon stays.
    let p = polygon(
        &[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)],
        &[&[(50.0, 50.0), (50.2, 50.0), (50.2, 50.2)]],
    );
    let decoded = round_trip(Geometry::Polygon(p), EncodeOptions::default());
    let TileGeometry::Polygons(polygons) = &only_feature(&decoded).geometry else {
        panic!("not polygons")
    };
    assert!(polygons[0].interiors.is_empty());
}

#[test]
fn multipolygons_keep_each_part() {
    let a = polygon(
        &[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)],
        &[],
    );
    let b = polygon(
        &[(200.0, 0.0), (300.0, 0.0), (300.0, 100.0), (200.0, 100.0)],
        &[],
    );
    let decoded = round_trip(
        Geometry::MultiPolygon(MultiPolygon::new(vec![a, b])),
        EncodeOptions::default(),
    );
    let TileGeometry::Polygons(polygons) = &only_feature(&decoded).geometry else {
        panic!("not polygons")
    };
    assert_eq!(polygons.len(), 2);
}

#[test]
fn properties_round_trip_with_their_types() {
    let mut encoder = TileEncoder::new(tile());
    let layer = encoder.layer("vessels");
    let props = [
        ("name", Value::from("MIN DAI YU 1")),
        ("mmsi", Value::from(412_345_678u64)),
        ("offset", Value::from(-5i64)),
        ("sog_kn", Value::from(7.25f64)),
        ("ratio", Value::from(0.5f32)),
        ("registered", Value::from(true)),
        ("legacy", Value::Int(-3)),
    ];
    layer
        .add_feature(Some(7), &point(1.0, 2.0), props.clone())
        .unwrap();
    let decoded = decode(&encoder.encode()).unwrap();
    let feature = only_feature(&decoded);
    assert_eq!(feature.id, Some(7));
    for (key, value) in props {
        assert_eq!(feature.properties[key], value, "{key}");
    }
    // Without an id the decoder reports none.
    let mut encoder = TileEncoder::new(tile());
    encoder
        .layer("l")
        .add_feature(None, &point(1.0, 2.0), NO_PROPS)
        .unwrap();
    assert_eq!(only_feature(&decode(&encoder.encode()).unwrap()).id, None);
}

/// Reads the keys (field 3) and values (field 4) of the first layer, byte by byte,
/// without the crate's decoder.
fn raw_table_sizes(tile: &[u8]) -> (usize, usize) {
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let mut v = 0;
        let mut shift = 0;
        loop {
            let byte = b[*i];
            *i += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    let mut i = 0;
    assert_eq!(varint(tile, &mut i), (3 << 3) | 2);
    let len = varint(tile, &mut i) as usize;
    let layer = &tile[i..i + len];
    let (mut keys, mut values) = (0, 0);
    let mut j = 0;
    while j < layer.len() {
        let key = varint(layer, &mut j);
        match key & 7 {
            0 => {
                varint(layer, &mut j);
            }
            2 => {
                let n = varint(layer, &mut j) as usize;
                j += n;
            }
            other => panic!("unexpected wire type {other}"),
        }
        match key >> 3 {
            3 => keys += 1,
            4 => values += 1,
            _ => {}
        }
    }
    (keys, values)
}

#[test]
fn keys_and_values_are_shared_by_features() {
    let mut encoder = TileEncoder::new(tile());
    let layer = encoder.layer("risk_points");
    for i in 0..50 {
        let kind = if i % 2 == 0 { "dock" } else { "oil_depot" };
        layer
            .add_feature(
                Some(i),
                &point(i as f64, 0.0),
                [
                    ("kind", Value::from(kind)),
                    ("registered", Value::from(true)),
                    ("town", Value::from("Qiucun")),
                    ("card", Value::from("none")),
                ],
            )
            .unwrap();
    }
    // A dropped feature's properties do not enter the tables.
    layer
        .add_feature(None, &point(-9000.0, 0.0), [("unused", "x")])
        .unwrap();
    let bytes = encoder.encode();
    assert_eq!(raw_table_sizes(&bytes), (4, 5));
    let decoded = decode(&bytes).unwrap();
    let Layer { features, .. } = &decoded.layers[0];
    assert_eq!(features.len(), 50);
    assert_eq!(features[1].properties["kind"], Value::from("oil_depot"));
}

#[test]
fn positions_land_within_half_a_unit() {
    let tile = tile();
    let b = tile.bounds_lon_lat();
    let (lon, lat) = (b.min().x + 0.3 * b.width(), b.max().y - 0.6 * b.height());
    let mut encoder = TileEncoder::new(tile);
    encoder
        .layer("l")
        .add_feature(None, &Geometry::Point(Point::new(lon, lat)), NO_PROPS)
        .unwrap();
    let decoded = decode(&encoder.encode()).unwrap();
    let TileGeometry::Points(points) = &only_feature(&decoded).geometry else {
        panic!("not points")
    };
    // x is linear in longitude; y is not linear in latitude, so allow a few units.
    assert!(
        (f64::from(points[0].x) - 0.3 * 4096.0).abs() <= 0.5,
        "{points:?}"
    );
    assert!(
        (f64::from(points[0].y) - 0.6 * 4096.0).abs() <= 4.0,
        "{points:?}"
    );
    let expected = common::lon_lat(tile, f64::from(points[0].x), f64::from(points[0].y));
    assert!((expected.x - lon).abs() < b.width() / 4096.0);
}

/// A small deterministic generator (SplitMix64).
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

/// A star-shaped ring around `(cx, cy)` with `n` vertices, either winding.
fn star(rng: &mut Rng, cx: f64, cy: f64, radius: f64, n: usize) -> Vec<(f64, f64)> {
    let mut ring: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let r = radius * (0.5 + 0.5 * rng.next_f64());
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    if rng.next_f64() < 0.5 {
        ring.reverse();
    }
    ring
}

#[test]
fn random_geometry_always_encodes_to_valid_mvt() {
    let mut rng = Rng(42);
    let mut encoder = TileEncoder::new(tile());
    for i in 0..300 {
        let cx = rng.next_f64() * 6000.0 - 1000.0;
        let cy = rng.next_f64() * 6000.0 - 1000.0;
        let radius = 1.0 + rng.next_f64() * 1500.0;
        let outer = star(&mut rng, cx, cy, radius, 3 + (i % 40));
        let hole = star(&mut rng, cx, cy, radius * 0.3, 3 + (i % 7));
        encoder
            .layer("polygons")
            .add_feature(
                Some(i as u64),
                &Geometry::Polygon(polygon(&outer, &[&hole])),
                NO_PROPS,
            )
            .unwrap();
        let walk: Vec<(f64, f64)> = (0..20)
            .scan((cx, cy), |p, _| {
                p.0 += rng.next_f64() * 600.0 - 300.0;
                p.1 += rng.next_f64() * 600.0 - 300.0;
                Some(*p)
            })
            .collect();
        encoder
            .layer("lines")
            .add_feature(Some(i as u64), &Geometry::LineString(line(&walk)), NO_PROPS)
            .unwrap();
    }
    let decoded = decode(&encoder.encode()).unwrap();
    let in_buffer = |c: &Coord<i32>| (-64..=4160).contains(&c.x) && (-64..=4160).contains(&c.y);
    let (mut polygons_seen, mut lines_seen) = (0, 0);
    for layer in &decoded.layers {
        for feature in &layer.features {
            match &feature.geometry {
                TileGeometry::Polygons(polygons) => {
                    for p in polygons {
                        polygons_seen += 1;
                        assert!(ring_area2(&p.exterior) > 0, "{p:?}");
                        assert!(p.interiors.iter().all(|r| ring_area2(r) < 0), "{p:?}");
                        for ring in std::iter::once(&p.exterior).chain(&p.interiors) {
                            assert!(ring.len() >= 3);
                            assert_ne!(ring.first(), ring.last(), "closing point kept");
                            assert_no_repeats(ring);
                            assert!(ring.iter().all(in_buffer), "{ring:?}");
                        }
                    }
                }
                TileGeometry::LineStrings(lines) => {
                    for l in lines {
                        lines_seen += 1;
                        assert!(l.len() >= 2);
                        assert_no_repeats(l);
                        assert!(l.iter().all(in_buffer), "{l:?}");
                    }
                }
                other => panic!("unexpected geometry {other:?}"),
            }
        }
    }
    assert!(
        polygons_seen > 50 && lines_seen > 50,
        "{polygons_seen} {lines_seen}"
    );
}
