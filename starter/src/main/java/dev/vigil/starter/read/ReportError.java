package dev.vigil.starter.read;

import java.time.Instant;

/**
 * A failure of the report's day.
 *
 * @param type backup, restore or drill
 * @param name the source (backups, restores) or plan (drills)
 * @param failureType the stable error type (e.g. SOURCE_UNREACHABLE), null if none was recorded
 */
public record ReportError(
    String type, String id, String name, Instant at, String failureType, String reason) {}
