#!/usr/bin/env bash
# Re-extracts the demo district's shoreline from GSHHG (full resolution) and rebuilds the demo
# files in datasets/data/demo/ from it.
#
#   scripts/install-deps.sh --data            # gmt + gmt-gshhg-full (Debian 12)
#   datasets/scripts/extract-coastline.sh      # needs python3 with shapely >= 2 and numpy
#
# Only for regeneration: the extracted and generated files are committed, and neither the
# build nor the tests need gmt or Python.
#
# Steps:
#  1. `gmt coast -R121.40/121.80/29.45/29.70 -Df -W -M` dumps the GSHHG full-resolution
#     shorelines in the bbox as multi-segment lines (one segment per GSHHG bin piece, clipped
#     to the region; level 1 = land/ocean only in this bbox). GMT 6 has no dump of filled land
#     polygons (`-M` takes -W, -N, -I or -E, not -G), so:
#  2. generate.py merges the pieces, cuts off the runs GMT adds along the bbox edge, and builds
#     the land polygons by polygonizing the shoreline with the bbox boundary and keeping the
#     faces on the left of the shoreline (GSHHG land rings run counter-clockwise); when gmt is
#     at hand this script cross-checks that classification with `gmt select -Ns/k` (land only).
#  3. generate.py then places the synthetic layers (areas, risk points, cameras, fences, roads,
#     lanes) on that shore. Its output is deterministic.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
demo="$here/../data/demo"
region="121.40/121.80/29.45/29.70"

command -v gmt >/dev/null || { echo "gmt not found: run scripts/install-deps.sh --data" >&2; exit 2; }
python3 -c 'import shapely, numpy' 2>/dev/null \
  || { echo "python3 needs shapely (>= 2) and numpy to rebuild the demo files" >&2; exit 2; }

gshhg=/usr/share/gmt-gshhg/binned_GSHHS_f.nc
[[ -f "$gshhg" ]] || { echo "GSHHG full resolution not found: apt-get install gmt-gshhg-full" >&2; exit 2; }
version="$(dpkg-query -W -f='${Version}' gmt-gshhg-full 2>/dev/null | cut -d- -f1)"
[[ -n "$version" ]] || version="?"

# gmt writes gmt.history (and maybe gmt.conf) into the working directory: use a scratch one
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
tmp="$work/shore.txt"
{
  echo "# gmt coast -R$region -Df -W -M   (GMT $(gmt --version), GSHHG f $version)"
  echo "# GSHHG by Paul Wessel and Walter H. F. Smith, LGPL-3.0-or-later: see ../README.md"
  gmt coast -R"$region" -Df -W -M
} >"$tmp"
mkdir -p "$demo/source"
install -m 644 "$tmp" "$demo/source/gshhg_f_shore.txt"
echo "wrote $demo/source/gshhg_f_shore.txt ($(grep -vc '^[#>]' "$demo/source/gshhg_f_shore.txt") vertices)" >&2

python3 "$demo/generate.py"

# Cross-check the land/water classification with GMT's own point-in-land test: a point inside
# every land polygon must be on land, a point inside every piece of water in water.
python3 - "$demo/land.geojson" "$work" <<'EOF'
import json, sys
from shapely.geometry import box, shape
from shapely.ops import unary_union
land = [shape(f["geometry"]) for f in json.load(open(sys.argv[1]))["features"]]
water = box(121.40, 29.45, 121.80, 29.70).difference(unary_union(land))
for name, parts in (("land", land), ("water", list(getattr(water, "geoms", [water])))):
    with open(f"{sys.argv[2]}/{name}.xy", "w") as out:
        for p in parts:
            q = p.representative_point()
            print(q.x, q.y, file=out)
EOF
land_kept=$(gmt select "$work/land.xy" -R"$region" -Df -Ns/k | wc -l)
water_kept=$(gmt select "$work/water.xy" -R"$region" -Df -Nk/s | wc -l)
land_n=$(wc -l <"$work/land.xy")
water_n=$(wc -l <"$work/water.xy")
if [[ "$land_kept" != "$land_n" || "$water_kept" != "$water_n" ]]; then
  echo "land check failed: gmt select finds $land_kept of $land_n land polygons on land," \
    "$water_kept of $water_n water pieces in water" >&2
  exit 1
fi
echo "land check: gmt select agrees on all $land_n land polygons and $water_n water pieces" >&2
