#!/usr/bin/env bash
# What the OpenAPI document costs: GET /api/v1/openapi.json served from the cache (the
# product's view, and a tenant's view with 10 custom fields), and how long building a tenant's
# view takes when its cache entry was just dropped (first request after a custom-field change).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DURATION=${DURATION:-10}
bench_server
token=$(bench_token openapi)
python3 - "$base" "$token" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
for i, t in enumerate(["text", "number", "integer", "boolean", "date", "email", "url", "phone", "select", "currency"]):
    body = {"entity": "contacts", "key": "f%d" % i, "type": t}
    if t == "select":
        body["options"] = ["a", "b"]
    request = urllib.request.Request(base + "/custom-fields", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
PY
lua=$(mktemp --suffix=.lua)
measure() { # authorization header value, or empty
    if [ -n "$1" ]; then
        printf 'wrk.headers["Authorization"] = "%s"\nwrk.path = "/api/v1/openapi.json"\n' "$1" > "$lua"
    else
        printf 'wrk.path = "/api/v1/openapi.json"\n' > "$lua"
    fi
    bench_wrk "$lua"
}
size=$(curl -sf "$base/openapi.json" | wc -c)
printf "%-44s %10s %10s %10s %8s\n" "GET /api/v1/openapi.json (cached)" "req/s" "p50" "p99" "non-2xx"
printf "%-44s %s\n" "product view ($size bytes)" "$(measure "")"
printf "%-44s %s\n" "tenant view, 10 custom fields" "$(measure "Bearer $token")"
# Building a tenant's view: each custom-field change drops the entry; the next GET rebuilds it.
python3 - "$base" "$token" <<'PY'
import json, statistics, sys, time, urllib.request
base, token = sys.argv[1], sys.argv[2]
auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def call(method, path, body=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None, method=method, headers=auth)
    return urllib.request.urlopen(request).read()
fields = json.loads(call("GET", "/custom-fields?entity=contacts"))["data"]
rebuilt, cached = [], []
for i in range(40):
    call("PATCH", "/custom-fields/" + fields[i % len(fields)]["id"], {"label": "label %d" % i})
    time.sleep(0.05)  # the change reaches the cache through LISTEN/NOTIFY
    start = time.perf_counter(); call("GET", "/openapi.json"); rebuilt.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter(); call("GET", "/openapi.json"); cached.append((time.perf_counter() - start) * 1000)
print("%-44s %10.1f ms (cached: %.1f ms), median of 40" % ("tenant view rebuilt after a change", statistics.median(rebuilt), statistics.median(cached)))
PY
rm -f "$lua"
