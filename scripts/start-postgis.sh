#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster and makes the PostGIS test database (idempotent, as root).
# Prints the URL to use as COASTWATCH_TEST_PG.
set -euo pipefail
export PGOPTIONS="--client-min-messages=warning"
db=${COASTWATCH_TEST_DB:-coastwatch_test}

if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
  pg_createcluster 15 main >/dev/null
fi
pg_ctlcluster --skip-systemctl-redirect 15 main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "postgresql did not start" >&2; exit 1; }

psql_as_postgres() { su postgres -c "psql -v ON_ERROR_STOP=1 -q $*"; }
psql_as_postgres "-c \"ALTER USER postgres PASSWORD 'postgres'\""
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = '$db'\"" | grep -q 1; then
  psql_as_postgres "-c 'CREATE DATABASE $db'"
fi
psql_as_postgres "-d $db -c 'CREATE EXTENSION IF NOT EXISTS postgis'"
echo "postgres://postgres:postgres@127.0.0.1:5432/$db"
