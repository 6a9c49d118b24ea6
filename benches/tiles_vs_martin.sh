#!/usr/bin/env bash
# Vector tiles side by side with martin: the same PostGIS table, one fixed list of z10–z16
# tiles over the data, the same load tool (oha, 64 connections, Accept-Encoding: gzip). Prints
# tiles/s and p50/p99 of each, and the ratio (PRODUCT.md: ≥ 3× martin, p99 < 20 ms).
#   benches/tiles_vs_martin.sh [POINTS=50000] [REQUESTS=20000]
# Runs coastwatch with its tile cache (default) and without (COASTWATCH_SERVER__TILE_CACHE_MIB=0), and
# martin with its default tile cache and without (--cache-size 0 where martin has it).
# Installs oha and martin with `cargo install --locked` into ~/.cargo/bin when missing (a long
# build on 2 cores; CARGO_TARGET_DIR is kept out of the workspace). Needs PostgreSQL + PostGIS
# (scripts/start-postgis.sh, run here).
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-50000}
requests=${2:-20000}
conns=${CONNS:-64}
martin_version=${MARTIN_VERSION:-1.14.0}   # the last martin whose rust-version fits Rust 1.95
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${BENCH_TARGET_DIR:-/tmp/coastwatch-bench-target}
if ! command -v oha >/dev/null; then
  echo "installing oha with cargo install --locked…" >&2
  nice -n 10 cargo install --locked oha
fi
if ! command -v martin >/dev/null; then
  # only the PostgreSQL source: martin's default `rendering` feature downloads MapLibre Native
  # at build time (no network here) and `webui` builds with npm
  echo "installing martin $martin_version (postgres only) with cargo install --locked (long)…" >&2
  nice -n 10 cargo install --locked "martin@$martin_version" --no-default-features --features postgres
fi
unset CARGO_TARGET_DIR

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(oha --version); $(martin --version)"
cargo build --release --locked -p coastwatch-server >/dev/null 2>&1
bin=target/release/coastwatch

# --- the data: POINTS risk points over the district, in a fresh PostGIS database ----------
scripts/start-postgis.sh >/dev/null
su postgres -c "psql -q -c 'DROP DATABASE IF EXISTS coastwatch_tiles_bench'" >/dev/null
pg=$(COASTWATCH_TEST_DB=coastwatch_tiles_bench scripts/start-postgis.sh)
python3 - "$points" "$work/points.geojson" <<'PY'
import json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
random.seed(11)
kinds = ["dock", "oil_depot", "cold_store", "shipyard", "warehouse", "truck_firm", "crane_firm", "fuel_point"]
towns = ["Chunhu", "Qiucun", "Songao"]
# clustered like real sites: around 200 centres, a few hundred metres apart
centres = [(121.4 + random.random() * 0.4, 29.45 + random.random() * 0.25) for _ in range(200)]
with open(out, "w") as f:
    f.write('{"type":"FeatureCollection","features":[\n')
    for i in range(n):
        cx, cy = random.choice(centres)
        lon, lat = cx + random.gauss(0, 0.01), cy + random.gauss(0, 0.008)
        props = {"kind": kinds[i % len(kinds)], "name": f"site {i}", "registered": i % 3 == 0,
                 "town": towns[i % 3], "card": "none"}
        f.write(("," if i else "") + json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}, "properties": props}) + "\n")
    f.write("]}\n")
PY
"$bin" import risk_points "$work/points.geojson" --store "$pg" --skip-invalid
su postgres -c "psql -q -d coastwatch_tiles_bench -c 'VACUUM ANALYZE risk_points'" >/dev/null

# --- one fixed list of z10–z16 tiles over the data ------------------------------------------
# every tile of z10–z13 over the data's bbox, then z14–z16 tiles drawn at random (seeded) to
# reach 2,000, each zoom about as many as the next; the same list for both servers
python3 - "$work" <<'PY'
import json, math, random, sys
work = sys.argv[1]
random.seed(5)
w, s, e, n = 121.37, 29.42, 121.83, 29.73
def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
    return x, y
levels = {}
for z in range(10, 17):
    x0, y0 = tile(w, n, z)
    x1, y1 = tile(e, s, z)
    levels[z] = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
tiles = [t for z in range(10, 14) for t in levels[z]]
for i, z in enumerate(range(14, 17)):
    share = (2000 - len(tiles)) // (3 - i)
    tiles += random.sample(levels[z], min(len(levels[z]), share))
random.shuffle(tiles)
for name, base in [("coastwatch", "http://127.0.0.1:18181/tiles/risk_points"), ("martin", "http://127.0.0.1:18191/risk_points")]:
    with open(f"{work}/{name}.urls", "w") as f:
        for z, x, y in tiles:
            f.write(f"{base}/{z}/{x}/{y}\n")
per_zoom = {z: sum(1 for t in tiles if t[0] == z) for z in range(10, 17)}
print(f"tile list: {len(tiles)} tiles, per zoom {per_zoom}")
PY

wait_for() {
  for _ in $(seq 1 200); do curl -fso /dev/null "$1" && return 0; sleep 0.1; done
  echo "$1 did not come up" >&2; return 1
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# runs oha over a URL list: prints "tiles/s p50_ms p99_ms errors"
load() {
  local urls=$1 n=$2
  oha --no-tui --urls-from-file -n "$n" -c "$conns" -H "Accept-Encoding: gzip" \
    --output-format json "$urls" >"$work/oha.json"
  python3 - "$work/oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if k not in ("200", "204")) + sum(r.get("errorDistribution", {}).values())
print(f'{s["requestsPerSec"]:.0f} {p["p50"] * 1000:.2f} {p["p99"] * 1000:.2f} {bad} {json.dumps(codes)}')
PY
}

declare -A result
run_server() {  # name, urls file, pid → result[name]
  local name=$1 urls=$2 pid=$3
  # warm-up: every tile of the list once (oha picks URLs from the list at random, so a pass of
  # oha would leave about a third of them cold)
  xargs -P 8 -n 1 curl -s -o /dev/null -H "Accept-Encoding: gzip" <"$urls"
  local line
  line=$(load "$urls" "$requests")
  result[$name]=$line
  read -r rps p50 p99 bad codes <<<"$line"
  printf '%-28s %8s tiles/s   p50 %6s ms   p99 %7s ms   RSS %4s MB   non-2xx/errors %s %s\n' \
    "$name" "$rps" "$p50" "$p99" "$(rss_mb "$pid")" "$bad" "$codes"
}

start_coastwatch() {  # cache MiB
  COASTWATCH_SERVER__TILE_CACHE_MIB=$1 RUST_LOG=warn "$bin" serve --store "$pg" --port 18181 >"$work/cw.log" 2>&1 &
  cw=$!; pids+=("$cw")
  wait_for http://127.0.0.1:18181/healthz
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

martin_cache_flag=()
martin --help | grep -q -- '--cache-size' && martin_cache_flag=(--cache-size 0)
start_martin() {  # extra flags
  RUST_LOG=warn martin --listen-addresses 127.0.0.1:18191 "$@" "$pg" >"$work/martin.log" 2>&1 &
  mt=$!; pids+=("$mt")
  wait_for http://127.0.0.1:18191/catalog
}

# same tiles from both? compare feature counts of a few tiles
start_coastwatch 64
start_martin
python3 - "$work" <<'PY'
import gzip, sys, urllib.request
import mapbox_vector_tile
work = sys.argv[1]
cw = open(f"{work}/coastwatch.urls").read().split()[:40]
mt = open(f"{work}/martin.urls").read().split()[:40]
def features(url):
    with urllib.request.urlopen(url) as r:
        body = r.read()
    if not body:
        return 0
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return sum(len(l["features"]) for l in mapbox_vector_tile.decode(body).values())
diff = [(a, features(a), features(b)) for a, b in zip(cw, mt) if features(a) != features(b)]
print(f"same feature counts on {len(cw) - len(diff)} of {len(cw)} sampled tiles" + (f"; differ: {diff[:3]}" if diff else ""))
PY

echo "--- $requests requests, $conns connections, one list of $(wc -l <"$work/coastwatch.urls") z10–z16 tiles of $points risk points (PostGIS) ---"
run_server "coastwatch (tile cache)" "$work/coastwatch.urls" "$cw"
run_server "martin (default cache)" "$work/martin.urls" "$mt"
stop "$cw"; stop "$mt"

start_coastwatch 0
run_server "coastwatch (no cache)" "$work/coastwatch.urls" "$cw"
stop "$cw"
if ((${#martin_cache_flag[@]})); then
  start_martin "${martin_cache_flag[@]}"
  run_server "martin (no cache)" "$work/martin.urls" "$mt"
  stop "$mt"
fi

python3 - "${result[coastwatch (tile cache)]}" "${result[martin (default cache)]}" "${result[coastwatch (no cache)]}" "${result[martin (no cache)]:-}" <<'PY'
import sys
cw, mt, cw0, mt0 = (a.split() if a else None for a in sys.argv[1:5])
ratio = float(cw[0]) / float(mt[0])
print(f"ratio coastwatch/martin (both cached): {ratio:.2f}x (target >= 3x); coastwatch p99 {cw[2]} ms (target < 20 ms)")
if mt0:
    print(f"ratio without caches: {float(cw0[0]) / float(mt0[0]):.2f}x")
print(f"ratio coastwatch cached / martin uncached: {float(cw[0]) / float((mt0 or mt)[0]):.2f}x")
PY
