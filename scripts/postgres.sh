#!/usr/bin/env bash
# The PostgreSQL server the tests run on ($KHOBOR_TEST_POSTGRES, default
# postgres://postgres@127.0.0.1:5432).
#   check  fail with one clear line unless the server answers
#   clean  drop test databases (khobor_test_PID_N) whose test process is gone
set -euo pipefail
server="${KHOBOR_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
admin="$server/postgres"
case "${1:-}" in
check)
    if ! psql "$admin" -Atqc 'SELECT 1' >/dev/null 2>&1; then
        echo "PostgreSQL does not answer at $server: start it, or set KHOBOR_TEST_POSTGRES" >&2
        exit 1
    fi
    ;;
clean)
    psql "$admin" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'khobor\_test\_%'" |
        while read -r name; do
            pid="${name#khobor_test_}"
            pid="${pid%%_*}"
            if ! kill -0 "$pid" 2>/dev/null; then
                psql "$admin" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
            fi
        done
    ;;
*)
    echo "usage: scripts/postgres.sh check|clean" >&2
    exit 2
    ;;
esac
