package dev.vigil.starter.read;

import java.time.Instant;
import java.util.List;

/** A schedule as {@code vigil schedules apply} last applied it. */
public record ScheduleView(
    String name,
    String kind,
    String plan,
    List<String> sources,
    String cron,
    long intervalSeconds,
    long catchupWindowSeconds,
    String mode,
    String temporalId,
    Instant appliedAt,
    String appliedBy) {}
