package dev.vigil.activities.catalog;

import java.time.Instant;
import java.util.List;

/** One row of the catalog's {@code backup} table. */
public record BackupRecord(
    String backupId,
    String setId,
    String source,
    String sourceType,
    String kind,
    String repository,
    String status,
    Instant startedAt,
    Instant finishedAt,
    Instant consistentAt,
    long rawBytes,
    long storedBytes,
    String sha256,
    String compression,
    String encryption,
    String keyId,
    String bucket,
    String objectKey,
    String manifestKey,
    String storageClass,
    String format,
    String toolVersion,
    String serverVersion,
    List<String> warnings,
    String failureType,
    String failureReason,
    String workflowId,
    String runId,
    String hostId,
    String triggeredBy) {}
