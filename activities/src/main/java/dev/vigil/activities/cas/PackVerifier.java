package dev.vigil.activities.cas;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredChecksum;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Proves a pack a backup wrote is stored as Vigil sealed it: by the store's own full-object
 * CRC64NVME against the one Vigil computed and sent with the pack (no download), or, in a
 * repository set to read-back, for a pack without a recorded checksum, or a store that keeps none,
 * by reading the pack back and hashing it.
 */
public final class PackVerifier {
  private PackVerifier() {}

  /** How a pack was proved: {@code checksum} or {@code read-back}. */
  public static String verify(
      ObjectStore store, boolean byChecksum, String backupId, ChunkCatalog.Pack pack, String crc) {
    String key = pack.key();
    if (byChecksum && crc != null) {
      Optional<StoredChecksum> stored = store.fullObjectChecksum(key);
      if (stored.isPresent()) {
        if (stored.get().size() != pack.size() || !stored.get().crc64nvme().equals(crc)) {
          throw new VigilException(
              ErrorType.UPLOAD_MISMATCH,
              "backup "
                  + backupId
                  + ": pack "
                  + key
                  + " is stored as "
                  + stored.get().size()
                  + " bytes with CRC64NVME "
                  + stored.get().crc64nvme()
                  + ", not the "
                  + pack.size()
                  + " bytes with CRC64NVME "
                  + crc
                  + " Vigil sent");
        }
        return "checksum";
      }
    }
    String sha256;
    try (InputStream in = store.open(key)) {
      sha256 = Digests.sha256Hex(in);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE, "cannot read back pack " + key + ": " + e, e);
    }
    if (!sha256.equals(pack.sha256())) {
      throw new VigilException(
          ErrorType.UPLOAD_MISMATCH,
          "backup " + backupId + ": pack " + key + " reads back with another SHA-256");
    }
    return "read-back";
  }
}
