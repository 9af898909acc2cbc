package dev.vigil.starter.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API started by {@link ApiServer} with Temporal and the catalog pointing at closed ports: it
 * starts anyway, and answers 503 with what to check instead of a stack trace.
 */
class ApiServerIT {
  private static final String TOKEN = "operator-token-0123456789abcdef";

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void withoutTokensTheApiRefusesToStartWithOneLine() throws IOException {
    Map<String, Object> properties = base(closedPort());

    assertThatThrownBy(() -> ApiServer.start(properties))
        .isInstanceOf(ApiConfigurationException.class)
        .hasMessageStartingWith("api.tokens: no tokens configured;")
        .hasNoCause();
  }

  @Test
  void unreachableCatalogAndTemporalAre503WithWhatToCheck() throws Exception {
    int closed = closedPort();
    Path token = Files.writeString(dir.resolve("operator.token"), TOKEN + "\n");
    Map<String, Object> properties = base(closed);
    properties.put("vigil.api.tokens.ops.role", "operator");
    properties.put("vigil.api.tokens.ops.token-file", token.toString());

    try (ApiServer api = ApiServer.start(properties)) {
      HttpResponse<String> health = send(api, "GET", "/health", null, null);
      assertThat(health.statusCode()).isEqualTo(200);

      HttpResponse<String> catalog = send(api, "GET", "/api/v1/backups", TOKEN, null);
      assertThat(catalog.statusCode()).isEqualTo(503);
      assertThat(catalog.body())
          .startsWith("{\"code\":\"CATALOG_UNAVAILABLE\",\"message\":\"the catalog database")
          .contains("check catalog.jdbc-url")
          .doesNotContain("jdbc:postgresql", "Exception");

      HttpResponse<String> temporal =
          send(api, "POST", "/api/v1/backups", TOKEN, "{\"sources\": [\"appdb\"]}");
      assertThat(temporal.statusCode()).isEqualTo(503);
      assertThat(temporal.body())
          .contains("\"code\":\"TEMPORAL_UNAVAILABLE\"")
          .contains("Temporal at 127.0.0.1:" + closed + " cannot be reached");

      HttpResponse<String> unsupported =
          send(api, "POST", "/api/v1/drills", TOKEN, "plan=x", "text/plain");
      assertThat(unsupported.statusCode()).isEqualTo(415);
      assertThat(unsupported.body()).contains("\"code\":\"UNSUPPORTED_MEDIA_TYPE\"");
    }
  }

  private HttpResponse<String> send(
      ApiServer api, String method, String path, String token, String body) throws Exception {
    return send(api, method, path, token, body, "application/json");
  }

  private HttpResponse<String> send(
      ApiServer api, String method, String path, String token, String body, String type)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", type);
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Map<String, Object> base(int closedPort) {
    Map<String, Object> properties = new HashMap<>();
    properties.put("micronaut.server.host", "127.0.0.1");
    properties.put("micronaut.server.port", -1);
    properties.put("vigil.temporal.target", "127.0.0.1:" + closedPort);
    properties.put("vigil.catalog.jdbc-url", "jdbc:postgresql://127.0.0.1:" + closedPort + "/x");
    properties.put("vigil.catalog.user", "vigil");
    properties.put("vigil.api.gauges-refresh", "1h");
    return properties;
  }

  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
