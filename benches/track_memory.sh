#!/usr/bin/env bash
# Resident memory of `coastwatch serve` holding 1 M track points (PRODUCT.md: < 300 MB).
# Generates an NMEA log of VESSELS × FIXES class A position reports (type 1, tag-block times
# spread over the last 5.5 h, inside the default 6 h track window), streams it into a running
# server over its AIS TCP listener, waits until every line is ingested, checks that the track
# points are held (OGC vessel_tracks), and reads VmRSS / VmHWM of the server process.
#   benches/track_memory.sh [VESSELS=1000] [FIXES=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
vessels=${1:-1000}
fixes=${2:-1000}
port=18281
ais_port=18282
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null || true' EXIT

cargo build --release --locked -p coastwatch-server >/dev/null 2>&1
bin=target/release/coastwatch

# --- the log: VESSELS moving at 8–14 kn around the district, one fix each per step --------
python3 - "$vessels" "$fixes" "$work/tracks.nmea" <<'PY'
import math, random, sys, time
from functools import reduce
from operator import xor
vessels, fixes, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
random.seed(3)
ARMOR = "".join(chr(v + 48 if v < 40 else v + 56) for v in range(64))
def cs(text):
    return reduce(xor, text.encode(), 0)
def type1(mmsi, lon, lat, sog_kn, cog_deg, second):
    # 168 bits: type, repeat, mmsi, status, rot, sog, accuracy, lon, lat, cog, heading, second, rest 0
    fields = [(1, 6), (0, 2), (mmsi, 30), (0, 4), (128, 8), (round(sog_kn * 10), 10), (0, 1),
              (round(lon * 600000) & ((1 << 28) - 1), 28), (round(lat * 600000) & ((1 << 27) - 1), 27),
              (round(cog_deg * 10) % 3600, 12), (round(cog_deg) % 360, 9), (second, 6), (0, 25)]
    v = 0
    for value, width in fields:
        v = (v << width) | value
    return "".join(ARMOR[(v >> (162 - 6 * i)) & 63] for i in range(28))
now = int(time.time())
step_s = 5.5 * 3600 / fixes
state = []
for i in range(vessels):
    state.append([412000000 + i, 121.42 + random.random() * 0.36, 29.47 + random.random() * 0.21,
                  random.uniform(8, 14), random.uniform(0, 360)])
with open(out, "w") as f:
    for k in range(fixes):
        t0 = now - 5.5 * 3600 + k * step_s
        for j, v in enumerate(state):
            mmsi, lon, lat, sog, cog = v
            t = int(t0 + j * step_s / vessels)
            # move; turn back at the district's edge
            d_deg = sog * 1852 * step_s / 3600 / 111320
            lon += d_deg * math.sin(math.radians(cog)) / math.cos(math.radians(lat))
            lat += d_deg * math.cos(math.radians(cog))
            if not (121.40 < lon < 121.80 and 29.45 < lat < 29.70):
                cog = (cog + 180) % 360
            cog = (cog + random.uniform(-5, 5)) % 360
            v[1:] = [lon, lat, sog, cog]
            body = f"AIVDM,1,1,,A,{type1(mmsi, lon, lat, sog, cog, t % 60)},0"
            tag = f"c:{t}"
            f.write(f"\\{tag}*{cs(tag):02X}\\!{body}*{cs(body):02X}\n")
PY
lines=$(wc -l <"$work/tracks.nmea")
echo "log: $lines position reports of $vessels vessels ($(du -h "$work/tracks.nmea" | cut -f1))"

rss() { awk -v k="$2" '$1 == k":" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
metric() {  # value of an AIS counter of the tcp feed
  curl -fs "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 ~ "^"m"(_total)?\\{feed=\"tcp\"\\}$" {print $2}' | head -1
}

COASTWATCH_AIS__TCP_LISTEN=127.0.0.1:$ais_port RUST_LOG=warn \
  "$bin" serve --store "$work/track.gpkg" --port $port >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do curl -fso /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
echo "server up: RSS $(rss $pid VmRSS) MB before any fix"

start=$(date +%s.%N)
python3 - "$ais_port" "$work/tracks.nmea" <<'PY'
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s, open(sys.argv[2], "rb") as f:
    while chunk := f.read(1 << 20):
        s.sendall(chunk)
PY
for _ in $(seq 1 3000); do
  done_lines=$(metric coastwatch_ais_lines)
  [[ "${done_lines:-0}" -ge "$lines" ]] && break
  sleep 0.2
done
end=$(date +%s.%N)
decoded=$(metric coastwatch_ais_decoded)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'ingested {int(sys.argv[3])} lines ({int(sys.argv[4])} decoded) over TCP in {s:.1f} s = {int(sys.argv[3])/s:,.0f} fixes/s')" \
  "$start" "$end" "${done_lines:-0}" "${decoded:-0}"
sleep 1

echo "RSS with the tracks: $(rss $pid VmRSS) MB (peak while ingesting $(rss $pid VmHWM) MB; target < 300 MB)"
# how many track points the server holds (vessel_tracks through OGC API Features)
python3 - "$port" <<'PY'
import json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/ogc/collections/vessel_tracks/items?limit=1000"
points = tracks = 0
while url:
    with urllib.request.urlopen(url) as r:
        page = json.load(r)
    for f in page["features"]:
        g = f["geometry"]
        points += len(g["coordinates"]) if g["type"] == "LineString" else sum(len(c) for c in g["coordinates"])
        tracks += 1
    url = next((l["href"] for l in page.get("links", []) if l.get("rel") == "next"), None)
print(f"held: {tracks} vessel tracks, {points:,} track points")
PY
echo "RSS after serving every track once through OGC API Features: $(rss $pid VmRSS) MB"
alerts=$(curl -fs "http://127.0.0.1:$port/api/v1/alerts?limit=100000" | python3 -c "import json,sys; a=json.load(sys.stdin); print(len(a))")
echo "alerts held: $alerts"
