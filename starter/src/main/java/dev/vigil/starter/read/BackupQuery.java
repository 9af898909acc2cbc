package dev.vigil.starter.read;

import java.time.Instant;

/**
 * Which backups to list. Null fields match any.
 *
 * @param source the source's name
 * @param status a catalog status: RUNNING, ARCHIVED, FAILED, PRUNING or PRUNED
 * @param since only backups started at or after this instant
 * @param limit at most this many, newest first (0 or less: the default of 100)
 */
public record BackupQuery(String source, String status, Instant since, int limit) {
  /** Every backup, newest first, at most {@code limit}. */
  public static BackupQuery all(int limit) {
    return new BackupQuery(null, null, null, limit);
  }
}
