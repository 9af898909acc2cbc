package dev.vigil.starter;

import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.notify.DailyReportWorkflow;
import dev.vigil.workflows.notify.NotifyResult;
import dev.vigil.workflows.notify.ReportRequest;
import io.temporal.client.WorkflowClient;
import java.time.Duration;

/** Starts and follows daily report runs ({@code daily-report-<timestamp>}). */
public final class ReportClient {
  private final WorkflowClient client;
  private final String taskQueue;

  public ReportClient(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /**
   * Starts a run that sends the daily report of the UTC day before {@code requestedAtMillis};
   * returns its workflow id. {@link DuplicateRunException} if one was started for the same second.
   */
  public String start(long requestedAtMillis, String triggeredBy) {
    String workflowId =
        DailyReportWorkflow.ID_PREFIX + "-" + BackupIds.timestamp(requestedAtMillis);
    return RunStarts.start(
        client,
        DailyReportWorkflow.class,
        RunStarts.options(taskQueue, workflowId, Duration.ofHours(2)),
        SearchAttributes.forRun(SearchAttributes.KIND_REPORT, null, triggeredBy),
        "Daily report by " + triggeredBy,
        workflow ->
            WorkflowClient.start(
                workflow::send, new ReportRequest(requestedAtMillis, triggeredBy)));
  }

  /** Waits for a report run and returns what the notifier did. */
  public NotifyResult await(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).getResult(NotifyResult.class);
  }
}
