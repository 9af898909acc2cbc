package dev.vigil.infra.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.retention.ColdRestorer;
import dev.vigil.activities.retention.RetentionActivitiesImpl;
import dev.vigil.activities.retention.RetentionMetrics;
import dev.vigil.activities.retention.RowArchiver;
import dev.vigil.starter.RetentionClient;
import dev.vigil.worker.SearchAttributeRegistration;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.RetentionWorkflowImpl;
import dev.vigil.workflows.retention.RowMonth;
import dev.vigil.workflows.retention.SourceRetentionResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Row archival on a real PostgreSQL table: monthly sealed jsonl files hold exactly the archived
 * rows, the rows are marked only after their file is verified, crashes between the steps are
 * harmless, and a second run archives nothing twice.
 */
class RowArchivalIT {
  private static final String ROWS =
      """
      archive-rows:
        conversations: {timestamp-column: started_at, older-than: 60d}
      """;

  @TempDir Path dir;
  private RetentionHarness harness;
  private TestWorkflowEnvironment environment;
  private VigilServices services;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void start() throws Exception {
    harness = new RetentionHarness(dir);
    harness.postgres.execute(
        harness.sourceDb,
        "CREATE TABLE conversations (id bigint PRIMARY KEY, started_at timestamptz NOT NULL,"
            + " body text, archived boolean NOT NULL DEFAULT false, archive_key text)",
        // One conversation a day for 150 days: about three months are older than 60 days.
        "INSERT INTO conversations (id, started_at, body) SELECT g, now() - g * interval '1 day',"
            + " 'hello ' || g FROM generate_series(1, 150) g",
        "CREATE TABLE feedback (id bigint PRIMARY KEY, at timestamptz NOT NULL)");
  }

  @AfterEach
  void stop() {
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void oldRowsGoToVerifiedMonthlyFilesAreMarkedAndAreNeverArchivedTwice() throws Exception {
    CrashingRetentionActivities crashing = worker(ROWS);

    SourceRetentionResult first = run();

    assertThat(first.failures()).isEmpty();
    assertThat(crashing.crashes).isNotEmpty();
    long old =
        harness.postgres.queryLong(
            harness.sourceDb,
            "SELECT count(*) FROM conversations WHERE started_at < now() - interval '60 days'");
    assertThat(first.rowsArchived()).isEqualTo(old);
    List<RowMonth> months = first.plan().rowMonths();
    assertThat(months).isNotEmpty();
    for (RowMonth month : months) {
      List<Long> inFile = idsInFile(month);
      List<Long> marked =
          ids(
              "SELECT id FROM conversations WHERE archived AND archive_key = '"
                  + month.objectKey()
                  + "' ORDER BY id");
      assertThat(inFile).isNotEmpty().isEqualTo(marked);
      assertThat(inFile)
          .isEqualTo(
              ids(
                  "SELECT id FROM conversations WHERE to_char(started_at AT TIME ZONE 'UTC',"
                      + " 'YYYY-MM') = '"
                      + month.month()
                      + "' AND started_at < to_timestamp("
                      + month.cutoffMillis() / 1000.0
                      + ") ORDER BY id"));
      assertThat(harness.head(month.objectKey()).metadata()).containsKey("vigil-sha256");
    }
    assertThat(
            harness.postgres.queryLong(
                harness.sourceDb, "SELECT count(*) FROM conversations WHERE NOT archived"))
        .isEqualTo(150 - old);
    assertThat(
            harness.postgres.queryLong(
                harness.catalogDb,
                "SELECT count(*) FROM vigil.row_archive WHERE verified_at IS NOT NULL"
                    + " AND marked_at IS NOT NULL"))
        .isEqualTo(months.size());
    assertThat(registry.get("rows.archived").counter().count()).isEqualTo((double) old);
    List<String> keys = harness.keys();

    SourceRetentionResult second = run();

    assertThat(second.plan().rowMonths()).isEmpty();
    assertThat(second.rowsArchived()).isZero();
    assertThat(harness.keys()).containsExactlyInAnyOrderElementsOf(keys);
  }

  @Test
  void aTableWithoutTheArchiveColumnsIsReportedWithTheStatementThatAddsThem() throws Exception {
    worker(
        """
        archive-rows:
          feedback: {timestamp-column: at, older-than: 1d}
        """);

    SourceRetentionResult result = run();

    assertThat(result.plan()).isNull();
    assertThat(result.failures())
        .containsExactly(
            "plan: source 'appdb': table public.feedback needs the columns Vigil marks archived"
                + " rows with; add them: ALTER TABLE \"public\".\"feedback\" ADD COLUMN IF NOT"
                + " EXISTS \"archived\" boolean NOT NULL DEFAULT false, ADD COLUMN IF NOT EXISTS"
                + " \"archive_key\" text");
    assertThat(harness.keys()).isEmpty();
  }

  private List<Long> idsInFile(RowMonth month) throws Exception {
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    try (InputStream in = services.store("main").open(month.objectKey())) {
      services.sealer().unseal(in, plain, RowArchiver.context(month));
    }
    List<Long> ids = new ArrayList<>();
    for (String line : plain.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        JsonNode row = Json.MAPPER.readTree(line);
        assertThat(row.get("body").asText()).isEqualTo("hello " + row.get("id").asLong());
        ids.add(row.get("id").asLong());
      }
    }
    return new ArrayList<>(new TreeSet<>(ids));
  }

  private List<Long> ids(String sql) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection connection = harness.postgres.connect(harness.sourceDb);
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        ids.add(rows.getLong(1));
      }
    }
    return ids;
  }

  private CrashingRetentionActivities worker(String rows) throws Exception {
    services = harness.services(harness.load(harness.config("", rows)));
    environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    Worker worker = environment.newWorker("vigil");
    worker.registerWorkflowImplementationTypes(RetentionWorkflowImpl.class);
    CrashingRetentionActivities crashing =
        new CrashingRetentionActivities(
            new RetentionActivitiesImpl(
                services, new RetentionMetrics(registry), ColdRestorer.STORE),
            List::of);
    worker.registerActivitiesImplementations(crashing);
    environment.start();
    SearchAttributeRegistration.register(
        environment.getWorkflowClient().getWorkflowServiceStubs(), environment.getNamespace());
    return crashing;
  }

  private long runs;

  private SourceRetentionResult run() {
    RetentionClient client = new RetentionClient(environment.getWorkflowClient(), "vigil");
    RetentionResult result =
        client.await(
            client.start(false, List.of(), System.currentTimeMillis() + 1000 * runs++, "test"));
    assertThat(result.sources()).hasSize(1);
    return result.sources().get(0);
  }
}
