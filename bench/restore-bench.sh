#!/usr/bin/env bash
# Vigil restore benchmark: a bare pg_restore -j2 from a local file vs a full Vigil restore.
#
#   bench/restore-bench.sh [SCALE]             (default scale: 50)
#
# Loads a pgbench database of SCALE into a throwaway PostgreSQL cluster, then times side by side:
#   (a) pg_restore -j2 of a local uncompressed dump (pg_dump -Fc -Z0 -f FILE, not timed) into a
#       fresh database: the floor, nothing downloaded, nothing checked
#   (b) a Vigil restore of a Vigil backup of the same database (vigil bench-restore): download from
#       the embedded S3 -> SHA-256 + manifest HMAC check -> decrypt + zstd -> pg_restore -j2 into a
#       fresh cluster Vigil starts (initdb included) -> row-count validation -> catalog record
# and prints both, the ratio (b)/(a) and the verdict against the target (b)/(a) <= 1.5.
#
# Environment: BENCH_DIR (default /tmp/vigil-restore-bench), BENCH_JAVA_OPTS (default -Xmx512m),
# PGBIN (default: newest /usr/lib/postgresql/*/bin), VIGIL_HOME (the checkout whose ./vigil runs),
# JOBS (pg_restore -j, default 2), TARGET_RATIO (default 1.5).
set -euo pipefail

ROOT="$(cd "${VIGIL_HOME:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-restore-bench}"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xmx512m}"
JOBS="${JOBS:-2}"
TARGET_RATIO="${TARGET_RATIO:-1.5}"
SCALE="${1:-50}"

die() { echo "restore-bench: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

[[ "$SCALE" =~ ^[1-9][0-9]*$ ]] || die "scale '$SCALE' is not a positive integer"
command -v jq >/dev/null || die "jq is needed (apt-get install -y jq)"
command -v java >/dev/null || die "java is needed (a JDK 17 or newer)"
if [[ -z "${PGBIN:-}" ]]; then
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fi
for tool in initdb pg_ctl psql pgbench pg_dump pg_restore; do
  [[ -x "$PGBIN/$tool" ]] || die "$PGBIN/$tool not found; install PostgreSQL or set PGBIN"
done
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user for the server"
  as_server() { runuser -u postgres -- "$@"; }
else
  as_server() { "$@"; }
fi

mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
SECRETS="$BENCH_DIR/secrets"
CLUSTER="$(mktemp -d /tmp/vigil-restore-bench-cluster.XXXXXX)"
PGDATA_DIR="$CLUSTER/data"
LOGS="$BENCH_DIR/logs"
DUMP="$BENCH_DIR/baseline.pgc"

stop_cluster() {
  if [[ -f "$PGDATA_DIR/postmaster.pid" ]]; then
    as_server "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
}
cleanup() {
  local rc=$?
  set +e
  stop_cluster
  rm -rf "$CLUSTER" "$SECRETS" "$DUMP" "$BENCH_DIR/vigil-work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$LOGS" "$SECRETS"
mkdir -p "$LOGS"
(umask 077 && mkdir -p "$SECRETS")
chmod 755 "$CLUSTER"
[[ $EUID -eq 0 ]] && chown postgres: "$CLUSTER"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free TCP port found"
}

# --- the cluster (as in backup-bench.sh) -----------------------------------------------------
PORT="$(free_port)"
PASSWORD="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PASSWORD_FILE="$SECRETS/pg-password"
PGPASS_FILE="$SECRETS/pgpass"
(umask 077 && printf '%s\n' "$PASSWORD" >"$PASSWORD_FILE" && printf '127.0.0.1:%s:*:bench:%s\n' "$PORT" "$PASSWORD" >"$PGPASS_FILE")
(umask 077 && printf '%s\n' "$PASSWORD" >"$CLUSTER/pwfile")
[[ $EUID -eq 0 ]] && chown postgres: "$CLUSTER/pwfile"
log "initdb ($PGBIN) in $PGDATA_DIR, port $PORT"
as_server "$PGBIN/initdb" -D "$PGDATA_DIR" -U bench --pwfile="$CLUSTER/pwfile" \
  --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C -N \
  >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
rm -f "$CLUSTER/pwfile"
# The same settings Vigil's fresh clusters run with, so both restores write alike.
as_server tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOC

# vigil restore-bench: a throwaway cluster on loopback
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$CLUSTER'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 8GB
EOC
as_server "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$CLUSTER/server.log" -w -t 120 start >/dev/null \
  || { as_server cat "$CLUSTER/server.log" >&2 || true; die "the cluster did not start"; }
pgc() { env PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=bench PGPASSFILE="$PGPASS_FILE" PGAPPNAME=restore-bench "$@"; }
sql() { pgc "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
PG_VERSION="$(sql postgres 'SHOW server_version')"

log "warming up $ROOT/vigil (builds on first use)"
(cd "$ROOT" && ./vigil --help >"$LOGS/vigil-build.log" 2>&1) || { tail -n 30 "$LOGS/vigil-build.log" >&2; die "./vigil --help failed"; }

DB="bench_s$SCALE"
log "loading $DB (pgbench -i -s $SCALE -q)"
sql postgres "CREATE DATABASE $DB" >/dev/null
pgc "$PGBIN/pgbench" -i -s "$SCALE" -q "$DB" >"$LOGS/pgbench.log" 2>&1 || { tail -n 20 "$LOGS/pgbench.log" >&2; die "pgbench -i failed"; }
sql "$DB" 'VACUUM ANALYZE' >/dev/null
DB_BYTES="$(sql postgres "SELECT pg_database_size('$DB')")"

# --- (a) the floor: pg_restore -j from a local uncompressed dump -------------------------------
log "(a) pg_dump -Fc -Z0 -f FILE (not timed), then pg_restore -j$JOBS into a fresh database"
pgc "$PGBIN/pg_dump" -Fc -Z0 -d "$DB" -f "$DUMP"
sql postgres "CREATE DATABASE restored_baseline" >/dev/null
t0="$(now)"
pgc "$PGBIN/pg_restore" -j "$JOBS" --no-owner --exit-on-error -d restored_baseline "$DUMP"
A_S="$(elapsed "$t0" "$(now)")"
DUMP_BYTES="$(stat -c %s "$DUMP")"
sql postgres "DROP DATABASE restored_baseline" >/dev/null
rm -f "$DUMP"

# --- (b) Vigil: back up, then restore into a fresh cluster -------------------------------------
SOURCES="$BENCH_DIR/sources.yaml"
cat >"$SOURCES" <<EOS
sources:
  $DB:
    type: postgres
    host: 127.0.0.1
    port: $PORT
    database: $DB
    user: bench
    password-file: $PASSWORD_FILE
EOS
REPORT="$BENCH_DIR/vigil-restore-report.json"
rm -f "$REPORT"
log "(b) vigil bench-restore (backup, then restore -j$JOBS into a fresh cluster)"
if ! (cd "$ROOT" && VIGIL_JAVA_OPTS="$BENCH_JAVA_OPTS" ./vigil bench-restore --sources "$SOURCES" \
  --report "$REPORT" --jobs "$JOBS" --work-dir "$BENCH_DIR/vigil-work") >"$LOGS/vigil.log" 2>&1; then
  tail -n 40 "$LOGS/vigil.log" >&2
  die "vigil bench-restore failed (log: $LOGS/vigil.log)"
fi
[[ "$(jq -r .validated "$REPORT")" == true ]] || die "Vigil's restore did not validate (log: $LOGS/vigil.log)"
B_S="$(jq -r '.restoreMillis / 1000' "$REPORT")"
RATIO="$(awk -v a="$A_S" -v b="$B_S" 'BEGIN { printf "%.2f", b / a }')"
VERDICT="$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r <= t) ? "PASS" : "MISS" }')"

{
  echo
  echo "Vigil restore benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, PostgreSQL $PG_VERSION, pg_restore -j$JOBS"
  echo "== scale $SCALE: $DB, $(awk -v b="$DB_BYTES" 'BEGIN { printf "%.1f MiB", b / 1048576 }') (pg_database_size), dump $(awk -v b="$DUMP_BYTES" 'BEGIN { printf "%.1f MiB", b / 1048576 }')"
  echo "   (a) pg_restore -j$JOBS from a local -Z0 dump into a fresh database   ${A_S}s"
  echo "   (b) Vigil restore into a fresh cluster                             ${B_S}s   (stored $(jq -r '.storedBytes / 1048576 | . * 10 | floor / 10' "$REPORT") MiB, backup took $(jq -r '.backupMillis / 1000' "$REPORT")s)"
  echo "       steps: $(jq -r '.restoreStepMillis | to_entries | map("\(.key) \(.value / 1000)s") | join(", ")' "$REPORT")"
  echo "   (b)/(a) = $RATIO"
  echo
  echo "Verdict: $VERDICT  restore: Vigil's restore <= ${TARGET_RATIO}x a bare pg_restore -j$JOBS ((b)/(a) = $RATIO)"
} | tee "$BENCH_DIR/results.txt"
