package dev.vigil.starter.read;

import java.time.Instant;

/**
 * How one source (and kind) stands at the report's {@code asOf}.
 *
 * @param outcome OK (archived within 24 hours), STALE (last archived backup older), FAILED (its
 *     newest backup failed), RUNNING, or NEVER (no archived backup at all)
 * @param lastBackupId its newest backup of any status
 * @param lastSuccessAt when its newest archived backup finished
 * @param ageSeconds seconds from {@code lastSuccessAt} to the report's {@code asOf}, null if never
 * @param rawBytes raw size of the newest archived backup
 * @param storedBytes stored size of the newest archived backup
 * @param backupsOfDay backups of the report's day
 * @param failuresOfDay failed backups of the report's day
 */
public record SourceStatus(
    String source,
    String kind,
    String outcome,
    String lastBackupId,
    String lastStatus,
    Instant lastFinishedAt,
    Instant lastSuccessAt,
    Long ageSeconds,
    long rawBytes,
    long storedBytes,
    int backupsOfDay,
    int failuresOfDay) {}
