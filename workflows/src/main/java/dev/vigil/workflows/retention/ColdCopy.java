package dev.vigil.workflows.retention;

/**
 * A backup's data object copied to a cold storage class.
 *
 * @param hotKey the original (hot) object
 * @param coldKey the copy
 * @param size the size both must have
 * @param sha256 the SHA-256 both must have (the catalog's, hex)
 * @param copyChecksum the base64 SHA-256 the store computed while copying, or null
 */
public record ColdCopy(
    String runId,
    String backupId,
    String source,
    String repository,
    String hotKey,
    String coldKey,
    String storageClass,
    long size,
    String sha256,
    String copyChecksum) {}
