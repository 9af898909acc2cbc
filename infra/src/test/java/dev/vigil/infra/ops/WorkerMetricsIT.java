package dev.vigil.infra.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupWorkflow;
import dev.vigil.workflows.common.SearchAttributes;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's endpoint after a real plan run on the embedded stack in which one source backs up
 * and one (a directory that does not exist) fails: the failure counter, the Temporal SDK's metrics
 * and the probes, and the search attributes and summaries the run left on Temporal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerMetricsIT {
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private EmbeddedStack stack;
  private PlanResult result;
  private String planId;
  private long requestedAt;

  @BeforeAll
  void backUpOneGoodAndOneMissingSource(@TempDir Path dir) throws Exception {
    Path good = Files.createDirectories(dir.resolve("good"));
    // The config is checked when the stack starts; the directory vanishes before the backup.
    Path vanishing = Files.createDirectories(dir.resolve("vanishing"));
    Files.writeString(good.resolve("weights.bin"), "model weights\n".repeat(1000));
    Path sources =
        Files.writeString(
            dir.resolve("sources.yaml"),
            """
            sources:
              good:
                type: directory
                kind: model
                path: good
              missing:
                type: directory
                kind: dataset
                path: vanishing
            """);
    stack =
        EmbeddedStack.start(
            dir.resolve("stack"), new PrintStream(PrintStream.nullOutputStream()), sources);
    Files.delete(vanishing);
    requestedAt = System.currentTimeMillis();
    planId = stack.backups().start("nightly", List.of(), requestedAt, "cli (tester)");
    result = stack.backups().await(planId);
  }

  @AfterAll
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void theRunIsPartialWithTheMissingSourceFailedAtDump() {
    assertThat(result.status()).isEqualTo("PARTIAL");
    assertThat(result.results())
        .filteredOn(source -> source.source().name().equals("missing"))
        .singleElement()
        .satisfies(missing -> assertThat(missing.failure()).contains("failed at dump"));
  }

  @Test
  void metricsCountTheFailedBackupOnceWithItsSourceKindAndStep() throws Exception {
    HttpResponse<String> metrics = get("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(metrics.body())
        .containsPattern(
            "(?m)^backup_failures_total\\{kind=\"dataset\",source=\"missing\",step=\"dump\"\\}"
                + " 1\\.0$")
        .doesNotContain("source=\"good\",step=");
  }

  @Test
  void metricsCarryTheTemporalSdkWorkerSeries() throws Exception {
    // The SDK's scope reports every second; the first scrape may come just before.
    String body = "";
    for (int attempt = 0;
        attempt < 20 && !body.contains("temporal_workflow_completed");
        attempt++) {
      body = get("/metrics").body();
      Thread.sleep(250);
    }

    assertThat(body)
        .containsPattern("(?m)^temporal_workflow_completed_total\\{.*\\} [1-9]")
        .containsPattern("(?m)^temporal_worker_task_slots_available\\{.*\\} ");
    // Seven latency buckets and +Inf, not Micrometer's default seventy per series.
    assertThat(
            Pattern.compile("(?m)^temporal_\\w+_bucket\\{.*le=\"([^\"]+)\"\\}")
                .matcher(body)
                .results()
                .map(match -> match.group(1))
                .distinct())
        .containsExactlyInAnyOrder("0.01", "0.1", "1.0", "10.0", "60.0", "600.0", "3600.0", "+Inf");
  }

  @Test
  void probesSayLiveAndReady() throws Exception {
    HttpResponse<String> live = get("/health/live");
    HttpResponse<String> ready = get("/health/ready");

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
  }

  @Test
  void runsCarryTheirSearchAttributesAndOutcome() {
    String timestamp = BackupIds.timestamp(requestedAt);
    var plan = describe(planId);
    var missing = describe(SourceBackupWorkflow.workflowId("missing", timestamp));
    var good = describe(SourceBackupWorkflow.workflowId("good", timestamp));

    assertThat(plan.getTypedSearchAttributes().get(SearchAttributes.KIND)).isEqualTo("backup-set");
    assertThat(plan.getTypedSearchAttributes().get(SearchAttributes.OUTCOME)).isEqualTo("failed");
    assertThat(plan.getTypedSearchAttributes().get(SearchAttributes.TRIGGERED_BY))
        .isEqualTo("cli (tester)");
    assertThat(plan.getStaticSummary())
        .isEqualTo("Backup of all sources (plan nightly) by cli (tester)");
    assertThat(missing.getTypedSearchAttributes().get(SearchAttributes.SOURCE))
        .isEqualTo("missing");
    assertThat(missing.getTypedSearchAttributes().get(SearchAttributes.KIND)).isEqualTo("backup");
    assertThat(missing.getTypedSearchAttributes().get(SearchAttributes.OUTCOME))
        .isEqualTo("failed");
    assertThat(good.getTypedSearchAttributes().get(SearchAttributes.SOURCE)).isEqualTo("good");
    assertThat(good.getTypedSearchAttributes().get(SearchAttributes.OUTCOME))
        .isEqualTo("succeeded");
    assertThat(good.getStaticSummary()).startsWith("Backup of good (directory, model) in set ");
  }

  private io.temporal.client.WorkflowExecutionDescription describe(String workflowId) {
    return stack.client().newUntypedWorkflowStub(workflowId).describe();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(stack.workerEndpoint() + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
