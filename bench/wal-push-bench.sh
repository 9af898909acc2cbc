#!/usr/bin/env bash
# WAL archiving benchmark: what one `vigil wal-push` of a 16 MiB segment costs end to end, and
# whether archive_command keeps up with pgbench on this machine.
#
#   bench/wal-push-bench.sh
#
# 1. Times wal-push of real 16 MiB segments (REPEAT each) to S3Mock, started four ways:
#      launcher   ./vigil wal-push ...               (the launcher's build check + default JVM)
#      java       java -cp JAR:LIB/* ... wal-push     (no launcher)
#      c1         java -XX:TieredStopAtLevel=1 ...   (client compiler only)
#      c1+cds     the same with an AppCDS archive    (-XX:SharedArchiveFile, made once here)
#    and a second push of an already archived segment (the idempotent path) with c1+cds.
# 2. Runs pgbench (CLIENTS clients, DURATION seconds), then its bulk load (pgbench -i), on a
#    cluster whose archive_command is the c1+cds wal-push; samples the archive lag (segments
#    written but not yet archived) every second and prints the largest lag, and how long the
#    archiver needs to finish after pgbench ends.
#
# Environment: BENCH_DIR (default /tmp/vigil-wal-bench), REPEAT (3), DURATION (60), CLIENTS (2),
# SCALE (10), PGBIN (default: newest /usr/lib/postgresql/*/bin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-wal-bench}"
REPEAT="${REPEAT:-3}"
DURATION="${DURATION:-60}"
CLIENTS="${CLIENTS:-2}"
SCALE="${SCALE:-10}"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
JAR="$ROOT/infra/target/vigil-infra-0.1.0-SNAPSHOT.jar"
LIB="$ROOT/infra/target/lib"
S3MOCK="$ROOT/infra/target/embedded/s3mock.jar"
JAVA="$(command -v java)"

BENCH_NAME=wal-push-bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
as_pg() { as_server "$@"; }
segno() { echo $(( 16#${1:8:8} * 256 + 16#${1:16:8} )); }

cleanup() {
  [[ -n "${PGDATA_DIR:-}" ]] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  [[ -n "${S3PID:-}" ]] && kill "$S3PID" 2>/dev/null || true
}
trap cleanup EXIT

"$ROOT/vigil" --version >/dev/null # builds the CLI if sources changed
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/segments"
chmod 755 "$BENCH_DIR"

S3PORT=$(free_port)
java -Xmx256m -XX:TieredStopAtLevel=1 -jar "$S3MOCK" --server.port=0 --server.address=127.0.0.1 \
  --com.adobe.testing.s3mock.http-port="$S3PORT" \
  --com.adobe.testing.s3mock.store.root="$BENCH_DIR/s3" \
  --com.adobe.testing.s3mock.store.initial-buckets=wal >"$BENCH_DIR/s3mock.log" 2>&1 &
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
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
ARGS=(--config "$BENCH_DIR/vigil.yaml" --source appdb)

# A cluster with real WAL: its segments are what gets pushed in part 1.
PGPORT=$(free_port)
PGDATA_DIR="$BENCH_DIR/pg"
cat >"$BENCH_DIR/push.sh" <<EOF
#!/bin/sh
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
exec $JAVA -XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=$BENCH_DIR/vigil.jsa -Xshare:auto -cp '$JAR:$LIB/*' dev.vigil.infra.cli.VigilMain wal-push "\$1" ${ARGS[*]}
EOF
chmod 755 "$BENCH_DIR/push.sh"
pg_cluster_init "$PGDATA_DIR" "$PGPORT" postgres "wal_level = replica
archive_mode = on
archive_command = '$BENCH_DIR/push.sh %p'
wal_keep_size = 4GB"
pg_cluster_start "$PGDATA_DIR" "$PGPORT"
PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qAt)
"${PSQL[@]}" -c "SELECT pg_switch_wal()" >/dev/null
as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres -i -q -s "$SCALE" postgres >/dev/null 2>&1

# Part 1: single pushes of real segments, under new names so each one is a first push.
mapfile -t REAL < <(ls "$PGDATA_DIR/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -n 4)
n=0
fresh() { n=$((n + 1)); local name; name=$(printf '0000000900000000%08X' "$n"); cp "$PGDATA_DIR/pg_wal/${REAL[$(( n % ${#REAL[@]} ))]}" "$BENCH_DIR/segments/$name"; echo "$BENCH_DIR/segments/$name"; }
"$JAVA" -XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit="$BENCH_DIR/vigil.jsa" -cp "$JAR:$LIB/*" \
  dev.vigil.infra.cli.VigilMain wal-push "$(fresh)" "${ARGS[@]}" >/dev/null 2>&1
chmod 644 "$BENCH_DIR/vigil.jsa"
time_push() { # label, command...
  local label=$1 total=0 start end
  shift
  for _ in $(seq "$REPEAT"); do
    local seg; seg=$(fresh)
    start=$(now); "$@" wal-push "$seg" "${ARGS[@]}"; end=$(now)
    total=$(echo "$total + $end - $start" | bc)
  done
  printf '  %-28s %6.2f s per 16 MiB segment (mean of %s)\n' "$label" "$(echo "$total / $REPEAT" | bc -l)" "$REPEAT"
}
echo "wal-push, one real 16 MiB segment, end to end (load average: $(cut -d' ' -f1-3 /proc/loadavg)):"
time_push "./vigil (launcher)" "$ROOT/vigil"
time_push "java -cp" "$JAVA" -cp "$JAR:$LIB/*" dev.vigil.infra.cli.VigilMain
time_push "java -cp, C1 only" "$JAVA" -XX:TieredStopAtLevel=1 -cp "$JAR:$LIB/*" dev.vigil.infra.cli.VigilMain
time_push "java -cp, C1 + AppCDS" "$JAVA" -XX:TieredStopAtLevel=1 -XX:SharedArchiveFile="$BENCH_DIR/vigil.jsa" -cp "$JAR:$LIB/*" dev.vigil.infra.cli.VigilMain
again="$BENCH_DIR/segments/$(printf '0000000900000000%08X' 1)"
start=$(now)
"$BENCH_DIR/push.sh" "$again"
printf '  %-28s %6.2f s\n' "again, already archived" "$(echo "$(now) - $start" | bc)"

# Parts 2 and 3: WAL written while archiving, by pgbench's transactions and by its bulk load.
under_load() { # label, pgbench arguments...
  local label=$1 max_lag=0 first last current archived lag written elapsed start catchup
  shift
  "${PSQL[@]}" -c "SELECT pg_switch_wal()" >/dev/null
  sleep 2
  first=$("${PSQL[@]}" -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
  start=$(now)
  as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres "$@" postgres >"$BENCH_DIR/pgbench.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    read -r current archived < <("${PSQL[@]}" -F' ' -c "SELECT pg_walfile_name(pg_current_wal_lsn()), coalesce(last_archived_wal, '$first') FROM pg_stat_archiver")
    lag=$(( $(segno "$current") - $(segno "$archived") - 1 ))
    (( lag > max_lag )) && max_lag=$lag
    sleep 1
  done
  elapsed=$(echo "$(now) - $start" | bc)
  last=$("${PSQL[@]}" -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
  written=$(( $(segno "$last") - $(segno "$first") ))
  start=$(now)
  "${PSQL[@]}" -c "SELECT pg_switch_wal()" >/dev/null
  until [[ "$("${PSQL[@]}" -c "SELECT coalesce(last_archived_wal, '') >= '$last' FROM pg_stat_archiver")" == t ]]; do sleep 0.5; done
  catchup=$(echo "$(now) - $start" | bc)
  echo "$label: $written segments of WAL in $(printf %.0f "$elapsed") s ($(echo "scale=2; $written / $elapsed" | bc) segments/s)$(grep -E '^tps' "$BENCH_DIR/pgbench.log" | head -1 | sed 's/^/, /; s/ (without.*//')"
  echo "  largest archive lag: $max_lag segments; archive complete $(printf %.1f "$catchup") s after pgbench ended"
}
echo "archive_command = C1 + AppCDS wal-push (load average: $(cut -d' ' -f1-3 /proc/loadavg)):"
under_load "pgbench -c $CLIENTS -T $DURATION (scale $SCALE)" -c "$CLIENTS" -T "$DURATION"
under_load "pgbench -i -s $SCALE (bulk load)" -i -q -s "$SCALE"
read -r archived failed < <("${PSQL[@]}" -F' ' -c "SELECT archived_count, failed_count FROM pg_stat_archiver")
echo "pg_stat_archiver: archived_count $archived, failed_count $failed"
