package dev.vigil.activities.backup;

/**
 * What a physical backup's manifest says about its WAL ({@code physical} in manifest.json).
 *
 * @param startLsn where WAL replay starts
 * @param stopLsn where the copy is consistent
 * @param timeline the timeline the backup ends on
 * @param startedAt ISO-8601, when pg_basebackup started
 * @param stoppedAt ISO-8601, when it finished
 * @param checkpoint {@code fast} or {@code spread}
 */
public record PhysicalMeta(
    String startLsn,
    String stopLsn,
    int timeline,
    String startedAt,
    String stoppedAt,
    String checkpoint) {}
