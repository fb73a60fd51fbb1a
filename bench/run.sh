#!/usr/bin/env bash
# End-to-end throughput of the contacts API against its floors: a release `crm serve` on a
# private PostgreSQL, one tenant seeded with N contacts through the API, then for each
# operation wrk against the live server and pgbench for the equivalent SQL (as the app role,
# tenant in the session setting, like the server). The HTTP floor is GET /healthz, measured again
# right before each operation (a shared machine's load drifts by ±20 % within minutes); the
# combined floor is 1/(1/http + 1/sql), and ratio = req/s ÷ floor.
#   DURATION (10) seconds per measurement · CONTACTS (2000) seeded contacts ·
#   CONNECTIONS (32) wrk connections and pgbench clients · THREADS (2) wrk threads / pgbench jobs ·
#   POOL_SIZE (CONNECTIONS): the server's DATABASE_POOL_SIZE ·
#   CRM_BIN: an already built crm to use instead of building (default: build release into .build-bench)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONTACTS=${CONTACTS:-2000}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
POOL_SIZE=${POOL_SIZE:-$CONNECTIONS}

step() { echo "== $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
val() { echo "${!1}"; } # the value of the variable named $1
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

tmp="" pid=""
server_log_tail() {
    if [ -n "$tmp" ] && [ -s "$tmp/server.log" ]; then
        echo "-- last lines of the server log:" >&2
        tail -n 30 "$tmp/server.log" >&2
    fi
}
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    [ -z "$tmp" ] || rm -rf "$tmp"
    if declare -F stop_test_postgres >/dev/null; then stop_test_postgres; fi
}
fail() { echo "bench: $*" >&2; server_log_tail; exit 1; }
trap 'rc=$?; echo "bench: failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; server_log_tail; exit $rc' ERR
trap cleanup EXIT

step "setup"
bash scripts/setup.sh
source scripts/lib/test-postgres.sh
start_test_postgres
trap cleanup EXIT # start_test_postgres installed its own; ours also calls stop_test_postgres
tmp=$(mktemp -d)

if [ -n "${CRM_BIN:-}" ]; then
    crm=$CRM_BIN
    [ -x "$crm" ] || fail "CRM_BIN=$crm is not an executable"
    step "using $crm (no build)"
else
    step "release build (.build-bench)"
    nice -n 10 swift build -c release --product crm --scratch-path .build-bench >"$tmp/build.log" 2>&1 ||
        { tail -n 40 "$tmp/build.log" >&2; fail "release build failed"; }
    crm="$(swift build -c release --scratch-path .build-bench --show-bin-path)/crm"
fi

step "app role and database"
psql -q -v ON_ERROR_STOP=1 "$TEST_DATABASE_URL" <<'SQL'
CREATE ROLE bench_app LOGIN PASSWORD 'bench' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE bench OWNER bench_app;
SQL
app=$(echo "$TEST_DATABASE_URL" | sed 's|//postgres:[^@]*@|//bench_app:bench@|; s|/postgres$|/bench|')

step "crm serve"
port=$(free_port)
base="http://127.0.0.1:$port"
# The pool keeps one connection per wrk connection, as an operator sizes it for the expected
# concurrency (connections above DATABASE_POOL_SIZE cost idle timers on every release).
DATABASE_URL="$app" PORT=$port RATE_LIMIT_API=0 RATE_LIMIT_AUTH=0 LOG_LEVEL=warning BCRYPT_COST=10 DATABASE_POOL_SIZE=$POOL_SIZE \
    "$crm" serve >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "crm serve exited during start-up"
    sleep 0.2
done
curl -sf "$base/readyz" >/dev/null || fail "crm serve not ready after 120 s"

step "register a tenant"
code=$(curl -s -o "$tmp/register.json" -w '%{http_code}' -XPOST "$base/api/v1/auth/register" \
    -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","password":"benchmark-password","name":"Bench","organizationName":"Bench"}')
[ "$code" = 201 ] || fail "register answered $code: $(cat "$tmp/register.json")"
refresh=$(json 'd["refreshToken"]' <"$tmp/register.json")
token=$(json 'd["accessToken"]' <"$tmp/register.json")
org=$(json 'd["organization"]["id"]' <"$tmp/register.json")

# Access tokens live 15 minutes: take a fresh one (rotating the refresh token) before each run.
fresh_token() {
    local code
    code=$(curl -s -o "$tmp/refresh.json" -w '%{http_code}' -XPOST "$base/api/v1/auth/refresh" \
        -H 'content-type: application/json' -d "{\"refreshToken\":\"$refresh\"}")
    [ "$code" = 200 ] || fail "refresh answered $code: $(cat "$tmp/refresh.json")"
    refresh=$(json 'd["refreshToken"]' <"$tmp/refresh.json")
    token=$(json 'd["accessToken"]' <"$tmp/refresh.json")
}

contacts=yes
code=$(curl -s -o "$tmp/probe.json" -w '%{http_code}' "$base/api/v1/contacts?limit=1" -H "Authorization: Bearer $token")
if [ "$code" != 200 ]; then
    echo "bench: GET /api/v1/contacts answered $code ($(head -c 200 "$tmp/probe.json")): contacts benchmarks skipped" >&2
    contacts=no
fi

contact_id=""
if [ "$contacts" = yes ]; then
    step "seed $CONTACTS contacts"
    start=$(date +%s.%N)
    contact_id=$(python3 bench/seed.py "$base" "$token" "$CONTACTS" 16) || fail "seeding failed"
    echo "   $(python3 -c "import sys; print(f'{int(sys.argv[1])/(float(sys.argv[3])-float(sys.argv[2])):.0f}')" "$CONTACTS" "$start" "$(date +%s.%N)") contacts/s" >&2
    psql -q "$app" -c 'ANALYZE contacts' >/dev/null
fi

# --- measurements -------------------------------------------------------------------------
# CPU time (clock ticks) used so far by the server, and by PostgreSQL (postmaster and backends):
# per request, it is what a change saves even when a shared machine's noise hides it in req/s.
cpu_ticks() {
    local postmaster
    postmaster=$(head -n 1 "$TEST_PG_DIR/data/postmaster.pid")
    awk '{ s += $14 + $15 } END { print s }' "/proc/$pid/stat"
    # shellcheck disable=SC2046
    cat "/proc/$postmaster/stat" $(pgrep -P "$postmaster" | sed 's|.*|/proc/&/stat|') 2>/dev/null | awk '{ s += $14 + $15 } END { print s }'
}

# wrk NAME PATH [lua script]: stores req/s, p50, p99 (ms), error count and the server's and
# PostgreSQL's CPU µs per request in R_<name>_*.
wrk_run() {
    local name=$1 path=$2 script=${3:-} out="$tmp/wrk-$1.txt" args=() before after
    [ -z "$script" ] || args=(-s "$script")
    case $name in healthz*) ;; *) fresh_token; args+=(-H "Authorization: Bearer $token") ;; esac
    step "wrk $name: $path"
    before=$(cpu_ticks | paste -sd' ')
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${args[@]}" "$base$path" >"$out" 2>&1 ||
        { cat "$out" >&2; fail "wrk $name failed"; }
    after=$(cpu_ticks | paste -sd' ')
    python3 - "$out" $before $after "$(getconf CLK_TCK)" >"$tmp/wrk-$name.vars" <<'PY' || { cat "$out" >&2; fail "cannot parse wrk output for $name"; }
import re, sys
text = open(sys.argv[1]).read()
crm0, pg0, crm1, pg1, tick = map(float, sys.argv[2:])
requests = int(re.search(r"(\d+) requests in", text).group(1))
crm_us = (crm1 - crm0) / tick / max(requests, 1) * 1e6
pg_us = (pg1 - pg0) / tick / max(requests, 1) * 1e6
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}[unit]
rps = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
p50 = ms(*re.search(r"^\s*50(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M).groups())
p99 = ms(*re.search(r"^\s*99(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M).groups())
errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s*(\d+)", text))
socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if socket:
    errors += sum(int(n) for n in socket.groups())
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errors} {crm_us:.0f} {pg_us:.0f}")
PY
    read -r "R_${name}_rps" "R_${name}_p50" "R_${name}_p99" "R_${name}_err" "R_${name}_crmus" "R_${name}_pgus" <"$tmp/wrk-$name.vars"
    if [ "$(val "R_${name}_err")" != 0 ]; then
        echo "   warning: $(val "R_${name}_err") failed requests (non-2xx or socket errors):" >&2
        grep -E 'Non-2xx|Socket errors' "$out" >&2 || true
    fi
}

# pgbench NAME FILE: stores tps in S_<name>. The tenant goes in the session setting, like the server.
sql_run() {
    local name=$1 file=$2 out="$tmp/pgbench-$1.txt" tps
    step "pgbench $name: $file"
    PGOPTIONS="-c app.org_id=$org" pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
        -D org="$org" -D id="$contact_id" -D actor='{"id":"00000000-0000-0000-0000-000000000000","role":"owner","type":"user"}' \
        -D changes='{"email":{"from":null,"to":"grace@example.com"},"firstName":{"from":null,"to":"Grace"},"lastName":{"from":null,"to":"Hopper"}}' \
        -f "$file" "$app" >"$out" 2>&1 ||
        { tail -n 20 "$out" >&2; fail "pgbench $name failed"; }
    tps=$(awk '/^tps = / {print int($3 + 0.5); exit}' "$out")
    [ -n "$tps" ] || { cat "$out" >&2; fail "no tps line in pgbench output for $name"; }
    printf -v "S_${name}" %s "$tps"
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
wrk_run healthz /healthz
ops=(get list search create)
declare -A label=(
    [get]="GET /contacts/{id}"
    [list]="GET /contacts?limit=25"
    [search]="GET /search?q=lovelace1"
    [create]="POST /contacts"
)
if [ "$contacts" = yes ]; then
    # create last: it adds rows (names without "lovelace", so search matches stay the seeded ones).
    wrk_run healthz_get /healthz
    wrk_run get "/api/v1/contacts/$contact_id"
    sql_run get bench/sql/contacts-get.sql
    wrk_run healthz_list /healthz
    wrk_run list "/api/v1/contacts?limit=25"
    sql_run list bench/sql/contacts-list.sql
    wrk_run healthz_search /healthz
    wrk_run search "/api/v1/search?q=lovelace1&types=contacts&limit=20"
    sql_run search bench/sql/contacts-search.sql
    sql_run search_ranked bench/sql/contacts-search-ranked.sql
    wrk_run healthz_create /healthz
    wrk_run create /api/v1/contacts bench/wrk/create-contact.lua
    sql_run create bench/sql/contacts-create.sql
    sql_run create_full bench/sql/contacts-create-full.sql
fi

# --- report -------------------------------------------------------------------------------
echo
rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || rev="$rev+local changes"
[ -z "${CRM_BIN:-}" ] || rev="at $CRM_BIN"
echo "crm $rev · pool $POOL_SIZE · wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s · pgbench -M prepared -c $CONNECTIONS -j $THREADS -T $DURATION · $CONTACTS contacts · $(nproc) CPUs, load $load_before before"
fmt="%-26s %9s %9s %9s %11s %11s %9s %7s %8s %8s %7s\n"
# shellcheck disable=SC2059
printf "$fmt" operation "req/s" "p50 ms" "p99 ms" "floor http" "floor sql" floor ratio "crm us" "pg us" errors
# shellcheck disable=SC2059
printf "$fmt" "GET /healthz (floor)" "$R_healthz_rps" "$R_healthz_p50" "$R_healthz_p99" - - - - "$R_healthz_crmus" "$R_healthz_pgus" "$R_healthz_err"
for op in "${ops[@]}"; do
    if [ "$contacts" != yes ]; then
        # shellcheck disable=SC2059
        printf "$fmt" "${label[$op]}" skipped - - "$R_healthz_rps" - - - - - -
        continue
    fi
    rps=$(val "R_${op}_rps") sql=$(val "S_${op}") http=$(val "R_healthz_${op}_rps")
    read -r floor ratio < <(python3 -c 'import sys; h, s, r = map(float, sys.argv[1:]); f = 1 / (1 / h + 1 / s); print(f"{f:.0f} {r / f:.2f}")' \
        "$http" "$sql" "$rps")
    # shellcheck disable=SC2059
    printf "$fmt" "${label[$op]}" "$rps" "$(val "R_${op}_p50")" "$(val "R_${op}_p99")" \
        "$http" "$sql" "$floor" "$ratio" "$(val "R_${op}_crmus")" "$(val "R_${op}_pgus")" "$(val "R_${op}_err")"
done
if [ "$contacts" = yes ]; then
    echo
    echo "floor sql for search is the unranked LIKE (bench/sql/contacts-search.sql, a scan of the tenant: no index"
    echo "serves LIKE under RLS); the server reads search_terms instead. The query it ran before issue 20, which"
    echo "ranked every match by similarity (bench/sql/contacts-search-ranked.sql), does $S_search_ranked tps:"
    echo "floor $(python3 -c 'import sys; h, s, r = map(float, sys.argv[1:]); f = 1 / (1 / h + 1 / s); print(f"{f:.0f}, ratio {r / f:.2f}")' \
        "$R_healthz_search_rps" "$S_search_ranked" "$R_search_rps")."
    echo "floor sql for create is a bare INSERT (bench/sql/contacts-create.sql); the statement the server runs, with"
    echo "the history entry and the record read back (bench/sql/contacts-create-full.sql), does $S_create_full tps:"
    echo "floor $(python3 -c 'import sys; h, s, r = map(float, sys.argv[1:]); f = 1 / (1 / h + 1 / s); print(f"{f:.0f}, ratio {r / f:.2f}")' \
        "$R_healthz_create_rps" "$S_create_full" "$R_create_rps")."
fi
