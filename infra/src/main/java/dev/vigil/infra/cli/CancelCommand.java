package dev.vigil.infra.cli;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Durations;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.repair.OrphanSweeper;
import dev.vigil.activities.repair.SweepReport;
import dev.vigil.starter.RunCanceller;
import dev.vigil.starter.RunClosedException;
import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import dev.vigil.worker.TemporalRunStates;
import dev.vigil.workflows.common.ActivityProfiles;
import io.temporal.client.WorkflowException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Cancels a run by its workflow id and waits for it to end. With {@code --terminate}, a run that
 * has not ended within {@code --timeout} is terminated with its open children, and what it left is
 * resolved as the orphan sweep resolves a lost run. Exit codes: 0 the run ended CANCELED (or was
 * terminated and everything it left resolved), 1 it had already ended (nothing cancelled) or ended
 * otherwise or not within {@code --timeout}, or something it left could not be resolved, 2 unknown
 * run or bad input.
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

  @Option(
      names = "--terminate",
      description =
          "If the run has not ended within --timeout, terminate it and its open child runs, wait"
              + " for their steps to learn it, then resolve what they left as `vigil repair`"
              + " does: backups FAILED (RUN_LOST), their objects deleted, their spool removed,"
              + " drill environments torn down. Run it on the worker's host.")
  boolean terminate;

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
      boolean requested = true;
      try {
        canceller.cancel(workflowId, reason);
      } catch (RunNotFoundException e) {
        err.println("vigil: " + e.getMessage());
        return VigilMain.BAD_INPUT;
      } catch (RunClosedException e) {
        err.println("vigil: " + e.getMessage());
        return VigilMain.FAILED;
      } catch (WorkflowException e) {
        if (!terminate) {
          throw e;
        }
        // A cancellation asked for before: the server may refuse a second one. Terminate anyway.
        err.println(
            "cancellation of " + workflowId + " not requested again (" + rootMessage(e) + ")");
        requested = false;
      }
      if (requested) {
        err.println("cancellation of " + workflowId + " requested");
      }
      if (noWait && !terminate) {
        return 0;
      }
      String state = canceller.awaitClosed(workflowId, waitAtMost);
      if ("RUNNING".equals(state)) {
        RunStatus stuck = new RunStatusReader(temporal.client()).status(workflowId);
        if (!terminate) {
          err.println(
              "vigil: "
                  + workflowId
                  + " is still running after "
                  + timeout
                  + ": "
                  + whyStillRunning(stuck)
                  + ". Follow it with: vigil status "
                  + workflowId
                  + " --watch; or end it now, on the worker's host, with: vigil cancel "
                  + workflowId
                  + " --terminate (terminates the run and resolves what it left: catalog,"
                  + " objects, spool)");
          return VigilMain.FAILED;
        }
        return terminateAndResolve(canceller, temporal, loaded, stuck, err);
      }
      RunStatus status = new RunStatusReader(temporal.client()).status(workflowId);
      out.println(StatusCommand.text(status));
      return "CANCELED".equals(state) ? 0 : VigilMain.FAILED;
    }
  }

  private int terminateAndResolve(
      RunCanceller canceller,
      TemporalConnection temporal,
      VigilConfig loaded,
      RunStatus stuck,
      PrintWriter err)
      throws InterruptedException {
    err.println(
        "vigil: " + workflowId + " did not end within " + timeout + ": " + whyStillRunning(stuck));
    Set<String> runs;
    try {
      runs =
          canceller.terminate(
              workflowId, "vigil cancel --terminate" + (reason == null ? "" : ": " + reason));
    } catch (RunClosedException endedMeanwhile) {
      err.println("vigil: " + endedMeanwhile.getMessage());
      return VigilMain.FAILED;
    }
    err.println("terminated " + String.join(", ", runs));
    // A step still running on a worker stops at its next heartbeat, which the terminated run
    // refuses; only then may its spool and objects go.
    Duration grace = ActivityProfiles.STEP_HEARTBEAT_TIMEOUT;
    err.println("waiting " + grace.toSeconds() + "s for steps still running on a worker to stop");
    Thread.sleep(grace.toMillis());
    try (VigilServices services = new VigilServices(loaded, System::getenv)) {
      SweepReport report =
          OrphanSweeper.of(
                  services,
                  new TemporalRunStates(
                      temporal.client().getWorkflowServiceStubs(), loaded.temporal().namespace()),
                  "`vigil cancel --terminate` on host " + loaded.worker().hostId())
              .sweepRuns(runs);
      PrintWriter out = spec.commandLine().getOut();
      report.lines().forEach(out::println);
      out.println(report.summary());
      if (report.unresolved() > 0) {
        err.println(
            "vigil: "
                + workflowId
                + " is terminated but not everything it left was resolved (see above); run"
                + " vigil repair again once the cause is fixed");
        return VigilMain.FAILED;
      }
    }
    return 0;
  }

  /** Why a run whose cancellation was requested has not ended, from what Temporal describes. */
  static String whyStillRunning(RunStatus run) {
    List<String> steps = new ArrayList<>();
    collectSteps(run, steps);
    if (steps.isEmpty()) {
      return "no step of it is running and its workflow has not acted on the cancellation: no"
          + " worker takes its workflow tasks, or Temporal did not deliver the cancellation (the"
          + " embedded test server can lose one that lands as a step fails or ends)";
    }
    return String.join("; ", steps) + " (a step stops at its next heartbeat)";
  }

  private static void collectSteps(RunStatus run, List<String> steps) {
    for (ActivityProgress activity : run.activities()) {
      steps.add(
          "step "
              + activity.activityType()
              + " of "
              + run.workflowId()
              + " is "
              + ("CANCEL_REQUESTED".equals(activity.state())
                  ? "still stopping"
                  : activity.state().toLowerCase(java.util.Locale.ROOT))
              + " (attempt "
              + activity.attempt()
              + ")");
    }
    for (RunStatus child : run.children()) {
      collectSteps(child, steps);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage();
  }
}
