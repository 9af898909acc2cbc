package dev.vigil.infra.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Secrets;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.schedule.ApplyOutcome;
import dev.vigil.starter.schedule.JdbcScheduleStore;
import dev.vigil.starter.schedule.ScheduleDefinition;
import dev.vigil.starter.schedule.ScheduleKind;
import dev.vigil.starter.schedule.ScheduleView;
import dev.vigil.starter.schedule.Scheduler;
import dev.vigil.starter.schedule.TriggerOutcome;
import dev.vigil.workflows.common.ErrorType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vigil schedules apply|list|pause|unpause|trigger}. */
@Command(
    name = "schedules",
    description =
        "Manage the schedules vigil.yaml declares (Temporal Schedules, or cron workflows where the"
            + " server has no Schedules API).",
    subcommands = {
      SchedulesCommand.Apply.class,
      SchedulesCommand.ListSchedules.class,
      SchedulesCommand.Pause.class,
      SchedulesCommand.Unpause.class,
      SchedulesCommand.Trigger.class
    })
final class SchedulesCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The schedules of {@code config} (declared, or the defaults) as the scheduler takes them. */
  static List<ScheduleDefinition> definitions(VigilConfig config) {
    return config.schedules().values().stream()
        .map(
            schedule ->
                new ScheduleDefinition(
                    schedule.name(),
                    ScheduleKind.of(schedule.kind()),
                    schedule.cron(),
                    schedule.plan(),
                    schedule.sources(),
                    schedule.catchupWindow(),
                    schedule.paused()))
        .toList();
  }

  /** Who a command acts as: {@code cli (<user>)}. */
  static String who() {
    return "cli (" + System.getProperty("user.name") + ")";
  }

  /** Runs {@code action} with a scheduler over the config's Temporal server and catalog. */
  static <T> T withScheduler(VigilConfig config, boolean migrate, Function<Scheduler, T> action) {
    if (config.catalog() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          config.file()
              + ": catalog: missing; schedules are recorded in the catalog (vigil.schedule), add a"
              + " catalog section");
    }
    PostgresCatalog catalog =
        PostgresCatalog.create(
            config.catalog(), Secrets.resolve(config.catalog().password(), System::getenv));
    if (migrate) {
      catalog.migrate();
    }
    try (TemporalConnection temporal = TemporalConnection.open(config.temporal())) {
      Scheduler scheduler =
          new Scheduler(
              temporal.client(),
              config.temporal().taskQueue(),
              new JdbcScheduleStore(catalog.dataSource()));
      return action.apply(scheduler);
    }
  }

  /** Options every subcommand has. */
  static final class Common {
    @Option(names = "--config", description = "The config file (default: vigil.yaml).")
    Path config = Path.of("vigil.yaml");

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Spec(Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    VigilConfig load() {
      return new ConfigLoader().withoutLocalPathChecks().load(config);
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    void print(Object value) {
      out().println(value instanceof ObjectNode node ? node.toPrettyString() : value);
      out().flush();
    }
  }

  @Command(
      name = "apply",
      description =
          "Create or update every schedule of vigil.yaml; report schedules applied before but no"
              + " longer declared (--prune deletes them).")
  static final class Apply implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--prune", description = "Delete schedules that vigil.yaml no longer declares.")
    boolean prune;

    @Override
    public Integer call() {
      VigilConfig config = common.load();
      List<ScheduleDefinition> definitions = definitions(config);
      String who = who();
      return withScheduler(
          config,
          true,
          scheduler -> {
            List<ApplyOutcome> outcomes = scheduler.apply(definitions, who);
            List<String> undeclared =
                prune ? scheduler.prune(definitions, who) : scheduler.undeclared(definitions);
            if (common.json) {
              ObjectNode root = Json.MAPPER.createObjectNode();
              root.put("mode", scheduler.mode().name());
              root.set("schedules", Json.MAPPER.valueToTree(outcomes));
              root.set(prune ? "pruned" : "undeclared", Json.MAPPER.valueToTree(undeclared));
              common.print(root);
              return 0;
            }
            common.print("mode: " + scheduler.mode().description());
            for (ApplyOutcome outcome : outcomes) {
              common.print(
                  String.format(
                      "%-24s %-9s %s",
                      outcome.name(), outcome.change().name().toLowerCase(), outcome.detail()));
            }
            if (!undeclared.isEmpty()) {
              common.print(
                  prune
                      ? "pruned (no longer declared): " + String.join(", ", undeclared)
                      : "not declared in "
                          + config.file().getFileName()
                          + " (apply --prune deletes them): "
                          + String.join(", ", undeclared));
            }
            return 0;
          });
    }
  }

  @Command(name = "list", description = "The applied schedules, their state, next and last run.")
  static final class ListSchedules implements Callable<Integer> {
    @Mixin Common common;

    @Override
    public Integer call() {
      VigilConfig config = common.load();
      return withScheduler(
          config,
          false,
          scheduler -> {
            List<ScheduleView> views = scheduler.list();
            if (common.json) {
              ObjectNode root = Json.MAPPER.createObjectNode();
              root.put("mode", scheduler.mode().name());
              ArrayNode rows = root.putArray("schedules");
              views.forEach(view -> rows.add(Json.MAPPER.valueToTree(view)));
              common.print(root);
              return 0;
            }
            common.print("mode: " + scheduler.mode().description());
            common.print(
                String.format(
                    "%-24s %-13s %-18s %-8s %-21s %-21s %s",
                    "NAME", "KIND", "CRON (UTC)", "STATE", "NEXT RUN", "LAST RUN", "OUTCOME"));
            for (ScheduleView view : views) {
              common.print(
                  String.format(
                          "%-24s %-13s %-18s %-8s %-21s %-21s %s",
                          view.name(),
                          view.kind().label(),
                          view.cron(),
                          view.state(),
                          time(view.nextRunAt()),
                          time(view.lastRunAt()),
                          view.lastOutcome() == null ? "-" : view.lastOutcome())
                      + (view.note() == null ? "" : "  (" + view.note() + ")"));
            }
            if (views.isEmpty()) {
              common.print("no schedules applied; run: vigil schedules apply");
            }
            return 0;
          });
    }

    private static String time(Instant instant) {
      return instant == null
          ? "-"
          : instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }
  }

  @Command(name = "pause", description = "Stop a schedule from firing until unpause.")
  static final class Pause implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(index = "0", description = "The schedule name.")
    String name;

    @Option(names = "--reason", description = "Why; shown by list.")
    String reason;

    @Override
    public Integer call() {
      String message =
          withScheduler(common.load(), false, scheduler -> scheduler.pause(name, who(), reason));
      common.print(common.json ? json(name, message) : message);
      return 0;
    }
  }

  @Command(name = "unpause", description = "Let a paused schedule fire again.")
  static final class Unpause implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(index = "0", description = "The schedule name.")
    String name;

    @Override
    public Integer call() {
      String message =
          withScheduler(common.load(), false, scheduler -> scheduler.unpause(name, who()));
      common.print(common.json ? json(name, message) : message);
      return 0;
    }
  }

  @Command(
      name = "trigger",
      description = "Run a schedule's action once now (refused while one of its runs is running).")
  static final class Trigger implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(index = "0", description = "The schedule name.")
    String name;

    @Override
    public Integer call() {
      TriggerOutcome outcome =
          withScheduler(common.load(), false, scheduler -> scheduler.trigger(name, who()));
      common.print(common.json ? Json.MAPPER.valueToTree(outcome) : outcome.detail());
      return 0;
    }
  }

  private static ObjectNode json(String name, String message) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("name", name);
    node.put("message", message);
    return node;
  }
}
