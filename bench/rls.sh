#!/usr/bin/env bash
# Measures what row-level security costs a primary-key read: the same table and query through
# pgbench -M prepared, (a) as the table owner with RLS off, (b) as a non-superuser with
# ENABLE + FORCE RLS and the tenant in a session setting (the server's mechanism), and
# (c) as (b) but setting the tenant with SET LOCAL in a transaction per read (the alternative).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib/test-postgres.sh
start_test_postgres
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
admin="$TEST_DATABASE_URL"
psql -q "$admin" <<'SQL'
CREATE ROLE bench_app LOGIN PASSWORD 'bench' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE bench OWNER bench_app;
SQL
app=$(echo "$admin" | sed 's|//postgres:[^@]*@|//bench_app:bench@|; s|/postgres$|/bench|')
psql -q "$app" <<'SQL'
CREATE FUNCTION crm_current_org() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;
CREATE TABLE plain (org_id uuid NOT NULL, id uuid NOT NULL, name text, PRIMARY KEY (org_id, id));
CREATE TABLE secured (org_id uuid NOT NULL, id uuid NOT NULL, name text, PRIMARY KEY (org_id, id));
INSERT INTO plain SELECT ('00000000-0000-0000-0000-' || lpad((i % 100)::text, 12, '0'))::uuid, gen_random_uuid(), 'n' || i
    FROM generate_series(1, 100000) i;
INSERT INTO secured SELECT * FROM plain;
ALTER TABLE secured ENABLE ROW LEVEL SECURITY; ALTER TABLE secured FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON secured USING (org_id = crm_current_org());
ANALYZE plain; ANALYZE secured;
SQL
id=$(psql -Atq "$app" -c "SELECT id FROM plain WHERE org_id = '00000000-0000-0000-0000-000000000007' LIMIT 1")
org=00000000-0000-0000-0000-000000000007
dir=$(mktemp -d)
echo "SELECT name FROM plain WHERE org_id = '$org' AND id = '$id';" > "$dir/plain.sql"
echo "SELECT name FROM secured WHERE org_id = '$org' AND id = '$id';" > "$dir/rls.sql"
printf "BEGIN;\nSELECT set_config('app.org_id', '%s', true);\nSELECT name FROM secured WHERE org_id = '%s' AND id = '%s';\nCOMMIT;\n" "$org" "$org" "$id" > "$dir/local.sql"
run() { # name file extra-env
    local tps
    tps=$(env "${3:-BENCH=1}" pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" -f "$2" "$app" 2>"$dir/err" | awk '/^tps/ {print int($3)}')
    [ -n "$tps" ] || { echo "pgbench failed:"; tail -3 "$dir/err"; }
    printf "%-44s %10s tps\n" "$1" "$tps"
}
echo "pgbench -M prepared, $CLIENTS clients, ${DURATION}s each"
run "no RLS (owner, plain table)" "$dir/plain.sql"
run "RLS, tenant in session setting (server)" "$dir/rls.sql" "PGOPTIONS=-c app.org_id=$org"
run "RLS, SET LOCAL per read in a transaction" "$dir/local.sql"
rm -rf "$dir"
