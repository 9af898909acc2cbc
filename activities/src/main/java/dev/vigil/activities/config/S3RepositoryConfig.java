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
 * @param uploadConcurrency parts of one upload (and ranges of one download) in flight at once; 0
 *     for the machine's default ({@link #defaultConcurrency()})
 * @param verifyUpload {@link #VERIFY_CHECKSUM}: the upload carries a CRC64NVME full-object checksum
 *     the store checks, and verify-upload compares the store's checksum without downloading; {@link
 *     #VERIFY_READ_BACK}: verify-upload downloads the object and hashes it
 * @param uploadWhileDumping whether a PostgreSQL logical dump sends its sealed parts to a multipart
 *     upload while pg_dump still runs (the upload step then only sends the last parts and completes
 *     it); {@code upload-while-dumping}, on unless set to false
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
    String type,
    int uploadConcurrency,
    String verifyUpload,
    boolean uploadWhileDumping)
    implements RepositoryConfig {

  /** A repository that uploads while dumping (the default). */
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
      long partSizeBytes,
      String type,
      int uploadConcurrency,
      String verifyUpload) {
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
        type,
        uploadConcurrency,
        verifyUpload,
        true);
  }

  /** {@code verify-upload: checksum}: the store's full-object CRC64NVME, no download. */
  public static final String VERIFY_CHECKSUM = "checksum";

  /** {@code verify-upload: read-back}: download the object and compare its SHA-256. */
  public static final String VERIFY_READ_BACK = "read-back";

  /** A repository of {@code type} with the default concurrency and verification. */
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
      long partSizeBytes,
      String type) {
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
        type,
        0,
        defaultVerification(type, checksumMode));
  }

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

  /**
   * {@code checksum} where the store takes S3's checksum headers: not GCS's XML API, and not a
   * store configured {@code checksum-mode: when-required} because it rejects newer checksums.
   */
  public static String defaultVerification(String type, String checksumMode) {
    return "gcs".equals(type) || "when-required".equalsIgnoreCase(checksumMode)
        ? VERIFY_READ_BACK
        : VERIFY_CHECKSUM;
  }

  /** Parts in flight when the repository does not say: two per core, at least 2, at most 8. */
  public static int defaultConcurrency() {
    return Math.min(8, Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
  }

  /** The configured concurrency, or the machine's default. */
  public int concurrency() {
    return uploadConcurrency > 0 ? uploadConcurrency : defaultConcurrency();
  }

  /** Whether uploads carry a full-object checksum that verify-upload compares. */
  public boolean verifiesByChecksum() {
    return VERIFY_CHECKSUM.equals(verifyUpload);
  }

  @Override
  public Set<String> archiveStorageClasses() {
    return "s3".equals(type) ? S3_ARCHIVE_CLASSES : Set.of();
  }
}
