package dev.vigil.activities.retention;

import java.time.Instant;

/**
 * What the policy engine knows of one catalog backup.
 *
 * @param at the point in time it holds (consistent point, else its start)
 * @param verified uploaded and read back (catalog status ARCHIVED)
 * @param cold its data object is in a cold storage class already
 */
public record RetainedBackup(
    String backupId,
    String source,
    String status,
    Instant at,
    boolean verified,
    String storageClass,
    boolean cold,
    long storedBytes) {}
