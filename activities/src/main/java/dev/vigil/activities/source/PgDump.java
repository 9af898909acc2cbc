package dev.vigil.activities.source;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A pg_dump custom-format archive in the spool, with the per-table row counts beside it in {@code
 * tables.json}.
 *
 * @param bytes the archive's size
 * @param tables user tables counted in the dump's snapshot
 * @param totalRows rows of those tables in the dump's snapshot
 * @param consistentAt the server's clock when the snapshot was taken
 * @param pgDumpVersion e.g. {@code pg_dump (PostgreSQL) 15.14}
 * @param serverVersion the source's {@code server_version}
 */
public record PgDump(
    Path dumpFile,
    long bytes,
    long tables,
    long totalRows,
    Instant consistentAt,
    String pgDumpVersion,
    String serverVersion) {}
