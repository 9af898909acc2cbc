package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY, "PGPW", "pw")::get);

  private static final String VALID =
      """
      catalog:
        jdbc-url: jdbc:postgresql://127.0.0.1:5432/vigil
        user: vigil
        password-env: PGPW
      repositories:
        main:
          endpoint: http://127.0.0.1:9090
          bucket: vigil-backups
          prefix: /prod/
          storage-class: STANDARD_IA
          path-style-access: true
          checksum-mode: when-required
          part-size: 8MiB
      encryption:
        key-env: VIGIL_KEY
      sources:
        appdb:
          type: postgres
          host: db.internal
          database: app
          user: backup
          password-env: PGPW
          objectives: {rpo: 24h, rto: 90m}
        models:
          type: directory
          kind: model
          path: data/models
          include: ["**/*.safetensors"]
          exclude: ["**/*.tmp"]
          compression: none
      """;

  @Test
  void loadsAValidFileWithDefaultsAndResolvedPaths() throws IOException {
    VigilConfig config = loader.load(write(VALID));

    assertThat(config.sources()).containsOnlyKeys("appdb", "models");
    PostgresSourceConfig appdb = (PostgresSourceConfig) config.sources().get("appdb");
    assertThat(appdb.port()).isEqualTo(5432);
    assertThat(appdb.repository()).isEqualTo("main");
    assertThat(appdb.password()).isEqualTo(new SecretRef("PGPW", null));
    assertThat(appdb.objectives())
        .isEqualTo(new Objectives(Duration.ofHours(24), Duration.ofMinutes(90)));
    DirectorySourceConfig models = (DirectorySourceConfig) config.sources().get("models");
    assertThat(models.path()).isEqualTo(dir.resolve("data/models"));
    assertThat(models.compression()).isEqualTo("none");
    S3RepositoryConfig main = (S3RepositoryConfig) config.repositories().get("main");
    assertThat(main.prefix()).isEqualTo("prod");
    assertThat(main.partSizeBytes()).isEqualTo(8L * 1024 * 1024);
    assertThat(main.checksumMode()).isEqualTo("when-required");
    assertThat(config.temporal().taskQueue()).isEqualTo("vigil");
    assertThat(config.worker().maxParallelSources()).isEqualTo(2);
  }

  @Test
  void workerSlotsDefaultPerQueueAndCanBeSet() throws IOException {
    WorkerSlots defaults = loader.load(write(VALID)).worker().slots();
    WorkerSlots set =
        loader
            .load(
                write(
                    VALID
                        + """
                        worker:
                          slots:
                            shared: {activities: 12, workflow-tasks: 4}
                            host: {activities: 1}
                        """))
            .worker()
            .slots();

    assertThat(defaults).isEqualTo(new WorkerSlots(8, 8, 2));
    assertThat(set).isEqualTo(new WorkerSlots(12, 4, 1));
  }

  @Test
  void badWorkerSlotsGiveOneLineNamingTheSetting() throws IOException {
    Path bad =
        write(
            VALID
                + """
                worker:
                  slots:
                    shared: {activities: 0, workflow-tasks: 1}
                    host: {activities: many, workflow-tasks: 2}
                    spool: {activities: 1}
                """);

    assertThat(catchConfig(bad).problems())
        .containsExactlyInAnyOrder(
            bad
                + ": worker.slots.spool at line 35: unknown field; expected one of [shared,"
                + " host]",
            bad
                + ": worker.slots.shared.activities at line 33: expected a whole number from 1 to"
                + " 256, got \"0\"",
            bad
                + ": worker.slots.shared.workflow-tasks at line 33: expected a whole number from 2"
                + " to 1000, got \"1\"",
            bad
                + ": worker.slots.host.workflow-tasks at line 34: the host queue runs no workflows,"
                + " only spool steps; set worker.slots.shared.workflow-tasks instead",
            bad
                + ": worker.slots.host.activities at line 34: expected a whole number from 1 to"
                + " 256, got \"many\"");
  }

  @Test
  void uploadConcurrencyAndVerificationDefaultPerStoreAndCanBeSet() throws IOException {
    S3RepositoryConfig whenRequired =
        (S3RepositoryConfig) loader.load(write(VALID)).repositories().get("main");
    S3RepositoryConfig set =
        (S3RepositoryConfig)
            loader
                .load(
                    write(
                        VALID.replace(
                            "checksum-mode: when-required",
                            "upload-concurrency: 3\n    verify-upload: checksum")))
                .repositories()
                .get("main");
    S3RepositoryConfig plain =
        (S3RepositoryConfig)
            loader
                .load(write(VALID.replace("checksum-mode: when-required", "")))
                .repositories()
                .get("main");

    assertThat(whenRequired.verifyUpload()).isEqualTo("read-back");
    assertThat(whenRequired.concurrency())
        .isEqualTo(Math.min(8, Math.max(2, 2 * Runtime.getRuntime().availableProcessors())));
    assertThat(plain.verifyUpload()).isEqualTo("checksum");
    assertThat(set.concurrency()).isEqualTo(3);
    assertThat(set.verifiesByChecksum()).isTrue();
    Path bad =
        write(
            VALID.replace(
                "part-size: 8MiB",
                "part-size: 8MiB\n    upload-concurrency: 0\n    verify-upload: md5"));
    assertThat(catchConfig(bad).problems())
        .containsExactlyInAnyOrder(
            bad
                + ": repositories.main.upload-concurrency at line 14: expected a whole number from 1"
                + " to 64, got \"0\"",
            bad
                + ": repositories.main.verify-upload at line 15: expected one of [checksum,"
                + " read-back], got \"md5\"");
  }

  @Test
  void malformedYamlNamesFileLineAndColumn() throws IOException {
    Path file = write("sources:\n  appdb:\n    type: [postgres\n");

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ":")
        .hasMessageContaining("malformed YAML");
  }

  @Test
  void everyProblemIsReportedOnItsOwnLineWithItsFieldPath() throws IOException {
    Path file =
        write(
            VALID
                .replace("host: db.internal", "hostname: db.internal\n    port: ninety")
                .replace("    database: app\n", "")
                .replace("rpo: 24h", "rpo: soon")
                .replace("storage-class: STANDARD_IA", "storage-class: COLD"));

    ConfigException error = catchConfig(file);

    assertThat(error.problems())
        .containsExactlyInAnyOrder(
            file
                + ": repositories.main.storage-class at line 10: expected one of [DEEP_ARCHIVE, GLACIER,"
                + " GLACIER_IR, INTELLIGENT_TIERING, ONEZONE_IA, REDUCED_REDUNDANCY, STANDARD,"
                + " STANDARD_IA], got \"COLD\"",
            file
                + ": sources.appdb.objectives.rpo at line 23: expected a duration such as 90s, 15m, 24h, 7d"
                + " or PT1H, got \"soon\"",
            file
                + ": sources.appdb.hostname at line 19: unknown field; expected one of [type, repository,"
                + " copies, compression, objectives, retention, validations, archive-rows, host, port, database, user, password-env,"
                + " password-file, mode, checkpoint]",
            file + ": sources.appdb.host: missing (in sources.appdb at line 17)",
            file
                + ": sources.appdb.port at line 20: expected a whole number from 1 to 65535, got"
                + " \"ninety\"",
            file + ": sources.appdb.database: missing (in sources.appdb at line 17)");
  }

  @Test
  void unreadableKeyFileIsNamed() throws IOException {
    Path file = write(VALID.replace("key-env: VIGIL_KEY", "key-file: keys/missing.key"));

    assertThat(catchConfig(file).problems())
        .containsExactly(
            file
                + ": encryption.key-file at line 15: no such file: "
                + dir.resolve("keys/missing.key"));
  }

  @Test
  void wrongLengthKeyIsRefusedWithHowToMakeOne() throws IOException {
    Files.write(dir.resolve("short.key"), new byte[16]);
    Path file = write(VALID.replace("key-env: VIGIL_KEY", "key-file: short.key"));

    assertThat(catchConfig(file).problems())
        .singleElement()
        .asString()
        .contains("encryption.key-file at line 15: the key from file")
        .contains("is 16 bytes; Vigil needs 32 (256 bits)")
        .contains("head -c 32 /dev/urandom | base64");
  }

  @Test
  void missingKeyEnvironmentVariableIsNamedButNeverPrinted() throws IOException {
    Path file = write(VALID.replace("key-env: VIGIL_KEY", "key-env: VIGIL_OTHER_KEY"));

    assertThat(catchConfig(file).problems())
        .containsExactly(
            file
                + ": encryption.key-env at line 15: environment variable VIGIL_OTHER_KEY is not set");
  }

  @Test
  void severalKeysByIdWithTheCurrentOneNamed() throws IOException {
    Files.writeString(dir.resolve("old.key"), KEY);
    Path file =
        write(
            VALID.replace(
                "  key-env: VIGIL_KEY\n",
                "  current: k2\n  keys:\n    k1:\n      key-file: old.key\n    k2:\n"
                    + "      key-env: VIGIL_KEY\n"));

    EncryptionConfig encryption = loader.load(file).encryption();

    assertThat(encryption.current()).isEqualTo("k2");
    assertThat(encryption.keys())
        .containsExactly(
            new EncryptionConfig.Key("k1", new SecretRef(null, dir.resolve("old.key"))),
            new EncryptionConfig.Key("k2", new SecretRef("VIGIL_KEY", null)));
    assertThat(encryption.key()).isEqualTo(new SecretRef("VIGIL_KEY", null));
  }

  @Test
  void theSingleKeyFormIsOneKeyWithoutAnIdOfItsOwn() throws IOException {
    EncryptionConfig encryption = loader.load(write(VALID)).encryption();

    assertThat(encryption.keys())
        .containsExactly(new EncryptionConfig.Key(null, new SecretRef("VIGIL_KEY", null)));
    assertThat(encryption.current()).isNull();
  }

  @Test
  void severalKeysNeedACurrentOneThatExistsAndNoSingleKeyBesideThem() throws IOException {
    String keys = "  keys:\n    k1:\n      key-env: VIGIL_KEY\n    k2:\n      key-env: VIGIL_KEY\n";
    Path noCurrent = write(VALID.replace("  key-env: VIGIL_KEY\n", keys));
    assertThat(catchConfig(noCurrent).problems())
        .containsExactly(
            noCurrent
                + ": encryption.current: missing; name the key of [k1, k2] that seals new"
                + " backups (in encryption at line 14)");

    Path unknown = write(VALID.replace("  key-env: VIGIL_KEY\n", "  current: k3\n" + keys));
    assertThat(catchConfig(unknown).problems())
        .containsExactly(
            unknown
                + ": encryption.current at line 15: \"k3\" is not one of the keys [k1, k2] under"
                + " encryption.keys");

    Path both =
        write(
            VALID.replace(
                "  key-env: VIGIL_KEY\n", "  key-env: VIGIL_KEY\n  current: k1\n" + keys));
    assertThat(catchConfig(both).problems())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("encryption.key-env at line 15: set either one key")
        .contains("not both");
  }

  @Test
  void missingEncryptionSectionAndUnknownTopLevelField() throws IOException {
    Path file = write(VALID.replace("encryption:\n  key-env: VIGIL_KEY\n", "") + "alerting: {}\n");

    assertThat(catchConfig(file).problems())
        .containsExactlyInAnyOrder(
            file
                + ": alerting at line 29: unknown field; expected one of [temporal, worker, catalog,"
                + " repositories, encryption, sources, drills, schedules,"
                + " metrics, api, notifications]",
            file + ": encryption: missing");
  }

  @Test
  void sourceMustNameAKnownRepositoryWhenThereAreSeveral() throws IOException {
    Path file =
        write(
            VALID
                .replace("encryption:", "  cold:\n    bucket: vigil-cold\nencryption:")
                .replace("type: postgres", "type: postgres\n    repository: warm"));

    assertThat(catchConfig(file).problems())
        .containsExactlyInAnyOrder(
            file
                + ": sources.appdb.repository at line 21: no repository \"warm\"; known: [main, cold]",
            file
                + ": sources.models.repository: missing; name one of [main, cold] (in sources.models at"
                + " line 27)");
  }

  @Test
  void copiesNameOtherConfiguredRepositories() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                VALID
                    .replace("encryption:", "  offsite:\n    bucket: vigil-offsite\nencryption:")
                    .replace(
                        "type: postgres",
                        "type: postgres\n    repository: main\n    copies: [offsite]")
                    .replace("kind: model", "kind: model\n    repository: main")));

    assertThat(config.copiesOf("appdb")).containsExactly("offsite");
    assertThat(config.copiesOf("models")).isEmpty();
  }

  @Test
  void copyTargetMustBeAnotherConfiguredRepository() throws IOException {
    Path file =
        write(
            VALID
                .replace("encryption:", "  offsite:\n    bucket: vigil-offsite\nencryption:")
                .replace(
                    "type: postgres",
                    "type: postgres\n    repository: main\n    copies: [nowhere, main, offsite,"
                        + " offsite]")
                .replace("kind: model", "kind: model\n    repository: main\n    copies: offsite"));

    assertThat(catchConfig(file).problems())
        .containsExactlyInAnyOrder(
            file
                + ": sources.appdb.copies[0] at line 22: no repository \"nowhere\" to copy to;"
                + " known: [main, offsite] (add it under repositories:)",
            file
                + ": sources.appdb.copies[1] at line 22: \"main\" is the source's own repository; a"
                + " copy must go to another one",
            file + ": sources.appdb.copies[3] at line 22: \"offsite\" is named twice",
            file
                + ": sources.models.copies at line 32: expected a list such as [offsite], got"
                + " \"offsite\"");
  }

  @Test
  void physicalSourceCannotBeCopiedWithoutItsWal() throws IOException {
    Path file =
        write(
            VALID
                .replace("encryption:", "  offsite:\n    bucket: vigil-offsite\nencryption:")
                .replace(
                    "type: postgres",
                    "type: postgres\n    mode: physical\n    repository: main\n    copies:"
                        + " [offsite]")
                .replace("kind: model", "kind: model\n    repository: main"));

    assertThat(catchConfig(file).problems())
        .containsExactly(
            file
                + ": sources.appdb.copies at line 23: copies do not include archived WAL yet, so a"
                + " copy of a physical base backup could not be recovered; remove copies: or use"
                + " mode: logical");
  }

  @Test
  void credentialsMustComeInPairsAndNeverLiterally() throws IOException {
    Path file =
        write(VALID.replace("part-size: 8MiB", "part-size: 1MiB\n    access-key-id: AKIA123"));

    assertThat(catchConfig(file).problems())
        .containsExactlyInAnyOrder(
            file
                + ": repositories.main.access-key-id at line 14: unknown field; expected one of [type,"
                + " endpoint, region, bucket, prefix, storage-class, path-style-access,"
                + " checksum-mode, access-key-id-env, access-key-id-file, secret-access-key-env,"
                + " secret-access-key-file, part-size, upload-concurrency, verify-upload, upload-while-dumping]",
            file
                + ": repositories.main.part-size at line 13: must be at least 5MiB (S3's minimum part size)");
  }

  @Test
  void missingFileSaysHowToPointAtOne() {
    Path file = dir.resolve("nope.yaml");

    assertThat(catchConfig(file).problems())
        .containsExactly(file + ": no such file; pass --config PATH");
  }

  @Test
  void unknownSourceTypeListsTheTypesThisVigilKnows() throws IOException {
    Path file = write(VALID.replace("type: postgres", "type: cassandra"));

    ConfigException error = catchConfig(file);

    assertThat(error.problems())
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("sources.appdb.type")
                    .contains("got \"cassandra\"")
                    .contains("directory")
                    .contains("postgres"));
  }

  private ConfigException catchConfig(Path file) {
    try {
      loader.load(file);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigException for " + file);
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.createDirectories(dir.resolve("data/models"));
    Files.writeString(file, yaml);
    return file;
  }
}
