# shellcheck shell=bash
# Shell helpers shared by the bench/ scripts. Source it after setting BENCH_NAME (the prefix of
# error lines); it defines no traps and starts nothing by itself.
#
#   die MSG...             print "BENCH_NAME: MSG" on stderr, exit 2 (a harness error)
#   log MSG...             a timestamped progress line on stderr
#   now / elapsed T0 T1    wall clock in seconds (fractional) / T1 - T0 with 3 decimals
#   median N...            the median of the numbers given
#   calc EXPR [DECIMALS]   awk arithmetic
#   mib BYTES              "12.3 MiB"
#   free_port              a free TCP port on 127.0.0.1
#   find_pgbin             sets PGBIN (newest /usr/lib/postgresql/*/bin unless set) and checks tools
#   as_server CMD...       runs CMD as the PostgreSQL server's user ('postgres' when we are root)
#   pg_cluster_init DIR PORT USER [CONF_LINES]   initdb (trust on loopback) + a postgresql.conf tail
#   pg_cluster_start DIR PORT / pg_cluster_stop DIR   pg_ctl start (log DIR/server.log) / fast stop

: "${BENCH_NAME:=bench}"

die() { echo "$BENCH_NAME: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
mib() { awk -v b="$1" 'BEGIN { if (b < 0) print "n/a"; else printf "%.1f MiB", b / 1048576 }'; }
free_port() {
  local p _
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free TCP port found"
}

find_pgbin() {
  if [[ -z "${PGBIN:-}" ]]; then
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$PGBIN" || ! -x "$PGBIN/initdb" ]]; then
      PGBIN="$(dirname "$(command -v initdb || echo /nonexistent/initdb)")"
    fi
  fi
  local tool
  for tool in initdb pg_ctl psql pgbench pg_dump pg_restore; do
    [[ -x "$PGBIN/$tool" ]] || die "$PGBIN/$tool not found; install PostgreSQL (apt-get install -y postgresql) or set PGBIN"
  done
}

# The server must not run as root: as root, initdb/pg_ctl run as 'postgres' on a dir it owns.
if [[ $EUID -eq 0 ]]; then
  as_server() { runuser -u postgres -- "$@"; }
else
  as_server() { "$@"; }
fi

# pg_cluster_init DIR PORT USER [CONF_LINES]: a new cluster in DIR (which must not exist; its
# parent must be enterable by the server's user), trust authentication, listening on 127.0.0.1:PORT
# only, its socket in DIR. CONF_LINES are appended to postgresql.conf.
pg_cluster_init() {
  local dir="$1" port="$2" user="$3" conf="${4:-}"
  mkdir -p "$dir"
  [[ $EUID -eq 0 ]] && chown postgres: "$dir"
  as_server test -w "$dir" || die "the server's user cannot write $dir (choose a BENCH_DIR outside /root)"
  as_server "$PGBIN/initdb" -D "$dir" -U "$user" --auth=trust -E UTF8 --locale=C -N \
    >"$dir.initdb.log" 2>&1 || { cat "$dir.initdb.log" >&2; die "initdb of $dir failed"; }
  as_server tee -a "$dir/postgresql.conf" >/dev/null <<EOF

# $BENCH_NAME: a throwaway cluster on loopback
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
$conf
EOF
}

pg_cluster_start() { # DIR PORT: the port may differ from the one initdb got (a cached cluster)
  as_server "$PGBIN/pg_ctl" -D "$1" -o "-p $2" -l "$1/server.log" -w -t 120 start >/dev/null \
    || { tail -n 20 "$1/server.log" >&2 || true; die "the cluster in $1 did not start (log: $1/server.log)"; }
}

pg_cluster_stop() {
  if [[ -f "$1/postmaster.pid" ]]; then
    as_server "$PGBIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
}
