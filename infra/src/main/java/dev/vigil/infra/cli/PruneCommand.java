package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.starter.RetentionClient;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.retention.RetentionResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Applies retention (archive, prune, local checkpoints, row archival), or prints its plan. */
@Command(
    name = "prune",
    description =
        "Apply each source's retention policy: archive to cold storage, prune, remove confirmed"
            + " local checkpoints, archive old rows. --dry-run prints the plan only.")
final class PruneCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(names = "--source", description = "Only this source (repeatable).")
  List<String> sources = List.of();

  @Option(
      names = "--dry-run",
      description = "Print the plan (backup, age, rule, action); change nothing.")
  boolean dryRun;

  @Option(
      names = "--json",
      description = "Print the result as JSON on stdout instead of the table.")
  boolean json;

  @Override
  public Integer call() {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      WorkflowClient client = temporal.client();
      RetentionClient retention = new RetentionClient(client, loaded.temporal().taskQueue());
      long now = System.currentTimeMillis();
      String id;
      try {
        id = retention.start(dryRun, sources, now, "cli (" + System.getProperty("user.name") + ")");
      } catch (DuplicateRunException e) {
        System.err.println("vigil: " + e.getMessage());
        return VigilMain.BAD_INPUT;
      }
      RetentionResult result;
      try {
        result = retention.await(id);
      } catch (WorkflowFailedException e) {
        System.err.println("vigil: " + id + " failed: " + Failures.reason(e.getCause()));
        return VigilMain.FAILED;
      }
      if (json) {
        System.out.println(JsonOut.pretty(result));
      } else {
        RetentionReport.print(result, now, System.out);
      }
      return result.succeeded() ? 0 : VigilMain.FAILED;
    }
  }
}
