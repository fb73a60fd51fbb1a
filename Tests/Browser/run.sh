#!/usr/bin/env bash
# The admin console in a real browser (UI.md, Tests): Debian's chromium through chromedriver,
# driven by Selenium (pinned: Tests/Browser/requirements.txt), against a `crm serve` of its own
# on a private PostgreSQL. A failing step saves a screenshot under .build/browser-screenshots.
#   CRM_BIN=path/to/crm bash Tests/Browser/run.sh [task …]    (default: the debug build, every task)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
source scripts/lib/crm-server.sh
resolve_crm_bin
python=$(bash scripts/python-tools.sh Tests/Browser/requirements.txt browser-venv)
source scripts/lib/test-postgres.sh
start_test_postgres
trap 'stop_crm_server; stop_test_postgres' EXIT
start_crm_server
mkdir -p .build/browser-screenshots
"$python" Tests/Browser/console.py "$crm_base" .build/browser-screenshots "$@"
