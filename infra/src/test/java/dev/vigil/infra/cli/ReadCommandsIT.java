package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.common.Json;
import dev.vigil.infra.embedded.EmbeddedStack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read verbs on the embedded stack after a real backup: {@code backups}, {@code status}, {@code
 * report}, {@code drills}, and {@code backup --json}, run through {@link VigilMain#commandLine()}
 * with captured output.
 */
class ReadCommandsIT {
  @TempDir static Path dir;

  private static EmbeddedStack stack;
  private static String config;
  private static JsonNode backup;
  private static String runId;
  private static JsonNode drill;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void backUpOnce() throws Exception {
    stack = EmbeddedStack.start(dir.resolve("stack"), System.err);
    config = stack.workDir().resolve("vigil.yaml").toString();
    Run run = vigil("backup", "--config", config, "--plan", "nightly", "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    backup = Json.MAPPER.readTree(run.out());
    Matcher started = Pattern.compile("started (\\S+)").matcher(run.err());
    assertThat(started.find()).as(run.err()).isTrue();
    runId = started.group(1);
    Run drillRun = vigil("drill", "--config", config, "--json");
    assertThat(drillRun.exit()).as(drillRun.err()).isZero();
    drill = Json.MAPPER.readTree(drillRun.out());
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void backupJsonIsTheRunSummaryWithoutTheTable() {
    assertThat(backup.get("status").asText()).isEqualTo("COMPLETE");
    assertThat(backup.get("sources")).hasSize(4);
  }

  @Test
  void backupsJsonListsEveryBackupArchivedWithItsSizes() throws Exception {
    Run run = vigil("backups", "--config", config, "--json");

    assertThat(run.exit()).isZero();
    JsonNode listed = Json.MAPPER.readTree(run.out());
    assertThat(listed).hasSize(4);
    for (JsonNode source : backup.get("sources")) {
      JsonNode row = find(listed, source.get("backupId").asText());
      assertThat(row.get("status").asText()).isEqualTo("ARCHIVED");
      assertThat(row.get("source").asText()).isEqualTo(source.get("source").asText());
      assertThat(row.get("rawBytes").asLong()).isEqualTo(source.get("rawBytes").asLong());
      assertThat(row.get("storedBytes").asLong()).isEqualTo(source.get("storedBytes").asLong());
      assertThat(row.get("sha256").asText()).isEqualTo(source.get("sha256").asText());
      assertThat(row.get("setId").asText()).isEqualTo(backup.get("setId").asText());
      assertThat(row.get("triggeredBy").asText()).startsWith("cli (");
    }
  }

  @Test
  void backupsFiltersAndPrintsATable() throws Exception {
    Run appdb =
        vigil("backups", "--config", config, "--source", "appdb", "--since", "1d", "--json");
    assertThat(Json.MAPPER.readTree(appdb.out())).hasSize(1);
    assertThat(
            Json.MAPPER.readTree(
                vigil("backups", "--config", config, "--status", "failed", "--json").out()))
        .isEmpty();

    Run table = vigil("backups", "--config", config);

    assertThat(table.out().lines().findFirst().orElseThrow())
        .startsWith("id")
        .contains("source", "kind", "status", "finished", "raw → stored", "class", "set");
    assertThat(table.out()).contains("ARCHIVED", "STANDARD", "appdb", "4 backups");
    Run bad = vigil("backups", "--config", config, "--since", "last week");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("expected an age such as 7d");
    Run typo = vigil("backups", "--config", config, "--status", "ARCHIVD");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err()).contains("--status: expected one of [RUNNING, ARCHIVED");
  }

  @Test
  void statusOfTheFinishedRunIsCompleted() throws Exception {
    Run json = vigil("status", runId, "--config", config, "--json");

    assertThat(json.exit()).as(json.err()).isZero();
    JsonNode status = Json.MAPPER.readTree(json.out());
    assertThat(status.get("state").asText()).isEqualTo("COMPLETED");
    assertThat(status.get("workflowType").asText()).isEqualTo("BackupPlanWorkflow");
    assertThat(status.get("closedAt").asText()).isNotEmpty();
    assertThat(status.get("failure").isNull()).isTrue();

    Run text = vigil("status", runId, "--config", config, "--watch");
    assertThat(text.out()).startsWith(runId + "  BackupPlanWorkflow  COMPLETED");
    Run unknown = vigil("status", "backup-set-nope-1", "--config", config);
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("run 'backup-set-nope-1' not found");
  }

  @Test
  void reportHasEverySourceInJsonAndARowPerSourceInMarkdown() throws Exception {
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    Run json = vigil("report", "--config", config, "--json", "--date", today);

    assertThat(json.exit()).as(json.err()).isZero();
    JsonNode report = Json.MAPPER.readTree(json.out());
    assertThat(report.get("day").asText()).isEqualTo(today);
    List<String> sources = new ArrayList<>();
    report.get("sources").forEach(source -> sources.add(source.get("source").asText()));
    assertThat(sources).containsExactlyInAnyOrder("appdb", "models", "datasets", "config");
    report
        .get("sources")
        .forEach(source -> assertThat(source.get("outcome").asText()).isEqualTo("OK"));
    assertThat(report.get("totals").get("archived").asInt()).isEqualTo(4);
    assertThat(report.get("storage").get(0).get("repository").asText()).isEqualTo("demo");
    assertThat(report.get("errors")).isEmpty();

    Path file = dir.resolve("report.md");
    Run markdown = vigil("report", "--config", config, "--markdown", "--output", file.toString());
    assertThat(markdown.exit()).isZero();
    String md = Files.readString(file);
    for (String source : sources) {
      assertThat(md).containsPattern("(?m)^\\| " + source + " \\| [a-z]+ \\| OK \\| ");
    }
    assertThat(md).contains("## Storage", "| demo | STANDARD |");
    assertThat(md)
        .containsPattern(
            "\\| drill \\| " + drill.get("drillId").asText() + " \\| quarterly \\| PASSED \\|");
  }

  @Test
  void drillJsonIsItsReportAndDrillsListsItWithComponents() throws Exception {
    assertThat(drill.get("status").asText()).isEqualTo("PASSED");
    String drillId = drill.get("drillId").asText();

    JsonNode drills = Json.MAPPER.readTree(vigil("drills", "--config", config, "--json").out());

    assertThat(drills).hasSize(1);
    assertThat(drills.get(0).get("drillId").asText()).isEqualTo(drillId);
    assertThat(drills.get(0).get("components")).hasSize(4);
    assertThat(vigil("drills", "--config", config).out()).contains(drillId, "PASSED");
    JsonNode status =
        Json.MAPPER.readTree(vigil("status", drillId, "--config", config, "--json").out());
    assertThat(status.get("workflowType").asText()).isEqualTo("DrillWorkflow");
    assertThat(status.get("state").asText()).isEqualTo("COMPLETED");
  }

  @Test
  void restoreJsonIsTheResultsArray() throws Exception {
    Path target = stack.workDir().resolve(EmbeddedStack.RESTORES).resolve("restored-config");
    Run run =
        vigil(
            "restore",
            "--config",
            config,
            "--source",
            "config",
            "--target-dir",
            target.toString(),
            "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode results = Json.MAPPER.readTree(run.out());
    assertThat(results).hasSize(1);
    assertThat(results.get(0).get("status").asText()).isEqualTo("RESTORED");
    assertThat(results.get(0).get("source").asText()).isEqualTo("config");
    assertThat(target).isNotEmptyDirectory();
  }

  @Test
  void unreachableCatalogOrTemporalIsOneLineNotAStackTrace() throws Exception {
    String yaml = Files.readString(Path.of(config));
    // Beside the original: its relative paths (secrets, spool) stay valid.
    Path broken = stack.workDir().resolve("broken.yaml");
    Files.writeString(
        broken,
        yaml.replaceAll(
                "jdbc-url: jdbc:postgresql://[^/]+/", "jdbc-url: jdbc:postgresql://127.0.0.1:1/")
            .replaceAll("target: \\S+", "target: 127.0.0.1:1"));

    Run catalog = vigil("backups", "--config", broken.toString());
    Run temporal = vigil("status", runId, "--config", broken.toString());

    assertThat(catalog.exit()).as(catalog.err()).isEqualTo(1);
    assertThat(catalog.err().strip())
        .startsWith("vigil: catalog: listing backups failed (")
        .doesNotContain("\n\tat ");
    assertThat(temporal.exit()).as(temporal.err()).isEqualTo(1);
    assertThat(temporal.err().strip())
        .startsWith("vigil: Temporal is unreachable")
        .doesNotContain("\n\tat ");
  }

  private static JsonNode find(JsonNode rows, String backupId) {
    for (JsonNode row : rows) {
      if (row.get("backupId").asText().equals(backupId)) {
        return row;
      }
    }
    throw new AssertionError("no backup " + backupId + " in " + rows);
  }

  /** Runs {@code vigil args}, capturing what it prints (picocli's writers and System.out/err). */
  static Run vigil(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream systemOut = new ByteArrayOutputStream();
    ByteArrayOutputStream systemErr = new ByteArrayOutputStream();
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    int exit;
    try {
      System.setOut(new PrintStream(systemOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(systemErr, true, StandardCharsets.UTF_8));
      var commandLine = VigilMain.commandLine();
      commandLine.setOut(new PrintWriter(out, true));
      commandLine.setErr(new PrintWriter(err, true));
      exit = commandLine.execute(args);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
    return new Run(
        exit,
        out + systemOut.toString(StandardCharsets.UTF_8),
        err + systemErr.toString(StandardCharsets.UTF_8));
  }
}
