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
swift test --skip-build "$@"
# The fast subset of the fault suite, on a PostgreSQL cluster of its own (it stops and restarts it).
CRM_BIN="$CRM_BINARY" bash Tests/Reliability/run.sh --quick
# The admin console in headless chromium, against a server and PostgreSQL of its own.
CRM_BIN="$CRM_BINARY" bash Tests/Browser/run.sh
# The deployment files: Dockerfile, compose.yaml, the CI workflow and the Terraform (linters only:
# no Docker engine or AWS here; Tests/Deploy/podman-smoke.sh runs the image where podman can).
bash Tests/Deploy/run.sh
