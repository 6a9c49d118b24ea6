//! Hull markings painted on the synthetic video: a vessel's name or number in white on its
//! hull, drawn with WenQuanYi Zen Hei (Debian `fonts-wqy-zenhei`, installed by
//! `scripts/install-deps.sh`: Chinese and Latin) through `ab_glyph`. Without the font, hulls
//! stay blank (and a warning says so once).

use std::sync::OnceLock;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};

/// The font's file.
pub const HULL_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

/// The font, read once; `None` when it is not installed.
pub fn hull_font() -> Option<&'static FontVec> {
    static FONT: OnceLock<Option<FontVec>> = OnceLock::new();
    FONT.get_or_init(|| {
        let font = std::fs::read(HULL_FONT)
            .ok()
            .and_then(|data| FontVec::try_from_vec_and_index(data, 0).ok());
        if font.is_none() {
            eprintln!("warning: {HULL_FONT} is missing: hulls are drawn without their markings");
        }
        font
    })
    .as_ref()
}

/// Coverage (0–1) of `text` set `height_px` high, `width × height` pixels, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Lettering {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// One coverage value per pixel.
    pub alpha: Vec<f32>,
}

/// `text` set `height_px` high (the height of its capitals and Chinese characters), on one
/// line; `None` for nothing to draw.
pub fn letter(font: &FontVec, text: &str, height_px: f32) -> Option<Lettering> {
    if text.trim().is_empty() || !(height_px.is_finite() && height_px >= 1.0) {
        return None;
    }
    // the em square is some 1.15 times the height of a Chinese character
    let scaled = font.as_scaled(PxScale::from(height_px * 1.15));
    let mut x = 0.0;
    let glyphs: Vec<_> = text
        .chars()
        .map(|c| {
            let id = scaled.glyph_id(c);
            let glyph = id.with_scale_and_position(scaled.scale(), point(x, scaled.ascent()));
            x += scaled.h_advance(id);
            glyph
        })
        .collect();
    let (width, height) = (x.ceil() as usize + 1, scaled.height().ceil() as usize + 1);
    let mut alpha = vec![0.0f32; width * height];
    for glyph in glyphs {
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let (px, py) = (
                bounds.min.x as i64 + i64::from(gx),
                bounds.min.y as i64 + i64::from(gy),
            );
            if (0..width as i64).contains(&px) && (0..height as i64).contains(&py) {
                let cell = &mut alpha[py as usize * width + px as usize];
                *cell = (*cell + coverage).min(1.0);
            }
        });
    }
    Some(Lettering {
        width,
        height,
        alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_set_to_its_height_and_covers_pixels() {
        let Some(font) = hull_font() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{HULL_FONT} missing"
            );
            return;
        };
        let small = letter(font, "浙岱渔03318", 20.0).unwrap();
        let large = letter(font, "浙岱渔03318", 40.0).unwrap();
        assert!(small.height >= 20 && small.height <= 30, "{}", small.height);
        assert!((large.width as f32 / small.width as f32 - 2.0).abs() < 0.15);
        let inked = small.alpha.iter().filter(|a| **a > 0.5).count();
        assert!(inked > small.alpha.len() / 10, "{inked}");
        assert!(letter(font, " ", 20.0).is_none());
    }
}
