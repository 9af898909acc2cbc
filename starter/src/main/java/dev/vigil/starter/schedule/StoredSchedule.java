package dev.vigil.starter.schedule;

import java.time.Duration;
import java.time.Instant;

/**
 * A row of the catalog's {@code vigil.schedule}: a schedule as last applied.
 *
 * @param intervalSeconds the longest time between two runs of its cron
 * @param temporalId the Schedule id or cron workflow id
 */
public record StoredSchedule(
    ScheduleDefinition definition,
    long intervalSeconds,
    ScheduleMode mode,
    String temporalId,
    Instant appliedAt,
    String appliedBy) {

  /** The row for {@code definition} applied now in {@code mode}. */
  static StoredSchedule of(
      ScheduleDefinition definition, ScheduleMode mode, Instant appliedAt, String appliedBy) {
    Duration interval = dev.vigil.workflows.common.Cron.parse(definition.cron()).interval();
    return new StoredSchedule(
        definition, interval.toSeconds(), mode, definition.temporalId(mode), appliedAt, appliedBy);
  }
}
