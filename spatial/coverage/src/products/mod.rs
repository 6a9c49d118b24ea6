//! What the existing cameras see: the H3 coverage map of the watch area with the reason for
//! every unseen cell, coastline coverage per town with the uncovered stretches, every risk
//! point covered or not, each camera's visible polygon, and the overlap.
//!
//! # Rules
//!
//! - **Watch area**: the `areas` features of kind `district`; without one, the bounding box
//!   of the cameras, risk points and coastline grown by the longest camera range. It is
//!   divided into H3 cells (default resolution 10, about 0.015 km² a cell) whose centre lies
//!   inside it.
//! - **Land and sea**: land lies on the left of the coastline, as in GSHHG (whose rings run
//!   counter-clockwise around land): a watch cell is land when its centre is on the left of
//!   the nearest coastline segment (at a vertex, of the corner), sea otherwise; every cell
//!   is sea without a coastline. Town areas may hold water and do not count. (Sea cells are
//!   what suggestions weigh as "sea watch area"; gaps are reported for every watch cell.)
//! - **Targets** stand [`CoverageOptions::target_height_m`] (default 2 m, a boat or a
//!   person) above the ground: cell centres, risk points, and coastline samples.
//! - **Coastline**: every line is cut into pieces of at most
//!   [`CoverageOptions::coast_step_m`] (default 25 m); a piece is covered when a camera sees
//!   its middle, and its whole length counts as covered. Consecutive uncovered pieces form
//!   an uncovered stretch.
//! - **Reason** of an unseen place: among all cameras, the one that came closest to seeing
//!   it decides, in the order range < fov < terrain. `range`: no camera has it within range
//!   (or all have it inside their near range); `fov`: some camera has it in range but none
//!   in its field of view; `terrain`: some camera has it in range and view, but the line of
//!   sight is blocked (by the earth's curvature or, with a DEM, by hills).
//! - **Visible polygon** ([`FootprintShape`]): the sector of the camera — its field of view
//!   between the near range and the range, the range cut at the flat-earth horizon of a
//!   target of the target height — with flat terrain; the union of the watch cells the
//!   camera sees with a DEM.
//! - **Overlap**: watch cells seen by two cameras or more.

mod analysis;
mod cells;
mod types;

pub use analysis::{Analysis, sector, town_and_site_coverage, town_coverage};
pub use cells::MAX_CELLS;
pub use types::{
    CameraFootprint, CellCoverage, CoverageOptions, FootprintShape, GapCounts, NearestCamera,
    Products, RangePoint, Reason, RiskPointCoverage, Stretch, Summary, TownCoastline, TownCoverage,
};

/// `part / whole` in percent with two decimals; `None` when `whole` is 0.
pub(crate) fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| (part / whole * 10_000.0).round() / 100.0)
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
