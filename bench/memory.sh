#!/usr/bin/env bash
# What bounds Khobor's memory under a mixed reader load (bench/memory.py), against the release
# binary. Usage: bash bench/memory.sh DATA_DIR [MEMORY_MB ...]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
cargo build --release --locked --bin khobor
python3 bench/memory.py "$@"
