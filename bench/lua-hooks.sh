#!/usr/bin/env bash
# What a tenant's Lua hook costs: POST /api/v1/contacts throughput for a tenant without scripts
# and for one with a single beforeSave script (same server, same run), plus the time per hook
# invocation (p50/p99 of the runs the server recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib/test-postgres.sh
start_test_postgres
DURATION=${DURATION:-10}
nice -n 10 swift build -c release --product crm --scratch-path .build-bench >/dev/null
crm="$(swift build -c release --scratch-path .build-bench --show-bin-path)/crm"
psql -q "$TEST_DATABASE_URL" -c "CREATE ROLE bench_app LOGIN PASSWORD 'bench'" -c "CREATE DATABASE bench OWNER bench_app"
url=$(echo "$TEST_DATABASE_URL" | sed 's|//postgres:[^@]*@|//bench_app:bench@|; s|/postgres$|/bench|')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
DATABASE_URL="$url" PORT=$port BCRYPT_COST=10 RATE_LIMIT_AUTH=0 RATE_LIMIT_API=0 LOG_LEVEL=warning "$crm" serve >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"; stop_test_postgres' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
base="http://127.0.0.1:$port/api/v1"

token() {
    curl -sf -XPOST "$base/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"bench-$1-$RANDOM@example.com\",\"password\":\"benchmark-password\",\"name\":\"B\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}
plain=$(token plain)
scripted=$(token scripted)
python3 - "$base" "$scripted" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
source = '''return { on = { ["contacts.beforeSave"] = function(event, crm)
  local r = event.record
  if r.email then r.email = r.email:lower() end
  if r.firstName and #r.firstName > 100 then event:reject("firstName", "too long") end
end } }'''
request = urllib.request.Request(base + "/scripts/bench-rule", data=json.dumps({"source": source}).encode(),
    method="PUT", headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
urllib.request.urlopen(request).read()
PY
lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'LUA'
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"firstName":"Ada","lastName":"L%d","email":"ADA%d@Example.com"}', counter, counter)
  return wrk.format("POST", "/api/v1/contacts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. TOKEN}, body)
end
LUA
measure() { # token
    sed "s/TOKEN/\"$1\"/" "$lua" > "$lua.run"
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$lua.run" "http://127.0.0.1:$port" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%10s %10s %10s", rps, p50, p99}'
}
printf "%-32s %10s %10s %10s\n" "create (POST /contacts)" "req/s" "p50" "p99"
printf "%-32s %s\n" "tenant without scripts" "$(measure "$plain")"
printf "%-32s %s\n" "tenant with 1 beforeSave script" "$(measure "$scripted")"
org=$(curl -sf "$base/auth/me" -H "Authorization: Bearer $scripted" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
admin_bench=$(echo "$TEST_DATABASE_URL" | sed 's|/postgres$|/bench|')
psql -Atq "$admin_bench" -c "SELECT 'hook invocation (last 100 runs): p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::numeric, 3) || ' ms, p99 ' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms)::numeric, 3) || ' ms' FROM script_runs WHERE org_id = '$org'"
rm -f "$lua" "$lua.run"
