package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.restore.RestoreCatalog;
import dev.vigil.activities.restore.RestoreSpoolActivitiesImpl;
import dev.vigil.activities.testing.Await;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.restore.DownloadRequest;
import dev.vigil.workflows.restore.DownloadResult;
import dev.vigil.workflows.restore.RestoreDataRequest;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreSpoolActivities;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.RestoreWorkflow;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.UnsealRequest;
import dev.vigil.workflows.restore.ValidateRequest;
import dev.vigil.workflows.restore.ValidationResult;
import dev.vigil.workflows.restore.VerifyRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * A database restored into a database that does not exist yet loads its rows during the download
 * (pg_restore's pre-data and data sections read the plaintext as each AEAD segment authenticates)
 * and builds indexes and constraints in the restore step; a download that does not verify leaves no
 * database behind. Real pg_dump, pg_restore, PostgreSQL and S3Mock.
 */
class EarlyLoadIT {
  private static final int SEGMENT = 1 << 20;

  @TempDir static Path dir;

  private static PipelineHarness harness;

  private VigilServices services;
  private TestActivityEnvironment activities;
  private String restoreId;

  @BeforeAll
  static void backUpOnce() throws Exception {
    harness = new PipelineHarness(dir);
    // Random hex compresses about 2:1: a sealed stream of several 1 MiB segments.
    harness.postgres.execute(
        harness.sourceDb,
        "CREATE TABLE transcripts (id int PRIMARY KEY, conversation bigint NOT NULL REFERENCES"
            + " conversations, body text NOT NULL)",
        "CREATE INDEX transcripts_by_conversation ON transcripts (conversation)",
        "INSERT INTO transcripts SELECT g, 1 + g % 5000, md5(g::text) || md5((g * 7)::text)"
            + " || md5((g * 13)::text) FROM generate_series(1, 60000) g");
    PlanResult backup = harness.run(harness.load(harness.config()), List.of("appdb"));
    assertThat(backup.complete()).isTrue();
    harness.close();
  }

  @AfterAll
  static void tearDownAll() {
    harness.close();
  }

  @AfterEach
  void cleanSpool() throws Exception {
    if (activities != null) {
      activities.close();
      services.spool().delete(restoreId);
      activities = null;
    }
  }

  @Test
  void theRowsAreInWhenTheDownloadEndsAndTheRestoreStepBuildsIndexesAndConstraints() {
    RestoreSpoolActivities stub = stub();
    SelectedBackup selected = latest();
    assertThat(selected.storedBytes()).isGreaterThan(2L * SEGMENT);
    String database = "early_" + System.nanoTime();
    RestoreDataRequest into =
        new RestoreDataRequest(restoreId, selected, RestoreTarget.database(database), false, 2);

    DownloadResult download = stub.downloadBackup(new DownloadRequest(restoreId, selected, into));

    assertThat(count(database, "SELECT count(*) FROM transcripts")).isEqualTo(60000);
    assertThat(count(database, "SELECT count(*) FROM conversations")).isEqualTo(5000);
    assertThat(count(database, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"))
        .as("indexes and constraints wait for the restore step")
        .isZero();

    stub.verifyBackup(new VerifyRequest(restoreId, selected, download));
    stub.unsealBackup(new UnsealRequest(restoreId, selected));
    RestoreTarget restored = stub.restoreBackup(into);
    ValidationResult validation =
        stub.validateRestore(new ValidateRequest(restoreId, selected, restored));

    assertThat(validation.passed()).as(validation.failures().toString()).isTrue();
    assertThat(validation.checks()).contains("row counts: all 2 tables, 65000 rows, as recorded");
    String indexes =
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes"
            + " WHERE schemaname = 'public'";
    assertThat(text(database, indexes)).isEqualTo(text(harness.sourceDb, indexes));
    String constraints =
        "SELECT string_agg(conname || ':' || contype::text, ',' ORDER BY conname) FROM pg_constraint"
            + " WHERE connamespace = 'public'::regnamespace";
    assertThat(text(database, constraints))
        .contains("transcripts_conversation_fkey:f")
        .isEqualTo(text(harness.sourceDb, constraints));
  }

  @Test
  void aStoredObjectAlteredPastItsFirstSegmentLeavesNoDatabaseAndFailsAtVerify() throws Exception {
    RestoreSpoolActivities stub = stub();
    SelectedBackup selected = latest();
    byte[] stored;
    try (InputStream in =
        harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(selected.objectKey()))) {
      stored = in.readAllBytes();
    }
    // Past the first segment: the tables were created and rows were going in when it is reached.
    byte[] altered = stored.clone();
    altered[SEGMENT + SEGMENT / 2] ^= 0x10;
    put(selected.objectKey(), altered);
    String database = "never_" + System.nanoTime();
    try {
      DownloadResult download =
          stub.downloadBackup(
              new DownloadRequest(
                  restoreId,
                  selected,
                  new RestoreDataRequest(
                      restoreId, selected, RestoreTarget.database(database), false, 2)));

      assertThat(
              count(
                  "postgres",
                  "SELECT count(*) FROM pg_database WHERE datname = '" + database + "'"))
          .as("the database the load created is dropped")
          .isZero();
      assertThatThrownBy(() -> stub.verifyBackup(new VerifyRequest(restoreId, selected, download)))
          .isInstanceOf(ActivityFailure.class)
          .satisfies(failure -> assertThat(Failures.type(failure)).isEqualTo("OBJECT_CORRUPT"));
    } finally {
      put(selected.objectKey(), stored);
    }
  }

  @Test
  void aRestoreRunIntoANewDatabaseValidatesAndAnExistingEmptyOneIsRestoredWhole()
      throws InterruptedException {
    RestoreClient client = startWorker();
    String created = "early_run_" + System.nanoTime();
    // Exists and is empty: not the restore's to drop, so it is restored in the restore step.
    String existing = harness.postgres.createDatabase();

    for (String database : List.of(created, existing)) {
      // A restore's id is its source and the second it was asked for: one second each.
      Thread.sleep(1000 - System.currentTimeMillis() % 1000);
      String id = startRestore(client, database);
      RestoreResult result = client.await(id);

      assertThat(result.status()).as(result.failure()).isEqualTo("RESTORED");
      assertThat(result.validation().checks())
          .contains("row counts: all 2 tables, 65000 rows, as recorded");
      assertThat(count(database, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"))
          .isEqualTo(3);
    }
  }

  @Test
  void aRestoreCancelledInItsRestoreStepDropsTheDatabaseItsDownloadCreatedAndLoaded()
      throws Exception {
    RestoreClient client = startWorker();
    String database = "early_cancel_" + System.nanoTime();
    String id = startRestore(client, database);
    RestoreWorkflow run = harness.workflowClient().newWorkflowStub(RestoreWorkflow.class, id);

    // As soon as the download's load has created the table, hold it: the COPY into it (ROW
    // EXCLUSIVE) goes on, and the restore step's primary key (ACCESS EXCLUSIVE) waits behind this
    // lock, so the run is cancelled right there however fast the steps between are.
    Await.until(
        Duration.ofSeconds(90),
        () -> rows(database, "transcripts") >= 0,
        "the download created the table");
    try (Connection holder = harness.postgres.connect(database);
        Statement statement = holder.createStatement()) {
      holder.setAutoCommit(false);
      statement.execute("LOCK TABLE transcripts IN ACCESS SHARE MODE");
      Await.until(
          Duration.ofSeconds(90),
          () ->
              count(
                      "postgres",
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = '"
                          + database
                          + "' AND wait_event_type = 'Lock'")
                  > 0,
          "the restore step waits behind the lock");
      assertThat(run.currentStep()).isEqualTo("restore");
      try (ResultSet loaded = statement.executeQuery("SELECT count(*) FROM transcripts")) {
        loaded.next();
        assertThat(loaded.getLong(1)).as("rows loaded during the download").isEqualTo(60000);
      }

      WorkflowStub.fromTyped(run).cancel();

      assertThatThrownBy(() -> client.await(id))
          .isInstanceOf(WorkflowFailedException.class)
          .hasCauseInstanceOf(CanceledFailure.class);
    }
    assertThat(
            count(
                "postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + database + "'"))
        .as("rows without their indexes and constraints are no restore: the database goes")
        .isZero();
  }

  /** A worker on the test server; a client for its restores. */
  private static RestoreClient startWorker() {
    harness.startWorker(load());
    return new RestoreClient(
        harness.workflowClient(), harness.services().config().temporal().taskQueue());
  }

  /** Starts the latest backup of appdb restoring into {@code database}, with two jobs. */
  private static String startRestore(RestoreClient client, String database) {
    return client.start(
        new RestoreRequest(
            RestoreSelector.latest("appdb"),
            RestoreTarget.database(database),
            false,
            2,
            "early-load-it"),
        System.currentTimeMillis());
  }

  /** Rows in {@code table} of {@code database}, or -1 while either does not exist yet. */
  private static long rows(String database, String table) {
    try {
      return count(database, "SELECT count(*) FROM " + table);
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private RestoreSpoolActivities stub() {
    services = harness.services(load());
    restoreId = "restore-early-" + System.nanoTime();
    activities = TestActivityEnvironment.newInstance();
    activities.registerActivitiesImplementations(new RestoreSpoolActivitiesImpl(services));
    return activities.newActivityStub(
        RestoreSpoolActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofMinutes(2))
            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
            .build());
  }

  private static VigilConfig load() {
    try {
      return harness.load(harness.config());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private SelectedBackup latest() {
    return new RestoreCatalog(services.catalogDataSource()).select(RestoreSelector.latest("appdb"));
  }

  private static long count(String database, String query) {
    return harness.postgres.queryLong(database, query);
  }

  private static String text(String database, String query) {
    try (var connection = harness.postgres.connect(database);
        var statement = connection.createStatement();
        var row = statement.executeQuery(query)) {
      row.next();
      return row.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces the stored object's bytes, keeping its metadata. */
  private static void put(String key, byte[] content) {
    Map<String, String> metadata =
        harness.s3.client().headObject(b -> b.bucket(harness.bucket).key(key)).metadata();
    harness
        .s3
        .client()
        .putObject(
            b -> b.bucket(harness.bucket).key(key).metadata(metadata),
            RequestBody.fromBytes(content));
  }
}
