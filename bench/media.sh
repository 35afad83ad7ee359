#!/usr/bin/env bash
# Upload-to-variants-ready time, media on local disk against media in S3 (SeaweedFS on
# loopback, scripts/s3.sh): the integration test that uploads one 1600×1000 JPEG through the
# admin API, makes its variants and serves them back, run RUNS times on each store; prints
# each time and the median. Debug build (as the tests run), so image work is slower than a
# release server's; the difference between the stores is what this measures.
# Usage: bash bench/media.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
test="media_store::an_upload_and_its_variants_are_served_from_the_media_store_byte_for_byte"
cargo test --locked --test it --no-run --quiet
measure() {
    local label="$1" times=()
    for _ in $(seq "$runs"); do
        ms=$(cargo test --locked --quiet --test it -- --exact "$test" --nocapture 2>&1 |
            sed -n 's/.*upload-to-variants-ready: \([0-9]*\) ms.*/\1/p')
        [ -n "$ms" ] || { echo "the test did not report a time" >&2; exit 1; }
        times+=("$ms")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$label: ${times[*]} ms; median $median ms"
}
unset KHOBOR_TEST_MEDIA
measure "local disk"
bash scripts/s3.sh start >/dev/null
trap 'bash scripts/s3.sh stop' EXIT
# shellcheck disable=SC1091
source .tools/s3/env
export KHOBOR_TEST_MEDIA=s3
measure "S3 (SeaweedFS, loopback)"
