#!/usr/bin/env bash
# Viewshed: `gdal_viewshed` (Debian gdal-bin, GDAL 3.6) against coastwatch's viewshed on
# the same 2000 x 2000 DEM (EPSG:32651, 30 m cells, smooth hills), with the same
# parameters: observer at cell (1000, 1000) 20 m up, target 2 m, curvature coefficient
# 0.85714, no maximum distance (the whole raster), edge mode (what gdal_viewshed uses).
#   benches/viewshed_vs_gdal.sh [RUNS]
# The criterion bench (datasets/benches/viewshed.rs) writes the DEM as a GeoTIFF and
# measures ours (mean); gdal_viewshed is timed on that file, best of RUNS (hyperfine's mean
# when installed). Prints both times and the ratio ours/GDAL (target <= 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=${CARGO_TARGET_DIR:-target}

if ! command -v gdal_viewshed >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "gdal_viewshed missing: run as root, or apt-get install gdal-bin" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y gdal-bin >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y gdal-bin >/dev/null; }
fi

dem="$work/dem2000.tif"
echo "running the criterion bench (release build; writes $dem)..." >&2
VIEWSHED_DEM="$dem" cargo bench --locked -p coastwatch-gdal --bench viewshed -- --noplot >&2
est() { jq -r '.mean.point_estimate / 1e9' "$target/criterion/viewshed_2000x2000/$1/new/estimates.json"; }
ours_s=$(est full_raster)
ours_io_s=$(est read_geotiff_and_full_raster)
sector_s=$(est camera_sector_10km_90deg)

# Cell (1000, 1000) of the bench's DEM: x0 = 300000, y0 = 3300000, 30 m cells.
ox=$(awk 'BEGIN { printf "%.1f", 300000 + 1000.5 * 30 }')
oy=$(awk 'BEGIN { printf "%.1f", 3300000 - 1000.5 * 30 }')
gdal_cmd="gdal_viewshed -q -ox $ox -oy $oy -oz 20 -tz 2 -cc 0.85714 -md 0 -vv 255 -iv 0 -ov 0 '$dem' '$work/gdal.tif'"
bash -c "$gdal_cmd" # warm the page cache
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" -n gdal_viewshed "$gdal_cmd" >&2
  gdal_s=$(jq -r '.results[0].mean' "$work/h.json")
  how="mean of $runs (hyperfine)"
else
  gdal_s=""
  for ((r = 0; r < runs; r++)); do
    t=$({ TIMEFORMAT=%R; time bash -c "$gdal_cmd"; } 2>&1)
    echo "  gdal_viewshed run $((r + 1)): $t s" >&2
    if [[ -z $gdal_s ]] || awk -v a="$t" -v b="$gdal_s" 'BEGIN { exit !(a < b) }'; then gdal_s=$t; fi
  done
  how="best of $runs"
fi

awk -v g="$gdal_s" -v o="$ours_s" -v io="$ours_io_s" -v s="$sector_s" -v how="$how" 'BEGIN {
  printf "input: 2000 x 2000 cells, whole raster, observer 20 m, target 2 m, cc 0.85714, edge mode\n"
  printf "gdal_viewshed (process: read GeoTIFF, scan, write GeoTIFF): %.3f s  %s\n", g, how
  printf "coastwatch viewshed (DEM in memory):                         %.3f s  criterion mean\n", o
  printf "coastwatch read_dem + viewshed:                              %.3f s  criterion mean\n", io
  printf "coastwatch camera sector (10 km, 90 deg window):             %.4f s  criterion mean\n", s
  printf "ratio ours/GDAL: %.2fx in memory, %.2fx with the GeoTIFF read (target <= 1.0)\n", o / g, io / g
}'
