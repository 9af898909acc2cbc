#!/usr/bin/env bash
# Speed benchmark of issue 12: Vigil side by side with the tools users would pick instead, in one
# run, on the same data, medians of ROUNDS interleaved rounds. See bench/README.md.
#
#   bench/speed-bench.sh                 full size (~1.5 GiB tree, ~1 GiB chat table, pgbench 50)
#   SMALL=1 ROUNDS=1 bench/speed-bench.sh   tiny data, to check the harness
#
# Data (made once, kept in BENCH_DIR/data with a .complete marker and reused by later runs with the
# same sizes): a directory tree of WEIGHTS random "weight" files of WEIGHT_MIB MiB plus TEXT_FILES
# small text files; a PostgreSQL cluster with a chat table of CHAT_ROWS text-heavy rows; another
# with pgbench scale PGBENCH_SCALE. Per round, in rotating tool order:
#   tree:    first backup (Vigil, restic, tar | zstd -T2), the 1 % change, second backup (Vigil,
#            restic: time and bytes added to the S3 bucket), restore into an empty directory
#            (Vigil, restic, zstd -d | tar -x)
#   chat DB: backup (Vigil into the S3 repository and into a filesystem repository on the local
#            disk, pg_dump -Fc -Z0 | zstd -T2 to a file, pgbackrest --type=full zst into a posix
#            repository and into the same S3Mock), restore (Vigil --jobs 2 into a new database from
#            each repository, pg_restore -j2 from a local pg_dump -Fc -Z0 file)
#   pgbench: the same, for context
#   tiny:    a Vigil backup of a 1 KiB directory (the fixed cost)
# and once per run the Vigil worker's peak RSS backing up ~0.5 GiB and ~2 GiB directories.
# Vigil runs as a separate `vigil worker` JVM on the stack of `vigil up` (Temporal test server,
# S3Mock, catalog); restic writes to the same S3Mock. Times: Vigil's own run durations (backup
# durationMillis, restore finished-started), the others' wall time.
#
# Environment: BENCH_DIR (/tmp/vigil-speed-bench), ROUNDS (3), SMALL=1 (tiny sizes), WEIGHTS (10),
# WEIGHT_MIB (140), TEXT_FILES (20000), CHAT_ROWS (3000000), PGBENCH_SCALE (50), RSS_TOLERANCE
# (1.25), VIGIL_WORKER_JAVA_OPTS (-Xmx512m), DIR_ONLY=1 (only the directory tree's steps: the
# databases, the 1 KiB source and the RSS probes are skipped and report n/a), VIGIL_REPO_EXTRA / VIGIL_DIR_SOURCE_EXTRA /
# VIGIL_DB_SOURCE_EXTRA (YAML lines appended to every bench S3 repository / directory source /
# database source, e.g. VIGIL_REPO_EXTRA='part-size: 32MiB'), PGBIN, VIGIL_HOME, KEEP_WORK=1.
# Exit 0 whether targets pass or miss; non-zero only when the harness itself fails.
set -euo pipefail

BENCH_NAME=speed-bench
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

ROOT="$(cd "${VIGIL_HOME:-$HERE/..}" && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-speed-bench}"
ROUNDS="${ROUNDS:-3}"
SMALL="${SMALL:-0}"
if [[ "$SMALL" == 1 ]]; then
  WEIGHTS="${WEIGHTS:-3}" WEIGHT_MIB="${WEIGHT_MIB:-2}" TEXT_FILES="${TEXT_FILES:-400}"
  CHAT_ROWS="${CHAT_ROWS:-20000}" PGBENCH_SCALE="${PGBENCH_SCALE:-1}"
  RSS_SMALL_FILES="${RSS_SMALL_FILES:-2}" RSS_LARGE_FILES="${RSS_LARGE_FILES:-6}"
fi
WEIGHTS="${WEIGHTS:-10}"
WEIGHT_MIB="${WEIGHT_MIB:-140}"
TEXT_FILES="${TEXT_FILES:-20000}"
CHAT_ROWS="${CHAT_ROWS:-3000000}"
PGBENCH_SCALE="${PGBENCH_SCALE:-50}"
# the RSS probes: weight-sized files, ~0.5 GiB and ~2 GiB at the default sizes
RSS_SMALL_FILES="${RSS_SMALL_FILES:-4}"
RSS_LARGE_FILES="${RSS_LARGE_FILES:-15}"
RSS_TOLERANCE="${RSS_TOLERANCE:-1.25}"
VIGIL_WORKER_JAVA_OPTS="${VIGIL_WORKER_JAVA_OPTS:--Xmx512m}"
DIR_ONLY="${DIR_ONLY:-0}"
VIGIL_REPO_EXTRA="${VIGIL_REPO_EXTRA:-}"
VIGIL_DIR_SOURCE_EXTRA="${VIGIL_DIR_SOURCE_EXTRA:-}"
VIGIL_DB_SOURCE_EXTRA="${VIGIL_DB_SOURCE_EXTRA:-}"
KEEP_WORK="${KEEP_WORK:-0}"
DB_USER=bench

for v in ROUNDS WEIGHTS WEIGHT_MIB TEXT_FILES CHAT_ROWS PGBENCH_SCALE RSS_SMALL_FILES RSS_LARGE_FILES; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v='${!v}' is not a positive integer"
done
(( TEXT_FILES >= 100 )) || die "TEXT_FILES must be at least 100 (the 1 % change rewrites TEXT_FILES/100 files)"
for tool in jq java python3 zstd tar curl ss; do
  command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y $tool)"
done
find_pgbin
[[ -x "$ROOT/vigil" ]] || die "$ROOT/vigil not found (set VIGIL_HOME)"
if [[ $EUID -eq 0 ]]; then id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user for the server"; fi
for pkg in restic pgbackrest; do
  if ! command -v "$pkg" >/dev/null; then
    log "installing $pkg (Debian package)"
    if [[ $EUID -eq 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null 2>&1 || die "apt-get install -y $pkg failed"
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null 2>&1 || die "install $pkg (apt-get install -y $pkg)"
    fi
  fi
done

# --- directories -----------------------------------------------------------------------------
mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
chmod 755 "$BENCH_DIR"
DATA="$BENCH_DIR/data"      # cached datasets (and the clusters holding the databases)
RUN="$BENCH_DIR/run"        # this run's repositories, restores, logs; wiped at start
LOGS="$RUN/logs"
MEASURE="$RUN/measurements.tsv"
TEXT_PG="$DATA/pg/chat"
PGB_PG="$DATA/pg/pgbench"
PGBR_CONF="$RUN/pgbackrest.conf"
DATA_KEY="weights=$WEIGHTS x ${WEIGHT_MIB}MiB text-files=$TEXT_FILES chat-rows=$CHAT_ROWS pgbench-scale=$PGBENCH_SCALE rss=$RSS_SMALL_FILES/$RSS_LARGE_FILES"

WORKER_PID="" UP_PID=""
stop_pid() { # PID [SIGNAL]: stop a process we started and wait for it
  local pid="$1" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  stop_pid "$WORKER_PID"
  stop_pid "$UP_PID" # the stack's shutdown hook stops its S3Mock, Temporal and catalog cluster
  pg_cluster_stop "$TEXT_PG"
  pg_cluster_stop "$PGB_PG"
  if [[ "$KEEP_WORK" != 1 ]]; then
    rm -rf "$RUN/up" "$RUN/trees" "$RUN/restores" "$RUN/files" "$RUN/pgbr-repo" "$RUN/fsrepo" "$RUN/spool"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A killed earlier run may have left its clusters running.
pg_cluster_stop "$TEXT_PG"
pg_cluster_stop "$PGB_PG"
rm -rf "$RUN"
mkdir -p "$LOGS" "$RUN/files" "$RUN/restores" "$RUN/trees" "$RUN/fsrepo"
: >"$MEASURE"

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$MEASURE"; } # round key value

# --- datasets --------------------------------------------------------------------------------
PGOPTS_CONF="fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
archive_mode = on
archive_command = '/bin/true'
max_wal_size = 2GB
max_wal_senders = 4"

TEXT_PORT="$(free_port)"
PGB_PORT="$(free_port)"
while [[ "$PGB_PORT" == "$TEXT_PORT" ]]; do PGB_PORT="$(free_port)"; done
psql_at() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$DB_USER" -d "$2" "${@:3}"; }

make_data() {
  log "making the datasets in $DATA ($DATA_KEY); later runs reuse them"
  pg_cluster_stop "$TEXT_PG"
  pg_cluster_stop "$PGB_PG"
  rm -rf "$DATA"
  mkdir -p "$DATA/tree/weights" "$DATA/extra-weights" "$DATA/pg" "$DATA/tiny"
  chmod 755 "$DATA" "$DATA/pg"
  [[ $EUID -eq 0 ]] && chown postgres: "$DATA/pg"
  local i t0
  t0="$(now)"
  for i in $(seq -w 1 "$WEIGHTS"); do
    head -c "$((WEIGHT_MIB * 1048576))" /dev/urandom >"$DATA/tree/weights/shard-$i.bin"
  done
  python3 "$HERE/speed-data.py" files "$DATA/tree" "$TEXT_FILES"
  # RSS probes: hard links to the tree's weights, plus extra random files of the same size
  for i in $(seq 1 $((RSS_LARGE_FILES > WEIGHTS ? RSS_LARGE_FILES - WEIGHTS : 0))); do
    head -c "$((WEIGHT_MIB * 1048576))" /dev/urandom >"$DATA/extra-weights/extra-$i.bin"
  done
  mkdir -p "$DATA/rss-small" "$DATA/rss-large"
  local all=("$DATA"/tree/weights/*.bin "$DATA"/extra-weights/*.bin)
  for i in $(seq 0 $((RSS_SMALL_FILES - 1))); do ln "${all[$i]}" "$DATA/rss-small/"; done
  for i in $(seq 0 $((RSS_LARGE_FILES - 1))); do ln "${all[$i]}" "$DATA/rss-large/"; done
  head -c 1024 /dev/urandom | base64 -w 76 | head -c 1024 >"$DATA/tiny/settings.txt"
  log "tree: $(du -sh "$DATA/tree" | cut -f1) in $(elapsed "$t0" "$(now)")s"

  t0="$(now)"
  pg_cluster_init "$TEXT_PG" "$TEXT_PORT" "$DB_USER" "$PGOPTS_CONF"
  pg_cluster_start "$TEXT_PG" "$TEXT_PORT"
  psql_at "$TEXT_PORT" postgres -c 'CREATE DATABASE chat' >/dev/null
  psql_at "$TEXT_PORT" chat -c "CREATE TABLE messages (id bigserial PRIMARY KEY, conversation_id bigint NOT NULL,
      author text NOT NULL, created_at timestamptz NOT NULL, body text NOT NULL)" >/dev/null
  python3 "$HERE/speed-data.py" chat "$CHAT_ROWS" \
    | psql_at "$TEXT_PORT" chat -c '\copy messages (conversation_id, author, created_at, body) FROM STDIN' >/dev/null
  psql_at "$TEXT_PORT" chat -c 'CREATE INDEX messages_conversation ON messages (conversation_id, created_at)' \
    -c 'VACUUM ANALYZE' -c CHECKPOINT >/dev/null
  log "chat: $(psql_at "$TEXT_PORT" postgres -c "SELECT pg_size_pretty(pg_database_size('chat'))") in $(elapsed "$t0" "$(now)")s"

  t0="$(now)"
  pg_cluster_init "$PGB_PG" "$PGB_PORT" "$DB_USER" "$PGOPTS_CONF"
  pg_cluster_start "$PGB_PG" "$PGB_PORT"
  psql_at "$PGB_PORT" postgres -c 'CREATE DATABASE pgbench' >/dev/null
  "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGB_PORT" -U "$DB_USER" -i -q -s "$PGBENCH_SCALE" pgbench >"$LOGS/pgbench-init.log" 2>&1 \
    || { tail -n 20 "$LOGS/pgbench-init.log" >&2; die "pgbench -i failed"; }
  psql_at "$PGB_PORT" pgbench -c 'VACUUM ANALYZE' -c CHECKPOINT >/dev/null
  log "pgbench: $(psql_at "$PGB_PORT" postgres -c "SELECT pg_size_pretty(pg_database_size('pgbench'))") in $(elapsed "$t0" "$(now)")s"
  pg_cluster_stop "$TEXT_PG"
  pg_cluster_stop "$PGB_PG"
  echo "$DATA_KEY" >"$DATA/.complete"
}
if [[ "$(cat "$DATA/.complete" 2>/dev/null || true)" == "$DATA_KEY" ]]; then
  log "reusing the datasets in $DATA ($DATA_KEY)"
else
  make_data
fi
pg_cluster_start "$TEXT_PG" "$TEXT_PORT"
pg_cluster_start "$PGB_PG" "$PGB_PORT"
# Earlier runs' restored databases, if a run was killed before dropping them.
for spec in "$TEXT_PORT:chat" "$PGB_PORT:pgbench"; do
  for db in $(psql_at "${spec%%:*}" postgres -c "SELECT datname FROM pg_database WHERE datname LIKE '${spec#*:}\_r%'"); do
    psql_at "${spec%%:*}" postgres -c "DROP DATABASE \"$db\"" >/dev/null
  done
done
TREE_BYTES="$(du -sb "$DATA/tree" | cut -f1)"
TREE_FILES="$(find "$DATA/tree" -type f | wc -l)"
CHAT_BYTES="$(psql_at "$TEXT_PORT" postgres -c "SELECT pg_database_size('chat')")"
PGB_BYTES="$(psql_at "$PGB_PORT" postgres -c "SELECT pg_database_size('pgbench')")"
RSS_SMALL_BYTES="$(du -sbL "$DATA/rss-small" | cut -f1)"
RSS_LARGE_BYTES="$(du -sbL "$DATA/rss-large" | cut -f1)"
# Every round works on its own hard-linked copy of the tree; the 1 % change replaces files (a
# new inode), so the cached tree is never modified.
for r in $(seq 1 "$ROUNDS"); do cp -al "$DATA/tree" "$RUN/trees/tree-r$r"; mkdir -p "$RUN/fsrepo/r$r"; done

# --- the Vigil stack: `vigil up` (Temporal test server, S3Mock, catalog) + our own worker ---------
log "building ./vigil if needed"
(cd "$ROOT" && ./vigil --help >"$LOGS/vigil-build.log" 2>&1) || { tail -n 30 "$LOGS/vigil-build.log" >&2; die "./vigil --help failed (log: $LOGS/vigil-build.log)"; }
UP="$RUN/up"
cat >"$RUN/up-sources.yaml" <<EOF
sources:
  up-placeholder:
    type: directory
    kind: config
    path: $DATA/tiny
EOF
wait_for_line() { # LOG PATTERN PID WHAT: until LOG has PATTERN (3 minutes at most, or PID exits)
  local _
  for _ in $(seq 1 360); do
    grep -q "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.5
  done
  grep -q "$2" "$1" || { tail -n 30 "$1" >&2; die "$4 did not start (log: $1)"; }
}
log "starting the embedded stack (vigil up; not timed)"
(cd "$ROOT" && exec ./vigil up --work-dir "$UP" --sources "$RUN/up-sources.yaml") >"$LOGS/vigil-up.log" 2>&1 &
UP_PID=$!
wait_for_line "$LOGS/vigil-up.log" "embedded stack is up" "$UP_PID" "vigil up"
yaml_value() { grep -m1 "^ *$1:" "$UP/vigil.yaml" | sed 's/^[^:]*: *//; s/^"//; s/"$//'; }
TEMPORAL_TARGET="$(yaml_value target)"
CATALOG_URL="$(yaml_value jdbc-url)"
S3_ENDPOINT="$(yaml_value endpoint)"
S3_BUCKET="$(yaml_value bucket)"
[[ -n "$TEMPORAL_TARGET" && -n "$CATALOG_URL" && -n "$S3_ENDPOINT" && -n "$S3_BUCKET" ]] || die "cannot read the stack's endpoints from $UP/vigil.yaml"

# --- pgBackRest: repo1 a local posix repository, repo2 the stack's S3Mock; one stanza per cluster --
# pgBackRest speaks S3 over TLS only: repo2 is S3Mock's HTTPS port (self-signed, not verified), the
# same server Vigil and restic write to, so each database backup is timed into both kinds of store.
S3MOCK_PID="$(pgrep -P "$UP_PID" -f -i s3mock | head -n 1 || true)"
S3_HTTP_PORT="${S3_ENDPOINT##*:}"
S3_TLS_PORT="$(ss -Hltnp 2>/dev/null | grep "pid=${S3MOCK_PID:-none}," | awk '{ sub(/.*:/, "", $4); print $4 }' | grep -vx "$S3_HTTP_PORT" | head -n 1 || true)"
[[ -n "$S3_TLS_PORT" ]] || die "cannot find S3Mock's HTTPS port (pid ${S3MOCK_PID:-?}; needs ss from iproute2)"
curl -fsS -X PUT "$S3_ENDPOINT/pgbackrest" >/dev/null || die "cannot create the pgbackrest bucket on $S3_ENDPOINT"
mkdir -p "$RUN/pgbr-repo" "$RUN/pgbr-log" "$RUN/pgbr-lock" "$RUN/pgbr-spool"
cat >"$PGBR_CONF" <<EOF
[global]
repo1-path=$RUN/pgbr-repo
repo1-retention-full=100
repo2-type=s3
repo2-s3-endpoint=127.0.0.1
repo2-storage-port=$S3_TLS_PORT
repo2-storage-verify-tls=n
repo2-s3-uri-style=path
repo2-s3-bucket=pgbackrest
repo2-s3-region=us-east-1
repo2-s3-key=speed-bench
repo2-s3-key-secret=speed-bench
repo2-path=/
repo2-retention-full=100
compress-type=zst
process-max=2
start-fast=y
log-level-console=warn
log-level-file=info
log-path=$RUN/pgbr-log
lock-path=$RUN/pgbr-lock
spool-path=$RUN/pgbr-spool

[chat]
pg1-path=$TEXT_PG
pg1-port=$TEXT_PORT
pg1-socket-path=$TEXT_PG
pg1-user=$DB_USER

[pgbench]
pg1-path=$PGB_PG
pg1-port=$PGB_PORT
pg1-socket-path=$PGB_PG
pg1-user=$DB_USER
EOF
chmod 644 "$PGBR_CONF"
chmod 755 "$RUN"
[[ $EUID -eq 0 ]] && chown -R postgres: "$RUN/pgbr-repo" "$RUN/pgbr-log" "$RUN/pgbr-lock" "$RUN/pgbr-spool"
# WAL goes to pgBackRest's archive only while pgBackRest backs up (its backup needs its own WAL);
# otherwise it is dropped, so the restores' WAL is not compressed and pushed in the background
# of other tools' measurements.
archive_to() { # PORT COMMAND
  psql_at "$1" postgres -c "ALTER SYSTEM SET archive_command = '$2'" -c 'SELECT pg_reload_conf()' >/dev/null
}
for spec in "$TEXT_PORT:chat" "$PGB_PORT:pgbench"; do
  archive_to "${spec%%:*}" /bin/true
  as_server pgbackrest "--config=$PGBR_CONF" "--stanza=${spec#*:}" stanza-create >"$LOGS/pgbr-stanza-${spec#*:}.log" 2>&1 \
    || { cat "$LOGS/pgbr-stanza-${spec#*:}.log" >&2; die "pgbackrest stanza-create failed for ${spec#*:}"; }
done


indent() { [[ -z "$2" ]] || printf '%s\n' "$2" | sed "s/^/$1/"; } # PREFIX LINES
# The ONE place the bench's Vigil configuration is written. Every round has its own repository
# (prefix bench-rN; a first backup never finds data of an earlier round), and the hooks append
# YAML lines to every repository / directory source / database source, so options other work
# adds (parallel part uploads, checksum verification, content-addressed layout) can be switched
# on without editing this script.
vigil_config() {
  local r
  cat <<EOF
# written by bench/speed-bench.sh: a worker of its own (queue vigil-bench) on the stack of vigil up
temporal:
  target: "$TEMPORAL_TARGET"
  namespace: default
  task-queue: vigil-bench
worker:
  host-id: speed-bench
  spool-dir: $RUN/spool
  max-parallel-sources: 2
  sticky-execution: false
  restore-roots: [$RUN/restores]
metrics:
  port: 0
catalog:
  jdbc-url: "$CATALOG_URL"
  user: vigil
  password-file: $UP/secrets/postgres-password
encryption:
  key-file: $UP/secrets/vigil.key
repositories:
EOF
  for r in $(seq 1 "$ROUNDS"); do
    # Like pg_dump's file and pgBackRest's posix repository: a directory on the same disk.
    printf '  bench-fs-r%s:\n    type: filesystem\n    path: %s\n' "$r" "$RUN/fsrepo/r$r"
  done
  for r in $(seq 1 "$ROUNDS" | sed 's/^/r/') rss; do
    cat <<EOF
  bench-$r:
    endpoint: "$S3_ENDPOINT"
    region: us-east-1
    bucket: $S3_BUCKET
    prefix: bench-$r
    path-style-access: true
    access-key-id-file: $UP/secrets/s3-access-key-id
    secret-access-key-file: $UP/secrets/s3-secret-access-key
EOF
    indent '    ' "$VIGIL_REPO_EXTRA"
  done
  echo "sources:"
  dir_source() { # name path repository
    printf '  %s:\n    type: directory\n    kind: dataset\n    path: %s\n    repository: %s\n' "$1" "$2" "$3"
    indent '    ' "$VIGIL_DIR_SOURCE_EXTRA"
  }
  db_source() { # name port database repository
    printf '  %s:\n    type: postgres\n    host: 127.0.0.1\n    port: %s\n    database: %s\n    user: %s\n    repository: %s\n' \
      "$1" "$2" "$3" "$DB_USER" "$4"
    indent '    ' "$VIGIL_DB_SOURCE_EXTRA"
  }
  for r in $(seq 1 "$ROUNDS"); do
    dir_source "tree-r$r" "$RUN/trees/tree-r$r" "bench-r$r"
    db_source "chat-r$r" "$TEXT_PORT" chat "bench-r$r"
    db_source "pgbench-r$r" "$PGB_PORT" pgbench "bench-r$r"
    db_source "chat-fs-r$r" "$TEXT_PORT" chat "bench-fs-r$r"
    db_source "pgbench-fs-r$r" "$PGB_PORT" pgbench "bench-fs-r$r"
    dir_source "tiny-r$r" "$DATA/tiny" "bench-r$r"
  done
  dir_source warm-up "$DATA/tiny" bench-rss
  dir_source rss-small "$DATA/rss-small" bench-rss
  dir_source rss-large "$DATA/rss-large" bench-rss
}
VCONF="$RUN/vigil.yaml"
vigil_config >"$VCONF"
(cd "$ROOT" && ./vigil validate --config "$VCONF") >"$LOGS/vigil-validate.log" 2>&1 \
  || { cat "$LOGS/vigil-validate.log" >&2; die "the bench's vigil.yaml does not validate (VIGIL_*_EXTRA?)"; }

log "starting the Vigil worker (VIGIL_JAVA_OPTS=$VIGIL_WORKER_JAVA_OPTS; not timed)"
(cd "$ROOT" && VIGIL_JAVA_OPTS="$VIGIL_WORKER_JAVA_OPTS" exec ./vigil worker --config "$VCONF") >"$LOGS/vigil-worker.log" 2>&1 &
WORKER_PID=$!
wait_for_line "$LOGS/vigil-worker.log" "worker polling" "$WORKER_PID" "the Vigil worker"

# CPU seconds (user + system, with reaped children such as pg_dump) of the worker JVM and of the
# stack's S3Mock (a child of the `vigil up` JVM), read from /proc before and after every Vigil
# operation and recorded as KEY.cpu.worker and KEY.cpu.s3mock: on 2 cores the store's own work
# competes with the worker's, and these show who used the CPU (medians in results.json).
cpu_of() { awk '{ printf "%.2f", ($14 + $15 + $16 + $17) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_now() { echo "$(cpu_of "$WORKER_PID") $(cpu_of "${S3MOCK_PID:-0}")"; }
record_cpu() { # ROUND KEY BEFORE: the CPU the worker and S3Mock used since BEFORE (cpu_now)
  local before=($3) after=($(cpu_now))
  record "$1" "$2.cpu.worker" "$(calc "${after[0]} - ${before[0]}")"
  record "$1" "$2.cpu.s3mock" "$(calc "${after[1]} - ${before[1]}")"
}

# Peak RSS of the worker JVM: reset the high-water mark before an operation (clear_refs 5), read
# VmHWM after it.
rss_reset() { echo 5 >"/proc/$WORKER_PID/clear_refs" 2>/dev/null || true; }
rss_peak() { awk '/^VmHWM:/ { print $2 * 1024 }' "/proc/$WORKER_PID/status"; }

# Bytes stored under a bucket/prefix of the S3Mock (ListObjectsV2; S3Mock ignores credentials).
s3_bytes() { # BUCKET PREFIX
  python3 - "$S3_ENDPOINT" "$1" "$2" <<'PY'
import sys, urllib.parse, urllib.request, xml.etree.ElementTree as ET
endpoint, bucket, prefix = sys.argv[1:4]
ns = {"s": "http://s3.amazonaws.com/doc/2006-03-01/"}
total, token = 0, None
while True:
    q = {"list-type": "2", "prefix": prefix}
    if token:
        q["continuation-token"] = token
    try:
        body = urllib.request.urlopen("%s/%s?%s" % (endpoint, bucket, urllib.parse.urlencode(q))).read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            break
        raise
    root = ET.fromstring(body)
    total += sum(int(s.text) for s in root.findall("s:Contents/s:Size", ns))
    if root.findtext("s:IsTruncated", "false", ns) != "true":
        break
    token = root.findtext("s:NextContinuationToken", None, ns)
print(total)
PY
}

VIGIL_ID_SECOND=""
# vigil_backup ROUND KEY SOURCE: one backup; records KEY.seconds (durationMillis) and KEY.rss.
vigil_backup() {
  local round="$1" key="$2" source="$3" out="$LOGS/vigil-$2-r$1.json"
  # Backup ids have a one-second resolution: never start two in the same second.
  while [[ "$(date +%s)" == "$VIGIL_ID_SECOND" ]]; do sleep 0.1; done
  VIGIL_ID_SECOND="$(date +%s)"
  rss_reset
  local cpu
  cpu="$(cpu_now)"
  (cd "$ROOT" && ./vigil backup --config "$VCONF" --source "$source" --json --quiet) >"$out" 2>"$LOGS/vigil-$key-r$round.log" \
    || { tail -n 20 "$LOGS/vigil-$key-r$round.log" >&2; die "vigil backup of $source failed (log: $LOGS/vigil-$key-r$round.log, $out)"; }
  [[ "$(jq -r '.sources[0].status + "/" + (.sources[0].verified | tostring)' "$out")" == "ARCHIVED/true" ]] \
    || die "vigil backup of $source ended $(jq -r '.sources[0].status' "$out"): $(jq -r '.sources[0].failure // "?"' "$out")"
  record_cpu "$round" "$key" "$cpu"
  record "$round" "$key.seconds" "$(jq -r '.durationMillis / 1000' "$out")"
  record "$round" "$key.stored" "$(jq -r '.sources[0].storedBytes' "$out")"
  record "$round" "$key.rss" "$(rss_peak)"
}
# vigil_restore ROUND KEY SOURCE TARGET-ARGS...: restore the newest backup of SOURCE.
vigil_restore() {
  local round="$1" key="$2" source="$3" out="$LOGS/vigil-$2-r$1.json"
  shift 3
  rss_reset
  local cpu
  cpu="$(cpu_now)"
  (cd "$ROOT" && ./vigil restore --config "$VCONF" --source "$source" "$@" --json --quiet) >"$out" 2>"$LOGS/vigil-$key-r$round.log" \
    || { tail -n 20 "$LOGS/vigil-$key-r$round.log" >&2; die "vigil restore of $source failed (log: $LOGS/vigil-$key-r$round.log, $out)"; }
  [[ "$(jq -r '.[0].status' "$out")" == RESTORED ]] || die "vigil restore of $source ended $(jq -r '.[0].status' "$out") ($out)"
  record_cpu "$round" "$key" "$cpu"
  record "$round" "$key.seconds" "$(jq -r '(.[0].finishedAtMillis - .[0].startedAtMillis) / 1000' "$out")"
  record "$round" "$key.rss" "$(rss_peak)"
}
# timed ROUND KEY CMD...: wall time of CMD (stdout/stderr to the log)
timed() {
  local round="$1" key="$2" t0 log="$LOGS/$2-r$1.log"
  shift 2
  t0="$(now)"
  "$@" >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "$key failed in round $round (log: $log)"; }
  record "$round" "$key.seconds" "$(elapsed "$t0" "$(now)")"
}

export AWS_ACCESS_KEY_ID=speed-bench AWS_SECRET_ACCESS_KEY=speed-bench RESTIC_PASSWORD=speed-bench
restic_repo() { echo "s3:$S3_ENDPOINT/restic/r$1"; }
restic_backup() { (cd "$RUN/trees/tree-r$1" && restic -r "$(restic_repo "$1")" backup -q .); }
tar_backup() { tar -C "$RUN/trees/tree-r$1" -cf - . | zstd -q -T2 -o "$RUN/files/tree-r$1.tar.zst"; }
tar_restore() { mkdir "$2" && zstd -q -d -T2 -c "$RUN/files/tree-r$1.tar.zst" | tar -C "$2" -xf -; }
pgdump_zstd() { "$PGBIN/pg_dump" -h 127.0.0.1 -p "$1" -U "$DB_USER" -Fc -Z0 -d "$2" | zstd -q -T2 -o "$3"; }
pg_restore_j2() { # PORT DATABASE DUMP
  psql_at "$1" postgres -c "CREATE DATABASE \"$2\"" && "$PGBIN/pg_restore" -h 127.0.0.1 -p "$1" -U "$DB_USER" -j2 -d "$2" "$3"
}
pgbackrest_full() { as_server pgbackrest "--config=$PGBR_CONF" "--stanza=$1" "--repo=$2" backup --type=full; } # STANZA REPO
pgbackrest_last_size() { # STANZA REPO: bytes its newest backup stored in that repository (WAL not included)
  as_server pgbackrest "--config=$PGBR_CONF" "--stanza=$1" info --output=json \
    | jq --argjson repo "$2" '[.[0].backup[] | select(.database["repo-key"] == $repo)][-1].info.repository.delta'
}
drop_db() { psql_at "$1" postgres -c "DROP DATABASE IF EXISTS \"$2\"" >/dev/null; }
# run_in_order ROUND FUNCTION...: the functions in an order that rotates from round to round
run_in_order() {
  local round="$1" n i
  shift
  n=$#
  local fns=("$@")
  for i in $(seq 0 $((n - 1))); do "${fns[$(((i + round - 1) % n))]}" "$round"; done
}

# Local pg_dump -Fc -Z0 files for pg_restore -j2 (not timed).
for spec in "$TEXT_PORT:chat" "$PGB_PORT:pgbench"; do
  "$PGBIN/pg_dump" -h 127.0.0.1 -p "${spec%%:*}" -U "$DB_USER" -Fc -Z0 -d "${spec#*:}" -f "$RUN/files/${spec#*:}.pgc" \
    || die "pg_dump of ${spec#*:} for the pg_restore baseline failed"
done

log "warming up: the tree and the worker (not timed)"
tar -C "$DATA/tree" -cf - . >/dev/null
vigil_backup 0 warm-up warm-up

# --- the rounds ------------------------------------------------------------------------------
step_dir_vigil_first() {
  local before
  before="$(s3_bytes "$S3_BUCKET" "bench-r$1/")"
  vigil_backup "$1" dir.first.vigil "tree-r$1"
  record "$1" dir.first.vigil.added "$(($(s3_bytes "$S3_BUCKET" "bench-r$1/") - before))"
}
step_dir_restic_first() {
  restic -r "$(restic_repo "$1")" init >"$LOGS/restic-init-r$1.log" 2>&1 || { cat "$LOGS/restic-init-r$1.log" >&2; die "restic init failed"; }
  timed "$1" dir.first.restic restic_backup "$1"
  record "$1" dir.first.restic.stored "$(s3_bytes restic "r$1/")"
}
step_dir_tar_first() {
  timed "$1" dir.first.tar tar_backup "$1"
  record "$1" dir.first.tar.stored "$(stat -c %s "$RUN/files/tree-r$1.tar.zst")"
}
step_dir_vigil_second() {
  local before
  before="$(s3_bytes "$S3_BUCKET" "bench-r$1/")"
  vigil_backup "$1" dir.second.vigil "tree-r$1"
  record "$1" dir.second.vigil.added "$(($(s3_bytes "$S3_BUCKET" "bench-r$1/") - before))"
}
step_dir_restic_second() {
  local before
  before="$(s3_bytes restic "r$1/")"
  timed "$1" dir.second.restic restic_backup "$1"
  record "$1" dir.second.restic.added "$(($(s3_bytes restic "r$1/") - before))"
}
step_dir_vigil_restore() { vigil_restore "$1" dir.restore.vigil "tree-r$1" --target-dir "$RUN/restores/vigil-tree-r$1"; }
step_dir_restic_restore() {
  timed "$1" dir.restore.restic restic -r "$(restic_repo "$1")" restore latest --target "$RUN/restores/restic-tree-r$1"
}
step_dir_tar_restore() { timed "$1" dir.restore.tar tar_restore "$1" "$RUN/restores/tar-tree-r$1"; }

db_steps() { # PREFIX PORT DATABASE: defines step_PREFIX_* for one database
  local p="$1" port="$2" db="$3"
  eval "step_${p}_vigil_backup() { vigil_backup \"\$1\" $p.backup.vigil \"$db-r\$1\"; }"
  eval "step_${p}_pgdump_backup() {
    timed \"\$1\" $p.backup.pgdump_zstd pgdump_zstd $port $db \"\$RUN/files/$db-r\$1.pgc.zst\"
    record \"\$1\" $p.backup.pgdump_zstd.stored \"\$(stat -c %s \"\$RUN/files/$db-r\$1.pgc.zst\")\"
    rm -f \"\$RUN/files/$db-r\$1.pgc.zst\"
  }"
  eval "step_${p}_vigil_fs_backup() { vigil_backup \"\$1\" $p.backup.vigil_fs \"$db-fs-r\$1\"; }"
  local repo key
  for repo in 1 2; do
    key="$p.backup.pgbackrest"
    if [[ $repo == 2 ]]; then key="${key}_s3"; fi
    eval "step_${p}_pgbackrest${repo}_backup() {
      archive_to $port \"pgbackrest --config=\$PGBR_CONF --stanza=$db archive-push %p\"
      sleep 1
      timed \"\$1\" $key pgbackrest_full $db $repo
      archive_to $port /bin/true
      record \"\$1\" $key.stored \"\$(pgbackrest_last_size $db $repo)\"
    }"
  done
  eval "step_${p}_vigil_restore() {
    vigil_restore \"\$1\" $p.restore.vigil \"$db-r\$1\" --target-db \"${db}_r\$1_vigil\" --jobs 2
    drop_db $port \"${db}_r\$1_vigil\"
  }"
  eval "step_${p}_vigil_fs_restore() {
    vigil_restore \"\$1\" $p.restore.vigil_fs \"$db-fs-r\$1\" --target-db \"${db}_r\$1_vigil_fs\" --jobs 2
    drop_db $port \"${db}_r\$1_vigil_fs\"
  }"
  eval "step_${p}_pg_restore() {
    timed \"\$1\" $p.restore.pg_restore pg_restore_j2 $port \"${db}_r\$1_pg_restore\" \"\$RUN/files/$db.pgc\"
    drop_db $port \"${db}_r\$1_pg_restore\"
  }"
}
db_steps text "$TEXT_PORT" chat
db_steps pgbench "$PGB_PORT" pgbench

LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS: directory, first backups"
  run_in_order "$r" step_dir_vigil_first step_dir_restic_first step_dir_tar_first
  log "round $r/$ROUNDS: the 1 % change"
  python3 "$HERE/speed-data.py" change "$RUN/trees/tree-r$r" "$((TEXT_FILES / 100))"
  w="$(ls "$RUN/trees/tree-r$r/weights" | sort | head -n 1)"
  cp "$RUN/trees/tree-r$r/weights/$w" "$RUN/trees/tree-r$r/weights/$w.new" # a new inode
  head -c 1048576 /dev/urandom | dd of="$RUN/trees/tree-r$r/weights/$w.new" bs=1M seek=$((WEIGHT_MIB / 2)) conv=notrunc status=none
  mv "$RUN/trees/tree-r$r/weights/$w.new" "$RUN/trees/tree-r$r/weights/$w"
  log "round $r/$ROUNDS: directory, second backups"
  run_in_order "$r" step_dir_vigil_second step_dir_restic_second
  log "round $r/$ROUNDS: directory, restores"
  run_in_order "$r" step_dir_vigil_restore step_dir_restic_restore step_dir_tar_restore
  # The restored trees stay until the run ends (about 4.5 GiB a round): on ext4 without a journal
  # (as here) the inode allocator skips inodes freed in the last 1-5 minutes, so creating 20,000
  # files right after deleting 60,000 made whichever restore came next CPU-bound in that search.
  rm -f "$RUN/files/tree-r$r.tar.zst"
  # ...and they are flushed now, not timed: left dirty, their 4.5 GiB were written back during the
  # database steps after them, and every fsync there (Vigil's filesystem repository, pgBackRest's
  # posix one) waited behind it (a chat table backup's dump step took 7.9 s instead of 4.8-5.7 s).
  log "round $r/$ROUNDS: flushing the restored trees to disk (sync; not timed)"
  sync
  [[ "$DIR_ONLY" == 1 ]] && continue
  log "round $r/$ROUNDS: chat database"
  run_in_order "$r" step_text_vigil_backup step_text_vigil_fs_backup step_text_pgdump_backup \
    step_text_pgbackrest1_backup step_text_pgbackrest2_backup
  run_in_order "$r" step_text_vigil_restore step_text_vigil_fs_restore step_text_pg_restore
  log "round $r/$ROUNDS: pgbench database"
  run_in_order "$r" step_pgbench_vigil_backup step_pgbench_vigil_fs_backup step_pgbench_pgdump_backup \
    step_pgbench_pgbackrest1_backup step_pgbench_pgbackrest2_backup
  run_in_order "$r" step_pgbench_vigil_restore step_pgbench_vigil_fs_restore step_pgbench_pg_restore
  log "round $r/$ROUNDS: 1 KiB source"
  vigil_backup "$r" tiny.vigil "tiny-r$r"
done
if [[ "$DIR_ONLY" != 1 ]]; then
  log "worker peak RSS: ~$(mib "$RSS_SMALL_BYTES") and ~$(mib "$RSS_LARGE_BYTES") directories"
  vigil_backup 1 rss.small rss-small
  vigil_backup 1 rss.large rss-large
fi
LOAD_AFTER="$(cut -d' ' -f1 /proc/loadavg)"
record 1 dir.restic.stored.total "$(s3_bytes restic "")"

# --- report ----------------------------------------------------------------------------------
"$HERE/speed-report.sh" "$MEASURE" "$BENCH_DIR" \
  "$(jq -n --arg when "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(uname -srm)" --argjson cores "$(nproc)" \
    --argjson rounds "$ROUNDS" --arg data "$DATA_KEY" --argjson treeBytes "$TREE_BYTES" --argjson treeFiles "$TREE_FILES" \
    --argjson chatBytes "$CHAT_BYTES" --argjson pgbenchBytes "$PGB_BYTES" --argjson rssSmallBytes "$RSS_SMALL_BYTES" \
    --argjson rssLargeBytes "$RSS_LARGE_BYTES" --argjson rssTolerance "$RSS_TOLERANCE" --arg javaOpts "$VIGIL_WORKER_JAVA_OPTS" \
    --arg pg "$(psql_at "$TEXT_PORT" postgres -c 'SHOW server_version')" --arg restic "$(restic version | cut -d' ' -f1-2)" \
    --arg pgbackrest "$(pgbackrest version)" --arg zstd "$(zstd --version)" \
    --arg repoExtra "$VIGIL_REPO_EXTRA" --arg dirExtra "$VIGIL_DIR_SOURCE_EXTRA" --arg dbExtra "$VIGIL_DB_SOURCE_EXTRA" \
    --argjson loadBefore "$LOAD_BEFORE" --argjson loadAfter "$LOAD_AFTER" \
    --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    '{generatedAt: $when, host: $host, cores: $cores, rounds: $rounds, data: $data,
      treeBytes: $treeBytes, treeFiles: $treeFiles, chatBytes: $chatBytes, pgbenchBytes: $pgbenchBytes,
      rssSmallBytes: $rssSmallBytes, rssLargeBytes: $rssLargeBytes, rssTolerance: $rssTolerance,
      vigilWorkerJavaOpts: $javaOpts, vigilCommit: $commit, postgres: $pg, restic: $restic,
      pgbackrest: $pgbackrest, zstd: $zstd, hostLoadAvg1m: {before: $loadBefore, after: $loadAfter},
      vigilExtra: {repository: $repoExtra, directorySource: $dirExtra, databaseSource: $dbExtra}}')"
