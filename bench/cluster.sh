#!/usr/bin/env bash
# Khobor on several nodes (bench/cluster.py) against the release binary: SQLite next to
# PostgreSQL, two PostgreSQL nodes behind nginx, publish-to-visible across nodes.
# Usage: bash bench/cluster.sh [CORPUS.jsonl.gz]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || ! command -v psql >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light postgresql-client
fi
cargo build --release --locked --bin khobor
python3 bench/cluster.py "$@"
