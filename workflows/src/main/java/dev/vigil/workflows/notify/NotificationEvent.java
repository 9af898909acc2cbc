package dev.vigil.workflows.notify;

/**
 * One run outcome to tell people about. Only figures and one-line reasons: never data, never a
 * secret (channel URLs and passwords stay in the worker's config).
 *
 * @param event {@code backup}, {@code drill} or {@code report}
 * @param outcome {@code success} or {@code failure}; channels filter on it
 * @param workflowId the run that produced it (the plan run for a backup)
 * @param id the backup id, drill id or report date
 * @param plan the backup or drill plan; null for a report
 * @param source the source of a backup; null otherwise
 * @param status the catalog's status: {@code ARCHIVED}/{@code FAILED}, {@code PASSED}/{@code
 *     FAILED}, or the report's {@code OK}/{@code ERRORS}
 * @param errorCode the {@code ErrorType} name of a failure, or null
 * @param message one line: the failure's reason, or null
 * @param durationMillis how long the run took
 * @param rtoMillis a drill's recovery time (0 otherwise)
 * @param rpoMillis a drill's worst recovery point (0 otherwise)
 * @param rtoObjectiveMillis the drill plan's RTO objective (0: none)
 * @param rpoObjectiveMillis the drill plan's RPO objective (0: none)
 * @param reportDate the UTC day of a daily report ({@code 2026-11-22}); null otherwise. The report
 *     itself is built where it is delivered, from the catalog, so it never passes through Temporal
 */
public record NotificationEvent(
    String event,
    String outcome,
    String workflowId,
    String id,
    String plan,
    String source,
    String status,
    String errorCode,
    String message,
    long rawBytes,
    long storedBytes,
    long startedAtMillis,
    long finishedAtMillis,
    long durationMillis,
    long rtoMillis,
    long rpoMillis,
    long rtoObjectiveMillis,
    long rpoObjectiveMillis,
    String reportDate) {
  public static final String BACKUP = "backup";
  public static final String DRILL = "drill";
  public static final String REPORT = "report";
  public static final String SUCCESS = "success";
  public static final String FAILURE = "failure";

  /** The longest {@link #message} kept: a notification is a line, not a log. */
  static final int MAX_MESSAGE = 300;

  /** {@code text} cut to its first line and {@link #MAX_MESSAGE} characters; null stays null. */
  public static String oneLine(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String line = text.strip().lines().findFirst().orElse("").strip();
    return line.length() <= MAX_MESSAGE ? line : line.substring(0, MAX_MESSAGE - 1) + "…";
  }
}
