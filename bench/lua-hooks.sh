#!/usr/bin/env bash
# What a tenant's Lua hook costs: POST /api/v1/contacts throughput for a tenant without scripts
# and for one with a single beforeSave script (same server, same run), plus the time per hook
# invocation (p50/p99 of the runs the server recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DURATION=${DURATION:-10}
bench_server
plain=$(bench_token plain)
scripted=$(bench_token scripted)
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
    bench_wrk "$lua.run"
}
printf "%-32s %10s %10s %10s %8s\n" "create (POST /contacts)" "req/s" "p50" "p99" "non-2xx"
printf "%-32s %s\n" "tenant without scripts" "$(measure "$plain")"
printf "%-32s %s\n" "tenant with 1 beforeSave script" "$(measure "$scripted")"
org=$(curl -sf "$base/auth/me" -H "Authorization: Bearer $scripted" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
psql -Atq "$bench_db_admin" -c "SELECT 'hook invocation (last 100 runs): p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::numeric, 3) || ' ms, p99 ' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms)::numeric, 3) || ' ms' FROM script_runs WHERE org_id = '$org'"
rm -f "$lua" "$lua.run"
