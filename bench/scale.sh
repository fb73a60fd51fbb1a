#!/usr/bin/env bash
# Reads at scale (issue 20): one tenant with BIG contacts (default 1,000,000) beside one with
# SMALL (default 2,000), both with companies, deals and activities in proportion and two custom
# fields filled (bench/sql/seed-tenant.sql), among OTHERS tenants (default 1,000) of 1,000 contacts
# each; then every operation against the small tenant and the big one, back to back, with
# wrk -c4 (latency, not saturation). Prints p50 and p99 in ms for both and their ratio, then the
# export of each tenant in rows/s, and what includeTotal costs.
#   BIG (1000000) · SMALL (2000) · OTHERS (1000) · DURATION (10) · CRM_BIN (bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
BIG=${BIG:-1000000}
SMALL=${SMALL:-2000}
OTHERS=${OTHERS:-1000}
DURATION=${DURATION:-10}
bench_server
work=$(mktemp -d)
trap 'kill $bench_pid 2>/dev/null || true; rm -rf "$work" "$bench_log"; stop_test_postgres' EXIT

# A tenant through the API (owner, default pipeline, custom fields); prints "email org".
tenant() {
    local email="scale-$1@example.com" token org
    token=$(curl -sf -XPOST "$base/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"benchmark-password\",\"name\":\"S\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
    for field in '{"entity":"contacts","key":"tier","label":"Tier","type":"select","options":["gold","silver","bronze"]}' \
        '{"entity":"contacts","key":"score","label":"Score","type":"integer","indexed":true}'; do
        curl -sf "$base/custom-fields" -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "$field" >/dev/null
    done
    org=$(curl -sf "$base/auth/me" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
    echo "$email $org"
}
login() {
    curl -sf -XPOST "$base/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"benchmark-password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}

read -r small_email small_org < <(tenant small)
read -r big_email big_org < <(tenant big)
started=$SECONDS
echo "seeding $OTHERS tenants x 1,000 contacts, then $SMALL and $BIG contacts (+ companies, deals, activities)..." >&2
psql -q "$bench_db_admin" <<SQL
INSERT INTO organizations (id, name) SELECT md5('other' || k)::uuid, 'Tenant ' || k FROM generate_series(1, $OTHERS) k;
INSERT INTO contacts (org_id, id, first_name, last_name, email, created_at, updated_at)
SELECT md5('other' || k)::uuid, gen_random_uuid(), 'Other' || (g % 50), 'Harford' || (g % 7), 'o' || k || '.' || g || '@other.example',
       now() - g * interval '1 second', now() - g * interval '1 second'
FROM generate_series(1, $OTHERS) k, generate_series(1, 1000) g;
SQL
psql -q "$bench_db_admin" -v org="$small_org" -v contacts="$SMALL" -v custom=1 -f bench/sql/seed-tenant.sql
psql -q "$bench_db_admin" -v org="$big_org" -v contacts="$BIG" -v custom=1 -f bench/sql/seed-tenant.sql
# Vacuumed, analysed and checkpointed: otherwise autovacuum and the checkpoint writing the
# seed's gigabytes run during the measurements and their p99s measure the disk.
psql -q "$bench_db_admin" -c "VACUUM ANALYZE" -c "CHECKPOINT"
echo "seeded in $((SECONDS - started)) s; $(psql -Atq "$bench_db_admin" -c "SELECT pg_size_pretty(pg_database_size('bench'))") on disk" >&2

# "p50 p99" in ms of GET/POST $2 (a path under /api/v1) as token $1; $3 an optional wrk script.
measure() {
    local script="$work/request.lua"
    if [ -n "${3:-}" ]; then cp "$3" "$script"; else printf 'wrk.path = "/api/v1%s"\n' "$2" >"$script"; fi
    wrk -t2 -c4 -d"${DURATION}s" --latency -s "$script" -H "Authorization: Bearer $1" "http://127.0.0.1:$port" |
        awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
             /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)} /Non-2xx/ {bad=$NF}
             END {if (bad) print "errors", bad; else printf "%.2f %.2f", p50, p99}'
}
# The cursor of the page 10,000 records deep (100 pages of 100), or of the last page there is.
deep_cursor() {
    python3 - "$base" "$1" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
cursor = None
for _ in range(100):
    url = base + "/contacts?limit=100" + ("&cursor=" + cursor if cursor else "")
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    following = json.load(urllib.request.urlopen(request))["nextCursor"]
    if following is None:
        break
    cursor = following
print(cursor)
PY
}
first_id() {
    curl -sf "$base/contacts?limit=1" -H "Authorization: Bearer $1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])'
}

small_token=$(login "$small_email")
big_token=$(login "$big_email")
small_id=$(first_id "$small_token"); big_id=$(first_id "$big_token")
small_cursor=$(deep_cursor "$small_token"); big_cursor=$(deep_cursor "$big_token")

printf '| %-44s | %13s | %15s | %5s |\n' "operation (wrk -c4, ${DURATION} s each)" "$SMALL p50/p99" "$BIG p50/p99" "×p50"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..15})" "$(printf -- '-%.0s' {1..17})" "-------"
row() { # label, small path, big path[, wrk script]
    local a b
    a=$(measure "$small_token" "$2" "${4:-}"); b=$(measure "$big_token" "$3" "${4:-}")
    read -r a50 a99 <<<"$a"; read -r b50 b99 <<<"$b"
    printf '| %-44s | %13s | %15s | %5s |\n' "$1" "$a50 / $a99" "$b50 / $b99" \
        "$(python3 -c "print(f'{$b50 / $a50:.2f}')" 2>/dev/null || echo "?")"
}
same() { row "$1" "$2" "$2" "${3:-}"; }
row "GET /contacts/{id}" "/contacts/$small_id" "/contacts/$big_id"
same "GET /contacts (first page)" "/contacts"
row "GET /contacts, 10,000 deep (2k: the last page)" "/contacts?cursor=$small_cursor" "/contacts?cursor=$big_cursor"
same "filter[email]" "/contacts?filter%5Bemail%5D=mary.harford21@mail21.example"
same "filter[custom.tier]=gold" "/contacts?filter%5Bcustom.tier%5D=gold"
same "filter[custom.score][gte]=990 (range)" "/contacts?filter%5Bcustom.score%5D%5Bgte%5D=990"
same "sort=-custom.score" "/contacts?sort=-custom.score"
same "sort=lastName" "/contacts?sort=lastName"
same "q=harfo" "/contacts?q=harfo"
same "q=mary harford (two words)" "/contacts?q=mary%20harford"
same "/search?q=harford" "/search?q=harford"
same "/search?q=jonh (typo)" "/search?q=jonh"
same "/search?q=mary harfrod (typo)" "/search?q=mary%20harfrod"
same "/search?q=mail21.example (domain)" "/search?q=mail21.example"
same "/insights/summary" "/insights/summary"
same "POST /contacts" "/contacts" bench/wrk/create-contact.lua
same "GET /contacts?includeTotal=true" "/contacts?includeTotal=true"

for who in small big; do
    token_var="${who}_token"
    start=$(date +%s.%N)
    rows=$(curl -sf "$base/contacts/export.csv" -H "Authorization: Bearer ${!token_var}" | tail -n +2 | wc -l)
    seconds=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
    echo "export of the $who tenant: $rows contacts in $seconds s = $(python3 -c "print(int($rows / $seconds))") rows/s"
done
