package dev.vigil.activities.backup;

import java.util.Map;

/**
 * A manifest's HMAC-SHA256 and the id of the key it was made with, as stored in the manifest
 * object's user metadata.
 */
public record ManifestMac(String keyId, String hmac) {
  /** The manifest's HMAC in the object's user metadata. */
  public static final String HMAC_METADATA = "vigil-hmac-sha256";

  /** The id of the key the HMAC was made with, in the object's user metadata. */
  public static final String KEY_ID_METADATA = "vigil-key-id";

  /** The user metadata the manifest object carries. */
  public Map<String, String> metadata() {
    return Map.of(HMAC_METADATA, hmac, KEY_ID_METADATA, keyId);
  }
}
