//! GCJ-02, the obfuscated datum Chinese maps and many Chinese vehicle platforms use, to and
//! from WGS 84.
//!
//! The forward transform is the published formula (an offset of up to a few hundred metres,
//! from a Krasovsky-ellipsoid correction of polynomial and sine terms in the distance from
//! 105° E, 35° N); the inverse has no closed form and is found by fixed-point iteration,
//! to far below a millimetre inside China. Outside China GCJ-02 is WGS 84.

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid (m), as the formula uses it.
const A: f64 = 6_378_245.0;
/// Its first eccentricity squared.
const EE: f64 = 0.006_693_421_622_965_943;

/// Whether GCJ-02 differs from WGS 84 at `[lon, lat]`: mainland China's rough box.
pub fn in_china([lon, lat]: [f64; 2]) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0
}

fn offset_lon(x: f64, y: f64) -> f64 {
    300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0
}

/// The GCJ-02 position of WGS 84 `[lon, lat]`.
pub fn from_wgs84([lon, lat]: [f64; 2]) -> [f64; 2] {
    if !in_china([lon, lat]) {
        return [lon, lat];
    }
    let (x, y) = (lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = offset_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = offset_lon(x, y) * 180.0 / (A / sqrt_magic * rad_lat.cos() * PI);
    [lon + d_lon, lat + d_lat]
}

/// The WGS 84 position of GCJ-02 `[lon, lat]`: the point whose GCJ-02 position it is.
pub fn to_wgs84(gcj: [f64; 2]) -> [f64; 2] {
    let mut wgs = gcj;
    for _ in 0..30 {
        let there = from_wgs84(wgs);
        let (d_lon, d_lat) = (gcj[0] - there[0], gcj[1] - there[1]);
        wgs = [wgs[0] + d_lon, wgs[1] + d_lat];
        if d_lon.abs() < 1e-10 && d_lat.abs() < 1e-10 {
            break;
        }
    }
    wgs
}

/// The datum coordinates arrive in: WGS 84 (GPS, AIS, the standards) or GCJ-02 (Chinese maps
/// and the platforms that follow them). Written `wgs84` or `gcj02`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datum {
    /// WGS 84: taken as it is.
    #[default]
    Wgs84,
    /// GCJ-02: converted to WGS 84 on arrival.
    Gcj02,
}

impl Datum {
    /// `[lon, lat]` in this datum, in WGS 84.
    pub fn to_wgs84(self, lonlat: [f64; 2]) -> [f64; 2] {
        match self {
            Self::Wgs84 => lonlat,
            Self::Gcj02 => to_wgs84(lonlat),
        }
    }
}

impl std::str::FromStr for Datum {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" => Ok(Self::Wgs84),
            "gcj02" => Ok(Self::Gcj02),
            other => Err(format!("unknown datum {other:?}: wgs84 or gcj02")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::distance_m;

    /// Pairs published with open-source converters (WGS 84 → GCJ-02).
    const PAIRS: [([f64; 2], [f64; 2]); 2] = [
        // Jiaxing, Zhejiang
        (
            [121.0917077, 30.6107779],
            [121.096_269_355_750_27, 30.608_604_331_756_705],
        ),
        ([116.0, 40.0], [116.006_141_221_789, 40.001_213_650_174]),
    ];

    #[test]
    fn known_pairs_convert_both_ways() {
        for (wgs, gcj) in PAIRS {
            let forward = from_wgs84(wgs);
            assert!(
                distance_m(forward, gcj) < 0.01,
                "{wgs:?} → {forward:?}, not {gcj:?}"
            );
            let back = to_wgs84(gcj);
            assert!(
                distance_m(back, wgs) < 0.5,
                "{gcj:?} → {back:?}, not {wgs:?}"
            );
        }
    }

    #[test]
    fn the_inverse_holds_over_the_district_and_outside_china_nothing_moves() {
        for i in 0..=10 {
            for j in 0..=10 {
                let wgs = [121.0 + f64::from(i) * 0.1, 29.0 + f64::from(j) * 0.1];
                let gcj = from_wgs84(wgs);
                // the offset is real (hundreds of metres) and undone
                assert!(distance_m(gcj, wgs) > 100.0);
                assert!(distance_m(to_wgs84(gcj), wgs) < 0.001);
            }
        }
        let oslo = [10.75, 59.91];
        assert_eq!(from_wgs84(oslo), oslo);
        assert_eq!(to_wgs84(oslo), oslo);
    }
}
