#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what is missing, builds, and starts
# `coastwatch demo` on the embedded GeoPackage store with the web map at http://localhost:8080.
#   scripts/run.sh [--port 8080] [--speed 10] [--seed 1]   (extra arguments go to coastwatch demo)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
command -v cargo >/dev/null || { echo "cargo is missing: install Rust 1.95 (rustup) first" >&2; exit 1; }
scripts/build-web.sh
cargo build --release --locked -p coastwatch-server
# the camera detector loads ONNX Runtime from PyPI's wheel (installed once into .cache/)
export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}
# OCR (hull numbers, plates) reads with PP-OCR's models from PyPI's rapidocr wheel
export COASTWATCH_OCR_MODELS=${COASTWATCH_OCR_MODELS:-$(scripts/install-ocr-models.sh)}

# the demo district with its live scenario on a temporary GeoPackage; the map is at
# http://localhost:8080 (`--speed N` runs the clock N times faster, `--seed N` another scenario)
exec target/release/coastwatch demo "$@"
