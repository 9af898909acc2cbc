package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.activities.restore.RestoreCatalog;
import dev.vigil.activities.restore.RestoreSpoolActivitiesImpl;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.source.postgres.PostgresDriver;
import dev.vigil.starter.RestoreClient;
import dev.vigil.worker.VigilWorker;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.restore.DownloadProgress;
import dev.vigil.workflows.restore.DownloadRequest;
import dev.vigil.workflows.restore.DownloadResult;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreSpoolActivities;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.UnsealRequest;
import dev.vigil.workflows.restore.UnsealResult;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowFailedException;
import io.temporal.testing.TestActivityEnvironment;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Restores with every real part: backups taken by the real pipeline (pg_dump, tar, S3Mock,
 * catalog), restored by {@code RestoreWorkflow} on Temporal's test server with the real activities:
 * pg_restore into fresh clusters and named databases, directories extracted and compared byte for
 * byte, and every kind of bad input and tampering refused before a target is touched.
 */
class RestorePipelineIT {
  private static final AtomicLong CLOCK = new AtomicLong(1_800_000_000_000L);
  private static final String VALIDATIONS =
      """
          validations:
            - name: recent-conversations
              query: "SELECT count(*) FROM conversations WHERE started_at > now() - interval '400 days'"
              expect: "> 0"
      """;
  private static final String FAILING_VALIDATION =
      """
            - name: no-conversations
              query: "SELECT count(*) FROM conversations"
              expect: "= 0"
      """;

  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static PlanResult backup;
  private static String sourceSchema;
  private static String sourceData;

  private TestWorkflowEnvironment environment;
  private VigilServices services;
  private VigilWorker worker;
  private String lastRestoreId;

  @BeforeAll
  static void backUpOnce() throws Exception {
    harness = new PipelineHarness(dir);
    harness.postgres.execute(
        harness.sourceDb,
        "CREATE TABLE feedback (id serial PRIMARY KEY, conversation_id bigint REFERENCES"
            + " conversations (id), score int CHECK (score BETWEEN 1 AND 5))",
        "CREATE INDEX feedback_score ON feedback (score)",
        "INSERT INTO feedback (conversation_id, score) SELECT g, 1 + g % 5 FROM"
            + " generate_series(1, 700) g",
        // Least-privilege roles of the source's cluster: a fresh cluster has neither.
        "CREATE ROLE app_reader NOLOGIN",
        "CREATE ROLE app_analyst LOGIN CONNECTION LIMIT 5 IN ROLE app_reader",
        "GRANT SELECT ON conversations TO app_reader");
    Path models = dir.resolve("models");
    Files.createDirectories(models.resolve("checkpoint-1/tokenizer"));
    Files.writeString(models.resolve("checkpoint-1/tokenizer/vocab.json"), "{\"a\": 1}");
    Files.createSymbolicLink(models.resolve("best"), Path.of("checkpoint-1"));
    backup = harness.run(harness.load(harness.config()), List.of());
    assertThat(backup.complete()).isTrue();
    harness.close();
    sourceSchema = dump(harness.postgres.cluster().port(), harness.sourceDb, "--schema-only");
    sourceData = dump(harness.postgres.cluster().port(), harness.sourceDb, "--data-only");
    // Changes after the backup must not show up in a restore of it.
    harness.postgres.execute(
        harness.sourceDb, "INSERT INTO conversations VALUES (900001, now(), 'after the backup')");
  }

  @AfterAll
  static void tearDownAll() {
    harness.close();
  }

  @AfterEach
  void stopWorker() {
    if (worker != null) {
      worker.close();
    }
    if (services != null) {
      services.close();
    }
    if (environment != null) {
      environment.close();
    }
  }

  @Test
  void databaseRestoredIntoAFreshClusterEqualsTheSourceAsOfBackupTime() throws Exception {
    startWorker(withValidations(harness.config()));

    RestoreResult result = restore(RestoreSelector.latest("appdb"), fresh(), false);

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.backupId()).isEqualTo(backupOf("appdb").backupId());
    assertThat(result.steps())
        .extracting(StepTiming::step)
        .containsExactly(
            "select",
            "reserve-host",
            "check-target",
            "download",
            "verify",
            "decrypt",
            "restore",
            "validate",
            "record");
    RestoreTarget target = result.target();
    try {
      assertThat(target.type()).isEqualTo("fresh-cluster");
      assertThat(target.port()).isNotEqualTo(harness.postgres.cluster().port());
      assertThat(Files.readString(Path.of(target.passwordFile()))).isNotBlank();
      assertThat(result.validation().checks())
          .contains("public.conversations: 5000 rows as recorded")
          .contains("public.feedback: 700 rows as recorded")
          .anyMatch(check -> check.startsWith("recent-conversations: 5000"));
      assertThat(result.validation().failures()).isEmpty();
      assertThat(dump(target.port(), target.database(), "--schema-only", target.passwordFile()))
          .isEqualTo(sourceSchema);
      assertThat(dump(target.port(), target.database(), "--data-only", target.passwordFile()))
          .isEqualTo(sourceData);
    } finally {
      FreshClusters.shared().stop(restoreIdOf(result));
    }
    var recorded = new RestoreCatalog(services.catalogDataSource()).find(restoreIdOf(result));
    assertThat(recorded)
        .hasValueSatisfying(
            row -> {
              assertThat(row.status()).isEqualTo("RESTORED");
              assertThat(row.backupId()).isEqualTo(result.backupId());
              assertThat(row.validationPassed()).isTrue();
              assertThat(row.requestedBy()).isEqualTo("restore-it");
              assertThat(row.targetJson()).contains(target.passwordFile());
              assertThat(row.targetJson()).doesNotContain(harness.postgres.password());
            });
    assertSpoolClean();
  }

  @Test
  void theSourcesRolesAreRecreatedInAFreshClusterSoItsGrantsRestore() throws Exception {
    startWorker(harness.config());

    RestoreResult result = restore(RestoreSelector.latest("appdb"), fresh(), false);

    try {
      // pg_restore runs with --exit-on-error: RESTORED means it reported no error.
      assertThat(result.status()).as(result.failure()).isEqualTo("RESTORED");
      RestoreTarget target = result.target();
      try (Connection connection =
              DriverManager.getConnection(
                  "jdbc:postgresql://"
                      + target.host()
                      + ":"
                      + target.port()
                      + "/"
                      + target.database(),
                  target.user(),
                  Files.readString(Path.of(target.passwordFile())));
          Statement statement = connection.createStatement();
          ResultSet row =
              statement.executeQuery(
                  "SELECT has_table_privilege('app_reader', 'conversations', 'SELECT'),"
                      + " has_table_privilege('app_reader', 'feedback', 'SELECT'),"
                      + " pg_has_role('app_analyst', 'app_reader', 'MEMBER'),"
                      + " (SELECT rolcanlogin AND rolconnlimit = 5 AND NOT rolsuper FROM pg_roles"
                      + " WHERE rolname = 'app_analyst'),"
                      + " (SELECT count(*) FROM pg_authid WHERE rolname LIKE 'app_%'"
                      + " AND rolpassword IS NOT NULL)")) {
        row.next();
        assertThat(row.getBoolean(1)).as("app_reader may read conversations").isTrue();
        assertThat(row.getBoolean(2)).as("and nothing it was not granted").isFalse();
        assertThat(row.getBoolean(3)).as("app_analyst is a member of app_reader").isTrue();
        assertThat(row.getBoolean(4)).as("app_analyst keeps LOGIN and its limit").isTrue();
        assertThat(row.getLong(5)).as("no password comes with a role").isZero();
      }
    } finally {
      FreshClusters.shared().stop(restoreIdOf(result));
    }
  }

  @Test
  void aFailingValidationQueryFailsTheRestoreAndIsRecorded() throws Exception {
    startWorker(
        withValidations(harness.config()).replace(VALIDATIONS, VALIDATIONS + FAILING_VALIDATION));
    String database = "validated_" + CLOCK.incrementAndGet();

    RestoreResult result =
        restore(RestoreSelector.latest("appdb"), RestoreTarget.database(database), false);

    assertThat(result.status()).isEqualTo("FAILED");
    assertThat(result.validation().passed()).isFalse();
    assertThat(result.validation().failures())
        .containsExactly("no-conversations: got 5000, expected = 0");
    assertThat(result.validation().checks())
        .contains("row counts: all 2 tables, 5700 rows, as recorded")
        .anyMatch(check -> check.startsWith("recent-conversations: 5000"));
    assertThat(result.failure()).isEqualTo("validate: no-conversations: got 5000, expected = 0");
    assertThat(new RestoreCatalog(services.catalogDataSource()).find(restoreIdOf(result)))
        .hasValueSatisfying(
            row -> {
              assertThat(row.status()).isEqualTo("FAILED");
              assertThat(row.failureType()).isEqualTo("VALIDATION_FAILED");
              assertThat(row.validationPassed()).isFalse();
            });
  }

  @Test
  void directoryRestoredByteIdenticalAndATimeSelectsTheBackup() throws Exception {
    startWorker(harness.config());
    Path target = dir.resolve("restored-models-" + CLOCK.incrementAndGet());
    long afterBackup = backupOf("models").consistentAtMillis() + 1;

    RestoreResult result =
        restore(
            new RestoreSelector("models", null, afterBackup),
            RestoreTarget.directory(target.toString()),
            false);

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.validation().checks()).singleElement().asString().contains("no extra files");
    assertThat(tree(target)).isEqualTo(tree(dir.resolve("models")));
    assertThat(Files.readSymbolicLink(target.resolve("best"))).isEqualTo(Path.of("checkpoint-1"));
    assertSpoolClean();
  }

  @Test
  void namedDatabaseIsRefusedWhenNotEmptyAndReplacedWithForce() throws Exception {
    startWorker(harness.config());
    String database = harness.postgres.createDatabase();
    harness.postgres.execute(database, "CREATE TABLE unrelated (id int)");

    assertFails(
        () -> restore(RestoreSelector.latest("appdb"), RestoreTarget.database(database), false),
        "TARGET_NOT_EMPTY",
        "restore target database '" + database + "' at 127.0.0.1:");
    assertThat(
            harness.postgres.queryLong(
                database, "SELECT count(*) FROM pg_tables WHERE" + " tablename = 'conversations'"))
        .isZero();

    RestoreResult forced =
        restore(RestoreSelector.latest("appdb"), RestoreTarget.database(database), true);

    assertThat(forced.status()).isEqualTo("RESTORED");
    assertThat(harness.postgres.queryLong(database, "SELECT count(*) FROM conversations"))
        .isEqualTo(5000);
    String fresh = "restored_" + CLOCK.incrementAndGet();
    RestoreResult created =
        restore(RestoreSelector.latest("appdb"), RestoreTarget.database(fresh), false);
    assertThat(created.status()).isEqualTo("RESTORED");
    assertThat(harness.postgres.queryLong(fresh, "SELECT count(*) FROM feedback")).isEqualTo(700);
  }

  @Test
  void nonEmptyDirectoryIsRefusedWithoutForce() throws Exception {
    startWorker(harness.config());
    Path target = Files.createDirectories(dir.resolve("occupied-" + CLOCK.incrementAndGet()));
    Files.writeString(target.resolve("keep-me.txt"), "precious");

    assertFails(
        () ->
            restore(
                RestoreSelector.latest("models"),
                RestoreTarget.directory(target.toString()),
                false),
        "TARGET_NOT_EMPTY",
        "failed at check-target: restore target directory "
            + target
            + " is not empty (it holds keep-me.txt)");
    assertThat(Files.readString(target.resolve("keep-me.txt"))).isEqualTo("precious");
    assertThat(scheduledActivities(lastRestoreId))
        .as("the target is checked before a byte is downloaded")
        .contains("CheckTarget")
        .doesNotContain("DownloadBackup", "VerifyBackup", "UnsealBackup", "RestoreBackup");
    assertThat(new RestoreCatalog(services.catalogDataSource()).find(lastRestoreId))
        .hasValueSatisfying(
            row -> {
              assertThat(row.failureType()).isEqualTo("TARGET_NOT_EMPTY");
              assertThat(row.failureReason()).startsWith("check-target: ");
            });
    assertSpoolClean();
  }

  @Test
  void aForcedRestoreOutsideTheRestoreRootsIsRefusedAndDeletesNothing() throws Exception {
    startWorker(harness.config());
    Path outside = Files.createTempDirectory("vigil-outside-roots");
    Path sentinel = Files.writeString(outside.resolve("sentinel.txt"), "must survive");
    try {
      assertFails(
          () ->
              restore(
                  RestoreSelector.latest("models"),
                  RestoreTarget.directory(outside.toString()),
                  true),
          "RESTORE_TARGET_FORBIDDEN",
          "failed at check-target: restore target "
              + outside
              + " is outside the directories this worker restores into; allowed: a directory"
              + " inside "
              + dir
              + ", "
              + harness.spool.resolve("restores")
              + ", "
              + harness.spool.resolve("drills")
              + " (add one to worker.restore-roots in vigil.yaml)");
      assertThat(sentinel).hasContent("must survive");
      try (Stream<Path> left = Files.list(outside)) {
        assertThat(left).containsExactly(sentinel);
      }
      assertThat(scheduledActivities(lastRestoreId)).doesNotContain("DownloadBackup");
    } finally {
      FileTrees.delete(outside);
    }
  }

  @Test
  void aSymlinkInsideARootPointingOutsideIsRefused() throws Exception {
    startWorker(harness.config());
    Path outside = Files.createTempDirectory("vigil-outside-roots");
    Path sentinel = Files.writeString(outside.resolve("sentinel.txt"), "must survive");
    Path link = Files.createSymbolicLink(dir.resolve("link-" + CLOCK.incrementAndGet()), outside);
    try {
      for (Path target : List.of(link, link.resolve("models"))) {
        assertFails(
            () ->
                restore(
                    RestoreSelector.latest("models"),
                    RestoreTarget.directory(target.toString()),
                    true),
            "RESTORE_TARGET_FORBIDDEN",
            "restore target " + target + " (really " + outside.toRealPath());
      }
      assertThat(sentinel).hasContent("must survive");
      try (Stream<Path> left = Files.list(outside)) {
        assertThat(left).containsExactly(sentinel);
      }
    } finally {
      Files.deleteIfExists(link);
      FileTrees.delete(outside);
    }
  }

  @Test
  void aFlippedBitInTheStoredObjectIsDetectedBeforeAnythingIsDecrypted() throws Exception {
    startWorker(harness.config());
    SourceBackupResult models = backupOf("models");
    byte[] original = object(models.objectKey());
    byte[] flipped = original.clone();
    flipped[flipped.length / 2] ^= 0x10;
    Path target = dir.resolve("never-" + CLOCK.incrementAndGet());
    put(models.objectKey(), flipped, Map.of());
    try {
      assertFails(
          () ->
              restore(
                  RestoreSelector.latest("models"),
                  RestoreTarget.directory(target.toString()),
                  false),
          "OBJECT_CORRUPT",
          "object '" + models.objectKey() + "' in bucket '" + harness.bucket + "'");
    } finally {
      put(models.objectKey(), original, Map.of());
    }
    assertThat(target).doesNotExist();
    assertSpoolClean();
  }

  @Test
  void aStoredObjectTruncatedOnDiskFailsFastAsCorruptAndTouchesNoTarget() throws Exception {
    String key = backupOf("models").objectKey();
    int length = object(key).length;
    long started = System.nanoTime();

    // A broken disk behind the store: HEAD still reports the catalog's size, the bytes end early.
    assertCorruptAtDownload(
        () -> harness.s3.truncateOnDisk(harness.bucket, key, length / 3),
        "is " + (length / 3) + " bytes but the catalog recorded " + length);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void aStoredObjectReplacedByATruncatedCopyIsCorruptBeforeItIsDownloaded() throws Exception {
    String key = backupOf("models").objectKey();
    byte[] original = object(key);

    assertCorruptAtDownload(
        () -> put(key, Arrays.copyOf(original, 4096), Map.of()),
        "is 4096 bytes but the catalog recorded "
            + original.length
            + " (truncated or replaced: a broken disk or tampering); nothing was downloaded");
  }

  /**
   * Tampers with the models backup's stored object, restores it, and expects OBJECT_CORRUPT at the
   * download step naming the repository, key and sizes, with no target created; then puts the
   * object back.
   */
  private void assertCorruptAtDownload(Tampering tamper, String sizes) throws Exception {
    startWorker(harness.config());
    String key = backupOf("models").objectKey();
    byte[] original = object(key);
    Path target = dir.resolve("never-" + CLOCK.incrementAndGet());
    tamper.apply();
    try {
      assertFails(
          () ->
              restore(
                  RestoreSelector.latest("models"),
                  RestoreTarget.directory(target.toString()),
                  false),
          "OBJECT_CORRUPT",
          "failed at download: repository 'main': object '"
              + key
              + "' in bucket '"
              + harness.bucket
              + "' "
              + sizes);
    } finally {
      put(key, original, Map.of());
    }
    assertThat(target).doesNotExist();
    assertSpoolClean();
  }

  /** A change to the stored bytes. */
  private interface Tampering {
    void apply() throws IOException;
  }

  @Test
  void aTamperedManifestIsRefused() throws Exception {
    startWorker(harness.config());
    SourceBackupResult appdb = backupOf("appdb");
    byte[] original = object(appdb.manifestKey());
    Map<String, String> metadata = metadata(appdb.manifestKey());
    String edited =
        new String(original, StandardCharsets.UTF_8).replace("\"rows\" : 5000", "\"rows\" : 4999");
    assertThat(edited).isNotEqualTo(new String(original, StandardCharsets.UTF_8));
    put(appdb.manifestKey(), edited.getBytes(StandardCharsets.UTF_8), metadata);
    try {
      assertFails(
          () -> restore(RestoreSelector.latest("appdb"), fresh(), false),
          "MANIFEST_INVALID",
          "manifest '"
              + appdb.manifestKey()
              + "' of backup '"
              + appdb.backupId()
              + "' fails its HMAC check");
    } finally {
      put(appdb.manifestKey(), original, metadata);
    }
  }

  @Test
  void theManifestOfAnotherBackupIsRefusedEvenWithAValidHmac() throws Exception {
    startWorker(harness.config());
    SourceBackupResult appdb = backupOf("appdb");
    SourceBackupResult models = backupOf("models");
    byte[] original = object(appdb.manifestKey());
    Map<String, String> metadata = metadata(appdb.manifestKey());
    put(appdb.manifestKey(), object(models.manifestKey()), metadata(models.manifestKey()));
    try {
      assertFails(
          () -> restore(RestoreSelector.latest("appdb"), fresh(), false),
          "MANIFEST_INVALID",
          "describes another backup (backupId " + models.backupId());
    } finally {
      put(appdb.manifestKey(), original, metadata);
    }
  }

  @Test
  void aWrongKeyIsRefusedAndNothingIsWritten() throws Exception {
    byte[] otherKey = new byte[32];
    new Random(99).nextBytes(otherKey);
    String other = Base64.getEncoder().encodeToString(otherKey);
    startWorker(
        harness.config(),
        name -> "OTHER_KEY".equals(name) ? other : PipelineHarness.ENVIRONMENT_WITH_S3.apply(name),
        yaml -> yaml.replace("key-env: " + PipelineHarness.KEY_ENV, "key-env: OTHER_KEY"));
    Path target = dir.resolve("never-" + CLOCK.incrementAndGet());

    assertFails(
        () ->
            restore(
                RestoreSelector.latest("models"),
                RestoreTarget.directory(target.toString()),
                false),
        "ENCRYPTION_KEY_INVALID",
        "was sealed with key '");
    assertThat(target).doesNotExist();
  }

  @Test
  void anUnknownIdAndATimeBeforeTheFirstBackupAreNotFound() throws Exception {
    startWorker(harness.config());

    assertFails(
        () -> restore(new RestoreSelector(null, "appdb-19990101T000000Z", 0), fresh(), false),
        "BACKUP_NOT_FOUND",
        "no backup with id 'appdb-19990101T000000Z' in the catalog");
    long before = Instant.parse("2001-01-01T00:00:00Z").toEpochMilli();
    assertFails(
        () -> restore(new RestoreSelector("appdb", null, before), fresh(), false),
        "BACKUP_NOT_FOUND",
        "source 'appdb' has no ARCHIVED backup consistent at or before 2001-01-01T00:00:00Z;"
            + " its first is '"
            + backupOf("appdb").backupId()
            + "'");
  }

  @Test
  void downloadAfterACrashResumesFromTheHeartbeatOffset() throws Exception {
    VigilConfig config = harness.load(harness.config());
    services = new VigilServices(config, PipelineHarness.ENVIRONMENT_WITH_S3);
    services.catalog().migrate();
    SelectedBackup selected =
        new RestoreCatalog(services.catalogDataSource()).select(RestoreSelector.latest("appdb"));
    byte[] stored = object(selected.objectKey());
    int half = stored.length / 2;
    String restoreId = "restore-resume-" + CLOCK.incrementAndGet();
    Path partial = services.spool().dir(restoreId).resolve("data.vgl");
    Files.createDirectories(partial.getParent());
    // The crashed attempt wrote half the object, heartbeat that, then some bytes it never reported.
    byte[] written = Arrays.copyOf(stored, half + 100);
    Arrays.fill(written, half, written.length, (byte) 0x5a);
    Files.write(partial, written);
    TestActivityEnvironment activities = TestActivityEnvironment.newInstance();
    try {
      activities.registerActivitiesImplementations(new RestoreSpoolActivitiesImpl(services));
      activities.setHeartbeatDetails(
          new DownloadProgress(selected.objectKey(), half, stored.length));
      RestoreSpoolActivities stub = activities.newActivityStub(RestoreSpoolActivities.class);

      DownloadResult result = stub.downloadBackup(new DownloadRequest(restoreId, selected));

      assertThat(result.resumedFromBytes()).isEqualTo(half);
      assertThat(result.bytes()).isEqualTo(stored.length);
      assertThat(result.sha256()).isEqualTo(selected.sha256());
      assertThat(Files.readAllBytes(partial)).isEqualTo(stored);
      // The download decrypted as it went, from the start of the resumed file (not from the
      // garbage after the heartbeat's offset): the decrypt step takes that plaintext over.
      Path plain = partial.resolveSibling(PostgresDriver.RESTORE_DUMP);
      assertThat(plain.resolveSibling(PostgresDriver.RESTORE_DUMP + ".early.done"))
          .content()
          .startsWith(selected.sha256() + " ");
      UnsealResult unsealed = stub.unsealBackup(new UnsealRequest(restoreId, selected));
      java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
      services
          .sealer()
          .unseal(
              new java.io.ByteArrayInputStream(stored),
              expected,
              dev.vigil.activities.backup.SpoolActivitiesImpl.aeadContext(
                  selected.backupId(), selected.source()));
      assertThat(unsealed.file()).isEqualTo(plain.toString());
      assertThat(Files.readAllBytes(plain)).isEqualTo(expected.toByteArray());
      assertThat(partial).doesNotExist();
    } finally {
      activities.close();
      services.spool().delete(restoreId);
    }
  }

  private RestoreResult restore(RestoreSelector selector, RestoreTarget target, boolean force) {
    RestoreClient client =
        new RestoreClient(
            environment.getWorkflowClient(), services.config().temporal().taskQueue());
    lastRestoreId =
        client.start(
            new RestoreRequest(selector, target, force, 2, "restore-it"), CLOCK.addAndGet(1000));
    return client.await(lastRestoreId);
  }

  private void startWorker(String yaml) throws IOException {
    startWorker(yaml, PipelineHarness.ENVIRONMENT_WITH_S3, Function.identity());
  }

  private void startWorker(String yaml, Function<String, String> env, Function<String, String> edit)
      throws IOException {
    Path file = dir.resolve("restore-vigil.yaml");
    Files.writeString(file, edit.apply(yaml));
    VigilConfig config = new dev.vigil.activities.config.ConfigLoader(env).load(file);
    environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    services = new VigilServices(config, env);
    worker = VigilWorker.start(environment.getWorkflowClient(), services);
  }

  private static String withValidations(String yaml) {
    return yaml.replace("    type: postgres\n", "    type: postgres\n" + VALIDATIONS);
  }

  private static RestoreTarget fresh() {
    return new RestoreTarget("fresh-cluster", null, 0, null, null, null, null);
  }

  private static SourceBackupResult backupOf(String source) {
    return backup.results().stream()
        .filter(result -> result.source().name().equals(source))
        .findFirst()
        .orElseThrow();
  }

  private String restoreIdOf(RestoreResult result) {
    assertThat(lastRestoreId).contains(result.source());
    return lastRestoreId;
  }

  /** The activity types the restore's history scheduled, in order. */
  private List<String> scheduledActivities(String restoreId) {
    return environment.getWorkflowClient().fetchHistory(restoreId).getEvents().stream()
        .filter(event -> event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .map(event -> event.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .toList();
  }

  private static void assertFails(Runnable restore, String type, String message) {
    assertThatThrownBy(restore::run)
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo(type);
              assertThat(Failures.reason(failure)).contains(message);
            });
  }

  private void assertSpoolClean() throws IOException {
    try (Stream<Path> left = Files.list(harness.spool)) {
      assertThat(left.map(path -> path.getFileName().toString()))
          .as("restore spool directories are removed")
          .noneMatch(name -> name.startsWith("restore-"));
    }
  }

  private static byte[] object(String key) throws IOException {
    try (InputStream in = harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(key))) {
      return in.readAllBytes();
    }
  }

  private static Map<String, String> metadata(String key) {
    return harness.s3.client().headObject(b -> b.bucket(harness.bucket).key(key)).metadata();
  }

  private static void put(String key, byte[] content, Map<String, String> metadata) {
    harness
        .s3
        .client()
        .putObject(
            b -> b.bucket(harness.bucket).key(key).metadata(metadata),
            RequestBody.fromBytes(content));
  }

  /** Every path under {@code root} with its type, size, SHA-256 or link target. */
  static List<String> tree(Path root) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : walk.filter(p -> !p.equals(root)).sorted().toList()) {
        String relative = root.relativize(path).toString();
        if (Files.isSymbolicLink(path)) {
          lines.add(relative + " -> " + Files.readSymbolicLink(path));
        } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          lines.add(relative + "/ " + Files.getPosixFilePermissions(path));
        } else {
          try (InputStream in = Files.newInputStream(path)) {
            lines.add(
                relative
                    + " "
                    + Files.size(path)
                    + " "
                    + dev.vigil.activities.common.Digests.sha256Hex(in)
                    + " "
                    + Files.getPosixFilePermissions(path));
          }
        }
      }
    }
    return lines;
  }

  private static String dump(int port, String database, String what) throws Exception {
    return dump(port, database, what, harness.postgres.passwordFile().toString());
  }

  /** A plain pg_dump, without its comments and per-dump random \restrict keys. */
  private static String dump(int port, String database, String what, String passwordFile)
      throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
            PgTools.locate().pgDump(),
            what,
            "--no-owner",
            "--no-privileges",
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(port),
            "-U",
            harness.postgres.superuser(),
            "-d",
            database);
    builder.environment().put("PGPASSWORD", Files.readString(Path.of(passwordFile)).strip());
    builder.redirectErrorStream(true);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(output).isZero();
    return output
        .lines()
        .filter(line -> !line.startsWith("--") && !line.startsWith("\\restrict"))
        .filter(line -> !line.startsWith("\\unrestrict"))
        .collect(Collectors.joining("\n"));
  }
}
