#!/usr/bin/env bash
# Installs the OCR models (PaddleOCR PP-OCRv6 small detection and recognition, and the mobile
# angle classifier; Apache-2.0) from PyPI's `rapidocr` 3.10.0 wheel, checked against its
# SHA-256, into ${COASTWATCH_CACHE:-<repo>/.cache}/ocr/ with the wheel's LICENSE and
# MODEL_LICENSES.md. Idempotent. Prints the folder on stdout (logs go to stderr):
#   export COASTWATCH_OCR_MODELS=$(scripts/install-ocr-models.sh)
set -euo pipefail

version=3.10.0
wheel_sha256=2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050
models=(PP-OCRv6_det_small.onnx PP-OCRv6_rec_small.onnx ch_ppocr_mobile_v2.0_cls_mobile.onnx)
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${COASTWATCH_CACHE:-$repo/.cache}/ocr

missing=0
for m in "${models[@]}" MODEL_LICENSES.md LICENSE; do
  [[ -s $dir/$m ]] || missing=1
done
if (( missing )); then
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "downloading rapidocr==$version from PyPI (the OCR models)" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "rapidocr==$version" >&2
  wheel=$(ls "$tmp"/rapidocr-"$version"-*.whl)
  echo "$wheel_sha256  $wheel" | sha256sum --check --quiet >&2
  for m in "${models[@]}"; do
    unzip -q -j -o "$wheel" "rapidocr/models/$m" -d "$tmp" >&2
  done
  unzip -q -j -o "$wheel" "rapidocr-$version.dist-info/licenses/*" -d "$tmp" >&2
  for m in "${models[@]}" MODEL_LICENSES.md LICENSE; do
    mv "$tmp/$m" "$dir/$m"
  done
  echo "installed the OCR models in $dir" >&2
fi

echo "$dir"
