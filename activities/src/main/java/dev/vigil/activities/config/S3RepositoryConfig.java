package dev.vigil.activities.config;

import java.net.URI;
import java.util.Set;

/**
 * An S3 (or S3-compatible) bucket backups go to.
 *
 * @param endpoint null for AWS itself
 * @param prefix key prefix inside the bucket, without leading or trailing slash ("" for none)
 * @param checksumMode {@code when-supported} (SDK default, CRC32) or {@code when-required} (for
 *     stores that reject the newer checksums)
 * @param accessKeyId where the access key id lives; unset means the AWS default chain
 * @param secretAccessKey where the secret key lives; set together with accessKeyId
 * @param type {@code s3}, or {@code gcs} for Google Cloud Storage through its S3-compatible XML API
 *     (the same client with GCS's defaults)
 */
public record S3RepositoryConfig(
    String name,
    URI endpoint,
    String region,
    String bucket,
    String prefix,
    String storageClass,
    boolean pathStyleAccess,
    String checksumMode,
    SecretRef accessKeyId,
    SecretRef secretAccessKey,
    long partSizeBytes,
    String type)
    implements RepositoryConfig {

  /** Cold classes S3 can move an object to with a copy. */
  public static final Set<String> S3_ARCHIVE_CLASSES =
      Set.of("GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "ONEZONE_IA");

  /** An {@code s3} repository. */
  public S3RepositoryConfig(
      String name,
      URI endpoint,
      String region,
      String bucket,
      String prefix,
      String storageClass,
      boolean pathStyleAccess,
      String checksumMode,
      SecretRef accessKeyId,
      SecretRef secretAccessKey,
      long partSizeBytes) {
    this(
        name,
        endpoint,
        region,
        bucket,
        prefix,
        storageClass,
        pathStyleAccess,
        checksumMode,
        accessKeyId,
        secretAccessKey,
        partSizeBytes,
        "s3");
  }

  @Override
  public Set<String> archiveStorageClasses() {
    return "s3".equals(type) ? S3_ARCHIVE_CLASSES : Set.of();
  }
}
