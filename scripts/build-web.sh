#!/usr/bin/env bash
# Bundles the web map (MapLibre GL JS from npm, esbuild) into web/dist/, which the `coastwatch`
# binary embeds at build time (style/build.rs). Idempotent: `npm ci` only when web/node_modules
# is missing or older than package-lock.json. Needs Node.js and npm (scripts/install-deps.sh --test).
set -euo pipefail
cd "$(dirname "$0")/../web"

stamp=node_modules/.package-lock.json   # npm writes it on every install
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs
