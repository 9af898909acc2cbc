package dev.vigil.activities.source.redis;

import java.util.Map;

/**
 * What a Redis backup records beside its RDB (the spool's {@code keyspace.json}, then the
 * manifest).
 *
 * @param redisVersion the source server's {@code redis_version}
 * @param consistentAt when the snapshot was asked for (ISO-8601): the server forks at that moment
 *     and the RDB holds its data as of the fork
 * @param keysAtSnapshot {@code INFO keyspace} of the source just before the snapshot: approximate
 *     on a busy server (writes land between INFO and the fork)
 * @param keys the snapshot's own keys per database, counted by loading the RDB into a throwaway
 *     redis-server on the worker: exact for the file, apart from keys whose time to live had
 *     already passed at that load (see {@code expiredAtLoad})
 * @param keysInFile every key the RDB holds, expired or not ({@code keys} + {@code expiredAtLoad})
 * @param expiredAtLoad keys the counting load dropped because their time to live had passed
 */
public record RedisSnapshotInfo(
    String redisVersion,
    String consistentAt,
    Map<Integer, DbKeys> keysAtSnapshot,
    Map<Integer, DbKeys> keys,
    long keysInFile,
    long expiredAtLoad) {}
