#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library that `ort` loads at run time (load-dynamic), from PyPI's
# `onnxruntime` wheel, into ${COASTWATCH_CACHE:-<repo>/.cache}/onnxruntime/. Idempotent.
# Prints the library's absolute path on stdout (logs go to stderr):
#   export ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh)
set -euo pipefail

version=1.32.0
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${COASTWATCH_CACHE:-$repo/.cache}/onnxruntime
lib=$dir/libonnxruntime.so.$version

if [[ ! -s $lib ]]; then
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "downloading onnxruntime==$version from PyPI" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "onnxruntime==$version" >&2
  wheel=$(ls "$tmp"/onnxruntime-"$version"-*.whl)
  unzip -q -j -o "$wheel" "onnxruntime/capi/libonnxruntime.so.$version" -d "$tmp" >&2
  mv "$tmp/libonnxruntime.so.$version" "$lib"
  echo "installed $lib" >&2
fi

echo "$lib"
