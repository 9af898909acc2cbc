package dev.vigil.activities.config;

import java.time.Duration;
import java.util.List;

/**
 * A schedule declared in vigil.yaml (or one of the defaults when it declares none).
 *
 * @param kind {@link #BACKUP}, {@link #RESTORE_TEST}, {@link #DRILL}, {@link #RETENTION} or {@link
 *     #REPORT}
 * @param cron five fields, UTC, validated
 * @param plan the backup plan (backup) or drill plan (restore-test, drill); null for retention
 * @param sources the sources of a backup or retention run; empty for all of them
 * @param catchupWindow how late a missed run may still start (Temporal Schedules)
 * @param paused declared paused: applied but does not fire until unpaused
 */
public record ScheduleConfig(
    String name,
    String kind,
    String cron,
    String plan,
    List<String> sources,
    Duration catchupWindow,
    boolean paused) {
  public static final String BACKUP = "backup";
  public static final String RESTORE_TEST = "restore-test";
  public static final String DRILL = "drill";
  public static final String RETENTION = "retention";

  /** Sends the daily report of the day before through the notifier. */
  public static final String REPORT = "report";

  /** The catch-up window when a schedule names none. */
  public static final Duration DEFAULT_CATCHUP_WINDOW = Duration.ofHours(1);
}
