package dev.vigil.starter.read;

import java.time.Instant;
import java.util.List;

/** One backup of one source as the catalog holds it. Sizes in bytes; times null when unknown. */
public record BackupView(
    String backupId,
    String setId,
    String source,
    String kind,
    String repository,
    String status,
    Instant startedAt,
    Instant finishedAt,
    Instant consistentAt,
    long rawBytes,
    long storedBytes,
    String sha256,
    String storageClass,
    String bucket,
    String objectKey,
    List<String> warnings,
    String failureType,
    String failureReason,
    String workflowId,
    String triggeredBy) {}
