package dev.vigil.workflows.notify;

import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.drill.DrillReport;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;

/** Workflow code: the events of a run, and handing them to a detached {@link NotifyWorkflow}. */
public final class Notifications {
  private static final Logger log = Workflow.getLogger(Notifications.class);

  /** The change that makes backup plans and drills report their outcomes. */
  public static final String NOTIFY_OUTCOMES = "notify-outcomes";

  private Notifications() {}

  /**
   * Starts the notifier for {@code events} and waits only until it has started: it is abandoned, so
   * this run ends (and keeps its outcome) whatever the channels do. A notifier that cannot start is
   * logged and otherwise ignored.
   */
  public static void send(List<NotificationEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    String runId = Workflow.getInfo().getWorkflowId();
    NotifyWorkflow notifier =
        Workflow.newChildWorkflowStub(
            NotifyWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(NotifyWorkflow.workflowId(runId))
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .setWorkflowExecutionTimeout(Duration.ofHours(2))
                .setStaticSummary("Notifications of " + runId)
                .build());
    Async.function(notifier::deliver, new NotifyRequest(events));
    try {
      Workflow.getWorkflowExecution(notifier).get();
    } catch (ChildWorkflowFailure failure) {
      log.warn("notifications of {} not started: {}", runId, failure.getMessage());
    }
  }

  /** The event of one source's backup in a plan run. */
  public static NotificationEvent backup(
      String plan, SourceBackupResult result, long planStartedAt, long planFinishedAt) {
    long startedAt = planStartedAt;
    long finishedAt = planFinishedAt;
    List<StepTiming> steps = result.steps() == null ? List.of() : result.steps();
    if (!steps.isEmpty()) {
      startedAt = steps.get(0).startedAtMillis();
      StepTiming last = steps.get(steps.size() - 1);
      finishedAt = Math.max(startedAt, last.startedAtMillis() + last.durationMillis());
    }
    boolean archived = result.archived();
    return new NotificationEvent(
        NotificationEvent.BACKUP,
        archived ? NotificationEvent.SUCCESS : NotificationEvent.FAILURE,
        Workflow.getInfo().getWorkflowId(),
        result.backupId(),
        plan,
        result.source() == null ? null : result.source().name(),
        result.status(),
        archived ? null : result.failureType(),
        archived ? null : NotificationEvent.oneLine(result.failure()),
        result.rawBytes(),
        result.storedBytes(),
        startedAt,
        finishedAt,
        finishedAt - startedAt,
        0,
        0,
        0,
        0,
        null);
  }

  /** The event of a drill. */
  public static NotificationEvent drill(DrillReport report) {
    List<String> failures = report.failures() == null ? List.of() : report.failures();
    String message =
        failures.isEmpty()
            ? null
            : NotificationEvent.oneLine(
                failures.get(0)
                    + (failures.size() > 1 ? " (and " + (failures.size() - 1) + " more)" : ""));
    return new NotificationEvent(
        NotificationEvent.DRILL,
        report.passed() ? NotificationEvent.SUCCESS : NotificationEvent.FAILURE,
        Workflow.getInfo().getWorkflowId(),
        report.drillId(),
        report.plan(),
        null,
        report.status(),
        report.passed() ? null : ErrorType.DRILL_FAILED.name(),
        message,
        0,
        0,
        report.startedAtMillis(),
        report.finishedAtMillis(),
        report.finishedAtMillis() - report.startedAtMillis(),
        report.totalRtoMillis(),
        report.worstRpoMillis(),
        report.objectives() == null ? 0 : report.objectives().rtoMillis(),
        report.objectives() == null ? 0 : report.objectives().rpoMillis(),
        null);
  }
}
