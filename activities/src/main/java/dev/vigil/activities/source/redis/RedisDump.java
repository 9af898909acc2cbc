package dev.vigil.activities.source.redis;

import java.nio.file.Path;

/** An RDB snapshot in the spool and what was recorded about it. */
public record RedisDump(Path rdb, long bytes, Path infoFile, RedisSnapshotInfo info) {}
