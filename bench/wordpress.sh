#!/usr/bin/env bash
# WordPress import speed: `khobor import wordpress` (release binary) on a generated WXR of
# POSTS Bengali posts (bench/wordpress.py: categories with children, 200 tags, 20 authors, a
# featured image and a body image on every fifth post, real PNGs in an uploads folder), each
# run into a fresh data directory (SQLite): once without --uploads (images stay at their old
# URLs) and once with it (images checked, cleaned and added to the media library).
#   bash bench/wordpress.sh [POSTS]   (default 10000)
# Builds the release binary first, or uses $KHOBOR_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
posts="${1:-10000}"
if [ -z "${KHOBOR_BIN:-}" ]; then
    cargo build --release --quiet --bin khobor
    KHOBOR_BIN="${CARGO_TARGET_DIR:-target}/release/khobor"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/wordpress.py "$work" "$posts"
echo "WXR: $(du -h "$work/site.wxr.xml" | cut -f1), $posts posts, $(find "$work/uploads" -type f | wc -l) images"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
run() {
    local label="$1"
    shift
    local start end
    start=$(date +%s.%N)
    "$KHOBOR_BIN" import wordpress "$work/site.wxr.xml" --data "$work/data-$label" "$@" \
        >"$work/$label.out" 2>"$work/$label.err" || true
    end=$(date +%s.%N)
    grep -E '^imported' "$work/$label.out" || { cat "$work/$label.err"; exit 1; }
    grep -E '^images' "$work/$label.out" || true
    echo "$label: wall $(echo "$end - $start" | bc) s, $(echo "scale=0; $posts / ($end - $start)" | bc) posts/s"
}
run without-images
run with-images --uploads "$work/uploads"
