package dev.vigil.activities.crypto;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.EncryptionConfig;
import dev.vigil.activities.config.KeyText;
import dev.vigil.workflows.common.ErrorType;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 256-bit master key and its public id. The key never leaves this object: {@link #toString()}
 * shows only the id, and sub-keys for other purposes (manifest MACs) are derived, not reused.
 */
public final class EncryptionKey {
  private final byte[] material;
  private final String keyId;

  private EncryptionKey(byte[] material, String keyId) {
    this.material = material;
    this.keyId = keyId;
  }

  /** Loads one key from its env var or file; ENCRYPTION_KEY_INVALID if absent or not 32 bytes. */
  public static EncryptionKey load(
      EncryptionConfig.Key config, Function<String, String> environment) {
    byte[] material;
    String where = config.id() == null ? "encryption" : "encryption.keys." + config.id();
    try {
      material = KeyText.read(config.ref(), environment);
    } catch (IllegalArgumentException e) {
      throw new VigilException(ErrorType.ENCRYPTION_KEY_INVALID, where + ": " + e.getMessage());
    }
    return of(material, config.id());
  }

  /** A key from raw bytes; {@code keyId} null derives a fingerprint. */
  public static EncryptionKey of(byte[] material, String keyId) {
    if (material.length != 32) {
      throw new VigilException(
          ErrorType.ENCRYPTION_KEY_INVALID,
          "encryption: the key is "
              + material.length
              + " bytes; Vigil needs 32 (256 bits). Make one with: head -c 32 /dev/urandom |"
              + " base64");
    }
    byte[] copy = material.clone();
    return new EncryptionKey(copy, keyId != null ? keyId : fingerprint(copy));
  }

  /**
   * The id a key configured without one records: {@code k-} and 12 hex digits derived from the key.
   * Every key answers to it, so backups sealed before a key got a name stay restorable.
   */
  public String fingerprint() {
    return fingerprint(material);
  }

  private static String fingerprint(byte[] material) {
    return "k-" + HexFormat.of().formatHex(derive(material, "vigil key id"), 0, 6);
  }

  /** The id recorded on every backup; safe to show. */
  public String keyId() {
    return keyId;
  }

  /** Input keying material for the streaming AEAD (Tink derives a key per stream from it). */
  byte[] streamingIkm() {
    return material.clone();
  }

  /** A 32-byte sub-key for {@code purpose} (HMAC-SHA256 of the master key), e.g. manifest MACs. */
  public byte[] subKey(String purpose) {
    return derive(material, purpose);
  }

  private static byte[] derive(byte[] key, String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "EncryptionKey[" + keyId + "]";
  }
}
