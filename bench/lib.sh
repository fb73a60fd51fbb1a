# Shared by the bench scripts: a private PostgreSQL, the release `crm` (built into
# .build-bench), an app role and database, a running server, and tenants to call it as.
# Source it, then call bench_server; $base is the API's base URL afterwards.

bench_server() {
    bash scripts/setup.sh
    source scripts/lib/test-postgres.sh
    start_test_postgres
    if [ -n "${CRM_BIN:-}" ]; then # an already built crm (e.g. .build-bench/release/crm)
        crm="$CRM_BIN"
    else
        nice -n 10 swift build -c release --product crm --scratch-path .build-bench >/dev/null
        crm="$(swift build -c release --scratch-path .build-bench --show-bin-path)/crm"
    fi
    psql -q "$TEST_DATABASE_URL" -c "CREATE ROLE bench_app LOGIN PASSWORD 'bench'" -c "CREATE DATABASE bench OWNER bench_app"
    bench_db_admin=$(echo "$TEST_DATABASE_URL" | sed 's|/postgres$|/bench|')
    local url
    url=$(echo "$TEST_DATABASE_URL" | sed 's|//postgres:[^@]*@|//bench_app:bench@|; s|/postgres$|/bench|')
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    bench_log=$(mktemp)
    DATABASE_URL="$url" PORT=$port BCRYPT_COST=10 RATE_LIMIT_AUTH=0 RATE_LIMIT_API=0 LOG_LEVEL=warning DATABASE_POOL_SIZE=32 \
        "$crm" serve >"$bench_log" 2>&1 &
    bench_pid=$!
    trap 'kill $bench_pid 2>/dev/null || true; rm -f "$bench_log"; stop_test_postgres' EXIT
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
    base="http://127.0.0.1:$port/api/v1"
}

# An access token for a new tenant (named $1).
bench_token() {
    curl -sf -XPOST "$base/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"bench-$1-$RANDOM@example.com\",\"password\":\"benchmark-password\",\"name\":\"B\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}

# wrk against $port with a request script ($1): "req/s p50 p99 non-2xx".
bench_wrk() {
    wrk -t2 -c32 -d"${DURATION:-10}s" --latency -s "$1" "http://127.0.0.1:$port" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%10s %10s %10s %8s", rps, p50, p99, bad+0}'
}
