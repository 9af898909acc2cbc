package dev.vigil.workflows.notify;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Delivers a run's outcomes to every channel that wants them, each retried on its own. Runs as an
 * abandoned child of the run it reports on, so a slow or broken channel never holds up or changes
 * that run's outcome.
 */
@WorkflowInterface
public interface NotifyWorkflow {
  @WorkflowMethod
  NotifyResult deliver(NotifyRequest request);

  /** The business id: one notifier per reported run. */
  static String workflowId(String runWorkflowId) {
    return "notify-" + runWorkflowId;
  }
}
