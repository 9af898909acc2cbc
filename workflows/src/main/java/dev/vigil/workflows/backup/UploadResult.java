package dev.vigil.workflows.backup;

/**
 * Where the backup is stored.
 *
 * @param resumedParts parts a retried attempt found already uploaded and did not send again
 * @param crc64nvme the CRC64NVME full-object checksum (base64) Vigil computed over the sealed bytes
 *     and the store checked on completion, or null when the upload carried none (verify-upload then
 *     reads the object back); null in results recorded before it existed
 */
public record UploadResult(
    String bucket,
    String objectKey,
    String manifestKey,
    String storageClass,
    long storedBytes,
    int parts,
    int resumedParts,
    String crc64nvme) {

  /** A result without a full-object checksum. */
  public UploadResult(
      String bucket,
      String objectKey,
      String manifestKey,
      String storageClass,
      long storedBytes,
      int parts,
      int resumedParts) {
    this(bucket, objectKey, manifestKey, storageClass, storedBytes, parts, resumedParts, null);
  }
}
