package dev.vigil.activities.store;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.Secrets;
import dev.vigil.workflows.common.ErrorType;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Builds the {@link S3Client} of a repository. Clients are thread-safe and hold a connection pool,
 * so the caller keeps one per repository for the life of the process.
 */
public final class S3Clients {

  /** The value of {@code checksumMode} for stores that reject the SDK's default CRC32 checksums. */
  public static final String CHECKSUM_WHEN_REQUIRED = "when-required";

  /** One attempt: long enough for a 100 MB part over a slow link. */
  private static final Duration API_CALL_ATTEMPT_TIMEOUT = Duration.ofMinutes(2);

  /** One call with all its retries; bounds how long an activity can hang on the store. */
  private static final Duration API_CALL_TIMEOUT = Duration.ofMinutes(30);

  /** Attempts per call; Temporal retries the activity beyond that, resuming the upload. */
  private static final int MAX_ATTEMPTS = 4;

  private static final int MAX_CONNECTIONS = 32;

  private S3Clients() {}

  /** A client for {@code config}, reading secrets from their environment variable or file. */
  public static S3Client create(S3RepositoryConfig config) {
    return create(config, ref -> Secrets.resolve(ref, System::getenv));
  }

  /**
   * A client for {@code config}.
   *
   * @param secrets returns the value a {@link SecretRef} points to; called only when {@code
   *     config.accessKeyId()} is set. It may throw {@link IllegalArgumentException} naming the
   *     reference (never the value); that becomes an INVALID_CONFIG failure.
   */
  public static S3Client create(S3RepositoryConfig config, Function<SecretRef, String> secrets) {
    return create(config, secrets, List.of());
  }

  /** As {@link #create(S3RepositoryConfig, Function)}, with interceptors that see each request. */
  static S3Client create(
      S3RepositoryConfig config,
      Function<SecretRef, String> secrets,
      List<ExecutionInterceptor> interceptors) {
    var builder =
        S3Client.builder()
            .httpClientBuilder(ApacheHttpClient.builder().maxConnections(MAX_CONNECTIONS))
            .credentialsProvider(credentials(config, secrets))
            .forcePathStyle(config.pathStyleAccess())
            .requestChecksumCalculation(
                whenRequired(config)
                    ? RequestChecksumCalculation.WHEN_REQUIRED
                    : RequestChecksumCalculation.WHEN_SUPPORTED)
            .responseChecksumValidation(
                whenRequired(config)
                    ? ResponseChecksumValidation.WHEN_REQUIRED
                    : ResponseChecksumValidation.WHEN_SUPPORTED)
            .overrideConfiguration(
                override ->
                    override
                        .apiCallAttemptTimeout(API_CALL_ATTEMPT_TIMEOUT)
                        .apiCallTimeout(API_CALL_TIMEOUT)
                        .retryStrategy(retry -> retry.maxAttempts(MAX_ATTEMPTS))
                        .executionInterceptors(interceptors));
    if ("gcs".equals(config.type())) {
      // GCS's XML API knows no aws-chunked bodies: a plain body with its length, as before 2.30.
      builder.serviceConfiguration(service -> service.chunkedEncodingEnabled(false));
    }
    if (config.region() != null && !config.region().isBlank()) {
      builder.region(Region.of(config.region()));
    } else if (config.endpoint() != null) {
      // S3-compatible stores ignore the region, but the SDK needs one to sign; without this it
      // would look for AWS_REGION and fail on a machine that has none.
      builder.region(Region.US_EAST_1);
    }
    if (config.endpoint() != null) {
      builder.endpointOverride(config.endpoint());
      if ("http".equalsIgnoreCase(config.endpoint().getScheme())) {
        // Part uploads carry a CRC64NVME the store checks: no SHA-256 of their bodies on top.
        builder.putAuthScheme(ChecksummedBodySigner.scheme());
      }
    }
    return builder.build();
  }

  private static boolean whenRequired(S3RepositoryConfig config) {
    return CHECKSUM_WHEN_REQUIRED.equalsIgnoreCase(config.checksumMode());
  }

  private static AwsCredentialsProvider credentials(
      S3RepositoryConfig config, Function<SecretRef, String> secrets) {
    SecretRef accessKeyId = config.accessKeyId();
    if (accessKeyId == null || !accessKeyId.isSet()) {
      return DefaultCredentialsProvider.builder().build();
    }
    SecretRef secretAccessKey = config.secretAccessKey();
    if (secretAccessKey == null || !secretAccessKey.isSet()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '"
              + config.name()
              + "': accessKeyId is set ("
              + accessKeyId.describe()
              + ") but secretAccessKey is not; set repositories."
              + config.name()
              + ".secretAccessKey");
    }
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create(
            secret(config, "accessKeyId", accessKeyId, secrets),
            secret(config, "secretAccessKey", secretAccessKey, secrets)));
  }

  /** The value behind {@code ref}; failures name the setting and the reference, never a value. */
  private static String secret(
      S3RepositoryConfig config,
      String setting,
      SecretRef ref,
      Function<SecretRef, String> secrets) {
    String value;
    try {
      value = secrets.apply(ref);
    } catch (IllegalArgumentException e) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '" + config.name() + "': " + setting + ": " + e.getMessage());
    }
    if (value == null || value.isBlank()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '" + config.name() + "': " + setting + " (" + ref.describe() + ") is empty");
    }
    return value;
  }
}
