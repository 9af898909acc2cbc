#!/usr/bin/env bash
# The report of bench/speed-bench.sh: medians, ratios and a PASS/MISS line per target of issue 12.
#
#   bench/speed-report.sh MEASUREMENTS.tsv OUT_DIR META_JSON
#
# MEASUREMENTS.tsv: lines "round<TAB>key<TAB>value" (round 0 = warm-up, not reported). Writes
# OUT_DIR/results.txt (also printed), results.json and results.md. Can be rerun on a kept
# measurements file (BENCH_DIR/run/measurements.tsv) with the meta of results.json.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 MEASUREMENTS.tsv OUT_DIR META_JSON" >&2; exit 2; }
MEASURE="$1" OUT="$2" META="$3"

# {key: {runs: [...], median: m}} over rounds >= 1
RESULTS="$(jq -R -s -c '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  [split("\n")[] | select(length > 0) | split("\t") | {round: (.[0] | tonumber), key: .[1], value: (.[2] | tonumber)}]
  | map(select(.round >= 1)) | group_by(.key)
  | map({key: .[0].key, value: {runs: map(.value), median: (map(.value) | median)}}) | from_entries' "$MEASURE")"

JQ_DEFS='
  def fx($d): if . == null then "n/a" elif . < 0 then "-" + (-. | fx($d)) else
    (pow(10; $d)) as $m | (. * $m | round) as $n
    | if $d == 0 then "\($n)" else "\($n / $m | floor)." + ("\($n % $m)" | ("0" * ($d - length)) + .) end end;
  def s: if . == null then "n/a" else fx(2) + " s" end;
  def mib: if . == null then "n/a" elif . >= 1073741824 then (. / 1073741824 | fx(2)) + " GiB" else (. / 1048576 | fx(1)) + " MiB" end;
  def m($k): $r[$k].median;
'

VERDICTS="$(jq -c -n --argjson r "$RESULTS" --argjson meta "$META" "$JQ_DEFS"'
  def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
  def target($name; $vigil; $other; $otherName; $limit; $unit):
    ratio($vigil; $other) as $x
    | {target: $name, vigil: $vigil, other: $other, otherName: $otherName, ratio: $x, limit: $limit,
       verdict: (if $x == null then "N/A" elif $x <= $limit then "PASS" else "MISS" end),
       detail: ("Vigil \($vigil | if $unit == "bytes" then mib else s end) vs \($otherName) \($other | if $unit == "bytes" then mib else s end): \($x | fx(2))x (target <= \($limit)x)")};
  [
    target("directory, first backup <= 1.0x restic"; m("dir.first.vigil.seconds"); m("dir.first.restic.seconds"); "restic"; 1.0; "s"),
    target("directory, second backup after the 1 % change <= 1.5x restic time"; m("dir.second.vigil.seconds"); m("dir.second.restic.seconds"); "restic"; 1.5; "s"),
    target("directory, second backup added storage <= 1.5x restic"; m("dir.second.vigil.added"); m("dir.second.restic.added"); "restic"; 1.5; "bytes"),
    target("directory, restore <= 1.0x restic"; m("dir.restore.vigil.seconds"); m("dir.restore.restic.seconds"); "restic"; 1.0; "s"),
    target("text database, backup <= 1.3x pg_dump -Z0 | zstd -T2, both to the local disk (Vigil: a filesystem repository)"; m("text.backup.vigil_fs.seconds"); m("text.backup.pgdump_zstd.seconds"); "pg_dump -Z0 | zstd -T2"; 1.3; "s"),
    target("text database, backup <= 1.3x pg_dump -Z0 | zstd -T2, Vigil to the embedded S3 (S3Mock on the same cores)"; m("text.backup.vigil.seconds"); m("text.backup.pgdump_zstd.seconds"); "pg_dump -Z0 | zstd -T2"; 1.3; "s"),
    target("text database, backup <= 1.0x pgBackRest zst, both to a repository on the local disk"; m("text.backup.vigil_fs.seconds"); m("text.backup.pgbackrest.seconds"); "pgBackRest"; 1.0; "s"),
    target("text database, backup <= 1.0x pgBackRest zst, both to the embedded S3"; m("text.backup.vigil.seconds"); m("text.backup.pgbackrest_s3.seconds"); "pgBackRest"; 1.0; "s"),
    target("text database, restore <= 1.3x pg_restore -j2, both from the local disk"; m("text.restore.vigil_fs.seconds"); m("text.restore.pg_restore.seconds"); "pg_restore -j2"; 1.3; "s"),
    target("text database, restore <= 1.3x pg_restore -j2, Vigil from the embedded S3"; m("text.restore.vigil.seconds"); m("text.restore.pg_restore.seconds"); "pg_restore -j2"; 1.3; "s"),
    (ratio(m("rss.large.rss"); m("rss.small.rss")) as $x
     | {target: "worker RSS flat from ~0.5 to ~2 GiB of data (peak at 2 GiB / at 0.5 GiB <= \($meta.rssTolerance))",
        ratio: $x, limit: $meta.rssTolerance,
        verdict: (if $x == null then "N/A" elif $x <= $meta.rssTolerance then "PASS" else "MISS" end),
        detail: "\(m("rss.small.rss") | mib) backing up \($meta.rssSmallBytes | mib) -> \(m("rss.large.rss") | mib) backing up \($meta.rssLargeBytes | mib): \($x | fx(2))x (worker \($meta.vigilWorkerJavaOpts))"}),
    (m("tiny.vigil.seconds") as $x
     | {target: "fixed cost of a 1 KiB source <= 0.8 s", vigil: $x, limit: 0.8,
        verdict: (if $x == null then "N/A" elif $x <= 0.8 then "PASS" else "MISS" end),
        detail: "Vigil backup of a 1 KiB directory: \($x | s) (target <= 0.8 s)"})
  ]')"

# Rows: measurement, Vigil, the others (name: value), Vigil / each other.
ROWS="$(jq -c -n --argjson r "$RESULTS" "$JQ_DEFS"'
  def row($what; $vk; $others; $unit):
    {what: $what, unit: $unit, vigil: m($vk),
     others: [$others[] | {name: .[0], value: m(.[1]), ratio: (if m($vk) == null or m(.[1]) == null or m(.[1]) == 0 then null else m($vk) / m(.[1]) end)}]};
  [
    row("directory: first backup, s"; "dir.first.vigil.seconds"; [["restic", "dir.first.restic.seconds"], ["tar | zstd -T2", "dir.first.tar.seconds"]]; "s"),
    row("directory: stored after the first backup"; "dir.first.vigil.added"; [["restic", "dir.first.restic.stored"], ["tar | zstd -T2", "dir.first.tar.stored"]]; "bytes"),
    row("directory: second backup (1 % changed), s"; "dir.second.vigil.seconds"; [["restic", "dir.second.restic.seconds"]]; "s"),
    row("directory: storage added by the second backup"; "dir.second.vigil.added"; [["restic", "dir.second.restic.added"]]; "bytes"),
    row("directory: restore into an empty directory, s"; "dir.restore.vigil.seconds"; [["restic", "dir.restore.restic.seconds"], ["zstd -d | tar -x", "dir.restore.tar.seconds"]]; "s"),
    row("chat database: backup to the local disk, s"; "text.backup.vigil_fs.seconds"; [["pg_dump -Fc -Z0 | zstd -T2", "text.backup.pgdump_zstd.seconds"], ["pgBackRest full zst (posix repo)", "text.backup.pgbackrest.seconds"]]; "s"),
    row("chat database: backup to the embedded S3, s"; "text.backup.vigil.seconds"; [["pgBackRest full zst (same S3)", "text.backup.pgbackrest_s3.seconds"], ["pg_dump -Fc -Z0 | zstd -T2 (local file)", "text.backup.pgdump_zstd.seconds"]]; "s"),
    row("chat database: stored"; "text.backup.vigil.stored"; [["pg_dump -Fc -Z0 | zstd -T2", "text.backup.pgdump_zstd.stored"], ["pgBackRest full zst", "text.backup.pgbackrest.stored"]]; "bytes"),
    row("chat database: restore from the local disk, s"; "text.restore.vigil_fs.seconds"; [["pg_restore -j2", "text.restore.pg_restore.seconds"]]; "s"),
    row("chat database: restore from the embedded S3, s"; "text.restore.vigil.seconds"; [["pg_restore -j2 (local file)", "text.restore.pg_restore.seconds"]]; "s"),
    row("pgbench: backup to the local disk, s"; "pgbench.backup.vigil_fs.seconds"; [["pg_dump -Fc -Z0 | zstd -T2", "pgbench.backup.pgdump_zstd.seconds"], ["pgBackRest full zst (posix repo)", "pgbench.backup.pgbackrest.seconds"]]; "s"),
    row("pgbench: backup to the embedded S3, s"; "pgbench.backup.vigil.seconds"; [["pgBackRest full zst (same S3)", "pgbench.backup.pgbackrest_s3.seconds"], ["pg_dump -Fc -Z0 | zstd -T2 (local file)", "pgbench.backup.pgdump_zstd.seconds"]]; "s"),
    row("pgbench: stored"; "pgbench.backup.vigil.stored"; [["pg_dump -Fc -Z0 | zstd -T2", "pgbench.backup.pgdump_zstd.stored"], ["pgBackRest full zst", "pgbench.backup.pgbackrest.stored"]]; "bytes"),
    row("pgbench: restore from the local disk, s"; "pgbench.restore.vigil_fs.seconds"; [["pg_restore -j2", "pgbench.restore.pg_restore.seconds"]]; "s"),
    row("pgbench: restore from the embedded S3, s"; "pgbench.restore.vigil.seconds"; [["pg_restore -j2 (local file)", "pgbench.restore.pg_restore.seconds"]]; "s"),
    row("1 KiB directory: backup, s"; "tiny.vigil.seconds"; []; "s"),
    row("worker peak RSS, ~0.5 GiB directory"; "rss.small.rss"; []; "bytes"),
    row("worker peak RSS, ~2 GiB directory"; "rss.large.rss"; []; "bytes")
  ]')"

FMT='def v($u): if $u == "bytes" then mib else (if . == null then "n/a" else fx(2) end) end;'

{
  jq -r -n --argjson meta "$META" "$JQ_DEFS"'
    "Vigil speed benchmark (issue 12) - \($meta.generatedAt), \($meta.cores) cores, \($meta.host)",
    "Data: tree \($meta.treeBytes | mib) (\($meta.treeFiles) files), chat database \($meta.chatBytes | mib), pgbench \($meta.pgbenchBytes | mib)  [\($meta.data)]",
    "Medians of \($meta.rounds) interleaved round(s). PostgreSQL \($meta.postgres), \($meta.restic), pgBackRest \($meta.pgbackrest | sub("pgBackRest "; "")), \($meta.zstd | sub("^[* ]+"; "") | sub(", by.*"; "")).",
    "Vigil: its own run durations (backup durationMillis, restore finished - started; the embedded stack and CLI start not counted), worker \($meta.vigilWorkerJavaOpts); others: wall time.",
    (if ($meta.vigilExtra | [.[]] | map(select(length > 0)) | length) > 0 then "Vigil extra config: \($meta.vigilExtra | tojson)" else empty end),
    "Host load average (1 min) before/after: \($meta.hostLoadAvg1m.before) / \($meta.hostLoadAvg1m.after)",
    ""'
  jq -r --argjson r "$RESULTS" "$JQ_DEFS$FMT"'
    .[] | . as $row
    | "  " + ($row.what + (" " * 48))[0:48] + " Vigil " + ($row.vigil | v($row.unit))
      + ([$row.others[] | "   \(.name) \(.value | v($row.unit)) (Vigil/that \(.ratio | fx(2))x)"] | join(""))' <<<"$ROWS"
  echo
  echo "Targets:"
  jq -r '.[] | "  \(.verdict)  \(.target): \(.detail)"' <<<"$VERDICTS"
} | tee "$OUT/results.txt"

jq -n --argjson meta "$META" --argjson medians "$RESULTS" --argjson rows "$ROWS" --argjson verdicts "$VERDICTS" \
  '$meta + {measurements: $medians, table: $rows, verdicts: $verdicts}' >"$OUT/results.json"

{
  jq -r '"| measurement | Vigil | compared with | their value | Vigil / theirs |", "|---|---:|---|---:|---:|"' -n
  jq -r --argjson r "$RESULTS" "$JQ_DEFS$FMT"'
    .[] | . as $row
    | if ($row.others | length) == 0 then "| \($row.what) | \($row.vigil | v($row.unit)) | | | |"
      else ($row.others | to_entries[] | "| \(if .key == 0 then $row.what else "" end) | \(if .key == 0 then ($row.vigil | v($row.unit)) else "" end) | `\(.value.name | gsub("[|]"; "\\|"))` | \(.value.value | v($row.unit)) | \(.value.ratio | fx(2)) |") end' <<<"$ROWS"
  echo
  jq -r -n --argjson meta "$META" "$JQ_DEFS"'
    "\($meta.cores) cores; tree \($meta.treeBytes | mib) (\($meta.treeFiles) files), chat database \($meta.chatBytes | mib), pgbench \($meta.pgbenchBytes | mib); medians of \($meta.rounds) interleaved round(s); Vigil times are its own run durations (stack start not counted), worker `\($meta.vigilWorkerJavaOpts)`."'
  echo
  jq -r '.[] | "- **\(.verdict)** \(.target): \(.detail)"' <<<"$VERDICTS"
} >"$OUT/results.md"

echo
echo "results: $OUT/results.txt, $OUT/results.json, $OUT/results.md"
