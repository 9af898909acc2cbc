package dev.vigil.starter;

import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateResult;
import dev.vigil.workflows.retention.RehydrateWorkflow;
import dev.vigil.workflows.retention.RetentionRequest;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.RetentionWorkflow;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.List;

/** Starts and follows retention runs and rehydrations, with business ids. */
public final class RetentionClient {
  private final WorkflowClient client;
  private final String taskQueue;

  public RetentionClient(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /**
   * Starts a retention run (a dry run only plans) and returns its workflow id; {@link
   * DuplicateRunException} if a run for the same second was started before.
   */
  public String start(
      boolean dryRun, List<String> sources, long requestedAtMillis, String triggeredBy) {
    String workflowId =
        RetentionWorkflow.workflowId(dryRun, BackupIds.timestamp(requestedAtMillis));
    return RunStarts.start(
        client,
        RetentionWorkflow.class,
        RunStarts.options(taskQueue, workflowId, Duration.ofDays(3)),
        SearchAttributes.forRun(
            SearchAttributes.KIND_RETENTION, RunStarts.onlySource(sources), triggeredBy),
        (dryRun ? "Retention plan (dry run) of " : "Retention of ")
            + RunStarts.describe(sources)
            + " by "
            + triggeredBy,
        workflow ->
            WorkflowClient.start(
                workflow::run,
                new RetentionRequest(
                    sources == null ? List.of() : sources,
                    dryRun,
                    requestedAtMillis,
                    triggeredBy)));
  }

  /** Waits for a retention run and returns its result. */
  public RetentionResult await(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).getResult(RetentionResult.class);
  }

  /** Starts a rehydration and returns its workflow id. */
  public String rehydrate(RehydrateRequest request) {
    String workflowId =
        RehydrateWorkflow.workflowId(
            request.source(), BackupIds.timestamp(request.requestedAtMillis()));
    // Cold restores take up to two days; the workflow itself gives up after three.
    return RunStarts.start(
        client,
        RehydrateWorkflow.class,
        RunStarts.options(taskQueue, workflowId, Duration.ofDays(4)),
        SearchAttributes.forRun(
            SearchAttributes.KIND_REHYDRATE, request.source(), request.requestedBy()),
        "Rehydrate "
            + (request.backupId() != null
                ? request.backupId()
                : "latest backup of " + request.source())
            + " into "
            + request.targetDir()
            + (request.requestedBy() != null ? " by " + request.requestedBy() : ""),
        workflow -> WorkflowClient.start(workflow::rehydrate, request));
  }

  /** Waits for a rehydration and returns its result. */
  public RehydrateResult awaitRehydrate(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).getResult(RehydrateResult.class);
  }
}
