//! Embeds the web map bundle (`web/dist/`, made by `scripts/build-web.sh`) into the crate:
//! writes `$OUT_DIR/web_assets.rs`, a table of every file there with `include_bytes!`. Without
//! a bundle the table is empty and the crate serves a page that says how to build it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest_dir.join("../web");
    let dist = web.join("dist");
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
        println!("cargo:rerun-if-changed={}", dist.display());
    } else {
        println!(
            "cargo:warning=web map not built: `/` serves a placeholder page; run scripts/build-web.sh, then build again"
        );
        // a new web/dist changes web/ itself
        println!("cargo:rerun-if-changed={}", web.display());
    }
    files.sort();
    let mut table = String::from("&[\n");
    for (name, path) in &files {
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push(']');
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("web_assets.rs");
    fs::write(out, table).expect("writing web_assets.rs");
}

/// Every file under `dir`, as (path relative to `root` with `/` separators, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in fs::read_dir(dir).expect("reading web/dist") {
        let path = entry.expect("reading web/dist").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under web/dist");
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let absolute = fs::canonicalize(&path).expect("canonical path");
            files.push((name.join("/"), absolute));
        }
    }
}
