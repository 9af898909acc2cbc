package dev.vigil.workflows.notify;

/**
 * Asks for the daily report to be sent.
 *
 * @param requestedAtMillis the time of the run (the schedule's or the trigger's); 0: the workflow's
 *     start. The report covers the UTC day before it
 * @param triggeredBy who or what started it
 */
public record ReportRequest(long requestedAtMillis, String triggeredBy) {}
