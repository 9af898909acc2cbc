package dev.vigil.workflows.retention;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Restores an archived dataset into a directory. For a cold storage class it first requests the
 * object restore, then waits on durable timers until the store can read it. Workflow id: {@code
 * rehydrate-<source>-<timestamp>}.
 */
@WorkflowInterface
public interface RehydrateWorkflow {

  @WorkflowMethod
  RehydrateResult rehydrate(RehydrateRequest request);

  /** The business workflow id of a rehydration of {@code source} at {@code timestamp}. */
  static String workflowId(String source, String timestamp) {
    return "rehydrate-" + source + "-" + timestamp;
  }
}
