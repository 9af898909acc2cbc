#!/usr/bin/env bash
# Checksum throughput, side by side in one JVM: Vigil's CRC64NVME (three interleaved lanes) against
# the one-lane slicing-by-8 it replaced, the JDK's CRC32C and SHA-256. Medians of ROUNDS passes over
# MIB MiB (after one warm-up pass). See bench/README.md.
#
#   bench/crc-bench.sh            MIB=1024 ROUNDS=5
set -euo pipefail
BENCH_NAME=crc-bench
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
MIB="${MIB:-1024}"
ROUNDS="${ROUNDS:-5}"

classes="$ROOT/activities/target/classes"
if [ ! -f "$classes/dev/vigil/activities/common/Crc64Nvme.class" ] \
  || [ "$ROOT/activities/src/main/java/dev/vigil/activities/common/Crc64Nvme.java" -nt \
    "$classes/dev/vigil/activities/common/Crc64Nvme.class" ]; then
  log "compiling the activities module"
  (cd "$ROOT" && ./mvnw -B -q -pl activities -am compile -Dspotless.check.skip=true) \
    || die "cannot compile the activities module"
fi
log "$ROUNDS rounds of $MIB MiB each, $(nproc) cores, $(java -version 2>&1 | head -1)"
results="$(java -cp "$classes" "$HERE/CrcSpeed.java" "$MIB" "$ROUNDS")" || die "CrcSpeed failed"
speed() { awk -v name="$1" '$1 == name { print $2 }' <<<"$results"; }
vigil="$(speed crc64nvme-vigil)"
one="$(speed crc64nvme-one-lane)"
printf '| checksum | GB/s |\n|---|---:|\n'
printf '| CRC64NVME, Vigil (3 lanes) | %s |\n' "$vigil"
printf '| CRC64NVME, one lane (before) | %s |\n' "$one"
printf '| CRC32C, JDK (SSE4.2 instruction) | %s |\n' "$(speed crc32c-jdk)"
printf '| SHA-256, JDK | %s |\n' "$(speed sha256-jdk)"
echo
echo "CRC64NVME: Vigil $(calc "$vigil / $one")x the one-lane speed"
