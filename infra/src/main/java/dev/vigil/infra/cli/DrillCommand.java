package dev.vigil.infra.cli;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.DrillPlanConfig;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.starter.schedule.ApplyOutcome;
import dev.vigil.starter.schedule.ScheduleDefinition;
import dev.vigil.starter.schedule.ScheduleKind;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillReport;
import io.temporal.client.WorkflowClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a DR drill now, or makes the configured drill plans recur. */
@Command(
    name = "drill",
    description =
        "Run a DR drill: restore the newest complete backup set into a throwaway environment,"
            + " validate it, measure RTO/RPO against the objectives. Exit 0 only if it passed.")
final class DrillCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(
      names = "--plan",
      description = "The drill plan (default: the only one configured, else 'default').")
  String plan;

  @Option(names = "--report", description = "Also write the report as JSON to this file.")
  Path report;

  @Option(
      names = "--json",
      description = "Print the result as JSON on stdout instead of the table.")
  boolean json;

  @Option(names = "--quiet", description = "No live progress on the terminal while waiting.")
  boolean quiet;

  @Option(
      names = "--schedule",
      description =
          "Do not drill now: apply the drill schedules (of --plan only, if given), as Temporal"
              + " Schedules or, where the server has none, cron workflows (see vigil schedules).")
  boolean schedule;

  @Override
  public Integer call() throws IOException {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    if (schedule) {
      return scheduleDrills(loaded);
    }
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      WorkflowClient client = temporal.client();
      String chosen = choosePlan(loaded);
      DrillClient drills = new DrillClient(client, loaded.temporal().taskQueue());
      String drillId;
      try {
        drillId =
            drills.start(
                chosen,
                System.currentTimeMillis(),
                "cli (" + System.getProperty("user.name") + ")");
      } catch (DuplicateRunException e) {
        System.err.println("vigil: " + e.getMessage());
        return VigilMain.BAD_INPUT;
      }
      System.err.println("started " + drillId);
      DrillReport result;
      try (LiveProgress progress =
          LiveProgress.start(client, List.of(drillId), LiveProgress.wanted(json, quiet))) {
        result = drills.await(drillId);
      }
      if (json) {
        System.out.println(JsonOut.pretty(DrillReportPrinter.json(result)));
      } else {
        DrillReportPrinter.print(result, System.out);
      }
      if (report != null) {
        PlanReport.write(DrillReportPrinter.json(result), report);
      }
      return result.passed() ? 0 : VigilMain.FAILED;
    }
  }

  /** Applies the config's drill schedules (of --plan only, if given); see vigil schedules. */
  private int scheduleDrills(VigilConfig loaded) {
    List<ScheduleDefinition> drills =
        SchedulesCommand.definitions(loaded).stream()
            .filter(definition -> definition.kind() == ScheduleKind.DRILL)
            .filter(definition -> plan == null || plan.equals(definition.plan()))
            .toList();
    List<ApplyOutcome> outcomes =
        SchedulesCommand.withScheduler(
            loaded, true, scheduler -> scheduler.apply(drills, SchedulesCommand.who()));
    for (int i = 0; i < drills.size(); i++) {
      ScheduleDefinition drill = drills.get(i);
      ApplyOutcome outcome = outcomes.get(i);
      System.out.println(
          "drill plan "
              + drill.plan()
              + " recurs on \""
              + drill.cron()
              + "\" (UTC) as schedule "
              + drill.name()
              + ": "
              + outcome.mode()
              + ", "
              + outcome.detail());
    }
    return 0;
  }

  private String choosePlan(VigilConfig loaded) {
    String chosen = plan;
    if (chosen == null) {
      chosen =
          loaded.drills().size() == 1
              ? loaded.drills().keySet().iterator().next()
              : DrillPlanConfig.DEFAULT_PLAN;
    }
    if (!loaded.drills().containsKey(chosen)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "no drill plan '"
              + chosen
              + "' in "
              + loaded.file()
              + "; pass --plan with one of "
              + loaded.drills().keySet());
    }
    return chosen;
  }
}
