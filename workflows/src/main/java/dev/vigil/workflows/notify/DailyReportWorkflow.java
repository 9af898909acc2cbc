package dev.vigil.workflows.notify;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Sends the daily report of the UTC day before the run through the notifier: to every channel whose
 * {@code events} include {@code report} (and whose {@code on} takes {@code failure} when the day
 * had errors, {@code success} when not). Started by a {@code kind: report} schedule.
 */
@WorkflowInterface
public interface DailyReportWorkflow {
  /** The id prefix of its runs; a Schedule or a trigger appends the time. */
  String ID_PREFIX = "daily-report";

  @WorkflowMethod
  NotifyResult send(ReportRequest request);
}
