package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code repositories:} entries, parsed by their {@code type:}. */
class RepositoryConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  private VigilConfig load(String repositories) throws IOException {
    return loader.load(write(repositories, ""));
  }

  private Path write(String repositories, String sourceExtra) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(
        file,
        "repositories:\n"
            + repositories
            + "encryption:\n"
            + "  key-env: VIGIL_KEY\n"
            + "sources:\n"
            + "  files:\n"
            + "    type: directory\n"
            + "    kind: config\n"
            + "    path: "
            + data
            + "\n"
            + sourceExtra);
    return file;
  }

  private ConfigException failure(String repositories, String sourceExtra) throws IOException {
    Path file = write(repositories, sourceExtra);
    return catchThrowableOfType(() -> loader.load(file), ConfigException.class);
  }

  @Test
  void anEntryWithoutTypeIsS3SoOldConfigsKeepWorking() throws IOException {
    VigilConfig config = load("  main:\n    bucket: vigil-backups\n");

    RepositoryConfig main = config.repositories().get("main");
    assertThat(main).isInstanceOf(S3RepositoryConfig.class);
    assertThat(main.type()).isEqualTo("s3");
    assertThat(main.storageClass()).isEqualTo("STANDARD");
    assertThat(main.archiveStorageClasses()).contains("GLACIER", "DEEP_ARCHIVE");
  }

  @Test
  void anUnknownTypeIsOneLineListingTheKnownTypes() throws IOException {
    ConfigException error = failure("  main:\n    type: ftp\n    bucket: vigil-backups\n", "");

    assertThat(error.problems()).hasSize(1);
    assertThat(error.problems().get(0))
        .endsWith(
            ": repositories.main.type at line 3: unknown repository type \"ftp\"; known: [azure, s3]");
  }
}
