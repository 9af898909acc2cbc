package dev.vigil.activities.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** Parses a repository of {@code type: azure}. */
final class AzureRepositoryConfigParser {
  /** Azure's rules: 3-24 lower-case letters and digits. */
  private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9]{3,24}");

  /** Azure's rules: 3-63 lower-case letters, digits and single hyphens, not at either end. */
  private static final Pattern CONTAINER = Pattern.compile("[a-z0-9](?:-?[a-z0-9]){2,62}");

  private static final long MIN_BLOCK_SIZE = 1024L * 1024;
  private static final long MAX_BLOCK_SIZE = 4000L * 1024 * 1024;

  private AzureRepositoryConfigParser() {}

  static AzureRepositoryConfig parse(ConfigNode repo) {
    repo.allow(
        "type",
        "account",
        "container",
        "endpoint",
        "prefix",
        "access-tier",
        "account-key-env",
        "account-key-file",
        "sas-token-env",
        "sas-token-file",
        "connection-string-env",
        "connection-string-file",
        "block-size");
    URI endpoint = null;
    String endpointText = repo.text("endpoint", null);
    if (endpointText != null) {
      try {
        endpoint = new URI(endpointText);
        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
          repo.problem(
              "endpoint", "expected a URL such as http://127.0.0.1:10000/devstoreaccount1");
        }
      } catch (URISyntaxException e) {
        repo.problem("endpoint", "expected a URL such as http://127.0.0.1:10000/devstoreaccount1");
      }
    }
    SecretRef accountKey = repo.secret("account-key", false);
    SecretRef sasToken = repo.secret("sas-token", false);
    SecretRef connectionString = repo.secret("connection-string", false);
    int credentials =
        (accountKey.isSet() ? 1 : 0)
            + (sasToken.isSet() ? 1 : 0)
            + (connectionString.isSet() ? 1 : 0);
    if (credentials != 1) {
      repo.problem(
          "",
          "set exactly one of account-key-env/-file, sas-token-env/-file and"
              + " connection-string-env/-file");
    }
    String account =
        connectionString.isSet() ? repo.text("account", null) : repo.requiredText("account");
    if (account != null && !ACCOUNT.matcher(account).matches()) {
      repo.problem(
          "account", "not a storage account name (3-24 lower-case letters and digits): " + account);
    }
    String container = repo.requiredText("container");
    if (container != null && !CONTAINER.matcher(container).matches()) {
      repo.problem(
          "container",
          "not a container name (3-63 lower-case letters, digits and single hyphens): "
              + container);
    }
    String prefix = repo.text("prefix", "").replaceAll("^/+|/+$", "");
    String tier = repo.oneOf("access-tier", "Hot", AzureRepositoryConfig.TIERS);
    long blockSize = repo.size("block-size", 16L * 1024 * 1024);
    if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
      repo.problem("block-size", "must be between 1MiB and 4000MiB (Azure's largest block)");
    }
    return new AzureRepositoryConfig(
        repo.key,
        account,
        container,
        endpoint,
        prefix,
        tier,
        accountKey,
        sasToken,
        connectionString,
        blockSize);
  }
}
