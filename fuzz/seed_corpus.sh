#!/usr/bin/env bash
# Seeds fuzz/corpus/decode_lines from the shared AIS samples: every run of
# 8 consecutive lines of each file becomes one corpus entry (so that
# multi-sentence messages stay together). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${AIS_DATA:-$here/../../shared/data/ais}"
out="$here/corpus/decode_lines"
mkdir -p "$out"
for f in "$data/gpsd/sample.aivdm" "$data/kystverket/Ais1000Lines.nm4"; do
    [ -f "$f" ] || { echo "missing $f (set AIS_DATA)" >&2; exit 1; }
    base="$(basename "$f")"
    split -l 8 -d -a 4 "$f" "$out/seed-$base-"
done
echo "$(ls "$out" | wc -l) files in $out"
