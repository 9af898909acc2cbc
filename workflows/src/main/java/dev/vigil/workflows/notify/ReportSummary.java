package dev.vigil.workflows.notify;

/**
 * The gist of a daily report, for routing and the one-line summary; the report itself stays out of
 * Temporal and is built again where it is delivered.
 *
 * @param date the UTC day, {@code 2026-11-22}
 * @param errors whether the day had failed backups, restores or drills
 * @param summary the report's summary line (counts, sizes)
 */
public record ReportSummary(String date, boolean errors, String summary) {}
