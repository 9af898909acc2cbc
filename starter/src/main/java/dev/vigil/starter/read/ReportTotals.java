package dev.vigil.starter.read;

/**
 * Counts of the report's day, and the bytes the repositories hold now.
 *
 * @param rawBytes raw bytes of the day's archived backups
 * @param storedBytes stored bytes of the day's archived backups
 * @param storedBytesTotal bytes held in all repositories and storage classes now
 */
public record ReportTotals(
    int sources,
    int backups,
    int archived,
    int failed,
    long rawBytes,
    long storedBytes,
    int restores,
    int drills,
    int errors,
    long storedBytesTotal) {}
