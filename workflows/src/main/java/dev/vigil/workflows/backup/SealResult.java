package dev.vigil.workflows.backup;

/**
 * The sealed file in the spool, as it will be stored.
 *
 * @param compression {@code zstd} or {@code none} (data that does not compress)
 * @param encryption the streaming AEAD format, e.g. {@code AES256_GCM_HKDF_1MB}
 * @param keyId the id of the key that sealed it (never the key)
 * @param sha256 hex SHA-256 of the stored bytes
 */
public record SealResult(
    String backupId,
    long rawBytes,
    long storedBytes,
    String sha256,
    String compression,
    String encryption,
    String keyId) {}
