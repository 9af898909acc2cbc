#!/usr/bin/env bash
# A fresh JVM's first restore-sized decryptions, with and without the worker's warm-up (SealWarmUp),
# side by side: ROUNDS pairs of new JVMs, each opening MIB MiB of 1 MiB chunks (ChunkCrypto) and
# unsealing MIB MiB of 1 MiB AEAD segments (Sealer). Medians. See bench/README.md.
#
#   bench/warmup-bench.sh            MIB=256 ROUNDS=3
set -euo pipefail
BENCH_NAME=warmup-bench
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
MIB="${MIB:-256}"
ROUNDS="${ROUNDS:-3}"

lib="$ROOT/infra/target/lib"
if [ ! -f "$lib/vigil-activities-0.1.0-SNAPSHOT.jar" ] \
  || [ -n "$(find "$ROOT/activities/src/main" -newer "$lib/vigil-activities-0.1.0-SNAPSHOT.jar" -print -quit)" ]; then
  log "building (./vigil --help)"
  (cd "$ROOT" && ./vigil --help >/dev/null) || die "cannot build Vigil"
fi
log "$ROUNDS rounds of $MIB MiB each, $(nproc) cores, $(java -version 2>&1 | head -1)"
declare -A values
for r in $(seq 1 "$ROUNDS"); do
  for mode in cold warm; do
    out="$(java -cp "$lib/*" "$HERE/WarmUpSpeed.java" "$mode" "$MIB")" || die "WarmUpSpeed $mode failed"
    for metric in warm-up open unseal; do
      values[$mode.$metric]+="$(awk -v m="$metric" '$1 == m { print $2 }' <<<"$out") "
    done
  done
done
med() { median ${values[$1]}; }
printf '| fresh JVM, first %s MiB | warm-up, ms | ChunkCrypto.open, MB/s | Sealer.unseal, MB/s |\n|---|---:|---:|---:|\n' "$MIB"
printf '| without the warm-up | %s | %s | %s |\n' "$(med cold.warm-up)" "$(med cold.open)" "$(med cold.unseal)"
printf '| after SealWarmUp.run() | %s | %s | %s |\n' "$(med warm.warm-up)" "$(med warm.open)" "$(med warm.unseal)"
