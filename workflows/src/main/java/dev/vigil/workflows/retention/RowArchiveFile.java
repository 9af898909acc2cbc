package dev.vigil.workflows.retention;

/**
 * A written (and, once verified, trusted) file of archived rows.
 *
 * @param sha256 of the stored (sealed) bytes
 * @param rows rows in the file
 */
public record RowArchiveFile(
    RowMonth month, String bucket, String objectKey, long rows, long storedBytes, String sha256) {}
