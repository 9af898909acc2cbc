package dev.vigil.activities.store;

/**
 * A finished copy.
 *
 * @param checksumSha256 the base64 SHA-256 the store computed over the copy's bytes, or null if it
 *     does not report one
 */
public record CopyOutcome(String key, long size, String storageClass, String checksumSha256) {}
