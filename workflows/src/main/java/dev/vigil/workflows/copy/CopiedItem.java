package dev.vigil.workflows.copy;

/**
 * A copy as written, before it is verified.
 *
 * @param bytes bytes written for the data object (or set manifest)
 * @param sha256 hex SHA-256 of those bytes
 * @param manifestBytes bytes written for the backup's manifest; -1 for a set
 * @param manifestSha256 hex SHA-256 of the manifest; null for a set
 */
public record CopiedItem(
    CopyTask task, long bytes, String sha256, long manifestBytes, String manifestSha256) {}
