package dev.vigil.infra.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.infra.cli.VigilMain;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.api.ApiServer;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/**
 * The HTTP API against the embedded stack (Temporal test server and a worker, S3Mock, PostgreSQL
 * with the catalog): auth, errors, and a real backup started, followed and listed through it.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiIT implements TestPropertyProvider {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String AT = "2026-11-20T02:00:00Z";

  private EmbeddedStack stack;
  private String operatorToken;
  private String viewerToken;

  @Inject
  @Client("/")
  HttpClient client;

  @Override
  public Map<String, String> getProperties() {
    try {
      Path work = Files.createTempDirectory("vigil-api-it");
      stack = EmbeddedStack.start(work, System.err);
      operatorToken =
          Files.readString(work.resolve("secrets").resolve(EmbeddedStack.OPERATOR_TOKEN_FILE));
      viewerToken =
          Files.readString(work.resolve("secrets").resolve(EmbeddedStack.VIEWER_TOKEN_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> properties = new LinkedHashMap<>();
    ApiServer.withDefaults(ApiSettings.from(stack.config()))
        .forEach(
            (key, value) ->
                properties.put(
                    key,
                    value instanceof List<?> list
                        ? String.join(",", list.stream().map(String::valueOf).toList())
                        : String.valueOf(value)));
    properties.put("micronaut.server.port", "-1");
    properties.put("vigil.api.gauges-refresh", "1s");
    return properties;
  }

  @AfterAll
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void openApiHealthAndMetricsNeedNoToken() {
    Answer openApi = call(HttpRequest.GET("/openapi/vigil.yml"));
    assertThat(openApi.status()).isEqualTo(200);
    assertThat(openApi.body())
        .contains("/api/v1/backups:", "/api/v1/runs/{workflowId}:", "/api/v1/reports/daily:")
        .contains("/api/v1/drills/latest:", "/api/v1/restores:", "bearer")
        .contains("/api/v1/schedules:", "/api/v1/schedules/{name}/trigger:")
        .contains("/api/v1/runs/{workflowId}/cancel:");

    Answer health = call(HttpRequest.GET("/health"));
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().get("status").asText()).isEqualTo("UP");

    Answer metrics = call(HttpRequest.GET("/metrics"));
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }

  @Test
  @Order(2)
  void withoutATokenTheApiAnswers401WithABearerChallengeAndAJsonBody() {
    Answer answer = call(HttpRequest.GET("/api/v1/backups"));

    assertThat(answer.status()).isEqualTo(401);
    assertThat(answer.header(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
    assertThat(answer.json().get("code").asText()).isEqualTo("UNAUTHENTICATED");
    assertThat(answer.json().get("message").asText()).contains("Authorization: Bearer");
  }

  @Test
  @Order(3)
  void aWrongTokenIs401AndNotEchoed() {
    String wrong = "not-a-configured-token-0123456789";
    Answer answer = call(HttpRequest.GET("/api/v1/backups").bearerAuth(wrong));

    assertThat(answer.status()).isEqualTo(401);
    assertThat(answer.header(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
    assertThat(answer.json().get("code").asText()).isEqualTo("UNAUTHENTICATED");
    assertThat(answer.body()).doesNotContain(wrong);
  }

  @Test
  @Order(4)
  void aViewerMayReadButNotStartRuns() {
    assertThat(call(viewer(HttpRequest.GET("/api/v1/backups"))).status()).isEqualTo(200);

    Answer answer = call(viewer(HttpRequest.POST("/api/v1/backups", "{}")));

    assertThat(answer.status()).isEqualTo(403);
    assertThat(answer.json().get("code").asText()).isEqualTo("FORBIDDEN");
    assertThat(answer.json().get("message").asText())
        .isEqualTo("token viewer has role viewer; POST /api/v1/backups needs an operator token");
  }

  @Test
  @Order(5)
  void badInputIs400NamingTheField() {
    Answer badTime = call(operator(HttpRequest.POST("/api/v1/backups", "{\"at\": \"yesterday\"}")));
    assertThat(badTime.status()).isEqualTo(400);
    assertThat(badTime.json().get("code").asText()).isEqualTo("INVALID_REQUEST");
    assertThat(badTime.json().get("message").asText())
        .isEqualTo("at: expected an ISO-8601 time such as 2026-11-20T02:00:00Z, got \"yesterday\"");

    Answer badTarget =
        call(
            operator(
                HttpRequest.POST(
                    "/api/v1/restores",
                    "{\"source\": \"appdb\", \"target\": {\"type\": \"tape\"}}")));
    assertThat(badTarget.status()).isEqualTo(400);
    assertThat(badTarget.json().get("message").asText())
        .isEqualTo("target.type: expected database, fresh-cluster or directory, got \"tape\"");

    Answer unknownSource =
        call(operator(HttpRequest.POST("/api/v1/backups", "{\"sources\": [\"nope\"]}")));
    assertThat(unknownSource.status()).isEqualTo(400);
    assertThat(unknownSource.json().get("message").asText())
        .isEqualTo(
            "sources[0]: no source \"nope\" in vigil.yaml; known: [appdb, models, datasets,"
                + " config]");

    Answer badJson = call(operator(HttpRequest.POST("/api/v1/backups", "{\"sources\": [")));
    assertThat(badJson.status()).isEqualTo(400);
    assertThat(badJson.json().get("code").asText()).isEqualTo("INVALID_REQUEST");

    Answer badDate = call(viewer(HttpRequest.GET("/api/v1/reports/daily?date=2026-13-01")));
    assertThat(badDate.status()).isEqualTo(400);
    assertThat(badDate.json().get("message").asText()).startsWith("date: expected a date");

    Answer badLimit = call(viewer(HttpRequest.GET("/api/v1/backups?limit=0")));
    assertThat(badLimit.status()).isEqualTo(400);
    assertThat(badLimit.json().get("message").asText())
        .isEqualTo("limit: expected 1 to 1000, got 0");
  }

  @Test
  @Order(6)
  void unknownThingsAre404WithAJsonBodyNamingThem() {
    Answer backup = call(viewer(HttpRequest.GET("/api/v1/backups/no-such-backup")));
    assertThat(backup.status()).isEqualTo(404);
    assertThat(backup.json().get("code").asText()).isEqualTo("NOT_FOUND");
    assertThat(backup.json().get("message").asText()).contains("\"no-such-backup\"");

    Answer run = call(viewer(HttpRequest.GET("/api/v1/runs/backup-nothing-20000101T000000Z")));
    assertThat(run.status()).isEqualTo(404);
    assertThat(run.json().get("message").asText()).contains("backup-nothing-20000101T000000Z");

    Answer route = call(viewer(HttpRequest.GET("/api/v1/nothing-here")));
    assertThat(route.status()).isEqualTo(404);
    assertThat(route.json().get("code").asText()).isEqualTo("NOT_FOUND");
    assertThat(route.json().get("message").asText())
        .isEqualTo(
            "no endpoint GET /api/v1/nothing-here; the API's paths are in /openapi/vigil.yml");

    Answer method = call(operator(HttpRequest.DELETE("/api/v1/backups")));
    assertThat(method.status()).isEqualTo(405);
    assertThat(method.json().get("code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
  }

  @Test
  @Order(7)
  void anOperatorStartsABackupFollowsItAndFindsItInTheCatalog() throws Exception {
    String body = "{\"plan\": \"api-test\", \"sources\": [\"config\"], \"at\": \"" + AT + "\"}";
    Answer started = call(operator(HttpRequest.POST("/api/v1/backups", body)));

    assertThat(started.status()).isEqualTo(202);
    String runId = started.json().get("runId").asText();
    assertThat(runId).startsWith("backup-").contains("api-test");
    assertThat(started.json().get("statusUrl").asText()).isEqualTo("/api/v1/runs/" + runId);
    assertThat(started.header(HttpHeaders.LOCATION)).isEqualTo("/api/v1/runs/" + runId);

    JsonNode status = awaitClosed(runId, Duration.ofMinutes(3));
    assertThat(status.get("state").asText()).isEqualTo("COMPLETED");
    assertThat(status.get("workflowType").asText()).isEqualTo("BackupPlanWorkflow");

    Answer listed = call(viewer(HttpRequest.GET("/api/v1/backups?source=config&status=archived")));
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.json()).hasSize(1);
    JsonNode backup = listed.json().get(0);
    assertThat(backup.get("source").asText()).isEqualTo("config");
    assertThat(backup.get("status").asText()).isEqualTo("ARCHIVED");
    assertThat(backup.get("triggeredBy").asText()).isEqualTo("api:operator");
    assertThat(backup.get("storedBytes").asLong()).isPositive();
    assertThat(Instant.parse(backup.get("finishedAt").asText())).isBefore(Instant.now());

    Answer one =
        call(viewer(HttpRequest.GET("/api/v1/backups/" + backup.get("backupId").asText())));
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().get("sha256").asText()).matches("[0-9a-f]{64}");

    Answer sets = call(viewer(HttpRequest.GET("/api/v1/backup-sets?plan=api-test")));
    assertThat(sets.json()).hasSize(1);
    assertThat(sets.json().get(0).get("triggeredBy").asText()).isEqualTo("api:operator");

    Answer duplicate = call(operator(HttpRequest.POST("/api/v1/backups", body)));
    assertThat(duplicate.status()).isEqualTo(409);
    assertThat(duplicate.json().get("code").asText()).isEqualTo("DUPLICATE_RUN");
    assertThat(duplicate.json().get("details").get("runId").asText()).isEqualTo(runId);

    String metrics = awaitMetric("backup_last_success_timestamp{", "source=\"config\"");
    assertThat(metrics).contains("backup_size_bytes{kind=\"config\",source=\"config\"}");

    Answer report = call(viewer(HttpRequest.GET("/api/v1/reports/daily")));
    assertThat(report.status()).isEqualTo(200);
    assertThat(report.json().get("sources").findValuesAsText("source")).contains("config");

    Answer markdown =
        call(viewer(HttpRequest.GET("/api/v1/reports/daily").accept("text/markdown")));
    assertThat(markdown.status()).isEqualTo(200);
    assertThat(markdown.header(HttpHeaders.CONTENT_TYPE)).startsWith("text/markdown");
    assertThat(markdown.body()).contains("| config");
  }

  @Test
  @Order(10)
  void anOperatorCannotPointAForcedRestoreOutsideTheWorkersRestoreRoots() throws Exception {
    Path outside = Files.createTempDirectory("vigil-api-forbidden");
    Path sentinel = Files.writeString(outside.resolve("sentinel.txt"), "must survive");
    String body =
        "{\"source\": \"config\", \"force\": true, \"target\": {\"type\": \"directory\","
            + " \"directory\": \""
            + outside
            + "\"}}";

    Answer restore = call(operator(HttpRequest.POST("/api/v1/restores", body)));
    assertThat(restore.status()).isEqualTo(202);
    JsonNode failed = awaitClosed(restore.json().get("runId").asText(), Duration.ofMinutes(3));

    assertThat(failed.get("state").asText()).isEqualTo("FAILED");
    assertThat(failed.get("failure").asText())
        .startsWith("RESTORE_TARGET_FORBIDDEN: ")
        .contains("failed at check-target: restore target " + outside + " is outside")
        .contains(stack.workDir().resolve(EmbeddedStack.RESTORES).toString())
        .contains("worker.restore-roots");
    assertThat(sentinel).hasContent("must survive");
    try (var left = Files.list(outside)) {
      assertThat(left).containsExactly(sentinel);
    }
  }

  @Test
  @Order(8)
  void anOperatorRestoresTheBackupIntoADirectoryAndStartsADrill() throws Exception {
    Path target = stack.workDir().resolve(EmbeddedStack.RESTORES).resolve("config");
    String body =
        "{\"source\": \"config\", \"target\": {\"type\": \"directory\", \"directory\": \""
            + target
            + "\"}}";
    Answer restore = call(operator(HttpRequest.POST("/api/v1/restores", body)));
    assertThat(restore.status()).isEqualTo(202);
    String restoreId = restore.json().get("runId").asText();
    assertThat(restoreId).startsWith("restore-config-");

    JsonNode restored = awaitClosed(restoreId, Duration.ofMinutes(3));
    assertThat(restored.get("state").asText()).isEqualTo("COMPLETED");
    try (var files = Files.walk(target)) {
      assertThat(files.filter(Files::isRegularFile).count()).isPositive();
    }

    Answer drill = call(operator(HttpRequest.POST("/api/v1/drills", "{}")));
    assertThat(drill.status()).isEqualTo(202);
    String drillId = drill.json().get("runId").asText();
    assertThat(drillId).startsWith("drill-quarterly-");
    assertThat(awaitClosed(drillId, Duration.ofMinutes(3)).get("state").asText())
        .isIn("COMPLETED", "FAILED");

    Answer latest = call(viewer(HttpRequest.GET("/api/v1/drills/latest?plan=quarterly")));
    assertThat(latest.status()).isEqualTo(200);
    assertThat(latest.json().get("drillId").asText()).isEqualTo(drillId);
    assertThat(latest.json().get("triggeredBy").asText()).isEqualTo("api:operator");
  }

  @Test
  @Order(9)
  void schedulesAppliedByTheCliAreListedPausedUnpausedAndTriggeredThroughTheApi() throws Exception {
    StringWriter out = new StringWriter();
    CommandLine cli = VigilMain.commandLine().setOut(new PrintWriter(out));
    assertThat(
            cli.execute(
                "schedules", "apply", "--config", stack.workDir().resolve("vigil.yaml").toString()))
        .as(out.toString())
        .isZero();

    Answer list = call(viewer(HttpRequest.GET("/api/v1/schedules")));
    assertThat(list.status()).isEqualTo(200);
    JsonNode nightly = schedule(list.json(), "nightly-backup");
    assertThat(nightly.get("kind").asText()).isEqualTo("backup");
    assertThat(nightly.get("cron").asText()).isEqualTo("0 2 * * *");
    assertThat(nightly.get("mode").asText()).isEqualTo("CRON");
    assertThat(nightly.get("state").asText()).isEqualTo("ACTIVE");

    assertThat(
            call(viewer(HttpRequest.POST("/api/v1/schedules/nightly-backup/pause", "{}"))).status())
        .isEqualTo(403);
    Answer unknown = call(operator(HttpRequest.POST("/api/v1/schedules/hourly/pause", "{}")));
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("message").asText())
        .startsWith("no schedule \"hourly\" has been applied; known: [")
        .contains("nightly-backup");

    Answer paused =
        call(
            operator(
                HttpRequest.POST(
                    "/api/v1/schedules/nightly-backup/pause", "{\"reason\": \"maintenance\"}")));
    assertThat(paused.status()).isEqualTo(200);
    assertThat(paused.json().get("message").asText())
        .contains("paused by api:operator: maintenance");
    JsonNode afterPause =
        schedule(call(viewer(HttpRequest.GET("/api/v1/schedules"))).json(), "nightly-backup");
    assertThat(afterPause.get("state").asText()).isEqualTo("PAUSED");

    assertThat(
            call(operator(HttpRequest.POST("/api/v1/schedules/nightly-backup/unpause", "{}")))
                .status())
        .isEqualTo(200);
    assertThat(
            schedule(call(viewer(HttpRequest.GET("/api/v1/schedules"))).json(), "nightly-backup")
                .get("state")
                .asText())
        .isEqualTo("ACTIVE");

    Answer triggered =
        call(operator(HttpRequest.POST("/api/v1/schedules/nightly-backup/trigger", "{}")));
    assertThat(triggered.status()).isEqualTo(200);
    String runId = triggered.json().get("runId").asText();
    assertThat(runId).startsWith("backup-set-nightly-");
    JsonNode done = awaitClosed(runId, Duration.ofMinutes(3));
    assertThat(done.get("state").asText()).isEqualTo("COMPLETED");
  }

  @Test
  @Order(10)
  void anOperatorCancelsARunAViewerMayNotAndAnEndedRunIsAConflict() throws Exception {
    String body = "{\"plan\": \"api-cancel\", \"sources\": [\"appdb\"]}";
    Answer started = call(operator(HttpRequest.POST("/api/v1/backups", body)));
    assertThat(started.status()).isEqualTo(202);
    String runId = started.json().get("runId").asText();
    String cancelUrl = "/api/v1/runs/" + runId + "/cancel";

    assertThat(call(HttpRequest.POST(cancelUrl, "{}")).status()).isEqualTo(401);
    Answer byViewer = call(viewer(HttpRequest.POST(cancelUrl, "{}")));
    assertThat(byViewer.status()).isEqualTo(403);
    assertThat(byViewer.json().get("message").asText())
        .isEqualTo("token viewer has role viewer; POST " + cancelUrl + " needs an operator token");
    Answer unknown =
        call(operator(HttpRequest.POST("/api/v1/runs/backup-set-nope-1/cancel", "{}")));
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("code").asText()).isEqualTo("NOT_FOUND");

    // Cancel while the dump runs (and heartbeats): the Java test server cannot cancel a step that
    // completes in the same instant (see the README's known limitations).
    awaitActivity(runId, "Dump", Duration.ofMinutes(1));
    Answer cancelled =
        call(operator(HttpRequest.POST(cancelUrl, "{\"reason\": \"api test says stop\"}")));

    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(202);
    assertThat(cancelled.json().get("runId").asText()).isEqualTo(runId);
    assertThat(cancelled.json().get("statusUrl").asText()).isEqualTo("/api/v1/runs/" + runId);
    assertThat(cancelled.header(HttpHeaders.LOCATION)).isEqualTo("/api/v1/runs/" + runId);
    assertThat(awaitClosed(runId, Duration.ofMinutes(2)).get("state").asText())
        .isEqualTo("CANCELED");
    Answer again = call(operator(HttpRequest.POST(cancelUrl, "")));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("code").asText()).isEqualTo("RUN_CLOSED");
    assertThat(again.json().get("details").get("state").asText()).isEqualTo("CANCELED");
  }

  private static JsonNode schedule(JsonNode list, String name) {
    for (JsonNode entry : list) {
      if (name.equals(entry.get("name").asText())) {
        return entry;
      }
    }
    throw new AssertionError("no schedule " + name + " in " + list);
  }

  private JsonNode awaitClosed(String runId, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    JsonNode status;
    do {
      Answer answer = call(viewer(HttpRequest.GET("/api/v1/runs/" + runId)));
      assertThat(answer.status()).isEqualTo(200);
      status = answer.json();
      if (!"RUNNING".equals(status.get("state").asText())) {
        return status;
      }
      Thread.sleep(500);
    } while (Instant.now().isBefore(deadline));
    throw new AssertionError("run " + runId + " still running: " + status);
  }

  /** Waits until a child of {@code runId} runs an activity of {@code activityType}. */
  private void awaitActivity(String runId, String activityType, Duration timeout)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    JsonNode status;
    do {
      status = call(viewer(HttpRequest.GET("/api/v1/runs/" + runId))).json();
      for (JsonNode child : status.path("children")) {
        for (JsonNode activity : child.path("activities")) {
          if (activityType.equals(activity.path("activityType").asText())
              && "STARTED".equals(activity.path("state").asText())) {
            return;
          }
        }
      }
      Thread.sleep(100);
    } while (Instant.now().isBefore(deadline));
    throw new AssertionError("run " + runId + " never ran " + activityType + ": " + status);
  }

  private String awaitMetric(String name, String label) throws InterruptedException {
    String scrape = "";
    for (int i = 0; i < 20; i++) {
      scrape = call(HttpRequest.GET("/metrics")).body();
      if (scrape.lines().anyMatch(line -> line.startsWith(name) && line.contains(label))) {
        return scrape;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no " + name + label + " in the scrape:\n" + scrape);
  }

  private <T> MutableHttpRequest<T> operator(MutableHttpRequest<T> request) {
    return request.bearerAuth(operatorToken.strip()).contentType(MediaType.APPLICATION_JSON_TYPE);
  }

  private <T> MutableHttpRequest<T> viewer(MutableHttpRequest<T> request) {
    return request.bearerAuth(viewerToken.strip()).contentType(MediaType.APPLICATION_JSON_TYPE);
  }

  private Answer call(HttpRequest<?> request) {
    try {
      HttpResponse<String> response = client.toBlocking().exchange(request, String.class);
      return new Answer(response.code(), response.getBody().orElse(""), response);
    } catch (HttpClientResponseException e) {
      return new Answer(
          e.code(), e.getResponse().getBody(String.class).orElse(""), e.getResponse());
    }
  }

  private record Answer(int status, String body, HttpResponse<?> response) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String header(String name) {
      return response.getHeaders().get(name);
    }
  }
}
