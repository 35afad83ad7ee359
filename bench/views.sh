#!/usr/bin/env bash
# What counting views for the most-read lists costs a cached story page: the release binary
# with [views] enabled = false and = true, side by side in one run, alternating (off, on, off,
# on) so drift on the machine falls on both. Two loads with wrk (64 connections, DURATION each,
# default 10 s): one reader reloading the page (the counter's cheapest path) and a new reader
# on every request (`bench/readers.lua`: an address of its own in X-Forwarded-For, the most a
# reading can cost). Prints requests/s and p99 per run, the on/off ratio, and how many views
# the counted runs wrote to the store.
#   bash bench/views.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/khobor
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
dur=${DURATION:-10s}
ua="Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
for mode in off on; do
  enabled=$([ $mode = on ] && echo true || echo false)
  printf '[auth]\ntrusted_proxies = ["127.0.0.1"]\n[views]\nenabled = %s\n' "$enabled" > "$work/$mode.toml"
done
"$bin" serve --demo --addr "127.0.0.1:$port" --data "$work/data" --config "$work/off.toml" >/dev/null 2>&1 & pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
article=$(curl -fs "http://127.0.0.1:$port/api/v1/articles?limit=1" | python3 -c 'import sys,json,re; print(re.sub(r"^https?://[^/]+","",json.load(sys.stdin)["articles"][0]["url"]))')
kill $pid; wait $pid 2>/dev/null || true; pid=
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "page $article, wrk -t2 -c64 -d$dur, release binary"
run() { # mode load
  "$bin" serve --addr "127.0.0.1:$port" --data "$work/data" --config "$work/$1.toml" >/dev/null 2>&1 & pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
  curl -fs -A "$ua" "http://127.0.0.1:$port$article" >/dev/null
  if [ "$2" = same ]; then
    out=$(wrk -t2 -c64 -d"$dur" --latency -H "User-Agent: $ua" "http://127.0.0.1:$port$article")
  else
    out=$(PATH_TO_READ="$article" wrk -t2 -c64 -d"$dur" --latency -s bench/readers.lua "http://127.0.0.1:$port")
  fi
  kill -INT $pid; wait $pid 2>/dev/null || true; pid=
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%-4s %-12s %10s req/s  p99 %s\n' "$1" "$2" "$rps" "$p99" >&2
  echo "$rps"
}
for load in same new-readers; do
  off=0; on=0
  for round in 1 2; do
    off=$(python3 -c "print($off + $(run off $load))")
    on=$(python3 -c "print($on + $(run on $load))")
  done
  python3 -c "print(f'$load: counting on / off = {$on / $off:.3f} ({$on/2:.0f} vs {$off/2:.0f} req/s)')"
done
views=$(python3 -c "import sqlite3; print(sqlite3.connect('$work/data/khobor.db').execute('SELECT COALESCE(SUM(views),0) FROM article_views').fetchone()[0])")
echo "views written by the counted runs: $views (one per new reader; the reloading reader once)"
