//! Land polygons prepared for many point-in-polygon tests (one per pixel of a camera).

use geo::MultiPolygon;

/// The edges of land polygons, bucketed into latitude bands, for crossing-number tests.
///
/// Every ring (exteriors and holes) counts by the even-odd rule, so a point in a hole is
/// water; the polygons must not overlap (GSHHG's do not).
#[derive(Debug, Clone)]
pub(crate) struct LandIndex {
    /// Latitude of the first band's lower edge (deg).
    lat0: f64,
    /// Height of one band (deg).
    band_deg: f64,
    /// Per band, the edges `[lon_a, lat_a, lon_b, lat_b]` that reach into it.
    bands: Vec<Vec<[f64; 4]>>,
}

impl LandIndex {
    /// Indexes every ring of `land` (lon/lat).
    pub(crate) fn new(land: &MultiPolygon) -> Self {
        let edges: Vec<[f64; 4]> = land
            .0
            .iter()
            .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|line| [line.start.x, line.start.y, line.end.x, line.end.y])
            .filter(|e| e[1] != e[3] && e.iter().all(|v| v.is_finite()))
            .collect();
        let lo = edges
            .iter()
            .map(|e| e[1].min(e[3]))
            .fold(f64::INFINITY, f64::min);
        let hi = edges
            .iter()
            .map(|e| e[1].max(e[3]))
            .fold(f64::NEG_INFINITY, f64::max);
        if edges.is_empty() || hi <= lo {
            return Self {
                lat0: 0.0,
                band_deg: 1.0,
                bands: Vec::new(),
            };
        }
        // About eight edges a band on average: a test costs tens of comparisons, not thousands.
        let count = (edges.len() / 8).clamp(1, 4096);
        let band_deg = (hi - lo) / count as f64;
        let mut bands = vec![Vec::new(); count];
        for edge in edges {
            let first = ((edge[1].min(edge[3]) - lo) / band_deg).floor() as usize;
            let last = ((edge[1].max(edge[3]) - lo) / band_deg).floor() as usize;
            for band in &mut bands[first.min(count - 1)..=last.min(count - 1)] {
                band.push(edge);
            }
        }
        Self {
            lat0: lo,
            band_deg,
            bands,
        }
    }

    /// Whether `lonlat` lies on land.
    pub(crate) fn contains(&self, [lon, lat]: [f64; 2]) -> bool {
        let band = ((lat - self.lat0) / self.band_deg).floor();
        if !(band >= 0.0 && band < self.bands.len() as f64) {
            return false;
        }
        let mut inside = false;
        for e in &self.bands[band as usize] {
            if (e[1] > lat) != (e[3] > lat) {
                let crossing = e[0] + (lat - e[1]) * (e[2] - e[0]) / (e[3] - e[1]);
                if lon < crossing {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use geo::{Contains, LineString, Point, Polygon};

    use super::*;

    fn ring(points: &[(f64, f64)]) -> LineString {
        LineString::from(points.to_vec())
    }

    #[test]
    fn land_index_agrees_with_geo_on_a_polygon_with_a_hole() {
        let island = Polygon::new(
            ring(&[(121.0, 29.0), (121.1, 29.0), (121.12, 29.1), (121.0, 29.08)]),
            vec![ring(&[(121.03, 29.03), (121.06, 29.03), (121.06, 29.06)])],
        );
        let other = Polygon::new(ring(&[(121.2, 29.2), (121.3, 29.2), (121.3, 29.3)]), vec![]);
        let land = MultiPolygon(vec![island, other]);
        let index = LandIndex::new(&land);
        let mut inside = 0;
        for i in 0..=80 {
            for j in 0..=80 {
                let p = [
                    120.98013 + 0.0041 * f64::from(i),
                    28.98 + 0.0041 * f64::from(j),
                ];
                let expected = land.contains(&Point::from(p));
                assert_eq!(index.contains(p), expected, "{p:?}");
                inside += usize::from(expected);
            }
        }
        assert!(inside > 300, "{inside}");
        assert!(!index.contains([121.05, 29.04]), "in the hole");
        assert!(!LandIndex::new(&MultiPolygon(vec![])).contains([121.05, 29.05]));
    }
}
