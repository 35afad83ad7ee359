#!/usr/bin/env bash
# Runs Khobor's whole test suite: formatting, lints, every unit and integration test (the
# integration suite on SQLite and again on PostgreSQL, each test in a database of its own, and
# its media tests a third time with the media in S3 on SeaweedFS), the
# newsroom's browser tests in headless Chromium (tests/browser), and schemathesis against a
# running server to check that the API does what its OpenAPI document says.
# It first installs what the tests need (scripts/setup.sh), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says when it started (seconds into the run), so a slow step shows in CI's log.
step() { echo "== $* (at ${SECONDS}s)"; }

bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo deny (licences, bans, sources)"
cargo deny --log-level error check licenses bans sources
# The S3 server (SeaweedFS on loopback) the tests about S3 itself use in every pass, as the
# PostgreSQL tests use the local PostgreSQL; stopped by pid when the script ends.
bash scripts/s3.sh start
trap 'bash scripts/s3.sh stop' EXIT
# shellcheck disable=SC1091
source .tools/s3/env
step "cargo test"
cargo test --workspace --all-targets --locked
# The tests that store media (uploads, variants, photocards, imported images, backups) again
# with every test's media in S3, each test under a prefix of its own.
step "media tests with media on S3 (SeaweedFS)"
KHOBOR_TEST_MEDIA=s3 cargo test --locked --test it -- media cards wordpress backup snapshot
# The server every PostgreSQL test makes its own database on (and drops it after).
export KHOBOR_TEST_POSTGRES="${KHOBOR_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
step "integration tests on PostgreSQL ($KHOBOR_TEST_POSTGRES)"
bash scripts/postgres.sh check
cargo test --locked --test it
bash scripts/postgres.sh clean
step "browser tests (headless Chromium)"
cargo build --locked --bin khobor
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
KHOBOR_BIN="$target_dir/debug/khobor" node --test tests/browser/
step "fuzzing (each target briefly, on its committed corpus)"
bash scripts/fuzz.sh "${KHOBOR_FUZZ_SECONDS:-10}"
step "API against its OpenAPI document (schemathesis)"
KHOBOR_BIN="$target_dir/debug/khobor" bash scripts/schemathesis.sh
step "all passed"
