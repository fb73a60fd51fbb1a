#!/usr/bin/env bash
# Insights at scale: one tenant with DEALS deals (default 100,000) spread over the default
# pipeline's stages and three currencies, each with its current stage entry, plus DEALS/5
# activities and DEALS/5 contacts (seeded in SQL in the API's shapes, so the insights' counters
# are kept by the same triggers as the API's writes); then wrk on
# GET /insights/summary, /insights/pipeline and /insights/activities. Prints req/s, p50, p99.
#   DEALS (100000) · DURATION (10) · CRM_BIN (bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DEALS=${DEALS:-100000}
bench_server
token=$(bench_token insights)
org=$(curl -sf "$base/auth/me" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
psql -q "$bench_db_admin" <<SQL
WITH s AS (SELECT array_agg(id ORDER BY position) AS ids, array_agg(kind ORDER BY position) AS kinds, min(pipeline_id::text)::uuid AS pipeline
           FROM stages WHERE org_id = '$org'),
     n AS (SELECT g, (g % 6) + 1 AS i FROM generate_series(1, $DEALS) g)
INSERT INTO deals (org_id, id, name, amount, currency, pipeline_id, stage_id, status, created_at, stage_entered_at)
SELECT '$org', gen_random_uuid(), 'Deal ' || g, (g % 997) * 10.25, (ARRAY['USD','EUR','GBP'])[g % 3 + 1], s.pipeline, s.ids[i], s.kinds[i],
       now() - (g % 200) * interval '1 day', now() - (g % 200) * interval '1 day'
FROM n, s;
INSERT INTO deal_stage_history (org_id, deal_id, stage_id, entered_at)
SELECT org_id, id, stage_id, stage_entered_at FROM deals WHERE org_id = '$org';
INSERT INTO activities (org_id, id, type, subject, due_at, completed_at)
SELECT '$org', gen_random_uuid(), 'task', 'Task ' || g, now() + (g % 40 - 30) * interval '1 day',
       CASE WHEN g % 4 = 0 THEN now() - (g % 10) * interval '1 day' END
FROM generate_series(1, $((DEALS / 5))) g;
INSERT INTO contacts (org_id, id, last_name, created_at)
SELECT '$org', gen_random_uuid(), 'Contact ' || g, now() - (g % 90) * interval '1 day' FROM generate_series(1, $((DEALS / 5))) g;
ANALYZE;
SQL
printf '%-26s %10s %10s %10s %8s\n' "insights ($DEALS deals)" "req/s" p50 p99 non-2xx
for path in summary pipeline activities; do
    script=$(mktemp --suffix=.lua)
    printf 'wrk.path = "/api/v1/insights/%s"\nwrk.headers["Authorization"] = "Bearer %s"\n' "$path" "$token" >"$script"
    printf '%-26s %s\n' "GET /insights/$path" "$(bench_wrk "$script")"
    rm -f "$script"
done
