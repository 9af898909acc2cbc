package dev.vigil.activities.store;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.AzureRepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.Secrets;
import dev.vigil.workflows.common.ErrorType;
import java.time.Duration;
import java.util.function.Function;

/**
 * Builds the {@link BlobContainerClient} of an Azure repository. Clients are thread-safe and share
 * the JDK HTTP client's connection pool, so the caller keeps one per repository.
 */
public final class AzureClients {

  /** Attempts per call; Temporal retries the activity beyond that, resuming the upload. */
  private static final int MAX_TRIES = 4;

  /** One attempt: long enough for a 100 MB block over a slow link. */
  private static final Duration TRY_TIMEOUT = Duration.ofMinutes(2);

  private static final Duration RETRY_DELAY = Duration.ofMillis(500);
  private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(10);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private AzureClients() {}

  /** A client for {@code config}, reading secrets from their environment variable or file. */
  public static BlobContainerClient create(AzureRepositoryConfig config) {
    return create(config, ref -> Secrets.resolve(ref, System::getenv));
  }

  /**
   * A client for {@code config}. Exactly one of the connection string, the account key and the SAS
   * token is used, in that order.
   *
   * @param secrets returns the value a {@link SecretRef} points to. It may throw {@link
   *     IllegalArgumentException} naming the reference (never the value); that becomes an
   *     INVALID_CONFIG failure.
   */
  public static BlobContainerClient create(
      AzureRepositoryConfig config, Function<SecretRef, String> secrets) {
    HttpClient http = new JdkHttpClientBuilder().connectionTimeout(CONNECT_TIMEOUT).build();
    var builder =
        new BlobServiceClientBuilder()
            .httpClient(http)
            .retryOptions(
                new RequestRetryOptions(
                    RetryPolicyType.EXPONENTIAL,
                    MAX_TRIES,
                    TRY_TIMEOUT,
                    RETRY_DELAY,
                    MAX_RETRY_DELAY,
                    null));
    if (isSet(config.connectionString())) {
      builder.connectionString(secret(config, config.connectionString(), secrets));
      if (config.endpoint() != null) {
        builder.endpoint(config.endpoint().toString());
      }
    } else {
      builder.endpoint(AzureObjectStore.endpointOf(config));
      if (isSet(config.accountKey())) {
        builder.credential(
            new StorageSharedKeyCredential(
                config.account(), secret(config, config.accountKey(), secrets)));
      } else if (isSet(config.sasToken())) {
        builder.sasToken(secret(config, config.sasToken(), secrets));
      } else {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "repository '"
                + config.name()
                + "': no credentials; set repositories."
                + config.name()
                + ".account-key, .sas-token or .connection-string");
      }
    }
    try {
      return builder.buildClient().getBlobContainerClient(config.container());
    } catch (IllegalArgumentException | IllegalStateException e) {
      // The SDK rejects a malformed key, token or connection string here; its message can quote
      // the value, so it is not passed on.
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '"
              + config.name()
              + "': the credentials or endpoint are malformed; check repositories."
              + config.name()
              + " ("
              + credentialSource(config)
              + ")");
    }
  }

  /** For messages: where the credential comes from, never its value. */
  static String credentialSource(AzureRepositoryConfig config) {
    if (isSet(config.connectionString())) {
      return "connection string from " + config.connectionString().describe();
    }
    if (isSet(config.accountKey())) {
      return "account key from " + config.accountKey().describe();
    }
    if (isSet(config.sasToken())) {
      return "SAS token from " + config.sasToken().describe();
    }
    return "no credentials";
  }

  private static boolean isSet(SecretRef ref) {
    return ref != null && ref.isSet();
  }

  private static String secret(
      AzureRepositoryConfig config, SecretRef ref, Function<SecretRef, String> secrets) {
    try {
      return secrets.apply(ref);
    } catch (IllegalArgumentException e) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '" + config.name() + "': cannot read its credentials: " + e.getMessage());
    }
  }
}
