package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Durations;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.starter.RetentionClient;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Restores an archived dataset (any directory source) into a directory, waiting out cold tiers. */
@Command(
    name = "rehydrate",
    description =
        "Restore an archived backup of a source into a directory. Cold objects (GLACIER,"
            + " DEEP_ARCHIVE) are restored first; the workflow waits for them durably.")
final class RehydrateCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "The source (dataset) to rehydrate.")
  String source;

  @Option(names = "--target", required = true, description = "An empty or new directory.")
  Path target;

  @Option(names = "--backup", description = "A backup id (default: the newest verified one).")
  String backupId;

  @Option(names = "--days", description = "Days a cold object stays readable (default: 3).")
  int days = 3;

  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Override
  public Integer call() {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      WorkflowClient client = temporal.client();
      RetentionClient retention = new RetentionClient(client, loaded.temporal().taskQueue());
      String id;
      try {
        id =
            retention.rehydrate(
                new RehydrateRequest(
                    source,
                    backupId,
                    target.toAbsolutePath().toString(),
                    days,
                    System.currentTimeMillis(),
                    "cli (" + System.getProperty("user.name") + ")"));
      } catch (DuplicateRunException e) {
        System.err.println("vigil: " + e.getMessage());
        return VigilMain.BAD_INPUT;
      }
      System.err.println("started " + id);
      RehydrateResult result;
      try {
        result = retention.awaitRehydrate(id);
      } catch (WorkflowFailedException e) {
        System.err.println("vigil: " + id + " failed: " + Failures.reason(e.getCause()));
        return VigilMain.FAILED;
      }
      System.out.printf(
          "rehydrated %s of %s into %s: %d files, %d bytes%s%n",
          result.backupId(),
          result.source(),
          result.targetDir(),
          result.files(),
          result.bytes(),
          result.restoreRequested()
              ? " (cold restore waited "
                  + Durations.format(Duration.ofMillis(result.waitedMillis()))
                  + ", "
                  + result.polls()
                  + " checks)"
              : "");
      return 0;
    }
  }
}
