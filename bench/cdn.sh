#!/usr/bin/env bash
# A publish through a real Varnish (xkey) in front of the release binary (bench/cdn.py): time
# until Varnish serves the changed pages, and the share of unrelated pages still hits.
# Usage: bash bench/cdn.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v varnishd >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq varnish varnish-modules
fi
cargo build --release --locked --bin khobor
python3 bench/cdn.py "$@"
