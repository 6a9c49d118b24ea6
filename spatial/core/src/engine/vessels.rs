//! The in-memory vessel picture: identity and recent track of every vessel, indexed by
//! position (R*-tree) and by H3 cell, fed by position and static reports.

use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{Coord, LineString, Point, Rect};
use h3o::{CellIndex, LatLng, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree, RTreeObject};
use serde_json::json;

use super::Track;
use crate::model::{FeatureId, IdentityFlag, Mmsi};
use crate::{Feature, Layer};

/// One position report.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    /// Time of the report (epoch s).
    pub t_epoch_s: f64,
    /// Longitude (deg).
    pub lon: f64,
    /// Latitude (deg).
    pub lat: f64,
    /// Speed over ground (kn).
    pub sog_kn: Option<f64>,
    /// Course over ground (deg).
    pub cog_deg: Option<f64>,
    /// True heading (deg).
    pub heading_deg: Option<f64>,
    /// AIS navigational status code.
    pub nav_status: Option<u8>,
}

/// Static and voyage data; a report sets the fields it carries and leaves the others.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VesselInfo {
    /// Ship name.
    pub name: Option<String>,
    /// Call sign.
    pub callsign: Option<String>,
    /// IMO number.
    pub imo: Option<u32>,
    /// AIS ship-and-cargo type code.
    pub ship_type: Option<u8>,
    /// Destination as typed by the crew.
    pub destination: Option<String>,
}

impl VesselInfo {
    fn merge(&mut self, patch: VesselInfo) {
        fn set<T>(slot: &mut Option<T>, value: Option<T>) {
            if value.is_some() {
                *slot = value;
            }
        }
        set(&mut self.name, patch.name);
        set(&mut self.callsign, patch.callsign);
        set(&mut self.imo, patch.imo);
        set(&mut self.ship_type, patch.ship_type);
        set(&mut self.destination, patch.destination);
    }
}

/// What a decoded AIS message tells the engine.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum VesselUpdate {
    /// A position report.
    Position {
        /// The vessel.
        mmsi: Mmsi,
        /// The report.
        fix: Fix,
    },
    /// A static or voyage report (types 5, 19, 24).
    Static {
        /// The vessel.
        mmsi: Mmsi,
        /// Time of the report (epoch s).
        t_epoch_s: f64,
        /// The fields it carries.
        info: VesselInfo,
    },
}

impl VesselUpdate {
    /// The vessel it is about.
    pub fn mmsi(&self) -> Mmsi {
        match self {
            Self::Position { mmsi, .. } | Self::Static { mmsi, .. } => *mmsi,
        }
    }
}

/// Everything known about one vessel.
#[derive(Debug, Clone, PartialEq)]
pub struct VesselState {
    /// Its MMSI.
    pub mmsi: Mmsi,
    /// Static and voyage data.
    pub info: VesselInfo,
    /// First report of any kind (epoch s).
    pub first_seen: f64,
    /// First static report (epoch s), if any.
    pub first_static: Option<f64>,
    /// Time of the first position report (epoch s), if any.
    pub first_fix: Option<f64>,
    /// Fixes within the track window, oldest first.
    pub track: Track,
    /// Identity flags raised so far (`no_static_report`, `bad_imo`, …).
    pub flags: BTreeSet<IdentityFlag>,
}

impl VesselState {
    /// The latest fix.
    pub fn latest(&self) -> Option<Fix> {
        self.track.back()
    }

    /// The `vessels` layer feature (id = MMSI), when the vessel has a position.
    pub fn to_feature(&self) -> Option<Feature> {
        let fix = self.latest()?;
        let flags: Vec<&str> = self.flags.iter().map(|flag| flag.as_str()).collect();
        let properties = json!({
            "mmsi": self.mmsi.get(), "name": self.info.name, "callsign": self.info.callsign, "imo": self.info.imo,
            "ship_type": self.info.ship_type, "sog_kn": fix.sog_kn, "cog_deg": fix.cog_deg,
            "heading_deg": fix.heading_deg, "nav_status": fix.nav_status, "last_seen": fix.t_epoch_s.floor() as i64,
            "flags": flags,
        });
        let id = FeatureId::try_from(i64::from(self.mmsi.get())).ok()?;
        Layer::Vessels
            .validate(Feature::new(Point::new(fix.lon, fix.lat), properties).with_id(id))
            .ok()
    }

    /// The `vessel_tracks` feature of the fixes in `[from, to]` (epoch s), when there are two or more.
    pub fn track_feature(&self, from: f64, to: f64) -> Option<Feature> {
        let fixes: Vec<Fix> = self
            .track
            .iter()
            .filter(|f| (from..=to).contains(&f.t_epoch_s))
            .collect();
        let (first, last) = (fixes.first()?, fixes.last()?);
        if fixes.len() < 2 {
            return None;
        }
        let line: LineString = fixes.iter().map(|f| Coord { x: f.lon, y: f.lat }).collect();
        let properties = json!({ "mmsi": self.mmsi.get(), "t_start": first.t_epoch_s.floor() as i64, "t_end": last.t_epoch_s.ceil() as i64 });
        let id = FeatureId::try_from(i64::from(self.mmsi.get())).ok()?;
        Layer::VesselTracks
            .validate(Feature::new(line, properties).with_id(id))
            .ok()
    }
}

/// How a fix was taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The newest fix of the vessel: its position moved.
    Latest,
    /// Older than the latest: kept in the track, position unchanged.
    Late,
    /// Same time as a fix already held, or older than the window: ignored.
    Ignored,
}

/// Half the side (degrees) of the box that stands for a vessel in the R*-tree: a vessel moves
/// inside its box (about 1 km across) without touching the tree, which a search filters by
/// the latest positions. Moving a point in an R*-tree (a removal and an insertion) was a
/// tenth of the ingest's CPU; a vessel at 20 kn now leaves its box every minute or so, a
/// moored one never.
const SLACK_DEG: f64 = 0.005;

/// Where a vessel is indexed: its box in the R*-tree and its H3 cell.
#[derive(Debug, Clone, Copy)]
struct Placed {
    slack: Rectangle<[f64; 2]>,
    cell: Option<CellIndex>,
}

/// The in-memory vessel picture.
#[derive(Debug)]
pub struct VesselEngine {
    vessels: HashMap<Mmsi, VesselState>,
    /// Each vessel with a position once, as its box ([`SLACK_DEG`]).
    index: RTree<GeomWithData<Rectangle<[f64; 2]>, Mmsi>>,
    cells: HashMap<CellIndex, HashSet<Mmsi>>,
    placed: HashMap<Mmsi, Placed>,
    fix_cells: HashMap<CellIndex, u64>,
    window_s: f64,
    resolution: Resolution,
}

impl VesselEngine {
    /// An empty picture keeping `window_s` seconds of track per vessel, indexing latest
    /// positions by H3 cells of `resolution`.
    pub fn new(window_s: f64, resolution: Resolution) -> Self {
        Self {
            vessels: HashMap::new(),
            index: RTree::new(),
            cells: HashMap::new(),
            placed: HashMap::new(),
            fix_cells: HashMap::new(),
            window_s,
            resolution,
        }
    }

    /// Takes in one update.
    pub fn apply(&mut self, update: VesselUpdate) -> Applied {
        match update {
            VesselUpdate::Position { mmsi, fix } => self.apply_fix(mmsi, fix),
            VesselUpdate::Static {
                mmsi,
                t_epoch_s,
                info,
            } => {
                let state = self.state_mut(mmsi, t_epoch_s);
                state.info.merge(info);
                state.first_static =
                    Some(state.first_static.map_or(t_epoch_s, |t| t.min(t_epoch_s)));
                Applied::Latest
            }
        }
    }

    fn state_mut(&mut self, mmsi: Mmsi, t: f64) -> &mut VesselState {
        let state = self.vessels.entry(mmsi).or_insert_with(|| VesselState {
            mmsi,
            info: VesselInfo::default(),
            first_seen: t,
            first_static: None,
            first_fix: None,
            track: Track::default(),
            flags: BTreeSet::new(),
        });
        state.first_seen = state.first_seen.min(t);
        state
    }

    fn apply_fix(&mut self, mmsi: Mmsi, fix: Fix) -> Applied {
        let window_s = self.window_s;
        let state = self.state_mut(mmsi, fix.t_epoch_s);
        state.first_fix = Some(
            state
                .first_fix
                .map_or(fix.t_epoch_s, |t| t.min(fix.t_epoch_s)),
        );
        let previous = state.latest();
        let mut dropped = Vec::new();
        let applied = match previous {
            None => {
                state.track.push_back(fix);
                Applied::Latest
            }
            Some(latest) if fix.t_epoch_s > latest.t_epoch_s => {
                state.track.push_back(fix);
                while state
                    .track
                    .front()
                    .is_some_and(|f| f.t_epoch_s < fix.t_epoch_s - window_s)
                {
                    dropped.extend(state.track.pop_front());
                }
                Applied::Latest
            }
            Some(latest) if fix.t_epoch_s < latest.t_epoch_s - window_s => Applied::Ignored,
            Some(_) => {
                let at = state.track.index_at(fix.t_epoch_s);
                if state
                    .track
                    .get(at)
                    .is_some_and(|f| f.t_epoch_s == fix.t_epoch_s)
                {
                    Applied::Ignored
                } else {
                    state.track.insert(at, fix);
                    Applied::Late
                }
            }
        };
        let cell = self.cell(&fix);
        if applied != Applied::Ignored {
            self.count_fix(cell, 1);
        }
        for old in &dropped {
            self.count_fix(self.cell(old), -1);
        }
        if applied == Applied::Latest {
            self.place(mmsi, [fix.lon, fix.lat], cell);
        }
        applied
    }

    /// The H3 cell of a fix at the engine's resolution.
    fn cell(&self, fix: &Fix) -> Option<CellIndex> {
        let latlng = LatLng::new(fix.lat, fix.lon).ok()?;
        Some(latlng.to_cell(self.resolution))
    }

    /// Keeps the per-cell count of fixes held in tracks (the AIS density) in step.
    fn count_fix(&mut self, cell: Option<CellIndex>, delta: i64) {
        let Some(cell) = cell else { return };
        let count = self.fix_cells.entry(cell).or_default();
        *count = count.saturating_add_signed(delta);
        if *count == 0 {
            self.fix_cells.remove(&cell);
        }
    }

    /// Fixes held in tracks per H3 cell at `resolution` (coarser than or equal to the
    /// engine's; a finer one is taken as the engine's).
    pub fn density(&self, resolution: Resolution) -> HashMap<CellIndex, u64> {
        let mut out: HashMap<CellIndex, u64> = HashMap::new();
        for (cell, count) in &self.fix_cells {
            let parent = cell.parent(resolution).unwrap_or(*cell);
            *out.entry(parent).or_default() += count;
        }
        out
    }

    /// The resolution of the engine's cell indexes.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// Indexes a vessel's new latest position `at` (in its cell, when it has one): its box in
    /// the R*-tree moves only when `at` leaves it.
    fn place(&mut self, mmsi: Mmsi, at: [f64; 2], cell: Option<CellIndex>) {
        let old = self.placed.get(&mmsi).copied();
        let slack = match old {
            Some(old) if old.slack.envelope().contains_point(&at) => old.slack,
            _ => {
                if let Some(old) = old {
                    self.index.remove(&GeomWithData::new(old.slack, mmsi));
                }
                let slack = Rectangle::from_corners(
                    [at[0] - SLACK_DEG, at[1] - SLACK_DEG],
                    [at[0] + SLACK_DEG, at[1] + SLACK_DEG],
                );
                self.index.insert(GeomWithData::new(slack, mmsi));
                slack
            }
        };
        let old_cell = old.and_then(|o| o.cell);
        let cell = cell.or(old_cell);
        self.placed.insert(mmsi, Placed { slack, cell });
        if cell == old_cell {
            return;
        }
        if let Some(old) = old_cell
            && let Some(set) = self.cells.get_mut(&old)
        {
            set.remove(&mmsi);
            if set.is_empty() {
                self.cells.remove(&old);
            }
        }
        if let Some(cell) = cell {
            self.cells.entry(cell).or_default().insert(mmsi);
        }
    }

    /// Forgets the vessels heard from last before `now - window` (their rows and fixes stay
    /// in the store; a vessel that reports again comes back with its stored identity only
    /// after a restart). Returns how many were forgotten. Keeps the picture's memory bounded
    /// by the vessels of one track window.
    pub fn evict_silent(&mut self, now: f64) -> usize {
        let horizon = now - self.window_s;
        let silent: Vec<Mmsi> = self
            .vessels
            .values()
            .filter(|v| {
                let last = v.latest().map_or(v.first_seen, |f| f.t_epoch_s);
                last < horizon && v.first_static.is_none_or(|t| t < horizon)
            })
            .map(|v| v.mmsi)
            .collect();
        for mmsi in &silent {
            let Some(state) = self.vessels.remove(mmsi) else {
                continue;
            };
            for fix in state.track.iter() {
                self.count_fix(self.cell(&fix), -1);
            }
            let Some(placed) = self.placed.remove(mmsi) else {
                continue;
            };
            self.index.remove(&GeomWithData::new(placed.slack, *mmsi));
            if let Some(cell) = placed.cell
                && let Some(set) = self.cells.get_mut(&cell)
            {
                set.remove(mmsi);
                if set.is_empty() {
                    self.cells.remove(&cell);
                }
            }
        }
        silent.len()
    }

    /// Adds flags to a vessel (flags stay once raised).
    pub fn flag(&mut self, mmsi: Mmsi, flags: impl IntoIterator<Item = IdentityFlag>) {
        if let Some(state) = self.vessels.get_mut(&mmsi) {
            state.flags.extend(flags);
        }
    }

    /// One vessel.
    pub fn get(&self, mmsi: Mmsi) -> Option<&VesselState> {
        self.vessels.get(&mmsi)
    }

    /// Every vessel.
    pub fn iter(&self) -> impl Iterator<Item = &VesselState> {
        self.vessels.values()
    }

    /// Number of vessels known.
    pub fn len(&self) -> usize {
        self.vessels.len()
    }

    /// Whether no vessel is known.
    pub fn is_empty(&self) -> bool {
        self.vessels.is_empty()
    }

    /// Vessels whose latest position lies in `bbox` (lon/lat).
    pub fn in_bbox(&self, bbox: Rect) -> impl Iterator<Item = &VesselState> {
        let envelope =
            AABB::from_corners([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y]);
        self.index
            .locate_in_envelope_intersecting(&envelope)
            .filter_map(|entry| self.vessels.get(&entry.data))
            .filter(move |vessel| {
                vessel
                    .latest()
                    .is_some_and(|fix| envelope.contains_point(&[fix.lon, fix.lat]))
            })
    }

    /// Vessels whose latest position lies in `cell` (at the engine's resolution).
    pub fn in_cell(&self, cell: CellIndex) -> impl Iterator<Item = &VesselState> {
        self.cells
            .get(&cell)
            .into_iter()
            .flatten()
            .filter_map(|m| self.vessels.get(m))
    }

    /// Number of vessels per H3 cell of the engine's resolution.
    pub fn cell_counts(&self) -> impl Iterator<Item = (CellIndex, usize)> + '_ {
        self.cells.iter().map(|(cell, set)| (*cell, set.len()))
    }

    /// Fixes held in all tracks.
    pub fn fix_count(&self) -> usize {
        self.vessels.values().map(|v| v.track.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use geo::coord;

    use super::*;

    fn mmsi(n: i64) -> Mmsi {
        Mmsi::try_from(n).unwrap()
    }

    fn fix(t: f64, lon: f64, lat: f64) -> Fix {
        Fix {
            t_epoch_s: t,
            lon,
            lat,
            sog_kn: Some(5.0),
            cog_deg: Some(90.0),
            heading_deg: None,
            nav_status: Some(0),
        }
    }

    fn engine() -> VesselEngine {
        VesselEngine::new(3600.0, Resolution::Nine)
    }

    #[test]
    fn latest_late_and_duplicate_fixes() {
        let mut e = engine();
        let v = mmsi(412_000_001);
        assert_eq!(
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(100.0, 121.5, 29.5)
            }),
            Applied::Latest
        );
        assert_eq!(
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(200.0, 121.6, 29.5)
            }),
            Applied::Latest
        );
        assert_eq!(
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(150.0, 121.55, 29.5)
            }),
            Applied::Late
        );
        assert_eq!(
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(150.0, 121.55, 29.5)
            }),
            Applied::Ignored
        );
        let state = e.get(v).unwrap();
        assert_eq!(
            state.latest().unwrap().lon,
            121.6,
            "a late fix does not move the vessel"
        );
        let times: Vec<f64> = state.track.iter().map(|f| f.t_epoch_s).collect();
        assert_eq!(times, vec![100.0, 150.0, 200.0]);
    }

    #[test]
    fn silent_vessels_are_evicted_with_their_index_entries() {
        let mut engine = engine();
        let (one, two) = (mmsi(412_000_001), mmsi(412_000_002));
        engine.apply(VesselUpdate::Position {
            mmsi: one,
            fix: fix(100.0, 121.5, 29.5),
        });
        engine.apply(VesselUpdate::Position {
            mmsi: two,
            fix: fix(3000.0, 121.6, 29.6),
        });
        assert_eq!(engine.evict_silent(3600.0), 0, "both heard within the hour");
        assert_eq!(
            engine.evict_silent(4000.0),
            1,
            "vessel 1 silent for over an hour"
        );
        assert!(engine.get(one).is_none());
        assert_eq!(engine.len(), 1);
        let bbox = geo::Rect::new(
            geo::coord! {x: 121.0, y: 29.0},
            geo::coord! {x: 122.0, y: 30.0},
        );
        assert_eq!(engine.in_bbox(bbox).count(), 1, "the R*-tree forgot it too");
        assert_eq!(engine.cell_counts().count(), 1, "and the cell index");
        assert_eq!(engine.fix_count(), 1);
    }

    #[test]
    fn window_trims_old_fixes() {
        let mut e = engine();
        let v = mmsi(412_000_002);
        for t in 0..10 {
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(f64::from(t) * 1000.0, 121.5, 29.5),
            });
        }
        let track = &e.get(v).unwrap().track;
        assert_eq!(
            track.front().unwrap().t_epoch_s,
            6000.0,
            "only the last hour is kept"
        );
        assert_eq!(
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(10.0, 121.5, 29.5)
            }),
            Applied::Ignored
        );
    }

    #[test]
    fn density_counts_the_fixes_held() {
        let mut e = engine();
        let v = mmsi(412_000_006);
        for t in 0..5 {
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(f64::from(t) * 1000.0, 121.5, 29.5),
            });
        }
        let total = |e: &VesselEngine, r| e.density(r).values().sum::<u64>();
        assert_eq!(
            total(&e, Resolution::Nine),
            4,
            "the fix at t=0 left the one-hour window"
        );
        assert_eq!(total(&e, Resolution::Five), 4, "parents add up");
        assert_eq!(e.density(Resolution::Five).len(), 1);
        e.apply(VesselUpdate::Position {
            mmsi: v,
            fix: fix(3500.0, 121.6, 29.6),
        });
        assert_eq!(total(&e, Resolution::Nine), 5, "a late fix counts");
        assert_eq!(e.density(Resolution::Nine).len(), 2);
    }

    #[test]
    fn spatial_and_cell_queries_follow_the_latest_position() {
        let mut e = engine();
        let (a, b) = (mmsi(412_000_003), mmsi(412_000_004));
        e.apply(VesselUpdate::Position {
            mmsi: a,
            fix: fix(1.0, 121.50, 29.50),
        });
        e.apply(VesselUpdate::Position {
            mmsi: b,
            fix: fix(1.0, 121.70, 29.60),
        });
        let west = Rect::new(coord! { x: 121.4, y: 29.4 }, coord! { x: 121.6, y: 29.7 });
        assert_eq!(e.in_bbox(west).map(|v| v.mmsi).collect::<Vec<_>>(), vec![a]);
        e.apply(VesselUpdate::Position {
            mmsi: a,
            fix: fix(2.0, 121.75, 29.60),
        });
        assert_eq!(e.in_bbox(west).count(), 0, "moved out");
        let cell = LatLng::new(29.60, 121.75)
            .unwrap()
            .to_cell(Resolution::Nine);
        assert_eq!(e.in_cell(cell).map(|v| v.mmsi).collect::<Vec<_>>(), vec![a]);
        assert_eq!(e.cell_counts().map(|(_, n)| n).sum::<usize>(), 2);
    }

    #[test]
    fn a_bbox_search_sees_small_moves_across_its_edge_that_leave_the_tree_as_it_was() {
        let mut e = engine();
        let v = mmsi(412_000_006);
        let edge = 121.6;
        let bbox = Rect::new(coord! { x: 121.4, y: 29.4 }, coord! { x: edge, y: 29.7 });
        let found = |e: &VesselEngine| e.in_bbox(bbox).count();
        // steps of 0.0004° (about 40 m) back and forth across the edge, inside one box
        for (t, lon) in [edge - 0.0008, edge + 0.0004, edge - 0.0004, edge + 0.0008]
            .into_iter()
            .enumerate()
        {
            e.apply(VesselUpdate::Position {
                mmsi: v,
                fix: fix(t as f64 + 1.0, lon, 29.5),
            });
            assert_eq!(found(&e), usize::from(lon <= edge), "at {lon}");
        }
        assert_eq!(e.index.size(), 1, "one entry per vessel");
        // far away: the box moves
        e.apply(VesselUpdate::Position {
            mmsi: v,
            fix: fix(10.0, 121.5, 29.5),
        });
        assert_eq!(found(&e), 1);
        assert_eq!(e.index.size(), 1);
        assert_eq!(e.evict_silent(1e9), 1);
        assert_eq!(e.index.size(), 0, "an evicted vessel leaves the tree");
    }

    #[test]
    fn static_reports_join_positions_into_features() {
        let mut e = engine();
        let v = mmsi(412_000_005);
        e.apply(VesselUpdate::Position {
            mmsi: v,
            fix: fix(100.0, 121.5, 29.5),
        });
        assert_eq!(
            e.get(v).unwrap().to_feature().unwrap().properties["flags"],
            json!([])
        );
        e.flag(v, [IdentityFlag::NoStaticReport]);
        assert_eq!(
            e.get(v).unwrap().to_feature().unwrap().properties["flags"],
            json!(["no_static_report"]),
            "flags raised by the caller show in the feature"
        );
        let info = VesselInfo {
            name: Some("ZHE XIANG YU 8".into()),
            ship_type: Some(30),
            ..VesselInfo::default()
        };
        e.apply(VesselUpdate::Static {
            mmsi: v,
            t_epoch_s: 120.0,
            info,
        });
        e.apply(VesselUpdate::Static {
            mmsi: v,
            t_epoch_s: 130.0,
            info: VesselInfo {
                callsign: Some("BX1".into()),
                ..VesselInfo::default()
            },
        });
        e.apply(VesselUpdate::Position {
            mmsi: v,
            fix: fix(160.0, 121.51, 29.5),
        });
        let feature = e.get(v).unwrap().to_feature().unwrap();
        assert_eq!(feature.id.unwrap().get(), 412_000_005);
        assert_eq!(feature.properties["name"], "ZHE XIANG YU 8");
        assert_eq!(
            feature.properties["callsign"], "BX1",
            "later reports add fields without erasing"
        );
        assert_eq!(feature.properties["last_seen"], 160);
        let track = e.get(v).unwrap().track_feature(0.0, 1e12).unwrap();
        assert_eq!(
            (
                track.properties["t_start"].as_i64(),
                track.properties["t_end"].as_i64()
            ),
            (Some(100), Some(160))
        );
        assert!(
            e.get(v).unwrap().track_feature(150.0, 1e12).is_none(),
            "one fix is no track"
        );
    }
}
