#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for a bounded time on its committed corpus
# (fuzz/corpus/TARGET). Any crash fails the run; turn it into a regression test.
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 15)
# cargo fuzz needs the compiler's unstable sanitizer flags; RUSTC_BOOTSTRAP lets the stable
# toolchain accept them for this build only.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
targets=$(cd fuzz && cargo fuzz list)
for t in $targets; do
    echo "== fuzz $t (${seconds}s)"
    work=$(mktemp -d)
    mkdir "$work/corpus"
    cp -r "fuzz/corpus/$t/." "$work/corpus/"
    # -rss_limit_mb: a target that needs more than this is itself a finding.
    if ! (cd fuzz && cargo fuzz run --dev --sanitizer none "$t" "$work/corpus" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_funcs=0 \
        -print_final_stats=0) >"$work/log" 2>&1; then
        tail -60 "$work/log"
        echo "fuzz target $t failed: its input is in fuzz/artifacts/$t/; make it a regression test" >&2
        exit 1
    fi
    grep -E '^Done [0-9]+ runs' "$work/log" || true
    rm -rf "$work"
done
echo "fuzzing: every target ran without a crash"
