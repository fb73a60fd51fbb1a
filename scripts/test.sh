#!/usr/bin/env bash
# The test command: installs what is missing, starts a private PostgreSQL (loopback, own data
# directory, unprivileged user), builds, runs every test target, and stops PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# openapi-spec-validator, openapi-python-client and openapi-core for the OpenAPI tests.
OPENAPI_PYTHON="$(bash scripts/openapi-tools.sh)"
export OPENAPI_PYTHON
source scripts/lib/test-postgres.sh
start_test_postgres

swift build --build-tests "$@"
CRM_BINARY="$(swift build --show-bin-path "$@")/crm"
export CRM_BINARY
# Belt and braces: no server a test started outlives the run.
trap 'pkill -TERM -f "^$CRM_BINARY serve" || true; stop_test_postgres' EXIT
# At most 16 tests at once: unbounded, the run starts ~40 servers and databases in its first
# seconds on two cores, and tests with wall-clock limits (a Lua handler's 250 ms, a client's
# 30 s) failed now and then under that peak. The whole run takes as long either way (~65 s).
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-16}"
swift test --skip-build "$@"
# The fast subset of the fault suite, on a PostgreSQL cluster of its own (it stops and restarts it).
CRM_BIN="$CRM_BINARY" bash Tests/Reliability/run.sh --quick
# The admin console in headless chromium, against a server and PostgreSQL of its own.
CRM_BIN="$CRM_BINARY" bash Tests/Browser/run.sh
# The deployment files: Dockerfile, compose.yaml, the CI workflow and the Terraform (linters only:
# no Docker engine or AWS here; Tests/Deploy/podman-smoke.sh runs the image where podman can).
bash Tests/Deploy/run.sh
