#!/usr/bin/env bash
# Webhook delivery latency (bench/webhooks.py): publish through the admin API -> a loopback
# receiver has the signed `published` delivery; p50/p99 over PUBLISHES stories.
# Usage: bash bench/webhooks.sh [release|debug]   (default release)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
if [ "$profile" = release ]; then
  cargo build --release --locked --bin khobor
else
  cargo build --locked --bin khobor
fi
python3 bench/webhooks.py "$profile"
