#!/bin/bash
# Run once by the postgres image, on the first start of an empty data volume
# (/docker-entrypoint-initdb.d): creates the role crm connects as and its database. The role is
# neither superuser nor BYPASSRLS, or row-level security would not hold (the server refuses such
# a role at start); it owns the database, so its migrations can create tables and pg_trgm.
set -euo pipefail
: "${CRM_DB_PASSWORD:?CRM_DB_PASSWORD is not set (see .env.example)}"

# The password goes through a psql variable and format(%L), so any character in it is quoted.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v app_password="$CRM_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE crm_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L',
              :'app_password') \gexec
CREATE DATABASE crm OWNER crm_app ENCODING 'UTF8';
REVOKE ALL ON DATABASE crm FROM PUBLIC;
SQL
