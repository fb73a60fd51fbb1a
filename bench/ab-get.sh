#!/usr/bin/env bash
# A/B of two builds of crm on one database: GET /contacts/{id} with an access token (wrk -t2
# -c32), alternating between the builds for ROUNDS rounds, so both see the same machine state.
# Prints each round and the median req/s, p50 and p99 of each build. Made to measure what one
# change costs a read (e.g. the per-request membership check: build B from the change, A from
# the same tree without it).
#   A_BIN, B_BIN: the two crm executables (required) · ROUNDS (5) · DURATION (10) seconds each
set -euo pipefail
cd "$(dirname "$0")/.."
: "${A_BIN:?set A_BIN and B_BIN to two crm executables}" "${B_BIN:?set B_BIN}"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
bash scripts/setup.sh
source scripts/lib/test-postgres.sh
start_test_postgres
psql -q "$TEST_DATABASE_URL" -c "CREATE ROLE bench_app LOGIN PASSWORD 'bench'" -c "CREATE DATABASE bench OWNER bench_app"
url=$(echo "$TEST_DATABASE_URL" | sed 's|//postgres:[^@]*@|//bench_app:bench@|; s|/postgres$|/bench|')
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
logs=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$logs"; stop_test_postgres' EXIT
start() { # $1 = binary, $2 = name; sets port_$2. One PUBLIC_URL (the tokens' issuer) for both.
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    DATABASE_URL="$url" PORT=$port PUBLIC_URL=http://crm.bench JWT_SECRET=$secret JWT_REFRESH_SECRET=$secret BCRYPT_COST=10 \
        RATE_LIMIT_AUTH=0 RATE_LIMIT_API=0 LOG_LEVEL=warning DATABASE_POOL_SIZE=32 "$1" serve >"$logs/$2.log" 2>&1 &
    pids+=($!)
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
    printf -v "port_$2" '%s' "$port"
}
start "$A_BIN" a
start "$B_BIN" b
token=$(curl -sf -XPOST "http://127.0.0.1:$port_a/api/v1/auth/register" -H 'content-type: application/json' \
    -d '{"email":"ab@example.com","password":"benchmark-password","name":"AB"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
contact=$(curl -sf -XPOST "http://127.0.0.1:$port_a/api/v1/contacts" -H "Authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
measure() { # $1 = port: "req/s p50 p99 non-2xx"
    wrk -t2 -c32 -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$1/api/v1/contacts/$contact" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s %s %s %d", rps, p50, p99, bad+0}'
}
# Warm both (caches, prepared statements) before measuring.
DURATION=2 measure "$port_a" >/dev/null
DURATION=2 measure "$port_b" >/dev/null
printf '%-6s %-2s %10s %10s %10s %8s\n' round "" "req/s" p50 p99 non-2xx
: >"$logs/a.txt"
: >"$logs/b.txt"
for round in $(seq 1 "$ROUNDS"); do
    for side in a b; do
        port_var=port_$side
        line=$(measure "${!port_var}")
        [ "$(echo "$line" | cut -d' ' -f4)" = 0 ] || { echo "bench: build $side answered non-2xx: see $logs/$side.log" >&2; exit 1; }
        echo "$line" >>"$logs/$side.txt"
        printf '%-6s %-2s %10s %10s %10s %8s\n' "$round" "$side" $line
    done
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for side in a b; do
    printf 'median %s: %s req/s, p50 %s, p99 %s\n' "$side" \
        "$(cut -d' ' -f1 "$logs/$side.txt" | median)" \
        "$(cut -d' ' -f2 "$logs/$side.txt" | sed 's/ms//' | median)ms" \
        "$(cut -d' ' -f3 "$logs/$side.txt" | sed 's/ms//' | median)ms"
done
