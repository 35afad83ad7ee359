#!/usr/bin/env bash
# Every speed goal in one run, each beside its reference (nginx for the cached page), with the
# machine's CPU model (bench/speed.py says what is measured).
#   bash bench/speed.sh CORPUS.jsonl.gz QUERIES.tsv
# STORIES (default 100000) sizes the imported store; ARCHIVE=1000000 adds a reindex and cold
# renders at a million stories (about 15 GB of disk); DURATION is seconds per wrk run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light
fi
cargo build --release --locked --bin khobor
python3 bench/speed.py "$@"
