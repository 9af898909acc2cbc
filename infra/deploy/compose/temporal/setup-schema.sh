#!/bin/sh
# One-shot before the Temporal server starts (compose service temporal-schema, image
# temporalio/admin-tools of the server's version): creates Temporal's two databases if they are
# missing and brings their schemas to the version the image ships. Safe to run on every `up`: an
# existing database is kept, setup-schema skips a database that already has a schema, and
# update-schema applies only the versions it lacks. The password comes from the compose secret.
set -eu
secrets="${VIGIL_SECRETS_DIR:-/run/secrets}"
SQL_PASSWORD="$(cat "$secrets/temporal-db-password")"
export SQL_PASSWORD
schema_root="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS:-postgres}" -p "${DB_PORT:-5432}" \
    -u "${POSTGRES_USER:-temporal}" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
  database="${pair%%:*}"
  schema="${pair#*:}"
  # create fails when the database exists; any other problem fails setup-schema right after.
  sql_tool --db "$database" create || echo "database $database exists"
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$schema_root/$schema/versioned"
  echo "database $database: schema up to date"
done
