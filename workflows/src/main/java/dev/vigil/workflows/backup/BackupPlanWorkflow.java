package dev.vigil.workflows.backup;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/**
 * Backs up every source of a plan, a child workflow per source with bounded parallelism, and writes
 * one backup-set manifest. Workflow id: {@code backup-set-<plan>-<timestamp>}.
 */
@WorkflowInterface
public interface BackupPlanWorkflow {

  /** Runs the plan; completes with every source's outcome, failed sources included. */
  @WorkflowMethod
  PlanResult run(PlanRequest request);

  /** What each source is doing now. */
  @QueryMethod
  List<SourceProgress> progress();

  /** The business workflow id of a plan run at {@code timestamp}. */
  static String workflowId(String plan, String timestamp) {
    return "backup-set-" + plan + "-" + timestamp;
  }
}
