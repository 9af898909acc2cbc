package dev.vigil.infra.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.infra.demo.DemoData;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.api.ApiServer;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A backup's manifest through the HTTP API against the embedded stack: a real directory backup of
 * 20,000 known files and a real pg_dump of the demo database, read back page by page from the
 * catalog with the run's steps; a viewer may read it, a request without a token may not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManifestApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BULK_FILES = 20_000;
  private static final List<String> BACKUP_STEPS =
      List.of(
          "reserve-host",
          "begin",
          "dump",
          "verify",
          "compress",
          "upload",
          "verify-upload",
          "mark-archived");

  private final HttpClient http = HttpClient.newHttpClient();
  private EmbeddedStack stack;
  private ApiServer api;
  private String viewerToken;
  private Path configDir;
  private String configBackup;
  private String appdbBackup;

  @BeforeAll
  void backUpKnownFilesAndTables() throws IOException {
    Path work = Files.createTempDirectory("vigil-manifest-it");
    stack = EmbeddedStack.start(work, System.err);
    viewerToken =
        Files.readString(work.resolve("secrets").resolve(EmbeddedStack.VIEWER_TOKEN_FILE)).strip();
    // The demo's config directory plus 20,000 small files of known content in 100 directories.
    configDir = work.resolve("data").resolve("config");
    for (int i = 0; i < BULK_FILES; i++) {
      Path file =
          configDir.resolve("bulk").resolve("d%02d".formatted(i % 100)).resolve(bulkName(i));
      Files.createDirectories(file.getParent());
      Files.writeString(file, bulkContent(i));
    }
    PlanResult run =
        stack
            .backups()
            .await(
                stack
                    .backups()
                    .start(
                        "manifest",
                        List.of("config", "appdb"),
                        System.currentTimeMillis(),
                        "test"));
    assertThat(run.complete()).isTrue();
    for (SourceBackupResult result : run.results()) {
      if (result.source().name().equals("config")) {
        configBackup = result.backupId();
      } else {
        appdbBackup = result.backupId();
      }
    }
    api = stack.startApi();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aDirectoryBackupListsEveryFileWithItsSizeAndChecksumPageByPage() throws Exception {
    Map<String, String[]> onDisk = new TreeMap<>();
    try (Stream<Path> files = Files.walk(configDir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] content = Files.readAllBytes(file);
        onDisk.put(
            configDir.relativize(file).toString(),
            new String[] {String.valueOf(content.length), sha256(content)});
      }
    }
    assertThat(onDisk).hasSizeGreaterThan(BULK_FILES);

    // Every file, 1,000 (the most a page may hold) at a time: the same paths, sizes, checksums.
    Map<String, String[]> listed = new TreeMap<>();
    List<String> names = new ArrayList<>();
    long entryCount = -1;
    for (int offset = 0; entryCount < 0 || offset < entryCount; offset += 1000) {
      JsonNode page = viewerGet(manifestOf(configBackup) + "?limit=1000&offset=" + offset);
      assertThat(page.get("contents").asText()).isEqualTo("files");
      assertThat(page.get("entries").size()).isLessThanOrEqualTo(1000);
      entryCount = page.get("entryCount").asLong();
      for (JsonNode entry : page.get("entries")) {
        names.add(entry.get("name").asText());
        if (entry.get("type").asText().equals("file")) {
          listed.put(
              entry.get("name").asText(),
              new String[] {entry.get("sizeBytes").asText(), entry.get("sha256").asText()});
        } else {
          assertThat(entry.get("sha256").isNull()).isTrue();
        }
      }
    }
    assertThat(names).hasSize((int) entryCount).isSorted().doesNotHaveDuplicates();
    assertThat(listed.keySet()).containsExactlyElementsOf(onDisk.keySet());
    onDisk.forEach((path, expected) -> assertThat(listed.get(path)).as(path).isEqualTo(expected));

    // A filter and a page in the middle: part of a path, sorted by name, with the counts.
    JsonNode filtered =
        viewerGet(
            manifestOf(configBackup) + "?filter=" + encode("/D07/F") + "&offset=150&limit=50");
    assertThat(filtered.get("entryCount").asLong()).isEqualTo(entryCount);
    assertThat(filtered.get("matching").asLong()).isEqualTo(BULK_FILES / 100);
    assertThat(filtered.get("offset").asInt()).isEqualTo(150);
    List<String> page = new ArrayList<>();
    filtered.get("entries").forEach(entry -> page.add(entry.get("name").asText()));
    List<String> expected = new ArrayList<>();
    for (int i = 7; i < BULK_FILES; i += 100) {
      expected.add("bulk/d07/" + bulkName(i));
    }
    expected.sort(null);
    assertThat(page).containsExactlyElementsOf(expected.subList(150, 200));
    JsonNode first = filtered.get("entries").get(0);
    String content = bulkContent(Integer.parseInt(first.get("name").asText().substring(10, 15)));
    assertThat(first.get("sha256").asText())
        .isEqualTo(sha256(content.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aDatabaseBackupListsItsTablesWithTheirRowCounts() throws Exception {
    JsonNode manifest = viewerGet(manifestOf(appdbBackup));

    assertThat(manifest.get("contents").asText()).isEqualTo("tables");
    Map<String, Long> rows = new TreeMap<>();
    manifest
        .get("entries")
        .forEach(
            table -> {
              assertThat(table.get("type").asText()).isEqualTo("table");
              rows.put(table.get("name").asText(), table.get("rows").asLong());
            });
    assertThat(rows)
        .containsEntry("public.customers", (long) DemoData.CUSTOMERS)
        .containsEntry("public.conversations", (long) DemoData.CONVERSATIONS)
        .containsEntry("public.feedback", (long) DemoData.FEEDBACK);

    JsonNode conversations = viewerGet(manifestOf(appdbBackup) + "?filter=CONVERSATION");
    assertThat(conversations.get("matching").asLong()).isEqualTo(1);
    assertThat(conversations.get("entries").get(0).get("name").asText())
        .isEqualTo("public.conversations");
  }

  @Test
  void eachBackupShowsTheStepsItsRunTookInOrder() throws Exception {
    for (String backupId : List.of(configBackup, appdbBackup)) {
      JsonNode steps = viewerGet(manifestOf(backupId) + "?limit=1").get("steps");
      List<String> names = new ArrayList<>();
      Instant previous = Instant.EPOCH;
      long total = 0;
      for (JsonNode step : steps) {
        names.add(step.get("step").asText());
        Instant started = Instant.parse(step.get("startedAt").asText());
        assertThat(started).isAfterOrEqualTo(previous);
        previous = started;
        assertThat(step.get("durationMillis").asLong()).isNotNegative();
        total += step.get("durationMillis").asLong();
      }
      assertThat(names).as(backupId).containsExactlyElementsOf(BACKUP_STEPS);
      // The dump of 20,000 files or of 130,000 rows is not instant: real durations, not zeros.
      assertThat(total).as(backupId).isPositive();
    }
  }

  @Test
  void withoutATokenTheManifestIsRefusedAndItsBadRequestsNameTheField() throws Exception {
    HttpResponse<String> anonymous = send(manifestOf(configBackup), null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.body()).doesNotContain("bulk/");

    HttpResponse<String> tooMany = send(manifestOf(configBackup) + "?limit=1001", viewerToken);
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(tooMany.body()).get("message").asText())
        .isEqualTo("limit: expected 1 to 1000, got 1001");
    HttpResponse<String> negative = send(manifestOf(configBackup) + "?offset=-1", viewerToken);
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(negative.body()).get("message").asText())
        .isEqualTo("offset: expected 0 or more, got -1");

    HttpResponse<String> unknown = send(manifestOf("no-such-backup"), viewerToken);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(unknown.body()).get("message").asText())
        .contains("\"no-such-backup\"");

    // Without a limit a page holds 50 entries (as every list of the API), never the whole list.
    JsonNode defaultPage = viewerGet(manifestOf(configBackup));
    assertThat(defaultPage.get("entries").size()).isEqualTo(50);
    assertThat(defaultPage.get("limit").asInt()).isEqualTo(50);
  }

  @Test
  void theOpenApiDocumentDescribesTheManifest() throws Exception {
    HttpResponse<String> document = send("/openapi/vigil.yml", null);
    assertThat(document.statusCode()).isEqualTo(200);
    assertThat(document.body()).contains("/api/v1/backups/{id}/manifest:", "ManifestPage");
  }

  private static String manifestOf(String backupId) {
    return "/api/v1/backups/" + backupId + "/manifest";
  }

  private JsonNode viewerGet(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = send(path, viewerToken);
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private HttpResponse<String> send(String path, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String bulkName(int i) {
    return "f%05d.txt".formatted(i);
  }

  private static String bulkContent(int i) {
    return "bulk file " + i + "\n";
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] content) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }
}
