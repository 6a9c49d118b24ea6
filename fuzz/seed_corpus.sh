#!/usr/bin/env bash
# Seeds fuzz/corpus/decode_lines and fuzz/corpus/decode_stream from the
# shared AIS samples: every run of 8 consecutive lines of each file becomes
# one corpus entry (so that multi-sentence messages stay together).
# Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${AIS_DATA:-$here/../../shared/data/ais}"
for target in decode_lines decode_stream; do
    out="$here/corpus/$target"
    mkdir -p "$out"
    for f in "$data/gpsd/sample.aivdm" "$data/kystverket/Ais1000Lines.nm4"; do
        [ -f "$f" ] || { echo "missing $f (set AIS_DATA)" >&2; exit 1; }
        split -l 8 -d -a 4 "$f" "$out/seed-$(basename "$f")-"
    done
    echo "$(ls "$out" | wc -l) files in $out"
done
