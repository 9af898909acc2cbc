package dev.vigil.workflows.retention;

/**
 * Restores an archived backup of a directory source into a local directory.
 *
 * @param backupId a specific backup, or null for the newest verified one
 * @param targetDir an empty (or absent) directory on the worker host
 * @param restoreDays how long a cold object stays readable once restored
 * @param requestedBy who asked (CLI user, API token name); null in runs started before it existed
 */
public record RehydrateRequest(
    String source,
    String backupId,
    String targetDir,
    int restoreDays,
    long requestedAtMillis,
    String requestedBy) {}
