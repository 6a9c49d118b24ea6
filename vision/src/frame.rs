//! Decoded video frames.

use jiff::Timestamp;

/// One decoded frame: packed 8-bit RGB, row-major, no padding.
#[derive(Clone)]
pub struct Frame {
    /// Position in the sampled stream, from 0.
    pub index: u64,
    /// When it was taken: the server's clock for live streams, the file's own timeline (from
    /// the Unix epoch) for files and image folders.
    pub t: Timestamp,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

impl Frame {
    /// The RGB value at pixel (`x`, `y`).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("index", &self.index)
            .field("t", &self.t)
            .field("size", &(self.width, self.height))
            .finish()
    }
}
