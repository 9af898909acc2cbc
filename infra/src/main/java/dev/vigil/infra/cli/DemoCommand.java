package dev.vigil.infra.cli;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.drill.DrillReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Seeds sample data on the embedded stack, backs up every source, drills a restore of that backup,
 * and prints both reports.
 */
@Command(
    name = "demo",
    description =
        "Start the embedded stack, seed sample data, back up every source, then run a DR drill"
            + " of that backup; print both reports. Exit 0 only if every source ended archived and"
            + " verified and the drill passed.")
final class DemoCommand implements Callable<Integer> {
  /** The drill plan of the embedded stack's vigil.yaml. */
  static final String DEMO_DRILL_PLAN = "quarterly";

  @Option(names = "--report", description = "Also write the summary as JSON to this file.")
  Path report;

  @Option(
      names = "--work-dir",
      description = "Where the stack keeps its files (default: a temp dir).")
  Path workDir;

  @Option(names = "--keep", description = "Keep the work directory afterwards.")
  boolean keep;

  @Option(
      names = "--sources",
      description =
          "Back up the sources of this vigil.yaml instead of the sample data (on the embedded"
              + " S3, catalog and Temporal).")
  Path sources;

  @Override
  public Integer call() throws IOException {
    Path work = workDir != null ? WorkDir.claim(workDir) : Files.createTempDirectory("vigil-demo-");
    try (EmbeddedStack stack = EmbeddedStack.start(work, System.err, sources)) {
      String runId =
          stack
              .backups()
              .start(
                  "demo",
                  List.of(),
                  System.currentTimeMillis(),
                  "vigil demo (" + System.getProperty("user.name") + ")");
      System.err.println(
          "started " + runId + "; backing up " + stack.config().sources().keySet() + " ...");
      PlanResult result = stack.backups().await(runId);
      PlanReport.print(result, System.out);
      DrillReport drill = result.complete() ? drill(stack) : null;
      if (report != null) {
        var json = PlanReport.json(result);
        if (drill != null) {
          json.set("drill", DrillReportPrinter.json(drill));
        }
        // Peak RSS of this process: the worker, the Temporal test server and the CLI together.
        json.put("vigilPeakRssBytes", PeakMemory.peakRssBytes());
        PlanReport.write(json, report);
        System.err.println("report written to " + report);
      }
      return result.complete() && drill != null && drill.passed() ? 0 : VigilMain.FAILED;
    } finally {
      if (keep) {
        System.err.println("kept " + work);
      } else {
        FileTrees.delete(work);
      }
    }
  }

  /** The demo's last act: a DR drill of the backup just taken, with its report. */
  private static DrillReport drill(EmbeddedStack stack) {
    String drillId =
        stack
            .drills()
            .start(
                DEMO_DRILL_PLAN,
                System.currentTimeMillis(),
                "vigil demo (" + System.getProperty("user.name") + ")");
    System.err.println(
        "started "
            + drillId
            + "; restoring the backup set into a fresh cluster and scratch directories ...");
    DrillReport drill = stack.drills().await(drillId);
    DrillReportPrinter.print(drill, System.out);
    return drill;
  }
}
