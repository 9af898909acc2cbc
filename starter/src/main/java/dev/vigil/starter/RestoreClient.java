package dev.vigil.starter;

import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.time.Duration;

/**
 * Starts and follows restores. Ids are business ids ({@code restore-<source>-<timestamp>}), so
 * starting the same restore twice is refused.
 */
public final class RestoreClient {
  private final WorkflowClient client;
  private final String taskQueue;

  public RestoreClient(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /**
   * Starts a restore requested at {@code requestedAtMillis} (its id is derived from it and the
   * source, or the backup id when no source is named) and returns the workflow id. Throws {@link
   * DuplicateRunException} if that restore was started before.
   */
  public String start(RestoreRequest request, long requestedAtMillis) {
    String subject =
        request.selector().source() != null
            ? request.selector().source()
            : request.selector().backupId();
    String workflowId = RestoreWorkflow.workflowId(subject, BackupIds.timestamp(requestedAtMillis));
    WorkflowOptions options = RunStarts.options(taskQueue, workflowId, Duration.ofDays(3));
    return RunStarts.start(
        client,
        RestoreWorkflow.class,
        options,
        SearchAttributes.forRun(
            SearchAttributes.KIND_RESTORE, request.selector().source(), request.requestedBy()),
        "Restore of " + subject + " by " + request.requestedBy(),
        workflow -> WorkflowClient.start(workflow::restore, request));
  }

  /** Waits for a restore to finish; a failed restore throws {@code WorkflowFailedException}. */
  public RestoreResult await(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).getResult(RestoreResult.class);
  }
}
