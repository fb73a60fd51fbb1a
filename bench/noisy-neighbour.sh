#!/usr/bin/env bash
# Noisy neighbour: does one tenant's heavy Lua hook slow another tenant? Tenant A has a
# contacts.beforeSave handler that burns close to its 1,000,000-instruction budget; tenant B has
# no scripts and one contact. B's GET /contacts/{id} and POST /contacts (wrk -t1 -c2, one after
# the other) are measured with nothing else running (idle), then again while wrk POSTs contacts
# as A from 8 connections (loaded). Prints req/s, p50 and p99 of each, the loaded/idle p99 ratio
# against the target (<= 2), and A's req/s and status counts during the load.
#   DURATION (10) seconds per measurement of B (access tokens live 15 minutes: keep it under 200) ·
#   NOISY_MODE (burn): burn = A's handler loops for ~NOISY_INSTRUCTIONS (900000) instructions,
#     calibrated with a dry run (POST /scripts/{name}/test), so A's creates succeed (201);
#     limit = an endless loop, so every create of A ends at the cap (422 script_error) ·
#   CRM_BIN: an already built crm to use instead of building (bench/lib.sh; e.g.
#     .build-bench/release/crm, relative to the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DURATION=${DURATION:-10}
NOISY_MODE=${NOISY_MODE:-burn}
NOISY_INSTRUCTIONS=${NOISY_INSTRUCTIONS:-900000}
case $NOISY_MODE in burn | limit) ;; *) echo "bench: NOISY_MODE must be burn or limit, not '$NOISY_MODE'" >&2; exit 2 ;; esac

if [ -n "${CRM_BIN:-}" ]; then
    [ -x "$CRM_BIN" ] || { echo "bench: CRM_BIN=$CRM_BIN is not an executable" >&2; exit 2; }
fi
bench_server
# bench_server's EXIT trap stops the server and PostgreSQL; ours also stops A's load and removes our files.
lib_exit=$(eval "set -- $(trap -p EXIT)"; printf '%s' "${3:-}")
tmp=$(mktemp -d)
noisy_pid=""
trap '[ -z "$noisy_pid" ] || { pkill -P "$noisy_pid"; kill "$noisy_pid"; } 2>/dev/null || true; rm -rf "$tmp"; '"$lib_exit" EXIT
fail() {
    echo "bench: $*" >&2
    echo "-- last lines of the server log:" >&2
    tail -n 20 "$bench_log" >&2
    exit 1
}

noisy=$(bench_token noisy)
quiet=$(bench_token quiet)
contact=$(curl -sf -XPOST "$base/contacts" -H "Authorization: Bearer $quiet" -H 'content-type: application/json' \
    -d '{"firstName":"Quiet","lastName":"Neighbour","email":"quiet@example.com"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "cannot create tenant B's contact"

# A's script: upload, calibrate the loop with dry runs, check that a real create answers as expected.
# Prints "iterations instructions dry-run-ms" (iterations "-" for the endless loop).
calibration=$(python3 - "$base" "$noisy" "$NOISY_MODE" "$NOISY_INSTRUCTIONS" <<'PY'
import json, sys, urllib.error, urllib.request
base, token, mode, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def call(method, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:300]

def upload(loop):
    source = '''-- noisy neighbour: every contact save burns instructions
return { on = { ["contacts.beforeSave"] = function(event, crm)
  %s
end } }''' % loop
    status, body = call("PUT", "/scripts/noisy", {"source": source})
    if status not in (200, 201):
        sys.exit(f"PUT /scripts/noisy: HTTP {status}: {body}")

def dry_run():
    status, body = call("POST", "/scripts/noisy/test", {"event": "contacts.beforeSave", "record": {"firstName": "Dry"}})
    if status != 200:
        sys.exit(f"POST /scripts/noisy/test: HTTP {status}: {body}")
    return body

def burn(n):
    return "local x = 0\n  for i = 1, %d do x = x + i end" % n

if mode == "burn":
    # Instructions grow linearly with the iterations (counted to the hook's 1000): two points fix the line.
    points = []
    for n in (100_000, 400_000):
        upload(burn(n))
        points.append((n, dry_run()["instructions"]))
    (n1, i1), (n2, i2) = points
    iterations = round(n1 + (target - i1) * (n2 - n1) / (i2 - i1))
    upload(burn(iterations))
    run = dry_run()
    if run["outcome"] != "ok" or not target - 5000 <= run["instructions"] < 1_000_000:
        sys.exit(f"calibration missed: {iterations} iterations took {run['instructions']} instructions ({run['outcome']}, {run.get('error')})")
    expected = 201
else:
    iterations = "-"
    upload("while true do end")
    run = dry_run()
    if run["outcome"] != "error" or "instruction limit" not in json.dumps(run.get("error")):
        sys.exit(f"the endless loop did not end at the instruction limit: {run}")
    expected = 422
status, body = call("POST", "/contacts", {"firstName": "Noisy", "lastName": "Probe", "email": "probe@example.com"})
if status != expected:
    sys.exit(f"POST /contacts as tenant A: HTTP {status}, expected {expected}: {body}")
print(iterations, run["instructions"], run["durationMs"])
PY
) || fail "tenant A's script"
read -r iterations instructions dry_ms <<<"$calibration"

# One wrk script for every run: args TOKEN KIND (get: the URL as given; create: POST /contacts with
# a distinct email per request) TAG (in the emails). done() prints "RESULT requests duration-us
# p50-us p99-us socket-errors" and a "STATUS code count" line per status seen.
cat >"$tmp/tenant.lua" <<'LUA'
local threads = {}
local counter = 0
local kind, tag, static
tid = 0
statuses = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   kind, tag = args[2], args[3]
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   if kind == "create" then
      wrk.method = "POST"
      wrk.path = "/api/v1/contacts"
      wrk.headers["Content-Type"] = "application/json"
   else
      static = wrk.format()
   end
end

function request()
   if static then return static end
   counter = counter + 1
   return wrk.format(nil, nil, nil, string.format(
      '{"firstName":"Bench","lastName":"T%d","email":"%s.%d.%d@example.com"}', tid, tag, tid, counter))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("RESULT %d %d %.0f %.0f %d\n", summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout))
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
   end
   for status, n in pairs(total) do io.write(string.format("STATUS %d %d\n", status, n)) end
end
LUA

# run NAME THREADS CONNECTIONS SECONDS TOKEN KIND PATH: wrk output in $tmp/NAME.txt.
run() {
    wrk -t"$2" -c"$3" -d"$4s" --timeout 10s --latency -s "$tmp/tenant.lua" "http://127.0.0.1:$port$7" -- "$5" "$6" "$1" \
        >"$tmp/$1.txt" 2>&1 || { cat "$tmp/$1.txt" >&2; fail "wrk $1 failed"; }
    grep -q '^RESULT ' "$tmp/$1.txt" || { cat "$tmp/$1.txt" >&2; fail "no result from wrk $1"; }
}
measure_quiet() { # phase
    run "get-$1" 1 2 "$DURATION" "$quiet" get "/api/v1/contacts/$contact"
    run "create-$1" 1 2 "$DURATION" "$quiet" create /api/v1/contacts
}

# B's idle creates grow the contacts table from nothing to tens of thousands of rows: measured
# first and followed by ANALYZE, so both GET measurements read a table of about the same size
# with current statistics (a plan made while the table was tiny scans it whole once it is not).
run create-idle 1 2 "$DURATION" "$quiet" create /api/v1/contacts
psql -q "$bench_db_admin" -c "ANALYZE"
run get-idle 1 2 "$DURATION" "$quiet" get "/api/v1/contacts/$contact"
# A's load runs from 2 s before B's first measurement to ~2 s after its last.
run noisy 1 8 $((2 * DURATION + 4)) "$noisy" create /api/v1/contacts &
noisy_pid=$!
sleep 2
measure_quiet loaded
kill -0 "$noisy_pid" 2>/dev/null || echo "bench: warning: tenant A's load ended before B's measurements did" >&2
wait "$noisy_pid" || fail "tenant A's load failed"
noisy_pid=""

org=$(curl -sf "$base/auth/me" -H "Authorization: Bearer $noisy" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
hook=$(psql -Atq "$bench_db_admin" -c "SELECT coalesce('p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::numeric, 2) || ' ms, p99 ' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms)::numeric, 2) || ' ms', 'none recorded') FROM script_runs WHERE org_id = '$org'" 2>/dev/null) ||
    hook="not available"

if [ "$NOISY_MODE" = burn ]; then
    what="loops $iterations times = $instructions instructions (dry run ${dry_ms} ms)"
else
    what="loops forever, stopped at $instructions instructions (dry run ${dry_ms} ms)"
fi
echo
echo "tenant A: beforeSave $what; wrk -t1 -c8 POST /contacts through B's loaded phase"
echo "tenant B: no scripts; wrk -t1 -c2 -d${DURATION}s --latency per operation · $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
python3 - "$tmp" "$hook" <<'PY'
import sys
tmp, hook = sys.argv[1], sys.argv[2]

def result(name):
    lines = open(f"{tmp}/{name}.txt").read().splitlines()
    requests, duration, p50, p99, socket = next(l for l in lines if l.startswith("RESULT ")).split()[1:]
    statuses = {int(s): int(n) for s, n in (l.split()[1:] for l in lines if l.startswith("STATUS "))}
    return {"rps": int(requests) / (int(duration) / 1e6), "p50": float(p50) / 1000, "p99": float(p99) / 1000,
            "socket": int(socket), "statuses": statuses,
            "errors": int(socket) + sum(n for s, n in statuses.items() if not 200 <= s < 300)}

fmt = "%-22s %8s %8s %8s   %8s %8s %8s   %9s  %-13s %s"
print((fmt % ("", "idle", "", "", "loaded", "", "", "", "", "")).rstrip())
print(fmt % ("tenant B", "req/s", "p50 ms", "p99 ms", "req/s", "p50 ms", "p99 ms", "p99 ratio",
             "target", "errors idle/loaded"))
for name, label in (("get", "GET /contacts/{id}"), ("create", "POST /contacts")):
    idle, loaded = result(f"{name}-idle"), result(f"{name}-loaded")
    ratio = loaded["p99"] / idle["p99"] if idle["p99"] else float("inf")
    print(fmt % (label, f"{idle['rps']:.0f}", f"{idle['p50']:.2f}", f"{idle['p99']:.2f}",
                 f"{loaded['rps']:.0f}", f"{loaded['p50']:.2f}", f"{loaded['p99']:.2f}", f"{ratio:.2f}",
                 "met" if ratio <= 2 else "MISSED", f"{idle['errors']}/{loaded['errors']}"))
print("target: loaded p99 <= 2 x idle p99")
a = result("noisy")
statuses = {201: 0, 422: 0, **a["statuses"]}
counts = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
print(f"tenant A during the load: {a['rps']:.0f} req/s (p50 {a['p50']:.2f} ms, p99 {a['p99']:.2f} ms), {counts}"
      + (f", socket errors: {a['socket']}" if a["socket"] else ""))
print(f"tenant A's hook, last 100 recorded runs: {hook}")
PY
