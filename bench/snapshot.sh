#!/usr/bin/env bash
# A fresh node's time to ready from a search-index snapshot, next to a full rebuild.
#   bash bench/snapshot.sh DATA_DIR [rebuild]
# DATA_DIR is an archive whose search index is built (`khobor archive --from CORPUS --stories
# 1000000 --data DIR`, then `khobor reindex --data DIR`). The script starts SeaweedFS on
# loopback (scripts/s3.sh, its data under a temporary directory) as the object store, points
# the site's [media] at it, and:
#   1. uploads a snapshot of the index (`khobor search snapshot`), timed, with its size;
#   2. moves the index aside, as on a node that has never run, starts `khobor serve` and times
#      until /readyz answers 200: the snapshot downloaded, checked, installed and the change
#      feed replayed since. /search is then asked for a word to show the index answers;
#   3. with `rebuild`, the same with no snapshot to start from (a local media store): the
#      node rebuilds its index from the store (about 15 minutes at a million stories).
# The index is put back as it was at the end. Release binary, or $KHOBOR_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(cd "${1:?data directory with a built search index}" && pwd)
rebuild=${2:-}
if [ -z "${KHOBOR_BIN:-}" ]; then
    cargo build --release --quiet --bin khobor
    KHOBOR_BIN="${CARGO_TARGET_DIR:-target}/release/khobor"
fi
bin=$(cd "$(dirname "$KHOBOR_BIN")" && pwd)/$(basename "$KHOBOR_BIN")
[ -d "$data/search" ] || { echo "$data/search is missing: run khobor reindex --data $data first" >&2; exit 1; }
[ ! -e "$data/search.bench-kept" ] || { echo "$data/search.bench-kept exists: a cut-short run's index; move it back to $data/search first" >&2; exit 1; }
work=$(mktemp -d)
export KHOBOR_S3_DIR="$work/s3"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    if [ -d "$data/search.bench-kept" ]; then
        rm -rf "$data/search"
        mv "$data/search.bench-kept" "$data/search"
    fi
    bash scripts/s3.sh stop || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "index: $(du -sh "$data/search" | cut -f1) in $data/search"
bash scripts/s3.sh start >/dev/null
# shellcheck disable=SC1091
. "$KHOBOR_S3_DIR/env"
export AWS_ACCESS_KEY_ID=$KHOBOR_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$KHOBOR_TEST_S3_SECRET_KEY
cat >"$work/s3.toml" <<EOF
[media]
store = "s3"
endpoint = "$KHOBOR_TEST_S3"
bucket = "$KHOBOR_TEST_S3_BUCKET"
path_style = true
prefix = "bench-snapshot"
EOF

start=$(now)
"$bin" search snapshot --data "$data" --config "$work/s3.toml" 2>&1 | tail -1
echo "snapshot uploaded in $(python3 -c "print(f'{$(now) - $start:.1f}')") s; the bucket holds $(du -sh "$KHOBOR_S3_DIR/data" | cut -f1)"

ready() { # config file: starts a node with an empty index, prints seconds until /readyz is 200
    local port started
    port=$(free_port)
    mv "$data/search" "$data/search.bench-kept"
    started=$(now)
    "$bin" serve --addr "127.0.0.1:$port" --data "$data" --config "$1" >"$work/serve.log" 2>&1 &
    server=$!
    # Polled until ready, with a deadline (a rebuild at a million stories takes ~15 minutes).
    local deadline=$((SECONDS + 3600))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
        kill -0 "$server" 2>/dev/null || { echo "the node stopped; its log:" >&2; tail -5 "$work/serve.log" >&2; exit 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "not ready within an hour; its log: $work/serve.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "ready in $(python3 -c "print(f'{$(now) - $started:.1f}')") s"
    sed 's/\x1b\[[0-9;]*m//g' "$work/serve.log" |
        grep -o 'search index restored from a snapshot.*\|building the index from the store' | head -1 || true
    echo "search for ঢাকা: HTTP $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/search?q=%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE"), $(curl -s "http://127.0.0.1:$port/api/v1/search?q=%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("total"), "hits")')"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    rm -rf "$data/search"
    mv "$data/search.bench-kept" "$data/search"
}

echo "== a fresh node with the snapshot in the bucket"
ready "$work/s3.toml"
if [ "$rebuild" = rebuild ]; then
    echo "== a fresh node with no snapshot (rebuilds from the store)"
    : >"$work/local.toml"
    ready "$work/local.toml"
fi
