package dev.vigil.starter.read;

import java.time.Instant;

/**
 * A warning a backup of the report's day recorded, such as a stored size that deviates from the
 * source's recent average ({@code size deviates 60% from the 7-day average}).
 *
 * @param at when the backup finished (or started, if it has not)
 */
public record ReportWarning(String backupId, String source, Instant at, String warning) {}
