#!/usr/bin/env bash
# Seeds fuzz/corpus/<target> for every target. Idempotent.
#
# decode_lines, decode_stream: the shared AIS samples, every run of 8
# consecutive lines of each file one entry (multi-sentence messages stay
# together); set AIS_DATA to another copy of shared/data/ais.
#
# geojson_body, geofence_rules, alert_actions, vehicle_fixes: the project's
# GeoJSON fixtures (datasets/gdal/tests/fixtures/import, datasets/data/demo) and
# the bodies the HTTP tests (tests/tests/*.rs) send, written out here. Needs jq.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."

ais_seeds() {
    local data="${AIS_DATA:-$root/../shared/data/ais}"
    [ -d "$data" ] || data="$root/shared/data/ais"
    for target in decode_lines decode_stream; do
        local out="$here/corpus/$target"
        mkdir -p "$out"
        for f in "$data/gpsd/sample.aivdm" "$data/kystverket/Ais1000Lines.nm4"; do
            [ -f "$f" ] || { echo "missing $f (set AIS_DATA)" >&2; return 1; }
            split -l 8 -d -a 4 "$f" "$out/seed-$(basename "$f")-"
        done
        echo "$(ls "$out" | wc -l) files in $out"
    done
}

# seed TARGET NAME: stdin becomes corpus/TARGET/seed-NAME.
seed() {
    mkdir -p "$here/corpus/$1"
    cat > "$here/corpus/$1/seed-$2"
}

geojson_seeds() {
    local t=geojson_body n=0 f
    local fixtures=("$root"/datasets/gdal/tests/fixtures/import/*.geojson "$root"/datasets/data/demo/*.geojson)
    # Small files whole (broken ones included), every feature alone, and
    # every run of three features as a collection.
    for f in "${fixtures[@]}"; do
        local name
        name="$(basename "$f" .geojson)"
        if [ "$(wc -c < "$f")" -le 8192 ]; then
            seed $t "file-$name" < "$f"
        fi
        jq -c '.features[]?' "$f" 2>/dev/null | while IFS= read -r feature; do
            n=$((n + 1))
            printf '%s' "$feature" | seed $t "$name-$n"
        done || true
        jq -c '.features as $f | range(0; ($f | length); 3) as $i
               | {type: "FeatureCollection", features: $f[$i:$i + 3]}' "$f" 2>/dev/null \
            | while IFS= read -r collection; do
                n=$((n + 1))
                printf '%s' "$collection" | seed $t "$name-c$n"
            done || true
    done
    # The bodies of tests/tests/http_api.rs and alerts.rs (valid and refused).
    local bodies=(
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[121.5,29.6]},"properties":{"kind":"dock","name":"Chunhu pier","registered":true}}'
        '{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[121.5,29.6]},"properties":{"name":"c1","height_m":12,"heading_deg":90,"hfov_deg":60,"range_m":3000,"ptz":false}}'
        '{"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.5,29.6],[121.6,29.7]]},"properties":{"kind":"dock","name":"x"}}'
        '{"type":"Topology"}'
        '{"type":"FeatureCollection","features":[]}'
        '{"type":"FeatureCollection"}'
        '{"type":"Feature","geometry":null,"properties":{"vehicle_id":"ZJB-001","plate":"浙B 12345","class":"tank_truck","corridor_id":3}}'
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[121.5,29.6]},"properties":{"name":"ring","kind":"watch_zone","radius_m":500,"rule":{"active_hours":{"start":"22:00","end":"05:00"}}}}'
        '{"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.5,29.6],[121.6,29.7]]},"properties":{"name":"road","kind":"route_corridor","width_m":80,"rule":{"classes":["vehicle:tank_truck"],"detect":["exit"]}}}'
        '{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[121.0,29.0],[121.1,29.1],[121.1,29.0],[121.0,29.1],[121.0,29.0]]]},"properties":{"name":"bay","kind":"restricted_sea"}}'
        '{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[121.0,29.0],[121.1,29.0],[121.1,29.1],[121.0,29.1],[121.0,29.0]]]]},"properties":{"name":"Qiucun","kind":"town"}}'
        '{"type":"Feature","id":"12","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[121.5,29.6]}]},"properties":{}}'
    )
    local i=0 body
    for body in "${bodies[@]}"; do
        i=$((i + 1))
        printf '%s' "$body" | seed $t "http-$i"
    done
    echo "$(ls "$here/corpus/$t" | wc -l) files in $here/corpus/$t"
}

geofence_seeds() {
    local t=geofence_rules n=0 f pick
    for f in "$root"/datasets/gdal/tests/fixtures/import/geofences.geojson "$root"/datasets/data/demo/geofences.geojson; do
        jq -c '.features[]?.properties' "$f" | while IFS= read -r properties; do
            n=$((n + 1))
            for pick in 0 1 2 3; do
                { printf "\\x$(printf '%02x' $((pick * 37 % 256)))"; printf '%s' "$properties"; } \
                    | seed $t "$(basename "$f" .geojson)-$n-$pick"
            done
        done
    done
    local rules=(
        '{"name":"ring","kind":"watch_zone","radius_m":500,"rule":{"active_hours":{"start":"22:00","end":"05:00"},"detect":["enter","exit","dwell"],"dwell_min":1}}'
        '{"name":"road","kind":"route_corridor","width_m":800,"rule":{"classes":["vehicle:tank_truck","vehicle"],"detect":["exit"],"debounce":{"fixes":1,"buffer_m":20}}}'
        '{"name":"bay","kind":"restricted_sea","town":"Shipu","rule":{"classes":["any"],"detect":["cross","enter"],"severity":"warning"}}'
        '{"name":"shore","kind":"no_landing_shore","width_m":300,"radius_m":300,"rule":{"classes":["camera_track:person","vessel:fishing"],"detect":["dwell"],"dwell_min":0.5}}'
        '{"name":"x","kind":"watch_zone","rule":{}}'
    )
    local i=0 rule
    for rule in "${rules[@]}"; do
        i=$((i + 1))
        for pick in 0 1 2 3 70 135 200 255; do
            { printf "\\x$(printf '%02x' $pick)"; printf '%s' "$rule"; } | seed $t "rule-$i-$pick"
        done
    done
    echo "$(ls "$here/corpus/$t" | wc -l) files in $here/corpus/$t"
}

alert_seeds() {
    local t=alert_actions
    # Steps: a pick byte (low bits: 0 ack, 1 assign, 2 resolve; high bits:
    # the clock), the body; steps separated by 0xFF. The bodies of
    # tests/tests/alerts.rs.
    local ack='\x40' assign='\x45' resolve='\x4a' sep='\xff'
    printf "${ack}" | seed $t empty-ack
    printf "${ack}{}" | seed $t ack
    printf "${assign}{\"assignee\":\"li\"}" | seed $t assign
    printf "${assign}{}" | seed $t assign-none
    printf "${resolve}{\"outcome\":\"confirmed\"}" | seed $t resolve-no-note
    printf "${resolve}{\"outcome\":\"confirmed\",\"note\":\"boat seized\"}" | seed $t resolve
    printf "${ack}${sep}${assign}{\"assignee\":\"li\",\"note\":\"on my way\"}${sep}${resolve}{\"outcome\":\"false_alarm\",\"note\":\"buoy\"}${sep}${ack}" \
        | seed $t lifecycle
    printf '\x02{"outcome":"other","note":" "}\xff\x03  \xff\x05{"assignee":"  "}\xff\xfd{"note":"late"}' \
        | seed $t blanks-and-clock
    printf "${assign}{\"assignee\":\"li\",\"colour\":\"red\"}" | seed $t unknown-field
    echo "$(ls "$here/corpus/$t" | wc -l) files in $here/corpus/$t"
}

vehicle_seeds() {
    local t=vehicle_fixes
    # tests/tests/alerts.rs sends these, with t around the server clock
    # (the fuzz target's clock is 1790000000).
    local bodies=(
        '[{"vehicle_id":"truck-1","t":1789999000,"lon":121.6,"lat":29.6,"speed_kmh":40}]'
        '[{"vehicle_id":"truck-1","t":1789999000,"lon":121.6,"lat":29.6},{"vehicle_id":"truck-1","t":1789999060.5,"lon":121.61,"lat":29.61,"speed_kmh":55.5,"heading_deg":360},{"vehicle_id":"truck-2","t":"2026-09-20T10:00:00.125Z","lon":-180,"lat":-90,"heading_deg":0}]'
        '[{"vehicle_id":"NOPE","t":1790000060,"lon":121.6,"lat":29.6}]'
        '[{"vehicle_id":"truck-1","t":1790100000,"lon":121.6,"lat":29.6}]'
        '{"vehicle_id":"truck-1"}'
        '[{"vehicle_id":"truck-1","t":"yesterday","lon":121.6,"lat":29.6}]'
        '[{"vehicle_id":"truck-1","t":"2026-09-20T18:00:00+08:00","lon":180,"lat":90,"speed_kmh":399.99}]'
        '[{"vehicle_id":"truck-2","t":1,"lon":0,"lat":0,"speed_kmh":0},{"vehicle_id":"truck-2","t":1,"lon":0,"lat":0}]'
        '[{"vehicle_id":"truck-1","t":null,"lon":121.6,"lat":29.6},{"vehicle_id":"truck-1","t":1789999000,"lon":200,"lat":29.6},{"vehicle_id":"truck-1","t":1789999000,"lon":121.6,"lat":29.6,"colour":"red"}]'
    )
    local i=0 body
    for body in "${bodies[@]}"; do
        i=$((i + 1))
        printf '%s' "$body" | seed $t "http-$i"
    done
    echo "$(ls "$here/corpus/$t" | wc -l) files in $here/corpus/$t"
}

case "${1:-all}" in
    ais) ais_seeds ;;
    http) geojson_seeds; geofence_seeds; alert_seeds; vehicle_seeds ;;
    all) ais_seeds; geojson_seeds; geofence_seeds; alert_seeds; vehicle_seeds ;;
    *) echo "usage: $0 [all|ais|http]" >&2; exit 2 ;;
esac
