//! The motion gate: a per-camera background model that finds where a frame changed, so that only
//! those regions reach the detector, and so that a camera without a model still tracks (the
//! moving blobs become detections of class `unknown`).
//!
//! The frame is reduced to a grey grid of cells (at most [`MotionConfig::grid_width`] wide), a
//! running average of the grid is the background, and cells that differ from it by more than
//! the threshold, outside the masks, are motion. Neighbouring motion cells are joined (one cell
//! of dilation, 8-connected) into blobs.

use serde::{Deserialize, Serialize};

use crate::frame::Frame;
use crate::geometry::BBox;

/// How motion is found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MotionConfig {
    /// Width of the grey grid the frame is reduced to (cells); the height keeps the aspect.
    pub grid_width: u32,
    /// Grey difference (0–255) from the background that counts as motion.
    pub threshold: f32,
    /// How fast the background follows the scene, per frame (0–1).
    pub learning_rate: f32,
    /// Blobs smaller than this many frame pixels are noise (ripples, a bird far away).
    pub min_area: f32,
    /// When more than this share of the grid changes at once (auto exposure, infrared switching
    /// on, a camera that moved), the background is rebuilt instead of reporting motion everywhere.
    pub max_changed: f32,
    /// Polygons in frame pixels where motion is ignored: sky, a waving flag, a road outside the
    /// site.
    pub masks: Vec<Vec<[f32; 2]>>,
}

impl Default for MotionConfig {
    fn default() -> Self {
        Self {
            grid_width: 320,
            threshold: 18.0,
            learning_rate: 0.05,
            min_area: 64.0,
            max_changed: 0.5,
            masks: Vec::new(),
        }
    }
}

/// One camera's background model.
pub struct MotionGate {
    config: MotionConfig,
    frame_size: (u32, u32),
    /// Frame pixels per grid cell, along each axis.
    cell: u32,
    grid: (usize, usize),
    background: Vec<f32>,
    masked: Vec<bool>,
    grey: Vec<f32>,
    resets: u64,
}

/// What the gate saw in one frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Motion {
    /// Boxes around the moving blobs, in frame pixels, largest first.
    pub blobs: Vec<BBox>,
    /// Share of unmasked grid cells that changed (0–1).
    pub changed: f32,
}

impl MotionGate {
    /// A gate for frames of `width` × `height` pixels.
    pub fn new(width: u32, height: u32, config: MotionConfig) -> Self {
        let cell = width.div_ceil(config.grid_width.max(1)).max(1);
        let grid = (
            (width / cell).max(1) as usize,
            (height / cell).max(1) as usize,
        );
        let masked = (0..grid.0 * grid.1)
            .map(|i| {
                let (gx, gy) = (i % grid.0, i / grid.0);
                let centre = [
                    (gx as f32 + 0.5) * cell as f32,
                    (gy as f32 + 0.5) * cell as f32,
                ];
                config.masks.iter().any(|polygon| contains(polygon, centre))
            })
            .collect();
        Self {
            config,
            frame_size: (width, height),
            cell,
            grid,
            background: Vec::new(),
            masked,
            grey: vec![0.0; grid.0 * grid.1],
            resets: 0,
        }
    }

    /// The frame size this gate serves.
    pub fn frame_size(&self) -> (u32, u32) {
        self.frame_size
    }

    /// How often the background was rebuilt after a change of the whole picture.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Finds the motion in `frame` and learns it into the background. The first frame only
    /// builds the background.
    pub fn update(&mut self, frame: &Frame) -> Motion {
        assert_eq!(
            (frame.width, frame.height),
            self.frame_size,
            "a motion gate serves frames of one size"
        );
        self.reduce(frame);
        if self.background.is_empty() {
            self.background = self.grey.clone();
            return Motion::default();
        }
        let (gw, gh) = self.grid;
        let moving: Vec<bool> = (0..gw * gh)
            .map(|i| {
                !self.masked[i] && (self.grey[i] - self.background[i]).abs() > self.config.threshold
            })
            .collect();
        let changed = moving.iter().filter(|m| **m).count();
        let open = self.masked.iter().filter(|m| !**m).count().max(1);
        let share = changed as f32 / open as f32;
        if share > self.config.max_changed {
            self.background.copy_from_slice(&self.grey);
            self.resets += 1;
            return Motion {
                blobs: Vec::new(),
                changed: share,
            };
        }
        // Moving cells learn four times slower, so a moving object leaves no trail of cells it
        // brightened while passing; an object that stops (or the "ghost" of one that stood in the
        // first frame) still fades into the background, in about 180 frames at the defaults.
        let rate = self.config.learning_rate.clamp(0.0, 1.0);
        for ((background, grey), moving) in self.background.iter_mut().zip(&self.grey).zip(&moving)
        {
            let r = if *moving { rate / 4.0 } else { rate };
            *background += r * (grey - *background);
        }
        let blobs = self.blobs(&moving, &dilate(&moving, gw, gh));
        Motion {
            blobs,
            changed: share,
        }
    }

    /// Averages each cell's pixels to one grey value.
    fn reduce(&mut self, frame: &Frame) {
        let (gw, gh) = self.grid;
        let cell = self.cell as usize;
        let width = frame.width as usize;
        let scale = 1.0 / (cell * cell) as f32;
        for gy in 0..gh {
            for gx in 0..gw {
                let mut sum = 0u32;
                for y in gy * cell..(gy + 1) * cell {
                    let row =
                        &frame.rgb[(y * width + gx * cell) * 3..(y * width + (gx + 1) * cell) * 3];
                    for p in row.chunks_exact(3) {
                        sum += (77 * p[0] as u32 + 150 * p[1] as u32 + 29 * p[2] as u32) >> 8;
                    }
                }
                self.grey[gy * gw + gx] = sum as f32 * scale;
            }
        }
    }

    /// Boxes of the 8-connected groups of `joined` cells (the moving cells grown by one),
    /// each spanning only its `moving` cells, in frame pixels, largest first. The growth only
    /// joins the fragments of one object: a box that took it in would reach a cell below the
    /// object's foot, and the foot is what places it on the ground.
    fn blobs(&self, moving: &[bool], joined: &[bool]) -> Vec<BBox> {
        let (gw, gh) = self.grid;
        let mut seen = vec![false; joined.len()];
        let mut blobs = Vec::new();
        let mut stack = Vec::new();
        for start in 0..joined.len() {
            if !moving[start] || seen[start] {
                continue;
            }
            let (mut x1, mut y1, mut x2, mut y2) = (gw, gh, 0, 0);
            seen[start] = true;
            stack.push(start);
            while let Some(i) = stack.pop() {
                let (x, y) = (i % gw, i / gw);
                if moving[i] {
                    (x1, y1, x2, y2) = (x1.min(x), y1.min(y), x2.max(x), y2.max(y));
                }
                for (nx, ny) in neighbours(x, y, gw, gh) {
                    let j = ny * gw + nx;
                    if joined[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            let c = self.cell as f32;
            let bbox = BBox::from_corners(
                x1 as f32 * c,
                y1 as f32 * c,
                (x2 + 1) as f32 * c,
                (y2 + 1) as f32 * c,
            )
            .clip(self.frame_size.0 as f32, self.frame_size.1 as f32);
            // whether it is big enough is judged on the grown extent (a cell on each side)
            let grown = (x2 - x1 + 3) as f32 * (y2 - y1 + 3) as f32 * c * c;
            if grown >= self.config.min_area {
                blobs.push(bbox);
            }
        }
        blobs.sort_by(|a, b| b.area().total_cmp(&a.area()));
        blobs
    }
}

/// The up to eight neighbours of cell (`x`, `y`) inside a `w` × `h` grid.
fn neighbours(x: usize, y: usize, w: usize, h: usize) -> impl Iterator<Item = (usize, usize)> {
    (-1i64..=1)
        .flat_map(|dy| (-1i64..=1).map(move |dx| (dx, dy)))
        .filter(|&d| d != (0, 0))
        .map(move |(dx, dy)| (x as i64 + dx, y as i64 + dy))
        .filter(move |&(nx, ny)| nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h)
        .map(|(nx, ny)| (nx as usize, ny as usize))
}

/// Grows the moving cells by one cell, joining the fragments of one object.
fn dilate(moving: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut out = moving.to_vec();
    for (i, _) in moving.iter().enumerate().filter(|(_, m)| **m) {
        for (nx, ny) in neighbours(i % w, i / w, w, h) {
            out[ny * w + nx] = true;
        }
    }
    out
}

/// Whether `point` lies inside `polygon` (even-odd rule).
fn contains(polygon: &[[f32; 2]], point: [f32; 2]) -> bool {
    let mut inside = false;
    let n = polygon.len();
    for i in 0..n {
        let (a, b) = (polygon[i], polygon[(i + n - 1) % n]);
        if (a[1] > point[1]) != (b[1] > point[1])
            && point[0] < (b[0] - a[0]) * (point[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
    }
    inside
}

/// The crops the detector should look at: each blob padded by half its size, grown to at least
/// `min_side` pixels (the detector's input, so small objects are not shrunk further), clipped
/// to the frame, with overlapping crops merged. When the crops cover most of the frame, one
/// crop of the whole frame is cheaper.
pub fn detection_regions(blobs: &[BBox], width: u32, height: u32, min_side: f32) -> Vec<BBox> {
    let (fw, fh) = (width as f32, height as f32);
    let mut regions: Vec<BBox> = blobs
        .iter()
        .map(|b| {
            let (cx, cy) = b.center();
            let w = (b.w * 2.0).max(min_side).min(fw);
            let h = (b.h * 2.0).max(min_side).min(fh);
            // Shift rather than cut a crop that sticks out of the frame.
            let x = (cx - w / 2.0).clamp(0.0, fw - w);
            let y = (cy - h / 2.0).clamp(0.0, fh - h);
            BBox { x, y, w, h }
        })
        .collect();
    loop {
        let pair = (0..regions.len())
            .flat_map(|i| (i + 1..regions.len()).map(move |j| (i, j)))
            .find(|&(i, j)| regions[i].intersection(&regions[j]) > 0.0);
        let Some((i, j)) = pair else { break };
        let (a, b) = (regions[i], regions.swap_remove(j));
        regions[i] = BBox::from_corners(
            a.x.min(b.x),
            a.y.min(b.y),
            a.x2().max(b.x2()),
            a.y2().max(b.y2()),
        );
    }
    let covered: f32 = regions.iter().map(BBox::area).sum();
    if covered > 0.6 * fw * fh {
        return vec![BBox {
            x: 0.0,
            y: 0.0,
            w: fw,
            h: fh,
        }];
    }
    regions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey frame with a bright square at (`x`, `y`).
    fn frame(index: u64, square: Option<(u32, u32, u32)>) -> Frame {
        let (w, h) = (640u32, 360u32);
        let mut rgb = vec![60u8; (w * h * 3) as usize];
        if let Some((x0, y0, side)) = square {
            for y in y0..y0 + side {
                for x in x0..x0 + side {
                    let i = ((y * w + x) * 3) as usize;
                    rgb[i..i + 3].copy_from_slice(&[220, 220, 220]);
                }
            }
        }
        Frame {
            index,
            t: jiff::Timestamp::UNIX_EPOCH,
            width: w,
            height: h,
            rgb,
        }
    }

    #[test]
    fn a_moving_square_is_one_blob_where_it_is() {
        let mut gate = MotionGate::new(640, 360, MotionConfig::default());
        assert!(gate.update(&frame(0, None)).blobs.is_empty());
        assert!(
            gate.update(&frame(1, None)).blobs.is_empty(),
            "a still scene has no motion"
        );
        let motion = gate.update(&frame(2, Some((300, 100, 40))));
        assert_eq!(motion.blobs.len(), 1, "{motion:?}");
        let blob = motion.blobs[0];
        assert!(
            blob.x <= 300.0 && blob.x2() >= 340.0 && blob.y <= 100.0 && blob.y2() >= 140.0,
            "{blob:?}"
        );
        assert!(blob.w < 60.0 && blob.h < 60.0, "{blob:?}");
        // the box ends where the square does, not a (2 px) cell further
        assert!(blob.y2() <= 141.0 && blob.x2() <= 341.0, "{blob:?}");
    }

    #[test]
    fn masked_motion_is_ignored() {
        let sky = vec![[0.0, 0.0], [640.0, 0.0], [640.0, 150.0], [0.0, 150.0]];
        let mut gate = MotionGate::new(
            640,
            360,
            MotionConfig {
                masks: vec![sky],
                ..Default::default()
            },
        );
        gate.update(&frame(0, None));
        assert!(
            gate.update(&frame(1, Some((300, 40, 40)))).blobs.is_empty(),
            "in the sky"
        );
        assert_eq!(
            gate.update(&frame(2, Some((300, 240, 40)))).blobs.len(),
            1,
            "on the water"
        );
    }

    #[test]
    fn specks_are_noise() {
        let mut gate = MotionGate::new(
            640,
            360,
            MotionConfig {
                min_area: 400.0,
                ..Default::default()
            },
        );
        gate.update(&frame(0, None));
        assert!(gate.update(&frame(1, Some((100, 100, 3)))).blobs.is_empty());
    }

    #[test]
    fn a_change_of_the_whole_picture_rebuilds_the_background() {
        let mut gate = MotionGate::new(640, 360, MotionConfig::default());
        gate.update(&frame(0, None));
        let mut bright = frame(1, None);
        bright.rgb.fill(200);
        let motion = gate.update(&bright);
        assert!(motion.blobs.is_empty() && motion.changed > 0.9);
        assert_eq!(gate.resets(), 1);
        assert!(
            gate.update(&bright).blobs.is_empty(),
            "the new picture is the background now"
        );
    }

    #[test]
    fn a_stopped_object_fades_into_the_background() {
        let mut gate = MotionGate::new(640, 360, MotionConfig::default());
        gate.update(&frame(0, None));
        let parked = frame(1, Some((300, 100, 40)));
        assert_eq!(gate.update(&parked).blobs.len(), 1);
        let frames_until_quiet = (0..400)
            .position(|_| gate.update(&parked).blobs.is_empty())
            .unwrap();
        assert!(
            (10..300).contains(&frames_until_quiet),
            "{frames_until_quiet}"
        );
    }

    #[test]
    fn regions_grow_to_the_detector_input_and_merge() {
        let blobs = [
            BBox {
                x: 100.0,
                y: 100.0,
                w: 20.0,
                h: 20.0,
            },
            BBox {
                x: 150.0,
                y: 110.0,
                w: 20.0,
                h: 20.0,
            },
        ];
        let regions = detection_regions(&blobs, 1280, 720, 416.0);
        assert_eq!(regions.len(), 1, "{regions:?}");
        assert!(regions[0].w >= 416.0 && regions[0].h >= 416.0);
        assert!(
            regions[0].x >= 0.0 && regions[0].y >= 0.0,
            "shifted inside the frame"
        );
        let far = [
            blobs[0],
            BBox {
                x: 1100.0,
                y: 600.0,
                w: 20.0,
                h: 20.0,
            },
        ];
        assert_eq!(detection_regions(&far, 1280, 720, 300.0).len(), 2);
        let whole = detection_regions(&far, 1280, 720, 640.0);
        assert_eq!(
            whole,
            vec![BBox {
                x: 0.0,
                y: 0.0,
                w: 1280.0,
                h: 720.0
            }]
        );
    }

    #[test]
    fn polygons_contain_their_inside() {
        let square = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        assert!(contains(&square, [5.0, 5.0]));
        assert!(!contains(&square, [15.0, 5.0]));
    }
}
