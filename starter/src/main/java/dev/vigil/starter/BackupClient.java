package dev.vigil.starter;

import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.backup.BackupPlanWorkflow;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.common.SearchAttributes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.time.Duration;
import java.util.List;

/** Starts and follows backup plan runs. Ids are business ids, so a duplicate start is refused. */
public final class BackupClient {
  private final WorkflowClient client;
  private final String taskQueue;

  public BackupClient(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /**
   * Starts a plan run for the time {@code requestedAtMillis} (its id is derived from it) and
   * returns the workflow id. Throws {@link DuplicateRunException} if that run was started before.
   */
  public String start(
      String plan, List<String> sources, long requestedAtMillis, String triggeredBy) {
    String workflowId = BackupPlanWorkflow.workflowId(plan, BackupIds.timestamp(requestedAtMillis));
    WorkflowOptions options = RunStarts.options(taskQueue, workflowId, Duration.ofDays(3));
    return RunStarts.start(
        client,
        BackupPlanWorkflow.class,
        options,
        SearchAttributes.forRun(
            SearchAttributes.KIND_BACKUP_SET, RunStarts.onlySource(sources), triggeredBy),
        "Backup of " + RunStarts.describe(sources) + " (plan " + plan + ") by " + triggeredBy,
        workflow ->
            WorkflowClient.start(
                workflow::run, new PlanRequest(plan, sources, requestedAtMillis, triggeredBy)));
  }

  /** Waits for a plan run to finish and returns its result. */
  public PlanResult await(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).getResult(PlanResult.class);
  }

  /** The untyped stub of a run, for status and cancellation. */
  public WorkflowStub stub(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId);
  }
}
