package dev.vigil.activities.config;

/**
 * The 256-bit key backups are sealed with.
 *
 * @param key env var (base64 or hex) or key file (32 raw bytes, or base64/hex text)
 * @param keyId recorded on every backup; null means a fingerprint derived from the key
 */
public record EncryptionConfig(SecretRef key, String keyId) {}
