//! Cutting a frame region into overlapping tiles.

use super::config::Tile;
use super::letterbox::Rect;

/// Least share of a tile that overlaps its neighbour.
pub const MIN_OVERLAP: f32 = 0.2;

/// Aspect ratio (long side / short side) from which [`Tile::Auto`] tiles.
pub const AUTO_ASPECT: f32 = 2.0;

/// The regions of `area` that are each fitted into one `input_w` × `input_h` inference.
pub fn plan(area: Rect, input_w: u32, input_h: u32, mode: Tile) -> Vec<Rect> {
    let (long, short) = (area.w.max(area.h), area.w.min(area.h));
    let (tw, th) = match mode {
        Tile::Off => return vec![area],
        Tile::Auto if (long as f32) < AUTO_ASPECT * short as f32 => return vec![area],
        Tile::Auto => (short, short),
        Tile::On => (area.w.min(input_w), area.h.min(input_h)),
    };
    let mut tiles: Vec<Rect> = starts(area.h, th)
        .into_iter()
        .flat_map(|y| {
            starts(area.w, tw).into_iter().map(move |x| Rect {
                x: area.x + x,
                y: area.y + y,
                w: tw,
                h: th,
            })
        })
        .collect();
    if mode == Tile::On && tiles.len() > 1 {
        tiles.push(area);
    }
    tiles
}

/// Start offsets of tiles of `side` covering `len`, evenly spread, overlapping by ≥ [`MIN_OVERLAP`].
fn starts(len: u32, side: u32) -> Vec<u32> {
    if side >= len {
        return vec![0];
    }
    let step = side as f32 * (1.0 - MIN_OVERLAP);
    let n = ((len - side) as f32 / step).ceil() as u32 + 1;
    (0..n)
        .map(|i| ((len - side) as f32 * i as f32 / (n - 1) as f32).round() as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn a_panorama_becomes_square_tiles_of_its_height() {
        let pano = rect(0, 0, 1024, 253);
        let tiles = plan(pano, 416, 416, Tile::Auto);
        let xs: Vec<u32> = tiles.iter().map(|t| t.x).collect();
        assert_eq!(xs, [0, 193, 386, 578, 771]);
        assert!(tiles.iter().all(|t| t.w == 253 && t.h == 253 && t.y == 0));
        assert_eq!(plan(pano, 416, 416, Tile::Off), [pano]);
        // ordinary frames are not tiled in auto mode
        let hd = rect(0, 0, 1280, 720);
        assert_eq!(plan(hd, 416, 416, Tile::Auto), [hd]);
    }

    #[test]
    fn tiling_on_covers_the_frame_at_native_resolution_plus_the_whole() {
        let hd = rect(10, 20, 1280, 720);
        let tiles = plan(hd, 416, 416, Tile::On);
        assert_eq!(tiles.len(), 4 * 2 + 1);
        assert_eq!(*tiles.last().unwrap(), hd);
        for t in &tiles[..8] {
            assert_eq!((t.w, t.h), (416, 416));
            assert!(t.x >= 10 && t.x + t.w <= 1290 && t.y >= 20 && t.y + t.h <= 740);
        }
        assert_eq!((tiles[7].x + 416, tiles[7].y + 416), (1290, 740));
        // a region smaller than the input is one tile
        let small = rect(5, 5, 300, 200);
        assert_eq!(plan(small, 416, 416, Tile::On), [small]);
    }

    #[test]
    fn neighbours_overlap_enough() {
        for len in [417u32, 500, 1000, 4096] {
            let s = starts(len, 416);
            assert_eq!((s[0], s.last().unwrap() + 416), (0, len));
            for w in s.windows(2) {
                assert!(
                    416 - (w[1] - w[0]) >= (416.0 * MIN_OVERLAP) as u32,
                    "{len}: {s:?}"
                );
            }
        }
    }
}
