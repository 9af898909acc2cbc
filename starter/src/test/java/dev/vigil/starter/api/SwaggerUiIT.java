package dev.vigil.starter.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Swagger UI over real HTTP: reachable without a token like the OpenAPI document, reading the local
 * document, and every script, style and icon it loads served by the API itself (no CDN).
 */
class SwaggerUiIT {
  private static final String TOKEN = "viewer-token-0123456789abcdef";
  private static final Pattern LOADED = Pattern.compile("contextPath \\+ [\"']([^\"']+)[\"']");

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void swaggerUiIsServedFromTheJarAndReadsTheLocalDocument() throws Exception {
    Path token = Files.writeString(dir.resolve("viewer.token"), TOKEN + "\n");
    Map<String, Object> properties = ApiServerIT.base(ApiServerIT.closedPort());
    properties.put("vigil.api.tokens.grafana.role", "viewer");
    properties.put("vigil.api.tokens.grafana.token-file", token.toString());

    try (ApiServer api = ApiServer.start(properties)) {
      HttpResponse<String> redirect = get(api, "/openapi/ui");
      assertThat(redirect.statusCode()).isIn(301, 302, 303, 307, 308);
      assertThat(redirect.headers().firstValue("Location"))
          .hasValue("/openapi/views/swagger-ui/index.html");

      HttpResponse<String> page = get(api, "/openapi/views/swagger-ui/index.html");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
      // Nothing from another host: no absolute URL in a src, href or script the page loads.
      assertThat(page.body()).doesNotContainPattern("(src|href)\\s*=\\s*[\"']?(https?:)?//");
      assertThat(page.body()).doesNotContain("cdn", "unpkg", "jsdelivr");

      List<String> loaded = new ArrayList<>();
      Matcher matcher = LOADED.matcher(page.body());
      while (matcher.find()) {
        loaded.add(matcher.group(1));
      }
      assertThat(loaded)
          .contains(
              "/openapi/vigil.yml",
              "/openapi/views/swagger-ui/res/swagger-ui-bundle.js",
              "/openapi/views/swagger-ui/res/swagger-ui-standalone-preset.js",
              "/openapi/views/swagger-ui/res/swagger-ui.css")
          .allSatisfy(path -> assertThat(path).startsWith("/openapi/"));
      for (String path : loaded) {
        HttpResponse<String> resource = get(api, path);
        assertThat(resource.statusCode()).as(path).isEqualTo(200);
        assertThat(resource.body()).as(path).isNotBlank();
      }
      assertThat(get(api, "/openapi/vigil.yml").body()).startsWith("openapi: 3");
    }
  }

  private HttpResponse<String> get(ApiServer api, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
