#!/usr/bin/env bash
# Point-in-fence evaluation: PostGIS against coastwatch's fence engine on the same workload.
# PostGIS gets the fence set of spatial/benches/fences.rs (same generator, same seed: 10,000
# star-shaped polygons over 121.1–122.1 E, 29.1–30.1 N; 9,700 of 8–40 vertices and
# 100–600 m, 300 of 200–800 vertices and 1–4 km) and random points over the same square,
# each with a GiST index. Timed:
#   (a) the set-based join of all points with the fences (PostGIS's best case: one
#       statement, no round trips), as written and driven from the fences;
#   (b) one prepared single-point query per fix through one connection, as an ingest path
#       would issue them (pgbench, random points, -M prepared);
# then `cargo bench -p coastwatch-core --bench fences` (one position of each of 100,000
# moving objects per iteration, through the full fence state machine) and the ratios.
#   benches/fences_vs_postgis.sh [POINTS] [QUERIES]      (as root: starts PostgreSQL 15)
# Idempotent: its tables live in the database coastwatch_fence_bench and are dropped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-100000}
queries=${2:-10000}
runs=3
db=coastwatch_fence_bench
work=$(mktemp -d)
url=
cleanup() {
  if [[ -n $url ]]; then
    psql "$url" -q -c "DROP TABLE IF EXISTS cw_bench_fences, cw_bench_points" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export PGOPTIONS="--client-min-messages=warning"

if [[ $(id -u) -ne 0 ]]; then
  echo "run as root: scripts/start-postgis.sh starts the local PostgreSQL cluster" >&2
  exit 1
fi
for tool in psql pgbench python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
url=$(COASTWATCH_TEST_DB=$db scripts/start-postgis.sh)

# The fences exactly as spatial/benches/fences.rs draws them (SplitMix64, seed 11, the same
# sequence of draws), as EWKT; and uniformly random points.
python3 - "$points" "$work/fences.tsv" "$work/points.tsv" <<'PY'
import math, random, sys
points, fences_out, points_out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
FENCES, LARGE, WEST, SOUTH = 10_000, 300, 121.1, 29.1
R = 6_371_008.8
M64 = (1 << 64) - 1
TAU = 2 * math.pi

class Rng:
    def __init__(self, seed): self.s = seed
    def next_f64(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return float(z ^ (z >> 31)) / float(M64)
    def range(self, lo, hi): return lo + (hi - lo) * self.next_f64()
    def below(self, n): return min(int(self.next_f64() * n), n - 1)

lat_deg = lambda m: math.degrees(m / R)
lon_deg = lambda m, lat: lat_deg(m) / max(math.cos(math.radians(lat)), 0.01)

def polygon(rng, n, radius):
    lon, lat = WEST + rng.next_f64(), SOUTH + rng.next_f64()
    waves = [(rng.range(0.0, 0.12), rng.range(0.0, TAU) + k) for k in (1, 2, 3)]
    ring = []
    for i in range(n):
        a = TAU * (i + rng.range(0.0, 0.5)) / n
        wave = sum(amp * math.sin(k * a + phase) for k, (amp, phase) in zip((1, 2, 3), waves))
        r = radius * (1.0 + wave) * rng.range(0.98, 1.02)
        ring.append((lon + lon_deg(r * math.cos(a), lat), lat + lat_deg(r * math.sin(a))))
    ring.append(ring[0])
    return "SRID=4326;POLYGON((" + ",".join(f"{x!r} {y!r}" for x, y in ring) + "))"

rng = Rng(11)
with open(fences_out, "w") as f:
    for i in range(FENCES):
        if i < LARGE:
            n = 200 + rng.below(601); radius = rng.range(1000.0, 4000.0)
        else:
            n = 8 + rng.below(33); radius = rng.range(100.0, 600.0)
        f.write(f"{i + 1}\t{polygon(rng, n, radius)}\n")
        for _ in range(5):  # the rule's draws: fixes, buffer, classes, detect, active hours
            rng.next_f64()
random.seed(7)
with open(points_out, "w") as f:
    for i in range(points):
        f.write(f"{i + 1}\tSRID=4326;POINT({WEST + random.random()!r} {SOUTH + random.random()!r})\n")
PY

psql "$url" -v ON_ERROR_STOP=1 -q <<SQL
DROP TABLE IF EXISTS cw_bench_fences, cw_bench_points;
CREATE TABLE cw_bench_fences (id integer PRIMARY KEY, geom geometry(Polygon, 4326) NOT NULL);
CREATE TABLE cw_bench_points (id integer PRIMARY KEY, geom geometry(Point, 4326) NOT NULL);
\copy cw_bench_fences FROM '$work/fences.tsv'
\copy cw_bench_points FROM '$work/points.tsv'
CREATE INDEX cw_bench_fences_geom ON cw_bench_fences USING gist (geom);
CREATE INDEX cw_bench_points_geom ON cw_bench_points USING gist (geom);
VACUUM ANALYZE cw_bench_fences;
VACUUM ANALYZE cw_bench_points;
SQL
read -r n_fences vertices invalid < <(psql "$url" -tA -F ' ' -c \
  "SELECT count(*), sum(ST_NPoints(geom)), count(*) FILTER (WHERE NOT ST_IsValid(geom)) FROM cw_bench_fences")
echo "PostGIS $(psql "$url" -tAc 'SELECT postgis_lib_version()'): $n_fences fences ($vertices vertices, $invalid invalid), $points points, GiST indexes on both"

# (a) the set-based join, best of $runs after one warm-up run, in two forms: as written
# (the planner drives it from the points, probing the fence index) and driven from the
# fences (each polygon probes the point index, so PostGIS prepares each polygon once);
# the faster one is PostGIS's best case
time_query() { # SQL -> best time in ms
  local best="" ms
  psql "$url" -tAc "$1" >/dev/null
  for ((r = 0; r < runs; r++)); do
    ms=$(psql "$url" -tA -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    if [[ -z $best ]] || awk -v a="$ms" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$ms; fi
  done
  echo "$best"
}
join_sql="SELECT count(*) FROM cw_bench_points p JOIN cw_bench_fences f ON ST_Intersects(f.geom, p.geom)"
fence_sql="SELECT sum((SELECT count(*) FROM cw_bench_points p WHERE ST_Intersects(f.geom, p.geom))) FROM cw_bench_fences f"
pairs=$(psql "$url" -tAc "$join_sql")
pairs_by_fence=$(psql "$url" -tAc "$fence_sql")
if [[ $pairs -ne $pairs_by_fence ]]; then
  echo "MISMATCH: the two join forms find $pairs and $pairs_by_fence pairs" >&2
  exit 1
fi
join_ms=$(time_query "$join_sql")
fence_ms=$(time_query "$fence_sql")
eps() { awk -v n="$points" -v ms="$1" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
echo "PostGIS (a) set-based join, points probing the fence index:  $points points in $join_ms ms = $(eps "$join_ms") evaluations/s"
echo "PostGIS (a) set-based join, fences probing the point index:  $points points in $fence_ms ms = $(eps "$fence_ms") evaluations/s"
echo "  ($pairs point-fence pairs; best of $runs runs each)"
best_ms=$(awk -v a="$join_ms" -v b="$fence_ms" 'BEGIN { print (a < b) ? a : b }')
join_eps=$(eps "$best_ms")

# (b) single-point prepared queries through one connection
cat >"$work/point.sql" <<'SQL'
\set ix random(0, 999999)
\set iy random(0, 999999)
SELECT id FROM cw_bench_fences WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(121.1 + :ix / 1000000.0, 29.1 + :iy / 1000000.0), 4326));
SQL
pgbench -n -M prepared -c 1 -j 1 -t "$((queries / 10))" -f "$work/point.sql" "$url" >/dev/null 2>&1 # warm-up
pgbench -n -M prepared -c 1 -j 1 -t "$queries" -f "$work/point.sql" "$url" >"$work/pgbench.txt" 2>&1 ||
  { cat "$work/pgbench.txt" >&2; exit 1; }
point_eps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.txt" | head -1)
latency=$(sed -n 's/^latency average = \(.*\)$/\1/p' "$work/pgbench.txt" | head -1)
echo "PostGIS (b) per-point queries: $queries prepared queries, 1 connection (pgbench -M prepared): $(printf '%.0f' "$point_eps") evaluations/s (latency average $latency)"

# coastwatch: the criterion bench of the fence engine
echo "running cargo bench -p coastwatch-core --bench fences ..." >&2
cargo bench -p coastwatch-core --bench fences -- --warm-up-time 1 --measurement-time 5 2>&1 |
  tee "$work/criterion.txt" | grep -E "^fences/|thrpt:" >&2 || true
# criterion prints "fences/<name>" then "thrpt: [low mid high]"; the middle value, in elem/s
throughput() {
  awk -v want="fences/$1" '
    $1 == want { found = 1 }
    found && /thrpt:/ {
      sub(/.*\[/, ""); v = $3; u = $4
      m = (u ~ /^G/) ? 1e9 : (u ~ /^M/) ? 1e6 : (u ~ /^K/) ? 1e3 : 1
      printf "%.0f", v * m; exit
    }' "$work/criterion.txt"
}
cw1=$(throughput evaluate_1_thread)
cw2=$(throughput evaluate_2_threads)
if [[ -z $cw1 ]]; then
  echo "the coastwatch fences bench gave no throughput:" >&2
  tail -20 "$work/criterion.txt" >&2
  exit 1
fi

awk -v j="$join_eps" -v p="$point_eps" -v c1="$cw1" -v c2="${cw2:-0}" 'BEGIN {
  printf "coastwatch fence engine: %.0f evaluations/s on 1 thread, %.0f on 2 threads\n", c1, c2
  printf "ratio coastwatch (1 thread) / PostGIS set-based join (best form): %.1fx\n", c1 / j
  printf "ratio coastwatch (1 thread) / PostGIS per-point queries:         %.1fx\n", c1 / p
  if (c2 > 0) {
    printf "ratio coastwatch (2 threads) / PostGIS set-based join (best form): %.1fx\n", c2 / j
    printf "ratio coastwatch (2 threads) / PostGIS per-point queries:         %.1fx\n", c2 / p
  }
}'
