package dev.vigil.workflows.drill;

import dev.vigil.workflows.backup.HostQueue;
import dev.vigil.workflows.common.ActivityProfiles;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.notify.Notifications;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.RestoreWorkflow;
import dev.vigil.workflows.restore.ValidationResult;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;

/** See {@link DrillWorkflow}. Deterministic: no I/O, no wall clock. */
public final class DrillWorkflowImpl implements DrillWorkflow {
  private static final Logger log = Workflow.getLogger(DrillWorkflowImpl.class);

  /** Catalog and config calls: short, retried until the catalog comes back. */
  static final ActivityOptions SHARED_OPTIONS = ActivityProfiles.SHARED;

  private final DrillActivities shared =
      Workflow.newActivityStub(DrillActivities.class, SHARED_OPTIONS);
  private String currentStep = "starting";

  @Override
  public DrillReport drill(DrillRequest request) {
    return SearchAttributes.recordingOutcome(() -> runDrill(request), DrillReport::passed);
  }

  private DrillReport runDrill(DrillRequest request) {
    long startedAt = Workflow.currentTimeMillis();
    long requestedAt = request.requestedAtMillis() > 0 ? request.requestedAtMillis() : startedAt;
    String drillId = DrillWorkflow.drillId(request.plan(), requestedAt);
    List<String> failures = new ArrayList<>();
    List<DrillComponent> components = new ArrayList<>();
    DrillPlan plan = null;
    DrillBackupSet set = null;
    HostQueue host = null;
    boolean cancelled = false;
    try {
      plan = step("resolve-plan", () -> shared.resolvePlan(request));
      DrillPlan resolved = plan;
      set = step("select-backup-set", () -> shared.selectBackupSet(resolved));
      host = step("reserve-host", shared::reserveHost);
      DrillActivities environments = environmentStub(host);
      DrillEnvironment environment =
          step(
              "create-environment",
              () ->
                  environments.createEnvironment(
                      new EnvironmentRequest(drillId, resolved.sources())));
      currentStep = "restore";
      cancelled = restoreAll(drillId, startedAt, resolved, set, environment, components);
      if (cancelled) {
        failures.add("cancelled during restore");
      }
    } catch (ActivityFailure | CanceledFailure failure) {
      cancelled =
          failure instanceof CanceledFailure || CancellationScope.current().isCancelRequested();
      failures.add(
          cancelled
              ? "cancelled at " + currentStep
              : currentStep + ": " + Failures.reason(failure));
    } finally {
      if (host != null) {
        HostQueue environmentHost = host;
        // Runs even when the drill was cancelled: a throwaway cluster must not outlive its drill.
        Workflow.newDetachedCancellationScope(() -> tearDown(environmentHost, drillId, failures))
            .run();
      }
    }
    currentStep = "record-report";
    long finishedAt = Workflow.currentTimeMillis();
    DrillReport recorded =
        report(request, drillId, plan, set, startedAt, finishedAt, components, failures);
    // A cancelled drill is recorded too: the report says how far it got and why it stopped.
    Workflow.newDetachedCancellationScope(() -> shared.recordReport(recorded)).run();
    if (!cancelled
        && Workflow.getVersion(Notifications.NOTIFY_OUTCOMES, Workflow.DEFAULT_VERSION, 1) >= 1) {
      // A detached child: no channel can delay or change the drill's outcome.
      Notifications.send(List.of(Notifications.drill(recorded)));
    }
    currentStep = "done";
    if (cancelled) {
      throw new CanceledFailure("drill " + drillId + " cancelled; its environment was torn down");
    }
    if (!recorded.passed()) {
      log.warn("drill {} failed: {}", drillId, recorded.failures());
    }
    return recorded;
  }

  @Override
  public String currentStep() {
    return currentStep;
  }

  /** Restores every backup of the set as a child workflow; true if the drill was cancelled. */
  private boolean restoreAll(
      String drillId,
      long drillStartedAt,
      DrillPlan plan,
      DrillBackupSet set,
      DrillEnvironment environment,
      List<DrillComponent> components) {
    Map<String, DrillBackup> backups = new LinkedHashMap<>();
    set.backups().forEach(backup -> backups.put(backup.source(), backup));
    Deque<DrillSource> pending = new ArrayDeque<>(plan.sources());
    Map<DrillSource, Promise<RestoreResult>> running = new LinkedHashMap<>();
    Map<DrillSource, Long> childStartedAt = new LinkedHashMap<>();
    Map<String, DrillComponent> finished = new LinkedHashMap<>();
    int maxParallel = Math.max(1, plan.maxParallel());
    while (!pending.isEmpty() || !running.isEmpty()) {
      while (!pending.isEmpty()
          && running.size() < maxParallel
          && !CancellationScope.current().isCancelRequested()) {
        DrillSource source = pending.poll();
        childStartedAt.put(source, Workflow.currentTimeMillis());
        running.put(
            source,
            startRestore(drillId, source, backups.get(source.name()), environment.targets()));
      }
      if (running.isEmpty()) {
        break;
      }
      // Wait for any restore to finish, successfully or not; component() reads which.
      Promise.anyOf(running.values().stream().map(p -> p.handle((value, failure) -> 0)).toList())
          .get();
      long now = Workflow.currentTimeMillis();
      List<DrillSource> done = new ArrayList<>();
      running.forEach(
          (source, promise) -> {
            if (promise.isCompleted()) {
              finished.put(
                  source.name(),
                  component(
                      source,
                      backups.get(source.name()),
                      promise,
                      now - childStartedAt.get(source),
                      now - drillStartedAt,
                      drillStartedAt));
              done.add(source);
            }
          });
      done.forEach(running::remove);
    }
    for (DrillSource source : plan.sources()) {
      DrillComponent component = finished.get(source.name());
      components.add(component != null ? component : notRun(source, backups.get(source.name())));
    }
    return CancellationScope.current().isCancelRequested();
  }

  private Promise<RestoreResult> startRestore(
      String drillId, DrillSource source, DrillBackup backup, Map<String, RestoreTarget> targets) {
    RestoreWorkflow child =
        Workflow.newChildWorkflowStub(
            RestoreWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(restoreWorkflowId(drillId, source.name()))
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL)
                .setWorkflowExecutionTimeout(Duration.ofDays(2))
                .setTypedSearchAttributes(
                    SearchAttributes.forChild(
                        SearchAttributes.KIND_RESTORE, source.name(), "drill " + drillId))
                .setStaticSummary(
                    "Drill restore of " + source.name() + " from " + backup.backupId())
                .build());
    return Async.function(
        child::restore,
        new RestoreRequest(
            new RestoreSelector(source.name(), backup.backupId(), 0),
            targets.get(source.name()),
            false,
            0,
            "drill " + drillId));
  }

  /** The workflow id of a drill's restore of {@code source}: apart from manual restores' ids. */
  public static String restoreWorkflowId(String drillId, String source) {
    return drillId + "-restore-" + source;
  }

  private static DrillComponent component(
      DrillSource source,
      DrillBackup backup,
      Promise<RestoreResult> promise,
      long restoreMillis,
      long rtoMillis,
      long drillStartedAt) {
    DrillObjectives objectives = source.objectives();
    long rpoMillis = Math.max(0, drillStartedAt - backup.consistentAtMillis());
    List<String> failures = new ArrayList<>();
    RuntimeException failure = promise.getFailure();
    String status;
    String validation;
    List<String> checks = new ArrayList<>();
    List<StepTiming> steps = List.of();
    long storedBytes = backup.storedBytes();
    long rawBytes = backup.rawBytes();
    if (failure != null) {
      status = "FAILED";
      String reason = Failures.reason(failure);
      if (ErrorType.VALIDATION_FAILED.name().equals(Failures.type(failure))) {
        validation = "failed: " + reason;
        failures.add(source.name() + ": validation failed: " + reason);
      } else {
        validation = "not run";
        failures.add(source.name() + ": restore of " + backup.backupId() + " failed: " + reason);
      }
    } else {
      RestoreResult result = promise.get();
      status = result.status();
      steps = result.steps() == null ? List.of() : result.steps();
      storedBytes = result.storedBytes() > 0 ? result.storedBytes() : storedBytes;
      rawBytes = result.rawBytes() > 0 ? result.rawBytes() : rawBytes;
      if (result.consistentAtMillis() > 0) {
        rpoMillis = Math.max(0, drillStartedAt - result.consistentAtMillis());
      }
      ValidationResult checked = result.validation();
      if (checked != null && checked.checks() != null) {
        checks.addAll(checked.checks());
      }
      // A failed validation is reported below with what failed; any other failure is reported here.
      if (!"RESTORED".equals(status) && (checked == null || checked.passed())) {
        failures.add(
            source.name()
                + ": restore of "
                + backup.backupId()
                + " ended "
                + status
                + (result.failure() != null ? ": " + result.failure() : ""));
      }
      if (checked == null) {
        validation = "not run";
        failures.add(source.name() + ": restore reported no validation");
      } else if (checked.passed()) {
        validation = "passed (" + checks.size() + (checks.size() == 1 ? " check)" : " checks)");
      } else {
        List<String> failed = checked.failures() == null ? List.of() : checked.failures();
        validation = "failed: " + String.join("; ", failed);
        failures.add(source.name() + ": validation failed: " + String.join("; ", failed));
      }
    }
    if (objectives.rtoMillis() > 0 && rtoMillis > objectives.rtoMillis()) {
      failures.add(
          source.name()
              + ": RTO "
              + DrillDurations.format(rtoMillis)
              + " exceeds the objective "
              + DrillDurations.format(objectives.rtoMillis()));
    }
    if (objectives.rpoMillis() > 0 && rpoMillis > objectives.rpoMillis()) {
      failures.add(
          source.name()
              + ": RPO "
              + DrillDurations.format(rpoMillis)
              + " exceeds the objective "
              + DrillDurations.format(objectives.rpoMillis())
              + " (backup "
              + backup.backupId()
              + "); back it up more often");
    }
    return new DrillComponent(
        source.name(),
        source.kind(),
        backup.backupId(),
        status,
        storedBytes,
        rawBytes,
        restoreMillis,
        rtoMillis,
        rpoMillis,
        objectives.rtoMillis(),
        objectives.rpoMillis(),
        validation,
        List.copyOf(checks),
        List.copyOf(failures),
        steps,
        failures.isEmpty());
  }

  private static DrillComponent notRun(DrillSource source, DrillBackup backup) {
    return new DrillComponent(
        source.name(),
        source.kind(),
        backup == null ? null : backup.backupId(),
        "NOT_RUN",
        backup == null ? 0 : backup.storedBytes(),
        backup == null ? 0 : backup.rawBytes(),
        0,
        0,
        0,
        source.objectives().rtoMillis(),
        source.objectives().rpoMillis(),
        "not run",
        List.of(),
        List.of(source.name() + ": not restored"),
        List.of(),
        false);
  }

  /** The report: passed only if every component passed and the totals meet the objectives. */
  private static DrillReport report(
      DrillRequest request,
      String drillId,
      DrillPlan plan,
      DrillBackupSet set,
      long startedAt,
      long finishedAt,
      List<DrillComponent> components,
      List<String> drillFailures) {
    List<String> failures = new ArrayList<>();
    long totalRto = 0;
    long worstRpo = 0;
    for (DrillComponent component : components) {
      failures.addAll(component.failures());
      totalRto = Math.max(totalRto, component.rtoMillis());
      worstRpo = Math.max(worstRpo, component.rpoMillis());
    }
    DrillObjectives objectives = plan == null ? DrillObjectives.NONE : plan.objectives();
    boolean allRestored =
        !components.isEmpty() && components.stream().allMatch(c -> c.status().equals("RESTORED"));
    if (allRestored && objectives.rtoMillis() > 0 && totalRto > objectives.rtoMillis()) {
      failures.add(
          "total RTO "
              + DrillDurations.format(totalRto)
              + " exceeds the plan's objective "
              + DrillDurations.format(objectives.rtoMillis()));
    }
    if (allRestored && objectives.rpoMillis() > 0 && worstRpo > objectives.rpoMillis()) {
      failures.add(
          "worst RPO "
              + DrillDurations.format(worstRpo)
              + " exceeds the plan's objective "
              + DrillDurations.format(objectives.rpoMillis()));
    }
    failures.addAll(drillFailures);
    if (components.isEmpty() && failures.isEmpty()) {
      failures.add("the plan restored nothing");
    }
    return new DrillReport(
        drillId,
        request.plan(),
        failures.isEmpty() ? DrillReport.PASSED : DrillReport.FAILED,
        set == null ? null : set.setId(),
        request.triggeredBy(),
        startedAt,
        finishedAt,
        totalRto,
        worstRpo,
        objectives,
        List.copyOf(components),
        List.copyOf(failures));
  }

  private void tearDown(HostQueue host, String drillId, List<String> failures) {
    currentStep = "tear-down";
    try {
      teardownStub(host).tearDownEnvironment(drillId);
    } catch (ActivityFailure failure) {
      // The drill's outcome stands, but a leftover environment is a failure someone must see.
      String reason = Failures.reason(failure);
      log.warn("environment of drill {} not torn down: {}", drillId, reason);
      failures.add(
          "tear-down: environment of "
              + drillId
              + " on host "
              + host.hostId()
              + " was not removed: "
              + reason);
    }
  }

  private DrillActivities environmentStub(HostQueue host) {
    return Workflow.newActivityStub(
        DrillActivities.class,
        ActivityOptions.newBuilder(SHARED_OPTIONS)
            .setTaskQueue(host.taskQueue())
            .setStartToCloseTimeout(Duration.ofMinutes(10))
            .setScheduleToCloseTimeout(Duration.ofHours(1))
            .setRetryOptions(
                RetryOptions.newBuilder(SHARED_OPTIONS.getRetryOptions())
                    .setMaximumAttempts(3)
                    .build())
            // A cancelled drill waits until the cluster is up (or failed) before tearing it down.
            .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
            .build());
  }

  private DrillActivities teardownStub(HostQueue host) {
    // Bounded: teardown must not wait a day for a host that is gone.
    return Workflow.newActivityStub(
        DrillActivities.class,
        ActivityOptions.newBuilder(SHARED_OPTIONS)
            .setTaskQueue(host.taskQueue())
            .setStartToCloseTimeout(Duration.ofMinutes(5))
            .setScheduleToCloseTimeout(Duration.ofMinutes(15))
            .build());
  }

  private <T> T step(String name, Supplier<T> action) {
    currentStep = name;
    Workflow.setCurrentDetails("Drill " + Workflow.getInfo().getWorkflowId() + ": " + name);
    return action.get();
  }
}
