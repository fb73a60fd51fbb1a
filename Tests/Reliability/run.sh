#!/usr/bin/env bash
# The fault suite: each scenario of Tests/Reliability/faults.py against `crm serve` processes it
# starts itself, on a private PostgreSQL it may stop, kill and restart (its own cluster, not the
# tests'). Prints each scenario's figures and fails when one does not hold.
#   bash Tests/Reliability/run.sh            every scenario, full size, then Schemathesis (~3 min)
#   bash Tests/Reliability/run.sh --quick    the fast subset the test command runs (~1.5 min)
#   bash Tests/Reliability/run.sh db-restart slowloris   named scenarios
#   CRM_BIN=path/to/crm   a built crm (default: the debug build, built if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
source scripts/lib/crm-server.sh
resolve_crm_bin
source scripts/lib/test-postgres.sh
start_test_postgres
# How faults.py stops and starts this cluster (same options as it was started with).
export PG_CTL="${TEST_PG_AS[*]} $TEST_PG_BIN/pg_ctl -D $TEST_PG_DIR/data"
export PG_OPTIONS="-c listen_addresses=127.0.0.1 -p $TEST_PG_PORT -c unix_socket_directories='$TEST_PG_DIR/run' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
export PG_LOG="$TEST_PG_DIR/data/server.log"
python3 Tests/Reliability/faults.py "$@"
# Schemathesis over a tenant's document, unless only named scenarios were asked for.
if [ $# -eq 0 ] || [ "$*" = --quick ]; then
    bash Tests/Reliability/schemathesis.sh "$@"
fi
