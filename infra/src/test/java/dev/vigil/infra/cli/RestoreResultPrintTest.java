package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.restore.RecoveredPoint;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code vigil restore} prints for a physical backup restored into a data directory. */
class RestoreResultPrintTest {
  @Test
  void aDataDirectoryRestoreNamesTheStoppedDirectoryAndThePointRecovered() {
    RestoreTarget directory =
        new RestoreTarget("data-directory", null, 0, null, null, null, "/srv/restore/appdb-data");
    RestoreResult result =
        new RestoreResult(
            "appdb-20261203T094000Z",
            "appdb",
            "postgres",
            "RESTORED",
            100,
            200,
            1_796_290_867_218L,
            directory,
            new ValidationResult(true, List.of("recovered to …: target reached"), List.of()),
            List.of(new StepTiming("stop-server", 0, 1_200)),
            0,
            5_000,
            null,
            new RecoveredPoint(
                directory, "0/5000150", 1_796_290_867_218L, 1_796_290_867_218L, "x"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    RestoreCommand.print(List.of(result), new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("data directory /srv/restore/appdb-data (stopped)")
        .contains("restored to 2026-12-03T09:41:07.218Z (last replayed commit), LSN 0/5000150");
  }

  @Test
  void aFreshRedisServerIsNamedByItsAddressAndTheDirectoryOfItsRdb() {
    RestoreTarget server =
        new RestoreTarget(
            "fresh-server", "127.0.0.1", 40123, null, null, null, "/spool/redis-servers/r1");

    assertThat(RestoreCommand.describe(server))
        .isEqualTo("fresh redis-server 127.0.0.1:40123 (RDB in /spool/redis-servers/r1)");
  }

  @Test
  void aRestoreThatFellBackToACopySaysSoAndOneFromAGivenRepositoryNamesIt() {
    RestoreTarget directory = RestoreTarget.directory("/srv/restore/models");
    String note =
        "primary repository 'main' cannot be read (connection refused); reading the verified copy"
            + " in repository 'offsite'";
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    RestoreCommand.print(
        List.of(result(directory, "offsite", note), result(directory, "main", null)),
        new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("    " + note + "\n")
        .contains("    read from repository 'main'\n");
  }

  private static RestoreResult result(RestoreTarget target, String repository, String note) {
    return new RestoreResult(
        "models-20261203T094000Z",
        "models",
        "model",
        "RESTORED",
        100,
        200,
        1_796_290_867_218L,
        target,
        new ValidationResult(true, List.of("no extra files"), List.of()),
        List.of(new StepTiming("restore", 0, 1_200)),
        0,
        5_000,
        null,
        null,
        repository,
        note);
  }
}
