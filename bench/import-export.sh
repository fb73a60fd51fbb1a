#!/usr/bin/env bash
# CSV import and export throughput (API.md, Import and export) against a release `crm serve`:
# an import of ROWS contacts (a custom field and tags on each) timed by the server's own
# startedAt/finishedAt, then the same with one Lua before-hook (HOOK_ROWS rows), then an export of
# every contact; the server's peak RSS sampled every 0.2 s during each. Prints rows/s and MiB.
#   ROWS (100000) · HOOK_ROWS (20000) · CRM_BIN (bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROWS=${ROWS:-100000}
HOOK_ROWS=${HOOK_ROWS:-20000}
bench_server
token=$(bench_token imports)
auth=(-H "Authorization: Bearer $token")
curl -sf "$base/custom-fields" "${auth[@]}" -H 'content-type: application/json' \
    -d '{"entity":"contacts","key":"tier","label":"Tier","type":"select","options":["gold","silver"]}' >/dev/null
work=$(mktemp -d)
trap 'kill $bench_pid 2>/dev/null || true; rm -rf "$work" "$bench_log"; stop_test_postgres' EXIT

csv() { # $1 rows, $2 email prefix
    python3 - "$1" "$2" <<'PY'
import sys
rows, prefix = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
out.write("First name,Last name,email,phone,title,custom.tier,tags\r\n")
for i in range(rows):
    out.write(f"Person{i},\"Family, {i % 5000}\",{prefix}{i}@example.com,+1 555 {i % 10000:04d},Engineer,{'gold' if i % 2 else 'silver'},imported;q{i % 4}\r\n")
PY
}

# Peak RSS (MiB) of the server while "$@" runs.
peak_rss() {
    local peak=0 rss
    "$@" &
    local job=$!
    while kill -0 "$job" 2>/dev/null; do
        rss=$(ps -o rss= -p "$bench_pid" | tr -d ' ')
        [ "${rss:-0}" -gt "$peak" ] && peak=$rss
        sleep 0.2
    done
    wait "$job"
    echo $((peak / 1024))
}

# Uploads $1 and waits until the import is done; prints "rows created rejected seconds".
import_file() {
    local id answer status
    id=$(curl -sf "$base/imports?entity=contacts" "${auth[@]}" -H 'content-type: text/csv' --data-binary @"$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    while :; do
        answer=$(curl -sf "$base/imports/$id" "${auth[@]}")
        status=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
        [ "$status" = done ] || [ "$status" = failed ] && break
        sleep 0.2
    done
    echo "$answer" | python3 -c '
import json, sys, datetime
d = json.load(sys.stdin)
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(d["processedRows"], d["createdCount"], d["rejectedCount"], (t(d["finishedAt"]) - t(d["startedAt"])).total_seconds())' >"$work/result"
}

report() { # $1 label, $2 peak MiB
    read -r rows created rejected seconds <"$work/result"
    # Times are whole seconds in the API: at least 1.
    python3 -c "import sys; s=max(float('$seconds'),1); print(f'%-28s %8d rows %8d created %6d rejected %8.1f s %9.0f rows/s  peak RSS %4d MiB' % ('$1', $rows, $created, $rejected, s, $rows/s, $2))"
}

csv "$ROWS" plain >"$work/plain.csv"
echo "file: $ROWS rows, $(($(stat -c %s "$work/plain.csv") / 1024 / 1024)) MiB"
rss=$(peak_rss import_file "$work/plain.csv")
report "import, no hooks" "$rss"

curl -sf -XPUT "$base/scripts/title-case" "${auth[@]}" -H 'content-type: application/json' -d '{"source":
  "return { on = { [\"contacts.beforeCreate\"] = function(event, crm) event.record.title = string.upper(event.record.title or \"\") end } }"}' >/dev/null
csv "$HOOK_ROWS" hooked >"$work/hooked.csv"
rss=$(peak_rss import_file "$work/hooked.csv")
report "import, one Lua before-hook" "$rss"

start=$(date +%s.%N)
rss=$(peak_rss curl -sf "$base/contacts/export.csv" "${auth[@]}" -o "$work/export.csv")
end=$(date +%s.%N)
lines=$(($(wc -l <"$work/export.csv") - 1))
python3 -c "s=$end-$start; print(f'%-28s %8d rows %8.1f s %9.0f rows/s  peak RSS %4d MiB  (%d MiB of CSV)' % ('export', $lines, s, $lines/s, $rss, $(stat -c %s "$work/export.csv") / 1048576))"
