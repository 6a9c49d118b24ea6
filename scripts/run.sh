#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what is missing, builds, and starts
# coastwatch on the embedded GeoPackage store with the web map at http://localhost:8080.
#   scripts/run.sh [--port 8080]   (extra arguments go to coastwatch)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
command -v cargo >/dev/null || { echo "cargo is missing: install Rust 1.95 (rustup) first" >&2; exit 1; }
cargo build --release --locked -p coastwatch-server

mkdir -p data
# Until the demo scenario lands (issue 7), `serve` on the embedded GeoPackage is the main job.
exec target/release/coastwatch serve --store data/coastwatch.gpkg "$@"
