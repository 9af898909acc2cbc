#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume: one login role and
# database per tenant, passwords read from compose secrets (never in the environment or here).
# Compose's temporal-schema job creates Temporal's databases (temporal, temporal_visibility) as this
# role: CREATEDB.
set -eu
secrets="${VIGIL_SECRETS_DIR:-/run/secrets}"
temporal_password="$(cat "$secrets/temporal-db-password")"
catalog_password="$(cat "$secrets/catalog-db-password")"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$temporal_password" -v catalog_password="$catalog_password" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE vigil LOGIN PASSWORD :'catalog_password';
CREATE DATABASE vigil_catalog OWNER vigil;
REVOKE ALL ON DATABASE vigil_catalog FROM PUBLIC;
SQL
