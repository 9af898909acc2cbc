package dev.vigil.starter.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and careless bodies sent over HTTP to every POST endpoint of the real API server: each is
 * a 400 whose body is {@code {code, message}}, the message naming the field and what was expected
 * in a person's words, never a Java or framework type name. Temporal and the catalog point at a
 * closed port: a request that got past validation would answer 503, not 400.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiBadRequestsIT {
  private static final String TOKEN = "operator-token-0123456789abcdef";
  private static final String[] LEAKS = {
    "java.",
    "dev.vigil",
    "Optional",
    "Long",
    "Integer",
    "String",
    "Boolean",
    "List",
    "com.fasterxml",
    "io.micronaut",
    "class ",
    "$",
    "Exception",
    "RunRequests",
    "RestoreRun",
    "BackupRun",
    "DrillRun",
    "PauseRequest"
  };

  private final HttpClient http = HttpClient.newHttpClient();
  private ApiServer api;

  @BeforeAll
  void startApi(@TempDir Path dir) throws IOException {
    int closed = ApiServerIT.closedPort();
    Path token = Files.writeString(dir.resolve("operator.token"), TOKEN + "\n");
    Map<String, Object> properties = ApiServerIT.base(closed);
    properties.put("vigil.api.tokens.ops.role", "operator");
    properties.put("vigil.api.tokens.ops.token-file", token.toString());
    api = ApiServer.start(properties);
  }

  @AfterAll
  void stopApi() {
    if (api != null) {
      api.close();
    }
  }

  /** Endpoint, body, and the exact message the client must see. */
  static Stream<Arguments> badBodies() {
    return Stream.of(
        bad(
            "/api/v1/backups",
            "{\"plan\": ",
            "the body is not valid JSON at line 1, column 10:"
                + " Unexpected end-of-input within/between Object entries"),
        bad(
            "/api/v1/backups",
            "{\"plan\": nightly}",
            "the body is not valid JSON at line 1, column 18: Unrecognized token 'nightly'"),
        bad(
            "/api/v1/backups",
            "[1, 2]",
            "the body must be a JSON object with the fields [plan," + " sources, at], got a list"),
        bad(
            "/api/v1/backups",
            "\"nightly\"",
            "the body must be a JSON object with the fields"
                + " [plan, sources, at], got \"nightly\""),
        bad(
            "/api/v1/backups",
            "{\"plan\": {\"name\": \"x\"}}",
            "plan: expected text in double quotes, got an object"),
        bad(
            "/api/v1/backups",
            "{\"plan\": [\"x\"]}",
            "plan: expected text in double quotes, got a list"),
        bad("/api/v1/backups", "{\"plan\": 7}", "plan: expected text in double quotes, got 7"),
        bad(
            "/api/v1/backups",
            "{\"sources\": \"appdb\"}",
            "sources: expected a list such as [\"a\", \"b\"], got \"appdb\""),
        bad(
            "/api/v1/backups",
            "{\"sources\": [{\"a\": 1}]}",
            "sources[0]: expected text in double quotes, got an object"),
        bad(
            "/api/v1/backups",
            "{\"plann\": \"x\"}",
            "plann: unknown field; expected one of [plan, sources, at]"),
        bad(
            "/api/v1/restores",
            "",
            "the body is empty; POST /api/v1/restores takes a JSON object"
                + " (see /openapi/vigil.yml)"),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"jobs\": \"four\"}",
            "jobs: expected a whole number, got \"four\""),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"jobs\": 4.5}",
            "jobs: expected a whole number, got 4.5"),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"jobs\": 99999999999}",
            "jobs: 99999999999 is too large"),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"force\": \"yes\"}",
            "force: expected true or false, got \"yes\""),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"target\": \"db\"}",
            "target: expected an object with the fields [type, database, directory], got \"db\""),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"target\": {\"type\": \"tape\"}}",
            "target.type: expected database, fresh-cluster or directory, got \"tape\""),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"target\": {\"type\": 3}}",
            "target.type: expected text in double quotes, got 3"),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"target\": {\"kind\": \"database\"}}",
            "target.kind: unknown field; expected one of [type, database, directory]"),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"lsn\": \"5000028\"}",
            "lsn: expected an LSN as PostgreSQL shows one, such as 0/5000028, got \"5000028\""),
        bad(
            "/api/v1/restores",
            "{\"source\": \"appdb\", \"at\": \"2026-11-20T02:00:00Z\", \"latest\": true}",
            "at: at, lsn, latest and backupOnly each name where a restore ends; give one"),
        bad("/api/v1/drills", "{\"plan\": 7}", "plan: expected text in double quotes, got 7"),
        bad(
            "/api/v1/drills",
            "{\"plan\": {}}",
            "plan: expected text in double quotes, got an object"),
        bad(
            "/api/v1/drills",
            "{nope",
            "the body is not valid JSON at line 1, column 2: Unexpected"
                + " character ('n' (code 110))"),
        bad(
            "/api/v1/schedules/nightly/pause",
            "{\"reason\": {}}",
            "reason: expected text in double quotes, got an object"),
        bad(
            "/api/v1/schedules/nightly/pause",
            "{\"reason\": ",
            "the body is not valid JSON at line 1, column 12: Unexpected end-of-input"
                + " within/between Object entries"));
  }

  private static Arguments bad(String path, String body, String message) {
    return Arguments.of(path, body, message);
  }

  @ParameterizedTest(name = "POST {0} {1}")
  @MethodSource("badBodies")
  void aBadBodyIs400WithTheFieldAndWhatWasGivenInUserWords(String path, String body, String message)
      throws Exception {
    HttpResponse<String> response = post(path, body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    JsonNode error = new ObjectMapper().readTree(response.body());
    assertThat(error.properties()).extracting(Map.Entry::getKey).containsExactly("code", "message");
    assertThat(error.get("code").asText()).isEqualTo("INVALID_REQUEST");
    assertThat(error.get("message").asText()).isEqualTo(message);
    assertThat(response.body()).doesNotContain(LEAKS);
  }

  /** Well-formed bodies get past decoding to Temporal, which is unreachable here: 503, not 400. */
  @ParameterizedTest(name = "POST {0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/api/v1/backups|{\"plan\": \"nightly\", \"sources\": [], \"at\": \"2026-11-20T02:00:00Z\"}",
        "/api/v1/restores|{\"source\": \"appdb\", \"target\": {\"type\": \"database\","
            + " \"database\": \"copy\"}, \"force\": true, \"jobs\": 2}",
        "/api/v1/restores|{\"source\": \"appdb\", \"at\": \"2026-11-20T15:03:27+01:00\","
            + " \"target\": {\"type\": \"fresh-cluster\"}}",
        "/api/v1/restores|{\"source\": \"appdb\", \"lsn\": \"0/5000028\","
            + " \"target\": {\"type\": \"fresh-cluster\"}}",
        "/api/v1/restores|{\"source\": \"appdb\", \"backupOnly\": true,"
            + " \"target\": {\"type\": \"fresh-cluster\"}}",
        "/api/v1/drills|{\"plan\": null}"
      })
  void aWellFormedBodyIsDecoded(String path, String body) throws Exception {
    HttpResponse<String> response = post(path, body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
    assertThat(response.body()).contains("\"code\":\"TEMPORAL_UNAVAILABLE\"");
  }

  @ParameterizedTest(name = "POST {0}")
  @ValueSource(strings = {"/api/v1/schedules/nightly/unpause", "/api/v1/schedules/nightly/trigger"})
  void endpointsWithoutABodyIgnoreOneAndNeverLeakTypeNames(String path) throws Exception {
    HttpResponse<String> response = post(path, "{\"reason\": [");

    assertThat(response.body()).startsWith("{\"code\":").doesNotContain(LEAKS);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + TOKEN)
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
