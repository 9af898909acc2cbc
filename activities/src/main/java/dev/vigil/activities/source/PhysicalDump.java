package dev.vigil.activities.source;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A pg_basebackup copy of a cluster in the spool: one tar holding {@code backup_manifest}, {@code
 * base.tar} and {@code pg_wal.tar}, in that order.
 *
 * @param startLsn where WAL replay must start ({@code 0/2000028})
 * @param stopLsn where the copy becomes consistent
 * @param timeline the timeline the backup ends on
 * @param startedAt when pg_basebackup started (worker clock)
 * @param stoppedAt when it finished (worker clock): the copy is consistent as of then
 * @param toolVersion e.g. {@code pg_basebackup (PostgreSQL) 15.14}
 */
public record PhysicalDump(
    Path archive,
    long bytes,
    String startLsn,
    String stopLsn,
    int timeline,
    Instant startedAt,
    Instant stoppedAt,
    String toolVersion) {}
