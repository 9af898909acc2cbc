package dev.vigil.activities.notify;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.time.LocalDate;

/**
 * Builds the daily report of a UTC day, for report notifications. The report is read from the
 * catalog by the code the CLI and the API use ({@code dev.vigil.starter.read}); the process that
 * starts the worker hands it in ({@code vigil worker}, {@code vigil up}), so the activities need
 * not depend on the starter.
 */
@FunctionalInterface
public interface DailyReportSource {
  /** A worker started without one: report notifications fail, naming why. */
  DailyReportSource NONE =
      day -> {
        throw new VigilException(
            ErrorType.NOTIFICATION_REJECTED,
            "this worker was started without the daily report; run it with `vigil worker`");
      };

  /**
   * A built report.
   *
   * @param markdown the whole report, as {@code vigil report} prints it
   * @param errors whether the day had failed backups, restores or drills
   * @param summary its one summary line
   */
  record Report(String markdown, boolean errors, String summary) {}

  /** The report of {@code day}. */
  Report build(LocalDate day);
}
