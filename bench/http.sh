#!/usr/bin/env bash
# HTTP throughput and latency of the release binary on loopback, with wrk.
#   bash bench/http.sh [CORPUS.jsonl.gz]
# Without a corpus it serves the demo paper; with one it imports it first. Prints one line per
# page: requests/s and p50/p99 latency at the given concurrency (default 64, 10 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release --quiet
bin=target/release/khobor
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
conc=${CONCURRENCY:-64}
dur=${DURATION:-10s}
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
if [ -n "${1:-}" ]; then
  "$bin" import jsonl "$1" --data "$data"
  "$bin" serve --addr "127.0.0.1:$port" --data "$data" >/dev/null 2>&1 & pid=$!
else
  "$bin" serve --demo --addr "127.0.0.1:$port" --data "$data" >/dev/null 2>&1 & pid=$!
fi
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
article=$(curl -fs "http://127.0.0.1:$port/api/v1/articles?limit=1" | python3 -c 'import sys,json,re; print(re.sub(r"^https?://[^/]+","",json.load(sys.stdin)["articles"][0]["url"]))')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "concurrency $conc, $dur per page, wrk -t2"
for path in "$article" / /latest /feed.xml; do
  out=$(wrk -t2 -c"$conc" -d"$dur" --latency "http://127.0.0.1:$port$path")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '%-40s %10s req/s  p50 %-8s p99 %-8s %s\n' "$path" "$rps" "$p50" "$p99" "$errs"
done
