package dev.vigil.workflows.backup;

import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.copy.CopyReport;
import dev.vigil.workflows.copy.CopySteps;
import dev.vigil.workflows.notify.NotificationEvent;
import dev.vigil.workflows.notify.Notifications;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
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
import org.slf4j.Logger;

/** See {@link BackupPlanWorkflow}. Deterministic: no I/O, no wall clock. */
public final class BackupPlanWorkflowImpl implements BackupPlanWorkflow {
  private static final Logger log = Workflow.getLogger(BackupPlanWorkflowImpl.class);

  /** The change that names the source and says a duplicate's backup is not part of the set. */
  static final String DUPLICATE_NOT_IN_SET = "duplicate-run-not-in-set";

  /**
   * The change that copies the run's archived backups (and what earlier runs left uncopied) to the
   * sources' second repositories once the set is recorded.
   */
  static final String COPIES = "copies-to-second-repository";

  private final BackupActivities activities =
      Workflow.newActivityStub(BackupActivities.class, SourceBackupWorkflowImpl.SHARED_OPTIONS);
  private final Map<String, SourceBackupWorkflow> children = new LinkedHashMap<>();
  private final Map<String, SourceBackupResult> finished = new LinkedHashMap<>();

  @Override
  public PlanResult run(PlanRequest request) {
    return SearchAttributes.recordingOutcome(
        () -> runPlan(request), result -> "COMPLETE".equals(result.status()));
  }

  private PlanResult runPlan(PlanRequest request) {
    long startedAt = Workflow.currentTimeMillis();
    long requestedAt = request.requestedAtMillis() > 0 ? request.requestedAtMillis() : startedAt;
    String timestamp = BackupIds.timestamp(requestedAt);
    String setId = request.plan() + "-" + timestamp;
    ResolvedPlan plan = activities.resolvePlan(request);

    Deque<SourceRef> pending = new ArrayDeque<>(plan.sources());
    Map<SourceRef, Promise<SourceBackupResult>> running = new LinkedHashMap<>();
    int maxParallel = Math.max(1, plan.maxParallel());
    while (!pending.isEmpty() || !running.isEmpty()) {
      while (!pending.isEmpty() && running.size() < maxParallel) {
        SourceRef source = pending.poll();
        running.put(source, startChild(source, setId, timestamp, request.triggeredBy()));
      }
      // Wait for any child to finish, successfully or not; outcome() reads which.
      Promise.anyOf(running.values().stream().map(p -> p.handle((value, failure) -> 0)).toList())
          .get();
      List<SourceRef> done = new ArrayList<>();
      running.forEach(
          (source, promise) -> {
            if (promise.isCompleted()) {
              finished.put(source.name(), outcome(source, timestamp, promise));
              done.add(source);
            }
          });
      done.forEach(running::remove);
    }

    List<SourceBackupResult> results = new ArrayList<>();
    plan.sources().forEach(source -> results.add(finished.get(source.name())));
    long finishedAt = Workflow.currentTimeMillis();
    BackupSetRecord set =
        activities.recordBackupSet(
            new BackupSetRequest(
                setId, plan.plan(), request.triggeredBy(), startedAt, finishedAt, results));
    // After the set is recorded: a copy, failed or not, never changes what the primary holds.
    List<CopyReport> copies =
        plan.copies() && Workflow.getVersion(COPIES, Workflow.DEFAULT_VERSION, 1) >= 1
            ? CopySteps.run(plan.copySources())
            : List.of();
    // Last: the notifier is a detached child, so no channel can delay or change this outcome.
    if (Workflow.getVersion(Notifications.NOTIFY_OUTCOMES, Workflow.DEFAULT_VERSION, 1) >= 1) {
      List<NotificationEvent> events = new ArrayList<>();
      results.forEach(
          result -> events.add(Notifications.backup(plan.plan(), result, startedAt, finishedAt)));
      Notifications.send(events);
    }
    return new PlanResult(
        setId,
        plan.plan(),
        set.status(),
        set.manifestKey(),
        startedAt,
        finishedAt,
        results,
        copies);
  }

  @Override
  public List<SourceProgress> progress() {
    List<SourceProgress> progress = new ArrayList<>();
    children.forEach(
        (name, child) -> {
          SourceBackupResult result = finished.get(name);
          progress.add(
              result != null
                  ? new SourceProgress(result.backupId(), name, "done", result.status())
                  : new SourceProgress(null, name, "running", "RUNNING"));
        });
    return progress;
  }

  private Promise<SourceBackupResult> startChild(
      SourceRef source, String setId, String timestamp, String triggeredBy) {
    SourceBackupWorkflow child =
        Workflow.newChildWorkflowStub(
            SourceBackupWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(SourceBackupWorkflow.workflowId(source.name(), timestamp))
                // A backup id is taken once: a second start of the same plan run is refused.
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL)
                .setWorkflowExecutionTimeout(Duration.ofDays(2))
                .setTypedSearchAttributes(
                    SearchAttributes.forChild(
                        SearchAttributes.KIND_BACKUP, source.name(), triggeredBy))
                .setStaticSummary(
                    "Backup of "
                        + source.name()
                        + " ("
                        + source.type()
                        + ", "
                        + source.kind()
                        + ") in set "
                        + setId)
                .build());
    children.put(source.name(), child);
    String backupId = BackupIds.backupId(source.name(), timestamp);
    return Async.function(
        child::backup, new SourceBackupRequest(backupId, setId, source, triggeredBy));
  }

  private static SourceBackupResult outcome(
      SourceRef source, String timestamp, Promise<SourceBackupResult> promise) {
    RuntimeException failure = promise.getFailure();
    if (failure == null) {
      return promise.get();
    }
    String backupId = BackupIds.backupId(source.name(), timestamp);
    if (failure instanceof ChildWorkflowFailure child
        && child.getCause() instanceof WorkflowExecutionAlreadyStarted) {
      // Another plan run took the same source at the same second: it is not backed up twice, and
      // the backup stays that run's (recordBackupSet does not link a DUPLICATE_RUN to this set).
      // Runs that reached this point before the clearer reason keep the one their history holds.
      String workflowId = child.getExecution().getWorkflowId();
      String reason =
          Workflow.getVersion(DUPLICATE_NOT_IN_SET, Workflow.DEFAULT_VERSION, 1)
                  == Workflow.DEFAULT_VERSION
              ? "backup "
                  + backupId
                  + " was already started by workflow "
                  + workflowId
                  + "; not run twice"
              : "source '"
                  + source.name()
                  + "': backup "
                  + backupId
                  + " was already started by workflow "
                  + workflowId
                  + " for another plan run in the same second; not run twice, and not part of"
                  + " this set";
      return SourceBackupResult.failed(backupId, source, ErrorType.DUPLICATE_RUN.name(), reason);
    }
    String reason = Failures.reason(failure);
    if (reason == null || reason.isBlank()) {
      reason = failure.getMessage();
    }
    log.warn("source {} failed: {}", source.name(), reason);
    return SourceBackupResult.failed(backupId, source, Failures.type(failure), reason);
  }
}
