package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.workflows.backup.PlanResult;
import io.temporal.client.WorkflowClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts a backup of the configured sources on the configured Temporal server. */
@Command(name = "backup", description = "Back up the configured sources (all, or --source).")
final class BackupCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(names = "--source", description = "Back up only this source (repeatable).")
  List<String> sources = List.of();

  @Option(names = "--plan", description = "Plan name used in ids (default: manual).")
  String plan = "manual";

  @Option(
      names = "--at",
      description =
          "The time the run's id is derived from (ISO-8601); a second start for the same time is"
              + " refused. Default: now.")
  Instant at;

  @Option(names = "--no-wait", description = "Start the run and return its id.")
  boolean noWait;

  @Option(names = "--report", description = "Also write the summary as JSON to this file.")
  Path report;

  @Option(
      names = "--json",
      description = "Print the result as JSON on stdout instead of the table.")
  boolean json;

  @Option(names = "--quiet", description = "No live progress on the terminal while waiting.")
  boolean quiet;

  @Override
  public Integer call() throws IOException {
    VigilConfig loaded = new ConfigLoader().load(config);
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      WorkflowClient client = temporal.client();
      BackupClient backups = new BackupClient(client, loaded.temporal().taskQueue());
      long requestedAt = at != null ? at.toEpochMilli() : System.currentTimeMillis();
      String runId;
      try {
        runId =
            backups.start(
                plan, sources, requestedAt, "cli (" + System.getProperty("user.name") + ")");
      } catch (DuplicateRunException e) {
        System.err.println("vigil: " + e.getMessage());
        return VigilMain.BAD_INPUT;
      }
      System.err.println("started " + runId);
      if (noWait) {
        System.out.println(runId);
        return 0;
      }
      PlanResult result;
      try (LiveProgress progress =
          LiveProgress.start(client, List.of(runId), LiveProgress.wanted(json, quiet))) {
        result = backups.await(runId);
      }
      if (json) {
        System.out.println(JsonOut.pretty(PlanReport.json(result)));
      } else {
        PlanReport.print(result, System.out);
      }
      if (report != null) {
        PlanReport.write(PlanReport.json(result), report);
      }
      return result.complete() ? 0 : VigilMain.FAILED;
    }
  }
}
