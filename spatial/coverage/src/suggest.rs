//! New camera sites: candidate sites × headings, chosen greedily for the largest weighted
//! gain over what the existing cameras already see.
//!
//! # Rules
//!
//! - **Candidates**: the given sites, or sites along every coastline line every
//!   [`CandidateSites::Generated`] `spacing_m` (default 500 m; the first half a spacing from
//!   the line's start, one in the middle of a shorter line) plus every risk point. Each site
//!   is tried at every heading `0, step, 2·step, …` (default step 30°), or once when the
//!   [`CameraTemplate`] sweeps 360° (PTZ). Every candidate is a camera of the template.
//! - **Targets and weights** ([`Weights`]): risk points by kind (unregistered dock 8, dock 5,
//!   oil depot, fuel point and anchorage 4, shipyard and cold store 3, warehouse, truck and
//!   crane firms 2; ×2 for a red card, ×1.5 for a yellow one), coastline at 0.003 a metre
//!   (1 km weighs 3, about a shipyard: a camera that watches 10 km of shore where landings
//!   could happen is worth more than one depot), sea cells of the watch area at 0.5 a km² (a
//!   small weight: a 3 km, 90° sector of open sea weighs about 3.5). Land cells weigh
//!   nothing.
//! - **Greedy maximal coverage**: the existing cameras are fixed and what they see counts
//!   as covered; each round picks the candidate with the largest weight of still-uncovered
//!   targets (ties: the first candidate), its marginal gain; it stops early when no candidate
//!   adds anything. Coverage is a monotone submodular function of the chosen set, so the
//!   gains never grow from one pick to the next and the greedy total is at least
//!   (1 − 1/e) of the best possible with as many cameras.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::products::{Analysis, pct, round1};
use super::targets::{in_view, parallel_map};
use super::{CameraModel, CoverageError, CoverageResult, RiskSite};
use coastwatch_core::geodesy;
use coastwatch_core::model::{Card, RiskKind};

/// The camera proposed at every candidate site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraTemplate {
    /// Mounting height (m).
    pub height_m: f64,
    /// Horizontal field of view (deg); 360 for a PTZ camera.
    pub hfov_deg: f64,
    /// Useful range (m).
    pub range_m: f64,
    /// Range below which nothing is seen (m).
    #[serde(default)]
    pub near_range_m: f64,
}

impl Default for CameraTemplate {
    /// A 20 m mast, 90° view, 3 km range.
    fn default() -> Self {
        Self {
            height_m: 20.0,
            hfov_deg: 90.0,
            range_m: 3000.0,
            near_range_m: 0.0,
        }
    }
}

impl CameraTemplate {
    /// The camera of this template at `lonlat` looking at `heading_deg` (id 0).
    pub fn at(&self, lonlat: [f64; 2], heading_deg: f64) -> CameraModel {
        CameraModel {
            id: 0,
            lon: lonlat[0],
            lat: lonlat[1],
            height_m: self.height_m,
            heading_deg,
            hfov_deg: self.hfov_deg,
            range_m: self.range_m,
            near_range_m: self.near_range_m,
        }
    }

    /// Checks the values as [`CameraModel::validate`] does.
    pub fn validate(&self) -> CoverageResult<()> {
        self.at([0.0, 0.0], 0.0).validate("template")
    }
}

/// Where candidate cameras may go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateSites {
    /// These sites (lon, lat).
    Given(Vec<[f64; 2]>),
    /// Along the coastline every `spacing_m`, and at every risk point.
    Generated {
        /// Distance between sites along a line (m).
        spacing_m: f64,
    },
}

impl Default for CandidateSites {
    fn default() -> Self {
        Self::Generated { spacing_m: 500.0 }
    }
}

/// Where a candidate site came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// Generated along the coastline.
    Coastline,
    /// At a risk point.
    RiskPoint,
    /// Given by the caller.
    Given,
}

/// What seeing each target is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of a risk point by kind.
    pub risk_kind: BTreeMap<RiskKind, f64>,
    /// Weight of an unregistered dock (instead of the dock weight).
    pub unregistered_dock: f64,
    /// Factor for a risk point with a red card.
    pub red_card_factor: f64,
    /// Factor for a risk point with a yellow card.
    pub yellow_card_factor: f64,
    /// Weight of a metre of coastline.
    pub coast_per_m: f64,
    /// Weight of a km² of sea in the watch area.
    pub sea_per_km2: f64,
}

impl Default for Weights {
    fn default() -> Self {
        use RiskKind::*;
        Self {
            risk_kind: [
                (Dock, 5.0),
                (OilDepot, 4.0),
                (FuelPoint, 4.0),
                (Anchorage, 4.0),
                (Shipyard, 3.0),
                (ColdStore, 3.0),
                (Warehouse, 2.0),
                (TruckFirm, 2.0),
                (CraneFirm, 2.0),
            ]
            .into_iter()
            .collect(),
            unregistered_dock: 8.0,
            red_card_factor: 2.0,
            yellow_card_factor: 1.5,
            coast_per_m: 0.003,
            sea_per_km2: 0.5,
        }
    }
}

impl Weights {
    /// The weight of seeing `site`.
    pub fn risk_point(&self, site: &RiskSite) -> f64 {
        let base = if site.kind == RiskKind::Dock && !site.registered {
            self.unregistered_dock
        } else {
            self.risk_kind.get(&site.kind).copied().unwrap_or(1.0)
        };
        base * match site.card {
            Card::Red => self.red_card_factor,
            Card::Yellow => self.yellow_card_factor,
            Card::None => 1.0,
        }
    }

    fn validate(&self) -> CoverageResult<()> {
        let values = self.risk_kind.values().copied().chain([
            self.unregistered_dock,
            self.red_card_factor,
            self.yellow_card_factor,
            self.coast_per_m,
            self.sea_per_km2,
        ]);
        for value in values {
            if !(value.is_finite() && value >= 0.0) {
                return Err(CoverageError::BadOption {
                    what: "weight",
                    value,
                    rule: "must be a number ≥ 0",
                });
            }
        }
        Ok(())
    }
}

/// Most suggestions one run may ask for.
pub const MAX_SUGGESTIONS: usize = 100;

/// What to suggest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestOptions {
    /// How many cameras to add (at most [`MAX_SUGGESTIONS`]).
    pub count: usize,
    /// Where they may go.
    pub sites: CandidateSites,
    /// The camera proposed.
    pub template: CameraTemplate,
    /// Step between candidate headings (deg).
    pub heading_step_deg: f64,
    /// What seeing each target is worth.
    pub weights: Weights,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        Self {
            count: 5,
            sites: CandidateSites::default(),
            template: CameraTemplate::default(),
            heading_step_deg: 30.0,
            weights: Weights::default(),
        }
    }
}

impl SuggestOptions {
    /// Checks every value: count ≤ [`MAX_SUGGESTIONS`], a valid template, heading step
    /// 1–360°, spacing 10–100,000 m, sites on the earth, weights ≥ 0.
    pub fn validate(&self) -> CoverageResult<()> {
        let bad = |what, value, rule| Err(CoverageError::BadOption { what, value, rule });
        if self.count > MAX_SUGGESTIONS {
            return bad("suggest", self.count as f64, "must be at most 100");
        }
        self.template.validate()?;
        if !(self.heading_step_deg.is_finite() && (1.0..=360.0).contains(&self.heading_step_deg)) {
            return bad(
                "heading_step_deg",
                self.heading_step_deg,
                "must be within 1..=360",
            );
        }
        match &self.sites {
            CandidateSites::Generated { spacing_m } => {
                if !(spacing_m.is_finite() && (10.0..=100_000.0).contains(spacing_m)) {
                    return bad("spacing_m", *spacing_m, "must be within 10..=100000");
                }
            }
            CandidateSites::Given(sites) => {
                for &[lon, lat] in sites {
                    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                        return bad("candidate longitude", lon, "must be within -180..=180");
                    }
                    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                        return bad("candidate latitude", lat, "must be within -90..=90");
                    }
                }
            }
        }
        self.weights.validate()
    }
}

/// A proposed new camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// 1 for the first pick.
    pub rank: usize,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Heading (deg clockwise from north).
    pub heading_deg: f64,
    /// Mounting height (m).
    pub height_m: f64,
    /// Field of view (deg).
    pub hfov_deg: f64,
    /// Range (m).
    pub range_m: f64,
    /// Near range (m).
    pub near_range_m: f64,
    /// Where the site came from.
    pub site: SiteKind,
    /// Weight of the targets it newly covers.
    pub marginal_gain: f64,
    /// The same as a share of all the weight (%).
    pub marginal_gain_pct: f64,
    /// Ids of the risk points it newly covers.
    pub risk_points: Vec<i64>,
    /// Coastline it newly covers (m).
    pub coastline_m: f64,
    /// Sea cells it newly covers.
    pub sea_cells: usize,
}

impl Suggestion {
    /// The camera this suggestion proposes (id 0).
    pub fn camera(&self) -> CameraModel {
        CameraModel {
            id: 0,
            lon: self.lon,
            lat: self.lat,
            height_m: self.height_m,
            heading_deg: self.heading_deg,
            hfov_deg: self.hfov_deg,
            range_m: self.range_m,
            near_range_m: self.near_range_m,
        }
    }
}

/// Coverage after adding the first `added` suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Suggestions added.
    pub added: usize,
    /// Covered share of all the weight (%).
    pub weighted_coverage_pct: Option<f64>,
    /// Covered share of risk points (%).
    pub risk_point_coverage_pct: Option<f64>,
    /// Covered share of the coastline (%).
    pub coastline_coverage_pct: Option<f64>,
}

/// The result of a suggestion run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionRun {
    /// The picks, best first.
    pub suggestions: Vec<Suggestion>,
    /// Candidate sites tried.
    pub sites: usize,
    /// Candidates (site × heading) that would see something new.
    pub candidates: usize,
    /// Weight of every target.
    pub total_weight: f64,
    /// Weight the existing cameras already cover.
    pub covered_weight_before: f64,
    /// Coverage after 0, 1, … suggestions.
    pub curve: Vec<CurvePoint>,
}

/// Greedy maximal coverage: picks up to `k` of `sets` (each a sorted list of target
/// indices), each time the one with the largest total `weights` of targets not yet
/// `covered` (ties: the lowest index), marking its targets covered. Stops early when no set
/// adds anything. Returns the picks with their marginal gains, in pick order.
///
/// ```
/// use coastwatch_coverage::suggest::greedy;
/// let sets = vec![vec![0, 1], vec![1, 2, 3], vec![3]];
/// let mut covered = vec![false; 4];
/// let picks = greedy(&sets, &[1.0; 4], &mut covered, 2);
/// assert_eq!(picks, vec![(1, 3.0), (0, 1.0)]);
/// assert!(covered.iter().all(|c| *c));
/// ```
pub fn greedy(
    sets: &[Vec<u32>],
    weights: &[f64],
    covered: &mut [bool],
    k: usize,
) -> Vec<(usize, f64)> {
    let mut picks = Vec::with_capacity(k);
    let mut taken = vec![false; sets.len()];
    for _ in 0..k {
        let mut best: Option<(usize, f64)> = None;
        for (i, set) in sets.iter().enumerate() {
            if taken[i] {
                continue;
            }
            let gain: f64 = set
                .iter()
                .filter(|&&t| !covered[t as usize])
                .map(|&t| weights[t as usize])
                .sum();
            if gain > best.map_or(0.0, |(_, g)| g) {
                best = Some((i, gain));
            }
        }
        let Some((i, gain)) = best else { break };
        taken[i] = true;
        for &t in &sets[i] {
            covered[t as usize] = true;
        }
        picks.push((i, gain));
    }
    picks
}

/// The best choice of `k` of `sets` (fewer when there are fewer) by exhaustive search:
/// the chosen indices and the weight they cover beyond `covered`. For checking [`greedy`]
/// on small instances: the work grows as `sets.len()` choose `k`.
pub fn exhaustive(
    sets: &[Vec<u32>],
    weights: &[f64],
    covered: &[bool],
    k: usize,
) -> (Vec<usize>, f64) {
    struct Search<'a> {
        sets: &'a [Vec<u32>],
        weights: &'a [f64],
        /// How many chosen sets (or the initial coverage) hold each target.
        count: Vec<u32>,
        chosen: Vec<usize>,
        best: (Vec<usize>, f64),
    }
    impl Search<'_> {
        fn run(&mut self, from: usize, left: usize, value: f64) {
            if left == 0 {
                if self.best.0.is_empty() || value > self.best.1 {
                    self.best = (self.chosen.clone(), value);
                }
                return;
            }
            if self.sets.len() - from < left {
                return;
            }
            let set = &self.sets[from];
            let mut gain = 0.0;
            for &t in set {
                if self.count[t as usize] == 0 {
                    gain += self.weights[t as usize];
                }
                self.count[t as usize] += 1;
            }
            self.chosen.push(from);
            self.run(from + 1, left - 1, value + gain);
            self.chosen.pop();
            for &t in set {
                self.count[t as usize] -= 1;
            }
            self.run(from + 1, left, value);
        }
    }
    let mut search = Search {
        sets,
        weights,
        count: covered.iter().map(|&c| u32::from(c)).collect(),
        chosen: Vec::new(),
        best: (Vec::new(), 0.0),
    };
    search.run(0, k.min(sets.len()), 0.0);
    search.best
}

/// A candidate camera and the targets it would newly see.
struct Candidate {
    lonlat: [f64; 2],
    heading_deg: f64,
    site: SiteKind,
    set: Vec<u32>,
}

impl Analysis<'_> {
    /// The weight of every target (risk points, coastline pieces, cells).
    fn weights(&self, weights: &Weights) -> Vec<f64> {
        let mut w = Vec::with_capacity(self.targets.lonlat.len());
        w.extend(self.scene.risk_points.iter().map(|r| weights.risk_point(r)));
        w.extend(self.pieces.iter().map(|p| p.length_m * weights.coast_per_m));
        w.extend(self.cells.iter().zip(&self.sea).map(|(cell, &sea)| {
            if sea {
                cell.area_m2() / 1e6 * weights.sea_per_km2
            } else {
                0.0
            }
        }));
        w
    }

    /// The candidate sites of `sites`.
    fn candidate_sites(&self, sites: &CandidateSites) -> Vec<([f64; 2], SiteKind)> {
        match sites {
            CandidateSites::Given(sites) => sites.iter().map(|&s| (s, SiteKind::Given)).collect(),
            CandidateSites::Generated { spacing_m } => {
                let mut out = Vec::new();
                for shore in &self.scene.coastline {
                    out.extend(
                        points_along(&shore.line, *spacing_m)
                            .into_iter()
                            .map(|p| (p, SiteKind::Coastline)),
                    );
                }
                out.extend(
                    self.scene
                        .risk_points
                        .iter()
                        .map(|r| (r.lonlat, SiteKind::RiskPoint)),
                );
                out
            }
        }
    }

    /// Suggests up to `options.count` new cameras (see the module's rules).
    pub fn suggest(&self, options: &SuggestOptions) -> CoverageResult<SuggestionRun> {
        options.validate()?;
        let weights = self.weights(&options.weights);
        let mut covered: Vec<bool> = (0..weights.len()).map(|t| self.covered(t)).collect();
        let total_weight: f64 = weights.iter().sum();
        let covered_weight_before: f64 = weights
            .iter()
            .zip(&covered)
            .filter(|(_, c)| **c)
            .map(|(w, _)| w)
            .sum();
        let template = options.template;
        let headings: Vec<f64> = if template.hfov_deg >= 360.0 {
            vec![0.0]
        } else {
            let n = (360.0 / options.heading_step_deg).ceil() as usize;
            (0..n)
                .map(|k| k as f64 * options.heading_step_deg)
                .filter(|h| *h < 360.0)
                .collect()
        };
        let sites = self.candidate_sites(&options.sites);
        let height = self.options.target_height_m;
        let per_site: Vec<Vec<Candidate>> = parallel_map(&sites, |&(lonlat, site)| {
            // line of sight does not depend on the heading: ask once for the whole disc
            // (a DEM computes one viewshed per site)
            let mut site_camera = template.at(lonlat, 0.0);
            site_camera.hfov_deg = 360.0;
            let view = self
                .targets
                .site_view(&site_camera, self.terrain, height, |t| {
                    weights[t as usize] > 0.0 && !covered[t as usize]
                });
            headings
                .iter()
                .map(|&heading_deg| Candidate {
                    lonlat,
                    heading_deg,
                    site,
                    set: view
                        .iter()
                        .filter(|(_, bearing)| {
                            in_view(f64::from(*bearing), heading_deg, template.hfov_deg)
                        })
                        .map(|(t, _)| *t)
                        .collect(),
                })
                .filter(|c| !c.set.is_empty())
                .collect()
        });
        let candidates: Vec<Candidate> = per_site.into_iter().flatten().collect();
        let sets: Vec<Vec<u32>> = candidates.iter().map(|c| c.set.clone()).collect();
        let picks = greedy(&sets, &weights, &mut covered.clone(), options.count);

        let risk_total = self.coast_start;
        let coast_total: f64 = self.pieces.iter().map(|p| p.length_m).sum();
        let mut risk_covered = (0..self.coast_start).filter(|&t| covered[t]).count();
        let mut coast_covered: f64 = self
            .pieces
            .iter()
            .enumerate()
            .filter(|(i, _)| covered[self.coast_start + i])
            .map(|(_, p)| p.length_m)
            .sum();
        let mut weight_covered = covered_weight_before;
        let point = |added, weight: f64, risk: usize, coast: f64| CurvePoint {
            added,
            weighted_coverage_pct: pct(weight, total_weight),
            risk_point_coverage_pct: pct(risk as f64, risk_total as f64),
            coastline_coverage_pct: pct(coast, coast_total),
        };
        let mut curve = vec![point(0, weight_covered, risk_covered, coast_covered)];
        let mut suggestions = Vec::with_capacity(picks.len());
        for (rank, &(i, gain)) in picks.iter().enumerate() {
            let candidate = &candidates[i];
            let (mut risk_points, mut coastline_m, mut sea_cells) = (Vec::new(), 0.0, 0);
            for &t in &candidate.set {
                let t = t as usize;
                if covered[t] {
                    continue;
                }
                covered[t] = true;
                if t < self.coast_start {
                    risk_points.push(self.scene.risk_points[t].id);
                } else if t < self.cell_start {
                    coastline_m += self.pieces[t - self.coast_start].length_m;
                } else {
                    sea_cells += 1;
                }
            }
            risk_covered += risk_points.len();
            coast_covered += coastline_m;
            weight_covered += gain;
            curve.push(point(rank + 1, weight_covered, risk_covered, coast_covered));
            suggestions.push(Suggestion {
                rank: rank + 1,
                lon: candidate.lonlat[0],
                lat: candidate.lonlat[1],
                heading_deg: candidate.heading_deg,
                height_m: template.height_m,
                hfov_deg: template.hfov_deg,
                range_m: template.range_m,
                near_range_m: template.near_range_m,
                site: candidate.site,
                marginal_gain: (gain * 1000.0).round() / 1000.0,
                marginal_gain_pct: pct(gain, total_weight).unwrap_or(0.0),
                risk_points,
                coastline_m: round1(coastline_m),
                sea_cells,
            });
        }
        Ok(SuggestionRun {
            suggestions,
            sites: sites.len(),
            candidates: candidates.len(),
            total_weight: (total_weight * 1000.0).round() / 1000.0,
            covered_weight_before: (covered_weight_before * 1000.0).round() / 1000.0,
            curve,
        })
    }
}

/// Points along `line` every `spacing_m`, the first half a spacing from the start; the
/// middle of a line shorter than the spacing.
fn points_along(line: &geo::LineString, spacing_m: f64) -> Vec<[f64; 2]> {
    let segments: Vec<([f64; 2], [f64; 2], f64)> = line
        .lines()
        .map(|l| {
            let (a, b) = ([l.start.x, l.start.y], [l.end.x, l.end.y]);
            (a, b, geodesy::distance_m(a, b))
        })
        .filter(|s| s.2 > 0.0)
        .collect();
    let length: f64 = segments.iter().map(|s| s.2).sum();
    if segments.is_empty() {
        return line.0.first().map(|c| vec![[c.x, c.y]]).unwrap_or_default();
    }
    let mut wanted = if length < spacing_m {
        length / 2.0
    } else {
        spacing_m / 2.0
    };
    let mut out = Vec::new();
    let mut walked = 0.0;
    for (a, b, len) in segments {
        while wanted <= walked + len && wanted <= length {
            let f = (wanted - walked) / len;
            out.push([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]);
            wanted += spacing_m;
        }
        walked += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use coastwatch_core::rng::Rng;

    #[test]
    fn greedy_is_within_one_minus_one_over_e_of_exhaustive() {
        let bound = 1.0 - (-1.0f64).exp();
        let mut rng = Rng::new(42);
        let mut worst: f64 = 1.0;
        for _ in 0..400 {
            let targets = 8 + rng.below(25);
            let n_sets = 4 + rng.below(9);
            let k = 1 + rng.below(4);
            let weights: Vec<f64> = (0..targets).map(|_| 0.1 + rng.unit() * 5.0).collect();
            let covered: Vec<bool> = (0..targets).map(|_| rng.unit() < 0.15).collect();
            let sets: Vec<Vec<u32>> = (0..n_sets)
                .map(|_| {
                    let mut set: Vec<u32> =
                        (0..targets as u32).filter(|_| rng.unit() < 0.25).collect();
                    set.dedup();
                    set
                })
                .collect();
            let (best_sets, optimum) = exhaustive(&sets, &weights, &covered, k);
            assert!(best_sets.len() == k.min(n_sets));
            let picks = greedy(&sets, &weights, &mut covered.clone(), k);
            let total: f64 = picks.iter().map(|(_, g)| g).sum();
            assert!(
                total <= optimum + 1e-9,
                "greedy {total} beats the optimum {optimum}"
            );
            assert!(
                total >= bound * optimum - 1e-9,
                "greedy {total} < (1 - 1/e) · {optimum}"
            );
            for pair in picks.windows(2) {
                assert!(pair[1].1 <= pair[0].1 + 1e-9, "gains grew: {picks:?}");
            }
            // every gain is what the pick adds to what came before
            let mut seen = covered.clone();
            for (i, gain) in &picks {
                let fresh: f64 = sets[*i]
                    .iter()
                    .filter(|&&t| !seen[t as usize])
                    .map(|&t| weights[t as usize])
                    .sum();
                assert!((fresh - gain).abs() < 1e-9);
                for &t in &sets[*i] {
                    seen[t as usize] = true;
                }
            }
            if optimum > 0.0 {
                worst = worst.min(total / optimum);
            }
        }
        assert!(worst >= bound, "{worst}");
    }

    #[test]
    fn greedy_stops_when_nothing_is_left() {
        let sets = vec![vec![0, 1], vec![1]];
        let mut covered = vec![false, false];
        assert_eq!(greedy(&sets, &[1.0, 1.0], &mut covered, 5), vec![(0, 2.0)]);
        assert_eq!(
            exhaustive(&sets, &[1.0, 1.0], &[false, false], 1),
            (vec![0], 2.0)
        );
    }

    #[test]
    fn sites_along_a_line() {
        let line = geo::LineString::from(vec![
            (121.6, 29.6),
            (121.6 + geodesy::lon_deg(2000.0, 29.6), 29.6),
        ]);
        let sites = points_along(&line, 500.0);
        assert_eq!(sites.len(), 4);
        let first = geodesy::distance_m([121.6, 29.6], sites[0]);
        assert!((first - 250.0).abs() < 1.0, "{first}");
        let short = points_along(&line, 5000.0);
        assert_eq!(short.len(), 1);
        assert!((geodesy::distance_m([121.6, 29.6], short[0]) - 1000.0).abs() < 1.0);
    }

    #[test]
    fn weights_follow_kind_registration_and_card() {
        let weights = Weights::default();
        let mut site = RiskSite {
            id: 1,
            name: "x".into(),
            kind: RiskKind::Dock,
            registered: true,
            town: None,
            card: Card::None,
            lonlat: [121.6, 29.6],
        };
        assert_eq!(weights.risk_point(&site), 5.0);
        site.registered = false;
        assert_eq!(weights.risk_point(&site), 8.0);
        site.card = Card::Red;
        assert_eq!(weights.risk_point(&site), 16.0);
        site.kind = RiskKind::Warehouse;
        site.card = Card::Yellow;
        assert_eq!(weights.risk_point(&site), 3.0);
    }
}
