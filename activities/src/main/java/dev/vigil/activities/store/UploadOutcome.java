package dev.vigil.activities.store;

/**
 * What an upload did: parts in all, how many a resumed attempt found already uploaded, and the
 * CRC64NVME full-object checksum the store checked on completion (base64, as S3 writes it), or null
 * when the upload carried none.
 */
public record UploadOutcome(int parts, int resumedParts, long bytes, String crc64nvme) {

  /** An upload without a full-object checksum. */
  public UploadOutcome(int parts, int resumedParts, long bytes) {
    this(parts, resumedParts, bytes, null);
  }
}
