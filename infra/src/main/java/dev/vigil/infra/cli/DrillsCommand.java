package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.starter.read.DrillView;
import dev.vigil.workflows.drill.DrillDurations;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Lists DR drills from the catalog, newest first. */
@Command(name = "drills", description = "List DR drills from the catalog, newest first.")
final class DrillsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      defaultValue = "${VIGIL_CONFIG:-vigil.yaml}",
      description = "The config file (default: $VIGIL_CONFIG, else vigil.yaml).")
  Path config;

  @Option(names = "--plan", description = "Only drills of this plan.")
  String plan;

  @Option(names = "--limit", description = "At most this many (default: 20).")
  int limit = 20;

  @Option(names = "--json", description = "Print a JSON array (with components) instead.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<DrillView> drills =
        CatalogAccess.reader(new ConfigLoader().withoutLocalPathChecks().load(config))
            .drills(plan, limit);
    if (json) {
      out.println(JsonOut.pretty(drills));
    } else if (drills.isEmpty()) {
      out.println("no drills" + (plan == null ? "" : " of plan " + plan) + " yet");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(
          new String[] {
            "id", "plan", "status", "finished", "RTO / objective", "RPO / objective", "sources"
          });
      for (DrillView drill : drills) {
        rows.add(
            new String[] {
              drill.drillId(),
              drill.plan(),
              drill.status(),
              drill.finishedAt().truncatedTo(ChronoUnit.SECONDS).toString(),
              seconds(drill.totalRtoMillis()) + " / " + objective(drill.rtoObjectiveMillis()),
              seconds(drill.worstRpoMillis()) + " / " + objective(drill.rpoObjectiveMillis()),
              Integer.toString(drill.components().size())
            });
      }
      PlanReport.tableLines(rows).forEach(out::println);
      for (DrillView drill : drills) {
        drill.failures().forEach(failure -> out.println(drill.drillId() + ": " + failure));
      }
    }
    out.flush();
    return 0;
  }

  private static String seconds(long millis) {
    return DrillDurations.format(millis);
  }

  private static String objective(long millis) {
    return millis <= 0 ? "none" : seconds(millis);
  }
}
