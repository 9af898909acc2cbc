package dev.vigil.starter.schedule;

/**
 * What {@link Scheduler#apply} did to one schedule.
 *
 * @param temporalId the Schedule id or cron workflow id
 * @param detail one line for people
 */
public record ApplyOutcome(
    String name, Change change, ScheduleMode mode, String temporalId, String detail) {

  /** The kind of change. */
  public enum Change {
    CREATED,
    UPDATED,
    UNCHANGED,
    /** Not changed now: a cron run is in progress and is not cut short; apply again later. */
    DEFERRED
  }
}
