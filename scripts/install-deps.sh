#!/usr/bin/env bash
# Installs the native packages coastwatch builds and tests against (idempotent, Debian 12, as root).
# Usage: scripts/install-deps.sh [--test] [--data]   (--test adds what only the test suite needs;
# --data adds GMT and GSHHG, only to regenerate datasets/data/demo: datasets/scripts/extract-coastline.sh)
set -euo pipefail

want=(pkg-config libgdal-dev gdal-bin libsqlite3-dev ffmpeg   # ffmpeg decodes camera streams
      fonts-wqy-zenhei)   # the hull numbers painted on the demo's camera video
command -v npm >/dev/null || want+=(nodejs npm)   # bundles the web map (scripts/build-web.sh)
if [[ " $* " == *" --test "* ]]; then
  want+=(postgresql-15 postgresql-15-postgis-3 postgresql-client-15 chromium
        opencv-doc   # real footage: vtest.avi
        fonts-dejavu-core   # the OCR test set's Latin hull names
        gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad   # a real RTSP server
        nats-server)   # the cluster's JetStream
fi
if [[ " $* " == *" --data "* ]]; then want+=(gmt gmt-gshhg-full); fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
