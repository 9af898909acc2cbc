package dev.vigil.workflows.retention;

/**
 * The backup a rehydration reads.
 *
 * @param cold whether its storage class needs a restore request before it can be read
 */
public record RehydrateTarget(
    String backupId,
    String source,
    String repository,
    String objectKey,
    String storageClass,
    boolean cold,
    long size,
    String sha256) {}
