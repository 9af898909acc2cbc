package dev.vigil.workflows.backup;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Backs up one source: dump, verify, compress and encrypt, upload, verify the upload, mark
 * archived. Workflow id: {@code backup-<source>-<timestamp>}.
 */
@WorkflowInterface
public interface SourceBackupWorkflow {

  /** Runs the backup; fails with the reason if any step fails for good. */
  @WorkflowMethod
  SourceBackupResult backup(SourceBackupRequest request);

  /** The step running now. */
  @QueryMethod
  SourceProgress progress();

  /** The business workflow id of a source's backup taken at {@code timestamp}. */
  static String workflowId(String source, String timestamp) {
    return "backup-" + source + "-" + timestamp;
  }
}
