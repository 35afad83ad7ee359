#!/usr/bin/env bash
# How long `khobor migrate-store` takes to copy an SQLite store into PostgreSQL, and whether
# the copy checked out.
#   bash bench/migrate_store.sh DATA_DIR
# Copies DATA_DIR/khobor.db (e.g. an archive made by `khobor archive`) into a fresh database on
# $KHOBOR_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432), created with a name of
# its own and dropped at the end, with the release binary (built first) or $KHOBOR_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data directory holding khobor.db}
server="${KHOBOR_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
if [ -z "${KHOBOR_BIN:-}" ]; then
    cargo build --release --quiet --bin khobor
    KHOBOR_BIN=target/release/khobor
fi
db="khobor_bench_$$_$(date +%s)"
psql "$server/postgres" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
echo "source: $data/khobor.db, $(du -h "$data/khobor.db" | cut -f1) (+ WAL $(du -h "$data/khobor.db-wal" 2>/dev/null | cut -f1 || echo 0))"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), PostgreSQL $(psql "$server/postgres" -Atqc 'SHOW server_version')"
start=$(date +%s.%N)
status=0
"$KHOBOR_BIN" migrate-store --from "$data" --to "$server/$db" || status=$?
end=$(date +%s.%N)
echo "wall time: $(echo "$end - $start" | bc) s (exit status $status); PostgreSQL database: $(psql "$server/postgres" -Atqc "SELECT pg_size_pretty(pg_database_size('$db'))")"
exit $status
