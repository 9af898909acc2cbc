package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Durations;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.RunCanceller;
import dev.vigil.starter.RunClosedException;
import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Cancels a run by its workflow id and waits for it to end. Exit codes: 0 the run ended CANCELED, 1
 * it had already ended (nothing cancelled) or ended otherwise or not within {@code --timeout}, 2
 * unknown run or bad input.
 */
@Command(
    name = "cancel",
    description =
        "Cancel a run (its workflow id: a backup plan or source backup, restore, drill, retention"
            + " or rehydrate run). Its cleanup still runs: the spool is removed, a drill's"
            + " environment torn down, the catalog records the backup FAILED (CANCELLED).")
final class CancelCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "WORKFLOW-ID", description = "The run's workflow id.")
  String workflowId;

  @Option(
      names = "--config",
      defaultValue = "${VIGIL_CONFIG:-vigil.yaml}",
      description = "The config file (default: $VIGIL_CONFIG, else vigil.yaml).")
  Path config;

  @Option(names = "--reason", description = "Why, recorded in the run's history.")
  String reason;

  @Option(names = "--no-wait", description = "Request the cancellation and return at once.")
  boolean noWait;

  @Option(
      names = "--timeout",
      description = "How long to wait for the run to end, such as 90s or 5m (default: 2m).")
  String timeout = "2m";

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration waitAtMost;
    try {
      waitAtMost = Durations.parse(timeout);
    } catch (IllegalArgumentException e) {
      err.println("vigil: --timeout: " + e.getMessage());
      return VigilMain.BAD_INPUT;
    }
    VigilConfig loaded = new ConfigLoader().load(config);
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      RunCanceller canceller = new RunCanceller(temporal.client());
      try {
        canceller.cancel(workflowId, reason);
      } catch (RunNotFoundException e) {
        err.println("vigil: " + e.getMessage());
        return VigilMain.BAD_INPUT;
      } catch (RunClosedException e) {
        err.println("vigil: " + e.getMessage());
        return VigilMain.FAILED;
      }
      err.println("cancellation of " + workflowId + " requested");
      if (noWait) {
        return 0;
      }
      String state = canceller.awaitClosed(workflowId, waitAtMost);
      if ("RUNNING".equals(state)) {
        err.println(
            "vigil: "
                + workflowId
                + " is still running after "
                + timeout
                + " (cleaning up); follow it with: vigil status "
                + workflowId
                + " --watch");
        return VigilMain.FAILED;
      }
      RunStatus status = new RunStatusReader(temporal.client()).status(workflowId);
      out.println(StatusCommand.text(status));
      return "CANCELED".equals(state) ? 0 : VigilMain.FAILED;
    }
  }
}
