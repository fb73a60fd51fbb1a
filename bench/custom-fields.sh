#!/usr/bin/env bash
# What custom fields cost a write: POST /api/v1/contacts for a tenant without custom fields and
# for one with 10 typed custom fields (values sent) plus 1 Lua formula, same server, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DURATION=${DURATION:-10}
bench_server
plain=$(bench_token plain)
custom=$(bench_token custom)
python3 - "$base" "$custom" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def post(body):
    request = urllib.request.Request(base + "/custom-fields", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
types = ["text", "number", "integer", "boolean", "date", "email", "url", "phone", "text", "integer"]
for i, t in enumerate(types):
    post({"entity": "contacts", "key": "f%d" % i, "type": t})
post({"entity": "contacts", "key": "score", "type": "number", "formula": "(record.custom.f1 or 0) * 2 + (record.custom.f2 or 0)"})
PY
lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'LUA'
local counter = 0
request = function()
  counter = counter + 1
  local body
  if WITH_CUSTOM then
    body = string.format('{"firstName":"Ada","lastName":"L%d","custom":{"f0":"a","f1":1.5,"f2":%d,"f3":true,"f4":"2026-01-02","f5":"a%d@b.co","f6":"https://x.example","f7":"+1 555 0100","f8":"b","f9":3}}', counter, counter, counter)
  else
    body = string.format('{"firstName":"Ada","lastName":"L%d"}', counter)
  end
  return wrk.format("POST", "/api/v1/contacts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. TOKEN}, body)
end
LUA
measure() { # token with-custom
    sed "s/TOKEN/\"$1\"/; s/WITH_CUSTOM/$2/" "$lua" > "$lua.run"
    bench_wrk "$lua.run"
}
printf "%-40s %10s %10s %10s %8s\n" "create (POST /contacts)" "req/s" "p50" "p99" "non-2xx"
printf "%-40s %s\n" "no custom fields" "$(measure "$plain" false)"
printf "%-40s %s\n" "10 custom fields + 1 formula" "$(measure "$custom" true)"
rm -f "$lua" "$lua.run"
