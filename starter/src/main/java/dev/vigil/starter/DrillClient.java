package dev.vigil.starter;

import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.drill.DrillRequest;
import dev.vigil.workflows.drill.DrillWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.time.Duration;

/** Starts and follows DR drills. Ids are business ids, so a duplicate start is refused. */
public final class DrillClient {
  private final WorkflowClient client;
  private final String taskQueue;

  public DrillClient(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /**
   * Starts a drill of {@code plan} for the time {@code requestedAtMillis} (its id is derived from
   * it) and returns the workflow id. Throws {@link DuplicateRunException} if it was started before.
   */
  public String start(String plan, long requestedAtMillis, String triggeredBy) {
    String workflowId = DrillWorkflow.drillId(plan, requestedAtMillis);
    WorkflowOptions options = RunStarts.options(taskQueue, workflowId, Duration.ofDays(3));
    return RunStarts.start(
        client,
        DrillWorkflow.class,
        options,
        SearchAttributes.forRun(SearchAttributes.KIND_DRILL, null, triggeredBy),
        "DR drill of plan " + plan + " by " + triggeredBy,
        workflow ->
            WorkflowClient.start(
                workflow::drill, new DrillRequest(plan, requestedAtMillis, triggeredBy)));
  }

  /** Waits for a drill to finish and returns its report, passed or failed. */
  public DrillReport await(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).getResult(DrillReport.class);
  }

  /** The untyped stub of a drill, for status and cancellation. */
  public WorkflowStub stub(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId);
  }
}
