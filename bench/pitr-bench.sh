#!/usr/bin/env bash
# PITR benchmark: Vigil side by side with pgBackRest 2.45 on ONE PostgreSQL cluster, in one run.
#
#   bench/pitr-bench.sh
#
# (a) Full base backup, time and stored size:
#       Vigil     a `mode: physical` postgres source backed up by `./vigil demo --sources` (the
#                 embedded stack: Temporal test server, S3Mock, catalog); time = the report's
#                 durationMillis (pg_basebackup, verify, zstd + AEAD, upload, read-back, catalog)
#       pgBackRest `pgbackrest backup --type=full`, compress-type=zst, process-max=2, to a local
#                 posix repository (pgBackRest's S3 driver needs TLS, which S3Mock's HTTP port lacks)
# (b) WAL push under pgbench at full speed, DURATION seconds per workload, for four
#     archive_commands: `vigil wal-push` (sync), `vigil wal-push --spool` (async), `pgbackrest
#     archive-push` (sync) and the same with --archive-async. Vigil pushes to an S3Mock started
#     here. Workloads: pgbench's TPC-B, and a bulk-insert script (the WAL-heavy case).
#     Archive lag = PostgreSQL's .ready files waiting in pg_wal/archive_status, sampled every 0.5 s,
#     and of those the ones no async marker says are stored yet ("not stored").
# (c) PITR restore to a time between two marker rows: `vigil restore --at` vs `pgbackrest restore
#     --type=time` (see measure_pitr_restore).
#
# Environment: BENCH_DIR (default /tmp/vigil-pitr-bench), SCALE (pgbench scale of the backed-up
# database, 20), DURATION (seconds per WAL workload, 20), CLIENTS (2), PARALLEL (vigil wal-push
# --parallel, 4), PGBIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-pitr-bench}"
SCALE="${SCALE:-20}"
DURATION="${DURATION:-20}"
CLIENTS="${CLIENTS:-2}"
PARALLEL="${PARALLEL:-4}"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
S3MOCK="$ROOT/infra/target/embedded/s3mock.jar"
JAVA="$(command -v java)"

BENCH_NAME=pitr-bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
as_pg() { as_server "$@"; }

[[ -x "$PGBIN/initdb" ]] || die "$PGBIN/initdb not found; apt-get install -y postgresql-15 (or set PGBIN)"
command -v jq >/dev/null || die "jq is needed (apt-get install -y jq)"
if ! command -v pgbackrest >/dev/null; then
  log "installing pgbackrest (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y pgbackrest >/dev/null || die "apt-get install -y pgbackrest failed"
fi
PGBR_VERSION="$(pgbackrest version)"

cleanup() {
  set +e
  [[ -f "${PGDATA_DIR:-/nonexistent}/postmaster.pid" ]] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1
  [[ -n "${S3PID:-}" ]] && kill "$S3PID" 2>/dev/null
  [[ -n "${UPPID:-}" ]] && kill -INT "$UPPID" 2>/dev/null
  [[ -f "$BENCH_DIR/pgbr-restored/postmaster.pid" ]] && as_pg "$PGBIN/pg_ctl" -D "$BENCH_DIR/pgbr-restored" -m immediate -w stop >/dev/null 2>&1
}
trap cleanup EXIT

log "building ./vigil if needed"
"$ROOT/vigil" --help >/dev/null 2>&1 || die "./vigil --help failed; build the project first"
[[ -f "$S3MOCK" ]] || die "$S3MOCK missing; run ./vigil --help once"

[[ -f "$BENCH_DIR/pg/postmaster.pid" ]] && as_pg "$PGBIN/pg_ctl" -D "$BENCH_DIR/pg" -m immediate -w stop >/dev/null 2>&1 || true
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"/{logs,segments}
chmod 755 "$BENCH_DIR"
for d in pg pgbr-repo pgbr-log pgbr-lock pgbr-spool vigil-spool cds; do mkdir -p "$BENCH_DIR/$d"; done
[[ $EUID -eq 0 ]] && chown postgres: "$BENCH_DIR"/{pg,pgbr-repo,pgbr-log,pgbr-lock,pgbr-spool,vigil-spool,cds,segments}

# --- S3Mock for Vigil's WAL archive ------------------------------------------------------------
S3PORT="$(free_port)"
"$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -jar "$S3MOCK" --server.port=0 --server.address=127.0.0.1 \
  --com.adobe.testing.s3mock.http-port="$S3PORT" --com.adobe.testing.s3mock.store.root="$BENCH_DIR/s3" \
  --com.adobe.testing.s3mock.store.initial-buckets=wal >"$BENCH_DIR/logs/s3mock.log" 2>&1 &
S3PID=$!
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$S3PORT/" >/dev/null 2>&1 && break; sleep 0.5; done
head -c 32 /dev/urandom | base64 >"$BENCH_DIR/vigil.key"
cat >"$BENCH_DIR/vigil.yaml" <<EOF
repositories:
  main: {endpoint: "http://127.0.0.1:$S3PORT", region: us-east-1, bucket: wal, prefix: bench, path-style-access: true}
encryption:
  key-file: $BENCH_DIR/vigil.key
sources:
  appdb: {type: postgres, host: 127.0.0.1, port: 5432, database: app, user: backup}
EOF
chmod 644 "$BENCH_DIR/vigil.key" "$BENCH_DIR/vigil.yaml"

# --- the cluster -------------------------------------------------------------------------------
PGPORT="$(free_port)"
PGDATA_DIR="$BENCH_DIR/pg"
pg_cluster_init "$PGDATA_DIR" "$PGPORT" postgres "wal_level = replica
archive_mode = on
archive_command = ''
max_wal_size = 4GB
max_wal_senders = 10"
pg_cluster_start "$PGDATA_DIR" "$PGPORT"
PSQL=("$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPORT" -U postgres -qAt -v ON_ERROR_STOP=1)
PG_VERSION="$("${PSQL[@]}" -c 'SHOW server_version')"
log "PostgreSQL $PG_VERSION on port $PGPORT; loading pgbench -i -s $SCALE"
"${PSQL[@]}" -c 'CREATE DATABASE bench' >/dev/null
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres -i -q -s "$SCALE" bench >"$BENCH_DIR/logs/pgbench-init.log" 2>&1
"${PSQL[@]}" -d bench -c 'CREATE TABLE bulk (id int, body text)' >/dev/null
CLUSTER_BYTES="$(du -sb "$PGDATA_DIR" --exclude=pg_wal | cut -f1)"

# --- pgBackRest --------------------------------------------------------------------------------
PGBR_CONF="$BENCH_DIR/pgbackrest.conf"
cat >"$PGBR_CONF" <<EOF
[global]
repo1-path=$BENCH_DIR/pgbr-repo
repo1-retention-full=10
compress-type=zst
process-max=2
start-fast=y
log-level-console=warn
log-level-file=info
log-path=$BENCH_DIR/pgbr-log
lock-path=$BENCH_DIR/pgbr-lock
spool-path=$BENCH_DIR/pgbr-spool

[bench]
pg1-path=$PGDATA_DIR
pg1-port=$PGPORT
pg1-socket-path=$PGDATA_DIR
pg1-user=postgres
EOF
chmod 644 "$PGBR_CONF"
PGBR=(pgbackrest "--config=$PGBR_CONF" --stanza=bench)
as_pg "${PGBR[@]}" stanza-create >"$BENCH_DIR/logs/pgbr-stanza.log" 2>&1 || { cat "$BENCH_DIR/logs/pgbr-stanza.log" >&2; die "pgbackrest stanza-create failed"; }

# --- archive_commands --------------------------------------------------------------------------
# Vigil through its launcher, with the AppCDS archive the README recommends (made once, here).
first_seg="$(ls "$PGDATA_DIR/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -1)"
cp "$PGDATA_DIR/pg_wal/$first_seg" "$BENCH_DIR/segments/000000090000000000000001"
chmod 644 "$BENCH_DIR/segments/000000090000000000000001"
as_pg env AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
  VIGIL_JAVA_OPTS="-XX:ArchiveClassesAtExit=$BENCH_DIR/cds/vigil.jsa" \
  "$ROOT/vigil" wal-push "$BENCH_DIR/segments/000000090000000000000001" \
  --config "$BENCH_DIR/vigil.yaml" --source appdb >"$BENCH_DIR/logs/cds.log" 2>&1 || die "wal-push for the AppCDS archive failed (log: $BENCH_DIR/logs/cds.log)"
for mode in sync async; do
  extra=""
  [[ $mode == async ]] && extra="--spool $BENCH_DIR/vigil-spool --parallel $PARALLEL"
  cat >"$BENCH_DIR/vigil-$mode.sh" <<EOF
#!/bin/sh
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench VIGIL_JAVA_OPTS="-XX:SharedArchiveFile=$BENCH_DIR/cds/vigil.jsa -Xshare:auto"
exec $ROOT/vigil wal-push "\$1" --config $BENCH_DIR/vigil.yaml --source appdb $extra
EOF
  chmod 755 "$BENCH_DIR/vigil-$mode.sh"
done
declare -A COMMANDS=(
  [vigil-sync]="$BENCH_DIR/vigil-sync.sh %p"
  [vigil-async]="$BENCH_DIR/vigil-async.sh %p"
  [pgbackrest-sync]="pgbackrest --config=$PGBR_CONF --stanza=bench archive-push %p"
  [pgbackrest-async]="pgbackrest --config=$PGBR_CONF --stanza=bench --archive-async archive-push %p"
)
VARIANTS=(vigil-sync vigil-async pgbackrest-sync pgbackrest-async)

archive_with() { # variant
  "${PSQL[@]}" -c "ALTER SYSTEM SET archive_command = '${COMMANDS[$1]}'" -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 1
}
ready_count() { find "$PGDATA_DIR/pg_wal/archive_status" -name '*.ready' 2>/dev/null | wc -l; }
# Ready files whose bytes are not stored yet: an async push's marker (Vigil: vigil-spool/appdb/
# <name>.ok; pgBackRest: its spool's archive/bench/out/<name>.ok) means stored, not yet acknowledged.
unstored_count() { # variant
  local markers="" n=0 f name
  case $1 in
    vigil-async) markers="$BENCH_DIR/vigil-spool/appdb" ;;
    pgbackrest-async) markers="$BENCH_DIR/pgbr-spool/archive/bench/out" ;;
  esac
  for f in "$PGDATA_DIR"/pg_wal/archive_status/*.ready; do
    [[ -e "$f" ]] || continue
    name="${f##*/}"
    [[ -n "$markers" && -e "$markers/${name%.ready}.ok" ]] || n=$((n + 1))
  done
  echo "$n"
}
wait_archived() { # timeout seconds; 0 when no .ready file is left
  local deadline=$(( $(date +%s) + $1 ))
  "${PSQL[@]}" -c 'SELECT pg_switch_wal()' >/dev/null
  while (( $(ready_count) > 0 )); do
    (( $(date +%s) > deadline )) && return 1
    sleep 0.2
  done
}
archiver() { "${PSQL[@]}" -F' ' -c 'SELECT archived_count, failed_count FROM pg_stat_archiver'; }
lsn_bytes() { "${PSQL[@]}" -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"; }

# --- (a) full base backups ---------------------------------------------------------------------
archive_with pgbackrest-sync # pgBackRest's backup waits for its WAL in its own archive
wait_archived 120 || die "pgbackrest archive-push does not drain the archive (log: $BENCH_DIR/pgbr-log)"
"${PSQL[@]}" -c CHECKPOINT >/dev/null

log "(a) pgbackrest backup --type=full"
t0="$(now)"
as_pg "${PGBR[@]}" backup --type=full >"$BENCH_DIR/logs/pgbr-backup.log" 2>&1 || { cat "$BENCH_DIR/logs/pgbr-backup.log" >&2; die "pgbackrest backup failed"; }
PGBR_BACKUP_S="$(calc "$(now) - $t0" 3)"
PGBR_BACKUP_BYTES="$(as_pg "${PGBR[@]}" info --output=json | jq '.[0].backup[-1].info.repository.delta')"

log "(a) Vigil physical backup (./vigil demo --sources, embedded stack)"
echo dummy >"$BENCH_DIR/pg-password"
chmod 600 "$BENCH_DIR/pg-password"
cat >"$BENCH_DIR/sources.yaml" <<EOF
sources:
  bench-physical:
    type: postgres
    mode: physical
    checkpoint: fast
    host: 127.0.0.1
    port: $PGPORT
    database: bench
    user: postgres
    password-file: $BENCH_DIR/pg-password
EOF
(cd "$ROOT" && VIGIL_JAVA_OPTS="-Xmx512m" ./vigil demo --sources "$BENCH_DIR/sources.yaml" \
  --report "$BENCH_DIR/vigil-backup.json" --work-dir "$BENCH_DIR/vigil-work") >"$BENCH_DIR/logs/vigil-backup.log" 2>&1 || true
[[ -s "$BENCH_DIR/vigil-backup.json" ]] || { tail -n 30 "$BENCH_DIR/logs/vigil-backup.log" >&2; die "vigil demo wrote no report"; }
[[ "$(jq -r '.sources[0].verified' "$BENCH_DIR/vigil-backup.json")" == true ]] || die "Vigil's physical backup did not verify (log: $BENCH_DIR/logs/vigil-backup.log)"
VIGIL_BACKUP_S="$(jq -r '.durationMillis / 1000' "$BENCH_DIR/vigil-backup.json")"
VIGIL_BACKUP_BYTES="$(jq -r '.sources[0].storedBytes' "$BENCH_DIR/vigil-backup.json")"
VIGIL_STEPS="$(jq -r '.sources[0].stepMillis // {} | to_entries | map("\(.key) \(.value / 1000)s") | join(", ")' "$BENCH_DIR/vigil-backup.json")"
rm -rf "$BENCH_DIR/vigil-work"

# --- (c) PITR restore --------------------------------------------------------------------------
# `vigil restore --at T --fresh-cluster` (physical) vs `pgbackrest restore --type=time`, both to
# the same target time T between two marker rows, each from a full base backup taken before T with
# the WAL after it archived to both (one archive_command runs both pushes). Vigil's time is the
# whole command (select, fetch WAL, download, verify, decrypt, unpack, replay, promote, validate);
# pgBackRest's is its restore plus starting a server on the result until it has promoted. Vigil
# runs on an embedded stack (`vigil up --sources`) whose S3Mock holds its base backup and WAL.
# Sets PITR_RESULT (one printable line) and PITR_RATIO (Vigil / pgBackRest).
measure_pitr_restore() {
  PITR_RESULT="not measured (see $BENCH_DIR/logs/pitr-*.log)"
  PITR_RATIO=""
  local up="$BENCH_DIR/vigil-up" cfg="$BENCH_DIR/pitr-cfg" target_pg target_iso t0 port dir
  log "(c) PITR restore: starting an embedded stack with the physical source"
  cat >"$BENCH_DIR/pitr-sources.yaml" <<YAML
sources:
  bench-physical:
    type: postgres
    mode: physical
    checkpoint: fast
    host: 127.0.0.1
    port: $PGPORT
    database: bench
    user: postgres
    password-file: $BENCH_DIR/pg-password
YAML
  (cd "$ROOT" && VIGIL_JAVA_OPTS="-Xmx1g" exec ./vigil up --work-dir "$up" --sources "$BENCH_DIR/pitr-sources.yaml") \
    >"$BENCH_DIR/logs/pitr-up.log" 2>&1 &
  UPPID=$!
  for _ in $(seq 240); do grep -q "embedded stack is up" "$BENCH_DIR/logs/pitr-up.log" && break; sleep 0.5; done
  grep -q "embedded stack is up" "$BENCH_DIR/logs/pitr-up.log" || { tail -n 20 "$BENCH_DIR/logs/pitr-up.log" >&2; return 0; }
  # The archiver runs as the server's user: a copy of the stack's config and secrets it can read.
  rm -rf "$cfg" && mkdir -p "$cfg" && cp -r "$up/secrets" "$cfg/" && cp "$BENCH_DIR/pg-password" "$cfg/secrets/"
  sed -e "s#$up/secrets/#$cfg/secrets/#g" -e "s#$BENCH_DIR/pg-password#$cfg/secrets/pg-password#g" \
    "$up/vigil.yaml" >"$cfg/vigil.yaml"
  [[ $EUID -eq 0 ]] && chown -R postgres: "$cfg"
  # pgBackRest refuses to back up unless archive_command names it: the wrapper does.
  cat >"$BENCH_DIR/pgbackrest-and-vigil-archive.sh" <<SCRIPT
#!/bin/sh
pgbackrest --config=$PGBR_CONF --stanza=bench archive-push "\$1" || exit \$?
export VIGIL_JAVA_OPTS="-XX:SharedArchiveFile=$BENCH_DIR/cds/vigil.jsa -Xshare:auto"
exec $ROOT/vigil wal-push "\$1" --config $cfg/vigil.yaml --source bench-physical --spool $BENCH_DIR/vigil-spool --parallel $PARALLEL
SCRIPT
  chmod 755 "$BENCH_DIR/pgbackrest-and-vigil-archive.sh"
  COMMANDS[pitr]="$BENCH_DIR/pgbackrest-and-vigil-archive.sh %p"
  archive_with pitr
  wait_archived 300 || { log "(c) the archive does not drain"; return 0; }
  log "(c) base backups: pgbackrest --type=full and vigil backup (physical)"
  as_pg "${PGBR[@]}" backup --type=full >"$BENCH_DIR/logs/pitr-pgbr-backup.log" 2>&1 || return 0
  (cd "$ROOT" && ./vigil backup --config "$up/vigil.yaml" --source bench-physical --quiet) \
    >"$BENCH_DIR/logs/pitr-vigil-backup.log" 2>&1 || { tail -n 5 "$BENCH_DIR/logs/pitr-vigil-backup.log" >&2; return 0; }
  log "(c) WAL after the backups: pgbench ${DURATION} s, marker A, target time, marker B"
  "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres -n -c "$CLIENTS" -T "$DURATION" bench >"$BENCH_DIR/logs/pitr-pgbench.log" 2>&1
  "${PSQL[@]}" -d bench -c 'CREATE TABLE IF NOT EXISTS pitr_marks (mark text)' -c "INSERT INTO pitr_marks VALUES ('A')" >/dev/null
  sleep 1
  # One instant, written the way each tool takes it.
  target_pg="$("${PSQL[@]}" -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")"
  target_iso="${target_pg% *}T${target_pg#* }"
  target_iso="${target_iso%+00}Z"
  sleep 1
  "${PSQL[@]}" -d bench -c "INSERT INTO pitr_marks VALUES ('B')" >/dev/null
  "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres -n -c "$CLIENTS" -T 5 bench >>"$BENCH_DIR/logs/pitr-pgbench.log" 2>&1
  wait_archived 300 || { log "(c) the archive does not drain"; return 0; }
  PITR_SEGMENTS="$(find "$up/s3" -name '*.vgl' -path '*/wal/*' 2>/dev/null | wc -l)"

  log "(c) pgbackrest restore --type=time --target='$target_pg' + start until promoted"
  dir="$BENCH_DIR/pgbr-restored"
  rm -rf "$dir" && mkdir -p "$dir" && chmod 700 "$dir"
  [[ $EUID -eq 0 ]] && chown postgres: "$dir"
  port="$(free_port)"
  t0="$(now)"
  as_pg "${PGBR[@]}" restore "--pg1-path=$dir" --type=time "--target=$target_pg" --target-action=promote \
    >"$BENCH_DIR/logs/pitr-pgbr-restore.log" 2>&1 || { cat "$BENCH_DIR/logs/pitr-pgbr-restore.log" >&2; return 0; }
  as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$BENCH_DIR/pgbr-log/restored-server.log" -w -t 600 \
    -o "-p $port -c archive_mode=off -c unix_socket_directories=$dir -c listen_addresses=127.0.0.1" start >/dev/null \
    || { tail -n 5 "$BENCH_DIR/pgbr-log/restored-server.log" >&2; return 0; }
  until [[ "$("$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$port" -U postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" == f ]]; do sleep 0.1; done
  PGBR_PITR_S="$(calc "$(now) - $t0" 3)"
  PGBR_MARKS="$("$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$port" -U postgres -d bench -c "SELECT string_agg(mark, ',' ORDER BY mark) FROM pitr_marks")"
  as_pg "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null

  log "(c) vigil restore --at $target_iso --fresh-cluster"
  t0="$(now)"
  (cd "$ROOT" && ./vigil restore --config "$up/vigil.yaml" --source bench-physical --at "$target_iso" --fresh-cluster --json) \
    >"$BENCH_DIR/pitr-vigil-restore.json" 2>"$BENCH_DIR/logs/pitr-vigil-restore.log" || { tail -n 5 "$BENCH_DIR/logs/pitr-vigil-restore.log" >&2; return 0; }
  VIGIL_PITR_S="$(calc "$(now) - $t0" 3)"
  VIGIL_PITR_STATUS="$(jq -r '.[0].status' "$BENCH_DIR/pitr-vigil-restore.json")"
  kill -INT "$UPPID" 2>/dev/null; wait "$UPPID" 2>/dev/null || true
  PITR_RATIO="$(calc "$VIGIL_PITR_S / $PGBR_PITR_S")"
  PITR_RESULT="to $target_iso over $PITR_SEGMENTS archived WAL files: Vigil ${VIGIL_PITR_S}s ($VIGIL_PITR_STATUS), pgBackRest ${PGBR_PITR_S}s (marks present: $PGBR_MARKS), ratio $PITR_RATIO"
}

# --- (b) WAL push under pgbench ----------------------------------------------------------------
cat >"$BENCH_DIR/bulk.sql" <<'EOF'
INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
EOF
RESULTS="$BENCH_DIR/wal-results.txt"
: >"$RESULTS"
under_load() { # variant workload
  local variant=$1 workload=$2 max_lag=0 max_unstored=0 lag unstored start elapsed catchup a0 f0 a1 f1 l0 l1 tps
  local -a args=(-c "$CLIENTS" -j "$CLIENTS" -T "$DURATION")
  [[ $workload == bulk ]] && args+=(-n -f "$BENCH_DIR/bulk.sql")
  "${PSQL[@]}" -d bench -c 'TRUNCATE bulk' >/dev/null
  archive_with "$variant"
  wait_archived 300 || die "$variant: the archive does not drain before the run"
  read -r a0 f0 < <(archiver)
  l0="$(lsn_bytes)"
  start="$(now)"
  "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres "${args[@]}" bench >"$BENCH_DIR/logs/pgbench-$variant-$workload.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    lag="$(ready_count)"
    unstored="$(unstored_count "$variant")"
    (( lag > max_lag )) && max_lag=$lag
    (( unstored > max_unstored )) && max_unstored=$unstored
    sleep 0.5
  done
  wait "$pid" || die "pgbench failed (log: $BENCH_DIR/logs/pgbench-$variant-$workload.log)"
  elapsed="$(calc "$(now) - $start" 3)"
  l1="$(lsn_bytes)"
  start="$(now)"
  wait_archived 600 || die "$variant: the archive did not catch up within 10 minutes"
  catchup="$(calc "$(now) - $start" 3)"
  read -r a1 f1 < <(archiver)
  tps="$(grep -E '^tps' "$BENCH_DIR/logs/pgbench-$variant-$workload.log" | head -1 | awk '{printf "%.0f", $3}')"
  printf '%s %s %s %s %s %s %s %s %s\n' "$variant" "$workload" \
    "$(calc "($l1 - $l0) / 16777216 / $elapsed")" \
    "$(calc "($a1 - $a0) / ($elapsed + $catchup)")" \
    "$max_lag" "$max_unstored" "$catchup" "$((f1 - f0))" "$tps" >>"$RESULTS"
  log "(b) $variant $workload: max lag $max_lag ($max_unstored not stored), catch-up ${catchup}s, failures $((f1 - f0)), $tps tps"
}
for workload in tpcb bulk; do
  for variant in "${VARIANTS[@]}"; do
    log "(b) $variant under pgbench ($workload, ${DURATION}s, $CLIENTS clients)"
    under_load "$variant" "$workload"
  done
done
measure_pitr_restore

# --- report ------------------------------------------------------------------------------------
max_lag_of() { awk -v v="$1" '$1 == v && $5 > m { m = $5 } END { print m + 0 }' "$RESULTS"; }
max_unstored_of() { awk -v v="$1" '$1 == v && $6 > m { m = $6 } END { print m + 0 }' "$RESULTS"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi; }
TIME_RATIO="$(calc "$VIGIL_BACKUP_S / $PGBR_BACKUP_S")"
SIZE_RATIO="$(calc "$VIGIL_BACKUP_BYTES / $PGBR_BACKUP_BYTES")"
{
  echo
  echo "Vigil PITR benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "PostgreSQL $PG_VERSION, $PGBR_VERSION (compress-type=zst, process-max=2, posix repo), cluster $(mib "$CLUSTER_BYTES") without pg_wal (pgbench scale $SCALE)"
  echo
  echo "(a) full base backup        seconds    stored"
  printf '    %-22s %8.2f    %s\n' "Vigil (physical)" "$VIGIL_BACKUP_S" "$(mib "$VIGIL_BACKUP_BYTES")"
  printf '    %-22s %8.2f    %s\n' "pgbackrest --type=full" "$PGBR_BACKUP_S" "$(mib "$PGBR_BACKUP_BYTES")"
  echo "    Vigil / pgBackRest: time $TIME_RATIO, size $SIZE_RATIO"
  echo "    Vigil steps: $VIGIL_STEPS"
  echo
  echo "(b) WAL push under pgbench, ${DURATION} s per run, $CLIENTS clients, sampled every 0.5 s: max lag = .ready files"
  echo "    waiting (PostgreSQL's view); not stored = of those, without an async marker (bytes not in the archive yet)"
  printf '    %-18s %-9s %10s %11s %8s %11s %10s %9s %6s\n' archive_command workload "WAL seg/s" "archived/s" "max lag" "not stored" "catch-up" failures tps
  while read -r variant workload written archived lag unstored catchup failures tps; do
    printf '    %-18s %-9s %10s %11s %8s %11s %9ss %9s %6s\n' "$variant" "$workload" "$written" "$archived" "$lag" "$unstored" "$catchup" "$failures" "$tps"
  done <"$RESULTS"
  echo
  echo "(c) PITR restore: $PITR_RESULT"
  echo
  echo "Targets:"
  echo "  $(verdict "$TIME_RATIO <= 1.2")  base backup time <= 1.2x pgBackRest: Vigil ${VIGIL_BACKUP_S}s / pgBackRest ${PGBR_BACKUP_S}s = $TIME_RATIO"
  for variant in vigil-async vigil-sync; do
    echo "  $(verdict "$(max_lag_of "$variant") < 3")  wal-push lag < 3 segments ($variant): largest lag $(max_lag_of "$variant"), of which not stored $(max_unstored_of "$variant") (pgbackrest-sync $(max_lag_of pgbackrest-sync), pgbackrest-async $(max_lag_of pgbackrest-async)/$(max_unstored_of pgbackrest-async))"
  done
  if [[ -n "$PITR_RATIO" ]]; then
    echo "  $(verdict "$PITR_RATIO <= 1.5")  PITR restore <= 1.5x pgBackRest: $PITR_RATIO"
  fi
} | tee "$BENCH_DIR/results.txt"
