package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Sizes;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The live status of one run: state, step, pending activities with bytes, open children. */
@Command(name = "status", description = "Show the live status of a run (its workflow id).")
final class StatusCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      defaultValue = "${VIGIL_CONFIG:-vigil.yaml}",
      description = "The config file (default: $VIGIL_CONFIG, else vigil.yaml).")
  Path config;

  @Parameters(index = "0", paramLabel = "WORKFLOW-ID", description = "The run's workflow id.")
  String workflowId;

  @Option(names = "--json", description = "Print JSON (with --watch: one line per change).")
  boolean json;

  @Option(
      names = "--watch",
      description =
          "Keep printing changes until the run ends; a step retrying is said on stderr (attempt,"
              + " last failure).")
  boolean watch;

  @Option(
      names = "--interval",
      description = "Seconds between two looks with --watch (default: 1).")
  double interval = 1;

  @Override
  public Integer call() throws InterruptedException {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    PrintWriter out = spec.commandLine().getOut();
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      RunStatusReader reader = new RunStatusReader(temporal.client());
      RunStatus status;
      try {
        status = reader.status(workflowId);
        String last = null;
        Set<String> told = new HashSet<>();
        while (true) {
          if (watch) {
            // A step retrying is said once per attempt on stderr, even when stdout is JSON.
            for (WaitingLine line : WaitingLine.of(status, Instant.now())) {
              if (told.add(line.about())) {
                spec.commandLine().getErr().println(line.text());
                spec.commandLine().getErr().flush();
              }
            }
          }
          String shown =
              json ? (watch ? JsonOut.line(status) : JsonOut.pretty(status)) : text(status);
          if (!Objects.equals(shown, last)) {
            out.println(shown);
            out.flush();
            last = shown;
          }
          if (!watch || status.closed()) {
            break;
          }
          Thread.sleep((long) (interval * 1000));
          status = reader.status(workflowId);
        }
      } catch (RunNotFoundException e) {
        spec.commandLine().getErr().println("vigil: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return VigilMain.BAD_INPUT;
      }
      return switch (status.state()) {
        case "RUNNING", "COMPLETED", "CONTINUED_AS_NEW" -> 0;
        default -> VigilMain.FAILED;
      };
    }
  }

  /** The status for people: a header, its activities, then each open child indented. */
  static String text(RunStatus status) {
    StringBuilder text = new StringBuilder();
    append(text, status, "");
    return text.toString().stripTrailing();
  }

  private static void append(StringBuilder text, RunStatus status, String indent) {
    text.append(indent)
        .append(status.workflowId())
        .append("  ")
        .append(status.workflowType())
        .append("  ")
        .append(status.state());
    if (status.startedAt() != null) {
      text.append("  started ").append(status.startedAt());
    }
    if (status.closedAt() != null) {
      text.append("  closed ").append(status.closedAt());
    }
    text.append('\n');
    if (status.step() != null) {
      text.append(indent).append("  step     ").append(status.step()).append('\n');
    }
    if (status.failure() != null) {
      text.append(indent).append("  failure  ").append(status.failure()).append('\n');
    }
    for (ActivityProgress activity : status.activities()) {
      text.append(indent)
          .append("  activity ")
          .append(activity.activityType())
          .append("  ")
          .append(activity.state())
          .append("  attempt ")
          .append(activity.attempt());
      if (activity.bytesDone() != null) {
        text.append("  ").append(Sizes.format(activity.bytesDone()));
        if (activity.bytesTotal() != null) {
          text.append(" / ")
              .append(Sizes.format(activity.bytesTotal()))
              .append("  ")
              .append(ProgressRenderer.bar(activity.bytesDone(), activity.bytesTotal()));
        }
      }
      if (activity.lastFailure() != null) {
        text.append("  last failure: ").append(activity.lastFailure());
      }
      text.append('\n');
    }
    for (RunStatus child : status.children()) {
      append(text, child, indent + "    ");
    }
  }
}
