package dev.vigil.activities.crypto;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.EncryptionConfig;
import dev.vigil.workflows.common.ErrorType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every configured key by id, and the current one, which seals new backups. Backups record the id
 * of the key that sealed them, so after a rotation each older backup finds its own key here.
 */
public final class Keyring {
  private final Map<String, EncryptionKey> keys;
  private final EncryptionKey current;

  private Keyring(Map<String, EncryptionKey> keys, EncryptionKey current) {
    this.keys = keys;
    this.current = current;
  }

  /** Loads every configured key; ENCRYPTION_KEY_INVALID naming the first that cannot be read. */
  public static Keyring load(EncryptionConfig config, Function<String, String> environment) {
    List<EncryptionKey> loaded = new ArrayList<>();
    EncryptionKey current = null;
    for (EncryptionConfig.Key key : config.keys()) {
      EncryptionKey material = EncryptionKey.load(key, environment);
      loaded.add(material);
      if (current == null && (config.current() == null || config.current().equals(key.id()))) {
        current = material;
      }
    }
    if (current == null) {
      throw new VigilException(
          ErrorType.ENCRYPTION_KEY_INVALID,
          "encryption.current names key '"
              + config.current()
              + "', which is not under encryption.keys");
    }
    return of(current, loaded.toArray(EncryptionKey[]::new));
  }

  /** {@code current} and any older keys (which may repeat {@code current}). */
  public static Keyring of(EncryptionKey current, EncryptionKey... older) {
    Map<String, EncryptionKey> keys = new LinkedHashMap<>();
    keys.put(current.keyId(), current);
    for (EncryptionKey key : older) {
      keys.putIfAbsent(key.keyId(), key);
    }
    return new Keyring(keys, current);
  }

  /** The key that seals new backups. */
  public EncryptionKey current() {
    return current;
  }

  /**
   * The key with id {@code keyId}: by its configured id, else by its fingerprint (a backup sealed
   * while the key was configured without an id records that).
   */
  public Optional<EncryptionKey> find(String keyId) {
    EncryptionKey named = keys.get(keyId);
    if (named != null) {
      return Optional.of(named);
    }
    return keys.values().stream().filter(key -> key.fingerprint().equals(keyId)).findFirst();
  }

  /**
   * The key {@code what} (e.g. {@code backup 'appdb-…'}) was sealed with; ENCRYPTION_KEY_INVALID in
   * one line naming it and the key id when that key is not configured.
   */
  public EncryptionKey require(String keyId, String what) {
    return find(keyId)
        .orElseThrow(
            () ->
                new VigilException(
                    ErrorType.ENCRYPTION_KEY_INVALID,
                    what
                        + " was sealed with key '"
                        + keyId
                        + "', which is not configured (configured keys: "
                        + String.join(", ", keys.keySet())
                        + "); add it under encryption.keys to read it"));
  }

  /** The configured key ids, current first; safe to show. */
  public List<String> ids() {
    return List.copyOf(keys.keySet());
  }

  @Override
  public String toString() {
    return "Keyring" + keys.keySet() + " current " + current.keyId();
  }
}
