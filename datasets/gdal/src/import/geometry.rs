//! Reprojection to WGS84 and conversion of OGR geometries to `geo` through WKB.

use std::path::Path;

use coastwatch_core::Layer;
use coastwatch_core::layer::GeometryType;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::LayerAccess;
use geo::Geometry;
use geozero::ToGeo;
use geozero::wkb::Wkb;

use super::ImportError;
use crate::gdal_reason;

/// The transformation from the source layer's CRS to EPSG:4326 in lon/lat order, or `None`
/// when the source is already there or has no CRS (then it is taken as lon/lat).
pub(super) fn to_wgs84(
    source: &gdal::vector::Layer<'_>,
    path: &Path,
) -> Result<Option<CoordTransform>, ImportError> {
    let Some(mut crs) = source.spatial_ref() else {
        tracing::debug!(path = %path.display(), "source has no CRS: coordinates taken as lon/lat");
        return Ok(None);
    };
    let name = crs
        .authority()
        .ok()
        .or_else(|| crs.name())
        .unwrap_or_else(|| "(unnamed)".to_owned());
    let unknown = |reason| ImportError::UnknownCrs {
        path: path.to_owned(),
        source_layer: source.name(),
        crs: name.clone(),
        reason,
    };
    let mut wgs84 = SpatialRef::from_epsg(4326).map_err(|e| unknown(gdal_reason(e)))?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    crs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    if crs == wgs84 {
        return Ok(None);
    }
    tracing::debug!(path = %path.display(), crs = %name, "reprojecting to EPSG:4326");
    CoordTransform::new(&crs, &wgs84)
        .map(Some)
        .map_err(|e| unknown(gdal_reason(e)))
}

/// The feature's geometry in lon/lat, fitted to the layer's geometry type where a
/// single-member multi-geometry stands for a single one. Empty geometries are `None`.
pub(super) fn read(
    feature: &gdal::vector::Feature<'_>,
    transform: Option<&CoordTransform>,
    layer: Layer,
) -> Result<Option<Geometry>, String> {
    let Some(geometry) = feature
        .geometry()
        .filter(|g| g.has_gdal_ptr() && !g.is_empty())
    else {
        return Ok(None);
    };
    let wkb = match transform {
        Some(transform) => geometry.transform(transform).and_then(|g| g.iso_wkb()),
        None => geometry.iso_wkb(),
    }
    .map_err(|e| {
        format!(
            "geometry: cannot transform to EPSG:4326: {}",
            gdal_reason(e)
        )
    })?;
    let geometry = Wkb(wkb)
        .to_geo()
        .map_err(|e| format!("geometry: cannot read: {e}"))?;
    Ok(Some(fit(geometry, layer.geometry_type())))
}

/// Unwraps a multi-geometry of one member where the layer holds single geometries.
fn fit(geometry: Geometry, wanted: GeometryType) -> Geometry {
    match (wanted, geometry) {
        (GeometryType::Point, Geometry::MultiPoint(mut m)) if m.0.len() == 1 => {
            Geometry::Point(m.0.remove(0))
        }
        (GeometryType::LineString, Geometry::MultiLineString(mut m)) if m.0.len() == 1 => {
            Geometry::LineString(m.0.remove(0))
        }
        (GeometryType::Polygon, Geometry::MultiPolygon(mut m)) if m.0.len() == 1 => {
            Geometry::Polygon(m.0.remove(0))
        }
        (_, geometry) => geometry,
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPoint, point};

    use super::*;

    #[test]
    fn single_member_multis_fit_single_layers() {
        let one = Geometry::MultiPoint(MultiPoint(vec![point!(x: 1.0, y: 2.0)]));
        assert_eq!(
            fit(one.clone(), GeometryType::Point),
            Geometry::Point(point!(x: 1.0, y: 2.0))
        );
        assert_eq!(fit(one.clone(), GeometryType::Geometry), one);
        let two = Geometry::MultiPoint(MultiPoint(vec![
            point!(x: 1.0, y: 2.0),
            point!(x: 3.0, y: 4.0),
        ]));
        assert_eq!(fit(two.clone(), GeometryType::Point), two);
    }
}
