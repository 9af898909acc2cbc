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
  void anS3RepositoryUploadsWhileDumpingUnlessTurnedOff() throws IOException {
    S3RepositoryConfig byDefault =
        (S3RepositoryConfig)
            load("  main:\n    bucket: vigil-backups\n").repositories().get("main");
    S3RepositoryConfig off =
        (S3RepositoryConfig)
            load("  main:\n    bucket: vigil-backups\n    upload-while-dumping: false\n")
                .repositories()
                .get("main");

    assertThat(byDefault.uploadWhileDumping()).isTrue();
    assertThat(off.uploadWhileDumping()).isFalse();
  }

  @Test
  void anUnknownTypeIsOneLineListingTheKnownTypes() throws IOException {
    ConfigException error = failure("  main:\n    type: ftp\n    bucket: vigil-backups\n", "");

    assertThat(error.problems()).hasSize(1);
    assertThat(error.problems().get(0))
        .endsWith(
            ": repositories.main.type at line 3: unknown repository type \"ftp\"; known: [azure, filesystem, gcs, s3]");
  }

  @Test
  void aFilesystemRepositoryHasItsPathOneClassAndNothingToArchiveTo() throws IOException {
    Path backups = Files.createDirectories(dir.resolve("backups"));

    VigilConfig config = load("  local:\n    type: filesystem\n    path: backups\n");

    RepositoryConfig local = config.repositories().get("local");
    assertThat(local).isEqualTo(new FilesystemRepositoryConfig("local", backups));
    assertThat(local.storageClass()).isEqualTo("STANDARD");
    assertThat(local.archiveStorageClasses()).isEmpty();
  }

  @Test
  void aMissingFilesystemPathIsOneLineNamingTheRepositoryAndThePath() throws IOException {
    Path missing = dir.resolve("nfs/backups");

    ConfigException error =
        failure("  local:\n    type: filesystem\n    path: " + missing + "\n", "");

    assertThat(error.problems())
        .containsExactly(
            dir.resolve("vigil.yaml")
                + ": repositories.local at line 2: "
                + missing
                + " does not exist; create it (mkdir -p "
                + missing
                + ") or mount it");
  }

  @Test
  void aMissingFilesystemPathIsNotCheckedWhereLocalPathsAreNot() throws IOException {
    Path file =
        write("  local:\n    type: filesystem\n    path: " + dir.resolve("elsewhere") + "\n", "");

    VigilConfig config = loader.withoutLocalPathChecks().load(file);

    assertThat(config.repositories()).containsKey("local");
  }

  @Test
  void aFilesystemRepositoryRefusesS3FieldsAndNeedsAPath() throws IOException {
    ConfigException error = failure("  local:\n    type: filesystem\n    bucket: b\n", "");

    assertThat(error.problems())
        .containsExactly(
            dir.resolve("vigil.yaml")
                + ": repositories.local.bucket at line 4: unknown field; expected one of [type,"
                + " path]",
            dir.resolve("vigil.yaml")
                + ": repositories.local.path: missing (in repositories.local"
                + " at line 2)");
  }

  @Test
  void archivingFromAFilesystemRepositoryIsRefusedWhenTheConfigIsLoaded() throws IOException {
    Files.createDirectories(dir.resolve("backups"));

    ConfigException error =
        failure(
            "  local:\n    type: filesystem\n    path: backups\n",
            "    retention:\n      keep-last: 3\n      archive-after: 30d\n");

    assertThat(error.problems())
        .containsExactly(
            dir.resolve("vigil.yaml")
                + ": sources.files.retention at line 12: repository \"local\" (filesystem) has no"
                + " storage class retention can archive to; remove"
                + " archive-after/archive-unused-after or use an s3 repository");
  }

  @Test
  void aFilesystemRepositoryWithoutArchivingTakesARetentionPolicy() throws IOException {
    Files.createDirectories(dir.resolve("backups"));

    VigilConfig config =
        loader.load(
            write(
                "  local:\n    type: filesystem\n    path: backups\n",
                "    retention:\n      keep-last: 3\n"));

    assertThat(config.retention().get("files").keepLast()).isEqualTo(3);
  }

  @Test
  void gcsIsS3WithGoogleEndpointAutoRegionPathStyleAndChecksumsOnlyWhenRequired()
      throws IOException {
    ConfigLoader withKeys =
        new ConfigLoader(Map.of("VIGIL_KEY", KEY, "GCS_ID", "GOOG1E", "GCS_SECRET", "s")::get);

    VigilConfig config =
        withKeys.load(
            write(
                "  gcs:\n    type: gcs\n    bucket: vigil_backups\n"
                    + "    access-key-id-env: GCS_ID\n    secret-access-key-env: GCS_SECRET\n",
                ""));

    S3RepositoryConfig gcs = (S3RepositoryConfig) config.repositories().get("gcs");
    assertThat(gcs.type()).isEqualTo("gcs");
    assertThat(gcs.endpoint()).hasToString("https://storage.googleapis.com");
    assertThat(gcs.region()).isEqualTo("auto");
    assertThat(gcs.pathStyleAccess()).isTrue();
    assertThat(gcs.checksumMode()).isEqualTo("when-required");
    assertThat(gcs.storageClass()).isEqualTo("STANDARD");
    assertThat(gcs.accessKeyId()).isEqualTo(new SecretRef("GCS_ID", null));
    assertThat(gcs.archiveStorageClasses()).isEmpty();
  }

  @Test
  void gcsNeedsAnHmacKeyAndTakesGcsStorageClassesOnly() throws IOException {
    ConfigException error =
        failure("  gcs:\n    type: gcs\n    bucket: b12\n    storage-class: GLACIER\n", "");

    assertThat(error.problems())
        .containsExactly(
            dir.resolve("vigil.yaml")
                + ": repositories.gcs.storage-class at line 5: expected one of [ARCHIVE, COLDLINE,"
                + " NEARLINE, STANDARD], got \"GLACIER\"",
            dir.resolve("vigil.yaml")
                + ": repositories.gcs at line 2: gcs needs an HMAC key: set access-key-id-env/-file"
                + " and secret-access-key-env/-file (Cloud Storage settings, Interoperability,"
                + " create a key for a service account)");
  }
}
