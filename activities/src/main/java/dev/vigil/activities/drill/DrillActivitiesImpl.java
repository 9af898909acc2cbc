package dev.vigil.activities.drill;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DrillPlanConfig;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.workflows.backup.HostQueue;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.drill.DrillActivities;
import dev.vigil.workflows.drill.DrillBackupSet;
import dev.vigil.workflows.drill.DrillEnvironment;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillPlan;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.drill.DrillRequest;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.drill.EnvironmentRequest;
import io.temporal.activity.Activity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The drill's steps over the worker's services. The environment steps run on the host that holds
 * the environment (its own queue); the others on any worker.
 */
public final class DrillActivitiesImpl implements DrillActivities {
  private final VigilServices services;
  private final DrillCatalog catalog;
  private final DrillEnvironments environments;

  /** The directory under the spool root that drill environments live in. */
  public static final String ENVIRONMENTS = "drills";

  public DrillActivitiesImpl(VigilServices services) {
    this(
        services,
        new DrillEnvironments(
            services.config().worker().spoolDir().resolve(ENVIRONMENTS), services.drivers()));
  }

  /** With the environments of a given root (tests). */
  public DrillActivitiesImpl(VigilServices services, DrillEnvironments environments) {
    this.services = services;
    this.catalog = new DrillCatalog(services.catalogDataSource());
    this.environments = environments;
  }

  @Override
  public DrillPlan resolvePlan(DrillRequest request) {
    return Activities.run(
        () -> {
          DrillPlanConfig plan = services.config().drills().get(request.plan());
          if (plan == null) {
            throw new VigilException(
                ErrorType.INVALID_CONFIG,
                "no drill plan '"
                    + request.plan()
                    + "' in "
                    + services.config().file()
                    + " on this worker; known: "
                    + services.config().drills().keySet());
          }
          List<DrillSource> sources = new ArrayList<>();
          for (String name : plan.sources()) {
            SourceConfig source = services.source(name);
            sources.add(
                new DrillSource(
                    name,
                    source.type(),
                    source.kind(),
                    services.drivers().of(source).databaseName(source),
                    objectives(source.objectives())));
          }
          if (sources.isEmpty()) {
            throw new VigilException(
                ErrorType.INVALID_CONFIG,
                "drill plan '" + plan.name() + "' has no sources; add some to vigil.yaml");
          }
          DrillObjectives derived =
              new DrillObjectives(
                  loosest(sources, DrillObjectives::rtoMillis),
                  loosest(sources, DrillObjectives::rpoMillis));
          DrillObjectives own = objectives(plan.objectives());
          return new DrillPlan(
              plan.name(),
              List.copyOf(sources),
              new DrillObjectives(
                  own.rtoMillis() > 0 ? own.rtoMillis() : derived.rtoMillis(),
                  own.rpoMillis() > 0 ? own.rpoMillis() : derived.rpoMillis()),
              services.config().worker().maxParallelSources());
        });
  }

  @Override
  public DrillBackupSet selectBackupSet(DrillPlan plan) {
    return Activities.run(
        () -> {
          List<String> names = plan.sources().stream().map(DrillSource::name).toList();
          return catalog
              .newestCompleteSet(names)
              .orElseThrow(
                  () ->
                      new VigilException(
                          ErrorType.BACKUP_NOT_FOUND,
                          "no backup set in the catalog has an ARCHIVED backup of every source of"
                              + " drill plan '"
                              + plan.plan()
                              + "' "
                              + names
                              + "; run `vigil backup` first"));
        });
  }

  @Override
  public HostQueue reserveHost() {
    String hostId = services.config().worker().hostId();
    return new HostQueue(hostId, TaskQueues.host(services.config().temporal().taskQueue(), hostId));
  }

  @Override
  public DrillEnvironment createEnvironment(EnvironmentRequest request) {
    return Activities.run(
        () ->
            environments.create(
                request.drillId(),
                services.config().worker().hostId(),
                request.sources(),
                Set.copyOf(services.config().physicalSources())));
  }

  @Override
  public void recordReport(DrillReport report) {
    var info = Activity.getExecutionContext().getInfo();
    Activities.run(() -> catalog.record(report, info.getWorkflowId(), info.getRunId()));
  }

  @Override
  public void tearDownEnvironment(String drillId) {
    Activities.run(() -> environments.tearDown(drillId));
  }

  private static DrillObjectives objectives(Objectives objectives) {
    return new DrillObjectives(millis(objectives.rto()), millis(objectives.rpo()));
  }

  private static long millis(Duration duration) {
    return duration == null ? 0 : duration.toMillis();
  }

  /** The largest objective of the sources, or 0 (none) if any source has none. */
  private static long loosest(List<DrillSource> sources, Function<DrillObjectives, Long> part) {
    long loosest = 0;
    for (DrillSource source : sources) {
      long value = part.apply(source.objectives());
      if (value == 0) {
        return 0;
      }
      loosest = Math.max(loosest, value);
    }
    return loosest;
  }
}
