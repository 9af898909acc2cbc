package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code repositories:} entries of {@code type: azure}. */
class AzureRepositoryConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader =
      new ConfigLoader(Map.of("VIGIL_KEY", KEY, "AZURE_KEY", "secret-value")::get);

  private Path write(String repository, String retention) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(
        file,
        "repositories:\n"
            + "  blobs:\n"
            + repository
            + "encryption:\n"
            + "  key-env: VIGIL_KEY\n"
            + "sources:\n"
            + "  files:\n"
            + "    type: directory\n"
            + "    kind: config\n"
            + "    repository: blobs\n"
            + "    path: "
            + data
            + "\n"
            + retention);
    return file;
  }

  private ConfigException failure(String repository) throws IOException {
    Path file = write(repository, "");
    return catchThrowableOfType(() -> loader.load(file), ConfigException.class);
  }

  @Test
  void anAzureEntryGivesAccountContainerEndpointPrefixTierAndKeyReference() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                "    type: azure\n"
                    + "    account: devstoreaccount1\n"
                    + "    container: vigil-backups\n"
                    + "    endpoint: http://127.0.0.1:10000/devstoreaccount1\n"
                    + "    prefix: /prod/\n"
                    + "    access-tier: Cool\n"
                    + "    account-key-env: AZURE_KEY\n"
                    + "    block-size: 8MiB\n",
                ""));

    assertThat(config.repositories().get("blobs"))
        .isEqualTo(
            new AzureRepositoryConfig(
                "blobs",
                "devstoreaccount1",
                "vigil-backups",
                URI.create("http://127.0.0.1:10000/devstoreaccount1"),
                "prod",
                "Cool",
                new SecretRef("AZURE_KEY", null),
                SecretRef.NONE,
                SecretRef.NONE,
                8L * 1024 * 1024));
    RepositoryConfig blobs = config.repositories().get("blobs");
    assertThat(blobs.type()).isEqualTo("azure");
    assertThat(blobs.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(blobs.archiveStorageClasses()).contains("GLACIER", "DEEP_ARCHIVE", "GLACIER_IR");
  }

  @Test
  void theDefaultsAreHotAndSixteenMibBlocks() throws IOException {
    var blobs =
        (AzureRepositoryConfig)
            loader
                .load(
                    write(
                        "    type: azure\n"
                            + "    account: prodbackups\n"
                            + "    container: vigil\n"
                            + "    sas-token-env: AZURE_KEY\n",
                        ""))
                .repositories()
                .get("blobs");

    assertThat(blobs.accessTier()).isEqualTo("Hot");
    assertThat(blobs.storageClass()).isEqualTo("STANDARD");
    assertThat(blobs.endpoint()).isNull();
    assertThat(blobs.blockSizeBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(blobs.sasToken()).isEqualTo(new SecretRef("AZURE_KEY", null));
  }

  @Test
  void aRetentionPolicyMayArchiveToTheArchiveTier() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                "    type: azure\n"
                    + "    account: prodbackups\n"
                    + "    container: vigil\n"
                    + "    account-key-env: AZURE_KEY\n",
                "    retention:\n"
                    + "      keep-last: 3\n"
                    + "      archive-after: 30d\n"
                    + "      archive-storage-class: DEEP_ARCHIVE\n"));

    assertThat(config.retention().get("files").archiveStorageClass()).isEqualTo("DEEP_ARCHIVE");
  }

  @Test
  void badEntriesAreOneLineEachNamingTheFieldButNoSecret() throws IOException {
    ConfigException error =
        failure(
            "    type: azure\n"
                + "    account: Not_An_Account\n"
                + "    container: Bad_Container\n"
                + "    access-tier: Glacier\n"
                + "    account-key-env: AZURE_KEY\n"
                + "    sas-token-env: AZURE_KEY\n");

    assertThat(error.problems())
        .anySatisfy(p -> assertThat(p).contains("repositories.blobs.account", "Not_An_Account"))
        .anySatisfy(p -> assertThat(p).contains("repositories.blobs.container", "Bad_Container"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("repositories.blobs.access-tier")
                    .contains("[Archive, Cold, Cool, Hot]"))
        .anySatisfy(
            p -> assertThat(p).contains("set exactly one of account-key-env/-file, sas-token"))
        .allSatisfy(p -> assertThat(p).doesNotContain("secret-value").doesNotContain("\n"));
  }

  @Test
  void anEntryWithoutCredentialsOrContainerIsRefused() throws IOException {
    ConfigException error = failure("    type: azure\n    account: prodbackups\n");

    assertThat(error.problems())
        .anySatisfy(p -> assertThat(p).contains("repositories.blobs.container", "missing"))
        .anySatisfy(p -> assertThat(p).contains("set exactly one of account-key-env/-file"));
  }
}
