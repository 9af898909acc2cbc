package dev.vigil.starter.schedule;

/** How schedules run on the connected Temporal server. */
public enum ScheduleMode {
  /** Temporal Schedules {@code vigil-<name>} (overlap: skip; catch-up window from config). */
  SCHEDULE("Temporal Schedules"),
  /** Cron workflows {@code schedule-<name>}: the server has no Schedules API (the test server). */
  CRON("cron workflows (this Temporal server has no Schedules API)");

  private final String description;

  ScheduleMode(String description) {
    this.description = description;
  }

  /** One line for people, after {@code mode: }. */
  public String description() {
    return description;
  }
}
