#!/usr/bin/env bash
# Measures import throughput of 100,000 points into each store, and the start-up time of
# `coastwatch serve` (launch → first 200 from /healthz) on a store holding them.
#   benches/import_and_startup.sh [N]      (needs scripts/start-postgis.sh to have run for PostGIS)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null || true' EXIT

cargo build --release --locked -p coastwatch-server >/dev/null 2>&1
bin=target/release/coastwatch

python3 - "$n" "$work/points.geojson" <<'PY'
import json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
random.seed(7)
kinds = ["dock", "oil_depot", "cold_store", "shipyard", "warehouse", "truck_firm", "crane_firm", "fuel_point"]
with open(out, "w") as f:
    f.write('{"type":"FeatureCollection","features":[\n')
    for i in range(n):
        lon, lat = 121.4 + random.random() * 0.4, 29.45 + random.random() * 0.25
        props = {"kind": kinds[i % len(kinds)], "name": f"point {i}", "registered": i % 3 == 0, "town": "Chunhu", "card": "none"}
        f.write(("," if i else "") + json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}) + "\n")
    f.write("]}\n")
PY

import_into() {
  local store=$1 label=$2
  local start end
  start=$(date +%s.%N)
  "$bin" import risk_points "$work/points.geojson" --store "$store" >/dev/null
  end=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'import {sys.argv[3]}: {int(sys.argv[4])} points in {s:.2f} s = {int(sys.argv[4])/s:,.0f} features/s')" "$start" "$end" "$label" "$n"
}

startup() {
  local store=$1 label=$2 port=18089
  local start end
  start=$(date +%s.%N)
  "$bin" serve --store "$store" --port $port >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.01; done
  end=$(date +%s.%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  python3 -c "import sys; print(f'serve start-up on {sys.argv[3]} with {int(sys.argv[4])} features: {(float(sys.argv[2])-float(sys.argv[1]))*1000:.0f} ms to first /healthz 200')" "$start" "$end" "$label" "$n"
}

import_into "$work/bench.gpkg" GeoPackage
startup "$work/bench.gpkg" GeoPackage
if scripts/start-postgis.sh >/dev/null 2>&1; then
  su postgres -c "psql -q -c 'DROP DATABASE IF EXISTS coastwatch_bench'" >/dev/null
  pg=$(COASTWATCH_TEST_DB=coastwatch_bench scripts/start-postgis.sh)
  import_into "$pg" PostGIS
  startup "$pg" PostGIS
else
  echo "PostGIS not available: skipped"
fi
