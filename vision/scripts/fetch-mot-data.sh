#!/usr/bin/env bash
# Fetches the MOTChallenge sample sequences TUD-Campus and TUD-Stadtmitte (ground truth and a
# tracker's output) that motmetrics 1.4.0 ships, for vision/tests/mot_tud.rs:
#   vision/scripts/fetch-mot-data.sh DEST
#   COASTWATCH_MOT_DATA=DEST cargo test -p coastwatch-vision --test mot_tud
# Leaves DEST/TUD-Campus/{gt,test}.txt and DEST/TUD-Stadtmitte/{gt,test}.txt; does nothing when
# they are already there. Needs python3 with pip and access to PyPI.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi
dest=$1
sequences=(TUD-Campus TUD-Stadtmitte)

have_all() {
  local s f
  for s in "${sequences[@]}"; do
    for f in gt.txt test.txt; do
      [[ -s $dest/$s/$f ]] || return 1
    done
  done
}

if have_all; then
  echo "MOT data already in $dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --dest "$work" motmetrics==1.4.0
wheel=("$work"/motmetrics-1.4.0-*.whl)
python3 - "${wheel[0]}" "$work/unpacked" "${sequences[@]}" <<'PY'
import sys, zipfile
wheel, out, sequences = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for s in sequences:
        for f in ("gt.txt", "test.txt"):
            z.extract(f"motmetrics/data/{s}/{f}", out)
PY
mkdir -p "$dest"
for s in "${sequences[@]}"; do
  mkdir -p "$dest/$s"
  cp "$work/unpacked/motmetrics/data/$s/gt.txt" "$work/unpacked/motmetrics/data/$s/test.txt" "$dest/$s/"
done
echo "MOT data in $dest"
