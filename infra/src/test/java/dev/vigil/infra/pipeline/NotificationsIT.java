package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.ReportClient;
import dev.vigil.starter.schedule.JdbcScheduleStore;
import dev.vigil.starter.schedule.ScheduleDefinition;
import dev.vigil.starter.schedule.ScheduleKind;
import dev.vigil.starter.schedule.Scheduler;
import dev.vigil.starter.schedule.TriggerOutcome;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.notify.NotifyResult;
import dev.vigil.workflows.notify.NotifyWorkflow;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowStub;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vigil's notifier end to end: a real worker backs up to S3Mock and posts run outcomes to HTTP
 * receivers on loopback; the tests read what the receivers got.
 */
class NotificationsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A token in the channel URL, as Slack's carry: it must never reach history or logs. */
  private static final String TOKEN = "T0KEN-s3cr3t-4711";

  @TempDir Path dir;

  private PipelineHarness harness;
  private final List<HttpServer> receivers = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeEach
  void setUp() throws IOException {
    harness = new PipelineHarness(dir);
    Metrics.globalRegistry.add(meters);
  }

  @AfterEach
  void tearDown() {
    harness.close();
    receivers.forEach(server -> server.stop(0));
    Metrics.globalRegistry.remove(meters);
  }

  @Test
  void webhookGetsTheDocumentedBodyOfEachBackupAndSlackOnlyTheFailure() throws Exception {
    Receiver webhook = receiver(0);
    Receiver slack = receiver(0);
    int closedPort = FreePorts.find();
    String yaml =
        harness.config(
                harness.bucket,
                closedPort,
                harness.postgres.passwordFile().toString(),
                "models",
                harness.spool)
            + channels(
                """
                  ops:
                    type: webhook
                    url-file: %s
                  team:
                    type: slack
                    url-file: %s
                    on: [failure]
                """
                    .formatted(urlFile("ops", webhook), urlFile("team", slack)));

    BackupClient client = harness.startWorker(harness.load(yaml));
    String planId =
        client.start("nightly", List.of("appdb", "models"), System.currentTimeMillis(), "test");
    PlanResult result = client.await(planId);
    assertThat(result.status()).isEqualTo("PARTIAL");

    List<JsonNode> bodies = webhook.await(2);
    JsonNode models = bySource(bodies, "models");
    BackupRecord archived =
        harness.catalog().stream().filter(b -> b.source().equals("models")).findFirst().get();
    assertThat(models.get("schema").asInt()).isEqualTo(1);
    assertThat(models.get("event").asText()).isEqualTo("backup");
    assertThat(models.get("outcome").asText()).isEqualTo("success");
    assertThat(models.get("status").asText()).isEqualTo("ARCHIVED");
    assertThat(models.get("id").asText()).isEqualTo(archived.backupId());
    assertThat(models.get("workflowId").asText()).isEqualTo(planId);
    assertThat(models.get("plan").asText()).isEqualTo("nightly");
    assertThat(models.get("error").isNull()).isTrue();
    assertThat(models.at("/sizes/storedBytes").asLong())
        .isEqualTo(archived.storedBytes())
        .isPositive();
    assertThat(models.at("/sizes/rawBytes").asLong()).isGreaterThanOrEqualTo(800_000);
    assertThat(models.get("durationSeconds").asDouble()).isPositive();
    Instant started = Instant.parse(models.get("startedAt").asText());
    assertThat(Instant.parse(models.get("finishedAt").asText())).isAfter(started);
    assertThat(models.get("text").asText()).startsWith("Vigil backup " + archived.backupId());

    JsonNode appdb = bySource(bodies, "appdb");
    assertThat(appdb.get("outcome").asText()).isEqualTo("failure");
    assertThat(appdb.get("status").asText()).isEqualTo("FAILED");
    assertThat(appdb.at("/error/code").asText()).isEqualTo("SOURCE_UNREACHABLE");
    assertThat(appdb.at("/error/message").asText())
        .contains("127.0.0.1:" + closedPort)
        .doesNotContain("\n");

    // The Slack channel filters on failures: it gets appdb's, in Slack's text + blocks form.
    JsonNode slackBody = slack.await(1).get(0);
    assertThat(slackBody.get("text").asText())
        .contains("FAILED")
        .contains("appdb")
        .contains("SOURCE_UNREACHABLE");
    assertThat(slackBody.at("/blocks/0/type").asText()).isEqualTo("section");
    assertThat(slackBody.at("/blocks/0/text/type").asText()).isEqualTo("mrkdwn");
    Thread.sleep(1_000);
    assertThat(slack.bodies).hasSize(1);
    assertThat(webhook.paths).containsOnly("/hooks/" + TOKEN);

    // The URLs are references: no token in the history of the run or of its notifier.
    assertThat(harness.history(planId)).doesNotContain(TOKEN);
    assertThat(harness.history(NotifyWorkflow.workflowId(planId))).doesNotContain(TOKEN);
  }

  @Test
  void aReceiverThatFailsTwiceGetsTheNotificationOnTheThirdAttempt() throws Exception {
    Receiver webhook = receiver(2);
    String yaml = harness.config() + webhook(urlFile("ops", webhook));

    BackupClient client = harness.startWorker(harness.load(yaml));
    String planId = client.start("nightly", List.of("models"), System.currentTimeMillis(), "test");
    assertThat(client.await(planId).status()).isEqualTo("COMPLETE");

    JsonNode body = webhook.await(1).get(0);
    assertThat(body.get("source").asText()).isEqualTo("models");
    assertThat(webhook.requests.get()).isEqualTo(3);
    String notifier = NotifyWorkflow.workflowId(planId);
    harness
        .workflowClient()
        .newUntypedWorkflowStub(notifier)
        .getResult(30, java.util.concurrent.TimeUnit.SECONDS, Object.class);
    assertThat(harness.attempts(notifier, "DeliverNotification")).isEqualTo(3);
    assertThat(counter("notification.failures")).isEqualTo(2);
    assertThat(counter("notifications.sent")).isEqualTo(1);
  }

  @Test
  void aReceiverDownForGoodNeitherDelaysNorChangesTheBackupAndTheFailureIsCounted()
      throws Exception {
    int closedPort = FreePorts.find();
    Path url = dir.resolve("down.url");
    Files.writeString(url, "http://127.0.0.1:" + closedPort + "/hooks/" + TOKEN + "\n");
    String yaml = harness.config() + webhook(url);

    BackupClient client = harness.startWorker(harness.load(yaml));
    String planId = client.start("nightly", List.of("models"), System.currentTimeMillis(), "test");
    PlanResult result = client.await(planId);

    assertThat(result.status()).isEqualTo("COMPLETE");
    assertThat(harness.catalog())
        .singleElement()
        .extracting(BackupRecord::status)
        .isEqualTo("ARCHIVED");
    // The plan has ended while its notifier still retries, on its own.
    WorkflowStub notifier =
        harness.workflowClient().newUntypedWorkflowStub(NotifyWorkflow.workflowId(planId));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (counter("notification.failures") < 2 && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(counter("notification.failures")).isGreaterThanOrEqualTo(2);
    assertThat(
            harness
                .workflowClient()
                .getWorkflowServiceStubs()
                .blockingStub()
                .describeWorkflowExecution(
                    io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder()
                        .setNamespace(harness.workflowClient().getOptions().getNamespace())
                        .setExecution(notifier.getExecution())
                        .build())
                .getWorkflowExecutionInfo()
                .getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(harness.history(planId)).doesNotContain(TOKEN);
  }

  @Test
  void aTriggeredReportScheduleDeliversTheDailyReportOfTheDayBefore() throws Exception {
    Receiver webhook = receiver(0);
    Receiver slack = receiver(0);
    String yaml =
        harness.config()
            + channels(
                """
                  reports:
                    type: webhook
                    url-file: %s
                    events: [report]
                  team:
                    type: slack
                    url-file: %s
                    events: [report]
                  failures:
                    type: webhook
                    url-file: %s
                    on: [failure]
                """
                    .formatted(
                        urlFile("reports", webhook),
                        urlFile("team", slack),
                        urlFile("failures", receiver(0))))
            + "schedules:\n  daily-report: {kind: report, cron: \"0 6 * * *\"}\n";
    VigilConfig config = harness.load(yaml);
    assertThat(config.schedules().get("daily-report").kind()).isEqualTo("report");
    harness.startWorker(config);
    Scheduler scheduler =
        new Scheduler(
            harness.workflowClient(),
            config.temporal().taskQueue(),
            new JdbcScheduleStore(harness.services().catalogDataSource()));
    scheduler.apply(
        List.of(
            new ScheduleDefinition(
                "daily-report",
                ScheduleKind.REPORT,
                "0 6 * * *",
                null,
                List.of(),
                Duration.ofHours(1),
                false)),
        "test");

    TriggerOutcome triggered = scheduler.trigger("daily-report", "test");
    NotifyResult result =
        new ReportClient(harness.workflowClient(), config.temporal().taskQueue())
            .await(triggered.workflowId());

    assertThat(triggered.workflowId()).startsWith("daily-report-");
    assertThat(result).isEqualTo(new NotifyResult(2, List.of()));
    String day = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();
    JsonNode body = webhook.await(1).get(0);
    assertThat(body.get("event").asText()).isEqualTo("report");
    assertThat(body.get("date").asText()).isEqualTo(day);
    assertThat(body.get("id").asText()).isEqualTo(day);
    assertThat(body.get("workflowId").asText()).isEqualTo(triggered.workflowId());
    assertThat(body.get("outcome").asText()).isEqualTo("success");
    assertThat(body.get("status").asText()).isEqualTo("OK");
    assertThat(body.get("error").isNull()).isTrue();
    assertThat(body.get("text").asText())
        .isEqualTo("Vigil report " + day + " OK: " + body.get("summary").asText())
        .contains(" backups of the day (");
    assertThat(body.get("report").asText())
        .startsWith("# Vigil daily report: " + day + " (UTC)")
        .contains("## Sources", "## Storage", "## Validation", "## Errors", "## Warnings");
    JsonNode slackBody = slack.await(1).get(0);
    assertThat(slackBody.get("text").asText()).startsWith("Vigil report " + day + " OK");
    assertThat(slackBody.at("/blocks/1/text/text").asText()).contains("# Vigil daily report");
  }

  private double counter(String name) {
    return meters.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** One webhook channel "ops" for every event, its URL in {@code urlFile}. */
  private static String webhook(Path urlFile) {
    return channels("  ops:\n    type: webhook\n    url-file: " + urlFile + "\n");
  }

  private static String channels(String body) {
    return "notifications:\n" + body;
  }

  private Path urlFile(String name, Receiver receiver) throws IOException {
    Path file = dir.resolve(name + ".url");
    Files.writeString(
        file, "http://127.0.0.1:" + receiver.server.getAddress().getPort() + "/hooks/" + TOKEN);
    return file;
  }

  private static JsonNode bySource(List<JsonNode> bodies, String source) {
    return bodies.stream()
        .filter(body -> source.equals(body.path("source").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no notification for " + source + ": " + bodies));
  }

  /** An HTTP receiver on loopback that answers 503 to its first {@code failures} requests. */
  private Receiver receiver(int failures) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Receiver receiver = new Receiver(server);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int request = receiver.requests.incrementAndGet();
          int status = request <= failures ? 503 : 200;
          if (status == 200) {
            receiver.paths.add(exchange.getRequestURI().getPath());
            receiver.bodies.add(JSON.readTree(new String(body, StandardCharsets.UTF_8)));
            assertThat(exchange.getRequestHeaders().getFirst("Content-Type"))
                .startsWith("application/json");
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    receivers.add(server);
    return receiver;
  }

  private static final class Receiver {
    final HttpServer server;
    final AtomicInteger requests = new AtomicInteger();
    final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    final List<String> paths = new CopyOnWriteArrayList<>();

    Receiver(HttpServer server) {
      this.server = server;
    }

    List<JsonNode> await(int count) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (bodies.size() < count && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(bodies).as("notifications received").hasSizeGreaterThanOrEqualTo(count);
      return List.copyOf(bodies);
    }
  }
}
