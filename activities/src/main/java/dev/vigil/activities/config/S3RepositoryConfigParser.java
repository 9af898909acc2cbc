package dev.vigil.activities.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses a repository of {@code type: s3}, and of {@code type: gcs}: Google Cloud Storage through
 * its S3-compatible XML API, the same client with GCS's endpoint, region, checksum and addressing
 * as defaults, GCS's storage classes and an HMAC key required.
 */
final class S3RepositoryConfigParser {
  /** GCS's XML API endpoint. */
  static final String GCS_ENDPOINT = "https://storage.googleapis.com";

  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern GCS_BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]");
  private static final Set<String> GCS_STORAGE_CLASSES =
      Set.of("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE");
  private static final Set<String> STORAGE_CLASSES =
      Set.of(
          "STANDARD",
          "REDUCED_REDUNDANCY",
          "STANDARD_IA",
          "ONEZONE_IA",
          "INTELLIGENT_TIERING",
          "GLACIER",
          "GLACIER_IR",
          "DEEP_ARCHIVE");
  private static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  private S3RepositoryConfigParser() {}

  static S3RepositoryConfig parse(ConfigNode repo, String type) {
    repo.allow(
        "type",
        "endpoint",
        "region",
        "bucket",
        "prefix",
        "storage-class",
        "path-style-access",
        "checksum-mode",
        "access-key-id-env",
        "access-key-id-file",
        "secret-access-key-env",
        "secret-access-key-file",
        "part-size",
        "upload-concurrency",
        "verify-upload",
        "upload-while-dumping");
    boolean gcs = type.equals("gcs");
    URI endpoint = null;
    String endpointText = repo.text("endpoint", gcs ? GCS_ENDPOINT : null);
    if (endpointText != null) {
      try {
        endpoint = new URI(endpointText);
        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
          repo.problem("endpoint", "expected a URL such as http://127.0.0.1:9090");
        }
      } catch (URISyntaxException e) {
        repo.problem("endpoint", "expected a URL such as http://127.0.0.1:9090");
      }
    }
    String bucket = repo.requiredText("bucket");
    if (bucket != null && !(gcs ? GCS_BUCKET : BUCKET).matcher(bucket).matches()) {
      repo.problem(
          "bucket", "not a valid " + (gcs ? "GCS" : "S3") + " bucket name: \"" + bucket + "\"");
    }
    String prefix = repo.text("prefix", "").replaceAll("^/+|/+$", "");
    String storageClass =
        repo.oneOf("storage-class", "STANDARD", gcs ? GCS_STORAGE_CLASSES : STORAGE_CLASSES);
    // GCS rejects the SDK's default CRC32 trailers (aws-chunked); it needs the pre-2.30 requests.
    String checksumMode =
        repo.oneOf(
            "checksum-mode",
            gcs ? "when-required" : "when-supported",
            Set.of("when-supported", "when-required"));
    SecretRef accessKey = repo.secret("access-key-id", false);
    SecretRef secretKey = repo.secret("secret-access-key", false);
    if (gcs && !accessKey.isSet() && !secretKey.isSet()) {
      repo.problem(
          "",
          "gcs needs an HMAC key: set access-key-id-env/-file and secret-access-key-env/-file"
              + " (Cloud Storage settings, Interoperability, create a key for a service account)");
    } else if (accessKey.isSet() != secretKey.isSet()) {
      repo.problem(
          "",
          "set both access-key-id-env/-file and secret-access-key-env/-file, or neither (then"
              + " the AWS default credential chain applies)");
    }
    long partSize = repo.size("part-size", 16L * 1024 * 1024);
    if (partSize < MIN_PART_SIZE) {
      repo.problem("part-size", "must be at least 5MiB (S3's minimum part size)");
    }
    int concurrency = repo.integer("upload-concurrency", 0, 1, 64);
    String verify =
        repo.oneOf(
            "verify-upload",
            S3RepositoryConfig.defaultVerification(type, checksumMode),
            Set.of(S3RepositoryConfig.VERIFY_CHECKSUM, S3RepositoryConfig.VERIFY_READ_BACK));
    if (gcs && S3RepositoryConfig.VERIFY_CHECKSUM.equals(verify)) {
      repo.problem(
          "verify-upload", "GCS's XML API keeps no CRC64NVME full-object checksum; use read-back");
    }
    return new S3RepositoryConfig(
        repo.key,
        endpoint,
        repo.text("region", gcs ? "auto" : "us-east-1"),
        bucket,
        prefix,
        storageClass,
        repo.bool("path-style-access", gcs),
        checksumMode,
        accessKey,
        secretKey,
        partSize,
        type,
        concurrency,
        verify,
        repo.bool("upload-while-dumping", true));
  }
}
