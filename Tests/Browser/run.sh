#!/usr/bin/env bash
# The admin console in a real browser (UI.md, Tests): Debian's chromium through chromedriver,
# driven by Selenium (pinned: Tests/Browser/requirements.txt), against a `crm serve` of its own
# on a private PostgreSQL. A failing step saves a screenshot under .build/browser-screenshots.
#   CRM_BIN=path/to/crm bash Tests/Browser/run.sh     (default: the debug build)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
if [ -z "${CRM_BIN:-}" ]; then
    swift build --product crm >/dev/null
    CRM_BIN="$(swift build --show-bin-path)/crm"
fi
CRM_BIN=$(realpath "$CRM_BIN")
python=$(bash scripts/python-tools.sh Tests/Browser/requirements.txt browser-venv)
source scripts/lib/test-postgres.sh
start_test_postgres
psql -q "$TEST_DATABASE_URL" -c "CREATE ROLE console LOGIN PASSWORD 'console'" -c "CREATE DATABASE console OWNER console"
url=$(echo "$TEST_DATABASE_URL" | sed 's|//postgres:[^@]*@|//console:console@|; s|/postgres$|/console|')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
DATABASE_URL="$url" PORT=$port BCRYPT_COST=10 RATE_LIMIT_AUTH=0 RATE_LIMIT_API=0 LOG_LEVEL=warning "$CRM_BIN" serve >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"; stop_test_postgres' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
mkdir -p .build/browser-screenshots
"$python" Tests/Browser/console.py "http://127.0.0.1:$port" .build/browser-screenshots
