package dev.vigil.activities.config;

import java.util.List;

/**
 * The 256-bit keys backups are sealed with: one or more, by id, and which one seals new backups.
 * Older keys stay configured so the backups they sealed stay restorable.
 *
 * @param keys every configured key; a single {@code key-env}/{@code key-file} config is one key
 * @param current the id of the key that seals new backups; null for a single key without an id
 */
public record EncryptionConfig(List<Key> keys, String current) {
  public EncryptionConfig {
    keys = List.copyOf(keys);
  }

  /**
   * One key.
   *
   * @param id recorded on every backup it seals; null means a fingerprint derived from the key
   * @param ref env var (base64 or hex) or key file (32 raw bytes, or base64/hex text)
   */
  public record Key(String id, SecretRef ref) {}

  /** A single key, as the {@code key-env}/{@code key-file}/{@code key-id} form configures it. */
  public static EncryptionConfig single(SecretRef key, String keyId) {
    return new EncryptionConfig(List.of(new Key(keyId, key)), keyId);
  }

  /** Where the current key lives. */
  public SecretRef key() {
    return keys.stream()
        .filter(key -> current == null || current.equals(key.id()))
        .findFirst()
        .map(Key::ref)
        .orElse(SecretRef.NONE);
  }
}
