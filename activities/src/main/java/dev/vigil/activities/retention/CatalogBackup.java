package dev.vigil.activities.retention;

import java.time.Instant;

/**
 * A catalog backup row with the columns retention needs.
 *
 * @param at its consistent point, else its start
 * @param objectKey the data object the catalog points at (the cold copy once archived)
 * @param hotObjectKey the original data object of an archived backup (null before archival)
 */
public record CatalogBackup(
    String backupId,
    String source,
    String kind,
    String repository,
    String status,
    Instant at,
    long storedBytes,
    String sha256,
    String bucket,
    String objectKey,
    String manifestKey,
    String storageClass,
    String hotObjectKey,
    Instant archivedColdAt) {}
