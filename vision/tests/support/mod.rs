//! What the vision tests share: the footage from Debian's `opencv-doc` and whether it is here.

/// Pedestrians on a square, 768×576, 10 fps, 795 frames.
pub const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

/// Whether the decoder and the footage are here; on CI (CI=true) their absence fails the test.
pub fn have_footage() -> bool {
    let ok = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok()
        && std::path::Path::new(VTEST).exists();
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ffmpeg or opencv-doc is missing (scripts/install-deps.sh --test installs them)"
        );
        eprintln!("skipping: ffmpeg or {VTEST} is missing");
    }
    ok
}
