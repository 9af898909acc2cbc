package dev.vigil.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.backup.BackupMetrics;
import dev.vigil.activities.retention.RetentionMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WorkerEndpointTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private final Readiness readiness = new Readiness();
  private WorkerTelemetry telemetry;
  private WorkerEndpoint endpoint;

  @BeforeEach
  void start() {
    telemetry = WorkerTelemetry.start();
    endpoint = WorkerEndpoint.start("127.0.0.1", 0, telemetry::scrape, readiness);
  }

  @AfterEach
  void stop() {
    endpoint.close();
    telemetry.close();
  }

  @Test
  void readyAnswers503WithTheReasonUntilTheWorkerPolls() throws Exception {
    readiness.notReady("waiting for the catalog (schema migration)");

    HttpResponse<String> starting = send("GET", "/health/ready");
    readiness.ready();
    HttpResponse<String> ready = send("GET", "/health/ready");

    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.body())
        .isEqualTo(
            "{\"status\":\"not ready\",\"reason\":\"waiting for the catalog (schema migration)\"}");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(send("GET", "/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void liveAnswersWhileTheWorkerIsNotReady() throws Exception {
    readiness.notReady("stopping");

    assertThat(send("GET", "/health/live").statusCode()).isEqualTo(200);
    assertThat(send("GET", "/health/ready").statusCode()).isEqualTo(503);
  }

  @Test
  void metricsShowCountersOfMicrometersGlobalRegistry() throws Exception {
    new RetentionMetrics().archived("models", "model", 4096);
    new BackupMetrics().failed("appdb", "database", "dump");

    HttpResponse<String> metrics = send("GET", "/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("models_archived_total{kind=\"model\",source=\"models\"} 1.0")
        .contains("backup_failures_total{kind=\"database\",source=\"appdb\",step=\"dump\"} 1.0");
  }

  @Test
  void otherMethodsAndPathsAreRefused() throws Exception {
    assertThat(send("POST", "/metrics").statusCode()).isEqualTo(405);
    assertThat(send("GET", "/metrics/extra").statusCode()).isEqualTo(404);
    assertThat(send("HEAD", "/health/live").statusCode()).isEqualTo(200);
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
            .timeout(Duration.ofSeconds(5))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
