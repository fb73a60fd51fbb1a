#!/usr/bin/env bash
# bcrypt cost in practice: the time of POST /auth/login (one bcrypt verification dominates it)
# at each BCRYPT_COST, against a release `crm serve` on a private PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib/test-postgres.sh
start_test_postgres
swift build -c release --product crm >/dev/null
crm="$(swift build -c release --show-bin-path)/crm"
psql -q "$TEST_DATABASE_URL" -c "CREATE ROLE bench_app LOGIN PASSWORD 'bench'" -c "CREATE DATABASE bench OWNER bench_app"
url=$(echo "$TEST_DATABASE_URL" | sed 's|//postgres:[^@]*@|//bench_app:bench@|; s|/postgres$|/bench|')
for cost in ${COSTS:-10 12}; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    DATABASE_URL="$url" PORT=$port BCRYPT_COST=$cost RATE_LIMIT_AUTH=0 "$crm" serve >/dev/null 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
    email="bench-$cost-$RANDOM@example.com"
    curl -sf -XPOST "http://127.0.0.1:$port/api/v1/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"benchmark-password\",\"name\":\"B\"}" >/dev/null
    times=()
    for _ in $(seq 1 ${ROUNDS:-10}); do
        times+=("$(curl -s -o /dev/null -w '%{time_total}' -XPOST "http://127.0.0.1:$port/api/v1/auth/login" \
            -H 'content-type: application/json' -d "{\"email\":\"$email\",\"password\":\"benchmark-password\"}")")
    done
    printf "BCRYPT_COST=%-3s login p50 %s s\n" "$cost" "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
    kill $pid; wait $pid 2>/dev/null || true
done
