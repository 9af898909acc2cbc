package dev.vigil.workflows.backup;

/**
 * A consistent copy of a source in the spool. The file lists and row counts stay in the spool
 * beside the dump; only their totals travel through Temporal.
 *
 * @param format {@code pg_dump-custom} or {@code tar}
 * @param entries tables (PostgreSQL) or files (directory) captured
 * @param totalRows rows counted in the dump's snapshot (PostgreSQL), else 0
 * @param consistentAtMillis the moment the copy is consistent as of (the snapshot, or the walk)
 * @param toolVersion e.g. {@code pg_dump (PostgreSQL) 15.18}
 * @param serverVersion the source server's version, or null for directories
 */
public record DumpResult(
    String backupId,
    String spoolDir,
    String format,
    long rawBytes,
    long entries,
    long totalRows,
    long consistentAtMillis,
    String toolVersion,
    String serverVersion) {}
