package dev.vigil.workflows.notify;

import dev.vigil.workflows.common.SearchAttributes;
import io.temporal.workflow.Workflow;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/** See {@link DailyReportWorkflow}. Deterministic: no I/O, no wall clock. */
public final class DailyReportWorkflowImpl implements DailyReportWorkflow {
  private final NotifyActivities reports =
      Workflow.newActivityStub(NotifyActivities.class, NotifyWorkflowImpl.ROUTING);

  @Override
  public NotifyResult send(ReportRequest request) {
    return SearchAttributes.recordingOutcome(
        () -> sendReport(request), result -> result.failures().isEmpty());
  }

  private NotifyResult sendReport(ReportRequest request) {
    long startedAt = Workflow.currentTimeMillis();
    long at = request.requestedAtMillis() > 0 ? request.requestedAtMillis() : startedAt;
    String day =
        LocalDate.ofInstant(Instant.ofEpochMilli(at), ZoneOffset.UTC).minusDays(1).toString();
    ReportSummary summary = reports.summarizeReport(day);
    NotificationEvent event =
        new NotificationEvent(
            NotificationEvent.REPORT,
            summary.errors() ? NotificationEvent.FAILURE : NotificationEvent.SUCCESS,
            Workflow.getInfo().getWorkflowId(),
            day,
            null,
            null,
            summary.errors() ? "ERRORS" : "OK",
            null,
            NotificationEvent.oneLine(summary.summary()),
            0,
            0,
            startedAt,
            Workflow.currentTimeMillis(),
            Workflow.currentTimeMillis() - startedAt,
            0,
            0,
            0,
            0,
            day);
    return NotifyWorkflowImpl.deliverAll(List.of(event));
  }
}
