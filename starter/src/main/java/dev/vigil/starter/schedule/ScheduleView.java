package dev.vigil.starter.schedule;

import java.time.Instant;

/**
 * A schedule as {@code schedules list} shows it: the definition from the catalog, the live state
 * from Temporal.
 *
 * @param nextRunAt null when paused or missing
 * @param lastRunAt when the last scheduled run started; null if none is known
 * @param lastRunId its workflow id ({@link ScheduleMode#SCHEDULE}) or run id ({@link
 *     ScheduleMode#CRON})
 * @param lastOutcome running, succeeded, failed, cancelled, terminated, timed-out; null if unknown
 * @param note why it is paused (who, reason), else null
 */
public record ScheduleView(
    String name,
    ScheduleKind kind,
    String cron,
    ScheduleMode mode,
    State state,
    Instant nextRunAt,
    Instant lastRunAt,
    String lastRunId,
    String lastOutcome,
    String note) {

  /** Whether the schedule fires. */
  public enum State {
    ACTIVE,
    PAUSED,
    /** Applied once, but Temporal has no such Schedule or running cron workflow: apply again. */
    MISSING
  }
}
