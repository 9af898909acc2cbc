package dev.vigil.workflows.restore;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Restores one backup: select → download → verify → decrypt/decompress → restore → validate →
 * record. Workflow id: {@code restore-<source>-<timestamp>}.
 */
@WorkflowInterface
public interface RestoreWorkflow {

  /** Restores and validates; fails with the reason if any step fails for good. */
  @WorkflowMethod
  RestoreResult restore(RestoreRequest request);

  /** The step running now. */
  @QueryMethod
  String currentStep();

  /** The business workflow id of a restore of {@code source} started at {@code timestamp}. */
  static String workflowId(String source, String timestamp) {
    return "restore-" + source + "-" + timestamp;
  }
}
