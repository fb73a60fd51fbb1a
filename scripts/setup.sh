#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, run and test the CRM: Lua 5.4 headers,
# PostgreSQL server binaries, zlib headers (the admin UI's compressed assets), chromium and
# chromedriver (browser tests) and wrk (benchmarks). Idempotent: does nothing when all is there.
set -euo pipefail

need=()
pkg-config --exists lua5.4 2>/dev/null || need+=(liblua5.4-dev pkg-config)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
# The browser tests of the admin console (Tests/Browser): Debian's chromium and its driver.
{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || need+=(chromium chromium-driver fonts-liberation)

if [ ${#need[@]} -eq 0 ]; then exit 0; fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
