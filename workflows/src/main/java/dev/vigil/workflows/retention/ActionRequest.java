package dev.vigil.workflows.retention;

/**
 * One archive or prune of one backup.
 *
 * @param storageClass the cold class an archive copies to (null for a prune)
 * @param reason the decision's reason, for the log and the catalog
 */
public record ActionRequest(
    String runId, String backupId, String source, String storageClass, String reason) {}
