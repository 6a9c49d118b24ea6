//! The web map's files, embedded at build time from `web/dist/` (see `build.rs`).
//!
//! `index.html` is the page at `/`; everything under `assets/` is named after a hash of its
//! content, so it may be cached forever. Without a bundle, [`index_html`] is a placeholder
//! page that says how to build it and [`asset`] finds nothing.

/// Every bundled file: (path relative to `web/dist/`, content).
static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The page served while the bundle is not built.
const PLACEHOLDER: &[u8] = include_bytes!("placeholder.html");

/// Whether the web map bundle was embedded (`scripts/build-web.sh` ran before the build).
pub fn is_built() -> bool {
    FILES.iter().any(|(name, _)| *name == "index.html")
}

/// The page at `/`: the bundle's `index.html`, or the placeholder page.
pub fn index_html() -> &'static [u8] {
    asset("index.html").map_or(PLACEHOLDER, |(bytes, _)| bytes)
}

/// A bundled file by its path under `web/dist/` (e.g. `assets/app-HASH.js`), with its content type.
pub fn asset(path: &str) -> Option<(&'static [u8], &'static str)> {
    FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(name, bytes)| (*bytes, content_type(name)))
}

/// The content type of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_always_there() {
        let page = String::from_utf8_lossy(index_html());
        assert!(page.contains("<html"), "{page}");
        assert_eq!(asset("index.html").is_some(), is_built());
        if !is_built() {
            assert!(page.contains("scripts/build-web.sh"));
        }
        assert_eq!(asset("../Cargo.toml"), None);
    }

    #[test]
    fn bundled_files_sit_under_assets_with_a_type() {
        for (name, _) in FILES {
            let (_, ty) = asset(name).unwrap();
            assert_ne!(ty, "application/octet-stream", "{name}");
            assert!(
                *name == "index.html" || name.starts_with("assets/"),
                "{name} is outside assets/"
            );
        }
        assert_eq!(content_type("a/b.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
