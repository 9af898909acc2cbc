package dev.vigil.activities.source.redis;

/**
 * One logical database's keys, as {@code INFO keyspace} reports them.
 *
 * @param keys the keys it holds
 * @param expires how many of them have a time to live (and may be gone by a later load)
 */
public record DbKeys(long keys, long expires) {}
