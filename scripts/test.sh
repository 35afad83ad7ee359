#!/usr/bin/env bash
# Runs Khobor's whole test suite: formatting, lints, every unit and integration test (the
# integration suite three times: on SQLite, on SQLite with every test's media in S3 on
# SeaweedFS, then on PostgreSQL, each test in a database of its own), the
# newsroom's browser tests in headless Chromium (tests/browser), and schemathesis against a
# running server to check that the API does what its OpenAPI document says.
# It first installs what the tests need (scripts/setup.sh), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo deny (licences, bans, sources)"
cargo deny --log-level error check licenses bans sources
# The S3 server (SeaweedFS on loopback) the tests about S3 itself use in every pass, as the
# PostgreSQL tests use the local PostgreSQL; stopped by pid when the script ends.
bash scripts/s3.sh start
trap 'bash scripts/s3.sh stop' EXIT
# shellcheck disable=SC1091
source .tools/s3/env
echo "== cargo test"
cargo test --workspace --all-targets --locked
# The integration suite again with every test's media in S3, each test under a prefix of its
# own (about 75 s).
echo "== integration tests with media on S3 (SeaweedFS)"
KHOBOR_TEST_MEDIA=s3 cargo test --locked --test it
# The server every PostgreSQL test makes its own database on (and drops it after).
export KHOBOR_TEST_POSTGRES="${KHOBOR_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
echo "== integration tests on PostgreSQL ($KHOBOR_TEST_POSTGRES)"
bash scripts/postgres.sh check
cargo test --locked --test it
bash scripts/postgres.sh clean
echo "== browser tests (headless Chromium)"
cargo build --locked --bin khobor
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
KHOBOR_BIN="$target_dir/debug/khobor" node --test tests/browser/
echo "== fuzzing (each target briefly, on its committed corpus)"
bash scripts/fuzz.sh "${KHOBOR_FUZZ_SECONDS:-10}"
echo "== API against its OpenAPI document (schemathesis)"
KHOBOR_BIN="$target_dir/debug/khobor" bash scripts/schemathesis.sh
