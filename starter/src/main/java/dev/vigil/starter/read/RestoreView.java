package dev.vigil.starter.read;

import java.time.Instant;

/**
 * One restore Vigil ran (on demand or in a drill).
 *
 * @param validationPassed null when the restore did not get as far as validating
 */
public record RestoreView(
    String restoreId,
    String runId,
    String backupId,
    String source,
    String targetType,
    String status,
    Instant startedAt,
    Instant finishedAt,
    long durationMillis,
    Boolean validationPassed,
    String failureType,
    String failureReason,
    String requestedBy) {}
