package dev.vigil.activities.store;

import java.util.Map;

/**
 * What is set on an object when it is written.
 *
 * @param storageClass S3 storage class name, e.g. {@code STANDARD}, {@code STANDARD_IA}
 * @param tags object tags (source, kind, backup id)
 * @param metadata user metadata (stored as {@code x-amz-meta-*}), e.g. {@code vigil-sha256}
 * @param sha256 hex SHA-256 the uploaded file must have (a sealed file's), or null: a store that
 *     verifies uploads by checksum re-hashes the file while it sends it and refuses to complete an
 *     upload of other bytes, so its checksum stands for the sealed bytes
 */
public record ObjectAttributes(
    String storageClass, Map<String, String> tags, Map<String, String> metadata, String sha256) {

  /** Attributes with no SHA-256 to check the file against. */
  public ObjectAttributes(
      String storageClass, Map<String, String> tags, Map<String, String> metadata) {
    this(storageClass, tags, metadata, null);
  }
}
