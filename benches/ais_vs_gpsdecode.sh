#!/usr/bin/env bash
# Whole-process AIS decoding: `gpsdecode -j` (Debian gpsd-clients) against
# `coastwatch ais decode` on the same NMEA file of >= 1,000,000 lines, made
# by repeating the Kystverket sample: with its tag blocks (`tagged`), and
# without them (`plain`, what most receivers send). Checks that both print
# as many JSON lines (the records themselves are compared with gpsd's golden
# output in datasets/ais/tests/gpsd_conformance.rs: Debian's gpsdecode is an
# older release that prints 6 decimals and "nan") and prints both times and
# the ratio (target: >= 20x).
#   benches/ais_vs_gpsdecode.sh [MIN_LINES] [RUNS] [tagged|plain|both]
# Uses hyperfine when installed (mean of RUNS), else the best of RUNS runs.
set -euo pipefail
cd "$(dirname "$0")/.."
min_lines=${1:-1000000}
runs=${2:-3}
modes=${3:-both}
[[ $modes == both ]] && modes="tagged plain"
sample=../shared/data/ais/kystverket/Ais1000Lines.nm4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v gpsdecode >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "gpsdecode missing: run as root, or apt-get install gpsd-clients" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y gpsd-clients >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y gpsd-clients >/dev/null; }
fi

echo "building coastwatch (release)..." >&2
cargo build --release --locked -p coastwatch-server >/dev/null 2>&1 ||
  cargo build --release --locked -p coastwatch-server
bin=target/release/coastwatch

# The sample's last line has no newline: normalise before repeating.
awk 1 "$sample" >"$work/tagged.nm4"
# the same sentences without their tag blocks
sed 's/^\\[^\\]*\\//' "$work/tagged.nm4" >"$work/plain.nm4"

measure() {
  local mode=$1 one="$work/$1.nm4" file="$work/$1-big.nm4"
  local per reps lines bytes gpsd_lines cw_lines gpsd_s cw_s how
  per=$(wc -l <"$one")
  reps=$(((min_lines + per - 1) / per))
  for ((i = 0; i < reps; i++)); do cat "$one"; done >"$file"
  lines=$(wc -l <"$file")
  bytes=$(wc -c <"$file")
  echo "== $mode NMEA: $lines lines ($reps x $per), $((bytes / 1000000)) MB"

  gpsd_lines=$(gpsdecode -j <"$file" 2>/dev/null | wc -l)
  cw_lines=$("$bin" ais decode "$file" 2>/dev/null | wc -l)
  echo "JSON lines: gpsdecode $gpsd_lines, coastwatch $cw_lines"
  if [[ $gpsd_lines -ne $cw_lines ]]; then
    echo "MISMATCH: the two decoders print a different number of JSON lines" >&2
    exit 1
  fi

  local gpsd_cmd="gpsdecode -j < '$file' > /dev/null 2>&1"
  local cw_cmd="'$bin' ais decode '$file' > /dev/null 2>&1"
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" \
      -n gpsdecode "$gpsd_cmd" -n coastwatch "$cw_cmd" >&2
    gpsd_s=$(jq -r '.results[] | select(.command == "gpsdecode") | .mean' "$work/h.json")
    cw_s=$(jq -r '.results[] | select(.command == "coastwatch") | .mean' "$work/h.json")
    how="mean of $runs (hyperfine)"
  else
    bash -c "$cw_cmd" # warm the page cache and the binary
    gpsd_s=$(best "$gpsd_cmd" gpsdecode)
    cw_s=$(best "$cw_cmd" coastwatch)
    how="best of $runs"
  fi
  awk -v g="$gpsd_s" -v c="$cw_s" -v n="$lines" -v how="$how" -v mode="$mode" 'BEGIN {
    printf "gpsdecode -j:          %.3f s  (%.0f lines/s)  %s\n", g, n / g, how
    printf "coastwatch ais decode: %.3f s  (%.0f lines/s)  %s\n", c, n / c, how
    printf "ratio (%s): coastwatch is %.1fx gpsdecode (target >= 20x)\n", mode, g / c
  }'
  rm -f "$file"
}

best() {
  local cmd=$1 best="" t
  for ((r = 0; r < runs; r++)); do
    t=$({ TIMEFORMAT=%R; time bash -c "$cmd"; } 2>&1)
    echo "  $2 run $((r + 1)): $t s" >&2
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  echo "$best"
}

for mode in $modes; do
  measure "$mode"
done
