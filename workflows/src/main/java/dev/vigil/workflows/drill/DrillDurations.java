package dev.vigil.workflows.drill;

import java.util.Locale;

/** Durations as people read them in drill reasons and reports. Deterministic. */
public final class DrillDurations {
  private static final long SECOND = 1000;
  private static final long MINUTE = 60 * SECOND;
  private static final long HOUR = 60 * MINUTE;
  private static final long DAY = 24 * HOUR;

  private DrillDurations() {}

  /** e.g. {@code 4.21s}, {@code 12m 05s}, {@code 3h 02m}, {@code 2d 04h}. */
  public static String format(long millis) {
    if (millis < MINUTE) {
      return String.format(Locale.ROOT, "%.2fs", millis / 1000.0);
    }
    if (millis < HOUR) {
      return String.format(Locale.ROOT, "%dm %02ds", millis / MINUTE, millis % MINUTE / SECOND);
    }
    if (millis < DAY) {
      return String.format(Locale.ROOT, "%dh %02dm", millis / HOUR, millis % HOUR / MINUTE);
    }
    return String.format(Locale.ROOT, "%dd %02dh", millis / DAY, millis % DAY / HOUR);
  }
}
