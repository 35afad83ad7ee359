#!/usr/bin/env bash
# The breaking-news spike benchmark (bench/spike.py) against the release binary, with nginx
# serving the same article bytes side by side. Usage: bash bench/spike.sh [DATA_DIR]
# DATA_DIR may be an archive made by `khobor archive`; without it the demo paper is served.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light
fi
cargo build --release --locked --bin khobor
python3 bench/spike.py "$@"
