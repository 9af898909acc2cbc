package dev.vigil.infra.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.common.Json;
import dev.vigil.infra.cli.VigilMain;
import dev.vigil.infra.embedded.EmbeddedStack;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vigil schedules} on the embedded stack (Temporal's test server, no Schedules API): apply
 * starts cron workflows and records them in the catalog, list reports the mode and states, pause
 * and unpause change them.
 */
class SchedulesIT {
  @TempDir static Path dir;

  private static EmbeddedStack stack;
  private static String config;

  @BeforeAll
  static void startStack() {
    stack = EmbeddedStack.start(dir.resolve("stack"), System.err);
    config = stack.config().file().toString();
  }

  @AfterAll
  static void stopStack() {
    stack.close();
  }

  @Test
  void applyListPauseAndUnpauseOnTheEmbeddedStack() throws Exception {
    Result applied = vigil("schedules", "apply", "--config", config);

    assertThat(applied.exit()).as(applied.err()).isZero();
    assertThat(applied.out())
        .startsWith("mode: cron workflows (this Temporal server has no Schedules API)")
        .containsPattern("nightly-backup +created +cron workflow schedule-nightly-backup started")
        .containsPattern("weekly-restore-test +created")
        .containsPattern("quarterly-drill +created");
    Map<String, String> rows = new LinkedHashMap<>();
    try (Connection connection = stack.services().catalogDataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet result =
            statement.executeQuery(
                "SELECT name, kind, cron, interval_seconds, mode, temporal_id, applied_by"
                    + " FROM vigil.schedule ORDER BY name")) {
      while (result.next()) {
        rows.put(
            result.getString("name"),
            String.join(
                " ",
                result.getString("kind"),
                result.getString("cron"),
                String.valueOf(result.getLong("interval_seconds")),
                result.getString("mode"),
                result.getString("temporal_id"),
                result.getString("applied_by")));
      }
    }
    String who = "cli (" + System.getProperty("user.name") + ")";
    assertThat(rows)
        .containsEntry(
            "nightly-backup", "backup 0 2 * * * 86400 CRON schedule-nightly-backup " + who)
        .containsEntry(
            "quarterly-drill",
            "drill 0 3 1 1,4,7,10 * 7948800 CRON schedule-quarterly-drill " + who);

    Result again = vigil("schedules", "apply", "--config", config);
    assertThat(again.out()).containsPattern("nightly-backup +unchanged");

    Result paused =
        vigil("schedules", "pause", "nightly-backup", "--reason", "migration", "--config", config);
    assertThat(paused.out()).contains("paused by " + who + ": migration");

    Result listed = vigil("schedules", "list", "--config", config, "--json");
    assertThat(listed.exit()).as(listed.err()).isZero();
    JsonNode json = Json.MAPPER.readTree(listed.out());
    assertThat(json.get("mode").asText()).isEqualTo("CRON");
    Map<String, String> states = new LinkedHashMap<>();
    json.get("schedules").forEach(s -> states.put(s.get("name").asText(), s.get("state").asText()));
    assertThat(states)
        .containsEntry("nightly-backup", "PAUSED")
        .containsEntry("weekly-restore-test", "ACTIVE")
        .containsEntry("quarterly-drill", "ACTIVE");

    assertThat(vigil("schedules", "unpause", "nightly-backup", "--config", config).out())
        .contains("unpaused");
    Result table = vigil("schedules", "list", "--config", config);
    assertThat(table.out())
        .startsWith("mode: cron workflows (this Temporal server has no Schedules API)")
        .containsPattern(
            "nightly-backup +backup +0 2 \\* \\* \\* +ACTIVE +\\d{4}-\\d\\d-\\d\\dT02:00:00Z");

    Result unknown = vigil("schedules", "trigger", "hourly", "--config", config);
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("vigil: no schedule 'hourly' was applied; known: [");
  }

  record Result(int exit, String out, String err) {}

  private static Result vigil(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = VigilMain.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }
}
