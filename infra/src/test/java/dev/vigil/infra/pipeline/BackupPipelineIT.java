package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The backup pipeline with every real part: pg_dump against a real cluster, directories, S3Mock
 * over HTTP, the catalog in PostgreSQL, Temporal's test server. Every bad input ends with a clear
 * reason and nothing marked ARCHIVED.
 */
class BackupPipelineIT {
  @TempDir Path dir;

  private PipelineHarness harness;

  @BeforeEach
  void setUp() throws IOException {
    harness = new PipelineHarness(dir);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void backsUpDatabaseAndDirectoryAndTheCatalogAgreesWithTheStore() throws Exception {
    PlanResult result = harness.run(harness.load(harness.config()), List.of());

    assertThat(result.status()).isEqualTo("COMPLETE");
    assertThat(result.results()).extracting(SourceBackupResult::status).containsOnly("ARCHIVED");
    for (SourceBackupResult backup : result.results()) {
      BackupRecord record =
          harness.catalog().stream()
              .filter(r -> r.backupId().equals(backup.backupId()))
              .findFirst()
              .orElseThrow();
      assertThat(record.status()).isEqualTo("ARCHIVED");
      assertThat(record.sha256())
          .isEqualTo(backup.sha256())
          .isEqualTo(storedSha256(backup.objectKey()));
      assertThat(record.storedBytes()).isEqualTo(backup.storedBytes());
      assertThat(record.setId()).isEqualTo(result.setId());
      assertThat(record.keyId()).startsWith("k-");
      assertThat(
              harness
                  .s3
                  .client()
                  .headObject(b -> b.bucket(harness.bucket).key(backup.manifestKey()))
                  .metadata())
          .containsKey("vigil-hmac-sha256");
    }
    SourceBackupResult appdb = result.results().get(0);
    assertThat(appdb.compression()).isEqualTo("zstd");
    assertThat(result.results().get(1).compression())
        .as("random weights do not compress")
        .isEqualTo("none");
    assertThat(objects()).anyMatch(key -> key.endsWith("sets/" + result.setId() + ".json"));
    try (Stream<Path> left = Files.list(harness.spool)) {
      assertThat(left).as("spool is cleaned after success").isEmpty();
    }
  }

  @Test
  void aSizeChangeOverFifteenPercentIsRecordedAsAWarning() throws Exception {
    var config = harness.load(harness.config());
    PlanResult first = harness.run(config, List.of("appdb"));
    harness.close();
    harness.postgres.execute(
        harness.sourceDb,
        "INSERT INTO conversations SELECT g, now(), repeat('more data ', 20) FROM"
            + " generate_series(5001, 15000) g");
    // Backup ids are to the second: a second backup with the first one's id would be refused.
    Thread.sleep(1_050 - System.currentTimeMillis() % 1_000);

    PlanResult second = harness.run(config, List.of("appdb"));

    assertThat(first.results().get(0).warnings()).isEmpty();
    SourceBackupResult grown = second.results().get(0);
    assertThat(grown.archived()).isTrue();
    assertThat(grown.warnings())
        .singleElement()
        .asString()
        .matches("size \\d+ bytes is \\+\\d+% from the previous backup's \\d+ bytes");
    assertThat(harness.catalog().get(0).warnings()).isEqualTo(grown.warnings());
  }

  @Test
  void aSecondRunWithTheSameBackupIdIsRefusedAndLeavesTheFirstBackupIntact() throws Exception {
    var config = harness.load(harness.config());
    long sameSecond = System.currentTimeMillis();
    var client = harness.startWorker(config);
    PlanResult first = client.await(client.start("test", List.of("appdb"), sameSecond, "test"));
    SourceBackupResult archived = first.results().get(0);
    assertThat(archived.archived()).isTrue();
    harness.postgres.execute(
        harness.sourceDb,
        "INSERT INTO conversations SELECT g, now(), 'changed' FROM generate_series(90001, 90100) g");

    // A fresh Temporal history (a re-created server) does not know the first run: the catalog does.
    client = harness.startWorker(config);
    PlanResult second = client.await(client.start("test", List.of("appdb"), sameSecond, "test"));

    SourceBackupResult refused = second.results().get(0);
    assertThat(refused.backupId()).isEqualTo(archived.backupId());
    assertThat(refused.archived()).isFalse();
    assertThat(refused.failureType()).isEqualTo("DUPLICATE_RUN");
    assertThat(refused.failure()).contains("is already taken by another run");
    BackupRecord record = harness.catalog().get(0);
    assertThat(harness.catalog()).hasSize(1);
    assertThat(record.status()).isEqualTo("ARCHIVED");
    assertThat(record.setId()).isEqualTo(first.setId());
    assertThat(storedSha256(archived.objectKey()))
        .as("the first backup's object was not overwritten")
        .isEqualTo(archived.sha256())
        .isEqualTo(record.sha256());
  }

  @Test
  void noSecretReachesWorkflowHistory() throws Exception {
    PlanResult result = harness.run(harness.load(harness.config()), List.of());

    assertThat(result.complete()).isTrue();
    List<String> secrets =
        List.of(
            harness.postgres.password(),
            PipelineHarness.ENVIRONMENT.apply(PipelineHarness.KEY_ENV),
            PipelineHarness.ENVIRONMENT_WITH_S3.apply("AWS_TEST_SECRET"));
    List<String> workflowIds = new java.util.ArrayList<>();
    workflowIds.add("backup-set-test-" + result.setId().substring("test-".length()));
    result.results().forEach(r -> workflowIds.add("backup-" + r.backupId()));
    for (String workflowId : workflowIds) {
      String history = harness.history(workflowId);
      assertThat(history).as("payloads were decoded").contains("\"repository\":\"main\"");
      for (String secret : secrets) {
        assertThat(history).doesNotContain(secret);
      }
    }
  }

  @Test
  void unreachableDatabaseFailsWithHostAndPortAndArchivesNothing() throws Exception {
    int closedPort = FreePorts.find();
    String yaml =
        harness.config(
            harness.bucket,
            closedPort,
            harness.postgres.passwordFile().toString(),
            dir.resolve("models").toString(),
            harness.spool);

    PlanResult result = harness.runSkippingRetryWaits(harness.load(yaml), List.of("appdb"));

    assertFailed(
        result, "SOURCE_UNREACHABLE", "cannot connect to PostgreSQL at 127.0.0.1:" + closedPort);
  }

  @Test
  void wrongPasswordFailsAtOnceWithoutPrintingThePassword() throws Exception {
    Path wrong = dir.resolve("wrong-password");
    Files.writeString(wrong, "not-the-password-xyz");
    String yaml =
        harness.config(
            harness.bucket,
            harness.postgres.cluster().port(),
            wrong.toString(),
            dir.resolve("models").toString(),
            harness.spool);

    PlanResult result = harness.run(harness.load(yaml), List.of("appdb"));

    SourceBackupResult failed =
        assertFailed(result, "AUTHENTICATION_FAILED", "password authentication failed");
    assertThat(failed.failure()).contains(wrong.toString()).doesNotContain("not-the-password-xyz");
  }

  @Test
  void roleThatMayNotReadASequenceFailsAtOnceNamingTheSequence() throws Exception {
    String role = "vigil_backup_" + ProcessHandle.current().pid();
    String password = "least-privilege-" + ProcessHandle.current().pid();
    harness.postgres.execute(
        harness.sourceDb,
        "CREATE TABLE customers (id serial PRIMARY KEY, name text)",
        "INSERT INTO customers (name) SELECT 'customer ' || g FROM generate_series(1, 50) g",
        "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
    Path passwordFile = dir.resolve("backup-role-password");
    Files.writeString(passwordFile, password);
    String yaml =
        harness
            .config(
                harness.bucket,
                harness.postgres.cluster().port(),
                passwordFile.toString(),
                dir.resolve("models").toString(),
                harness.spool)
            .replace(
                "database: " + harness.sourceDb + "\n    user: " + harness.postgres.superuser(),
                "database: " + harness.sourceDb + "\n    user: " + role);

    PlanResult result = harness.run(harness.load(yaml), List.of("appdb"));

    SourceBackupResult failed =
        assertFailed(
            result,
            "DATABASE_PERMISSION_DENIED",
            "user '"
                + role
                + "' may not read everything in database '"
                + harness.sourceDb
                + "' at 127.0.0.1:"
                + harness.postgres.cluster().port()
                + " (pg_dump: error: query failed: ERROR: permission denied for sequence"
                + " customers_id_seq; pg_dump: detail: Query was: SELECT last_value, is_called"
                + " FROM public.customers_id_seq)");
    assertThat(failed.failure()).doesNotContain(password).doesNotContain(passwordFile + ":");
    // Permission errors are not retried: no retry grants a privilege.
    assertThat(harness.attempts("backup-" + failed.backupId(), "Dump")).isEqualTo(1);
  }

  @Test
  void missingDirectoryIsRefusedAtLoadAndNamedWhenItVanishesLater() throws Exception {
    Path gone = dir.resolve("no-such-models");
    String yaml =
        harness.config(
            harness.bucket,
            harness.postgres.cluster().port(),
            harness.postgres.passwordFile().toString(),
            gone.toString(),
            harness.spool);

    assertThatThrownBy(() -> harness.load(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageMatching(
            ".*vigil\\.yaml: sources\\.models\\.path at line \\d+: no such directory: "
                + Pattern.quote(gone.toString())
                + "; create it or fix the path");
    Files.createDirectories(gone);
    VigilConfig config = harness.load(yaml);
    Files.delete(gone);

    PlanResult result = harness.run(config, List.of("models"));

    assertFailed(result, "SOURCE_NOT_FOUND", "directory " + gone + " does not exist");
  }

  @Test
  void missingBucketIsNamedAndNothingIsArchived() throws Exception {
    String yaml =
        harness.config(
            "no-such-bucket-4711",
            harness.postgres.cluster().port(),
            harness.postgres.passwordFile().toString(),
            dir.resolve("models").toString(),
            harness.spool);

    PlanResult result = harness.run(harness.load(yaml), List.of("models"));

    assertFailed(result, "REPOSITORY_NOT_FOUND", "bucket 'no-such-bucket-4711' does not exist");
    try (Stream<Path> left = Files.list(harness.spool)) {
      assertThat(left).as("spool is cleaned after failure").isEmpty();
    }
  }

  @Test
  void fullSpoolDiskFailsWithSpoolFullAndArchivesNothing() throws Exception {
    Path tiny = Files.createDirectories(dir.resolve("tiny-spool"));
    assumeThat(mountTinyFilesystem(tiny)).as("needs root to mount a 1 MiB tmpfs").isTrue();
    // The dump is sealed as it streams, with no raw copy beside it: only more data than the
    // spool holds fills it.
    byte[] weights = new byte[2 << 20];
    new java.util.Random(4).nextBytes(weights);
    Files.write(dir.resolve("models/checkpoint-1/more-weights.bin"), weights);
    try {
      String yaml =
          harness.config(
              harness.bucket,
              harness.postgres.cluster().port(),
              harness.postgres.passwordFile().toString(),
              dir.resolve("models").toString(),
              tiny);

      PlanResult result = harness.run(harness.load(yaml), List.of("models"));

      assertFailed(result, "SPOOL_FULL", "is full (No space left on device)");
    } finally {
      new ProcessBuilder("umount", tiny.toString()).start().waitFor();
    }
  }

  @Test
  void missingOrWrongLengthKeyFailsBeforeAnythingRuns() throws Exception {
    Path shortKey = dir.resolve("short.key");
    Files.write(shortKey, new byte[16]);
    String yaml =
        harness.config().replace("key-env: " + PipelineHarness.KEY_ENV, "key-file: " + shortKey);

    assertThatThrownBy(() -> harness.load(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("encryption.key-file at line ")
        .hasMessageContaining("the key from file " + shortKey + " is 16 bytes; Vigil needs 32");
    String unset =
        harness.config().replace("key-env: " + PipelineHarness.KEY_ENV, "key-env: VIGIL_UNSET_KEY");
    assertThatThrownBy(() -> harness.load(unset))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("encryption.key-env at line ")
        .hasMessageContaining("environment variable VIGIL_UNSET_KEY is not set");
    assertThat(objects()).isEmpty();
  }

  @Test
  void malformedConfigFailsBeforeAnythingRuns() {
    assertThatThrownBy(() -> harness.load("sources:\n  appdb: [unclosed\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("vigil.yaml:")
        .hasMessageContaining("malformed YAML");
    assertThat(objects()).isEmpty();
  }

  private SourceBackupResult assertFailed(PlanResult result, String type, String message) {
    assertThat(result.status()).isEqualTo("FAILED");
    SourceBackupResult failed = result.results().get(0);
    assertThat(failed.status()).isEqualTo("FAILED");
    assertThat(failed.failureType()).isEqualTo(type);
    assertThat(failed.failure()).contains(message).doesNotContain("\n");
    List<BackupRecord> records = harness.catalog();
    assertThat(records).extracting(BackupRecord::status).containsOnly("FAILED");
    assertThat(records.get(0).failureReason()).contains(message);
    assertThat(objects()).noneMatch(key -> key.endsWith("data.vgl"));
    return failed;
  }

  private List<String> objects() {
    return harness.s3.client().listObjectsV2(b -> b.bucket(harness.bucket)).contents().stream()
        .map(S3Object::key)
        .toList();
  }

  private String storedSha256(String key) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(key))) {
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, read);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static boolean mountTinyFilesystem(Path target) throws InterruptedException {
    try {
      Process mount =
          new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", target.toString())
              .redirectErrorStream(true)
              .start();
      return mount.waitFor() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
