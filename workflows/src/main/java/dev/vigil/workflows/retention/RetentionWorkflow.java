package dev.vigil.workflows.retention;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Applies each source's retention policy: plan from the catalog, then every archive, prune, local
 * checkpoint removal and row archival as its own durable step. Workflow id: {@code
 * retention-<timestamp>} ({@code retention-dry-run-<timestamp>} for a dry run).
 */
@WorkflowInterface
public interface RetentionWorkflow {

  /** Runs retention; a failing action is reported and the others still run. */
  @WorkflowMethod
  RetentionResult run(RetentionRequest request);

  /** The business workflow id of a run at {@code timestamp}. */
  static String workflowId(boolean dryRun, String timestamp) {
    return (dryRun ? "retention-dry-run-" : "retention-") + timestamp;
  }
}
