#!/usr/bin/env bash
# Newsroom numbers (save latency with 20 revisions, image variants, memory while 5 images
# process) against the release binary. Usage: bash bench/newsroom.sh [STORIES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin khobor --example photo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
python3 bench/newsroom.py "$@"
