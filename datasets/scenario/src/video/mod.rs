//! Synthetic camera video of a scenario: frames of a district's cameras that show vessels,
//! trucks and people where each camera's pose puts them, for the real video pipeline to track.
//!
//! - `render`: [`Renderer`] draws one camera's frames (sky, sea with waves and sensor noise,
//!   land, [`SceneObject`]s; day or night).
//! - `pose`: [`camera_pose`] poses a `cameras` layer feature.
//! - `land`: the land polygons indexed for a per-pixel land mask.
//! - `lettering`: the names and numbers painted on hulls.

mod land;
pub mod lettering;
mod pose;
pub mod render;

use geo::{Geometry, MultiPolygon};

pub use pose::{PTZ_HFOV_DEG, RANGE_ROW_SHARE, camera_pose};
pub use render::{ObjectKind, PERSON_HEIGHT_M, Renderer, SceneObject, Surface, TRUCK_WIDTH_M};

use crate::District;

/// The district's land (its `land` layer's polygons) as one multi-polygon, for
/// [`Renderer::new`].
pub fn land_of(district: &District) -> MultiPolygon {
    let polygons = district
        .land
        .iter()
        .flat_map(|feature| match &feature.geometry {
            Some(Geometry::Polygon(p)) => vec![p.clone()],
            Some(Geometry::MultiPolygon(m)) => m.0.clone(),
            _ => Vec::new(),
        })
        .collect();
    MultiPolygon(polygons)
}
