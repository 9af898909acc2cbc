package dev.vigil.workflows.backup;

/**
 * Where the backup is stored.
 *
 * @param resumedParts parts a retried attempt found already uploaded and did not send again
 */
public record UploadResult(
    String bucket,
    String objectKey,
    String manifestKey,
    String storageClass,
    long storedBytes,
    int parts,
    int resumedParts) {}
