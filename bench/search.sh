#!/usr/bin/env bash
# Search latency and indexing speed of the release binary, with wrk on loopback.
#   bash bench/search.sh CORPUS.jsonl.gz QUERIES.tsv [COPIES]
# Imports the corpus COPIES times (default 1) with new ids, rebuilds the index (reporting
# stories/s and its size on disk), then measures /api/v1/search latency at concurrency 1 for
# plain Bengali, Banglish and section-filtered queries taken from the TSV. The binary is built
# into (and run from) CARGO_TARGET_DIR when it is set.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?corpus file}; queries=${2:?queries TSV}; copies=${3:-1}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/khobor
work=$(mktemp -d); data="$work/data"; port=$((20000 + RANDOM % 20000))
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$corpus" "$copies" "$work/corpus.jsonl" <<'PY'
import gzip, json, sys
src, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [json.loads(l) for l in gzip.open(src, "rt", encoding="utf-8") if l.strip()]
with open(out, "w", encoding="utf-8") as f:
    for c in range(copies):
        for r in rows:
            r = dict(r); r["id"] = f"{r['id']}-{c}" if copies > 1 else r["id"]
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
PY
"$bin" import jsonl "$work/corpus.jsonl" --data "$data"
"$bin" reindex --data "$data"
echo "index size: $(du -sh "$data/search" | cut -f1)"
"$bin" serve --addr "127.0.0.1:$port" --data "$data" >/dev/null 2>&1 & pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
section=$(curl -fs "http://127.0.0.1:$port/api/v1/sections" | python3 -c 'import sys,json; print([s["slug"] for s in json.load(sys.stdin)["sections"]][-1])')
python3 - "$queries" "$work" "$section" <<'PY'
import sys, urllib.parse
tsv, work, section = sys.argv[1], sys.argv[2], sys.argv[3]
kinds = {"plain": [], "banglish": [], "filtered": []}
for i, line in enumerate(open(tsv, encoding="utf-8")):
    if i == 0: continue
    cols = line.rstrip("\n").split("\t")
    q = urllib.parse.quote(cols[2])
    if cols[1] == "banglish": kinds["banglish"].append(f"/api/v1/search?q={q}")
    else:
        kinds["plain"].append(f"/api/v1/search?q={q}")
        kinds["filtered"].append(f"/api/v1/search?q={q}&section={urllib.parse.quote(section)}&from=2000-01-01")
for k, paths in kinds.items():
    open(f"{work}/{k}.txt", "w").write("\n".join(paths) + "\n")
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for kind in plain banglish filtered; do
  out=$(PATHS="$work/$kind.txt" wrk -t1 -c1 -d"${DURATION:-10s}" --latency -s bench/rotate.lua "http://127.0.0.1:$port")
  printf '%-9s %8s req/s  p50 %-8s p99 %-8s\n' "$kind" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1=="50%" {print $2}')" "$(echo "$out" | awk '$1=="99%" {print $2}')"
done
