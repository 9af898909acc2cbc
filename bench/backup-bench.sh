#!/usr/bin/env bash
# Vigil backup benchmark: pg_dump's own limit vs the common pg_dump -Fc baseline vs a Vigil backup.
#
#   bench/backup-bench.sh [SCALE ...]          (default scales: 10 50)
#
# For each pgbench scale it loads a database into a throwaway PostgreSQL cluster and times
#   (a) pg_dump -Fc -Z0 > /dev/null      the source's own limit (read + serialise, nothing stored)
#   (b) pg_dump -Fc -f FILE              the common baseline (gzip level 6, single thread)
#   (c) vigil demo --sources ...         a full Vigil backup to the embedded S3: dump, verify,
#                                        compress+encrypt, upload, read-back verify, catalog
# and prints the ratios, the stored sizes and the Vigil JVM's peak RSS, then a verdict against
# the targets. See bench/README.md.
#
# Environment:
#   BENCH_DIR        work and results directory (default /tmp/vigil-bench)
#   REPEAT           runs of each measurement; the median is reported (default 1)
#   BENCH_JAVA_OPTS  JVM options for Vigil (default -Xmx512m: a fixed heap, so RSS compares fairly)
#   TARGET_SCALE     the scale the targets are judged at (default 50; else the largest one run)
#   RSS_TOLERANCE    "flat" memory: peak RSS at the largest scale / at the smallest <= this (1.25)
#   KEEP_CLUSTER=1   keep the PostgreSQL cluster's files (it is always stopped)
#   PGBIN            PostgreSQL binaries (default: newest /usr/lib/postgresql/*/bin, else PATH)
#   VIGIL_HOME       the checkout whose ./vigil is run (default: this script's repository)
set -euo pipefail

ROOT="$(cd "${VIGIL_HOME:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-bench}"
REPEAT="${REPEAT:-1}"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xmx512m}"
TARGET_SCALE="${TARGET_SCALE:-50}"
RSS_TOLERANCE="${RSS_TOLERANCE:-1.25}"
KEEP_CLUSTER="${KEEP_CLUSTER:-0}"
if [[ $# -gt 0 ]]; then SCALES=("$@"); else SCALES=(10 50); fi

BENCH_NAME=backup-bench
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for s in "${SCALES[@]}"; do [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "scale '$s' is not a positive integer"; done
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "REPEAT='$REPEAT' is not a positive integer"
command -v jq >/dev/null || die "jq is needed (apt-get install -y jq)"
command -v java >/dev/null || die "java is needed (a JDK 17 or newer)"

# --- PostgreSQL binaries ---------------------------------------------------------------------
find_pgbin
# The server must not run as root: as root, initdb/pg_ctl run as 'postgres' (lib.sh's as_server).
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user for the server"
fi

# --- directories -----------------------------------------------------------------------------
mkdir -p "$BENCH_DIR"
[[ -w "$BENCH_DIR" ]] || die "$BENCH_DIR is not writable (set BENCH_DIR)"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
SECRETS="$BENCH_DIR/secrets"
VIGIL_WORK="$BENCH_DIR/vigil-work"
CLUSTER="$BENCH_DIR/cluster"
PGDATA_DIR="$CLUSTER/data"
LOGS="$BENCH_DIR/logs"

stop_cluster() {
  if [[ -f "$PGDATA_DIR/postmaster.pid" ]]; then
    as_server "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
}

cleanup() {
  local rc=$?
  set +e
  stop_cluster
  rm -f "$BENCH_DIR"/dump-s*.pgc "$BENCH_DIR"/sources-s*.yaml
  rm -rf "$VIGIL_WORK" "$SECRETS"
  if [[ "$KEEP_CLUSTER" == 1 ]]; then
    echo "backup-bench: cluster files kept in $CLUSTER" >&2
  else
    rm -rf "$CLUSTER"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A previous run that was killed may have left a cluster running.
stop_cluster
rm -rf "$CLUSTER" "$VIGIL_WORK" "$SECRETS" "$BENCH_DIR"/dump-s*.pgc "$BENCH_DIR"/vigil-report-s*.json "$LOGS"
mkdir -p "$CLUSTER" "$LOGS"
(umask 077 && mkdir -p "$SECRETS")
if [[ $EUID -eq 0 ]]; then
  chown postgres: "$CLUSTER"
  if ! runuser -u postgres -- test -w "$CLUSTER"; then
    # BENCH_DIR lies under a directory 'postgres' may not enter (e.g. /root): use /tmp instead.
    rmdir "$CLUSTER"
    CLUSTER="$(mktemp -d /tmp/vigil-bench-cluster.XXXXXX)"
    PGDATA_DIR="$CLUSTER/data"
    chmod 755 "$CLUSTER"
    chown postgres: "$CLUSTER"
  fi
fi

# --- the cluster -----------------------------------------------------------------------------
PORT="$(free_port)"
PASSWORD="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PASSWORD_FILE="$SECRETS/pg-password"
PGPASS_FILE="$SECRETS/pgpass"
(umask 077 && printf '%s\n' "$PASSWORD" >"$PASSWORD_FILE" && printf '127.0.0.1:%s:*:bench:%s\n' "$PORT" "$PASSWORD" >"$PGPASS_FILE")
# initdb reads the password as the server user; give it its own copy, deleted right after.
(umask 077 && printf '%s\n' "$PASSWORD" >"$CLUSTER/pwfile")
[[ $EUID -eq 0 ]] && chown postgres: "$CLUSTER/pwfile"

log "initdb ($PGBIN) in $PGDATA_DIR, port $PORT"
as_server "$PGBIN/initdb" -D "$PGDATA_DIR" -U bench --pwfile="$CLUSTER/pwfile" \
  --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C -N \
  >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
rm -f "$CLUSTER/pwfile"
# fsync/synchronous_commit/full_page_writes off only speed up the load (the dumps only read).
as_server tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# vigil backup-bench: a throwaway cluster on loopback
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$CLUSTER'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 8GB
EOF
as_server "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$CLUSTER/server.log" -w -t 120 start >/dev/null \
  || { as_server cat "$CLUSTER/server.log" >&2 || true; die "the cluster did not start"; }

# Client tools connect over TCP with the password (scram), as the invoking user.
pgc() { env PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=bench PGPASSFILE="$PGPASS_FILE" PGAPPNAME=backup-bench "$@"; }
sql() { pgc "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
PG_VERSION="$(sql postgres 'SHOW server_version')"
PG_DUMP_VERSION="$("$PGBIN/pg_dump" --version)"

# --- Vigil warm-up: build if needed, outside every timing ------------------------------------
# ./vigil rebuilds when sources changed. In a tree others build at the same time a build can
# fail half-way (their `mvn` cleans what ours compiles): retry a few times before giving up.
warm_vigil() {
  local attempt
  for attempt in 1 2 3 4; do
    if (cd "$ROOT" && ./vigil --help >"$LOGS/vigil-build.log" 2>&1); then return 0; fi
    log "./vigil --help failed (attempt $attempt; a concurrent build?); retrying in 30s"
    sleep 30
  done
  tail -n 30 "$LOGS/vigil-build.log" >&2
  die "./vigil --help keeps failing (log: $LOGS/vigil-build.log)"
}
[[ -x "$ROOT/vigil" ]] || die "$ROOT/vigil not found (set VIGIL_HOME)"
log "warming up $ROOT/vigil (builds on first use)"
warm_vigil

RESULTS='[]'
export BENCH_CORES="$(nproc)"

for SCALE in "${SCALES[@]}"; do
  DB="bench_s$SCALE"
  log "scale $SCALE: loading $DB (pgbench -i -s $SCALE -q)"
  sql postgres "DROP DATABASE IF EXISTS $DB" >/dev/null
  sql postgres "CREATE DATABASE $DB" >/dev/null
  t0="$(now)"
  pgc "$PGBIN/pgbench" -i -s "$SCALE" -q "$DB" >"$LOGS/pgbench-s$SCALE.log" 2>&1 \
    || { tail -n 20 "$LOGS/pgbench-s$SCALE.log" >&2; die "pgbench -i failed"; }
  sql "$DB" 'VACUUM ANALYZE' >/dev/null
  sql "$DB" 'CHECKPOINT' >/dev/null
  LOAD_S="$(elapsed "$t0" "$(now)")"
  DB_BYTES="$(sql postgres "SELECT pg_database_size('$DB')")"
  log "scale $SCALE: $(mib "$DB_BYTES") loaded in ${LOAD_S}s"

  A=() B=() C=() CWALL=() RSS=() REPORTS=()
  LOADAVG_BEFORE="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo -1)"
  B_BYTES=0
  for RUN in $(seq 1 "$REPEAT"); do
    # (a) the source's own limit
    log "scale $SCALE run $RUN/$REPEAT: (a) pg_dump -Fc -Z0 > /dev/null"
    t0="$(now)"
    pgc "$PGBIN/pg_dump" -Fc -Z0 -d "$DB" >/dev/null
    A+=("$(elapsed "$t0" "$(now)")")

    # (b) the common baseline: gzip'd custom format to a file
    log "scale $SCALE run $RUN/$REPEAT: (b) pg_dump -Fc -f FILE"
    DUMP="$BENCH_DIR/dump-s$SCALE.pgc"
    t0="$(now)"
    pgc "$PGBIN/pg_dump" -Fc -d "$DB" -f "$DUMP"
    B+=("$(elapsed "$t0" "$(now)")")
    B_BYTES="$(stat -c %s "$DUMP")"
    rm -f "$DUMP"

    # (c) a Vigil backup to the embedded S3
    log "scale $SCALE run $RUN/$REPEAT: (c) vigil demo --sources (BENCH_JAVA_OPTS=$BENCH_JAVA_OPTS)"
    SOURCES="$BENCH_DIR/sources-s$SCALE.yaml"
    cat >"$SOURCES" <<EOF
sources:
  $DB:
    type: postgres
    host: 127.0.0.1
    port: $PORT
    database: $DB
    user: bench
    password-file: $PASSWORD_FILE
EOF
    REPORT="$BENCH_DIR/vigil-report-s$SCALE-r$RUN.json"
    VLOG="$LOGS/vigil-s$SCALE-r$RUN.log"
    rm -f "$REPORT"
    rm -rf "$VIGIL_WORK"
    # Sources may have changed since the warm-up (a shared tree): rebuild now, not inside the timing.
    warm_vigil
    t0="$(now)"
    if ! (cd "$ROOT" && VIGIL_JAVA_OPTS="$BENCH_JAVA_OPTS" ./vigil demo --sources "$SOURCES" \
      --report "$REPORT" --work-dir "$VIGIL_WORK") >"$VLOG" 2>&1; then
      tail -n 40 "$VLOG" >&2
      die "vigil demo failed at scale $SCALE (log: $VLOG)"
    fi
    CWALL+=("$(elapsed "$t0" "$(now)")")
    [[ -s "$REPORT" ]] || die "vigil demo wrote no report (log: $VLOG)"
    status="$(jq -r '.sources[0].status' "$REPORT")"
    verified="$(jq -r '.sources[0].verified' "$REPORT")"
    [[ "$verified" == true ]] || die "Vigil's backup ended '$status', not verified (log: $VLOG)"
    C+=("$(jq -r '.durationMillis / 1000' "$REPORT")")
    RSS+=("$(jq -r '.vigilPeakRssBytes // -1' "$REPORT")")
    REPORTS+=("$REPORT")
  done

  LOADAVG_AFTER="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo -1)"
  A_S="$(median "${A[@]}")"
  B_S="$(median "${B[@]}")"
  C_S="$(median "${C[@]}")"
  CWALL_S="$(median "${CWALL[@]}")"
  # Sizes and steps from the Vigil run whose duration is the median (the first, if REPEAT=1);
  # memory: the highest peak over the repeats.
  MED_REPORT="${REPORTS[0]}"
  best=""
  for i in "${!C[@]}"; do
    d="$(calc "(${C[$i]} - $C_S) < 0 ? ($C_S - ${C[$i]}) : (${C[$i]} - $C_S)" 6)"
    if [[ -z "$best" ]] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then
      best="$d"
      MED_REPORT="${REPORTS[$i]}"
    fi
  done
  RSS_MAX="$(printf '%s\n' "${RSS[@]}" | sort -g | tail -n 1)"
  STORED="$(jq -r '.sources[0].storedBytes' "$MED_REPORT")"
  RAW="$(jq -r '.sources[0].rawBytes' "$MED_REPORT")"
  COMPRESSION="$(jq -r '.sources[0].compression // "?"' "$MED_REPORT")"
  STEPS="$(jq -c '.sources[0].stepMillis // {}' "$MED_REPORT")"
  DURATION_MS="$(jq -r '.durationMillis' "$MED_REPORT")"

  ENTRY="$(jq -n \
    --argjson scale "$SCALE" --arg db "$DB" --argjson dbBytes "$DB_BYTES" --argjson loadSeconds "$LOAD_S" \
    --argjson a "$A_S" --argjson b "$B_S" --argjson bBytes "$B_BYTES" \
    --argjson c "$C_S" --argjson cWall "$CWALL_S" --argjson stored "$STORED" --argjson raw "$RAW" \
    --arg compression "$COMPRESSION" --argjson steps "$STEPS" --argjson durationMs "$DURATION_MS" \
    --argjson rss "$RSS_MAX" --argjson loadBefore "$LOADAVG_BEFORE" --argjson loadAfter "$LOADAVG_AFTER" \
    --argjson aRuns "$(printf '%s\n' "${A[@]}" | jq -s -c .)" \
    --argjson bRuns "$(printf '%s\n' "${B[@]}" | jq -s -c .)" \
    --argjson cRuns "$(printf '%s\n' "${C[@]}" | jq -s -c .)" \
    --argjson rssRuns "$(printf '%s\n' "${RSS[@]}" | jq -s -c .)" \
    '{scale: $scale, database: $db, databaseBytes: $dbBytes, loadSeconds: $loadSeconds,
      hostLoadAvg1m: {before: $loadBefore, after: $loadAfter},
      a: {what: "pg_dump -Fc -Z0 > /dev/null", seconds: $a, runs: $aRuns},
      b: {what: "pg_dump -Fc -f FILE", seconds: $b, bytes: $bBytes, runs: $bRuns},
      c: {what: "vigil backup (report durationMillis)", seconds: $c, runs: $cRuns,
          demoWallSeconds: $cWall, storedBytes: $stored, rawBytes: $raw, compression: $compression,
          stepSeconds: ($steps | map_values(. / 1000)),
          otherSeconds: (($durationMs - ($steps | [.[]] | add // 0)) / 1000),
          peakRssBytes: $rss, peakRssRuns: $rssRuns},
      ratios: {cOverA: ($c / $a), cOverB: ($c / $b), storedOverB: ($stored / $bBytes),
               bOverC: ($b / $c)}}')"
  RESULTS="$(jq -c --argjson e "$ENTRY" '. + [$e]' <<<"$RESULTS")"
done

# --- report ----------------------------------------------------------------------------------
# jq formatting helpers shared by the report programs.
JQ_DEFS='
  def fx($d): if . < 0 then "-" + (-. | fx($d)) else
    (pow(10; $d)) as $m | (. * $m | round) as $n
    | if $d == 0 then "\($n)" else "\($n / $m | floor)." + ("\($n % $m)" | ("0" * ($d - length)) + .) end end;
  def r2: fx(2);
  def s: fx(2) + "s";
  def mib: if . < 0 then "n/a" else (. / 1048576 | fx(1)) + " MiB" end;
  def pct: (. * 100 | fx(1)) + "%";
  def speed: if . <= 0 then "n/a" elif . >= 1 then "Vigil \(fx(2))x faster than (b)" else "Vigil \(1 / . | fx(2))x slower than (b)" end;
'
STEP_ORDER='["reserve-host","begin","dump","verify","compress","upload","verify-upload","mark-archived"]'

print_scale() { # $1: one entry
  jq -r --argjson order "$STEP_ORDER" --arg javaOpts "$BENCH_JAVA_OPTS" "$JQ_DEFS"'
    . as $e
    | ($e.c.stepSeconds) as $st
    | ([$order[] | select($st[.] != null)] + ([$st | keys_unsorted[]] - $order)) as $keys
    | [
      "",
      "== scale \($e.scale): database \($e.database), \($e.databaseBytes | mib) (pg_database_size), loaded in \($e.loadSeconds | s)",
      "   (a) pg_dump -Fc -Z0 > /dev/null      \($e.a.seconds | s)",
      "   (b) pg_dump -Fc (gzip) to a file      \($e.b.seconds | s)   file \($e.b.bytes | mib)",
      "   (c) Vigil backup to embedded S3       \($e.c.seconds | s)   stored \($e.c.storedBytes | mib) (raw dump \($e.c.rawBytes | mib), compression \($e.c.compression))",
      "       steps: " + ([$keys[] | "\(.) \($st[.] | s)"] + ["other \($e.c.otherSeconds | s)"] | join(", ")),
      "       vigil demo wall time incl. stack start/stop (not part of (c)): \($e.c.demoWallSeconds | s)",
      "   (c)/(a) = \($e.ratios.cOverA | r2)    (c)/(b) = \($e.ratios.cOverB | r2) (\($e.ratios.bOverC | speed))    stored/(b) = \($e.ratios.storedOverB | r2)",
      "   Vigil JVM peak RSS (worker + Temporal test server, \($javaOpts)): \($e.c.peakRssBytes | mib)",
      "   host load average (1 min) before/after the measurements: \($e.hostLoadAvg1m.before) / \($e.hostLoadAvg1m.after) (\(env.BENCH_CORES) cores; other work skews the times)"
    ] | .[]' <<<"$1"
}

# Targets: at TARGET_SCALE if it was run, else at the largest scale run.
TARGET_ENTRY="$(jq -c --argjson t "$TARGET_SCALE" '(map(select(.scale == $t)) | first) // max_by(.scale)' <<<"$RESULTS")"
TS="$(jq -r .scale <<<"$TARGET_ENTRY")"
TS_NOTE=""
[[ "$TS" == "$TARGET_SCALE" ]] || TS_NOTE=" (targets are for scale $TARGET_SCALE, which was not run; judged at scale $TS)"
LOW="$(jq -c 'min_by(.scale)' <<<"$RESULTS")"
HIGH="$(jq -c 'max_by(.scale)' <<<"$RESULTS")"

VERDICTS="$(jq -c -n --argjson e "$TARGET_ENTRY" --argjson lo "$LOW" --argjson hi "$HIGH" \
  --argjson tol "$RSS_TOLERANCE" "$JQ_DEFS"'
  def verdict(ok): if ok then "PASS" else "MISS" end;
  [
    ($e.ratios.cOverB) as $x
    | {target: "speed: Vigil >= 2x faster than pg_dump -Fc, i.e. (c)/(b) <= 0.5", scale: $e.scale,
       value: $x, limit: 0.5, verdict: verdict($x <= 0.5),
       detail: ("(c) \($e.c.seconds | r2)s vs (b) \($e.b.seconds | r2)s: \($e.ratios.bOverC | speed)"
                + (if $x <= 0.5 then "" else "; needs (c) <= \($e.b.seconds / 2 | r2)s, over by \($e.c.seconds - $e.b.seconds / 2 | r2)s (\($x / 0.5 - 1 | pct))" end))},
    ($e.ratios.storedOverB) as $x
    | {target: "size: Vigil stored size <= pg_dump -Fc file", scale: $e.scale,
       value: $x, limit: 1, verdict: verdict($x <= 1),
       detail: ("stored \($e.c.storedBytes | mib) vs (b) \($e.b.bytes | mib) (ratio \($x | r2))"
                + (if $x <= 1 then "" else "; over by \($e.c.storedBytes - $e.b.bytes | mib) (\($x - 1 | pct))" end))},
    ($e.ratios.cOverA) as $x
    | {target: "overhead: (c)/(a) <= 2.5", scale: $e.scale,
       value: $x, limit: 2.5, verdict: verdict($x <= 2.5),
       detail: ("(c) \($e.c.seconds | r2)s vs (a) \($e.a.seconds | r2)s"
                + (if $x <= 2.5 then "" else "; needs (c) <= \($e.a.seconds * 2.5 | r2)s, over by \($e.c.seconds - $e.a.seconds * 2.5 | r2)s (\($x / 2.5 - 1 | pct))" end))},
    if $lo.scale == $hi.scale then
      {target: "memory: Vigil peak RSS flat as the database grows", verdict: "N/A",
       detail: "needs two scales (e.g. 10 50)"}
    elif ($lo.c.peakRssBytes < 0 or $hi.c.peakRssBytes < 0) then
      {target: "memory: Vigil peak RSS flat as the database grows", verdict: "N/A",
       detail: "peak RSS not reported"}
    else
      ($hi.c.peakRssBytes / $lo.c.peakRssBytes) as $x
      | {target: "memory: Vigil peak RSS flat as the database grows (scale \($hi.scale) / scale \($lo.scale) <= \($tol))",
         value: $x, limit: $tol, verdict: verdict($x <= $tol),
         detail: ("scale \($lo.scale): \($lo.c.peakRssBytes | mib) (db \($lo.databaseBytes | mib)) -> scale \($hi.scale): \($hi.c.peakRssBytes | mib) (db \($hi.databaseBytes | mib)); x\($x | r2) RSS for x\($hi.databaseBytes / $lo.databaseBytes | r2) data")}
    end
  ]')"

{
  echo
  echo "Vigil backup benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, PostgreSQL $PG_VERSION, $PG_DUMP_VERSION"
  echo "(c) is the backup run itself (report durationMillis: dump -> verify -> compress+encrypt -> upload"
  echo "    -> read-back verify -> catalog); starting/stopping the embedded stack is not part of a backup."
  echo "Cluster: throwaway, loopback, fsync=off (speeds the load only). Times: median of $REPEAT run(s)."
  while read -r entry; do print_scale "$entry"; done < <(jq -c '.[]' <<<"$RESULTS")
  echo
  echo "Verdict$TS_NOTE:"
  jq -r '.[] | "  \(.verdict)  \(.target): \(.detail)"' <<<"$VERDICTS"
} | tee "$BENCH_DIR/results.txt"

# results.json and results.md
jq -n --argjson results "$RESULTS" --argjson verdicts "$VERDICTS" \
  --arg when "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(uname -srm)" --argjson cores "$(nproc)" \
  --arg pg "$PG_VERSION" --arg pgDump "$PG_DUMP_VERSION" --arg javaOpts "$BENCH_JAVA_OPTS" \
  --argjson repeat "$REPEAT" --argjson targetScale "$TS" \
  --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg dirty "$(if [[ -n "$(git -C "$ROOT" status --porcelain -- . ':(exclude)bench' 2>/dev/null || true)" ]]; then echo yes; else echo no; fi)" \
  '{generatedAt: $when, host: $host, cores: $cores, postgres: $pg, pgDump: $pgDump,
    vigilJavaOpts: $javaOpts, repeat: $repeat, vigilCommit: $commit, vigilTreeDirty: ($dirty == "yes"),
    note: "c = Vigil backup durationMillis (all steps); the embedded stack start/stop is excluded. Cluster runs with fsync=off (load speed only).",
    targetScale: $targetScale, scales: $results, verdicts: $verdicts}' >"$BENCH_DIR/results.json"

jq -r --argjson verdicts "$VERDICTS" --arg javaOpts "$BENCH_JAVA_OPTS" --arg cores "$(nproc)" \
  --arg pg "$PG_VERSION" --argjson repeat "$REPEAT" --argjson order "$STEP_ORDER" "$JQ_DEFS"'
  . as $all
  | ([$all[].c.stepSeconds | keys_unsorted[]] | unique) as $present
  | ([$order[] | select(. as $k | $present | index($k))] + ($present - $order)) as $keys
  | [
    "| scale | DB size | (a) `pg_dump -Fc -Z0` s | (b) `pg_dump -Fc` s | (b) size | (c) Vigil s | (c) stored | (c)/(a) | (c)/(b) | stored/(b) | Vigil peak RSS |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ($all[] | "| \(.scale) | \(.databaseBytes | mib) | \(.a.seconds | r2) | \(.b.seconds | r2) | \(.b.bytes | mib) | \(.c.seconds | r2) | \(.c.storedBytes | mib) | \(.ratios.cOverA | r2) | \(.ratios.cOverB | r2) | \(.ratios.storedOverB | r2) | \(.c.peakRssBytes | mib) |"),
    "",
    "Vigil steps (seconds):",
    "",
    "| scale | " + ($keys | join(" | ")) + " | other |",
    "|---:|" + ([$keys[] | "---:"] | join("|")) + "|---:|",
    ($all[] | . as $e | "| \($e.scale) | " + ([$keys[] | ($e.c.stepSeconds[.] // null) | if . == null then "-" else r2 end] | join(" | ")) + " | \($e.c.otherSeconds | r2) |"),
    "",
    "\($cores) cores, PostgreSQL \($pg), Vigil JVM `\($javaOpts)`, median of \($repeat) run(s); (c) excludes the embedded stack start/stop.",
    "",
    ($verdicts[] | "- **\(.verdict)** \(.target): \(.detail)")
  ] | .[]' <<<"$RESULTS" >"$BENCH_DIR/results.md"

echo
echo "results: $BENCH_DIR/results.txt, $BENCH_DIR/results.json, $BENCH_DIR/results.md (logs in $LOGS)"
