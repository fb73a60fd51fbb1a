#!/usr/bin/env bash
# The run command: installs what is missing, builds the release binary, and serves with the
# embedded PostgreSQL (or DATABASE_URL when set). Arguments go to `crm serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product crm
exec "$(swift build -c release --show-bin-path)/crm" serve "$@"
